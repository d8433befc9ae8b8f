"""The system-of-record tables, as a Jamaican SMB keeps them in SQL Server.

SQLAlchemy Core only, so one `MetaData` emits correct DDL for SQL Server (the production
store: UNIQUEIDENTIFIER, NVARCHAR, DATETIME2, DECIMAL(18, 2)), PostgreSQL (what the
tests and Debezium run against here) and SQLite (the embedded default).

Conventions every table follows, because the change-data-capture side relies on them:
- `id` is a UUID primary key minted by the writer, so a row's identity never depends on
  the database that stored it and Debezium keys every event by it;
- `version` starts at 1 and goes up by one with every write: optimistic concurrency for
  the API and a per-row order for the apply worker;
- `created_at` / `updated_at` are UTC (naive in the database, aware in Python);
- foreign keys have no ON DELETE action: SQL Server refuses the several cascade paths
  these tables would form (reps -> customers -> interactions, reps -> interactions), and
  a CRM retires rows by status rather than deleting them.

Constraint names come from one naming convention, so migrations can name what they drop
on every dialect (SQL Server would otherwise invent `CK__customers__3B75D760`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    DECIMAL,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    TypeDecorator,
    Unicode,
    UnicodeText,
    UniqueConstraint,
    Uuid,
    false,
    text,
    true,
)
from sqlalchemy.dialects import mssql
from sqlalchemy.types import TypeEngine

from ingest.normalise import PARISHES

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

DEFAULT_CURRENCY = "JMD"
CUSTOMER_KINDS: tuple[str, ...] = ("person", "business")
CUSTOMER_STATUSES: tuple[str, ...] = ("lead", "prospect", "active", "inactive")
INTERACTION_CHANNELS: tuple[str, ...] = (
    "call",
    "email",
    "sms",
    "whatsapp",
    "meeting",
    "visit",
    "social",
    "other",
)
DIRECTIONS: tuple[str, ...] = ("inbound", "outbound")
TRANSACTION_KINDS: tuple[str, ...] = ("sale", "refund", "payment", "credit")
PLATFORMS: tuple[str, ...] = (
    "facebook",
    "instagram",
    "x",
    "tiktok",
    "linkedin",
    "youtube",
    "whatsapp",
)
CAMPAIGN_STATUSES: tuple[str, ...] = ("draft", "active", "completed", "cancelled")
MEMBER_STATUSES: tuple[str, ...] = ("targeted", "responded", "converted", "opted_out")

# Lengths shared by the schema and the boundary models.
NAME_LEN = 100
COMPANY_LEN = 200
EMAIL_LEN = 254  # RFC 5321 path limit
PHONE_LEN = 16  # E.164: "+" and at most 15 digits
ADDRESS_LEN = 200
URL_LEN = 400


def one_of(column: str, values: tuple[str, ...]) -> str:
    """`column IN ('a', 'b')`: the portable CHECK for a closed list (a NULL passes)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """DATETIME2 on SQL Server, TIMESTAMP elsewhere, always UTC.

    Stored naive (SQL Server's DATETIME2 has no zone and Debezium reads it as such);
    aware datetimes are converted to UTC on the way in, naive ones are taken as UTC, and
    every value comes back aware, so callers never compare naive with aware times.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "mssql":
            return dialect.type_descriptor(mssql.DATETIME2())  # type: ignore[no-untyped-call]
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def Money() -> DECIMAL[Any]:
    """DECIMAL(18, 2): exact, and the type SQL Server accounting exports use. (SQLite has
    no decimal type and keeps REAL: exact to the cent below 10^13, ample for the
    embedded default.)"""
    return DECIMAL(18, 2, asdecimal=True)


def CalendarDate() -> TypeEngine[date]:
    """DATE; spelled out for SQL Server, whose dialect writes DATETIME until it has seen
    the server's version (offline migration scripts never do)."""
    return Date().with_variant(mssql.DATE(), "mssql")


def LongText() -> TypeEngine[str]:
    """NVARCHAR(max) on SQL Server (not the deprecated NTEXT an unconnected dialect
    picks), TEXT elsewhere."""
    return UnicodeText().with_variant(mssql.NVARCHAR(), "mssql")


def _key() -> Column[uuid.UUID]:
    return Column("id", Uuid(), primary_key=True, default=uuid.uuid4)


def _housekeeping() -> list[Column[Any]]:
    """created_at, updated_at and version, identical on every table."""
    return [
        Column("created_at", UtcDateTime(), nullable=False, default=utcnow),
        Column("updated_at", UtcDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
        Column("version", Integer(), nullable=False, default=1, server_default=text("1")),
    ]


def _currency() -> Column[str]:
    return Column(
        "currency",
        Unicode(3),
        nullable=False,
        default=DEFAULT_CURRENCY,
        server_default=text(f"'{DEFAULT_CURRENCY}'"),
    )


sales_reps = Table(
    "sales_reps",
    metadata,
    _key(),
    Column("given_name", Unicode(NAME_LEN), nullable=False),
    Column("family_name", Unicode(NAME_LEN), nullable=False),
    Column("email", Unicode(EMAIL_LEN), nullable=False),
    Column("phone", Unicode(PHONE_LEN)),
    Column("territory", Unicode(20)),  # the parish a rep covers, if any
    Column("active", Boolean(), nullable=False, default=True, server_default=true()),
    *_housekeeping(),
    UniqueConstraint("email"),
    CheckConstraint(one_of("territory", PARISHES), name="territory"),
    CheckConstraint("version >= 1", name="version"),
)

customers = Table(
    "customers",
    metadata,
    _key(),
    Column("kind", Unicode(10), nullable=False),
    Column("given_name", Unicode(NAME_LEN)),
    Column("family_name", Unicode(NAME_LEN)),
    Column("company_name", Unicode(COMPANY_LEN)),
    Column("email", Unicode(EMAIL_LEN)),
    Column("phone", Unicode(PHONE_LEN)),
    Column("address_line1", Unicode(ADDRESS_LEN)),
    Column("address_line2", Unicode(ADDRESS_LEN)),
    Column("city", Unicode(NAME_LEN)),
    Column("parish", Unicode(20)),
    Column("date_of_birth", CalendarDate()),
    Column("website", Unicode(URL_LEN)),
    Column("notes", LongText()),
    Column("status", Unicode(20), nullable=False, default="active", server_default="active"),
    Column("owner_rep_id", Uuid(), ForeignKey("sales_reps.id")),
    *_housekeeping(),
    CheckConstraint(one_of("kind", CUSTOMER_KINDS), name="kind"),
    CheckConstraint(one_of("parish", PARISHES), name="parish"),
    CheckConstraint(one_of("status", CUSTOMER_STATUSES), name="status"),
    # A customer is findable by name: a person has one, a business has a company name.
    CheckConstraint(
        "(kind = 'person' AND (given_name IS NOT NULL OR family_name IS NOT NULL))"
        " OR (kind = 'business' AND company_name IS NOT NULL)",
        name="named",
    ),
    CheckConstraint("version >= 1", name="version"),
    # Not unique: duplicates are the norm in an SMB's records; resolution sorts them out.
    Index(None, "email"),
    Index(None, "phone"),
    Index(None, "parish"),
    Index(None, "owner_rep_id"),
    Index(None, "family_name", "given_name"),
)

marketing_campaigns = Table(
    "marketing_campaigns",
    metadata,
    _key(),
    Column("name", Unicode(COMPANY_LEN), nullable=False),
    Column("channel", Unicode(20), nullable=False),
    Column("status", Unicode(20), nullable=False, default="draft", server_default="draft"),
    Column("starts_on", CalendarDate()),
    Column("ends_on", CalendarDate()),
    Column("budget", Money()),
    _currency(),
    Column("owner_rep_id", Uuid(), ForeignKey("sales_reps.id")),
    *_housekeeping(),
    CheckConstraint(one_of("channel", INTERACTION_CHANNELS), name="channel"),
    CheckConstraint(one_of("status", CAMPAIGN_STATUSES), name="status"),
    CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates"),
    CheckConstraint("budget IS NULL OR budget >= 0", name="budget"),
    CheckConstraint("version >= 1", name="version"),
    Index(None, "owner_rep_id"),
)

# Who a campaign targeted and how they responded (Salesforce's CampaignMember shape).
# It has its own `id` like every other table, so the apply worker keys every event alike.
campaign_members = Table(
    "campaign_members",
    metadata,
    _key(),
    Column("campaign_id", Uuid(), ForeignKey("marketing_campaigns.id"), nullable=False),
    Column("customer_id", Uuid(), ForeignKey("customers.id"), nullable=False),
    Column("status", Unicode(20), nullable=False, default="targeted", server_default="targeted"),
    Column("responded_at", UtcDateTime()),
    *_housekeeping(),
    UniqueConstraint("campaign_id", "customer_id"),
    CheckConstraint(one_of("status", MEMBER_STATUSES), name="status"),
    CheckConstraint("version >= 1", name="version"),
    Index(None, "customer_id"),
)

customer_interactions = Table(
    "customer_interactions",
    metadata,
    _key(),
    Column("customer_id", Uuid(), ForeignKey("customers.id"), nullable=False),
    Column("rep_id", Uuid(), ForeignKey("sales_reps.id")),
    Column("campaign_id", Uuid(), ForeignKey("marketing_campaigns.id")),
    Column("channel", Unicode(20), nullable=False),
    Column("direction", Unicode(10)),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("subject", Unicode(COMPANY_LEN)),
    Column("notes", LongText()),
    Column("outcome", Unicode(50)),
    *_housekeeping(),
    CheckConstraint(one_of("channel", INTERACTION_CHANNELS), name="channel"),
    CheckConstraint(one_of("direction", DIRECTIONS), name="direction"),
    CheckConstraint("version >= 1", name="version"),
    Index(None, "customer_id", "occurred_at"),
    Index(None, "rep_id"),
    Index(None, "campaign_id"),
)

transactions = Table(
    "transactions",
    metadata,
    _key(),
    Column("customer_id", Uuid(), ForeignKey("customers.id"), nullable=False),
    Column("campaign_id", Uuid(), ForeignKey("marketing_campaigns.id")),  # attribution
    Column("kind", Unicode(10), nullable=False, default="sale", server_default="sale"),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("amount", Money(), nullable=False),
    _currency(),
    Column("reference", Unicode(64)),  # invoice or receipt number
    Column("description", Unicode(URL_LEN)),
    *_housekeeping(),
    CheckConstraint(one_of("kind", TRANSACTION_KINDS), name="kind"),
    CheckConstraint("version >= 1", name="version"),
    Index(None, "customer_id", "occurred_at"),
    Index(None, "campaign_id"),
    Index(None, "reference"),
)

social_media_profiles = Table(
    "social_media_profiles",
    metadata,
    _key(),
    Column("customer_id", Uuid(), ForeignKey("customers.id"), nullable=False),
    Column("platform", Unicode(20), nullable=False),
    Column("handle", Unicode(NAME_LEN), nullable=False),
    Column("url", Unicode(URL_LEN)),
    Column("followers", Integer()),
    Column("verified", Boolean(), nullable=False, default=False, server_default=false()),
    *_housekeeping(),
    UniqueConstraint("platform", "handle"),
    CheckConstraint(one_of("platform", PLATFORMS), name="platform"),
    CheckConstraint("followers IS NULL OR followers >= 0", name="followers"),
    CheckConstraint("version >= 1", name="version"),
    Index(None, "customer_id"),
)

# The transactional outbox: where a system of record with no change log Debezium can read
# (SQLite, the embedded default) keeps the change events it writes in the same
# transaction as each change; `workers.cdc.outbox` relays them to the bus in `id` order
# and marks them sent. `id` is the position apply compares (the log position of a change,
# as PostgreSQL's LSN is): SQLite hands out AUTOINCREMENT ids in commit order, since it
# has one writer at a time, and never reuses one.
outbox = Table(
    "outbox",
    metadata,
    Column(
        "id",
        BigInteger().with_variant(Integer(), "sqlite"),  # INTEGER: SQLite's rowid alias
        primary_key=True,
        autoincrement=True,
    ),
    Column("topic", Unicode(255), nullable=False),
    Column("message_key", Unicode(255), nullable=False),  # `{"id":"..."}`, as Debezium keys
    Column("value", LongText()),  # the Debezium JSON envelope
    Column("created_at", UtcDateTime(), nullable=False, default=utcnow),
    Column("sent_at", UtcDateTime()),  # NULL until the bus has it
    Index(None, "sent_at", "id"),
    sqlite_autoincrement=True,
)
OUTBOX = "outbox"

# The data tables in dependency order (referenced first): creation, CDC enabling, and the
# order a consumer snapshot should apply them in. The outbox is plumbing, not data: it is
# neither captured nor CDC-enabled.
TABLES: tuple[Table, ...] = tuple(t for t in metadata.sorted_tables if t.name != OUTBOX)
TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)
# The tables whose changes reach the graph: what Debezium captures
# (`workers.cdc.capture.CAPTURED_TABLES`) and what the outbox carries.
CAPTURED_TABLE_NAMES: tuple[str, ...] = ("customers", "customer_interactions", "transactions")

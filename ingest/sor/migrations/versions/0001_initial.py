"""The system of record: every table.

Frozen on purpose: a migration states the schema as it was when written, so it imports
nothing from `ingest.sor.schema` (whose types and lists may change later).

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mssql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARISHES = "('Kingston', 'St. Andrew', 'St. Thomas', 'Portland', 'St. Mary', 'St. Ann', 'Trelawny', 'St. James', 'Hanover', 'Westmoreland', 'St. Elizabeth', 'Manchester', 'Clarendon', 'St. Catherine')"


def _timestamp() -> sa.types.TypeEngine[Any]:
    """UTC, naive: DATETIME2 on SQL Server."""
    return sa.DateTime().with_variant(mssql.DATETIME2(), "mssql")  # type: ignore[no-untyped-call]


def _date() -> sa.types.TypeEngine[Any]:
    return sa.Date().with_variant(mssql.DATE(), "mssql")


def _long_text() -> sa.types.TypeEngine[Any]:
    """NVARCHAR(max) on SQL Server, not NTEXT."""
    return sa.UnicodeText().with_variant(mssql.NVARCHAR(), "mssql")


def upgrade() -> None:
    op.create_table(
        "sales_reps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("given_name", sa.Unicode(length=100), nullable=False),
        sa.Column("family_name", sa.Unicode(length=100), nullable=False),
        sa.Column("email", sa.Unicode(length=254), nullable=False),
        sa.Column("phone", sa.Unicode(length=16), nullable=True),
        sa.Column("territory", sa.Unicode(length=20), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(f"territory IN {_PARISHES}", name=op.f("ck_sales_reps_territory")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_sales_reps_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_reps")),
        sa.UniqueConstraint("email", name=op.f("uq_sales_reps_email")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Unicode(length=10), nullable=False),
        sa.Column("given_name", sa.Unicode(length=100), nullable=True),
        sa.Column("family_name", sa.Unicode(length=100), nullable=True),
        sa.Column("company_name", sa.Unicode(length=200), nullable=True),
        sa.Column("email", sa.Unicode(length=254), nullable=True),
        sa.Column("phone", sa.Unicode(length=16), nullable=True),
        sa.Column("address_line1", sa.Unicode(length=200), nullable=True),
        sa.Column("address_line2", sa.Unicode(length=200), nullable=True),
        sa.Column("city", sa.Unicode(length=100), nullable=True),
        sa.Column("parish", sa.Unicode(length=20), nullable=True),
        sa.Column("date_of_birth", _date(), nullable=True),
        sa.Column("website", sa.Unicode(length=400), nullable=True),
        sa.Column("notes", _long_text(), nullable=True),
        sa.Column("status", sa.Unicode(length=20), server_default="active", nullable=False),
        sa.Column("owner_rep_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "(kind = 'person' AND (given_name IS NOT NULL OR family_name IS NOT NULL)) OR (kind = 'business' AND company_name IS NOT NULL)",
            name=op.f("ck_customers_named"),
        ),
        sa.CheckConstraint("kind IN ('person', 'business')", name=op.f("ck_customers_kind")),
        sa.CheckConstraint(f"parish IN {_PARISHES}", name=op.f("ck_customers_parish")),
        sa.CheckConstraint(
            "status IN ('lead', 'prospect', 'active', 'inactive')", name=op.f("ck_customers_status")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_customers_version")),
        sa.ForeignKeyConstraint(
            ["owner_rep_id"], ["sales_reps.id"], name=op.f("fk_customers_owner_rep_id_sales_reps")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_index(op.f("ix_customers_email"), "customers", ["email"], unique=False)
    op.create_index(
        op.f("ix_customers_family_name_given_name"),
        "customers",
        ["family_name", "given_name"],
        unique=False,
    )
    op.create_index(op.f("ix_customers_owner_rep_id"), "customers", ["owner_rep_id"], unique=False)
    op.create_index(op.f("ix_customers_parish"), "customers", ["parish"], unique=False)
    op.create_index(op.f("ix_customers_phone"), "customers", ["phone"], unique=False)

    op.create_table(
        "marketing_campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Unicode(length=200), nullable=False),
        sa.Column("channel", sa.Unicode(length=20), nullable=False),
        sa.Column("status", sa.Unicode(length=20), server_default="draft", nullable=False),
        sa.Column("starts_on", _date(), nullable=True),
        sa.Column("ends_on", _date(), nullable=True),
        sa.Column("budget", sa.DECIMAL(precision=18, scale=2), nullable=True),
        sa.Column(
            "currency", sa.Unicode(length=3), server_default=sa.text("'JMD'"), nullable=False
        ),
        sa.Column("owner_rep_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "channel IN ('call', 'email', 'sms', 'whatsapp', 'meeting', 'visit', 'social', 'other')",
            name=op.f("ck_marketing_campaigns_channel"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'completed', 'cancelled')",
            name=op.f("ck_marketing_campaigns_status"),
        ),
        sa.CheckConstraint(
            "budget IS NULL OR budget >= 0", name=op.f("ck_marketing_campaigns_budget")
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_marketing_campaigns_dates"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_marketing_campaigns_version")),
        sa.ForeignKeyConstraint(
            ["owner_rep_id"],
            ["sales_reps.id"],
            name=op.f("fk_marketing_campaigns_owner_rep_id_sales_reps"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_campaigns")),
    )
    op.create_index(
        op.f("ix_marketing_campaigns_owner_rep_id"),
        "marketing_campaigns",
        ["owner_rep_id"],
        unique=False,
    )

    op.create_table(
        "campaign_members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.Unicode(length=20), server_default="targeted", nullable=False),
        sa.Column("responded_at", _timestamp(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "status IN ('targeted', 'responded', 'converted', 'opted_out')",
            name=op.f("ck_campaign_members_status"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_campaign_members_version")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["marketing_campaigns.id"],
            name=op.f("fk_campaign_members_campaign_id_marketing_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_campaign_members_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_members")),
        sa.UniqueConstraint(
            "campaign_id", "customer_id", name=op.f("uq_campaign_members_campaign_id_customer_id")
        ),
    )
    op.create_index(
        op.f("ix_campaign_members_customer_id"), "campaign_members", ["customer_id"], unique=False
    )

    op.create_table(
        "customer_interactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("rep_id", sa.Uuid(), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.Unicode(length=20), nullable=False),
        sa.Column("direction", sa.Unicode(length=10), nullable=True),
        sa.Column("occurred_at", _timestamp(), nullable=False),
        sa.Column("subject", sa.Unicode(length=200), nullable=True),
        sa.Column("notes", _long_text(), nullable=True),
        sa.Column("outcome", sa.Unicode(length=50), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "channel IN ('call', 'email', 'sms', 'whatsapp', 'meeting', 'visit', 'social', 'other')",
            name=op.f("ck_customer_interactions_channel"),
        ),
        sa.CheckConstraint(
            "direction IN ('inbound', 'outbound')", name=op.f("ck_customer_interactions_direction")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_customer_interactions_version")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["marketing_campaigns.id"],
            name=op.f("fk_customer_interactions_campaign_id_marketing_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_interactions_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["sales_reps.id"], name=op.f("fk_customer_interactions_rep_id_sales_reps")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_interactions")),
    )
    op.create_index(
        op.f("ix_customer_interactions_campaign_id"),
        "customer_interactions",
        ["campaign_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customer_interactions_customer_id_occurred_at"),
        "customer_interactions",
        ["customer_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customer_interactions_rep_id"), "customer_interactions", ["rep_id"], unique=False
    )

    op.create_table(
        "social_media_profiles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.Unicode(length=20), nullable=False),
        sa.Column("handle", sa.Unicode(length=100), nullable=False),
        sa.Column("url", sa.Unicode(length=400), nullable=True),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("verified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "platform IN ('facebook', 'instagram', 'x', 'tiktok', 'linkedin', 'youtube', 'whatsapp')",
            name=op.f("ck_social_media_profiles_platform"),
        ),
        sa.CheckConstraint(
            "followers IS NULL OR followers >= 0", name=op.f("ck_social_media_profiles_followers")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_social_media_profiles_version")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_social_media_profiles_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_media_profiles")),
        sa.UniqueConstraint(
            "platform", "handle", name=op.f("uq_social_media_profiles_platform_handle")
        ),
    )
    op.create_index(
        op.f("ix_social_media_profiles_customer_id"),
        "social_media_profiles",
        ["customer_id"],
        unique=False,
    )

    op.create_table(
        "transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.Unicode(length=10), server_default="sale", nullable=False),
        sa.Column("occurred_at", _timestamp(), nullable=False),
        sa.Column("amount", sa.DECIMAL(precision=18, scale=2), nullable=False),
        sa.Column(
            "currency", sa.Unicode(length=3), server_default=sa.text("'JMD'"), nullable=False
        ),
        sa.Column("reference", sa.Unicode(length=64), nullable=True),
        sa.Column("description", sa.Unicode(length=400), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('sale', 'refund', 'payment', 'credit')", name=op.f("ck_transactions_kind")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_transactions_version")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["marketing_campaigns.id"],
            name=op.f("fk_transactions_campaign_id_marketing_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_transactions_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
    )
    op.create_index(
        op.f("ix_transactions_campaign_id"), "transactions", ["campaign_id"], unique=False
    )
    op.create_index(
        op.f("ix_transactions_customer_id_occurred_at"),
        "transactions",
        ["customer_id", "occurred_at"],
        unique=False,
    )
    op.create_index(op.f("ix_transactions_reference"), "transactions", ["reference"], unique=False)


def downgrade() -> None:
    # Indexes, keys and constraints go with their tables; referencing tables first.
    op.drop_table("transactions")
    op.drop_table("social_media_profiles")
    op.drop_table("customer_interactions")
    op.drop_table("campaign_members")
    op.drop_table("marketing_campaigns")
    op.drop_table("customers")
    op.drop_table("sales_reps")

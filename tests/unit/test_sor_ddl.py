"""The system-of-record schema as each dialect's DDL, the migration's SQL Server script,
the CDC script's table list, and the boundary models. No database needed: SQL Server
cannot run here, so its DDL is checked as SQLAlchemy's mssql dialect compiles it."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Dialect, Table, event
from sqlalchemy.dialects import mssql, postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql import ClauseElement

from c360.settings import REPO_ROOT
from ingest.normalise import PARISHES
from ingest.sor import schema
from ingest.sor.db import SystemOfRecord, create_all, engine_for
from ingest.sor.migrate import upgrade_sql
from ingest.sor.models import CustomerIn, SalesRepIn, TransactionIn
from ingest.sor.schema import TABLE_NAMES, TABLES, metadata

MSSQL: Dialect = mssql.dialect()  # type: ignore[no-untyped-call]
POSTGRESQL: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
SQLITE: Dialect = sqlite.dialect()

REQUIRED_TABLES = {
    "customers",
    "customer_interactions",
    "transactions",
    "social_media_profiles",
    "marketing_campaigns",
    "sales_reps",
}

# (table, column, referred table): every foreign key the schema must have.
FOREIGN_KEYS = [
    ("customers", "owner_rep_id", "sales_reps"),
    ("customer_interactions", "customer_id", "customers"),
    ("customer_interactions", "rep_id", "sales_reps"),
    ("customer_interactions", "campaign_id", "marketing_campaigns"),
    ("transactions", "customer_id", "customers"),
    ("transactions", "campaign_id", "marketing_campaigns"),
    ("social_media_profiles", "customer_id", "customers"),
    ("campaign_members", "campaign_id", "marketing_campaigns"),
    ("campaign_members", "customer_id", "customers"),
    ("marketing_campaigns", "owner_rep_id", "sales_reps"),
]


def ddl(table: Table, dialect: Dialect) -> str:
    return str(CreateTable(table).compile(dialect=dialect))


def column_line(sql: str, column: str) -> str:
    found = re.search(rf"^\s*{column} (.*?),?\s*$", sql, re.MULTILINE)
    assert found, f"no column {column} in\n{sql}"
    return found.group(1)


def all_ddl(dialect: Dialect) -> str:
    parts = []
    for table in TABLES:
        parts.append(ddl(table, dialect))
        parts += [str(CreateIndex(i).compile(dialect=dialect)) for i in table.indexes]
    return "\n".join(parts)


def test_every_table_is_there_with_the_shared_columns() -> None:
    assert set(TABLE_NAMES) >= REQUIRED_TABLES
    for table in TABLES:
        assert [c.name for c in table.primary_key.columns] == ["id"], table.name
        for column in ("created_at", "updated_at", "version"):
            assert column in table.c, f"{table.name}.{column}"
            assert not table.c[column].nullable


def test_mssql_types() -> None:
    dialect = MSSQL
    for table in TABLES:
        sql = ddl(table, dialect)
        assert column_line(sql, "id") == "UNIQUEIDENTIFIER NOT NULL"
        assert column_line(sql, "created_at") == "DATETIME2 NOT NULL"
        assert column_line(sql, "updated_at") == "DATETIME2 NOT NULL"
        assert "NTEXT" not in sql and " DATETIME " not in sql and " TEXT" not in sql
    customers = ddl(schema.customers, dialect)
    assert column_line(customers, "email") == "NVARCHAR(254) NULL"
    assert column_line(customers, "company_name") == "NVARCHAR(200) NULL"
    assert column_line(customers, "phone") == "NVARCHAR(16) NULL"
    assert column_line(customers, "notes") == "NVARCHAR(max) NULL"
    assert column_line(customers, "date_of_birth") == "DATE NULL"
    assert column_line(customers, "owner_rep_id") == "UNIQUEIDENTIFIER NULL"
    transactions = ddl(schema.transactions, dialect)
    assert column_line(transactions, "amount") == "DECIMAL(18, 2) NOT NULL"
    assert column_line(transactions, "currency") == "NVARCHAR(3) NOT NULL DEFAULT 'JMD'"
    assert column_line(transactions, "occurred_at") == "DATETIME2 NOT NULL"
    campaigns = ddl(schema.marketing_campaigns, dialect)
    assert column_line(campaigns, "budget") == "DECIMAL(18, 2) NULL"
    assert column_line(campaigns, "currency") == "NVARCHAR(3) NOT NULL DEFAULT 'JMD'"
    assert column_line(ddl(schema.sales_reps, dialect), "active") == "BIT NOT NULL DEFAULT 1"


@pytest.mark.parametrize("dialect", [MSSQL, POSTGRESQL, SQLITE], ids=lambda d: d.name)
def test_checks_and_foreign_keys_on_every_dialect(dialect: Dialect) -> None:
    customers = ddl(schema.customers, dialect)
    parish_check = re.search(
        r"CONSTRAINT ck_customers_parish CHECK \(parish IN \((.*?)\)\)", customers
    )
    assert parish_check, customers
    assert re.findall(r"'([^']*)'", parish_check.group(1)) == list(PARISHES)
    assert len(PARISHES) == 14
    assert "CONSTRAINT ck_customers_kind CHECK (kind IN ('person', 'business'))" in customers
    assert "CONSTRAINT ck_sales_reps_territory CHECK (territory IN (" in ddl(
        schema.sales_reps, dialect
    )
    for table, column, referred in FOREIGN_KEYS:
        sql = ddl(metadata.tables[table], dialect)
        expected = (
            f"CONSTRAINT fk_{table}_{column}_{referred} "
            f"FOREIGN KEY({column}) REFERENCES {referred} (id)"
        )
        assert expected in sql, f"{table}.{column} -> {referred}"
        assert "ON DELETE" not in sql  # SQL Server refuses multiple cascade paths


def test_indexes() -> None:
    sql = all_ddl(MSSQL)
    for index in (
        "ix_customers_email ON customers (email)",
        "ix_customers_phone ON customers (phone)",
        "ix_customers_parish ON customers (parish)",
        "ix_customers_owner_rep_id ON customers (owner_rep_id)",
        "ix_customer_interactions_customer_id_occurred_at",
        "ix_transactions_customer_id_occurred_at",
        "ix_social_media_profiles_customer_id",
    ):
        assert f"CREATE INDEX {index}" in sql
    # duplicates are expected in an SMB's customers: email is indexed, not unique
    assert "UNIQUE (email)" not in ddl(schema.customers, MSSQL)


def test_postgresql_types() -> None:
    dialect = POSTGRESQL
    for table in TABLES:
        sql = ddl(table, dialect)
        assert column_line(sql, "id") == "UUID NOT NULL"
        assert column_line(sql, "created_at") == "TIMESTAMP WITHOUT TIME ZONE NOT NULL"
    transactions = ddl(schema.transactions, dialect)
    assert column_line(transactions, "amount") == "DECIMAL(18, 2) NOT NULL"
    assert column_line(transactions, "currency") == "VARCHAR(3) DEFAULT 'JMD' NOT NULL"
    assert column_line(ddl(schema.sales_reps, dialect), "active") == "BOOLEAN DEFAULT true NOT NULL"


def test_sqlite_types() -> None:
    dialect = SQLITE
    for table in TABLES:
        sql = ddl(table, dialect)
        assert column_line(sql, "id") == "CHAR(32) NOT NULL"
        assert column_line(sql, "created_at") == "DATETIME NOT NULL"
    assert column_line(ddl(schema.transactions, dialect), "amount") == "DECIMAL(18, 2) NOT NULL"


def _normalised_lines(sql: str) -> set[str]:
    lines = (line.strip().rstrip(",;").strip() for line in sql.splitlines())
    return {line for line in lines if line and line != ")"}


def test_the_migration_script_for_sql_server_matches_the_schema() -> None:
    """The frozen first revision emits, line for line, the DDL the metadata does."""
    script = upgrade_sql("mssql+pyodbc://sor")
    emitted = _normalised_lines(script)
    missing = sorted(_normalised_lines(all_ddl(MSSQL)) - emitted)
    assert not missing, missing
    assert script.count("\nGO\n") > len(TABLES)  # batches a DBA can run with sqlcmd


def test_the_cdc_script_enables_every_table() -> None:
    text = (REPO_ROOT / "compose" / "sqlserver" / "enable_cdc.sql").read_text()
    enabled = re.findall(
        r"EXEC sys\.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'(\w+)', "
        r"@role_name = NULL, @supports_net_changes = 1;",
        text,
    )
    assert enabled == list(TABLE_NAMES)
    assert text.index("EXEC sys.sp_cdc_enable_db;") < text.index("EXEC sys.sp_cdc_enable_table")


def test_every_statement_the_port_runs_compiles_for_sql_server() -> None:
    """SQL Server cannot run here, so run the port on an in-memory SQLite, catch each
    statement it executes, and compile it for SQL Server: T-SQL has no boolean select
    expressions (SELECT EXISTS ...), and FOR UPDATE must become a lock hint."""
    engine = engine_for("sqlite://")
    create_all(engine)
    statements: list[ClauseElement] = []

    @event.listens_for(engine, "before_execute")
    def catch(conn: Any, clause: Any, *args: Any) -> None:
        if isinstance(clause, ClauseElement):
            statements.append(clause)

    sor = SystemOfRecord(engine)
    rep = sor.upsert_sales_rep({"given_name": "A", "family_name": "B", "email": "a@b.example"})
    customer = sor.upsert_customer(
        {"kind": "business", "company_name": "C", "owner_rep_id": rep["id"]}
    )
    sor.upsert_customer({"id": customer["id"], "notes": "n"}, expected_version=1)
    sor.record_interaction({"customer_id": customer["id"], "channel": "call"})
    sor.record_transaction({"customer_id": customer["id"], "amount": 1})
    sor.get_customer(customer["id"])
    sor.close()

    compiled = [str(s.compile(dialect=MSSQL)) for s in statements]
    assert len(compiled) > 10
    assert not [c for c in compiled if "EXISTS" in c.split("FROM")[0]]
    locked = [c for c in compiled if "WITH (UPDLOCK, ROWLOCK)" in c]
    assert len(locked) == 1  # the update reads its row locked (the inserts had no id)
    assert all("FOR UPDATE" not in c for c in compiled)


# --- the boundary models -------------------------------------------------------------


def test_customer_values_are_put_in_stored_form() -> None:
    row = CustomerIn.model_validate(
        {
            "kind": "person",
            "given_name": "  Tanya ",
            "email": "Tanya.Brown@Example.COM",
            "phone": "876-555-1234",
            "parish": "saint andrew",
            "notes": "",
        }
    ).model_dump(exclude_unset=True)
    assert row == {
        "kind": "person",
        "given_name": "Tanya",
        "email": "Tanya.Brown@example.com",
        "phone": "+18765551234",
        "parish": "St. Andrew",
        "notes": None,
    }
    assert SalesRepIn.model_validate({"territory": "ST. JAMES"}).territory == "St. James"
    assert TransactionIn.model_validate({"amount": "1500.5", "currency": "usd"}).currency == "USD"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("parish", "Montego Bay", "is not a parish of Jamaica"),
        ("kind", "robot", "'person' or 'business'"),
        ("email", "tanya@", "is not a valid email address"),
        ("email", "tanya brown@example.com", "is not a valid email address"),
        ("email", "a" * 250 + "@example.com", "at most 254 characters"),
        ("phone", "12", "too short"),
        ("date_of_birth", "2999-01-01", "not a plausible date of birth"),
        ("given_name", "x" * 101, "at most 100 characters"),
        ("website", "not a site", "not a web address"),
        ("shoe_size", 9, "Extra inputs are not permitted"),
    ],
)
def test_customer_refusals_name_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CustomerIn.model_validate({field: value})
    errors = caught.value.errors()
    assert [e["loc"] for e in errors] == [(field,)]
    assert message in errors[0]["msg"]


def test_money_is_exact_to_the_cent() -> None:
    assert TransactionIn.model_validate({"amount": "12345.67"}).amount == Decimal("12345.67")
    with pytest.raises(ValidationError, match="2 decimal places"):
        TransactionIn.model_validate({"amount": "1.005"})


def test_the_outbox_table_on_each_dialect() -> None:
    """The outbox is plumbing: in the metadata and the migrations, never among the data
    tables CDC captures; its id is SQLite's rowid (AUTOINCREMENT: never reused, so a
    position only goes up) and a BIGINT identity elsewhere."""
    assert "outbox" not in TABLE_NAMES and "outbox" in metadata.tables
    assert set(schema.CAPTURED_TABLE_NAMES) <= set(TABLE_NAMES)
    sqlite_sql = ddl(schema.outbox, SQLITE)
    assert column_line(sqlite_sql, "id") == "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT"
    assert column_line(ddl(schema.outbox, POSTGRESQL), "id") == "BIGSERIAL NOT NULL"
    mssql_sql = ddl(schema.outbox, MSSQL)
    assert column_line(mssql_sql, "id") == "BIGINT NOT NULL IDENTITY"
    assert column_line(mssql_sql, "value") == "NVARCHAR(max) NULL"
    script = upgrade_sql("mssql+pyodbc://sor")
    assert "CREATE TABLE outbox" in script and "CREATE INDEX ix_outbox_sent_at_id" in script

"""The transactional outbox: change events a SQLite system of record writes in the same
transaction as each change, relayed to the bus by `workers.cdc.outbox`.

Frozen on purpose, like 0001: it imports nothing from `ingest.sor.schema`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mssql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    timestamp = sa.DateTime().with_variant(mssql.DATETIME2(), "mssql")  # type: ignore[no-untyped-call]
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("topic", sa.Unicode(length=255), nullable=False),
        sa.Column("message_key", sa.Unicode(length=255), nullable=False),
        sa.Column("value", sa.UnicodeText().with_variant(mssql.NVARCHAR(), "mssql"), nullable=True),
        sa.Column("created_at", timestamp, nullable=False),
        sa.Column("sent_at", timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_outbox_sent_at_id"), "outbox", ["sent_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("outbox")

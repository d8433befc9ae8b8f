"""The relational system of record (SQL Server in production, PostgreSQL in tests,
SQLite embedded): its schema, migrations and the `SystemOfRecord` port. The graph
follows it through change data capture; nothing here knows about the graph."""

from __future__ import annotations

from ingest.sor.db import SystemOfRecord, create_all, drop_all, engine_for
from ingest.sor.errors import (
    ConstraintViolation,
    InvalidRow,
    MissingReference,
    SorError,
    StaleVersion,
)
from ingest.sor.migrate import downgrade, upgrade

__all__ = [
    "ConstraintViolation",
    "InvalidRow",
    "MissingReference",
    "SorError",
    "StaleVersion",
    "SystemOfRecord",
    "create_all",
    "downgrade",
    "drop_all",
    "engine_for",
    "upgrade",
]

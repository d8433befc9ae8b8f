"""PostgreSQL fixtures for change data capture: the machine's server at wal_level=logical
and a database of its own per session, migrated to head, dropped with its replication
slots afterwards.

Import them into a test module (`from tests.integration.pg_fixtures import
cdc_database_url, logical_postgres`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest.sor.migrate import upgrade
from workers.cdc.postgres import LogicalWalError, ensure_logical_wal, scratch_database

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture(scope="session")
def logical_postgres() -> str:
    """The machine's PostgreSQL with wal_level=logical (set and restarted only if needed)."""
    try:
        ensure_logical_wal(f"{PG_SERVER}/postgres")
    except LogicalWalError as exc:
        # Every machine this runs on has PostgreSQL: its absence is a failure, not a skip.
        pytest.fail(f"PostgreSQL cannot do logical decoding here: {exc}")
    return PG_SERVER


@pytest.fixture(scope="session")
def cdc_database_url(logical_postgres: str) -> Iterator[str]:
    """A fresh database holding the SoR schema; its slots and itself dropped at the end."""
    with scratch_database(logical_postgres, "c360_cdc_test_") as url:
        upgrade(url)
        yield url

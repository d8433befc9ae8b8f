"""PostgreSQL fixtures for change data capture: the machine's server at wal_level=logical
and a database of its own per session, migrated to head, dropped with its replication
slots afterwards.

Import them into a test module (`from tests.integration.pg_fixtures import
cdc_database_url, logical_postgres`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from ingest.sor.migrate import upgrade
from workers.cdc.postgres import LogicalWalError, ensure_logical_wal

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
TEST_DATABASE_PREFIX = "c360_cdc_test_"
LEFTOVER_AGE_S = 3 * 3600  # longer than any test session


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
    # The creation time in the name tells a killed session's database from a live one.
    name = f"{TEST_DATABASE_PREFIX}{int(time.time())}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
        drop_leftovers(admin)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{logical_postgres}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
            drop_slots(admin, name)
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def drop_leftovers(admin: psycopg.Connection[tuple[object, ...]]) -> None:
    """Databases (and their slots) of an earlier session that was killed before its clean
    up: their inactive slots would use up max_replication_slots. Only databases made more
    than LEFTOVER_AGE_S ago with no active slot are dropped; newer ones may belong to a
    session running now."""
    rows = admin.execute(
        "SELECT d.datname, bool_or(coalesce(s.active, false)) FROM pg_database d "
        "LEFT JOIN pg_replication_slots s ON s.database = d.datname "
        "WHERE d.datname LIKE %s GROUP BY d.datname",
        (TEST_DATABASE_PREFIX + "%",),
    ).fetchall()
    now = time.time()
    for database, active in rows:
        born = str(database)[len(TEST_DATABASE_PREFIX) :].split("_")[0]
        if active or not born.isdigit() or now - int(born) < LEFTOVER_AGE_S:
            continue  # in use, or not ours to judge, or maybe a session running now
        drop_slots(admin, str(database))
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(database)))
        )


def drop_slots(admin: psycopg.Connection[tuple[object, ...]], database: str) -> None:
    """Drop every replication slot of `database` (a slot left behind pins WAL forever)."""
    rows = admin.execute(
        "SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = %s", (database,)
    ).fetchall()
    for _slot, pid in rows:
        if pid is not None:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    for slot, _ in rows:
        for _attempt in range(50):
            try:
                admin.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
                break
            except psycopg.errors.ObjectInUse:
                time.sleep(0.1)
            except psycopg.errors.UndefinedObject:
                break

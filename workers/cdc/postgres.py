"""PostgreSQL set-up that Debezium needs: `wal_level = logical`.

Debezium's PostgreSQL connector reads the write-ahead log through a logical replication
slot, which PostgreSQL only offers at `wal_level = logical`; the setting takes effect on
a restart. `ensure_logical_wal` checks, sets it with ALTER SYSTEM and restarts the local
cluster only when needed, then waits until the server accepts connections again, so test
set-up and `c360 capture` can call it every time.

`scratch_database` is the disposable database of a test session or a benchmark, dropped
with its replication slots (scarce, and a slot left behind pins WAL forever).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy import make_url

log = logging.getLogger(__name__)


# A scratch database older than this with no active slot was left by a killed run.
LEFTOVER_AGE_S = 3 * 3600

Admin = psycopg.Connection[tuple[object, ...]]


class LogicalWalError(RuntimeError):
    """wal_level could not be made `logical` (no superuser, no local cluster, ...)."""


def libpq_dsn(url: str) -> str:
    """A libpq connection string from a SQLAlchemy URL (`postgresql+psycopg://...`) or a
    libpq string/URI given as is."""
    if "://" not in url or url.startswith(("postgresql://", "postgres://")):
        return url
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def wal_level(admin_url: str) -> str:
    with psycopg.connect(libpq_dsn(admin_url), autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SHOW wal_level").fetchone()
    return str(row[0]) if row else ""


def ensure_logical_wal(
    admin_url: str, *, restart_timeout_s: float = 60.0, restart: bool = True
) -> bool:
    """Make the server at `admin_url` run with `wal_level = logical`.

    Returns False when it already did (nothing touched), True when it was set and the
    cluster restarted. `admin_url` must be a superuser (ALTER SYSTEM). The restart uses
    `pg_ctlcluster` (Debian's wrapper) on the cluster the server names itself, so it only
    works for a server on this machine; LogicalWalError says what to do otherwise.
    """
    dsn = libpq_dsn(admin_url)
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise LogicalWalError(f"cannot connect to PostgreSQL at {admin_url}: {exc}") from exc
    with conn:
        level = _show(conn, "wal_level")
        if level == "logical":
            return False
        if _show(conn, "is_superuser") != "on":
            raise LogicalWalError(
                f"wal_level is {level!r} and the user of {admin_url} is no superuser: "
                "run ALTER SYSTEM SET wal_level = logical as one and restart PostgreSQL"
            )
        cluster = _show(conn, "cluster_name")  # "15/main" on Debian
        conn.execute("ALTER SYSTEM SET wal_level = logical")
    if not restart:
        raise LogicalWalError("wal_level set to logical; PostgreSQL must be restarted")
    _restart_cluster(cluster)
    _wait_accepting(dsn, restart_timeout_s)
    level = wal_level(dsn)
    if level != "logical":
        raise LogicalWalError(f"PostgreSQL restarted but wal_level is still {level!r}")
    log.info("PostgreSQL cluster %s restarted with wal_level=logical", cluster)
    return True


def _show(conn: psycopg.Connection[tuple[object, ...]], name: str) -> str:
    row = conn.execute(f"SHOW {name}").fetchone()
    return str(row[0]) if row else ""


def _restart_cluster(cluster: str) -> None:
    version, _, name = cluster.partition("/")
    tool = shutil.which("pg_ctlcluster")
    if not (version and name) or tool is None:
        raise LogicalWalError(
            f"wal_level set to logical, but cannot restart cluster {cluster!r} here "
            "(no pg_ctlcluster or no local Debian cluster): restart PostgreSQL by hand"
        )
    done = subprocess.run(
        [tool, "--skip-systemctl-redirect", version, name, "restart"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise LogicalWalError(
            f"pg_ctlcluster {version} {name} restart failed ({done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-1000:]}"
        )


def _wait_accepting(dsn: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            last = exc
            time.sleep(0.2)
    raise LogicalWalError(f"PostgreSQL did not accept connections within {timeout_s}s: {last}")


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A database of its own on the server at `server_url` (a SQLAlchemy URL without a
    database), named `<prefix><creation time>_<random>`; its URL is yielded and it is
    dropped with its slots at the end. Same-prefix databases made over LEFTOVER_AGE_S ago
    with no active slot, left by a killed run, are dropped first; newer ones may belong
    to a run going on now (the creation time in the name tells them apart)."""
    name = f"{prefix}{int(time.time())}_{uuid.uuid4().hex[:8]}"
    with _admin(server_url) as admin:
        _drop_leftovers(admin, prefix)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{server_url}/{name}"
    finally:
        with _admin(server_url) as admin:
            drop_database(admin, name)


def drop_database(admin: Admin, name: str) -> None:
    """Its replication slots first (their walsenders ended), then the database."""
    rows = admin.execute(
        "SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = %s", (name,)
    ).fetchall()
    for _slot, pid in rows:
        if pid is not None:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    for slot, _ in rows:
        for _attempt in range(100):
            try:
                admin.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
                break
            except psycopg.errors.ObjectInUse:  # its walsender is still going away
                time.sleep(0.1)
            except psycopg.errors.UndefinedObject:
                break
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _drop_leftovers(admin: Admin, prefix: str) -> None:
    rows = admin.execute(
        "SELECT d.datname, bool_or(coalesce(s.active, false)) FROM pg_database d "
        "LEFT JOIN pg_replication_slots s ON s.database = d.datname "
        "WHERE d.datname LIKE %s GROUP BY d.datname",
        (prefix + "%",),
    ).fetchall()
    now = time.time()
    for database, active in rows:
        born = str(database)[len(prefix) :].split("_")[0]
        if active or not born.isdigit() or now - int(born) < LEFTOVER_AGE_S:
            continue  # in use, or not ours to judge, or maybe a run going on now
        drop_database(admin, str(database))


def _admin(server_url: str) -> Admin:
    return psycopg.connect(libpq_dsn(f"{server_url}/postgres"), autocommit=True, connect_timeout=5)

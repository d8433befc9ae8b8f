"""PostgreSQL set-up that Debezium needs: `wal_level = logical`.

Debezium's PostgreSQL connector reads the write-ahead log through a logical replication
slot, which PostgreSQL only offers at `wal_level = logical`; the setting takes effect on
a restart. `ensure_logical_wal` checks, sets it with ALTER SYSTEM and restarts the local
cluster only when needed, then waits until the server accepts connections again, so test
set-up and `c360 capture` can call it every time.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time

import psycopg
from sqlalchemy import make_url

log = logging.getLogger(__name__)


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

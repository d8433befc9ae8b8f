"""Alembic migrations of the system of record, run from Python.

The configuration is built here rather than read from an ini file, so the URL (with any
password in it) never passes through ini interpolation and the service needs no file
beside the package. `ingest/sor/alembic.ini` is only for running the alembic command by
hand (`alembic -c ingest/sor/alembic.ini -x url=... upgrade head`).
"""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL

from ingest.sor.db import engine_for

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | URL | None = None) -> Config:
    """A Config pointing at our migrations and, if given, the database at `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.attributes["url"] = url if isinstance(url, str) else url.render_as_string(False)
    return config


def _run(url: str | URL, action: str, revision: str) -> None:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            config = alembic_config(url)
            config.attributes["connection"] = conn
            getattr(command, action)(config, revision)
            conn.commit()
    finally:
        engine.dispose()


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (creating every table from empty)."""
    _run(url, "upgrade", revision)


def downgrade(url: str | URL, revision: str = "base") -> None:
    """Take the database back to `revision`; "base" drops every SoR table."""
    _run(url, "downgrade", revision)


def current(url: str | URL) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    head_revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head_revision is not None
    return head_revision


def upgrade_sql(url: str | URL, revision: str = "head") -> str:
    """The migration as a SQL script for the dialect of `url`, without connecting:
    what a DBA reviews and applies on SQL Server (batches separated by GO)."""
    config = alembic_config(url)
    config.output_buffer = io.StringIO()
    command.upgrade(config, revision, sql=True)
    return config.output_buffer.getvalue()

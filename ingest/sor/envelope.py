"""Change events as Debezium writes them, for the outbox of a SQLite system of record.

The apply worker cannot tell these from the ones `c360 capture` publishes for PostgreSQL:
the same topic names (`<prefix>.public.<table>`), the same key (`{"id":"..."}`) and the
same JSON envelope with the converter settings capture uses (schemas off, timestamps as
epoch milliseconds and dates as days since 1970 (`time.precision.mode=connect`), money as
a decimal string (`decimal.handling.mode=string`)), ops `c`/`u`/`d` with before and after
images, and a source block whose `lsn` is the outbox row's id: a position that only goes
up, as PostgreSQL's LSN does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

from ingest.sor.schema import utcnow

CONNECTOR = "c360-outbox"
# The schema in a topic's name per dialect, as Debezium names it (capture's
# `workers.cdc.capture.SCHEMAS`; apply subscribes to PostgreSQL's for any other database).
TOPIC_SCHEMAS: dict[str, str] = {"postgresql": "public", "mssql": "dbo"}
_EPOCH_DAY = date(1970, 1, 1)


def topic_schema(dialect: str) -> str:
    return TOPIC_SCHEMAS.get(dialect, TOPIC_SCHEMAS["postgresql"])


def topic(prefix: str, dialect: str, table: str) -> str:
    """`<prefix>.<schema>.<table>`, the name Debezium gives the table's topic."""
    return f"{prefix}.{topic_schema(dialect)}.{table}"


def message_key(row_id: uuid.UUID | str) -> str:
    return orjson.dumps({"id": str(row_id)}).decode()


def _value(value: Any) -> Any:
    """One column value in the form Debezium's JSON converter gives it."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):  # stored naive UTC; the port hands back aware UTC
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return int(aware.timestamp() * 1000)
    if isinstance(value, date):
        return (value - _EPOCH_DAY).days
    if isinstance(value, Decimal):
        return str(value)
    return value


def image(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {str(k): _value(v) for k, v in row.items()}


def now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


def envelope(
    op: str,
    *,
    table: str,
    dialect: str,
    database: str | None,
    prefix: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    position: int,
    ts_ms: int,
) -> bytes:
    """The Debezium JSON envelope (schemas off) of one change."""
    source = {
        "version": "1",
        "connector": CONNECTOR,
        "name": prefix,
        "ts_ms": ts_ms,
        "snapshot": "false",
        "db": database or dialect,
        "schema": topic_schema(dialect),
        "table": table,
        "lsn": position,
    }
    change = {"before": image(before), "after": image(after), "source": source, "op": op}
    return orjson.dumps({**change, "ts_ms": ts_ms})

"""The capture worker: the Debezium embedded engine (PostgreSQL, SQL Server) -> the bus.

Debezium runs inside this process (`pydbzengine`, a JVM through JPype) on a thread of its
own. Each batch it hands over is published to the bus as the standard Debezium JSON
envelope (schemas off, as Debezium Connect is configured in `compose/`), one message per
change on topic `<prefix>.<schema>.<table>`, keyed by the row's primary key as Debezium
writes it (`{"id":"..."}`), so the apply side cannot tell this from Kafka Connect.

The connector follows the system of record's URL: `postgresql` reads the WAL through
`pgoutput` (topics `<prefix>.public.<table>`); `mssql` reads SQL Server's CDC change
tables (`compose/sqlserver/enable_cdc.sql` turns them on). Debezium names SQL Server
topics `<prefix>.<database>.dbo.<table>`; a RegexRouter drops the database, so the
topics are `<prefix>.dbo.<table>` whichever of this engine or Debezium Connect (the
same router in `compose/connect/sqlserver-connector.json`) captures them, and the apply
worker consumes them with `schema="dbo"` (`source_schema(url)`).

Delivery: the handler publishes the batch and flushes the bus *before* the batch is
marked finished, so an offset Debezium stores never runs ahead of what the bus holds. A
crash replays what came after the last stored offset (at most one flush interval):
at-least-once, which the apply side absorbs (version guards).

Failing loudly: `DebeziumEngine.run()` returns quietly when the connector fails. A
completion callback, a connector callback and a watchdog thread (the engine thread ended
while nobody asked it to; an ERROR line in the engine log) turn that into `CaptureError`
from `check()`, `wait_ready()`, `wait()` and a log line at ERROR with the reason.
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import psycopg
from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from workers.bus.port import EventBus
from workers.cdc.postgres import libpq_dsn

log = logging.getLogger(__name__)

# The tables the apply worker turns into graph evidence, without their schema.
CAPTURED_TABLES: tuple[str, ...] = ("customers", "customer_interactions", "transactions")
# Where those tables live on each dialect capture reads.
SCHEMAS: dict[str, str] = {"postgresql": "public", "mssql": "dbo"}
DEFAULT_TABLES: tuple[str, ...] = tuple(f"public.{t}" for t in CAPTURED_TABLES)
POLL_INTERVAL_MS: dict[str, int] = {
    "postgresql": 10,  # reads a replication stream already open: polling is cheap
    "mssql": 100,  # each poll queries the change tables of every captured table
}
LOG4J_CONFIG = Path(__file__).resolve().parent / "log4j2.properties"
H_CAPTURED_AT = "c360.captured_at"  # epoch ms when capture published the change


class CaptureError(RuntimeError):
    """The Debezium engine failed or stopped by itself; the message says why."""


class UnsupportedDatabase(CaptureError):
    """The system-of-record URL names a database capture cannot read."""


def _parse_url(db_url: str) -> URL:
    try:
        return make_url(db_url)
    except ArgumentError:
        raise UnsupportedDatabase(
            "the system-of-record URL (C360_SOR_URL) is not a SQLAlchemy URL; expected "
            "postgresql+psycopg://user:pass@host:5432/db or mssql+pyodbc://user:pass@host:1433/db"
        ) from None


def sor_dialect(db_url: str) -> str:
    """`postgresql` or `mssql`, the two databases capture reads; UnsupportedDatabase
    (naming the dialect and what to do) for any other."""
    dialect = _parse_url(db_url).get_backend_name()
    if dialect in SCHEMAS:
        return dialect
    if dialect == "sqlite":
        raise UnsupportedDatabase(
            "the system of record is SQLite, which has no change log Debezium can read; "
            "point C360_SOR_URL at PostgreSQL (postgresql+psycopg://...) or SQL Server "
            "(mssql+pyodbc://...) to run c360 capture"
        )
    raise UnsupportedDatabase(
        f"c360 capture reads PostgreSQL or SQL Server, not {dialect!r}; point C360_SOR_URL "
        "at one of them (postgresql+psycopg://... or mssql+pyodbc://...)"
    )


def source_schema(db_url: str | None) -> str:
    """The schema in the capture topics' names (`<prefix>.<schema>.<table>`) for the system
    of record at `db_url`: what the apply worker subscribes to. `dbo` for SQL Server;
    PostgreSQL's `public` for PostgreSQL, no URL, and a database capture does not read
    (whatever publishes its changes uses those names)."""
    if not db_url:
        return SCHEMAS["postgresql"]
    return SCHEMAS.get(_parse_url(db_url).get_backend_name(), SCHEMAS["postgresql"])


def tables_of(db_url: str) -> tuple[str, ...]:
    """The captured tables as the connector names them (`schema.table`)."""
    schema = SCHEMAS[sor_dialect(db_url)]
    return tuple(f"{schema}.{t}" for t in CAPTURED_TABLES)


def drop_database_segment(topic_prefix: str) -> dict[str, str]:
    """A RegexRouter that turns SQL Server's `<prefix>.<database>.<schema>.<table>` into
    `<prefix>.<schema>.<table>` (Kafka Connect's own transform, so the embedded engine and
    Debezium Connect route alike)."""
    return {
        "transforms": "route",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": re.escape(topic_prefix) + r"\.[^.]+\.([^.]+)\.([^.]+)",
        "transforms.route.replacement": topic_prefix + ".$1.$2",
    }


# The JSON envelope both capture paths produce, and what apply's decoding expects.
ENVELOPE_PROPERTIES: dict[str, str] = {
    "decimal.handling.mode": "string",  # money stays exact
    "time.precision.mode": "connect",  # timestamps as epoch ms, dates as days
    "tombstones.on.delete": "true",
    "converter.schemas.enable": "false",
    "key.converter.schemas.enable": "false",
    "value.converter.schemas.enable": "false",
}


def _query_flag(url: URL, name: str) -> bool | None:
    """An ODBC yes/no keyword of the URL's query (`Encrypt=no`), case-insensitively."""
    for key, value in url.query.items():
        if key.lower() == name.lower():
            text = (value if isinstance(value, str) else value[-1]).strip().lower()
            if text in ("yes", "true", "mandatory", "strict", "1"):
                return True
            if text in ("no", "false", "optional", "0"):
                return False
            raise UnsupportedDatabase(f"C360_SOR_URL: {key}={text!r} is neither yes nor no")
    return None


def topic_for(prefix: str, table: str) -> str:
    """The topic Debezium names for `schema.table` (`public.customers` ->
    `c360.public.customers`)."""
    return f"{prefix}.{table}"


_jvm_log: Path | None = None  # the engine log of this process's JVM (fixed at its start)


def _ensure_jvm(log_path: Path) -> Path:
    """Start the JVM once per process, with our log4j configuration and log file; returns
    the log file the JVM writes (the first capture's, for every later one)."""
    global _jvm_log
    jpype: Any = importlib.import_module("jpype")  # untyped

    if jpype.isJVMStarted():
        return _jvm_log or log_path
    from pydbzengine.engine.jvm import ensure_jvm_started

    log_path.parent.mkdir(parents=True, exist_ok=True)
    ensure_jvm_started(
        jvm_opts=[
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            f"-Dc360.cdc.log={log_path}",
            "-Xmx512m",
        ]
    )
    _jvm_log = log_path
    return log_path


class _Handler:
    """Publishes each Debezium batch and flushes the bus before it is marked finished."""

    def __init__(self, capture: Capture) -> None:
        self.capture = capture

    def handleJsonBatch(self, records: list[Any]) -> None:
        bus = self.capture.bus
        now = str(int(time.time() * 1000))
        for record in records:
            topic = str(record.destination())
            raw_key = record.key()
            raw_value = record.value()
            key = "" if raw_key is None else str(raw_key)
            value = None if raw_value is None else str(raw_value).encode()
            bus.publish(topic, key, value, {H_CAPTURED_AT: now})
        bus.flush()  # stored on the bus before Debezium may store the offsets
        self.capture._published(len(records))


class Capture:
    """Debezium (PostgreSQL or SQL Server, from `db_url`) -> `bus`. `start()`,
    `wait_ready()`, `stop()`; `check()` raises CaptureError once the engine has failed.
    A URL of another database raises UnsupportedDatabase here."""

    def __init__(
        self,
        db_url: str,
        bus: EventBus,
        *,
        offsets_path: Path | str,
        topic_prefix: str = "c360",
        tables: Sequence[str] | None = None,
        slot_name: str = "c360_capture",
        publication_name: str | None = None,
        name: str = "c360-capture",
        snapshot_mode: str = "initial",
        poll_interval_ms: int | None = None,
        offset_flush_interval_ms: int = 1000,
        log_path: Path | str | None = None,
        properties: Mapping[str, str] | None = None,
        on_failure: Callable[[CaptureError], None] | None = None,
    ) -> None:
        self.db_url = db_url
        self.dialect = sor_dialect(db_url)
        self.bus = bus
        self.offsets_path = Path(offsets_path)
        self.topic_prefix = topic_prefix
        self.tables = tuple(tables) if tables is not None else tables_of(db_url)
        self.slot_name = slot_name
        self.publication_name = publication_name or f"{slot_name}_pub"
        self.name = name
        self.snapshot_mode = snapshot_mode
        self.poll_interval_ms = poll_interval_ms or POLL_INTERVAL_MS[self.dialect]
        self.offset_flush_interval_ms = offset_flush_interval_ms
        self.log_path = Path(log_path) if log_path else self.offsets_path.parent / "debezium.log"
        self.extra_properties = dict(properties or {})
        self.on_failure = on_failure
        # counters (the worker exports them)
        self.events_published = 0
        self.batches_published = 0
        self.last_batch_at: float | None = None
        self._engine: Any = None
        self._thread: threading.Thread | None = None
        self._watchdog: threading.Thread | None = None
        self._stopping = threading.Event()
        self._task_started = threading.Event()
        self._done = threading.Event()
        self._error: CaptureError | None = None
        self._lock = threading.Lock()
        self._log_offset = 0

    # -- configuration -------------------------------------------------------------
    @property
    def topics(self) -> list[str]:
        return [topic_for(self.topic_prefix, t) for t in self.tables]

    @property
    def schema_history_path(self) -> Path:
        """SQL Server's schema history (the table structures the offsets refer to), kept
        beside the offsets: the two must be kept or lost together."""
        return self.offsets_path.with_name(self.offsets_path.stem + ".schema_history.dat")

    def properties(self) -> dict[str, str]:
        """The Debezium connector and engine properties."""
        url = _parse_url(self.db_url)
        props = {
            "name": self.name,
            "topic.prefix": self.topic_prefix,
            "table.include.list": ",".join(self.tables),
            "snapshot.mode": self.snapshot_mode,
            "poll.interval.ms": str(self.poll_interval_ms),
            "offset.storage": "org.apache.kafka.connect.storage.FileOffsetBackingStore",
            "offset.storage.file.filename": str(self.offsets_path),
            "offset.flush.interval.ms": str(self.offset_flush_interval_ms),
            **ENVELOPE_PROPERTIES,
        }
        if self.dialect == "mssql":
            props.update(self._sqlserver_properties(url))
        else:
            props.update(self._postgres_properties(url))
        props.update(self.extra_properties)
        return props

    def _postgres_properties(self, url: URL) -> dict[str, str]:
        return {
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "plugin.name": "pgoutput",
            "database.hostname": url.host or "127.0.0.1",
            "database.port": str(url.port or 5432),
            "database.user": url.username or "postgres",
            "database.password": url.password or "",
            "database.dbname": url.database or "postgres",
            "slot.name": self.slot_name,
            "publication.name": self.publication_name,
            "publication.autocreate.mode": "filtered",
        }

    def _sqlserver_properties(self, url: URL) -> dict[str, str]:
        if not url.host or not url.database:
            raise UnsupportedDatabase(
                "C360_SOR_URL: capture needs the SQL Server host and database in the URL "
                "(mssql+pyodbc://user:pass@host:1433/db?driver=...), not an ODBC DSN"
            )
        encrypt = _query_flag(url, "Encrypt")
        props = {
            "connector.class": "io.debezium.connector.sqlserver.SqlServerConnector",
            "database.hostname": url.host,
            "database.port": str(url.port or 1433),
            "database.user": url.username or "sa",
            "database.password": url.password or "",
            "database.names": url.database,
            # the JDBC driver encrypts by default and then wants a trusted certificate
            "database.encrypt": "true" if encrypt else "false",
            "schema.history.internal": "io.debezium.storage.file.history.FileSchemaHistory",
            "schema.history.internal.file.filename": str(self.schema_history_path),
            "include.schema.changes": "false",  # no consumer for the <prefix> DDL topic
            **drop_database_segment(self.topic_prefix),
        }
        if _query_flag(url, "TrustServerCertificate"):
            props["database.trustServerCertificate"] = "true"
        return props

    def validate(self) -> dict[str, list[str]]:
        """Debezium's own check of `properties()` (the connector also tries to connect):
        its error messages per property, {} when the connector would start. Starts this
        process's JVM if it is not running."""
        self.log_path = _ensure_jvm(self.log_path)
        jpype: Any = importlib.import_module("jpype")  # untyped
        props = self.properties()
        config = jpype.JClass("java.util.HashMap")()
        for key, value in props.items():
            config.put(key, value)
        result = jpype.JClass(props["connector.class"])().validate(config)
        return {
            str(value.name()): [str(m) for m in value.errorMessages()]
            for value in result.configValues()
            if len(value.errorMessages()) > 0
        }

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        """Start the engine on a thread of its own (snapshot first when no offsets)."""
        if self._thread is not None:
            raise CaptureError("this capture was started already; make a new one")
        self.offsets_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = _ensure_jvm(self.log_path)
        if self.log_path.exists():
            self._log_offset = self.log_path.stat().st_size
        self._engine = self._build()
        self._thread = threading.Thread(target=self._run, name="debezium-engine", daemon=True)
        self._thread.start()
        self._watchdog = threading.Thread(target=self._watch, name="capture-watchdog", daemon=True)
        self._watchdog.start()

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Wait until the connector task runs (and, on PostgreSQL, its replication slot is
        active), so a change committed from now on will be captured; CaptureError if it
        fails first. SQL Server keeps changes in its change tables until read, so a
        started task is enough there."""
        deadline = time.monotonic() + timeout_s
        while not self._task_started.wait(0.1):
            self.check()
            if time.monotonic() > deadline:
                raise CaptureError(f"the Debezium task did not start within {timeout_s}s")
        while self.dialect == "postgresql" and not self._slot_active():
            self.check()
            if time.monotonic() > deadline:
                raise CaptureError(f"replication slot {self.slot_name} not active in {timeout_s}s")
            time.sleep(0.1)
        self.check()

    def check(self) -> None:
        """Raise the engine's failure, if it has failed."""
        if self._error is not None:
            raise self._error

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> None:
        """Block until the engine stops (a worker's main loop); raise if it failed."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        self.check()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the engine cleanly: it finishes the batch in hand and stores offsets."""
        self._stopping.set()
        engine = self._engine
        if engine is not None:
            try:
                engine.close()
            except Exception as exc:  # a failing close is worth a line, not a crash
                log.warning("closing the Debezium engine: %s", exc)
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                raise CaptureError(f"the Debezium engine did not stop within {timeout_s}s")
        if self._watchdog is not None:
            self._watchdog.join(5)

    def __enter__(self) -> Capture:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------------
    def _published(self, count: int) -> None:
        with self._lock:
            self.events_published += count
            self.batches_published += 1
            self.last_batch_at = time.time()

    def _fail(self, reason: str) -> None:
        with self._lock:
            if self._error is not None:
                return
            self._error = CaptureError(reason)
        log.error("capture failed: %s", reason)
        if self.on_failure is not None:
            self.on_failure(self._error)

    def _build(self) -> Any:
        jpype: Any = importlib.import_module("jpype")  # untyped
        jvm: Any = importlib.import_module("pydbzengine.engine._jvm")  # needs the JVM up

        capture = self
        override = cast("Callable[[Callable[..., None]], Callable[..., None]]", jpype.JOverride)

        @jpype.JImplements("io.debezium.engine.DebeziumEngine$CompletionCallback")
        class Completion:
            @override
            def handle(self, success: Any, message: Any, error: Any) -> None:
                capture._completed(bool(success), str(message), error)

        @jpype.JImplements("io.debezium.engine.DebeziumEngine$ConnectorCallback")
        class Connector:
            @override
            def connectorStarted(self) -> None:
                log.info("debezium connector started")

            @override
            def connectorStopped(self) -> None:
                log.info("debezium connector stopped")

            @override
            def taskStarted(self) -> None:
                capture._task_started.set()

            @override
            def taskStopped(self) -> None:
                log.info("debezium task stopped")

        props = jvm.JProperties()
        for key, value in self.properties().items():
            props.setProperty(key, value)
        consumer = jvm.PythonChangeConsumer()
        consumer.set_change_handler(_Handler(self))
        self._consumer = consumer
        self._callbacks = (Completion(), Connector())  # kept alive while Java holds them
        return (
            jvm.JDebeziumEngine.create(jvm.EngineFormat.JSON)
            .using(props)
            .using(self._callbacks[0])
            .using(self._callbacks[1])
            .notifying(consumer)
            .build()
        )

    def _completed(self, success: bool, message: str, error: Any) -> None:
        if success and self._stopping.is_set():
            log.info("debezium engine stopped: %s", message)
            return
        detail = message
        if error is not None:
            detail += f" ({error})"
            cause = error.getCause() if hasattr(error, "getCause") else None
            if cause is not None:
                detail += f"; caused by {cause}"
        self._fail(f"Debezium engine stopped: {detail}")

    def _run(self) -> None:
        try:
            self._engine.run()
        except BaseException as exc:  # a JVM exception escaping run()
            self._fail(f"the Debezium engine raised {type(exc).__name__}: {exc}")
        finally:
            self._done.set()
        handler_error = getattr(self, "_consumer", None)
        if handler_error is not None and handler_error.error is not None:
            self._fail(f"publishing a batch failed: {handler_error.error!r}")

    def _watch(self) -> None:
        """The engine's own log says why a connector is unhappy; `run()` does not."""
        while not self._done.wait(0.5):
            self._scan_log()
        self._scan_log()
        if not self._stopping.is_set():
            self._fail(f"the Debezium engine stopped by itself; see {self.log_path}")

    def _scan_log(self) -> None:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                f.seek(self._log_offset)
                text = f.read()
                self._log_offset = f.tell()
        except FileNotFoundError:
            return
        for line in text.splitlines():
            if "[ERROR]" in line:
                log.error("debezium: %s", line)

    def _slot_active(self) -> bool:
        with psycopg.connect(libpq_dsn(self.db_url), autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT active FROM pg_replication_slots WHERE slot_name = %s", (self.slot_name,)
            ).fetchone()
        return bool(row and row[0])


def drop_slot(db_url: str, slot_name: str, publication_name: str | None = None) -> None:
    """Drop a capture's replication slot and publication (tests, decommissioning): a slot
    left behind keeps PostgreSQL from recycling WAL."""
    with psycopg.connect(libpq_dsn(db_url), autocommit=True, connect_timeout=5) as conn:
        deadline = time.monotonic() + 30
        while True:
            row = conn.execute(
                "SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s", (slot_name,)
            ).fetchone()
            if row is None:
                break
            if row[0] is not None:
                conn.execute("SELECT pg_terminate_backend(%s)", (row[0],))
                if time.monotonic() > deadline:
                    raise CaptureError(f"slot {slot_name} is still in use")
                time.sleep(0.2)
                continue
            conn.execute("SELECT pg_drop_replication_slot(%s)", (slot_name,))
            break
        if publication_name:
            conn.execute(f'DROP PUBLICATION IF EXISTS "{publication_name}"')


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m workers.cdc.capture --db-url ... --bootstrap ... --offsets ...`: one
    capture process (what `c360 capture` runs; tests kill -9 it)."""
    import argparse

    from workers.bus.kafka import KafkaBus

    parser = argparse.ArgumentParser(prog="workers.cdc.capture")
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--offsets", required=True)
    parser.add_argument("--prefix", default="c360")
    parser.add_argument("--slot", default="c360_capture")
    parser.add_argument("--tables", default="", help="schema.table,...; default: by dialect")
    parser.add_argument("--flush-interval-ms", type=int, default=1000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    bus = KafkaBus(args.bootstrap, client_id="c360-capture")
    capture = Capture(
        args.db_url,
        bus,
        offsets_path=args.offsets,
        topic_prefix=args.prefix,
        tables=[t for t in args.tables.split(",") if t] or None,
        slot_name=args.slot,
        offset_flush_interval_ms=args.flush_interval_ms,
    )
    capture.start()
    try:
        capture.wait_ready()
        print("capture ready", flush=True)
        capture.wait()
    except KeyboardInterrupt:
        capture.stop()
    except CaptureError as exc:
        print(f"capture failed: {exc}", flush=True)
        return 1
    finally:
        bus.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Engines and the `SystemOfRecord` port: the few writes the service makes to the SoR.

SQLAlchemy Core over SQL Server (`mssql+pyodbc://`), PostgreSQL (`postgresql+psycopg://`)
or a SQLite file (the embedded default). Every write is one transaction that validates
first, checks the rows it refers to, writes, bumps `version` and `updated_at`, and reads
the row back; a refused write leaves nothing behind.

The outbox: a SQLite system of record has no change log Debezium can read, so each write
to a captured table also writes its Debezium change event to the `outbox` table, in the
same transaction (`ingest.sor.envelope`); `workers.cdc.outbox` relays it to the bus. It is
on by default for SQLite only: PostgreSQL and SQL Server have their log, which Debezium
reads whoever the writer is (other applications, a DBA's script), so an outbox there
would only send every change twice. `outbox=True` turns it on for any database (a
PostgreSQL without replication rights, the tests of the relay).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    URL,
    Connection,
    Engine,
    Select,
    Table,
    create_engine,
    delete,
    event,
    insert,
    make_url,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from ingest.sor import envelope
from ingest.sor.errors import ConstraintViolation, InvalidRow, MissingReference, StaleVersion
from ingest.sor.models import CustomerIn, InteractionIn, SalesRepIn, TransactionIn
from ingest.sor.schema import (
    CAPTURED_TABLE_NAMES,
    customer_interactions,
    customers,
    metadata,
    outbox,
    sales_reps,
    transactions,
    utcnow,
)

Row = dict[str, Any]
_HOUSEKEEPING = frozenset({"id", "created_at", "updated_at", "version"})
_WRITE = "c360_sor_write"  # execution option: this transaction writes
_EMITTED = "c360_sor_outbox"  # connection info: this transaction wrote outbox rows


def engine_for(url: str | URL, **kwargs: Any) -> Engine:
    """An engine set up for the SoR's needs on its dialect.

    SQLite gets foreign keys switched on (off by default there), WAL so readers do not
    wait for writers, a busy timeout, and transactions SQLAlchemy actually begins:
    writes take the write lock up front (BEGIN IMMEDIATE) so a read-modify-write cannot
    interleave with another. Server databases get pre-ping, since a pooled connection
    to SQL Server or PostgreSQL may have been dropped by a failover.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    connect_args = {"timeout": 30.0, **kwargs.pop("connect_args", {})}
    engine = create_engine(parsed, connect_args=connect_args, **kwargs)
    in_memory = parsed.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        writes = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def create_all(engine: Engine) -> None:
    """Every table, straight from the metadata (tests, throwaway databases). A database
    that lives should be made with `ingest.sor.migrate.upgrade` instead."""
    metadata.create_all(engine)


def drop_all(engine: Engine) -> None:
    metadata.drop_all(engine)


def _validate(table: Table, model: type[BaseModel], row: Mapping[str, Any]) -> Row:
    """The fields the caller set, validated and in stored form; InvalidRow otherwise."""
    if not isinstance(row, Mapping):
        raise InvalidRow(table.name, {table.name: f"expected a mapping, got {type(row).__name__}"})
    try:
        parsed = model.model_validate(dict(row))
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "row"
            problems[f"{table.name}.{field}"] = error["msg"]
        raise InvalidRow(table.name, problems) from None
    return parsed.model_dump(exclude_unset=True)


def _check_required(table: Table, values: Mapping[str, Any], *, inserting: bool) -> None:
    """NOT NULL columns: never set to None, and on insert present unless they have a
    default. A clear error naming the field, not the driver's."""
    problems: dict[str, str] = {}
    for column in table.columns:
        if column.nullable or column.name in _HOUSEKEEPING:
            continue
        if column.name in values:
            if values[column.name] is None:
                problems[f"{table.name}.{column.name}"] = "required, may not be empty"
        elif inserting and column.default is None and column.server_default is None:
            problems[f"{table.name}.{column.name}"] = "required"
    if problems:
        raise InvalidRow(table.name, problems)


def _customer_named(values: Mapping[str, Any]) -> None:
    """The rule behind the `ck_customers_named` CHECK, said in the caller's terms."""
    if values.get("kind") == "person" and not (
        values.get("given_name") or values.get("family_name")
    ):
        raise InvalidRow(
            "customers", {"customers.given_name": "a person needs given_name or family_name"}
        )
    if values.get("kind") == "business" and not values.get("company_name"):
        raise InvalidRow("customers", {"customers.company_name": "a business needs company_name"})


def _constraint_named(table: Table, exc: IntegrityError) -> str | None:
    text = str(exc.orig)
    names = [str(c.name) for c in table.constraints if c.name]
    names += [str(i.name) for i in table.indexes if i.name]
    return next((n for n in sorted(names, key=len, reverse=True) if n in text), None)


def _locked(query: Select[Any]) -> Select[Any]:
    """The row read for a read-modify-write, locked until the write commits: FOR UPDATE
    on PostgreSQL; SQL Server spells it as a table hint (SQLAlchemy drops FOR UPDATE
    there); SQLite needs neither, the write transaction holds the database lock."""
    table = query.get_final_froms()[0]
    return query.with_for_update().with_hint(table, "WITH (UPDLOCK, ROWLOCK)", "mssql")


class SystemOfRecord:
    """The SoR port. The API's writes come here, and reach the graph only through CDC.

    `outbox`: write each change's event to the outbox table in its transaction; None
    (the default) means on for SQLite, off for databases Debezium reads. `on_outbox`
    callbacks run after a transaction that wrote outbox rows committed (a relay in the
    same process wakes up at once instead of at its next poll).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        outbox: bool | None = None,
        topic_prefix: str = "c360",
    ) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.outbox = self.dialect == "sqlite" if outbox is None else outbox
        self.topic_prefix = topic_prefix
        self.on_outbox: list[Callable[[], None]] = []

    @classmethod
    def from_url(
        cls, url: str | URL, *, outbox: bool | None = None, topic_prefix: str = "c360"
    ) -> SystemOfRecord:
        return cls(engine_for(url), outbox=outbox, topic_prefix=topic_prefix)

    def close(self) -> None:
        self.engine.dispose()

    # --- reads -----------------------------------------------------------------------

    def get_customer(self, customer_id: uuid.UUID | str) -> Row | None:
        return self._get(customers, customer_id)

    def get_sales_rep(self, rep_id: uuid.UUID | str) -> Row | None:
        return self._get(sales_reps, rep_id)

    def sales_rep_names(self, rep_ids: Iterable[uuid.UUID | str]) -> dict[str, str]:
        """ "Given Family" of each of these sales reps, by id (text); unknown ids are left out."""
        wanted = {uuid.UUID(str(i)) for i in rep_ids}
        if not wanted:
            return {}
        query = select(sales_reps.c.id, sales_reps.c.given_name, sales_reps.c.family_name).where(
            sales_reps.c.id.in_(sorted(wanted))
        )
        with self.engine.connect() as conn:
            return {str(r.id): f"{r.given_name} {r.family_name}" for r in conn.execute(query)}

    def get_interaction(self, interaction_id: uuid.UUID | str) -> Row | None:
        return self._get(customer_interactions, interaction_id)

    def get_transaction(self, transaction_id: uuid.UUID | str) -> Row | None:
        return self._get(transactions, transaction_id)

    # --- writes ----------------------------------------------------------------------

    def upsert_customer(
        self, row: Mapping[str, Any], *, expected_version: int | None = None
    ) -> Row:
        """Insert a customer, or update the fields `row` sets on the one with `row["id"]`.

        `expected_version`: refuse (StaleVersion) unless the stored row is at that
        version, so an edit made from a stale read cannot overwrite a newer one.
        """
        return self._upsert(customers, CustomerIn, row, expected_version, _customer_named)

    def upsert_sales_rep(
        self, row: Mapping[str, Any], *, expected_version: int | None = None
    ) -> Row:
        return self._upsert(sales_reps, SalesRepIn, row, expected_version, None)

    def record_interaction(self, row: Mapping[str, Any]) -> Row:
        """Add an interaction. Retry-safe: an `id` that is already stored returns the
        stored row and writes nothing, so a repeated request has one effect."""
        return self._record(customer_interactions, InteractionIn, row)

    def record_transaction(self, row: Mapping[str, Any]) -> Row:
        """Add a transaction (currency defaults to JMD); retry-safe like interactions."""
        return self._record(transactions, TransactionIn, row)

    def delete_customer(self, customer_id: uuid.UUID | str) -> Row | None:
        """Delete a customer row; returns it as it was, None if there was none (a repeated
        delete does nothing). One that interactions or transactions still refer to is
        refused (ConstraintViolation naming the foreign key)."""
        return self._delete(customers, customer_id)

    def delete_interaction(self, interaction_id: uuid.UUID | str) -> Row | None:
        return self._delete(customer_interactions, interaction_id)

    def delete_transaction(self, transaction_id: uuid.UUID | str) -> Row | None:
        return self._delete(transactions, transaction_id)

    # --- the outbox (read and marked by workers.cdc.outbox) ----------------------------

    def outbox_unsent(self, limit: int, after: int | None = None) -> list[Row]:
        """The oldest `limit` outbox rows not yet marked sent (and past position `after`),
        in position order."""
        query = (
            select(outbox.c.id, outbox.c.topic, outbox.c.message_key, outbox.c.value)
            .where(outbox.c.sent_at.is_(None))
            .order_by(outbox.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(outbox.c.id > after)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def outbox_mark_sent(self, ids: list[int]) -> None:
        """A write transaction like every other (on SQLite it takes the write lock up
        front: a read transaction upgraded to a write one can fail at once with "database
        is locked" while the API writes)."""
        with self._write(outbox) as conn:
            conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=utcnow()))

    def outbox_prune(self, sent_before: datetime) -> int:
        """Remove outbox rows sent before `sent_before`; returns how many."""
        with self._write(outbox) as conn:
            gone = conn.execute(
                delete(outbox).where(outbox.c.sent_at.is_not(None), outbox.c.sent_at < sent_before)
            )
        return int(gone.rowcount or 0)

    # --- the machinery ---------------------------------------------------------------

    @contextmanager
    def _write(self, table: Table) -> Iterator[Connection]:
        """One write transaction; the database's own refusals become ConstraintViolation."""
        emitted = False
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    yield conn
                    emitted = bool(conn.info.pop(_EMITTED, False))
        except IntegrityError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ConstraintViolation(table.name, _constraint_named(table, exc), detail) from exc
        if emitted:
            for callback in list(self.on_outbox):
                callback()

    def _emit(
        self,
        conn: Connection,
        table: Table,
        op: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        """The change's Debezium event into the outbox, in the write's own transaction (so
        the event exists exactly when the change does). The row's id is the event's
        position, so it is written after the change: on a server database a re-inserted
        key waits for its delete to commit first, and gets the later position."""
        if not self.outbox or table.name not in CAPTURED_TABLE_NAMES:
            return
        row = after if after is not None else before
        assert row is not None
        ts_ms = envelope.now_ms()
        inserted = conn.execute(
            insert(outbox).values(
                topic=envelope.topic(self.topic_prefix, self.dialect, table.name),
                message_key=envelope.message_key(row["id"]),
                value="",
                created_at=utcnow(),
            )
        )
        assert inserted.inserted_primary_key is not None
        position = int(inserted.inserted_primary_key[0])
        value = envelope.envelope(
            op, table=table.name, dialect=self.dialect, database=self.engine.url.database,
            prefix=self.topic_prefix, before=before, after=after, position=position,
            ts_ms=ts_ms,
        )  # fmt: skip
        conn.execute(update(outbox).where(outbox.c.id == position).values(value=value.decode()))
        conn.info[_EMITTED] = True

    def _get(self, table: Table, key: uuid.UUID | str) -> Row | None:
        ident = self._key(table, key)
        with self.engine.connect() as conn:
            found = conn.execute(select(table).where(table.c.id == ident)).mappings().first()
        return dict(found) if found is not None else None

    @staticmethod
    def _key(table: Table, key: uuid.UUID | str) -> uuid.UUID:
        if isinstance(key, uuid.UUID):
            return key
        try:
            return uuid.UUID(str(key))
        except ValueError:
            raise InvalidRow(table.name, {f"{table.name}.id": f"{key!r} is not a UUID"}) from None

    @staticmethod
    def _check_references(conn: Connection, table: Table, values: Mapping[str, Any]) -> None:
        """Each foreign key the write sets must name an existing row. Checked in the same
        transaction as the write, so the error names the field; the database's FK still
        guards against a referenced row deleted concurrently."""
        for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
            value = values.get(fk.parent.name)
            if value is None:
                continue
            target = fk.column
            # (not SELECT EXISTS(...): SQL Server has no boolean expressions in a select list)
            found = conn.execute(select(target).where(target == value).limit(1)).first()
            if found is None:
                raise MissingReference(f"{table.name}.{fk.parent.name}", target.table.name, value)

    def _read_back(self, conn: Connection, table: Table, key: uuid.UUID) -> Row:
        return dict(conn.execute(select(table).where(table.c.id == key)).mappings().one())

    def _upsert(
        self,
        table: Table,
        model: type[BaseModel],
        row: Mapping[str, Any],
        expected_version: int | None,
        rule: Callable[[Mapping[str, Any]], None] | None,
    ) -> Row:
        fields = _validate(table, model, row)
        key: uuid.UUID | None = fields.pop("id", None)
        with self._write(table) as conn:
            current = None
            if key is not None:
                query = _locked(select(table).where(table.c.id == key))
                current = conn.execute(query).mappings().first()
            now = utcnow()
            if current is None:
                if expected_version is not None:
                    raise StaleVersion(table.name, key, expected_version, None)
                key = key or uuid.uuid4()
                _check_required(table, fields, inserting=True)
                if rule is not None:
                    rule(fields)
                self._check_references(conn, table, fields)
                values = {**fields, "id": key, "version": 1, "created_at": now, "updated_at": now}
                conn.execute(insert(table).values(values))
                self._emit(conn, table, "c", None, self._read_back(conn, table, key))
            else:
                assert key is not None
                version = current["version"]
                if expected_version is not None and version != expected_version:
                    raise StaleVersion(table.name, key, expected_version, version)
                _check_required(table, fields, inserting=False)
                merged = {**current, **fields}
                if rule is not None:
                    rule(merged)
                self._check_references(conn, table, fields)
                changed = conn.execute(
                    update(table)
                    .where(table.c.id == key, table.c.version == version)
                    .values({**fields, "version": version + 1, "updated_at": now})
                )
                if changed.rowcount != 1:  # cannot happen under the row lock; a safety net
                    actual = conn.execute(select(table.c.version).where(table.c.id == key))
                    raise StaleVersion(table.name, key, version, actual.scalar())
                self._emit(conn, table, "u", dict(current), self._read_back(conn, table, key))
            return self._read_back(conn, table, key)

    def _record(self, table: Table, model: type[BaseModel], row: Mapping[str, Any]) -> Row:
        fields = _validate(table, model, row)
        key: uuid.UUID = fields.pop("id", None) or uuid.uuid4()
        fields.setdefault("occurred_at", utcnow())
        _check_required(table, fields, inserting=True)
        with self._write(table) as conn:
            stored = conn.execute(select(table).where(table.c.id == key)).mappings().first()
            if stored is not None:
                return dict(stored)
            self._check_references(conn, table, fields)
            now = utcnow()
            values = {**fields, "id": key, "version": 1, "created_at": now, "updated_at": now}
            conn.execute(insert(table).values(values))
            written = self._read_back(conn, table, key)
            self._emit(conn, table, "c", None, written)
            return written

    def _delete(self, table: Table, row_id: uuid.UUID | str) -> Row | None:
        key = self._key(table, row_id)
        with self._write(table) as conn:
            found = conn.execute(_locked(select(table).where(table.c.id == key))).mappings().first()
            if found is None:
                return None
            before = dict(found)
            conn.execute(delete(table).where(table.c.id == key))
            self._emit(conn, table, "d", before, None)
            return before

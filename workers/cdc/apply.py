"""The apply worker: Debezium change events on the bus -> idempotent graph upserts.

Each system-of-record row becomes evidence as any other source does: a customer row is
the Record `sor:<id>` (source "sor"), cleaned by the same normalisers the ingest profiles
use; an interaction or transaction row is an Interaction / Transaction hanging off the
Record of its customer. Writes go through `cypher/cdc/*`.

Exactly-once effect over at-least-once delivery:
- every graph node keeps the SoR row `version`; an event whose version is not above the
  stored one is stale (a replay after a crash, a duplicate, a snapshot read of a row the
  stream already brought) and changes nothing; the write statements check it again, so
  two appliers racing cannot go backwards either;
- per key, the bus keeps order (the key picks the partition); inside one batch the events
  of a key are folded to their outcome (the last image, then a delete if one followed);
- a delete marks the node `deleted: true`; nothing is removed;
- a row deleted and inserted again with the same id starts a new life: see `upsert_verdict`;
- an activity whose customer Record has not arrived yet (topics are not ordered with
  each other) is parked and linked when the Record comes.

A message that cannot be understood or applied (bad JSON, an unknown op, a value the
normalisers refuse) raises; the bus retries the batch message by message, so it alone
goes to `<topic>.dlq` with the reason. A graph store that is unreachable is retried
instead (`StoreUnavailable` is in `retry_on`). After each batch the touched Records are
resolved incrementally; before the first full run there is no model (`NotTrained`) and
they wait for it, counted in `stats.resolution_pending`. While catching up (a full batch:
more is waiting) resolution is deferred and the backlog's records resolved together once
it is drained: by one full run when they are a large part of the graph, which costs
several times less per record. Deferred records are durable: the graph knows them as
pending (written since they were last resolved), and a worker starting up resolves them.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, TypeVar

import orjson
import redis

from graph.customer_activity import activity_day, extend_activity, refresh_activity
from graph.encoding import row_encoder
from graph.errors import GraphServerCrashed, GraphStoreError
from graph.store import GraphStore
from ingest.model import (
    ActivityKind,
    ActivityRecord,
    AddressEvidence,
    EvidenceRecord,
    PropertyValue,
    RecordKind,
)
from ingest.normalise import InvalidValue
from ingest.pipeline import content_hash, graph_row
from ingest.profiles import _common as c
from resolvers.identity import KINDS, IdentityResolver, NotTrained
from workers.bus.port import ConsumeStats, EventBus, Message
from workers.cdc.capture import topic_for
from workers.cdc.reps import RepNames
from workers.event_kinds import CUSTOMER_CHANGED, INTERACTION_RECORDED, TRANSACTION_RECORDED

log = logging.getLogger(__name__)
T = TypeVar("T")

SOURCE = "sor"
DEFAULT_GROUP = "c360-apply"
LATENCY_WINDOW = 10_000  # the latest apply latencies kept for percentiles
UNTRAINED_RECHECK_S = 30.0  # with no model yet, ask again for one at most this often
# A full resolution run reads every record once and costs about a quarter of what an
# incremental attach costs per arriving record (measured: 0.35-0.55 ms against ~2 ms a
# record), so a catch-up's backlog is resolved by one full run when it is at least this
# part of the graph's records.
FULL_RUN_FRACTION = 0.25
SWEEP_CHUNK = 2_000  # deferred records resolved record by record, so many per call
# A backlog that never drains (changes arriving faster than apply resolves them) is
# resolved at least this often, so customers are never further behind than that.
MAX_DEFER_S = 60.0

# table -> graph label; the statements are cdc/<verb>_<plural>
LABELS: dict[str, str] = {
    "customers": "Record",
    "customer_interactions": "Interaction",
    "transactions": "Transaction",
}
_PLURAL = {"Record": "records", "Interaction": "interactions", "Transaction": "transactions"}
_OPS = {"c": "upsert", "u": "upsert", "r": "upsert", "d": "delete"}


class ApplyError(ValueError):
    """A change event that cannot be applied; the reason goes to the dead-letter topic."""


class StoreUnavailable(RuntimeError):
    """The graph store cannot be reached: retry the batch, it is no poison."""


@dataclass(frozen=True, slots=True)
class Change:
    """One decoded change event."""

    table: str
    label: str
    key: str  # graph key
    op: str  # "upsert" | "delete"
    version: int | None
    row: Mapping[str, Any] | None  # the after image of an upsert
    commit_ms: int | None  # source.ts_ms: when the database committed it
    # the change's log position, for tracing only (order is the row version):
    # PostgreSQL's `lsn` (an integer), SQL Server's `change_lsn` or, for a snapshot read,
    # `commit_lsn` ("0000002b:00000a58:0003", hex, fixed width)
    lsn: int | str | None
    created: bool = False  # Debezium op "c": the row was inserted (once per life of a row)


@dataclass
class ApplyStats:
    """Counters a worker exports (all since start)."""

    events: int = 0
    applied: int = 0  # upserts written
    deleted: int = 0  # nodes marked deleted
    # events that changed nothing: replays, duplicates, old versions, and images a later
    # event of the same key in the batch superseded
    stale: int = 0
    parked: int = 0  # activities waiting for their Record, as of `Apply.count_parked()`
    batches: int = 0
    resolved: int = 0  # records resolved (incrementally or by a catch-up's full run)
    resolution_pending: int = 0  # records left for a full run (no model yet)
    deferred: int = 0  # records of a catch-up, waiting until its backlog is drained
    full_runs: int = 0  # catch-up backlogs resolved by a full run
    resolution_errors: int = 0
    dead_lettered: int = 0  # messages sent to <topic>.dlq
    new_lives: int = 0  # rows deleted and inserted again with the same id
    announced: int = 0  # customer.changed events published
    last_batch_at: float | None = None  # epoch seconds when the latest batch was applied
    resolved_at: float | None = None  # epoch seconds when resolution last finished
    # when the first batch began, and the process's CPU seconds then: a backlog's rate and
    # CPU per change come from these, without the worker's start-up
    first_batch_at: float | None = None
    cpu_s_at_first_batch: float | None = None
    by_op: dict[str, int] = field(default_factory=dict)
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))

    def as_dict(self) -> dict[str, Any]:
        """The counters and latency percentiles, for a worker's /metrics or its logs."""
        out: dict[str, Any] = {
            k: v for k, v in self.__dict__.items() if k not in ("latencies_ms", "by_op")
        }
        out["by_op"] = dict(self.by_op)
        out["cpu_s"] = round(time.process_time(), 3)  # this process's CPU seconds so far
        out["latency_ms_p50"] = self.latency_percentile(50)
        out["latency_ms_p99"] = self.latency_percentile(99)
        return out

    def latency_percentile(self, q: float) -> float | None:
        """Commit -> applied latency percentile (0-100) over the latest events."""
        values = sorted(self.latencies_ms)
        if not values:
            return None
        index = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
        return values[index]


def record_key(customer_id: str) -> str:
    return f"{SOURCE}:{customer_id}"


def activity_key(label: str, row_id: str) -> str:
    return f"{SOURCE}:{_PLURAL[label]}:{row_id}"


def _graph_key(label: str, row_id: str) -> str:
    return record_key(row_id) if label == "Record" else activity_key(label, row_id)


# -- decoding ---------------------------------------------------------------------------

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def canonical_id(value: Any) -> Any:
    """SQL Server sends a UNIQUEIDENTIFIER in capitals, PostgreSQL a uuid in small letters:
    the same row must get the same graph key from either, and from the API's own uuids."""
    if isinstance(value, str) and _UUID.fullmatch(value):
        return value.lower()
    return value


def _canonical_ids(image: Mapping[str, Any]) -> dict[str, Any]:
    return {k: canonical_id(v) if k == "id" or k.endswith("_id") else v for k, v in image.items()}


def _position(source: Mapping[str, Any]) -> int | str | None:
    """The change's log position from Debezium's source block, whichever connector wrote it."""
    lsn = source.get("lsn")  # PostgreSQL
    if isinstance(lsn, int):
        return lsn
    for name in ("change_lsn", "commit_lsn"):  # SQL Server (a snapshot read has no change_lsn)
        value = source.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _comparable(a: int | str | None, b: int | str | None) -> bool:
    """Two log positions of one connector: both PostgreSQL LSNs (integers), both SQL
    Server LSNs (fixed-width hex, so text order is log order) or both outbox ids."""
    return a is not None and b is not None and type(a) is type(b)


def _after(a: int | str, b: int | str) -> bool:
    return a > b  # type: ignore[operator]  # same type, checked by _comparable


NEW_LIFE = "new_life"
DELETED_LSN = "sor_deleted_lsn"  # node property: the log position of the row's last delete


class StoredRow(NamedTuple):
    """What the graph holds of a row: its version, deleted flag, the log position of the
    last upsert applied and of the row's last delete."""

    version: int | None
    deleted: bool
    lsn: int | str | None
    deleted_lsn: int | str | None


_ABSENT = StoredRow(None, False, None, None)


def _later_of(a: int | str | None, b: int | str | None) -> int | str | None:
    if a is None or not _comparable(a, b):
        return b if a is None else a
    return b if _after(b, a) else a  # type: ignore[arg-type]


def upsert_verdict(
    change: Change,
    version: int | None,
    deleted: bool,
    position: int | str | None,
    deleted_position: int | str | None,
) -> str | None:
    """Whether an upsert is written over the stored node: None (stale), "apply", or
    NEW_LIFE. `position` is the log position of the last upsert applied to the node,
    `deleted_position` that of the row's last delete.

    Within one life of a row its `version` orders its changes, as before. But a row
    deleted and inserted again with the same id starts again at version 1, below what the
    graph holds, so the version alone would call the new row stale for ever. The SoR
    cannot keep versions going up across a delete (any writer may insert the row again,
    and nothing of the deleted row is left to continue from); the database's log can:
    every change carries its position (PostgreSQL's LSN, SQL Server's LSN, the outbox id)
    and a row inserted again waits for its delete to commit, so every event of the new
    life lies after the delete, and every event of the old life before it. Positions do
    not replace versions, though: a snapshot read carries the snapshot's position, later
    than a change a transaction made before the snapshot and committed after it, so
    between a snapshot and the stream positions may run backwards; a delete cannot.
    - an event at or before the row's last delete is an earlier life's (a replay): stale;
    - on a deleted node, an event after the delete is the row inserted again: a new life;
    - on a live node, a higher version is the next change of this life;
    - a lower version after the node's position, or an insert (op "c") at the same
      version, is a new life whose delete the graph never saw (one batch held both);
    - anything else is stale: a replay, a duplicate, the same row read by a new snapshot.
    Without positions (an event from elsewhere) the version alone decides, and a deleted
    node stays deleted.
    """
    if version is None:
        return "apply"
    lsn = change.lsn
    if _comparable(lsn, deleted_position) and not _after(lsn, deleted_position):  # type: ignore[arg-type]
        return None
    new = change.version or 0
    if deleted:
        boundary = deleted_position if _comparable(lsn, deleted_position) else position
        if _comparable(lsn, boundary) and _after(lsn, boundary):  # type: ignore[arg-type]
            return NEW_LIFE
        return None
    if new > version:
        return "apply"
    if (new < version or change.created) and _comparable(lsn, position):
        return NEW_LIFE if _after(lsn, position) else None  # type: ignore[arg-type]
    return None


def delete_verdict(
    change: Change,
    deleted: bool,
    position: int | str | None,
    deleted_position: int | str | None,
) -> bool:
    """Whether a delete marks the stored node deleted. One at or before the row's last
    delete is a replay of an earlier life's: applying it would kill the row inserted
    since. A tombstone (no position) only follows its delete event, which carried the
    position: alone it cannot be placed, so it counts only on a node that has no
    position either (its events came from a source without them)."""
    if deleted:
        return False
    if change.lsn is None:
        return position is None and deleted_position is None
    if _comparable(change.lsn, deleted_position):
        return _after(change.lsn, deleted_position)  # type: ignore[arg-type]
    return True


def decode(message: Message, prefix: str) -> Change:
    """The change a Debezium message carries; ApplyError says why one cannot be used.
    The table is the topic's last part: `<prefix>.public.<table>` (PostgreSQL),
    `<prefix>.dbo.<table>` (SQL Server, routed) and `<prefix>.<db>.dbo.<table>` (SQL
    Server as Debezium names it) all decode alike."""
    table = message.topic.rsplit(".", 1)[-1]
    if not message.topic.startswith(prefix + ".") or table not in LABELS:
        raise ApplyError(f"no apply rule for topic {message.topic!r}")
    label = LABELS[table]
    if message.value is None:  # the tombstone after a delete: the key says which row
        return Change(table, label, _graph_key(label, _key_id(message)), "delete",
                      None, None, None, None)  # fmt: skip
    try:
        envelope = orjson.loads(message.value)
    except orjson.JSONDecodeError as exc:
        raise ApplyError(f"the value is not JSON: {exc}") from None
    if isinstance(envelope, dict) and "payload" in envelope and "op" not in envelope:
        envelope = envelope["payload"]  # a converter with schemas on
    if not isinstance(envelope, dict):
        raise ApplyError("the value is not a Debezium envelope (a JSON object)")
    op = _OPS.get(str(envelope.get("op")))
    if op is None:
        raise ApplyError(f"unknown Debezium op {envelope.get('op')!r}")
    source = envelope.get("source") or {}
    commit_ms = source.get("ts_ms") if isinstance(source, dict) else None
    lsn = _position(source) if isinstance(source, dict) else None
    image = envelope.get("after") if op == "upsert" else envelope.get("before")
    if op == "upsert" and not isinstance(image, dict):
        raise ApplyError(f"op {envelope['op']!r} without an after image")
    if isinstance(image, dict):
        image = _canonical_ids(image)
    row_id = (image or {}).get("id") if isinstance(image, dict) else None
    if row_id is None:
        row_id = _key_id(message)
    version = image.get("version") if op == "upsert" and isinstance(image, dict) else None
    if op == "upsert" and not isinstance(version, int):
        raise ApplyError(f"{table} row {row_id} has no integer version")
    return Change(
        table=table, label=label, key=_graph_key(label, str(row_id)), op=op, version=version,
        row=image if op == "upsert" else None,
        commit_ms=commit_ms if isinstance(commit_ms, int) else None, lsn=lsn,
        created=envelope.get("op") == "c",
    )  # fmt: skip


def _key_id(message: Message) -> str:
    try:
        key = orjson.loads(message.key)
    except orjson.JSONDecodeError:
        raise ApplyError(f"the key {message.key!r} is not JSON") from None
    if isinstance(key, dict) and "payload" in key:
        key = key["payload"]
    if not isinstance(key, dict) or not key.get("id"):
        raise ApplyError(f"the key {message.key!r} names no id")
    return str(canonical_id(key["id"]))


# -- rows -> evidence -------------------------------------------------------------------


def _iso_day(value: Any) -> str | None:
    """A DATE as Debezium sends it (days since 1970-01-01) or as text -> ISO date."""
    if value is None:
        return None
    if isinstance(value, int):
        return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=value)).date().isoformat()
    return c.iso_date("date", str(value))


def _iso_time(value: Any) -> str | None:
    """A TIMESTAMP as Debezium sends it (epoch ms in `connect` precision mode; µs in the
    default adaptive mode) or as text -> ISO-8601 UTC to the second."""
    if value is None:
        return None
    if isinstance(value, int):
        seconds = value / 1_000_000 if abs(value) > 10**14 else value / 1000
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=0).isoformat()
    return c.iso_datetime("occurred_at", str(value))


def _text(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class _Problems:
    """Field values the normalisers refuse. The SoR already validated the row and is the
    source of truth, so a refused field is left out (and named in `invalid_fields`)
    rather than keeping the whole row out of the graph."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def attempt(self, fn: Callable[[], T], default: T) -> T:
        try:
            return fn()
        except (InvalidValue, ValueError) as exc:
            self.found.append(str(exc)[:200])
            return default


def customer_record(row: Mapping[str, Any]) -> EvidenceRecord:
    """A `customers` row as the evidence Record `sor:<id>` (the `sor-customers` mapping).
    Columns it does not know are ignored; values the normalisers refuse are left out and
    listed in `invalid_fields`."""
    p = _Problems()
    nothing: dict[str, PropertyValue] = {}
    kind = RecordKind.BUSINESS if _text(row, "kind") == "business" else RecordKind.PERSON
    fields: dict[str, PropertyValue] = {}
    org = p.attempt(lambda: c.company("company_name", _text(row, "company_name")), None)
    if kind is RecordKind.BUSINESS:
        if org is not None:
            fields.update(c.business_fields(org))
    else:
        fields.update(p.attempt(lambda: c.person_fields(
            "given_name/family_name", given=_text(row, "given_name"),
            family=_text(row, "family_name")), nothing))  # fmt: skip
        if org is not None:
            fields["company"] = org.display
    addresses: list[AddressEvidence] = []
    place = p.attempt(lambda: c.address(
        "address_line1", _text(row, "address_line1"), _text(row, "address_line2"),
        city=_text(row, "city"), parish_raw=_text(row, "parish")), None)  # fmt: skip
    if place is not None:
        addresses.append(place)
    fields.update(p.attempt(lambda: c.place_fields(
        "city/parish", place, _text(row, "city"), _text(row, "parish")), nothing))  # fmt: skip
    fields.update(
        dob=p.attempt(lambda: _iso_day(row.get("date_of_birth")), None),
        status=_text(row, "status"),
        owner_rep_id=_text(row, "owner_rep_id"),
        created=p.attempt(lambda: _iso_day_of_time(row.get("created_at")), None),
    )
    site = p.attempt(lambda: c.website("website", _text(row, "website")), None)
    none: list[str] = []
    emails = p.attempt(lambda: c.emails("email", _text(row, "email")), none)
    phones = p.attempt(lambda: c.phones("phone", _text(row, "phone")), none)
    if p.found:
        fields["invalid_fields"] = p.found
    return EvidenceRecord(
        source=SOURCE,
        source_id=str(row["id"]),
        kind=kind,
        fields=c.drop_empty(fields),
        emails=emails,
        phones=phones,
        addresses=addresses,
        websites=[site] if site else [],
    )


def _iso_day_of_time(value: Any) -> str | None:
    stamp = _iso_time(value)
    return stamp[:10] if stamp else None


def _amount(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(Decimal(str(value)))
    except InvalidOperation:
        raise InvalidValue(f"amount: {value!r} is not a number") from None


def activity_record(label: str, row: Mapping[str, Any]) -> ActivityRecord:
    """An interaction or transaction row as an Interaction / Transaction of its customer's
    Record. Columns it does not know are ignored."""
    customer = _text(row, "customer_id")
    if customer is None:
        raise InvalidValue("customer_id: missing")
    p = _Problems()
    occurred = p.attempt(lambda: _iso_time(row.get("occurred_at")), None)
    fields: dict[str, PropertyValue]
    if label == "Interaction":
        kind = ActivityKind.INTERACTION
        fields = {
            "type": _text(row, "channel"), "direction": _text(row, "direction"),
            "occurred_at": occurred, "date": occurred[:10] if occurred else None,
            "rep_id": _text(row, "rep_id"), "campaign_id": _text(row, "campaign_id"),
            "subject": _text(row, "subject"), "notes": _text(row, "notes"),
            "outcome": _text(row, "outcome"),
        }  # fmt: skip
    else:
        kind = ActivityKind.TRANSACTION
        fields = {
            "kind": _text(row, "kind"), "amount": p.attempt(lambda: _amount(row.get("amount")), None),
            "currency": _text(row, "currency"), "occurred_at": occurred,
            "date": occurred[:10] if occurred else None, "reference": _text(row, "reference"),
            "description": _text(row, "description"), "campaign_id": _text(row, "campaign_id"),
        }  # fmt: skip
    if p.found:
        fields["invalid_fields"] = p.found
    return ActivityRecord(
        source=SOURCE,
        source_id=f"{_PLURAL[label]}:{row['id']}",
        kind=kind,
        record_key=record_key(customer),
        fields=c.drop_empty({k: v for k, v in fields.items() if k != "kind"}),
    )


def graph_params(change: Change, now_ms: int) -> dict[str, Any]:
    """The statement row of an upsert: the ingest shape plus version and change metadata."""
    assert change.row is not None and change.version is not None
    item: EvidenceRecord | ActivityRecord
    if change.label == "Record":
        item = customer_record(change.row)
    else:
        item = activity_record(change.label, change.row)
    params = graph_row(item)
    props = params["props"]
    if change.label == "Transaction":
        props["txn_kind"] = _text(change.row, "kind")
    if isinstance(item, ActivityRecord):
        props["record_key"] = item.record_key
    props["hash"] = content_hash(params)
    props.update(version=change.version, deleted=False, ingested_at=now_ms)
    if change.commit_ms is not None:
        props["sor_committed_at"] = change.commit_ms
    if change.lsn is not None:
        props["sor_lsn"] = change.lsn
    return params


# -- the worker -------------------------------------------------------------------------


class Apply:
    """Consumes the capture topics in a consumer group and applies them to `store`.

    `run()` (or `consume(...)` with a stop condition) drives it; `handle(batch)` is the
    batch handler, usable alone. Counters in `stats`; `consume_stats` from the bus.
    """

    def __init__(
        self,
        store: GraphStore,
        bus: EventBus,
        *,
        topic_prefix: str = "c360",
        schema: str = "public",
        group: str = DEFAULT_GROUP,
        batch_size: int = 500,
        resolve: bool = True,
        resolver: IdentityResolver | None = None,
        clock_ms: Callable[[], int] | None = None,
        publish: Callable[[list[tuple[str, str, dict[str, Any]]]], object] | None = None,
        rep_names: RepNames | None = None,
        full_run_fraction: float = FULL_RUN_FRACTION,
        max_defer_s: float = MAX_DEFER_S,
    ) -> None:
        self.store = store
        self.bus = bus
        # Tells the rest of the service what changed (the API's event stream: subscribers,
        # webhooks, alert rules), after the change is in the graph and resolved: the
        # (kind, key, data) events of a batch, in one call.
        self.publish = publish
        # names the reps of applied interactions (the system of record's sales_reps)
        self.rep_names = rep_names
        self.topic_prefix = topic_prefix
        self.group = group
        self.batch_size = batch_size
        self.topics = [topic_for(topic_prefix, f"{schema}.{t}") for t in LABELS]
        self.resolve = resolve
        self.resolver = resolver or IdentityResolver(store)
        self.clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self.stats = ApplyStats()
        self.consume_stats = ConsumeStats()
        # each event's commit -> applied latency in seconds, as it is measured (metrics)
        self.observe_latency: Callable[[float], None] | None = None
        self.pending_resolution: set[str] = set()
        # records of full batches (a backlog), resolved when it is drained
        self.deferred: set[str] = set()
        self.full_run_fraction = full_run_fraction
        self.max_defer_s = max_defer_s
        self._deferred_since = 0.0  # monotonic, when the oldest deferred record came
        self._records_state: dict[str, tuple[int | None, bool, list[str]]] = {}
        self._activity_record_of: dict[str, str] = {}  # a batch's stored activity -> record
        self._untrained_until = 0.0
        # What a batch had to announce when the event stream (or the graph) could not be
        # reached: announced with the retry of that batch, which writes nothing new.
        self._unannounced: _Unannounced | None = None
        self._counted: list[tuple[str, int, int]] = []  # the latest batch counted in stats
        self._stop = threading.Event()

    @functools.cached_property
    def _encoder(self) -> Callable[[dict[str, Any]], Any]:
        """The store's fast parameter encoding; looked up on first use, so that configuring
        a worker touches no store."""
        return row_encoder(self.store.backend)

    retry_on: tuple[type[BaseException], ...] = (StoreUnavailable, GraphServerCrashed)

    # -- driving -------------------------------------------------------------------

    def consume(
        self,
        *,
        timeout_s: float | None = None,
        idle_timeout_s: float | None = None,
        max_messages: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> ConsumeStats:
        """One consume loop over the capture topics (commit after each handled batch)."""

        def stopping() -> bool:
            return self._stop.is_set() or (stop is not None and stop())

        self.bus.ensure_topics(self.topics)
        if self.resolve and not self.stats.batches:
            self._recover_deferred()
        got = self.bus.consume_batches(
            self.topics, self.group, self.handle, batch_size=self.batch_size,
            timeout_s=timeout_s, idle_timeout_s=idle_timeout_s, max_messages=max_messages,
            stop=stopping, retry_on=self.retry_on, on_idle=self.drain,
        )  # fmt: skip
        if not self._stop.is_set():  # a worker told to stop leaves them to its successor
            self.drain()
        self.consume_stats.handled += got.handled
        self.consume_stats.dead_lettered += got.dead_lettered
        self.consume_stats.batches += got.batches
        self.consume_stats.dead_letters.extend(got.dead_letters)
        return got

    def consumer_lag(self) -> dict[str, int]:
        """Messages not yet committed by the group, per topic (a gauge to export). Asks the
        broker (KafkaBus) without joining the group; {} on a bus that cannot say."""
        from workers.bus.kafka import KafkaBus
        from workers.bus.memory import MemoryBus

        if isinstance(self.bus, MemoryBus):
            lag: dict[str, int] = {}
            for topic in self.topics:
                done = self.bus.committed(self.group, topic)
                ends = self.bus.end_offsets(topic)
                lag[topic] = sum(max(end - done.get(p, 0), 0) for p, end in ends.items())
            return lag
        if not isinstance(self.bus, KafkaBus):
            return {}
        from confluent_kafka import Consumer, TopicPartition

        consumer = Consumer({"bootstrap.servers": self.bus.bootstrap_servers,
                             "group.id": self.group, "enable.auto.commit": False})  # fmt: skip
        try:
            out: dict[str, int] = {}
            meta = consumer.list_topics(timeout=10).topics
            for topic in self.topics:
                if topic not in meta:
                    continue
                parts = [TopicPartition(topic, p) for p in meta[topic].partitions]
                committed = consumer.committed(parts, timeout=10)
                total = 0
                for tp in committed:
                    low, high = consumer.get_watermark_offsets(tp, timeout=10)
                    total += max(high - (tp.offset if tp.offset >= 0 else low), 0)
                out[topic] = total
            return out
        finally:
            consumer.close()

    def run(self) -> None:
        """Consume until `stop()` is called (a worker's main loop)."""
        self.consume()

    def stop(self) -> None:
        self._stop.set()

    # -- one batch -----------------------------------------------------------------
    def handle(self, batch: Sequence[Message]) -> None:
        """Apply one batch. Raises ApplyError (or a normaliser's error) for a message that
        cannot be applied, StoreUnavailable when the graph is unreachable."""
        try:
            self._handle(batch)
        except self.retry_on:
            raise
        except Exception:
            if len(batch) == 1:  # the bus dead-letters a message that fails alone
                self.stats.dead_lettered += 1
            raise

    def _handle(self, batch: Sequence[Message]) -> None:
        if self.stats.first_batch_at is None:
            self.stats.first_batch_at = time.time()
            self.stats.cpu_s_at_first_batch = time.process_time()
        changes = [decode(m, self.topic_prefix) for m in batch]
        self._records_state = {}
        self._activity_record_of = {}
        now = self.clock_ms()
        # Build every statement row before writing anything: a bad row fails alone.
        finals = fold_changes(changes)
        upserts: dict[str, list[tuple[Change, dict[str, Any]]]] = {}
        for change in finals:
            if change.op == "upsert":
                upserts.setdefault(change.label, []).append((change, graph_params(change, now)))
        self._name_reps(upserts.get("Interaction", []))
        deletes = {ch.key: ch for ch in finals if ch.op == "delete"}
        batch_deletes = _latest_deletes(changes)
        touched_records: set[str] = set()
        activities: list[tuple[Change, dict[str, Any]]] = []
        # Customers whose first purchase or last activity move (graph.customer_activity):
        # activity new to the graph moves them earlier or later; a changed one has them read
        # again on the record it hangs off now and the one before.
        added: list[tuple[str, str | None, bool]] = []
        changed_on: set[str] = set()
        written = 0
        try:
            stored = {label: self._stored(label, [ch.key for ch in changes if ch.label == label])
                      for label in {ch.label for ch in changes}}  # fmt: skip
            for label in ("Record", "Interaction", "Transaction"):
                fresh = []
                for change, params in upserts.get(label, []):
                    was = stored[label].get(change.key, _ABSENT)
                    verdict = upsert_verdict(change, *was)
                    if verdict is None:
                        continue
                    # the line between the row's lives, kept on the node (the upsert
                    # replaces every property): the latest delete known, else, for a new
                    # life whose delete the graph never saw, where the old life ended
                    line = _later_of(was.deleted_lsn, batch_deletes.get(change.key))
                    if verdict == NEW_LIFE:
                        params[NEW_LIFE] = True
                        self.stats.new_lives += 1
                        line = line if line is not None else was.lsn
                    if line is not None:
                        params["props"][DELETED_LSN] = line
                    fresh.append(params)
                    # a delete of the same batch is placed after this upsert
                    stored[label][change.key] = StoredRow(change.version, False, change.lsn, line)
                    if label == "Record":
                        touched_records.add(change.key)
                    else:
                        props = params["props"]
                        activities.append((change, props))
                        if was is _ABSENT:
                            added.append((str(props["record_key"]), activity_day(props),
                                          label == "Transaction"))  # fmt: skip
                        else:
                            before = self._activity_record_of.get(change.key)
                            changed_on.update(k for k in (props["record_key"], before) if k)
                if fresh:
                    self.store.write_encoded(
                        f"cdc/upsert_{_PLURAL[label]}", [self._encoder(r) for r in fresh]
                    )
                    written += len(fresh)
                if label == "Record" and upserts.get(label):
                    keys = [ch.key for ch, _ in upserts[label]]
                    self.store.run("cdc/link_parked", {"keys": keys})
            marked = 0
            for label in ("Interaction", "Transaction", "Record"):
                rows = [{"key": k, "at": now, "lsn": ch.lsn} for k, ch in deletes.items()
                        if ch.label == label
                        and delete_verdict(ch, *stored[label].get(k, _ABSENT)[1:])]  # fmt: skip
                if rows:
                    got = self.store.run(f"cdc/delete_{_PLURAL[label]}", {"rows": rows})
                    marked += len(got)
                    if label == "Record":
                        touched_records.update(r["key"] for r in got)
            # (Activity parked for a record new to the graph needs nothing: that record has
            # no customer until resolution, which reads again every customer gaining one.)
            extend_activity(self.store, added)
            refresh_activity(self.store, keys=changed_on)
            # A record written before a crash but never resolved is resolved now.
            final_keys = {ch.key for ch in finals}
            for key, (_, deleted, customers) in self._records_state.items():
                if not deleted and not customers and key in final_keys:
                    touched_records.add(key)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StoreUnavailable(f"graph store unreachable: {exc}") from exc
        except GraphStoreError as exc:
            if _unreachable(exc):
                raise StoreUnavailable(str(exc)) from exc
            raise
        applied_at = self.clock_ms()
        # A batch retried because its announcements could not go out was counted on its
        # first try: its retry finds everything written and is not news for the metrics.
        ident = [(m.topic, m.partition, m.offset) for m in batch]
        if ident != self._counted:
            self._count(changes, written, marked, applied_at)
        self._counted = ident
        if touched_records and self.resolve:
            catching_up = len(batch) >= self.batch_size  # more is waiting
            if not self.deferred:
                self._deferred_since = time.monotonic()
            if catching_up and time.monotonic() - self._deferred_since < self.max_defer_s:
                self.deferred.update(touched_records)
                self.stats.deferred = len(self.deferred)
            else:
                touched_records |= self._resolve(sorted(touched_records))
        if self.publish is not None and (touched_records or activities or self._unannounced):
            self._announce_or_hold(_Unannounced(touched_records, activities, list(changes)))

    def _count(self, changes: list[Change], written: int, marked: int, applied_at: int) -> None:
        self.stats.events += len(changes)
        self.stats.batches += 1
        self.stats.applied += written
        self.stats.deleted += marked
        self.stats.stale += len(changes) - written - marked
        self.stats.last_batch_at = applied_at / 1000
        observe = self.observe_latency
        for ch in changes:
            self.stats.by_op[ch.op] = self.stats.by_op.get(ch.op, 0) + 1
            if ch.commit_ms is not None:
                latency_ms = float(applied_at - ch.commit_ms)
                self.stats.latencies_ms.append(latency_ms)
                if observe is not None:
                    observe(latency_ms / 1000)

    def drain(self) -> None:
        """Resolve the records deferred while catching up, and announce their customers
        (the bus calls it when a poll finds nothing waiting). Failures are logged and the
        records stay pending: the graph still knows them, a later batch or start retries."""
        if not self.deferred or not self.resolve:
            return
        try:
            swept = self._resolve([])
            self.store.settle()  # a drained backlog was a bulk job: later batches stay fast
            if self.publish is not None and (swept or self._unannounced):
                self._announce_or_hold(_Unannounced(swept, [], []))
        except Exception:
            log.exception("resolving the %d deferred record(s) failed", len(self.deferred))

    def _recover_deferred(self) -> None:
        """Records an earlier worker applied but never resolved (it stopped, or crashed,
        while catching up) are deferred again, to be resolved with the next drain. Only
        once every kind has a model: a record of a kind without one would hold up the
        resolution of everything deferred with it."""
        try:
            if self._every_kind_trained():
                self.deferred.update(self.resolver.pending())
                self.stats.deferred = len(self.deferred)
        except Exception:
            log.exception("could not read the records waiting for resolution")

    def _announce_or_hold(self, batch: _Unannounced) -> None:
        """Announce, with whatever an earlier try of this batch could not. If the stream or
        the graph is unreachable, hold it all and raise StoreUnavailable: the port retries
        the batch, uncommitted, and that retry announces (at least once, as ever)."""
        held, self._unannounced = self._unannounced, None
        if held is not None:
            batch = _Unannounced(held.records | batch.records,
                                 [*held.activities, *batch.activities],
                                 [*held.changes, *batch.changes])  # fmt: skip
        try:
            self._announce(batch.records, batch.activities, batch.changes)
        except (redis.ConnectionError, redis.TimeoutError, OSError, GraphStoreError) as exc:
            if isinstance(exc, GraphStoreError) and not _unreachable(exc):
                raise
            self._unannounced = batch
            raise StoreUnavailable(
                f"the batch's changes are applied, not announced: {exc}"
            ) from exc

    def _announce(
        self,
        records: set[str],
        activities: list[tuple[Change, dict[str, Any]]],
        changes: Sequence[Change],
    ) -> None:
        """One customer.changed per customer a batch touched, and interaction.recorded /
        transaction.recorded per activity, keyed by customer. At-least-once, like the
        changes themselves: a replayed batch announces again. customer.changed carries
        `sor_committed_at`, when the system of record committed the earliest change it
        announces (epoch ms; absent when no change said), as activities' events do."""
        assert self.publish is not None
        keys = records | {str(props.get("record_key")) for _, props in activities}
        rows = self.store.run("cdc/customers_of_records", {"keys": sorted(keys)})
        customer_of = {key: row["customer"] for row in rows for key in row["records"]}
        committed: dict[str, int] = {}  # customer -> earliest commit announced
        for key, at in [(ch.key, ch.commit_ms) for ch in changes if ch.label == "Record"] + [
            (str(p.get("record_key")), p.get("sor_committed_at")) for _, p in activities
        ]:
            customer = customer_of.get(key)
            if customer is not None and isinstance(at, int):
                committed[customer] = min(at, committed.get(customer, at))
        events: list[tuple[str, str, dict[str, Any]]] = []
        for row in rows:
            data = {"customer_id": row["customer"], "change": "system_of_record",
                    "records": sorted(set(row["records"]) & records)}  # fmt: skip
            if row["customer"] in committed:
                data["sor_committed_at"] = committed[row["customer"]]
            events.append((CUSTOMER_CHANGED, row["customer"], data))
        for change, props in activities:
            customer = customer_of.get(str(props.get("record_key")))
            if customer is None:
                continue  # parked until its record arrives
            kind = INTERACTION_RECORDED if change.label == "Interaction" else TRANSACTION_RECORDED
            data = {k: v for k, v in props.items() if isinstance(v, str | int | float | bool)}
            events.append((kind, customer, {**data, "customer_id": customer, "key": change.key}))
        if events:
            self.publish(events)  # one round trip for the batch
        self.stats.announced += len(rows)

    def _stored(self, label: str, keys: Iterable[str]) -> dict[str, StoredRow]:
        keys = sorted(set(keys))
        if not keys:
            return {}
        rows = self.store.run(f"cdc/versions_{_PLURAL[label]}", {"keys": keys})
        if label == "Record":
            self._records_state = {
                r["key"]: (r["version"], bool(r["deleted"]), list(r["customers"] or []))
                for r in rows
            }
        else:
            self._activity_record_of.update(
                (r["key"], r["record_key"]) for r in rows if r.get("record_key")
            )
        return {
            r["key"]: StoredRow(
                r["version"], bool(r["deleted"]), r.get("lsn"), r.get("deleted_lsn")
            )
            for r in rows
        }

    def _name_reps(self, interactions: list[tuple[Change, dict[str, Any]]]) -> None:
        """An interaction's `rep` is its rep's name, as the API's own writes hold it (the
        row has the rep's id only): one look-up per batch, cached."""
        if self.rep_names is None or not interactions:
            return
        props = [params["props"] for _, params in interactions]
        names = self.rep_names.names(str(p["rep_id"]) for p in props if p.get("rep_id"))
        for p in props:
            name = names.get(str(p.get("rep_id")))
            if name is not None:
                p["rep"] = name

    def count_parked(self) -> int:
        """Activities waiting for their Record, in the whole graph (kept in `stats.parked`).
        Asked when the metrics are read, not per batch: a batch's round trips are its
        latency."""
        rows = self.store.run_cypher("MATCH (a:Unlinked) RETURN count(a) AS n")
        self.stats.parked = int(rows[0]["n"]) if rows else 0
        return self.stats.parked

    def _resolve(self, keys: list[str]) -> set[str]:
        """Resolve `keys` with whatever waits (deferred, or earlier without a model);
        returns the deferred records it resolved, whose customers are yet to be announced."""
        if time.monotonic() < self._untrained_until:  # asked a moment ago: still no model
            return self._postpone(keys)
        swept = set(self.deferred)
        keys = sorted(set(keys) | self.pending_resolution | swept)
        try:
            # A full run of a big graph can outlast the bus's poll interval; the consumer
            # then rejoins its group, with nothing uncommitted: the backlog is applied.
            if swept and self._full_run_pays(len(keys)):
                log.info("catch-up: %d record(s) resolved by a full run", len(keys))
                resolved = self.resolver.resolve_full().records
                self.stats.full_runs += 1
            else:  # in chunks: bounded memory, the same cost per record
                resolved = 0
                for i in range(0, len(keys), SWEEP_CHUNK):
                    resolved += self.resolver.resolve_records(keys[i : i + SWEEP_CHUNK]).records
        except NotTrained as exc:
            self._untrained_until = time.monotonic() + UNTRAINED_RECHECK_S
            log.info("%d record(s) wait for a trained model: %s", len(keys), exc)
            self._undefer()
            return self._postpone(keys)
        except Exception:  # evidence is in; a full run will resolve what this missed
            self.stats.resolution_errors += 1
            log.exception("incremental resolution of %d record(s) failed", len(keys))
            self._undefer()
            return self._postpone(keys)
        self.pending_resolution.clear()
        self.stats.resolution_pending = 0
        self._undefer()
        self.stats.resolved += resolved
        self.stats.resolved_at = time.time()
        return swept

    def _postpone(self, keys: Iterable[str]) -> set[str]:
        """Keep `keys` for the next resolution that can run; nothing resolved to announce."""
        self.pending_resolution.update(keys)
        self.stats.resolution_pending = len(self.pending_resolution)
        return set()

    def _undefer(self) -> None:
        self.deferred.clear()
        self.stats.deferred = 0

    def _every_kind_trained(self) -> bool:
        return len(self.resolver.stored_kinds()) == len(KINDS)

    def _full_run_pays(self, waiting: int) -> bool:
        """A full run is cheaper than resolving `waiting` records one by one when they are
        `full_run_fraction` of the graph, and it may run only where every kind has its model
        (a full run trains a missing one, which is a steward's call, not apply's)."""
        if not self._every_kind_trained():
            return False
        rows = self.store.run("cdc/record_count")
        return waiting >= self.full_run_fraction * max(int(rows[0]["records"]), 1)


class _Unannounced(NamedTuple):
    records: set[str]
    activities: list[tuple[Change, dict[str, Any]]]
    changes: list[Change]


def _unreachable(exc: GraphStoreError) -> bool:
    """The store error is a lost connection (retry), not a statement that failed."""
    return isinstance(exc.__cause__, (redis.ConnectionError, redis.TimeoutError, OSError))


@dataclass
class _Folding:
    upsert: Change | None = None
    gone: Change | None = None  # a delete after `upsert`
    boundary: int | str | None = None  # the latest delete's log position


def fold_changes(changes: Sequence[Change]) -> list[Change]:
    """Per key, in order of first appearance: the newest upsert image, then a delete if
    one came after it (the delete event, which has a position, rather than its tombstone).

    Upserts are ordered by version, within a life; a delete with a log position ends a
    life: an upsert after it with a later position (the row inserted again) beats every
    upsert before it, and one at or before it (an earlier life's event, replayed) is
    dropped. See `upsert_verdict`."""
    folding: dict[str, _Folding] = {}
    for ch in changes:
        f = folding.setdefault(ch.key, _Folding())
        if ch.op == "delete":
            if f.gone is None or ch.lsn is not None or f.gone.lsn is None:
                f.gone = ch
            if ch.lsn is not None and (
                f.boundary is None
                or (_comparable(ch.lsn, f.boundary) and _after(ch.lsn, f.boundary))
            ):
                f.boundary = ch.lsn
            continue
        if f.boundary is not None and _comparable(ch.lsn, f.boundary):
            assert ch.lsn is not None
            if not _after(ch.lsn, f.boundary):
                continue  # an earlier life's event, after its delete in the batch: a replay
            current = f.upsert
            if current is None or not (
                _comparable(current.lsn, f.boundary) and _after(current.lsn, f.boundary)  # type: ignore[arg-type]
            ):
                f.upsert, f.gone = ch, None  # the first event of a new life
                continue
        if f.upsert is None or (ch.version or 0) >= (f.upsert.version or 0):
            f.upsert = ch
        f.gone = None
    out: list[Change] = []
    for f in folding.values():  # dicts keep insertion order: first appearance
        if f.upsert is not None:
            out.append(f.upsert)
        if f.gone is not None:
            out.append(f.gone)
    return out


def _latest_deletes(changes: Sequence[Change]) -> dict[str, int | str]:
    """The log position of each key's latest delete in a batch (folded away when the
    row was inserted again in the same batch, but still the line between its lives)."""
    out: dict[str, int | str] = {}
    for ch in changes:
        if ch.op == "delete" and ch.lsn is not None:
            seen = out.get(ch.key)
            if seen is None or (_comparable(ch.lsn, seen) and _after(ch.lsn, seen)):
                out[ch.key] = ch.lsn
    return out

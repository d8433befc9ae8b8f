"""Customer-facing writes through the system of record, when one is configured
(`C360_SOR_URL`): the same interface as `api.service.GraphWrites`, but every write goes to
the SoR and reaches the graph only through change data capture.

- PostgreSQL / SQL Server: Debezium (`c360 capture`) reads the change and `c360 apply`
  writes it to the graph, in processes of their own.
- SQLite (the embedded default): the SoR writes each change's event to its outbox; this
  process relays it (`workers.cdc.outbox`) onto an in-process `MemoryBus` and applies it
  (`workers.cdc.apply`) on threads of its own, so a recorded interaction shows in the 360
  view a moment after the mutation returns. With several API processes on one SQLite
  file, whichever relays a row first publishes it; a second copy changes nothing.

Mapping a graph customer to the SoR: a customer with a live `sor:<id>` record is SoR
customer `<id>`. One without is given a SoR row built from its golden record, with an id
derived from the customer id (uuid5, so a retry or a second process finds the same row).
When that row's `sor:<id>` record reaches the graph it is pinned to the customer it was
made for, as a steward's attach is (`Stewardship.attach`), so resolution cannot file it
elsewhere. Mutations answer with what was written (ids), not a graph read.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import make_url

from api.service import BadInput, CustomerService, NotFound
from graph.store import GraphStore, Row
from ingest.sor.db import SystemOfRecord
from ingest.sor.errors import InvalidRow, SorError
from ingest.sor.schema import INTERACTION_CHANNELS
from resolvers.identity import IdentityResolver, NotTrained
from resolvers.review import StewardError, Stewardship
from workers.bus.memory import MemoryBus
from workers.bus.port import Message
from workers.cdc.apply import Apply, record_key
from workers.cdc.outbox import OutboxRelay
from workers.cdc.reps import RepNames

log = logging.getLogger(__name__)

# uuid5 namespace of the SoR rows made for graph customers (fixed: ids must not move).
CUSTOMER_NAMESPACE = uuid.UUID("5c8f0d3e-2a4b-4c1e-9a57-c360c360c360")
PIN_PATIENCE_S = 600.0  # how long a pin waits for its record to reach the graph
POLL_S = 0.1
# The API's free-text interaction type, as the SoR's closed list of channels.
CHANNEL_SYNONYMS = {"phone": "call", "phone call": "call", "text": "sms", "message": "sms",
                    "mail": "email", "e-mail": "email", "in person": "meeting",
                    "site visit": "visit", "dm": "social"}  # fmt: skip
# CustomerEdit field -> customers column (name, company and owner are mapped by hand)
EDIT_COLUMNS = {"first_name": "given_name", "last_name": "family_name", "email": "email",
                "phone": "phone", "street_address": "address_line1", "city": "city",
                "parish": "parish", "date_of_birth": "date_of_birth", "website": "website"}  # fmt: skip


def channel_of(kind: str | None) -> str:
    text = (kind or "").strip().lower()
    if text in INTERACTION_CHANNELS:
        return text
    return CHANNEL_SYNONYMS.get(text, "other")


@dataclass
class _Pin:
    key: str  # the sor:<id> record
    customer: str
    actor: str
    reason: str
    until: float


class Pins:
    """Records to pin to a customer once CDC has brought them into the graph."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._pending: dict[str, _Pin] = {}
        self._lock = threading.Lock()

    def add(self, key: str, customer: str, actor: str, reason: str) -> None:
        with self._lock:
            self._pending[key] = _Pin(
                key, customer, actor, reason, time.monotonic() + PIN_PATIENCE_S
            )

    def __len__(self) -> int:
        return len(self._pending)

    def check(self) -> int:
        """Pin whichever pending records have arrived; returns how many were pinned."""
        with self._lock:
            if not self._pending:
                return 0
            pending = dict(self._pending)
            rows = self.store.run("cdc/versions_records", {"keys": sorted(pending)})
            arrived = [pending[r["key"]] for r in rows if not r["deleted"]]
            done = 0
            for pin in arrived:
                try:
                    Stewardship(IdentityResolver(self.store)).attach(
                        pin.key, pin.customer, pin.actor, pin.reason
                    )
                    done += 1
                except NotTrained as exc:  # nothing can be resolved yet: wait for a model
                    if time.monotonic() < pin.until:
                        continue
                    log.warning("record %s not pinned to %s: %s", pin.key, pin.customer, exc)
                except StewardError as exc:  # the customer was merged or lost its records
                    log.warning("record %s not pinned to %s: %s", pin.key, pin.customer, exc)
                self._pending.pop(pin.key, None)
            now = time.monotonic()
            for pin in pending.values():
                if pin.key in self._pending and now > pin.until:
                    log.warning("record %s never reached the graph; not pinned", pin.key)
                    self._pending.pop(pin.key, None)
            return done


class _EmbeddedApply(Apply):
    """Apply that pins newly arrived records right after each batch, on its own thread,
    so the pin and apply's own resolution of the record never interleave."""

    pins: Pins | None = None

    def handle(self, batch: Sequence[Message]) -> None:
        super().handle(batch)
        if self.pins is not None:
            self.pins.check()


class SorWrites:
    """`GraphWrites`' interface over the system of record. `start()` runs the in-process
    change path (SQLite) or the pin watcher (databases Debezium reads); `close()` stops."""

    def __init__(self, store: GraphStore, sor: SystemOfRecord) -> None:
        self.store = store
        self.sor = sor
        self.pins = Pins(store)
        self.embedded = sor.outbox
        self.bus: MemoryBus | None = None
        self.relay: OutboxRelay | None = None
        self.apply: _EmbeddedApply | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        if self.embedded:
            self.bus = MemoryBus()
            self.relay = OutboxRelay(sor, self.bus, poll_interval_s=0.5)
            self.apply = _EmbeddedApply(store, self.bus, topic_prefix=sor.topic_prefix,
                                        group="c360-api-apply", rep_names=RepNames(sor))  # fmt: skip
            self.apply.pins = self.pins

    @classmethod
    def from_url(cls, store: GraphStore, url: str, *, topic_prefix: str = "c360") -> SorWrites:
        """The SoR at `url`. A SQLite file is migrated to the current schema first (the
        embedded default needs no set-up); a server database is the DBA's to migrate."""
        if make_url(url).get_backend_name() == "sqlite":
            from ingest.sor.migrate import upgrade

            upgrade(url)
        return cls(store, SystemOfRecord.from_url(url, topic_prefix=topic_prefix))

    # -- running ---------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        if self.embedded:
            assert self.relay is not None and self.apply is not None
            self.relay.start()
            apply = self.apply
            self._spawn("sor-apply", lambda: apply.consume(stop=self._stop.is_set))
        else:
            self._spawn("sor-pins", self._watch_pins)

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _watch_pins(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                self.pins.check()
            except Exception:
                log.exception("pinning arrived system-of-record records failed; retrying")

    def close(self) -> None:
        self._stop.set()
        if self.relay is not None:
            self.relay.stop()
        for thread in self._threads:
            thread.join(10)
        self._threads.clear()
        self.sor.close()

    # -- the writes ----------------------------------------------------------------------
    def edit_customer(self, customer: Row, changes: Row, actor: str) -> str:
        """The correction updates the customer's SoR row (made from the golden record
        first if it has none). Returns the SoR record key, `sor:<id>`."""
        values = self._edit_values(customer, changes)
        sor_id, made = self._sor_customer(customer, actor, extra=values)
        if values and not made:  # a row made just now already holds the values
            self._sor(lambda: self.sor.upsert_customer({"id": sor_id, **values}), customer["id"])
        return record_key(str(sor_id))

    def record_interaction(self, customer_id: str, fields: Row, key: str | None = None) -> Row:
        """A `customer_interactions` row of the customer's SoR customer. `key` makes a
        retry idempotent (the row id derives from it). Returns what was written."""
        customer = self._customer(customer_id)
        sor_id, _ = self._sor_customer(customer, str(fields.get("rep") or "api"))
        row_id = (uuid.uuid5(CUSTOMER_NAMESPACE, f"{customer['id']}/interaction/{key}")
                  if key else uuid.uuid4())  # fmt: skip
        row: dict[str, Any] = {
            "id": row_id, "customer_id": sor_id, "channel": channel_of(fields.get("type")),
            "occurred_at": fields.get("occurred_at"), "subject": fields.get("subject"),
            "notes": fields.get("notes"), "outcome": fields.get("outcome"),
        }  # fmt: skip
        rep = self._rep_id(fields.get("rep"))
        if rep is not None:
            row["rep_id"] = rep
        written = self._sor(
            lambda: self.sor.record_interaction({k: v for k, v in row.items() if v is not None}),
            customer_id,
        )
        occurred = written["occurred_at"]
        return {
            "key": f"sor:interactions:{written['id']}", "id": str(written["id"]), "source": "sor",
            "type": written["channel"], "subject": written.get("subject"),
            "notes": written.get("notes"), "outcome": written.get("outcome"),
            "rep": fields.get("rep"), "customer_id": customer["id"], "sor_customer_id": str(sor_id),
            "occurred_at": occurred.astimezone(UTC).replace(microsecond=0).isoformat()
            if isinstance(occurred, datetime) else occurred,
        }  # fmt: skip

    # -- mapping ---------------------------------------------------------------------
    def _customer(self, customer_id: str) -> Row:
        found = CustomerService(self.store).by_ids([customer_id]).get(customer_id)
        if found is None:
            raise NotFound(f"no customer {customer_id}")
        return found

    def _sor_customer(
        self, customer: Row, actor: str, extra: Mapping[str, Any] | None = None
    ) -> tuple[uuid.UUID, bool]:
        """The SoR customer behind a graph customer, and whether it was made now: made
        from its golden record (with `extra` values) when there is none yet, and pinned
        to the customer when its record arrives."""
        for row in CustomerService(self.store).records([customer["id"]])[customer["id"]]:
            record = row["record"]
            if record.get("source") == "sor" and not record.get("deleted"):
                return uuid.UUID(str(record["source_id"])), False
        sor_id = uuid.uuid5(CUSTOMER_NAMESPACE, str(customer["id"]))
        made = self.sor.get_customer(sor_id) is None
        if made:
            row = {**golden_to_sor(customer), **(extra or {}), "id": sor_id}
            self._sor(lambda: self._insert_tolerant(row, keep=set(extra or {})), customer["id"])
        self.pins.add(record_key(str(sor_id)), str(customer["id"]), actor,
                      "system-of-record row made for this customer")  # fmt: skip
        return sor_id, made

    def _insert_tolerant(self, row: dict[str, Any], keep: set[str]) -> Row:
        """Insert, leaving out golden-record values the SoR refuses (a name in a shape its
        rules do not take); what the caller asked for (`keep`) is refused, not dropped."""
        for _ in range(len(row)):
            try:
                return self.sor.upsert_customer(row)
            except InvalidRow as exc:
                fields = {f.split(".", 1)[1] for f in exc.problems if "." in f}
                droppable = fields & set(row) - {"id", "kind", *keep}
                if not droppable:
                    raise
                for name in droppable:
                    row.pop(name)
        return self.sor.upsert_customer(row)

    def _edit_values(self, customer: Row, changes: Row) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field, value in changes.items():
            if value is None:
                continue
            if field in EDIT_COLUMNS:
                values[EDIT_COLUMNS[field]] = value
            elif field == "company" or (field == "name" and customer.get("kind") == "business"):
                values["company_name"] = value
            elif field == "name":
                given, _, family = str(value).strip().rpartition(" ")
                values.update(given_name=given or None, family_name=family)
            elif field == "owner":
                rep = self._rep_id(value)
                if rep is None:
                    raise BadInput(f"edit.owner: {value!r} is not the id of a sales rep in the "
                                   "system of record")  # fmt: skip
                values["owner_rep_id"] = rep
            else:
                raise BadInput(f"edit.{field}: not a field of a system-of-record customer")
        return values

    def _rep_id(self, value: Any) -> uuid.UUID | None:
        try:
            rep = uuid.UUID(str(value))
        except ValueError:
            return None
        return rep if self.sor.get_sales_rep(rep) is not None else None

    @staticmethod
    def _sor(write: Any, customer_id: str) -> Any:
        """A SoR refusal as the API's BadInput, naming the customer and the field."""
        try:
            return write()
        except SorError as exc:
            raise BadInput(f"customer {customer_id}: {exc}") from None


def golden_to_sor(customer: Mapping[str, Any]) -> dict[str, Any]:
    """A graph customer's golden record as a `customers` row (what the SoR can hold)."""
    kind = "business" if customer.get("kind") == "business" else "person"
    row: dict[str, Any] = {"kind": kind}
    if kind == "business":
        row["company_name"] = customer.get("name")
    else:
        given, family = customer.get("given_name"), customer.get("family_name")
        if not (given or family) and customer.get("name"):
            first, _, last = str(customer["name"]).strip().rpartition(" ")
            given, family = first or None, last
        row.update(given_name=given, family_name=family)
    for column, field in (("email", "email"), ("phone", "phone"), ("city", "city"),
                          ("parish", "parish"), ("date_of_birth", "dob"),
                          ("website", "website")):  # fmt: skip
        if customer.get(field):
            row[column] = customer[field]
    return {k: v for k, v in row.items() if v is not None}


def writes_for(settings: Any, store: GraphStore, graph_writes: Any) -> Any:
    """What `create_app` hands the resolvers: SoR writes when `C360_SOR_URL` is set, else
    the direct graph writes it was given."""
    if not settings.sor_url:
        return graph_writes
    return SorWrites.from_url(store, settings.sor_url, topic_prefix=settings.cdc_topic_prefix)

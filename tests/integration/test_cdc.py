"""Change data capture end to end, over the real pipeline: PostgreSQL (wal_level=logical,
a database of its own) -> Debezium embedded -> a tansu Kafka broker -> the apply worker
-> the embedded FalkorDB.

Each test has its own topic prefix, replication slot, consumer group and graph, so they
do not see each other's events (the snapshot of a new slot does bring every row already
in the shared database, which the tests ignore by looking at their own keys).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from c360.processes import stop_process
from c360.settings import REPO_ROOT
from graph.falkordb_store import FalkorDBStore
from ingest.quarantine import Quarantine
from ingest.sor.db import SystemOfRecord
from tests.conftest import stale_activity_dates
from tests.integration import bus_fixtures, pg_fixtures
from tests.integration.test_apply_catch_up import resolved_graph
from workers.bus import H_ERROR, Message
from workers.bus.broker import TansuBroker
from workers.bus.kafka import KafkaBus
from workers.cdc.apply import (
    Apply,
    ApplyError,
    Change,
    activity_key,
    decode,
    fold_changes,
    record_key,
)
from workers.cdc.capture import Capture, CaptureError, drop_slot
from workers.cdc.postgres import ensure_logical_wal, libpq_dsn

tansu_broker = bus_fixtures.tansu_broker
logical_postgres = pg_fixtures.logical_postgres
cdc_database_url = pg_fixtures.cdc_database_url

# Debezium's JVM runs inside this process: these run last (see tests/conftest.py).
pytestmark = [pytest.mark.falkordb, pytest.mark.jvm]

WAIT_S = 60.0  # generous: a shared 2-core machine; the waits end as soon as state is there


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def letters(n: int) -> str:
    """A number spelt in letters: names with digits are refused as names by ingest."""
    return "".join(chr(ord("a") + int(d)) for d in str(n))


def person(**extra: Any) -> dict[str, Any]:
    tag = "".join(chr(ord("a") + int(ch, 16)) for ch in uuid.uuid4().hex[:6])
    return {
        "kind": "person",
        "given_name": "Tanya",
        "family_name": f"Brown{tag}",
        "email": f"tanya.{tag}@example.com",
        "phone": "(876) 555-0142",
        "address_line1": "12 Hope Road",
        "city": "Kingston 6",
        "parish": "st andrew",
        **extra,
    }


def record(store: FalkorDBStore, key: str) -> dict[str, Any] | None:
    rows = store.run_cypher("MATCH (r:Record {key: $k}) RETURN r {.*} AS r", {"k": key})
    return rows[0]["r"] if rows else None


def version_of(store: FalkorDBStore, key: str) -> int | None:
    found = record(store, key)
    return None if found is None else found.get("version")


@dataclass
class Pipeline:
    """One capture + one apply worker (on a thread) over the session's broker."""

    url: str
    bus: KafkaBus
    store: FalkorDBStore
    sor: SystemOfRecord
    prefix: str
    slot: str
    offsets: Path
    apply: Apply
    capture: Capture | None = None
    _thread: threading.Thread | None = None
    _stop: threading.Event | None = None

    def start_capture(self) -> Capture:
        self.capture = Capture(
            self.url, self.bus, offsets_path=self.offsets, topic_prefix=self.prefix,
            slot_name=self.slot,
        )  # fmt: skip
        self.capture.start()
        self.capture.wait_ready()
        return self.capture

    def start_apply(self) -> None:
        self._stop = threading.Event()
        stop = self._stop
        self._thread = threading.Thread(
            target=lambda: self.apply.consume(stop=stop.is_set), name="apply", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._stop is not None and self._thread is not None:
            self._stop.set()
            self._thread.join(30)
        if self.capture is not None:
            self.capture.stop()
            self.capture = None

    def topic(self, table: str) -> str:
        return f"{self.prefix}.public.{table}"


@pytest.fixture
def pipeline(
    cdc_database_url: str,
    tansu_broker: TansuBroker,
    falkordb_store: FalkorDBStore,
    tmp_path: Path,
) -> Iterator[Pipeline]:
    tag = uuid.uuid4().hex[:8]
    bus = KafkaBus(tansu_broker.bootstrap_servers, client_id="c360-cdc-tests")
    sor = SystemOfRecord.from_url(cdc_database_url)
    apply = Apply(falkordb_store, bus, topic_prefix=f"t{tag}", group=f"apply-{tag}")
    p = Pipeline(
        url=cdc_database_url, bus=bus, store=falkordb_store, sor=sor, prefix=f"t{tag}",
        slot=f"c360_t{tag}", offsets=tmp_path / "offsets.dat", apply=apply,
    )  # fmt: skip
    yield p
    p.stop()
    # Slots are few (max_replication_slots, 10 by default) and shared by every test run on
    # the machine: each test frees its own.
    drop_slot(p.url, p.slot, f"{p.slot}_pub")
    sor.close()
    bus.close()
    tansu_broker.check_alive()


def drain(sub: Any, into: list[Message]) -> list[Message]:
    """Poll what is there onto `into`; returns `into`."""
    into.extend(sub.poll(100, 0.5))
    return into


def sql(url: str, statement: str, *args: Any) -> None:
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        conn.execute(statement, args)


def test_logical_wal_is_idempotent(logical_postgres: str) -> None:
    assert ensure_logical_wal(f"{logical_postgres}/postgres") is False  # already logical


def test_snapshot_insert_update_delete_reach_the_graph(pipeline: Pipeline) -> None:
    before = pipeline.sor.upsert_customer(person())  # exists before capture starts
    pipeline.start_capture()
    pipeline.start_apply()
    old_key = record_key(str(before["id"]))
    wait_for("the snapshot", lambda: version_of(pipeline.store, old_key) == 1)
    snap = record(pipeline.store, old_key)
    assert snap is not None
    assert snap["source"] == "sor" and snap["kind"] == "person"
    assert snap["parish"] == "St. Andrew" and snap["deleted"] is False

    new = pipeline.sor.upsert_customer(person(given_name="Marlon"))
    new_key = record_key(str(new["id"]))
    visit = pipeline.sor.record_interaction(
        {"customer_id": new["id"], "channel": "visit", "subject": "Quote"}
    )
    sale = pipeline.sor.record_transaction({"customer_id": new["id"], "amount": "1250.50"})
    pipeline.sor.upsert_customer({"id": before["id"], "email": "tanya.new@example.com"})
    wait_for("the insert", lambda: version_of(pipeline.store, new_key) == 1)
    wait_for("the update", lambda: version_of(pipeline.store, old_key) == 2)
    emails = pipeline.store.run_cypher(
        "MATCH (:Record {key: $k})-[:HAS_EMAIL]->(e) RETURN e.value AS v", {"k": old_key}
    )
    assert [e["v"] for e in emails] == ["tanya.new@example.com"]  # re-linked, old one off

    def activities() -> list[dict[str, Any]]:
        return pipeline.store.run_cypher(
            "MATCH (:Record {key: $k})-[:HAS_INTERACTION|HAS_TRANSACTION]->(a) "
            "RETURN a.key AS key, a.amount AS amount, a.type AS type ORDER BY key",
            {"k": new_key},
        )

    wait_for("the interaction and the transaction", lambda: len(activities()) == 2)
    got = {a["key"]: a for a in activities()}
    assert got[f"sor:interactions:{visit['id']}"]["type"] == "visit"
    assert got[f"sor:transactions:{sale['id']}"]["amount"] == 1250.5

    gone = pipeline.sor.upsert_customer(person(given_name="Gone"))
    gone_key = record_key(str(gone["id"]))
    wait_for("the row to delete", lambda: version_of(pipeline.store, gone_key) == 1)
    sql(pipeline.url, "DELETE FROM customers WHERE id = %s", gone["id"])
    wait_for("the delete", lambda: (record(pipeline.store, gone_key) or {}).get("deleted") is True)
    kept = record(pipeline.store, gone_key)
    assert kept is not None and kept["given_name"] == "Gone"  # evidence stays
    assert pipeline.apply.stats.resolution_pending > 0  # no model trained in this graph
    wait_for("no lag", lambda: sum(pipeline.apply.consumer_lag().values()) == 0)
    assert set(pipeline.apply.consumer_lag()) == set(pipeline.apply.topics)
    assert pipeline.apply.stats.dead_lettered == 0
    pipeline.capture.check()  # type: ignore[union-attr]


def test_a_burst_on_one_row_keeps_its_order(pipeline: Pipeline) -> None:
    row = pipeline.sor.upsert_customer(person())
    key = record_key(str(row["id"]))
    pipeline.start_capture()
    pipeline.start_apply()
    wait_for("the snapshot", lambda: version_of(pipeline.store, key) == 1)
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:  # the graph's version of the row never goes back
        while not done.is_set():
            v = version_of(pipeline.store, key)
            if v is not None:
                seen.append(v)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        for n in range(2, 52):
            pipeline.sor.upsert_customer({"id": row["id"], "given_name": f"Tanya{letters(n)}"})
        wait_for("the last update", lambda: version_of(pipeline.store, key) == 51)
    finally:
        done.set()
        watcher.join()
    assert seen == sorted(seen), "the graph saw an older version after a newer one"
    final = record(pipeline.store, key)
    assert final is not None and final["given_name"] == f"Tanya{letters(51)}"
    assert pipeline.apply.stats.dead_lettered == 0


def test_stale_and_duplicate_events_change_nothing(pipeline: Pipeline) -> None:
    row = pipeline.sor.upsert_customer(person())
    key = record_key(str(row["id"]))
    pipeline.start_capture()
    pipeline.start_apply()
    pipeline.sor.upsert_customer({"id": row["id"], "given_name": "Newer"})
    wait_for("version 2", lambda: version_of(pipeline.store, key) == 2)
    before = record(pipeline.store, key)
    events: list[Message] = []
    with pipeline.bus.subscribe([pipeline.topic("customers")], f"peek-{uuid.uuid4().hex}") as sub:
        wait_for("the captured events", lambda: any(
            str(row["id"]) in m.key and b'"version":2' in (m.value or b"")
            for m in drain(sub, events)))  # fmt: skip
    mine = [m for m in events if str(row["id"]) in m.key]
    assert {b'"version":1' in (m.value or b"") for m in mine} == {True, False}
    handled = pipeline.apply.stats.events
    for m in mine:  # the old one again, and the newest one twice
        pipeline.bus.publish(m.topic, m.key, m.value, {})
    pipeline.bus.flush()
    wait_for("the replays", lambda: pipeline.apply.stats.events >= handled + len(mine))
    assert record(pipeline.store, key) == before  # not even ingested_at moved


def test_an_added_column_does_not_stop_the_stream(pipeline: Pipeline) -> None:
    row = pipeline.sor.upsert_customer(person())
    key = record_key(str(row["id"]))
    pipeline.start_capture()
    pipeline.start_apply()
    wait_for("the snapshot", lambda: version_of(pipeline.store, key) == 1)
    sql(pipeline.url, "ALTER TABLE customers ADD COLUMN IF NOT EXISTS loyalty_tier varchar(20)")
    sql(
        pipeline.url,
        "UPDATE customers SET loyalty_tier = 'gold', city = 'Mandeville', version = version + 1"
        " WHERE id = %s",
        row["id"],
    )
    wait_for("the change after the DDL", lambda: version_of(pipeline.store, key) == 2)
    got = record(pipeline.store, key)
    assert got is not None and got["city"] == "Mandeville"  # known columns applied
    assert "loyalty_tier" not in got  # the unknown one ignored
    assert pipeline.apply.stats.dead_lettered == 0
    stats = pipeline.apply.stats.as_dict()
    assert stats["applied"] >= 2 and stats["latency_ms_p50"] is not None


def test_a_poison_message_goes_to_the_dlq_alone(pipeline: Pipeline) -> None:
    pipeline.start_capture()
    pipeline.start_apply()
    first = pipeline.sor.upsert_customer(person())
    wait_for("a first row", lambda: version_of(pipeline.store, record_key(str(first["id"]))) == 1)
    poison_key = '{"id":"' + str(uuid.uuid4()) + '"}'
    pipeline.bus.publish(pipeline.topic("customers"), poison_key, b'{"op": "c", "after": 42')
    pipeline.bus.flush()
    # A row the SoR took but ingest's name rules refuse is no poison: it lands, the
    # refused field named.
    after = pipeline.sor.upsert_customer(person(given_name="R2D2"))
    wait_for(
        "the row after it", lambda: version_of(pipeline.store, record_key(str(after["id"]))) == 1
    )
    wait_for("the dead letter", lambda: pipeline.apply.stats.dead_lettered == 1)
    dlq = pipeline.topic("customers") + ".dlq"
    with pipeline.bus.subscribe([dlq], f"dlq-{uuid.uuid4().hex}") as sub:
        dead: list[Message] = []
        wait_for("the DLQ message", lambda: bool(drain(sub, dead)))
        time.sleep(1)
        drain(sub, dead)
    assert [m.key for m in dead] == [poison_key]
    assert "not JSON" in (dead[0].header(H_ERROR) or "")
    landed = record(pipeline.store, record_key(str(after["id"])))
    assert landed is not None and "name contains digits" in landed["invalid_fields"][0]
    emails = pipeline.store.run_cypher(
        "MATCH (:Record {key: $k})-[:HAS_EMAIL]->(e) RETURN e.value AS v",
        {"k": record_key(str(after["id"]))},
    )
    assert [e["v"] for e in emails] == [after["email"]]  # the rest of the row is there


def snapshot_offsets_settled(pipeline: Pipeline) -> bool:
    """Whether the capture has stored the offsets of its finished snapshot and its
    replication slot is acknowledged up to them."""
    stored = pipeline.offsets.read_bytes() if pipeline.offsets.exists() else b""
    lsn = re.search(rb'"lsn":(\d+)', stored)
    if lsn is None or b'"snapshot_completed":true' not in stored:
        return False
    with psycopg.connect(libpq_dsn(pipeline.url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots "
            "WHERE slot_name = %s",
            (pipeline.slot,),
        ).fetchone()
    return row is not None and row[0] is not None and row[0] >= int(lsn.group(1))


def spawn_capture(
    pipeline: Pipeline, broker: TansuBroker, flush_interval_ms: int
) -> subprocess.Popen[str]:
    """The capture worker as its own process, to be killed like a crashed one."""
    return subprocess.Popen(
        [sys.executable, "-m", "workers.cdc.capture", "--db-url", pipeline.url,
         "--bootstrap", broker.bootstrap_servers, "--offsets", str(pipeline.offsets),
         "--prefix", pipeline.prefix, "--slot", pipeline.slot,
         "--flush-interval-ms", str(flush_interval_ms)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def wait_capture_ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    said: list[str] = []
    for line in proc.stdout:
        said.append(line)
        if "capture ready" in line:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain
            return
    tail = "".join(said[-30:])
    raise AssertionError(f"capture process exited with {proc.wait()}:\n{tail}")


def test_capture_killed_and_restarted_replays_without_duplicate_effects(
    pipeline: Pipeline, tansu_broker: TansuBroker, tmp_path: Path
) -> None:
    """The capture worker as its own process, killed with SIGKILL mid-stream: offsets are
    flushed rarely, so a restart replays what it had already published."""
    rows = [pipeline.sor.upsert_customer(person()) for _ in range(3)]
    pipeline.start_apply()
    proc = spawn_capture(pipeline, tansu_broker, flush_interval_ms=600_000)
    try:
        wait_capture_ready(proc)
        # Debezium stores the offsets once when the snapshot ends and then acknowledges to
        # the slot the newest position it has read, which on a slow machine can already be
        # past the changes below (CI once): never replayed. After both, the next store is
        # 600 s away.
        wait_for("the snapshot's offsets stored and acknowledged",
                 lambda: snapshot_offsets_settled(pipeline))  # fmt: skip
        for n, row in enumerate(rows):
            pipeline.sor.upsert_customer({"id": row["id"], "given_name": f"Before{letters(n)}"})
        for row in rows:
            pipeline.sor.record_interaction({"customer_id": row["id"], "channel": "call"})
        keys = [record_key(str(r["id"])) for r in rows]
        wait_for("the changes before the kill", lambda: all(
            version_of(pipeline.store, k) == 2 for k in keys))  # fmt: skip
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        for n, row in enumerate(rows):  # while capture is down
            pipeline.sor.upsert_customer({"id": row["id"], "given_name": f"During{letters(n)}"})
        stale_before = pipeline.apply.stats.stale
        proc = spawn_capture(pipeline, tansu_broker, flush_interval_ms=600_000)
        wait_capture_ready(proc)
        wait_for("the changes made while down", lambda: all(
            version_of(pipeline.store, k) == 3 for k in keys))  # fmt: skip
        # The replay comes before the changes made while down, on the same partitions.
        wait_for("the replay", lambda: pipeline.apply.stats.stale > stale_before)
    finally:
        stop_process(proc, 30)
    # The graph matches the database, with no effect twice.
    for n, row in enumerate(rows):
        got = record(pipeline.store, record_key(str(row["id"])))
        assert (
            got is not None and got["given_name"] == f"During{letters(n)}" and got["version"] == 3
        )
    counts = pipeline.store.run_cypher(
        "UNWIND $keys AS k MATCH (r:Record {key: k}) "
        "OPTIONAL MATCH (r)-[h:HAS_INTERACTION]->(i:Interaction) "
        "RETURN k, count(h) AS edges, count(DISTINCT i) AS interactions",
        {"keys": [record_key(str(r["id"])) for r in rows]},
    )
    assert [(c["edges"], c["interactions"]) for c in counts] == [(1, 1)] * 3


def test_capture_killed_while_changes_stream_in_loses_none(
    pipeline: Pipeline, tansu_broker: TansuBroker
) -> None:
    """Killed with SIGKILL while interactions are being written and offsets stored every
    200 ms: after a restart every interaction is in the graph, once. Debezium acknowledges
    positions to the replication slot, which PostgreSQL will not stream from again, so an
    acknowledgement ahead of what was published would lose the changes in between."""
    owner = pipeline.sor.upsert_customer(person())
    pipeline.start_apply()
    proc = spawn_capture(pipeline, tansu_broker, flush_interval_ms=200)
    written: list[str] = []
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            row = pipeline.sor.record_interaction({"customer_id": owner["id"], "channel": "call"})
            written.append(str(row["id"]))
            time.sleep(0.005)

    writer = threading.Thread(target=write, daemon=True)
    try:
        wait_capture_ready(proc)
        writer.start()
        wait_for("some interactions captured", lambda: interactions_of(pipeline, owner) >= 20)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc = spawn_capture(pipeline, tansu_broker, flush_interval_ms=200)
        wait_capture_ready(proc)
        time.sleep(1.0)  # still writing after the restart
        stop.set()
        writer.join(10)
        wait_for("every interaction", lambda: interactions_of(pipeline, owner) >= len(written))
    finally:
        stop.set()
        stop_process(proc, 30)
    keys = {
        row["k"]
        for row in pipeline.store.run_cypher(
            "MATCH (:Record {key: $k})-[:HAS_INTERACTION]->(i) RETURN i.key AS k",
            {"k": record_key(str(owner["id"]))},
        )
    }
    assert keys == {activity_key("Interaction", i) for i in written}
    assert interactions_of(pipeline, owner) == len(written) > 40  # none twice


def interactions_of(pipeline: Pipeline, owner: dict[str, Any]) -> int:
    rows = pipeline.store.run_cypher(
        "MATCH (:Record {key: $k})-[h:HAS_INTERACTION]->() RETURN count(h) AS n",
        {"k": record_key(str(owner["id"]))},
    )
    return int(rows[0]["n"])


def test_a_change_is_resolved_incrementally_and_a_delete_re_resolves(
    pipeline: Pipeline, tmp_path: Path, quarantine: Quarantine
) -> None:
    """With a trained model (a full run over demo data), a SoR customer that duplicates a
    CRM contact joins that contact's Customer as soon as it is applied."""
    (crm,) = resolved_graph(pipeline.store, tmp_path / "demo", quarantine, n=1)
    announced: list[tuple[str, str, dict[str, Any]]] = []
    pipeline.apply.publish = announced.extend
    pipeline.start_capture()
    pipeline.start_apply()
    started_ms = time.time() * 1000
    twin = pipeline.sor.upsert_customer(
        person(given_name=crm["given"], family_name=crm["family"], email=crm["email"],
               phone=crm["phone"], address_line1=None, city=None, parish=None)
    )  # fmt: skip
    key = record_key(str(twin["id"]))
    wait_for("the twin to resolve", lambda: customer_of_key(pipeline, key) == crm["customer"])
    # The rest of the service hears of it: subscribers, webhooks and alert rules.
    wait_for("the change to be announced", lambda: any(
        kind == "customer.changed" and key == crm["customer"] for kind, key, _ in announced
    ))  # fmt: skip
    # with when the database committed it, so a subscriber can tell how fresh it is
    changed = next(d for kind, key, d in announced
                   if kind == "customer.changed" and key == crm["customer"])  # fmt: skip
    assert started_ms - 5_000 <= changed["sor_committed_at"] <= time.time() * 1000
    assert pipeline.apply.stats.resolved >= 1 and pipeline.apply.stats.resolution_pending == 0

    # A sale on the twin's row moves its Customer's stored last activity (the stage reads
    # it: graph.customer_activity); moved to another customer's row, it moves both.
    other = pipeline.sor.upsert_customer(person(given_name="Odessa", family_name="Farquharson"))
    wait_for("the other customer", lambda: customer_of_key(pipeline, record_key(str(other["id"]))))
    sale = pipeline.sor.record_transaction({"customer_id": twin["id"], "amount": "900",
                                            "occurred_at": "2030-01-02T10:00:00Z"})  # fmt: skip
    wait_for(
        "the sale's date on the customer",
        lambda: last_active(pipeline, crm["customer"]) == "2030-01-02",
    )
    assert stale_activity_dates(pipeline.store) == []
    sql(
        pipeline.url,
        "UPDATE transactions SET customer_id = %s, version = version + 1 WHERE id = %s",
        other["id"],
        sale["id"],
    )
    wait_for("the sale to move", lambda: last_active(pipeline, crm["customer"]) != "2030-01-02")
    assert stale_activity_dates(pipeline.store) == []
    resolved_before = pipeline.apply.stats.resolved
    sql(pipeline.url, "DELETE FROM customers WHERE id = %s", twin["id"])
    wait_for("the delete", lambda: (record(pipeline.store, key) or {}).get("deleted") is True)
    wait_for("its re-resolution", lambda: pipeline.apply.stats.resolved > resolved_before)


def customer_of_key(pipeline: Pipeline, key: str) -> str | None:
    rows = pipeline.store.run_cypher(
        "MATCH (:Record {key: $k})-[:RESOLVES_TO]->(c:Customer) RETURN c.id AS id", {"k": key}
    )
    return rows[0]["id"] if rows else None


def last_active(pipeline: Pipeline, customer: str) -> str | None:
    rows = pipeline.store.run_cypher(
        "MATCH (c:Customer {id: $id}) RETURN c.last_active AS day", {"id": customer}
    )
    return rows[0]["day"] if rows else None


def test_a_failing_engine_fails_loudly(cdc_database_url: str, tmp_path: Path) -> None:
    from workers.bus import MemoryBus

    bad = cdc_database_url.rsplit("/", 1)[0] + "/c360_no_such_database"
    capture = Capture(
        bad, MemoryBus(), offsets_path=tmp_path / "offsets.dat", slot_name="c360_never",
        properties={"errors.max.retries": "0"},
    )  # fmt: skip
    capture.start()
    with pytest.raises(CaptureError, match="(?i)c360_no_such_database|stopped"):
        capture.wait_ready(timeout_s=60)
    capture.stop()


# --- decoding and folding (no services) ---------------------------------------------


def _msg(value: bytes | None, table: str = "customers", key: str = '{"id":"A1"}') -> Message:
    return Message(topic=f"c360.public.{table}", key=key, value=value)


def test_decode_reads_the_envelope_with_or_without_schemas_and_tombstones() -> None:
    after = {"id": "A1", "kind": "person", "given_name": "Ann", "version": 3, "new_col": 1}
    plain = b'{"op":"u","after":' + json.dumps(after).encode() + b',"source":{"ts_ms":5}}'
    wrapped = b'{"schema":{},"payload":' + plain + b"}"
    for value in (plain, wrapped):
        change = decode(_msg(value), "c360")
        assert (change.key, change.op, change.version, change.commit_ms) == ("sor:A1", "upsert",
                                                                            3, 5)  # fmt: skip
    tomb = decode(_msg(None), "c360")
    assert (tomb.key, tomb.op) == ("sor:A1", "delete")
    gone = decode(_msg(b'{"op":"d","before":{"id":"A1"},"after":null}', "transactions"), "c360")
    assert (gone.key, gone.op, gone.label) == ("sor:transactions:A1", "delete", "Transaction")
    for bad, reason in [(b"{", "not JSON"), (b'{"op":"x"}', "unknown Debezium op"),
                        (b'{"op":"c","after":{"id":"A1"}}', "no integer version")]:  # fmt: skip
        with pytest.raises(ApplyError, match=reason):
            decode(_msg(bad), "c360")


def test_fold_keeps_the_last_image_and_a_following_delete() -> None:
    def ch(key: str, op: str, version: int | None) -> Change:
        return Change("customers", "Record", key, op, version, {} if op == "upsert" else None,
                      None, None)  # fmt: skip

    got = fold_changes([ch("a", "upsert", 1), ch("b", "upsert", 1), ch("a", "upsert", 2),
                 ch("b", "delete", None), ch("b", "delete", None), ch("c", "delete", None)])  # fmt: skip
    assert [(c.key, c.op, c.version) for c in got] == [
        ("a", "upsert", 2),
        ("b", "upsert", 1),
        ("b", "delete", None),
        ("c", "delete", None),
    ]

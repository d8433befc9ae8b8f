"""The embedded change path: a SQLite system of record writes each change's Debezium
event into its outbox in the same transaction; the relay publishes them on the in-process
bus; the same apply code as for Debezium writes them to the embedded FalkorDB."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update

from graph.falkordb_store import FalkorDBStore
from ingest.sor.db import SystemOfRecord, engine_for
from ingest.sor.envelope import envelope, message_key, now_ms
from ingest.sor.migrate import upgrade
from ingest.sor.schema import CAPTURED_TABLE_NAMES, outbox
from workers.bus import MemoryBus
from workers.bus.port import Message
from workers.cdc.apply import (
    NEW_LIFE,
    Apply,
    Change,
    StoredRow,
    activity_key,
    delete_verdict,
    fold_changes,
    record_key,
    upsert_verdict,
)
from workers.cdc.capture import CAPTURED_TABLES, source_schema, topic_for
from workers.cdc.outbox import OutboxRelay
from workers.cdc.reps import RepNames

pytestmark = pytest.mark.falkordb

WAIT_S = 30.0


class Embedded:
    """SQLite SoR + outbox relay + MemoryBus + Apply over a graph of its own."""

    def __init__(self, url: str, store: FalkorDBStore) -> None:
        self.url = url
        self.sor = SystemOfRecord.from_url(url)
        self.bus = MemoryBus()
        self.relay = OutboxRelay(self.sor, self.bus)
        self.apply = Apply(store, self.bus, group=f"apply-{uuid.uuid4().hex[:6]}")
        self.store = store

    def relay_and_apply(self) -> int:
        """Relay every pending row, then apply exactly what was published."""
        before = self.relay.stats.published
        self.relay.drain()
        sent = self.relay.stats.published - before
        if sent:
            got = self.apply.consume(max_messages=sent, timeout_s=WAIT_S)
            assert got.handled == sent, (got.handled, sent)
        return sent

    def record(self, row_id: Any) -> dict[str, Any] | None:
        rows = self.store.run_cypher(
            "MATCH (r:Record {key: $k}) RETURN r {.*} AS r", {"k": record_key(str(row_id))}
        )
        return rows[0]["r"] if rows else None

    def activities(self, row_id: Any) -> list[dict[str, Any]]:
        return self.store.run_cypher(
            "MATCH (:Record {key: $k})-[h:HAS_INTERACTION|HAS_TRANSACTION]->(a) "
            "RETURN a.key AS key, a.deleted AS deleted, a.amount AS amount, count(h) AS edges "
            "ORDER BY key",
            {"k": record_key(str(row_id))},
        )

    def outbox_rows(self) -> list[dict[str, Any]]:
        with self.sor.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(outbox).order_by(outbox.c.id)).mappings()]


@pytest.fixture
def embedded(tmp_path: Path, falkordb_store: FalkorDBStore) -> Iterator[Embedded]:
    url = f"sqlite:///{tmp_path / 'sor.db'}"
    upgrade(url)
    world = Embedded(url, falkordb_store)
    yield world
    world.relay.stop()
    world.sor.close()
    world.bus.close()


def person(**extra: Any) -> dict[str, Any]:
    tag = "".join(chr(ord("a") + int(ch, 16)) for ch in uuid.uuid4().hex[:6])
    return {"kind": "person", "given_name": "Tanya", "family_name": f"Brown{tag}",
            "email": f"tanya.{tag}@example.com", "phone": "(876) 555-0142",
            "parish": "St. Andrew", **extra}  # fmt: skip


def test_the_outbox_holds_the_envelope_capture_would_publish(embedded: Embedded) -> None:
    assert CAPTURED_TABLE_NAMES == CAPTURED_TABLES  # the same tables reach the graph
    assert embedded.sor.outbox is True  # on by default for SQLite
    pg = engine_for("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connects
    assert SystemOfRecord(pg).outbox is False and SystemOfRecord(pg, outbox=True).outbox
    rep = embedded.sor.upsert_sales_rep(
        {"given_name": "Ann", "family_name": "Rep", "email": "ann.rep@example.com"}
    )
    row = embedded.sor.upsert_customer(person(owner_rep_id=rep["id"]))
    embedded.sor.upsert_customer({"id": row["id"], "city": "Kingston"})
    embedded.sor.record_transaction({"customer_id": row["id"], "amount": "99.95"})
    rows = embedded.outbox_rows()
    assert len(rows) == 3  # sales_reps is not captured
    schema = source_schema(embedded.url)
    assert [r["topic"] for r in rows] == [
        topic_for("c360", f"{schema}.customers"),
        topic_for("c360", f"{schema}.customers"),
        topic_for("c360", f"{schema}.transactions"),
    ]
    assert [r["sent_at"] for r in rows] == [None] * 3
    created, updated, sale = (orjson.loads(r["value"]) for r in rows)
    assert orjson.loads(rows[0]["message_key"]) == {"id": str(row["id"])}
    assert created["op"] == "c" and created["before"] is None
    assert created["after"]["version"] == 1 and created["after"]["owner_rep_id"] == str(rep["id"])
    assert isinstance(created["after"]["created_at"], int)  # epoch ms, as Debezium sends it
    assert updated["op"] == "u" and updated["before"]["city"] is None
    assert updated["after"]["city"] == "Kingston" and updated["after"]["version"] == 2
    assert sale["after"]["amount"] == "99.95"  # decimal.handling.mode=string
    positions = [e["source"]["lsn"] for e in (created, updated, sale)]
    assert positions == [r["id"] for r in rows] and positions == sorted(positions)
    assert {e["source"]["table"] for e in (created, sale)} == {"customers", "transactions"}


def test_inserts_updates_and_deletes_reach_the_graph(embedded: Embedded) -> None:
    kept = embedded.sor.upsert_customer(person())
    gone = embedded.sor.upsert_customer(person(given_name="Gone"))
    visit = embedded.sor.record_interaction({"customer_id": kept["id"], "channel": "visit"})
    sale = embedded.sor.record_transaction({"customer_id": kept["id"], "amount": "1250.50"})
    refund = embedded.sor.record_transaction(
        {"customer_id": kept["id"], "amount": "10", "kind": "refund"}
    )
    assert embedded.relay_and_apply() == 5
    embedded.sor.upsert_customer({"id": kept["id"], "given_name": "Marlon"})
    assert embedded.sor.delete_transaction(refund["id"]) is not None
    assert embedded.sor.delete_customer(gone["id"]) is not None
    assert embedded.sor.delete_customer(gone["id"]) is None  # a second delete: nothing
    assert embedded.relay_and_apply() == 3
    record = embedded.record(kept["id"])
    assert record is not None and record["given_name"] == "Marlon" and record["version"] == 2
    assert record["deleted"] is False
    removed = embedded.record(gone["id"])
    assert removed is not None and removed["deleted"] is True  # evidence stays, marked
    activities = {a["key"]: a for a in embedded.activities(kept["id"])}
    assert set(activities) == {f"sor:interactions:{visit['id']}",
                               f"sor:transactions:{sale['id']}",
                               f"sor:transactions:{refund['id']}"}  # fmt: skip
    assert activities[f"sor:transactions:{sale['id']}"]["amount"] == 1250.5
    assert activities[f"sor:transactions:{refund['id']}"]["deleted"] is True
    # counts add up: every change published once, applied once, nothing pending
    stats = embedded.apply.stats
    assert embedded.relay.stats.published == stats.events == 8
    assert (stats.applied, stats.deleted, stats.stale, stats.dead_lettered) == (6, 2, 0, 0)
    assert embedded.relay.pending() == 0
    assert all(r["sent_at"] is not None for r in embedded.outbox_rows())


def test_a_relay_crash_between_publish_and_mark_replays_without_duplicate_effect(
    embedded: Embedded, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [embedded.sor.upsert_customer(person()) for _ in range(3)]
    for row in rows:
        embedded.sor.record_interaction({"customer_id": row["id"], "channel": "call"})
        embedded.sor.upsert_customer({"id": row["id"], "city": "Mandeville"})

    def crash(ids: Any) -> None:
        raise RuntimeError("killed between publish and mark")

    monkeypatch.setattr(embedded.relay, "_mark_sent", crash)
    with pytest.raises(RuntimeError, match="between publish and mark"):
        embedded.relay.relay_once()
    monkeypatch.undo()
    assert embedded.relay.pending() == 9  # nothing marked: the bus has them, the SoR too
    first = embedded.apply.consume(max_messages=9, timeout_s=WAIT_S)
    assert first.handled == 9
    graph_before = [embedded.record(r["id"]) for r in rows]
    applied, stale = embedded.apply.stats.applied, embedded.apply.stats.stale
    # The restarted relay publishes all nine again; apply changes nothing.
    restarted = OutboxRelay(embedded.sor, embedded.bus)
    assert restarted.drain() == 9 and restarted.pending() == 0
    second = embedded.apply.consume(max_messages=9, timeout_s=WAIT_S)
    assert second.handled == 9
    assert [embedded.record(r["id"]) for r in rows] == graph_before  # not even ingested_at
    for row in rows:
        (activity,) = embedded.activities(row["id"])
        assert activity["edges"] == 1
        record = embedded.record(row["id"])
        assert record is not None and record["version"] == 2 and record["city"] == "Mandeville"
    stats = embedded.apply.stats
    assert (stats.events, stats.applied, stats.stale) == (18, applied, stale + 9)


def test_a_deleted_row_inserted_again_starts_a_new_life(embedded: Embedded) -> None:
    first = embedded.sor.upsert_customer(person(given_name="First"))
    row_id = first["id"]
    for name in ("Second", "Third"):
        embedded.sor.upsert_customer({"id": row_id, "given_name": name})
    embedded.relay_and_apply()
    assert (embedded.record(row_id) or {}).get("version") == 3
    embedded.sor.delete_customer(row_id)
    embedded.relay_and_apply()
    assert (embedded.record(row_id) or {}).get("deleted") is True
    again = embedded.sor.upsert_customer({**person(given_name="Reborn"), "id": row_id})
    assert again["version"] == 1  # the SoR starts the row again
    embedded.relay_and_apply()
    record = embedded.record(row_id)
    assert record is not None and record["deleted"] is False
    assert (record["given_name"], record["version"]) == ("Reborn", 1)
    assert embedded.apply.stats.new_lives == 1
    # Every event of both lives again, in order (a relay that lost its marks): the old
    # life's versions 2 and 3 and its delete must not touch the new row.
    with embedded.sor.engine.begin() as conn:
        conn.execute(update(outbox).values(sent_at=None))
    embedded.relay_and_apply()
    assert embedded.record(row_id) == record
    # And the same row deleted and inserted again inside one relayed batch.
    embedded.sor.delete_customer(row_id)
    embedded.sor.upsert_customer({**person(given_name="Thirdlife"), "id": row_id})
    embedded.relay_and_apply()
    final = embedded.record(row_id)
    assert final is not None and final["given_name"] == "Thirdlife"
    assert final["deleted"] is False and final["version"] == 1


def _event(table: str, op: str, row: dict[str, Any], position: int) -> Message:
    """A change event as the outbox writes it, for a batch handed to apply directly."""
    before, after = (row, None) if op == "d" else (None, row)
    value = envelope(op, table=table, dialect="sqlite", database=None, prefix="c360",
                     before=before, after=after, position=position, ts_ms=now_ms())  # fmt: skip
    return Message(topic_for("c360", f"public.{table}"), message_key(row["id"]), value)


def test_an_activity_before_its_record_is_parked_then_linked(embedded: Embedded) -> None:
    customer, other = str(uuid.uuid4()), str(uuid.uuid4())
    call = {"id": str(uuid.uuid4()), "customer_id": customer, "channel": "call",
            "direction": "inbound", "subject": "First", "version": 1}  # fmt: skip
    sale = {"id": str(uuid.uuid4()), "customer_id": customer, "kind": "sale",
            "amount": "10.00", "currency": "JMD", "version": 1}  # fmt: skip
    apply = embedded.apply
    apply.handle([_event("customer_interactions", "c", call, 1),
                  _event("transactions", "c", sale, 2)])  # fmt: skip

    def parked() -> list[str]:
        rows = embedded.store.run_cypher("MATCH (a:Unlinked) RETURN a.key AS key ORDER BY key")
        return [r["key"] for r in rows]

    waiting = sorted([activity_key("Interaction", call["id"]),
                      activity_key("Transaction", sale["id"])])  # fmt: skip
    assert parked() == waiting and apply.count_parked() == 2
    apply.handle(
        [_event("customer_interactions", "u", {**call, "subject": "Again", "version": 2}, 3)]
    )
    assert parked() == waiting  # still no Record: still parked
    apply.handle([_event("customers", "c", {"id": customer, "kind": "person", "given_name": "Ann",
                                            "family_name": "Parked", "version": 1}, 4)])  # fmt: skip
    assert parked() == [] and apply.count_parked() == 0
    assert [(a["key"], a["edges"]) for a in embedded.activities(customer)] == [
        (k, 1) for k in waiting]  # fmt: skip
    # moved to a customer that has not arrived: unlinked from the first and parked again
    apply.handle([_event("customer_interactions", "u",
                         {**call, "customer_id": other, "version": 3}, 5)])  # fmt: skip
    assert parked() == [activity_key("Interaction", call["id"])]
    assert [a["key"] for a in embedded.activities(customer)] == [
        activity_key("Transaction", sale["id"])]  # fmt: skip


def test_rep_names_come_from_sales_reps_and_unknown_ids_are_left_out(embedded: Embedded) -> None:
    rep = embedded.sor.upsert_sales_rep(
        {"given_name": "Ann", "family_name": "Rep", "email": "ann.names@example.com"}
    )
    names = RepNames(embedded.sor)
    unknown = str(uuid.uuid4())
    assert names.names([str(rep["id"]), unknown, "not-a-uuid", ""]) == {str(rep["id"]): "Ann Rep"}
    # applied interactions carry the name beside the id
    embedded.apply.rep_names = names
    customer = embedded.sor.upsert_customer(person())
    embedded.sor.record_interaction(
        {"customer_id": customer["id"], "channel": "call", "rep_id": rep["id"]}
    )
    embedded.relay_and_apply()
    (row,) = embedded.store.run_cypher(
        "MATCH (:Record {key: $k})-[:HAS_INTERACTION]->(a) RETURN a.rep AS rep, a.rep_id AS id",
        {"k": record_key(str(customer["id"]))},
    )
    assert row == {"rep": "Ann Rep", "id": str(rep["id"])}


def test_the_relay_refuses_a_bad_batch_size_and_an_empty_outbox_is_fine(
    embedded: Embedded,
) -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        OutboxRelay(embedded.sor, embedded.bus, batch_size=0)
    assert embedded.relay.relay_once() == 0 and embedded.relay.pending() == 0
    assert embedded.relay.prune() == 0
    embedded.sor.upsert_customer(person())
    embedded.sor.upsert_customer(person())
    assert embedded.relay.drain() == 2
    with embedded.sor.engine.begin() as conn:  # one sent two days ago, one just now
        first = min(r["id"] for r in embedded.outbox_rows())
        old = datetime.now(UTC) - timedelta(days=2)
        conn.execute(update(outbox).where(outbox.c.id == first).values(sent_at=old))
    assert embedded.relay.prune() == 1 and len(embedded.outbox_rows()) == 1


# --- where an event stands against the stored node (no services) ---------------------


def _change(op: str, version: int | None, lsn: int | None, created: bool = False) -> Change:
    return Change("customers", "Record", "sor:A", op, version, {} if op == "upsert" else None,
                  None, lsn, created)  # fmt: skip


def test_versions_order_a_life_and_positions_separate_lives() -> None:
    # (version, deleted, position of the last upsert, position of the last delete)
    live, gone = StoredRow(3, False, 30, None), StoredRow(3, True, 30, 40)
    assert upsert_verdict(_change("upsert", 4, 50), *live) == "apply"
    # a change made before a snapshot and committed after it: an older position, a newer
    # version; the version decides
    assert upsert_verdict(_change("upsert", 4, 20), *live) == "apply"
    assert upsert_verdict(_change("upsert", 3, 50), *live) is None  # read again
    assert upsert_verdict(_change("upsert", 1, 50, created=True), *live) == NEW_LIFE
    assert upsert_verdict(_change("upsert", 3, 50, created=True), *live) == NEW_LIFE
    assert upsert_verdict(_change("upsert", 1, 20, created=True), *live) is None  # a replay
    assert upsert_verdict(_change("upsert", 1, 41, created=True), *gone) == NEW_LIFE
    assert upsert_verdict(_change("upsert", 9, 35), *gone) is None  # before the delete
    reborn = StoredRow(1, False, 41, 40)
    assert upsert_verdict(_change("upsert", 3, 30), *reborn) is None  # the old life's v3
    assert upsert_verdict(_change("upsert", 2, 45), *reborn) == "apply"
    assert not delete_verdict(_change("delete", None, 40), *reborn[1:])  # its old delete
    assert not delete_verdict(_change("delete", None, None), *reborn[1:])  # its tombstone
    assert delete_verdict(_change("delete", None, 60), *reborn[1:])
    # without positions, as before: the version alone, and a deleted node stays deleted
    assert upsert_verdict(_change("upsert", 4, None), *StoredRow(3, False, None, None)) == "apply"
    assert upsert_verdict(_change("upsert", 9, None), *StoredRow(3, True, None, None)) is None
    assert delete_verdict(_change("delete", None, None), False, None, None)


def test_fold_starts_a_new_life_after_a_delete_in_the_batch() -> None:
    events = [_change("upsert", 5, 10), _change("delete", None, 20), _change("delete", None, None),
              _change("upsert", 1, 30, created=True), _change("upsert", 4, 15)]  # fmt: skip
    (kept,) = fold_changes(events)
    assert (kept.version, kept.lsn) == (1, 30)  # the old life's replayed v4 is dropped
    deleted_again = fold_changes([*events, _change("delete", None, 40)])
    assert [(c.op, c.lsn) for c in deleted_again] == [("upsert", 30), ("delete", 40)]

"""A catch-up (full batches: more is waiting) defers resolution until the backlog is
drained, then resolves it in one go: by a full run when the backlog is a large part of
the graph, record by record otherwise, with the same outcome. A worker that stops with
records deferred leaves them pending in the graph, and the next one resolves them."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from graph.falkordb_store import FalkorDBStore
from ingest.demo_data import generate, ingest_demo
from ingest.quarantine import Quarantine
from resolvers.identity import IdentityResolver
from tests.integration.test_cdc_metrics import PREFIX, SOR_URL, sqlserver_event
from workers.bus import MemoryBus
from workers.cdc.apply import Apply, record_key
from workers.cdc.capture import source_schema

pytestmark = pytest.mark.falkordb

BATCH = 4
TWINS = 9  # SoR twins of CRM contacts: 12 messages with the strangers, three full batches


def resolved_graph(
    store: FalkorDBStore, folder: Path, quarantine: Quarantine, n: int = TWINS
) -> list[dict[str, Any]]:
    """Demo data resolved (a trained model), and the first `n` CRM contacts with an email
    and a phone each: what their SoR twins must join."""
    generate(folder, 150)
    ingest_demo(folder, store, quarantine)
    IdentityResolver(store).resolve_full()
    return store.run_cypher(
        "MATCH (r:Record {source: 'crm', kind: 'person'})-[:HAS_EMAIL]->(e:Email), "
        "(r)-[:HAS_PHONE]->(p:Phone), (r)-[:RESOLVES_TO]->(c:Customer) "
        "WHERE r.given_name IS NOT NULL AND r.family_name IS NOT NULL "
        "RETURN DISTINCT r.key AS key, r.given_name AS given, r.family_name AS family, "
        "e.value AS email, p.e164 AS phone, c.id AS customer ORDER BY key LIMIT $n",
        {"n": n},
    )


def publish_backlog(bus: MemoryBus, contacts: list[dict[str, Any]]) -> dict[str, str]:
    """A twin of each contact and three strangers, as SQL Server change events; returns
    twin record key -> the contact's customer."""
    topic = f"{PREFIX}.dbo.customers"
    now = int(time.time() * 1000)
    twins: dict[str, str] = {}
    rows = [({"given_name": c["given"], "family_name": c["family"], "email": c["email"],
              "phone": c["phone"]}, c["customer"]) for c in contacts]  # fmt: skip
    rows += [({"given_name": "Zebedee", "family_name": f"Stranger{n}",
               "email": f"zeb{n}.{uuid.uuid4().hex[:6]}@example.org"}, None) for n in range(3)]  # fmt: skip
    for fields, customer in rows:
        row_id = str(uuid.uuid4())
        row = {"id": row_id, "kind": "person", "parish": "Kingston", "version": 1, **fields}
        bus.publish(topic, json.dumps({"id": row_id}),
                    sqlserver_event("customers", "c", row, change_lsn="0000002c:00000100:0002",
                                    commit_ms=now))  # fmt: skip
        if customer is not None:
            twins[record_key(row_id)] = customer
    return twins


def apply_full_batches(apply: Apply, bus: MemoryBus, batches: int) -> None:
    """Hand `apply` full batches and commit them, as the bus does, but never idle."""
    with bus.subscribe(apply.topics, apply.group) as sub:
        for _ in range(batches):
            batch = sub.poll(BATCH, 1.0)
            assert len(batch) == BATCH
            apply.handle(batch)
            sub.commit(batch)


def customers_of(store: FalkorDBStore, keys: list[str]) -> dict[str, str]:
    rows = store.run_cypher(
        "UNWIND $keys AS k MATCH (:Record {key: k})-[:RESOLVES_TO]->(c:Customer) "
        "RETURN k AS key, c.id AS customer", {"keys": keys},
    )  # fmt: skip
    return {r["key"]: r["customer"] for r in rows}


@pytest.mark.parametrize("full_run_fraction", [0.0, 1.0], ids=["full-run", "record-by-record"])
def test_a_backlog_is_resolved_once_drained(
    falkordb_store: FalkorDBStore, tmp_path: Path, quarantine: Quarantine,
    full_run_fraction: float,
) -> None:  # fmt: skip
    contacts = resolved_graph(falkordb_store, tmp_path / "demo", quarantine)
    assert len(contacts) == TWINS
    bus = MemoryBus()
    twins = publish_backlog(bus, contacts)
    announced: list[tuple[str, str, dict[str, Any]]] = []
    apply = Apply(falkordb_store, bus, topic_prefix=PREFIX, schema=source_schema(SOR_URL),
                  batch_size=BATCH, publish=announced.extend,
                  full_run_fraction=full_run_fraction)  # fmt: skip
    resolver = IdentityResolver(falkordb_store)

    # Three full batches: applied, their resolution deferred.
    apply_full_batches(apply, bus, 3)
    assert apply.stats.applied == TWINS + 3 and apply.stats.deferred == TWINS + 3
    assert customers_of(falkordb_store, sorted(twins)) == {}
    assert set(resolver.pending()) == {*twins, *apply.deferred}

    # Nothing more waits (the bus calls this when a poll finds nothing): the backlog is
    # resolved together.
    apply.drain()
    assert customers_of(falkordb_store, sorted(twins)) == twins
    assert apply.stats.deferred == 0 and apply.stats.resolved >= TWINS + 3
    assert apply.stats.full_runs == (1 if full_run_fraction == 0.0 else 0)
    assert resolver.pending() == []
    # Their customers are told, once the records are in them.
    changed = {key for kind, key, _ in announced if kind == "customer.changed"}
    assert set(twins.values()) <= changed


def test_records_deferred_by_a_stopped_worker_are_resolved_by_the_next(
    falkordb_store: FalkorDBStore, tmp_path: Path, quarantine: Quarantine
) -> None:
    contacts = resolved_graph(falkordb_store, tmp_path / "demo", quarantine)
    bus = MemoryBus()
    twins = publish_backlog(bus, contacts)
    first = Apply(falkordb_store, bus, topic_prefix=PREFIX, schema=source_schema(SOR_URL),
                  batch_size=BATCH)  # fmt: skip
    apply_full_batches(first, bus, 3)
    assert first.stats.deferred == TWINS + 3
    # The first worker is gone (killed) without draining; nothing is left on the bus.
    assert customers_of(falkordb_store, sorted(twins)) == {}

    second = Apply(falkordb_store, bus, topic_prefix=PREFIX, schema=source_schema(SOR_URL),
                   batch_size=BATCH)  # fmt: skip
    got = second.consume(idle_timeout_s=0.5)
    assert got.handled == 0
    assert customers_of(falkordb_store, sorted(twins)) == twins
    assert second.stats.resolved >= TWINS + 3
    assert IdentityResolver(falkordb_store).pending() == []


def test_a_backlog_that_never_drains_is_still_resolved_every_max_defer_s(
    falkordb_store: FalkorDBStore, tmp_path: Path, quarantine: Quarantine
) -> None:
    contacts = resolved_graph(falkordb_store, tmp_path / "demo", quarantine)
    bus = MemoryBus()
    publish_backlog(bus, contacts)
    apply = Apply(falkordb_store, bus, topic_prefix=PREFIX, schema=source_schema(SOR_URL),
                  batch_size=BATCH, max_defer_s=0.5)  # fmt: skip
    apply_full_batches(apply, bus, 1)
    assert apply.stats.deferred == BATCH  # deferred: more is waiting
    time.sleep(0.6)
    # Still full batches, never idle: past max_defer_s the next one resolves everything.
    apply_full_batches(apply, bus, 1)
    assert apply.stats.deferred == 0 and apply.stats.resolved >= 2 * BATCH
    (sor,) = falkordb_store.run_cypher(
        "MATCH (r:Record {source: 'sor'}) OPTIONAL MATCH (r)-[l:RESOLVES_TO]->(:Customer) "
        "RETURN count(r) AS records, count(l) AS resolved"
    )
    assert sor == {"records": 2 * BATCH, "resolved": 2 * BATCH}
    apply_full_batches(apply, bus, 1)  # and deferring starts over
    assert apply.stats.deferred == BATCH

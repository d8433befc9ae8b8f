"""The apply worker announces every applied change even when the event stream (Redis) is
unreachable for a while: the batch is held, retried uncommitted, and announced then;
nothing is dead-lettered and nothing announced is lost."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import redis

from graph.falkordb_store import FalkorDBStore
from tests.integration.test_cdc_metrics import PREFIX, SOR_URL, sqlserver_event
from workers.bus import MemoryBus
from workers.cdc.apply import Apply, record_key
from workers.cdc.capture import source_schema

pytestmark = pytest.mark.falkordb


class FlakyStream:
    """A publish that fails `failures` times (Redis down), then records what it gets."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, events: list[tuple[str, str, dict[str, Any]]]) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise redis.ConnectionError(
                "Error 111 connecting to 127.0.0.1:6379. Connection refused."
            )
        self.events.extend(events)


def test_changes_applied_while_the_stream_is_down_are_announced_once_it_is_back(
    falkordb_store: FalkorDBStore,
) -> None:
    bus = MemoryBus()
    stream = FlakyStream(failures=2)
    apply = Apply(falkordb_store, bus, topic_prefix=PREFIX, schema=source_schema(SOR_URL),
                  resolve=False, publish=stream)  # fmt: skip
    customers, interactions = (f"{PREFIX}.dbo.customers", f"{PREFIX}.dbo.customer_interactions")
    ann, call = str(uuid.uuid4()), str(uuid.uuid4())
    now = int(time.time() * 1000)
    person = {"id": ann, "kind": "person", "given_name": "Ann", "family_name": "Flaky",
              "parish": "St. Ann", "version": 1}  # fmt: skip
    key = '{"id":"%s"}'
    bus.publish(customers, key % ann, sqlserver_event("customers", "r", person, change_lsn=None,
                                                      commit_ms=now - 90))  # fmt: skip
    apply.consume(idle_timeout_s=0.3)  # no customer yet (resolution is off): nothing to say
    assert stream.calls == 0
    customer = f"C-flaky-{uuid.uuid4().hex[:6]}"
    falkordb_store.run_cypher(
        "MATCH (r:Record {key: $k}) CREATE (r)-[:RESOLVES_TO]->(:Customer {id: $c})",
        {"k": record_key(ann), "c": customer},
        read_only=False,
    )

    visit = {"id": call, "customer_id": ann, "channel": "visit", "direction": "inbound",
             "occurred_at": now - 60_000, "version": 1}  # fmt: skip
    bus.publish(customers, key % ann, sqlserver_event(
        "customers", "u", {**person, "given_name": "Anne", "version": 2},
        change_lsn="0000002c:00000100:0002", commit_ms=now - 50))  # fmt: skip
    bus.publish(interactions, key % call, sqlserver_event(
        "customer_interactions", "c", visit, change_lsn="0000002c:00000100:0003",
        commit_ms=now - 40))  # fmt: skip
    got = apply.consume(idle_timeout_s=0.3)

    assert stream.calls == 3  # down twice, the batch retried each time, then announced
    assert got.dead_lettered == 0 and apply.stats.dead_lettered == 0
    kinds = sorted((kind, k) for kind, k, _ in stream.events)
    assert kinds == [("customer.changed", customer), ("interaction.recorded", customer)]
    changed = next(data for kind, _, data in stream.events if kind == "customer.changed")
    assert changed["records"] == [record_key(ann)] and changed["sor_committed_at"] == now - 50
    (stored,) = falkordb_store.run_cypher(
        "MATCH (r:Record {key: $k}) RETURN r.version AS v, r.given_name AS name",
        {"k": record_key(ann)},
    )
    assert stored == {"v": 2, "name": "Anne"}  # applied once, before the stream came back
    # Each change written once and counted once: the two retries found both in the graph
    # already, and a retry of a counted batch is not news for the metrics.
    assert (apply.stats.events, apply.stats.applied, apply.stats.stale) == (3, 3, 0)
    assert len(apply.stats.latencies_ms) == 3

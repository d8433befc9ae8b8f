"""A row deleted and inserted again with the same id, over the real pipeline (PostgreSQL,
Debezium embedded, tansu, apply, the embedded FalkorDB): its version restarts at 1, below
what the graph holds, and the log position (PostgreSQL's LSN) tells apply it is a new
life. A replay of every event of both lives afterwards changes nothing."""

from __future__ import annotations

import uuid

import pytest

from tests.integration import bus_fixtures, pg_fixtures
from tests.integration.test_cdc import Pipeline, drain, person, record, sql, wait_for
from tests.integration.test_cdc import pipeline as pipeline  # the fixture
from workers.bus import Message
from workers.cdc.apply import record_key

tansu_broker = bus_fixtures.tansu_broker
logical_postgres = pg_fixtures.logical_postgres
cdc_database_url = pg_fixtures.cdc_database_url

pytestmark = [pytest.mark.falkordb, pytest.mark.jvm]


def test_a_deleted_row_inserted_again_reaches_the_graph(pipeline: Pipeline) -> None:
    pipeline.start_capture()
    pipeline.start_apply()
    row = pipeline.sor.upsert_customer(person(given_name="First"))
    key = record_key(str(row["id"]))
    for name in ("Second", "Third"):
        pipeline.sor.upsert_customer({"id": row["id"], "given_name": name})
    wait_for("version 3", lambda: (record(pipeline.store, key) or {}).get("version") == 3)
    sql(pipeline.url, "DELETE FROM customers WHERE id = %s", row["id"])  # as any writer may
    wait_for("the delete", lambda: (record(pipeline.store, key) or {}).get("deleted") is True)
    again = pipeline.sor.upsert_customer({**person(given_name="Reborn"), "id": row["id"]})
    assert again["version"] == 1
    wait_for("the new life", lambda: (record(pipeline.store, key) or {}).get("given_name")
             == "Reborn")  # fmt: skip
    reborn = record(pipeline.store, key)
    assert reborn is not None and reborn["deleted"] is False and reborn["version"] == 1
    assert pipeline.apply.stats.new_lives == 1
    # Every event of both lives published again, in order (a capture that lost its
    # offsets): the old life's later versions, its delete and tombstone change nothing.
    events: list[Message] = []
    with pipeline.bus.subscribe([pipeline.topic("customers")], f"peek-{uuid.uuid4().hex}") as sub:
        wait_for("both lives on the topic", lambda: sum(
            1 for m in drain(sub, events) if str(row["id"]) in m.key) >= 6)  # fmt: skip
    mine = [m for m in events if str(row["id"]) in m.key]
    assert [m.value is None for m in mine].count(True) == 1  # the delete's tombstone
    handled = pipeline.apply.stats.events
    for m in mine:
        pipeline.bus.publish(m.topic, m.key, m.value, {})
    pipeline.bus.flush()
    wait_for("the replay", lambda: pipeline.apply.stats.events >= handled + len(mine))
    assert record(pipeline.store, key) == reborn
    assert pipeline.apply.stats.dead_lettered == 0

"""The CDC workers' /metrics, scraped over HTTP after SQL Server-shaped change events went
through the apply worker (the in-process bus, the embedded FalkorDB), and after a capture
published batches. SQL Server cannot run here: the events are what Debezium's SQL Server
connector writes (UNIQUEIDENTIFIER ids in capitals, `change_lsn` / `commit_lsn` instead
of `lsn`), on the topics its routed names give (`<prefix>.dbo.<table>`); and the SQL
Server configuration goes through Debezium's own validation and Kafka Connect's own
router, in the JVM."""

from __future__ import annotations

import json
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from c360.settings import REPO_ROOT
from graph.falkordb_store import FalkorDBStore
from workers.bus import MemoryBus
from workers.cdc.apply import Apply, activity_key, record_key
from workers.cdc.capture import Capture, _Handler, source_schema
from workers.cdc.metrics import serve_apply_metrics, serve_capture_metrics

pytestmark = pytest.mark.falkordb

PREFIX = "c360"
SOR_URL = "mssql+pyodbc://sa:Secret-1@sqlserver:1433/c360?driver=ODBC+Driver+18+for+SQL+Server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the endpoint, by name and labels."""
    text = httpx.get(url, timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def sqlserver_event(
    table: str, op: str, row: dict[str, Any], *, change_lsn: str | None, commit_ms: int
) -> bytes:
    source = {
        "version": "3.6.3.Final", "connector": "sqlserver", "name": PREFIX, "ts_ms": commit_ms,
        "snapshot": "false" if change_lsn else "true", "db": "c360", "schema": "dbo",
        "table": table, "change_lsn": change_lsn, "commit_lsn": "0000002b:00000a58:0005",
        "event_serial_no": 1,
    }  # fmt: skip
    image = {"before": None, "after": row} if op != "d" else {"before": row, "after": None}
    return json.dumps({**image, "op": op, "source": source, "ts_ms": commit_ms}).encode()


def test_apply_metrics_after_sqlserver_events(falkordb_store: FalkorDBStore) -> None:
    bus = MemoryBus()
    schema = source_schema(SOR_URL)
    apply = Apply(falkordb_store, bus, topic_prefix=PREFIX, schema=schema, resolve=False)
    server = serve_apply_metrics(apply, free_port(), host="127.0.0.1")
    assert server is not None
    try:
        customers, interactions = (f"{PREFIX}.dbo.customers", f"{PREFIX}.dbo.customer_interactions")
        assert {customers, interactions} <= set(apply.topics)
        ann = str(uuid.uuid4()).upper()  # how SQL Server sends a UNIQUEIDENTIFIER
        call = str(uuid.uuid4()).upper()
        now = int(time.time() * 1000)
        person = {"id": ann, "kind": "person", "given_name": "Ann", "family_name": "Brown",
                  "parish": "St. Ann", "version": 1}  # fmt: skip
        v1 = sqlserver_event("customers", "r", person, change_lsn=None, commit_ms=now - 50)
        v2 = sqlserver_event("customers", "u", {**person, "given_name": "Anne", "version": 2},
                             change_lsn="0000002c:00000100:0002", commit_ms=now - 20)  # fmt: skip
        visit = {"id": call, "customer_id": ann, "channel": "visit", "direction": "inbound",
                 "occurred_at": now - 60_000, "version": 1}  # fmt: skip
        key = '{"id":"%s"}'
        bus.publish(customers, key % ann, v1)
        bus.publish(customers, key % ann, v2)
        bus.publish(interactions, key % call, sqlserver_event(
            "customer_interactions", "c", visit, change_lsn="0000002c:00000100:0003",
            commit_ms=now - 20))  # fmt: skip
        before = scrape(server.url)
        assert sum(v for (n, _), v in before.items() if n == "c360_cdc_consumer_lag") == 3
        apply.consume(idle_timeout_s=0.5)  # one batch: v1 is superseded by v2 in it

        bus.publish(customers, key % ann, v1)  # a replay of the old image, after v2 is in
        bus.publish(customers, key % str(uuid.uuid4()), b'{"op": "c", "after": ')  # poison
        apply.consume(idle_timeout_s=0.5)

        got = scrape(server.url)
        events = {labels[0][1]: v for (n, labels), v in got.items()
                  if n == "c360_cdc_apply_events_total"}  # fmt: skip
        assert events == {"applied": 2, "deleted": 0, "stale": 2, "dead_lettered": 1}
        assert got[("c360_cdc_apply_latency_seconds_count", ())] == 4
        assert got[("c360_cdc_apply_latency_seconds_bucket", (("le", "+Inf"),))] == 4
        lag = {labels[0][1]: v for (n, labels), v in got.items() if n == "c360_cdc_consumer_lag"}
        assert lag[customers] == 0 and lag[interactions] == 0
        assert got[("c360_cdc_apply_last_batch_age_seconds", ())] >= 0
        assert got[("c360_cdc_apply_batches_total", ())] == apply.stats.batches >= 2

        # the graph: lower-case keys, SQL Server's change_lsn, the newer version kept
        stored = falkordb_store.run_cypher(
            "MATCH (r:Record {key: $k})-[:HAS_INTERACTION]->(i:Interaction) "
            "RETURN r.version AS version, r.given_name AS name, r.sor_lsn AS lsn, i.key AS visit",
            {"k": record_key(ann.lower())},
        )
        assert stored == [{"version": 2, "name": "Anne", "lsn": "0000002c:00000100:0002",
                           "visit": activity_key("Interaction", call.lower())}]  # fmt: skip
    finally:
        server.close()


class _JavaRecord:
    """What pydbzengine hands the handler: destination(), key(), value()."""

    def __init__(self, topic: str, key: str, value: str | None) -> None:
        self._topic, self._key, self._value = topic, key, value

    def destination(self) -> str:
        return self._topic

    def key(self) -> str:
        return self._key

    def value(self) -> str | None:
        return self._value


def test_capture_metrics_count_published_batches(tmp_path: Path) -> None:
    bus = MemoryBus()
    capture = Capture(SOR_URL, bus, offsets_path=tmp_path / "offsets.dat", topic_prefix=PREFIX)
    server = serve_capture_metrics(capture, free_port(), host="127.0.0.1")
    assert server is not None
    try:
        fresh = scrape(server.url)
        assert fresh[("c360_cdc_capture_events_published_total", ())] == 0
        assert ("c360_cdc_capture_last_batch_age_seconds", ()) not in fresh
        assert fresh[("c360_cdc_capture_up", ())] == 0  # not started
        topic = capture.topics[0]
        _Handler(capture).handleJsonBatch([
            _JavaRecord(topic, '{"id":"a"}', '{"op":"c"}'), _JavaRecord(topic, '{"id":"a"}', None),
        ])  # fmt: skip
        _Handler(capture).handleJsonBatch([_JavaRecord(topic, '{"id":"b"}', '{"op":"c"}')])
        got = scrape(server.url)
        assert got[("c360_cdc_capture_events_published_total", ())] == 3
        assert got[("c360_cdc_capture_batches_total", ())] == 2
        assert got[("c360_cdc_capture_last_batch_age_seconds", ())] >= 0
        assert bus.end_offsets(topic) and sum(bus.end_offsets(topic).values()) == 3
    finally:
        server.close()


def test_port_zero_serves_nothing(falkordb_store: FalkorDBStore) -> None:
    apply = Apply(falkordb_store, MemoryBus(), resolve=False)
    assert serve_apply_metrics(apply, 0) is None
    assert apply.observe_latency is None  # nothing hooked in when metrics are off


@pytest.mark.jvm
def test_debezium_accepts_the_sqlserver_configuration(tmp_path: Path) -> None:
    """Every property passes the SQL Server connector's validation but the connection
    (nothing listens there), and the router gives apply's topic names."""
    import jpype

    url = f"mssql+pyodbc://c360:pw@127.0.0.1:{free_port()}/crm?driver=ODBC+Driver+18"
    capture = Capture(url, MemoryBus(), offsets_path=tmp_path / "offsets.dat",
                      properties={"driver.connectRetryCount": "0", "driver.loginTimeout": "2"})  # fmt: skip
    errors = capture.validate()
    assert list(errors) == ["database.hostname"], errors
    assert "Unable to connect" in errors["database.hostname"][0]

    props = capture.properties()
    router = jpype.JClass(props["transforms.route.type"])()
    router.configure({"regex": props["transforms.route.regex"],
                      "replacement": props["transforms.route.replacement"]})  # fmt: skip
    record = jpype.JClass("org.apache.kafka.connect.source.SourceRecord")
    routed = [str(router.apply(record(None, None, f"c360.crm.dbo.{t}", None, None)).topic())
              for t in ("customers", "customer_interactions", "transactions")]  # fmt: skip
    assert routed == capture.topics

    # the Connect JSON of compose/ passes the same check (pointed at nothing)
    connect = json.loads(
        (REPO_ROOT / "compose" / "connect" / "sqlserver-connector.json").read_text()
    )
    connect.update({"database.hostname": "127.0.0.1", "database.port": str(free_port()),
                    "driver.connectRetryCount": "0", "driver.loginTimeout": "2"})  # fmt: skip
    config = jpype.JClass("java.util.HashMap")()
    for key, value in connect.items():
        config.put(key, value)
    result = jpype.JClass(connect["connector.class"])().validate(config)
    failed = {str(v.name()) for v in result.configValues() if len(v.errorMessages()) > 0}
    assert failed == {"database.hostname"}

"""CDC survives its parts dying: `kill -9` of the apply worker, and `kill -9` of the broker.

`c360 capture` and `c360 apply` run as processes (as an operator runs them) over a tansu
broker; for the broker's kill its storage is `s3://` on a local S3-protocol server
(`moto_server`, loopback), so it keeps its messages and committed group offsets. A writer
thread keeps committing changes through `SystemOfRecord` while a part is killed and
comes back; afterwards the graph must equal the database for every row the test wrote:
same versions and names, one node per row, one edge per interaction (no effect twice),
and a watched row's version never going backwards in the graph.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from c360.processes import stop_process
from c360.settings import REPO_ROOT
from graph.catalogue import Catalogue
from graph.embedded import EmbeddedFalkorDB, ServerInfo
from graph.errors import GraphStoreError
from graph.falkordb_store import FalkorDBStore
from ingest.sor.db import SystemOfRecord
from ingest.sor.migrate import upgrade
from tests.integration import bus_fixtures, pg_fixtures
from workers.bus.broker import TansuBroker, free_port
from workers.bus.kafka import KafkaBus
from workers.cdc.apply import record_key
from workers.cdc.capture import drop_slot
from workers.cdc.postgres import libpq_dsn, scratch_database

logical_postgres = pg_fixtures.logical_postgres
tansu_broker = bus_fixtures.tansu_broker

pytestmark = pytest.mark.falkordb

C360 = str(Path(sys.executable).parent / "c360")
WAIT_S = 120.0  # a shared 2-core machine; every wait ends as soon as its state is there
BUCKET = "tansu"


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def letters(n: int) -> str:
    """Digits spelt as letters: ingest refuses names with digits."""
    return "".join(chr(ord("a") + int(d)) for d in str(n))


# -- services ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdc_database_url(logical_postgres: str) -> Iterator[str]:
    """A database of this module's own, migrated; dropped with its slots at the end."""
    with scratch_database(logical_postgres, "c360_cdc_res_") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`moto_server` on loopback with the broker's bucket; the S3 the broker stores in."""
    import boto3  # type: ignore[import-untyped]  # with moto[server], a dev dependency

    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    try:

        def listening() -> bool:
            assert server.poll() is None, f"moto_server exited with {server.returncode}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                return False

        wait_for("moto_server", listening, 60)
        boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test",
                     aws_secret_access_key="test", region_name="us-east-1",
                     ).create_bucket(Bucket=BUCKET)  # fmt: skip
        yield endpoint
    finally:
        stop_process(server, 10)
        log.close()


@pytest.fixture(scope="module")
def durable_broker(
    s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TansuBroker]:
    """tansu storing in S3: what it acknowledged survives a kill -9."""
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT": s3_endpoint, "AWS_ALLOW_HTTP": "true"}  # fmt: skip
    broker = TansuBroker(
        tmp_path_factory.mktemp("tansu-s3"), storage_engine=f"s3://{BUCKET}/", env=env
    )
    broker.start()
    yield broker
    broker.stop()


# -- the pipeline ------------------------------------------------------------------------


@dataclass
class Pipeline:
    """`c360 capture` and `c360 apply` processes for one test, and what it wrote."""

    url: str
    broker: TansuBroker
    store: FalkorDBStore
    server: ServerInfo
    tmp: Path
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    customers: list[str] = field(default_factory=list)
    watch: VersionWatch | None = None
    # A graph server of the test's own, on a fixed port (it is restarted), which the apply
    # worker reaches by URI; by default it reuses the session's server through its home.
    graph: EmbeddedFalkorDB | None = None
    # librdkafka consumer properties for apply (C360_KAFKA_CONSUMER_CONFIG).
    consumer_config: dict[str, Any] = field(default_factory=dict)

    @property
    def graph_uri(self) -> str | None:
        return f"redis://127.0.0.1:{self.graph.port}" if self.graph is not None else None

    @property
    def slot(self) -> str:
        return f"c360_res_{self.tag}"

    def env(self, worker: str) -> dict[str, str]:
        # The apply worker reuses the session's graph server (found through its home);
        # capture keeps its offsets in a home of its own.
        home = Path(self.server.home).parent if worker == "apply" else self.tmp / "capture"
        if self.graph_uri and worker == "apply":
            home = self.tmp / "apply"
        return {**os.environ, "C360_HOME": str(home), "C360_GRAPH_URI": self.graph_uri or "",
                "C360_GRAPH_NAME": self.store.graph_name, "C360_SOR_URL": self.url,
                "C360_KAFKA_BOOTSTRAP": self.broker.bootstrap_servers,
                "C360_CDC_SLOT": self.slot, "C360_CDC_TOPIC_PREFIX": f"res{self.tag}",
                "C360_APPLY_GROUP": f"res-apply-{self.tag}",
                "C360_KAFKA_CONSUMER_CONFIG": json.dumps(self.consumer_config)}  # fmt: skip

    def log(self, worker: str) -> Path:
        return self.tmp / f"{worker}.log"

    def start(self, worker: str) -> None:
        with self.log(worker).open("ab") as out:
            self.procs[worker] = subprocess.Popen(
                [C360, worker], env=self.env(worker), cwd=REPO_ROOT, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        if worker == "capture":
            wait_for("capture to start streaming", lambda: self._says("capture", "capturing"))

    def _says(self, worker: str, text: str) -> bool:
        self.check(worker)
        return text in self.log(worker).read_text(errors="replace")

    def check(self, *workers: str) -> None:
        for name in workers or tuple(self.procs):
            code = self.procs[name].poll()
            assert code is None, f"c360 {name} exited with {code}:\n{self.tail(name)}"

    def tail(self, worker: str) -> str:
        return self.log(worker).read_text(errors="replace")[-3000:]

    def kill(self, worker: str) -> None:
        proc = self.procs[worker]
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # all at once, then wait for each
        for proc in self.procs.values():
            stop_process(proc, 60)

    # -- what the graph and the database hold for this test's rows ---------------------
    def database_state(self) -> tuple[dict[str, tuple[int, str]], set[str]]:
        with psycopg.connect(libpq_dsn(self.url)) as conn:
            rows = conn.execute(
                "SELECT id::text, version, given_name FROM customers WHERE id::text = ANY(%s)",
                (self.customers,),
            ).fetchall()
            acts = conn.execute(
                "SELECT id::text FROM customer_interactions WHERE customer_id::text = ANY(%s)",
                (self.customers,),
            ).fetchall()
        return ({record_key(i): (v, n) for i, v, n in rows},
                {f"sor:interactions:{i}" for (i,) in acts})  # fmt: skip

    def graph_state(self) -> tuple[dict[str, tuple[int, str]], set[str]]:
        keys = [record_key(c) for c in self.customers]
        rows = self.store.run_cypher(
            "MATCH (r:Record) WHERE r.key IN $keys RETURN r.key AS k, r.version AS v, "
            "r.given_name AS n",
            {"keys": keys},
        )
        acts = self.store.run_cypher(
            "MATCH (r:Record)-[:HAS_INTERACTION]->(i:Interaction) WHERE r.key IN $keys "
            "RETURN DISTINCT i.key AS k",
            {"keys": keys},
        )
        return {r["k"]: (r["v"], r["n"]) for r in rows}, {a["k"] for a in acts}

    def assert_graph_equals_database(self) -> None:
        """Converged, and no effect twice: one node per row, one edge per interaction."""

        def same() -> bool:
            return self.graph_state() == self.database_state()

        try:
            wait_for("the graph to equal the database", same)
        except AssertionError as exc:
            (graph, g_acts), (db, d_acts) = self.graph_state(), self.database_state()
            wrong = {k: (graph.get(k), v) for k, v in db.items() if graph.get(k) != v}
            raise AssertionError(
                f"{exc}: {len(wrong)} of {len(db)} records differ (graph, db), e.g. "
                f"{list(wrong.items())[:3]}; interactions graph {len(g_acts)} db {len(d_acts)}"
                f"\napply log:\n{self.tail('apply')}"
            ) from None
        keys = [record_key(c) for c in self.customers]
        db_records, db_acts = self.database_state()
        nodes = self.store.run_cypher(
            "MATCH (r:Record) WHERE r.key IN $keys RETURN r.key AS k, count(r) AS n, "
            "sum(CASE WHEN r.deleted THEN 1 ELSE 0 END) AS deleted",
            {"keys": keys},
        )
        assert len(nodes) == len(db_records) == len(self.customers)
        assert all(r["n"] == 1 and r["deleted"] == 0 for r in nodes)
        edges = self.store.run_cypher(
            "MATCH (i:Interaction) WHERE i.key IN $keys OPTIONAL MATCH (r)-[h:HAS_INTERACTION]->(i)"
            " RETURN i.key AS k, count(DISTINCT i) AS nodes, count(h) AS edges",
            {"keys": sorted(db_acts)},
        )
        assert {e["k"] for e in edges} == db_acts
        assert all((e["nodes"], e["edges"]) == (1, 1) for e in edges), [
            e for e in edges if (e["nodes"], e["edges"]) != (1, 1)
        ]


class Writer(threading.Thread):
    """Commits `total` changes at about `rate`/s: customer updates (a few hot rows get
    most), interactions, and new customers."""

    def __init__(self, pipeline: Pipeline, sor: SystemOfRecord, total: int, rate: float) -> None:
        super().__init__(daemon=True, name="sor-writer")
        self.pipeline, self.sor, self.total, self.rate = pipeline, sor, total, rate
        self.made = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        rng = random.Random(self.pipeline.tag)
        ids = self.pipeline.customers
        start = time.monotonic()
        try:
            for n in range(self.total):
                delay = start + n / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                roll = rng.random()
                if roll < 0.1:
                    row = self.sor.upsert_customer({"kind": "person", "given_name": "New",
                                                    "family_name": f"Res{letters(n)}"})  # fmt: skip
                    ids.append(str(row["id"]))
                elif roll < 0.55:
                    target = ids[rng.randrange(3)] if rng.random() < 0.5 else rng.choice(ids)
                    self.sor.upsert_customer({"id": target, "given_name": f"Upd{letters(n)}"})
                else:
                    self.sor.record_interaction({"customer_id": rng.choice(ids),
                                                 "channel": "call"})  # fmt: skip
                self.made += 1
        except BaseException as exc:  # reported by the test
            self.error = exc


class VersionWatch(threading.Thread):
    """Samples the graph version of the hot rows: it must never go back."""

    def __init__(self, server: ServerInfo, graph: str, keys: list[str]) -> None:
        super().__init__(daemon=True, name="version-watch")
        self.store = FalkorDBStore(Catalogue(REPO_ROOT / "cypher"), port=server.port,
                                   graph_name=graph)  # fmt: skip
        self.keys = keys
        self.seen: dict[str, list[int]] = {k: [] for k in keys}
        self.done = threading.Event()

    def run(self) -> None:
        try:
            while not self.done.is_set():
                try:
                    rows = self.store.run_cypher(
                        "MATCH (r:Record) WHERE r.key IN $keys RETURN r.key AS k, r.version AS v",
                        {"keys": self.keys},
                    )
                except GraphStoreError:  # the graph server is being restarted
                    rows = []
                for row in rows:
                    if row["v"] is not None:
                        self.seen[row["k"]].append(row["v"])
                time.sleep(0.02)
        finally:
            self.store.close()

    def assert_monotone(self) -> None:
        self.done.set()
        self.join(10)
        for key, versions in self.seen.items():
            assert versions == sorted(versions), f"{key} went back: {versions}"
        assert any(len(set(v)) > 1 for v in self.seen.values())  # it saw them change


@pytest.fixture
def pipeline(
    request: pytest.FixtureRequest,
    cdc_database_url: str,
    falkordb_server: ServerInfo,
    falkordb_store: FalkorDBStore,
    tmp_path: Path,
) -> Iterator[Pipeline]:
    """Over the session's in-memory broker, or (`durable_broker` as the param) the S3 one."""
    name = getattr(request, "param", "tansu_broker")
    broker: TansuBroker = request.getfixturevalue(name)
    p = Pipeline(cdc_database_url, broker, falkordb_store, falkordb_server, tmp_path)
    if name == "durable_broker":
        # tansu-on-S3 lists a partition's objects in moto for every fetch: with apply's
        # 10 ms fetch wait moto served ~60 requests/s, nearly all such lists, and the
        # produces and commits queued behind them; after the broker's restart apply took
        # 95 s to over 420 s to catch up on a slow machine (the 120 s wait failed two runs
        # in five). With 500 ms: the test passes in ~25 s.
        p.consumer_config = {"fetch.wait.max.ms": 500}
    yield from _seeded(p)


@pytest.fixture
def own_graph_pipeline(
    cdc_database_url: str, tansu_broker: TansuBroker, catalogue: Catalogue, tmp_path: Path
) -> Iterator[Pipeline]:
    """The apply worker writes to a FalkorDB server of this test's own, on a fixed port,
    reached by URI as production reaches its graph store, so it can be restarted."""
    port = free_port()
    server = EmbeddedFalkorDB(tmp_path / "graph", port=port, die_with_owner=True)
    info = server.start()
    store = FalkorDBStore(catalogue, port=port, graph_name="c360_res")
    store.ensure_schema()
    p = Pipeline(cdc_database_url, tansu_broker, store, info, tmp_path, graph=server)
    try:
        yield from _seeded(p)
    finally:
        store.close()
        server.stop()


def _seeded(p: Pipeline) -> Iterator[Pipeline]:
    """`p` with ten customers in the database; everything it started stopped after."""
    sor = SystemOfRecord.from_url(p.url)
    p.customers.extend(
        str(sor.upsert_customer({"kind": "person", "given_name": "Seed",
                                 "family_name": f"Res{letters(i)}"})["id"])
        for i in range(10)
    )  # fmt: skip
    sor.close()
    try:
        yield p
    finally:
        if p.watch is not None:
            p.watch.done.set()
            p.watch.join(10)
        p.stop_all()
        drop_slot(p.url, p.slot, f"{p.slot}_pub")  # slots are few and shared


def run_stream(
    p: Pipeline, total: int, rate: float, disrupt: Callable[[], None]
) -> tuple[Writer, VersionWatch]:
    """Both workers up, the snapshot applied, then `total` changes at `rate`/s; `disrupt`
    runs once a third of them are committed and the graph has caught some."""
    p.start("capture")
    p.start("apply")
    wait_for("the snapshot in the graph", lambda: len(p.graph_state()[0]) == 10)
    watch = VersionWatch(p.server, p.store.graph_name, [record_key(c) for c in p.customers[:3]])
    watch.start()
    p.watch = watch
    sor = SystemOfRecord.from_url(p.url)
    writer = Writer(p, sor, total, rate)
    writer.start()
    try:
        wait_for(
            "a third of the stream", lambda: writer.made >= total // 3 or not writer.is_alive()
        )
        wait_for("the stream to reach the graph",
                 lambda: any(v > 1 for v, _ in p.graph_state()[0].values()))  # fmt: skip
        p.check()
        disrupt()
        writer.join(WAIT_S)
    finally:
        sor.close()
    assert writer.error is None, writer.error
    assert writer.made == total
    return writer, watch


def test_apply_killed_mid_stream_applies_every_change_once(pipeline: Pipeline) -> None:
    """Over the in-memory broker: over the S3-backed one a restarted member waited ~90 s
    for its partitions here (the same checks passed, in 165 s instead of 25)."""

    def kill_apply() -> None:
        pipeline.kill("apply")  # kill -9: nothing flushed, the batch in hand not committed
        time.sleep(1.0)  # the stream goes on while it is down
        pipeline.start("apply")

    _, watch = run_stream(pipeline, total=300, rate=60, disrupt=kill_apply)
    pipeline.assert_graph_equals_database()
    watch.assert_monotone()
    pipeline.check("capture", "apply")


def test_graph_store_killed_and_restarted_loses_and_duplicates_nothing(
    own_graph_pipeline: Pipeline,
) -> None:
    """kill -9 of the graph server mid-stream, restarted on its port from its files:
    apply retries the batch in hand (uncommitted) until the store answers again."""
    p = own_graph_pipeline
    assert p.graph is not None
    graph = p.graph

    def kill_graph() -> None:
        assert graph.process is not None
        graph.process.kill()  # kill -9: the AOF holds every write it acknowledged
        graph.process.wait(30)
        time.sleep(2.0)  # the stream goes on while it is down
        assert graph.start().port == p.server.port  # same port, same files

    _, watch = run_stream(p, total=240, rate=40, disrupt=kill_graph)
    p.assert_graph_equals_database()
    watch.assert_monotone()
    p.check("capture", "apply")  # apply rode the outage out, retrying in order
    assert "retrying a batch" in p.log("apply").read_text(errors="replace")


@pytest.mark.parametrize("pipeline", ["durable_broker"], indirect=True)
def test_broker_killed_and_restarted_loses_and_duplicates_nothing(pipeline: Pipeline) -> None:
    """Was xfail (issue 5): one change in about three runs never reached apply. tansu
    answered capture's retry of a batch it had not stored DUPLICATE_SEQUENCE_NUMBER, and
    librdkafka took that as delivered; KafkaBus now sends such messages again (the test
    below pins the mechanism down, which a single kill here only sometimes hits)."""
    broker = pipeline.broker
    port = broker.port

    def kill_broker() -> None:
        broker.stop(kill=True)  # kill -9
        time.sleep(2.0)
        broker.start()  # same port, same S3 bucket
        assert broker.port == port

    # Fewer changes: every produce, fetch and offset commit is an S3 call to moto.
    _, watch = run_stream(pipeline, total=120, rate=20, disrupt=kill_broker)
    pipeline.assert_graph_equals_database()
    watch.assert_monotone()
    pipeline.check("capture", "apply")  # both rode the outage out, neither restarted


def read_keys(broker: TansuBroker, topic: str, wanted: set[str]) -> set[str]:
    """The keys of the messages on `topic`, read from the start without a group until
    `wanted` are all there, every partition is read to its end, or 30 s have passed (a
    partition whose last offsets were given to a batch never stored has no end)."""
    consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": "unused",
                         "enable.partition.eof": True, "enable.auto.commit": False})  # fmt: skip
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        keys: set[str] = set()
        ended: set[int] = set()
        deadline = time.monotonic() + 30
        while not keys >= wanted and len(ended) < len(partitions) and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                assert error.code() == KafkaError._PARTITION_EOF, error
                ended.add(message.partition() or 0)
                continue
            keys.add((message.key() or b"").decode())
        return keys
    finally:
        consumer.close()


def test_bus_sends_again_what_a_killed_broker_acknowledged_without_storing(
    durable_broker: TansuBroker,
) -> None:
    """The mechanism of the broker-kill loss, at the bus: tansu 0.6 (S3 storage) saves an
    idempotent producer's sequence before the batch itself, so a broker killed between the
    two answers the client's retry DUPLICATE_SEQUENCE_NUMBER, which librdkafka reports as
    delivered (no offset). Publishing flat out through several kills, every message a
    `flush` returned for must be in the broker (KafkaBus sends those answers again)."""
    broker = durable_broker
    bus = KafkaBus(broker.bootstrap_servers, client_id="c360-kill-test")
    topic = f"killed.{uuid.uuid4().hex[:8]}"
    flushed: list[str] = []

    def send(count: int) -> None:
        batch = [str(len(flushed) + i) for i in range(count)]
        for value in batch:
            bus.publish(topic, value, value.encode())
        bus.flush(60)  # what capture does before Debezium may store its offsets
        flushed.extend(batch)

    send(10)  # connected to the partitions' leader before the first kill
    killed = threading.Event()

    def kill_repeatedly() -> None:
        try:
            for _ in range(6):  # each kill loses a batch about one time in two without the fix
                time.sleep(1.0)  # produce requests in flight meanwhile
                broker.stop(kill=True)
                time.sleep(0.3)
                broker.start()
        finally:
            broker.start()  # up again for the fixture's other users (a no-op when it runs)
            killed.set()

    killer = threading.Thread(target=kill_repeatedly, daemon=True, name="broker-killer")
    killer.start()
    try:
        while not killed.is_set():
            send(50)
    finally:
        killer.join(60)
        bus.close()
    seen = read_keys(broker, topic, set(flushed))
    lost = sorted(set(flushed) - seen, key=int)
    assert not lost, (
        f"{len(lost)} of {len(flushed)} flushed messages are not in the broker, e.g. "
        f"{lost[:10]} (sent again after duplicate answers: {bus.resent})"
    )

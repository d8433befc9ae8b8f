"""CDC benchmark: commit in PostgreSQL -> in the graph -> at an API subscriber, paced; and catch-up.

    .venv/bin/python bench/cdc.py                          # 60 s at 200/s, 100k catch-up
    .venv/bin/python bench/cdc.py --seconds 20 --catchup 20000
    .venv/bin/python bench/cdc.py --people 0 --subscribers 0   # resolution off, no API
    .venv/bin/python bench/cdc.py --profile                # cProfile + time per statement

The real pipeline, as production runs it: a fresh PostgreSQL database (created here,
dropped at the end with its replication slot), a `tansu` broker, an embedded FalkorDB
home under bench/out/cdc-home, and `c360 capture` / `c360 apply` as separate processes
configured by C360_* variables (the bench owns the graph server; the apply processes
reuse it, so one can be stopped while the graph stays up). With `--people` (default 300)
the demo data of that many people is ingested and resolved first, so there is a trained
model and apply resolves every record it writes, as in production; with 0 records wait
for a full run. People's names come from the demo data's lists.

(a) Paced: writer threads make a mix of customer inserts, customer updates and
interactions through `SystemOfRecord` at `--rate` changes/s for `--seconds`. Commit ->
graph is what the apply worker measures per event (the change's PostgreSQL commit time,
Debezium's `source.ts_ms`, to the moment its batch is written), printed by `c360 apply`
as it exits. Commit -> subscriber: a `c360 serve` runs, and `--subscribers` GraphQL
clients each subscribe to `customerChanged` of one customer; latency is each event's
receipt minus its `sor_committed_at` (the earliest commit it announces; the API
coalesces a burst on one customer over 50 ms on purpose). Commit -> a *bus* subscriber
(a consumer group of its own on the capture topics) shows what capture and the broker
cost alone. CPU milliseconds per change of each process come with them.

(b) Catch-up: the apply worker is stopped, `--catchup` changes are committed (1,000-row
transactions of interaction inserts, customer inserts and customer updates of distinct
rows), capture publishes them, then apply starts and changes/s is measured by the
worker's own clock from its first batch until the backlog is applied and resolved (and,
with its start-up, until the group's lag is 0 and the graph has no record waiting to be
resolved), with CPU per change of apply and of the graph server.

The last line is one JSON object `{"cdc": {...}}`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import psutil
import psycopg
import websockets

from c360.processes import stop_process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from confluent_kafka import Consumer, TopicPartition

from bench.serving import running_api
from c360.settings import REPO_ROOT
from graph.catalogue import Catalogue
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from ingest.demo_data import FEMALE_NAMES, MALE_NAMES, SURNAMES, generate, ingest_demo
from ingest.quarantine import Quarantine
from ingest.sor.db import SystemOfRecord
from ingest.sor.migrate import upgrade
from resolvers.identity import IdentityResolver
from workers.bus.broker import TansuBroker
from workers.cdc.capture import drop_slot
from workers.cdc.postgres import ensure_logical_wal, scratch_database

OUT = Path(__file__).resolve().parent / "out"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DB_PREFIX = "c360_cdc_bench_"
C360 = str(Path(sys.executable).parent / "c360")
TABLES = ("customers", "customer_interactions", "transactions")
TARGET_GRAPH_P99_MS = 500.0
TARGET_CATCHUP_PER_S = 2000.0
# `c360 <command>` under cProfile: argv is [stats file, command]
# `c360 <command>` under cProfile, with wall time per graph statement (<stats>.statements.json)
PROFILED = """import cProfile, json, sys, time
from c360.cli import main
from graph.falkordb_store import FalkorDBStore
out, sys.argv = sys.argv[1], ["c360", *sys.argv[2:]]
spent = {}
command = FalkorDBStore._command
def timed(self, what, *args, **kwargs):
    t0 = time.perf_counter()
    try:
        return command(self, what, *args, **kwargs)
    finally:
        calls, total = spent.get(what, (0, 0.0))
        spent[what] = (calls + 1, total + time.perf_counter() - t0)
FalkorDBStore._command = timed
profiler = cProfile.Profile()
try:
    profiler.runcall(main)
finally:
    profiler.dump_stats(out)
    with open(out + ".statements.json", "w") as f:
        json.dump({k: {"calls": n, "s": round(t, 3)} for k, (n, t) in
                   sorted(spent.items(), key=lambda kv: -kv[1][1])}, f, indent=1)
"""


GIVEN_NAMES = (*MALE_NAMES, *FEMALE_NAMES)


def name_of(n: int) -> tuple[str, str]:
    """A given and family name drawn from the demo data's lists of common names, the same
    for the same `n`: namesakes as often as among the demo's common names (more often
    than among all its people, whose names have a long tail), so resolution's blocks are
    as large as common names make them, not one block of every bench row."""
    rng = random.Random(n)
    return rng.choice(GIVEN_NAMES), rng.choice(SURNAMES)


def pct(values: Sequence[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# -- the database ----------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A database of its own, migrated; dropped (slots first) at the end."""
    ensure_logical_wal(f"{PG_SERVER}/postgres")
    with scratch_database(PG_SERVER, DB_PREFIX) as url:
        upgrade(url)
        yield url


# -- the workers -----------------------------------------------------------------------


class Worker:
    """`c360 capture` or `c360 apply` as its own process, logging to a file."""

    def __init__(
        self, command: str, env: dict[str, str], log_path: Path, profile: Path | None = None
    ) -> None:
        self.log_path = log_path
        self._log = log_path.open("a")
        argv = [C360, command]
        if profile is not None:  # the same command under cProfile, stats written as it exits
            argv = [sys.executable, "-c", PROFILED, str(profile), command]
        self.process = subprocess.Popen(
            argv, env=env, cwd=REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )

    def check(self) -> None:
        code = self.process.poll()
        if code is not None:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.log_path.stem} exited with {code}:\n{tail}")

    def stop(self) -> dict[str, Any] | None:
        """SIGTERM and wait; the JSON stats line `c360 apply` prints as it exits."""
        stop_process(self.process, 60)
        self._log.close()
        for line in reversed(self.log_path.read_text(errors="replace").splitlines()):
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    return dict(json.loads(line))
        return None


class CpuMeter:
    """CPU seconds (user + system) spent by named processes since `start()`: the figure
    that can be judged on a machine others load, where wall-clock rates cannot."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.base: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        out = {}
        for name, proc in self.processes.items():
            with contextlib.suppress(psutil.Error):
                t = proc.cpu_times()
                out[name] = t.user + t.system + t.children_user + t.children_system
        return out

    def start(self) -> None:
        self.base = self._now()

    def per_change_ms(self, changes: int) -> dict[str, float]:
        """CPU milliseconds per change, per process, since `start()`."""
        now = self._now()
        return {name: round((now[name] - self.base.get(name, 0.0)) * 1000 / max(changes, 1), 3)
                for name in now}  # fmt: skip


class Watcher(threading.Thread):
    """Reads every message on the capture topics in a group of its own: how many capture
    published, each partition's true end offset, and commit -> delivered-on-the-bus
    latency while `recording`.

    The end offsets come from here, not from the broker: tansu's ListOffsets (latest)
    answers the base offset of the last record *batch* + 1, so watermark lag (as
    `Apply.consumer_lag` computes it) under-counts whenever the producer batched."""

    def __init__(self, bootstrap: str, topics: Sequence[str]) -> None:
        super().__init__(daemon=True, name="bus-watcher")
        self.bootstrap = bootstrap
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": f"bench-watch-{uuid.uuid4().hex[:6]}",
            "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 10, "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500, "topic.metadata.refresh.interval.ms": 1000,
        })  # fmt: skip
        self.consumer.subscribe(list(topics))
        self.ends: dict[tuple[str, int], int] = {}
        self.count = 0
        self.latencies_ms: list[float] = []
        self.recording = threading.Event()
        self.done = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.done.is_set():
            first = self.consumer.poll(0.1)  # returns as soon as one is there
            if first is None:
                continue
            for msg in [first, *self.consumer.consume(999, 0)]:
                if msg.error():
                    continue
                with self.lock:
                    self.count += 1
                    tp = (str(msg.topic()), int(msg.partition() or 0))
                    self.ends[tp] = max(self.ends.get(tp, 0), int(msg.offset() or 0) + 1)
                value = msg.value()
                if self.recording.is_set() and value is not None:
                    now = time.time() * 1000
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        ts = orjson.loads(value)["source"]["ts_ms"]
                        self.latencies_ms.append(now - float(ts))
        self.consumer.close()

    def assigned(self) -> bool:
        return bool(self.consumer.assignment())

    def lag(self, group: str) -> int:
        """What `group` has not committed, against the ends this watcher has seen."""
        with self.lock:
            ends = dict(self.ends)
        if not ends:
            return 0
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                             "enable.auto.commit": False})  # fmt: skip
        try:
            parts = [TopicPartition(t, p) for t, p in ends]
            committed = consumer.committed(parts, timeout=10)
        finally:
            consumer.close()
        return sum(max(ends[(tp.topic, tp.partition)] - max(tp.offset, 0), 0) for tp in committed)

    def wait_count(self, count: int, worker: Worker, timeout_s: float, what: str) -> None:
        wait_until(lambda: self.count >= count, worker, timeout_s, what)

    def wait_lag_zero(self, group: str, worker: Worker, timeout_s: float = 600.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.lag(group) > 0:
            worker.check()
            if time.monotonic() > deadline:
                raise RuntimeError(f"group {group} still lags after {timeout_s}s")
            time.sleep(0.25)


class Subscribers(threading.Thread):
    """API clients, each subscribed over GraphQL (graphql-transport-ws) to `customerChanged`
    of one customer; while `recording`, commit -> subscriber latency is taken from each
    event's `sor_committed_at` (the earliest commit it announces)."""

    def __init__(self, base_url: str, token: str, customers: Sequence[str]) -> None:
        super().__init__(daemon=True, name="api-subscribers")
        self.url = base_url.replace("http://", "ws://") + "/graphql"
        self.token = token
        self.customers = list(customers)
        self.latencies_ms: list[float] = []
        self.events = 0
        self.recording = threading.Event()
        self.ready = threading.Event()
        self.failed: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Event | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by wait_ready / stop
            self.failed = exc
            self.ready.set()

    async def _main(self) -> None:
        self._loop, self._done = asyncio.get_running_loop(), asyncio.Event()
        connected = [0]
        tasks = [asyncio.create_task(self._one(c, connected)) for c in self.customers]
        await self._done.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _one(self, customer_id: str, connected: list[int]) -> None:
        async with websockets.connect(self.url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": f"Bearer {self.token}"}}))  # fmt: skip
            if json.loads(await ws.recv())["type"] != "connection_ack":
                raise RuntimeError("the API refused the subscription's connection")
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": "subscription($id: ID!) { customerChanged(id: $id) { data } }",
                "variables": {"id": customer_id}}}))  # fmt: skip
            connected[0] += 1
            if connected[0] == len(self.customers):
                self.ready.set()
            while True:
                message = json.loads(await ws.recv())
                if message["type"] == "error":
                    raise RuntimeError(f"subscription refused: {message['payload']}")
                if message["type"] != "next":
                    continue
                data = message["payload"]["data"]["customerChanged"]["data"]
                if self.recording.is_set() and "sor_committed_at" in data:
                    self.latencies_ms.append(time.time() * 1000 - data["sor_committed_at"])
                    self.events += 1

    def wait_ready(self, timeout_s: float = 120) -> None:
        if not self.ready.wait(timeout_s) or self.failed is not None:
            raise RuntimeError(f"subscribers did not connect: {self.failed!r}")
        time.sleep(2.0)  # the subscriptions registered server-side (no ack in the protocol)

    def stop(self) -> None:
        if self._loop is not None and self._done is not None:
            self._loop.call_soon_threadsafe(self._done.set)
        self.join(30)


# -- load ------------------------------------------------------------------------------


class Pool:
    """Customer ids to update and to hang interactions off (thread-safe)."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.lock = threading.Lock()

    def pick(self, rng: random.Random) -> str:
        with self.lock:
            return rng.choice(self.ids)

    def add(self, customer_id: str) -> None:
        with self.lock:
            self.ids.append(customer_id)


def one_change(sor: SystemOfRecord, pool: Pool, rng: random.Random, n: int) -> None:
    """10% new customers, 40% customer updates, 50% interactions."""
    roll = rng.random()
    if roll < 0.1:
        given, family = name_of(n)
        row = sor.upsert_customer({"kind": "person", "given_name": given, "family_name": family,
                                   "email": f"paced.{n}@example.com", "parish": "St. Ann"})  # fmt: skip
        pool.add(str(row["id"]))
    elif roll < 0.5:  # a new first name: the record is resolved again
        sor.upsert_customer({"id": pool.pick(rng), "given_name": rng.choice(GIVEN_NAMES)})
    else:
        sor.record_interaction({"customer_id": pool.pick(rng), "channel": "call",
                                "direction": "inbound", "subject": "Paced call"})  # fmt: skip


def paced(sor: SystemOfRecord, pool: Pool, rate: float, seconds: float, threads: int) -> int:
    """`rate` changes/s for `seconds`, spread over `threads` writers on one schedule; returns
    the changes committed (a writer that falls behind catches up, never skips)."""
    total = int(rate * seconds)
    start = time.monotonic() + 0.2
    counter = iter(range(total))
    lock = threading.Lock()
    made = [0]

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            due = start + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            one_change(sor, pool, rng, n)
            with lock:
                made[0] += 1

    workers = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return made[0]


def bulk_changes(url: str, pool: Pool, count: int, chunk: int = 1000) -> int:
    """`count` row changes in `chunk`-row transactions: 60% interaction inserts, 20%
    customer inserts, 20% updates of distinct customers (no two in one transaction)."""
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={url.rsplit('/', 1)[-1]}"
    made = 0
    cursor = 0
    with psycopg.connect(dsn) as conn:
        while made < count:
            size = min(chunk, count - made)
            n_int, n_new = size * 6 // 10, size * 2 // 10
            n_upd = size - n_int - n_new
            ids = pool.ids
            targets = [ids[(cursor + i) % len(ids)] for i in range(min(n_upd, len(ids)))]
            n_int += n_upd - len(targets)
            cursor += len(targets)
            with conn.transaction():
                conn.execute(
                    "INSERT INTO customer_interactions (id, customer_id, channel, direction,"
                    " occurred_at, subject, created_at, updated_at, version)"
                    " SELECT gen_random_uuid(), (%s::uuid[])[1 + g %% %s], 'call', 'inbound',"
                    " now(), 'Catch-up call', now(), now(), 1 FROM generate_series(1, %s) g",
                    (ids, len(ids), n_int),
                )
                names = [name_of(10**9 + made + g) for g in range(n_new)]
                conn.execute(
                    "INSERT INTO customers (id, kind, given_name, family_name, email, parish,"
                    " status, created_at, updated_at, version)"
                    " SELECT gen_random_uuid(), 'person', n.given, n.family,"
                    " 'catch.' || (%s + n.g) || '@example.com', 'Kingston', 'active', now(),"
                    " now(), 1 FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY"
                    " AS n(given, family, g)",
                    (made, [g for g, _ in names], [f for _, f in names]),
                )
                if targets:  # a new first name each: resolved again
                    conn.execute(
                        "UPDATE customers SET version = version + 1, updated_at = now(),"
                        " given_name = (%s::text[])[1 + floor(random() * %s)::int]"
                        " WHERE id = ANY(%s::uuid[])",
                        (list(GIVEN_NAMES), len(GIVEN_NAMES), targets),
                    )
            made += size
    return made


# -- the run ---------------------------------------------------------------------------


def graph_vs_database(store: FalkorDBStore, url: str) -> dict[str, Any]:
    """Counts and versions in the graph against the database (the pipeline lost nothing)."""
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={url.rsplit('/', 1)[-1]}"
    with psycopg.connect(dsn) as conn:
        customers, version_sum = conn.execute(
            "SELECT count(*), coalesce(sum(version), 0) FROM customers").fetchone() or (0, 0)  # fmt: skip
        (interactions,) = conn.execute(
            "SELECT count(*) FROM customer_interactions").fetchone() or (0,)  # fmt: skip
    rec = store.run_cypher("MATCH (r:Record {source: 'sor'}) "
                           "RETURN count(r) AS n, sum(r.version) AS v")[0]  # fmt: skip
    act = store.run_cypher("MATCH (a:Interaction) WHERE a.key STARTS WITH 'sor:' "
                           "RETURN count(a) AS n")[0]  # fmt: skip
    edges = store.run_cypher("MATCH (:Record {source: 'sor'})-[h:HAS_INTERACTION]->(:Interaction)"
                             " RETURN count(h) AS n")[0]  # fmt: skip
    out = {
        "db_customers": customers, "graph_records": rec["n"],
        "db_version_sum": int(version_sum), "graph_version_sum": rec["v"],
        "db_interactions": interactions, "graph_interactions": act["n"],
        "graph_interaction_edges": edges["n"],
    }  # fmt: skip
    out["equal"] = (customers == rec["n"] and int(version_sum) == rec["v"]
                    and interactions == act["n"] == edges["n"])  # fmt: skip
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    out_dir = OUT / "cdc-run"
    home = OUT / "cdc-home"
    for d in (out_dir, home):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    tag = uuid.uuid4().hex[:8]
    prefix, slot, group = f"bench{tag}", f"c360_bench_{tag}", f"bench-apply-{tag}"
    topics = [f"{prefix}.public.{t}" for t in TABLES]

    def profile_of(phase: str) -> Path | None:
        return out_dir / f"apply-{phase}.prof" if args.profile else None

    result: dict[str, Any] = {"workers": "processes (c360 capture, c360 apply)",
                              "rate": args.rate, "seconds": args.seconds}  # fmt: skip
    graph = EmbeddedFalkorDB(home)
    info = graph.start()
    store = FalkorDBStore(Catalogue(REPO_ROOT / "cypher"), port=info.port, graph_name="c360")
    store.ensure_schema()
    if args.people:
        say(f"{args.people} demo people ingested and resolved: a trained model, so apply "
            "resolves every record it writes")  # fmt: skip
        generate(out_dir / "demo", args.people)
        ingest_demo(out_dir / "demo", store, Quarantine(out_dir / "quarantine"))
        IdentityResolver(store).resolve_full()
    result["resolution"] = (
        "incremental, per batch; a catch-up's once drained" if args.people else "off (no model)"
    )
    broker = TansuBroker(out_dir / "tansu")
    broker.start()
    workers: list[Worker] = []
    api = contextlib.ExitStack()  # the API, while subscribers watch
    try:
        with fresh_database() as url:
            env = {**os.environ, "C360_HOME": str(home), "C360_SOR_URL": url,
                   "C360_KAFKA_BOOTSTRAP": broker.bootstrap_servers, "C360_CDC_SLOT": slot,
                   "C360_CDC_TOPIC_PREFIX": prefix, "C360_APPLY_GROUP": group,
                   "C360_GRAPH_URI": ""}  # fmt: skip
            if args.full_run_fraction is not None:
                env["C360_APPLY_FULL_RUN_FRACTION"] = str(args.full_run_fraction)
            watcher = Watcher(broker.bootstrap_servers, topics)
            watcher.start()
            expected = 0
            sor = SystemOfRecord.from_url(url)
            try:
                pool = Pool([str(sor.upsert_customer({
                    "kind": "person", "given_name": name_of(-1 - i)[0],
                    "family_name": name_of(-1 - i)[1],
                    "email": f"pool.{i}@example.com", "parish": "Kingston"})["id"])
                    for i in range(args.pool)])  # fmt: skip
                say(f"{args.pool} customers in {url.rsplit('/', 1)[-1]}; starting the workers")
                capture = Worker("capture", env, out_dir / "capture.log")
                workers.append(capture)
                wait_for_log(capture, "capturing", 180)
                apply = Worker("apply", env, out_dir / "apply-warmup.log")
                workers.append(apply)
                expected += args.pool
                watcher.wait_count(expected, capture, 180, "the snapshot on the bus")
                watcher.wait_lag_zero(group, apply)
                say("snapshot applied; warming up for 5 s")
                expected += paced(sor, pool, args.rate, 5, args.threads)
                watcher.wait_count(expected, capture, 180, "the warm-up on the bus")
                watcher.wait_lag_zero(group, apply)
                apply.stop()
                # (a) paced, on a fresh apply process so its latency window holds only this
                apply = Worker("apply", env, out_dir / "apply-paced.log", profile_of("paced"))
                workers.append(apply)
                sor.upsert_customer({"id": pool.ids[0], "given_name": "Primed"})
                expected += 1
                watcher.wait_count(expected, capture, 60, "the primer on the bus")
                watcher.wait_lag_zero(group, apply)
                subscribers = None
                if args.subscribers:
                    base = api.enter_context(running_api(env))
                    token = subprocess.run(
                        [C360, "token", "--role", "admin", "--sub", "bench", "--scope", "pii"],
                        env=env, check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
                    watched = customers_of(store, pool.ids[: args.subscribers])
                    subscribers = Subscribers(base, token, watched)
                    subscribers.start()
                    subscribers.wait_ready()
                    say(f"{len(watched)} API subscribers to customerChanged")
                    subscribers.recording.set()
                watcher.recording.set()
                say(f"paced: {args.rate:g} changes/s for {args.seconds:g} s")
                cpu = CpuMeter({"apply": apply.process.pid, "capture": capture.process.pid,
                                "graph": info.pid, "broker": broker_pid(broker)})  # fmt: skip
                cpu.start()
                t0 = time.monotonic()
                made = paced(sor, pool, args.rate, args.seconds, args.threads)
                wrote_s = time.monotonic() - t0
                expected += made
                watcher.wait_count(expected, capture, 300, "the paced changes on the bus")
                watcher.wait_lag_zero(group, apply)
                watcher.recording.clear()  # after: the last batch may still be recording
                paced_cpu = cpu.per_change_ms(made)
                sub_lat: list[float] = []
                if subscribers is not None:
                    time.sleep(1.0)  # the last announcements reach the subscribers
                    subscribers.stop()
                    sub_lat = subscribers.latencies_ms
                api.close()
                stats = apply.stop() or {}
                bus_lat = list(watcher.latencies_ms)
                result["paced"] = {
                    "changes": made, "achieved_rate": round(made / wrote_s, 1),
                    "graph_p50_ms": stats.get("latency_ms_p50"),
                    "graph_p99_ms": stats.get("latency_ms_p99"),
                    "graph_events": stats.get("events"), "applied": stats.get("applied"),
                    "stale": stats.get("stale"), "dead_lettered": stats.get("dead_lettered"),
                    "bus_subscriber_p50_ms": pct(bus_lat, 50),
                    "bus_subscriber_p99_ms": pct(bus_lat, 99),
                    "bus_subscriber_events": len(bus_lat),
                    "cpu_ms_per_change": paced_cpu,
                    "api_subscriber_p50_ms": pct(sub_lat, 50),
                    "api_subscriber_p99_ms": pct(sub_lat, 99),
                    "api_subscriber_events": len(sub_lat),
                }  # fmt: skip
                say(f"paced: {json.dumps(result['paced'])}")
                # (b) catch-up
                if args.catchup:
                    say(f"apply stopped; committing {args.catchup} changes")
                    t0 = time.monotonic()
                    bulk_changes(url, pool, args.catchup)
                    committed_s = time.monotonic() - t0
                    expected += args.catchup
                    watcher.wait_count(expected, capture, 1800, "capture to publish the catch-up")
                    published_s = time.monotonic() - t0
                    backlog = watcher.lag(group)
                    say(f"committed in {committed_s:.1f}s, published in {published_s:.1f}s; "
                        f"backlog {backlog}; starting apply")  # fmt: skip
                    t_start = time.monotonic()
                    apply = Worker(
                        "apply", env, out_dir / "apply-catchup.log", profile_of("catchup")
                    )
                    workers.append(apply)
                    graph_cpu = CpuMeter({"graph": info.pid})  # idle until apply writes
                    graph_cpu.start()
                    while True:
                        lag = watcher.lag(group)
                        now = time.monotonic()
                        if lag == 0:
                            break
                        apply.check()
                        if now - t_start > 1800:
                            raise RuntimeError("catch-up did not finish in 30 min")
                        time.sleep(0.2)
                    t_zero = time.monotonic()
                    # Applied is not done: apply resolves a backlog once it is drained,
                    # so wait until the graph has no record left to resolve.
                    resolver = IdentityResolver(store)
                    while args.people and resolver.pending(limit=1):
                        apply.check()
                        if time.monotonic() - t_start > 1800:
                            raise RuntimeError("catch-up not resolved in 30 min")
                        time.sleep(0.5)
                    t_done = time.monotonic()
                    catchup_cpu = graph_cpu.per_change_ms(backlog)
                    stats = apply.stop() or {}
                    # the worker's own clock: from its first batch to its last, or to the
                    # end of the backlog's resolution
                    end = max(stats["last_batch_at"], stats.get("resolved_at") or 0)
                    steady = end - stats["first_batch_at"]
                    catchup_cpu["apply"] = round(
                        (stats["cpu_s"] - stats["cpu_s_at_first_batch"]) * 1000 / backlog, 3)  # fmt: skip
                    result["catchup"] = {
                        "changes": args.catchup, "backlog_messages": backlog,
                        "commit_s": round(committed_s, 1),
                        "capture_published_s": round(published_s, 1),
                        "capture_per_s": round(args.catchup / published_s),
                        "lag_zero_s_with_startup": round(t_zero - t_start, 1),
                        "apply_s_with_startup": round(t_done - t_start, 1),
                        "apply_per_s_with_startup": round(backlog / (t_done - t_start)),
                        "apply_s": round(steady, 1),
                        "apply_per_s": round(backlog / steady) if steady > 0 else None,
                        "resolved": stats.get("resolved"), "full_runs": stats.get("full_runs"),
                        "applied": stats.get("applied"), "stale": stats.get("stale"),
                        "batches": stats.get("batches"),
                        "dead_lettered": stats.get("dead_lettered"),
                        "cpu_ms_per_change": catchup_cpu,
                    }  # fmt: skip
                    say(f"catch-up: {json.dumps(result['catchup'])}")
                result["graph_vs_database"] = graph_vs_database(store, url)
            finally:
                api.close()
                for w in reversed(workers):
                    w.stop()
                watcher.done.set()
                sor.close()
                drop_slot(url, slot, f"{slot}_pub")
    finally:
        store.close()
        broker.stop()
        graph.stop()
    paced_p99 = (result.get("paced") or {}).get("graph_p99_ms")
    rate = (result.get("catchup") or {}).get("apply_per_s")
    result["targets"] = {
        "graph_p99_ms<=500": paced_p99 is not None and paced_p99 <= TARGET_GRAPH_P99_MS,
        "catchup_per_s>=2000": rate is not None and rate >= TARGET_CATCHUP_PER_S,
    }
    return result


def customers_of(store: FalkorDBStore, row_ids: Sequence[str]) -> list[str]:
    """The Customers the SoR rows' records resolve to."""
    rows = store.run_cypher(
        "UNWIND $keys AS k MATCH (:Record {key: k})-[:RESOLVES_TO]->(c:Customer) "
        "RETURN DISTINCT c.id AS id",
        {"keys": [f"sor:{i}" for i in row_ids]},
    )
    found = [r["id"] for r in rows]
    if not found:
        raise RuntimeError("no SoR record resolved to a customer: nothing to subscribe to")
    return found


def broker_pid(broker: TansuBroker) -> int:
    assert broker.process is not None
    return broker.process.pid


def wait_for_log(worker: Worker, text: str, timeout_s: float) -> None:
    wait_until(lambda: text in worker.log_path.read_text(errors="replace"), worker, timeout_s,
               f"{worker.log_path.stem} to say {text!r}")  # fmt: skip


def wait_until(check: Any, worker: Worker, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        worker.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="paced phase length")
    parser.add_argument("--rate", type=float, default=200.0, help="paced changes/s")
    parser.add_argument("--catchup", type=int, default=100_000, help="0 skips it")
    parser.add_argument("--pool", type=int, default=500, help="customers made first")
    parser.add_argument("--threads", type=int, default=8, help="paced writer threads")
    parser.add_argument(
        "--people",
        type=int,
        default=300,
        help="demo people ingested and resolved first, so apply resolves "
        "what it writes (0: no model, records wait for a full run)",
    )
    parser.add_argument(
        "--subscribers",
        type=int,
        default=100,
        help="API customerChanged subscribers during the paced phase (needs --people; 0: no API)",
    )
    parser.add_argument(
        "--full-run-fraction", type=float, default=None,
        help="C360_APPLY_FULL_RUN_FRACTION for apply (above 1: a catch-up is resolved "
        "record by record, never by a full run)",
    )  # fmt: skip
    parser.add_argument("--profile", action="store_true",
                        help="run the measured apply workers under cProfile "
                             "(bench/out/cdc-run/apply-<phase>.prof)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.subscribers and not args.people:
        parser.error("--subscribers needs --people: customers exist only once records resolve")
    result = run(args)
    print(json.dumps({"cdc": result}, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

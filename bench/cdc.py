"""CDC benchmark: commit in PostgreSQL -> visible in the graph, paced; and catch-up.

    .venv/bin/python bench/cdc.py                          # 60 s at 200/s, 100k catch-up
    .venv/bin/python bench/cdc.py --seconds 20 --catchup 20000

The real pipeline, as production runs it: a fresh PostgreSQL database (created here,
dropped at the end with its replication slot), a `tansu` broker, an embedded FalkorDB
home under bench/out/cdc-home, and `c360 capture` / `c360 apply` as separate processes
configured by C360_* variables (the bench owns the graph server; the apply processes
reuse it, so one can be stopped while the graph stays up).

(a) Paced: writer threads make a mix of customer inserts, customer updates and
interactions through `SystemOfRecord` at `--rate` changes/s for `--seconds`. Commit ->
graph is what the apply worker measures per event (the change's PostgreSQL commit time,
Debezium's `source.ts_ms`, to the moment its batch is written), printed by `c360 apply`
as it exits. "Delivered to a subscriber" is not wired yet (no EventHub publish after
apply), so it is not measured; commit -> delivered to a *bus* subscriber (a consumer
group of its own on the capture topics) is, to show what the broker hop costs.

(b) Catch-up: the apply worker is stopped, `--catchup` changes are committed (1,000-row
transactions of interaction inserts, customer inserts and customer updates of distinct
rows), capture publishes them, then apply starts and changes/s is measured until the
group's lag is 0. Both with and without the worker's start-up.

The last line is one JSON object `{"cdc": {...}}`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from confluent_kafka import Consumer, TopicPartition

from c360.settings import REPO_ROOT
from graph.catalogue import Catalogue
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from ingest.sor.db import SystemOfRecord
from ingest.sor.migrate import upgrade
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


def letters(n: int) -> str:
    """Digits spelt as letters: ingest refuses names with digits."""
    return "".join(chr(ord("a") + int(d)) for d in str(n))


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

    def __init__(self, command: str, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("a")
        self.process = subprocess.Popen(
            [C360, command], env=env, cwd=REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )

    def check(self) -> None:
        code = self.process.poll()
        if code is not None:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.log_path.stem} exited with {code}:\n{tail}")

    def stop(self) -> dict[str, Any] | None:
        """SIGTERM and wait; the JSON stats line `c360 apply` prints as it exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        for line in reversed(self.log_path.read_text(errors="replace").splitlines()):
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    return dict(json.loads(line))
        return None


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
        row = sor.upsert_customer({"kind": "person", "given_name": "Paced",
                                   "family_name": f"Bench{letters(n)}",
                                   "email": f"paced.{n}@example.com", "parish": "St. Ann"})  # fmt: skip
        pool.add(str(row["id"]))
    elif roll < 0.5:
        sor.upsert_customer({"id": pool.pick(rng), "given_name": f"Upd{letters(n % 1000)}"})
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
                conn.execute(
                    "INSERT INTO customers (id, kind, given_name, family_name, email, parish,"
                    " status, created_at, updated_at, version)"
                    " SELECT gen_random_uuid(), 'person', 'Catch',"
                    " 'Up' || translate((%s + g)::text, '0123456789', 'abcdefghij'),"
                    " 'catch.' || (%s + g) || '@example.com', 'Kingston', 'active', now(),"
                    " now(), 1 FROM generate_series(1, %s) g",
                    (made, made, n_new),
                )
                if targets:
                    conn.execute(
                        "UPDATE customers SET given_name = 'Caught', version = version + 1,"
                        " updated_at = now() WHERE id = ANY(%s::uuid[])",
                        (targets,),
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
    result: dict[str, Any] = {"workers": "processes (c360 capture, c360 apply)",
                              "rate": args.rate, "seconds": args.seconds}  # fmt: skip
    graph = EmbeddedFalkorDB(home)
    info = graph.start()
    store = FalkorDBStore(Catalogue(REPO_ROOT / "cypher"), port=info.port, graph_name="c360")
    broker = TansuBroker(out_dir / "tansu")
    broker.start()
    workers: list[Worker] = []
    try:
        with fresh_database() as url:
            env = {**os.environ, "C360_HOME": str(home), "C360_SOR_URL": url,
                   "C360_KAFKA_BOOTSTRAP": broker.bootstrap_servers, "C360_CDC_SLOT": slot,
                   "C360_CDC_TOPIC_PREFIX": prefix, "C360_APPLY_GROUP": group,
                   "C360_GRAPH_URI": ""}  # fmt: skip
            watcher = Watcher(broker.bootstrap_servers, topics)
            watcher.start()
            expected = 0
            sor = SystemOfRecord.from_url(url)
            try:
                pool = Pool([str(sor.upsert_customer({
                    "kind": "person", "given_name": "Pool", "family_name": f"Bench{letters(i)}",
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
                apply = Worker("apply", env, out_dir / "apply-paced.log")
                workers.append(apply)
                sor.upsert_customer({"id": pool.ids[0], "given_name": "Primed"})
                expected += 1
                watcher.wait_count(expected, capture, 60, "the primer on the bus")
                watcher.wait_lag_zero(group, apply)
                watcher.recording.set()
                say(f"paced: {args.rate:g} changes/s for {args.seconds:g} s")
                t0 = time.monotonic()
                made = paced(sor, pool, args.rate, args.seconds, args.threads)
                wrote_s = time.monotonic() - t0
                expected += made
                watcher.wait_count(expected, capture, 300, "the paced changes on the bus")
                watcher.wait_lag_zero(group, apply)
                watcher.recording.clear()  # after: the last batch may still be recording
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
                    "subscriber_after_graph": "not wired (no customer.changed publish yet)",
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
                    apply = Worker("apply", env, out_dir / "apply-catchup.log")
                    workers.append(apply)
                    t_first = None
                    while True:
                        lag = watcher.lag(group)
                        now = time.monotonic()
                        if t_first is None and lag < backlog:
                            t_first = now
                        if lag == 0:
                            break
                        apply.check()
                        if now - t_start > 1800:
                            raise RuntimeError("catch-up did not finish in 30 min")
                        time.sleep(0.2)
                    t_zero = time.monotonic()
                    stats = apply.stop() or {}
                    steady = t_zero - (t_first or t_start)
                    result["catchup"] = {
                        "changes": args.catchup, "backlog_messages": backlog,
                        "commit_s": round(committed_s, 1),
                        "capture_published_s": round(published_s, 1),
                        "capture_per_s": round(args.catchup / published_s),
                        "apply_s_with_startup": round(t_zero - t_start, 1),
                        "apply_per_s_with_startup": round(backlog / (t_zero - t_start)),
                        "apply_s": round(steady, 1),
                        "apply_per_s": round(backlog / steady) if steady > 0 else None,
                        "applied": stats.get("applied"), "stale": stats.get("stale"),
                        "batches": stats.get("batches"),
                        "dead_lettered": stats.get("dead_lettered"),
                    }  # fmt: skip
                    say(f"catch-up: {json.dumps(result['catchup'])}")
                result["graph_vs_database"] = graph_vs_database(store, url)
            finally:
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
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps({"cdc": result}, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

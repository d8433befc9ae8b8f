"""Identity resolution on the demo data: full-run time, peak memory, F1, incremental latency.

Used by `bench/er.py` (which prints the figures); runnable on its own:

    .venv/bin/python bench/er_demo.py --people 100000

The demo data and its ingested graph are cached under bench/out/ (ingesting a million
records takes a while); every run clears the identity layer and resolves from scratch.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import PeakRss
from bench.machine import server_forks, speed
from c360.settings import Settings
from c360.wiring import open_graph
from graph.store import GraphStore
from ingest.demo_data import generate, ingest_demo, read_manifest, read_truth
from ingest.quarantine import Quarantine
from resolvers.evaluation import evaluate
from resolvers.identity import IdentityResolver, now_ms
from resolvers.records import ResolutionRecord

OUT = Path(__file__).resolve().parent / "out"


def _graph_server(home: Path) -> tuple[psutil.Process, int]:
    """The embedded server of this home, which an earlier run may have left (by its pid
    file), and its port."""
    info = json.loads((home / "falkordb" / "server.json").read_text())
    return psutil.Process(int(info["pid"])), int(info["port"])


def _remove_arrivals(store: GraphStore) -> None:
    store.run_cypher("MATCH (r:Record {source: 'bench'}) DETACH DELETE r", read_only=False)


def _arrive(resolver: IdentityResolver, store: GraphStore, key: str, new_key: str) -> None:
    """A copy of the Record `key` arrives from the bench's own source as `new_key`."""
    (record,) = resolver.load_records([key])
    store.run("ingest/create_records", {"rows": [_copy_row(record, new_key)]})


def _copy_row(record: ResolutionRecord, key: str) -> dict[str, Any]:
    """A new source's row for a person already in the graph: same name and identifiers."""
    v = record.values
    props = {"key": key, "source": "bench", "source_id": key.split(":", 1)[1], "kind": record.kind,
             "hash": key, "ingested_at": now_ms(), "name": record.name}  # fmt: skip
    fields = ["name_folded", "given_name", "family_name", "dob", "parish", "city"]
    if record.kind == "business":
        fields.append("company_key")  # a person's comes from the business it works at
    for field in fields:
        if v.get(field):
            props[field] = v[field]

    def listed(name: str) -> list[str]:
        value = v.get(name)
        return list(value) if isinstance(value, list) else []

    return {
        "props": props, "emails": listed("email"), "phones": listed("phone"),
        "addresses": [{"key": a} for a in listed("address")],
        "handles": [{"key": h, "platform": h.split(":")[0], "value": h.split(":", 1)[1]}
                    for h in listed("handle")],
        "websites": listed("website"), "works_at": [],
    }  # fmt: skip


def _cpu_s(process: psutil.Process, with_children: bool = False) -> float:
    """CPU seconds `process` has used; `with_children`: its reaped forks' too."""
    return sum(process.cpu_times()[: 4 if with_children else 2])


def _time_attaches(
    resolver: IdentityResolver,
    store: GraphStore,
    server: psutil.Process,
    port: int,
    keys: list[str],
    assignments: dict[str, str],
    prefix: str,
    when: str,
) -> dict[str, Any]:
    """Copies of the Records `keys` arrive one at a time; each is resolved on its own and
    timed (wall, this process's CPU, the graph server's CPU)."""
    latencies: list[float] = []
    client_cpu: list[float] = []
    server_cpu: list[float] = []
    candidates: list[int] = []
    attached = 0
    forks_before, _ = server_forks(port)
    for n, key in enumerate(keys):
        new_key = f"{prefix}{n}"
        _arrive(resolver, store, key, new_key)
        s0 = _cpu_s(server)
        c0 = time.process_time()
        t0 = time.perf_counter()
        attach = resolver.resolve_records([new_key])
        latencies.append((time.perf_counter() - t0) * 1000)
        client_cpu.append((time.process_time() - c0) * 1000)
        server_cpu.append((_cpu_s(server) - s0) * 1000)
        candidates.append(attach.candidate_pairs)
        now = resolver.load_records([new_key])[0]
        attached += now.customer == assignments[key]
    forks_after, fork_ms = server_forks(port)
    forks = forks_after - forks_before
    if not latencies:
        return {}
    p50, p99 = np.percentile(latencies, [50, 99])
    c50, c99 = np.percentile(np.asarray(client_cpu) + np.asarray(server_cpu), [50, 99])
    # Which side a slow run's extra CPU is on: this process or the graph server.
    client50, server50 = float(np.median(client_cpu)), float(np.median(server_cpu))
    print(f"  incremental attach of {len(latencies)} single records {when}: p50 {p50:.1f} ms, "
          f"p99 {p99:.1f} ms (CPU client + server p50 {c50:.1f} ms, p99 {c99:.1f} ms; "
          f"p50 client {client50:.1f} ms, server {server50:.1f} ms; "
          f"candidates p50 {np.median(candidates):.0f}, max {max(candidates)}); "
          f"{attached} attached to the original's customer; "
          f"the graph server forked {forks} time(s) meanwhile"
          + (f" (the last held it {fork_ms:.0f} ms)" if forks else ""),
          flush=True)  # fmt: skip
    return {
        "attach_p50_ms": round(float(p50), 1), "attach_p99_ms": round(float(p99), 1),
        "attach_cpu_p50_ms": round(float(c50), 1), "attach_cpu_p99_ms": round(float(c99), 1),
        "attach_client_cpu_p50_ms": round(client50, 1),
        "attach_server_cpu_p50_ms": round(server50, 1),
        "attached": attached, "attach_samples": len(latencies), "server_forks": forks,
        "last_fork_ms": round(fork_ms, 1) if forks else None,
    }  # fmt: skip


def _wait_for_index_cleanup(
    server: psutil.Process, port: int, cap_s: float = 900.0
) -> tuple[float, float]:
    """Wait until FalkorDB's index garbage collector has finished with what a bulk job
    left: no fork for longer than its 30 s period, and the server near idle. Returns the
    seconds waited and the server's CPU seconds (its own and its forks') meanwhile."""
    started = time.monotonic()
    cpu0 = _cpu_s(server, with_children=True)  # the collector's forks do the scan
    forks, _ = server_forks(port)
    last_fork = started
    while time.monotonic() - started < cap_s:
        busy0 = _cpu_s(server, with_children=True)
        time.sleep(5)
        busy = _cpu_s(server, with_children=True) - busy0
        now_forks, _ = server_forks(port)
        if now_forks != forks:
            forks, last_fork = now_forks, time.monotonic()
        if time.monotonic() - last_fork > 35 and busy < 0.25:  # under 5% of a core
            break
    return time.monotonic() - started, _cpu_s(server, with_children=True) - cpu0


def run(
    people: int, attach_samples: int = 200, attach_only: bool = False, seed: int = 7
) -> dict[str, Any]:
    """`attach_only`: keep the resolution an earlier run left in the cached graph and
    measure only the attach latency (full-run figures are then absent). `seed`: another
    draw of the demo data than `c360 demo`'s (seed 7), to check a change on data it was
    not looked at on."""
    tag = f"{people}" if seed == 7 else f"{people}-s{seed}"
    data = OUT / f"demo-{tag}"
    if not (data / "manifest.json").exists():
        print(f"generating demo data for {people:,} people -> {data}", flush=True)
        generate(data, people, seed=seed)
    settings = Settings(home=OUT / f"er-home-{tag}", graph_uri=None, graph_name="bench")
    with open_graph(settings) as store:
        records = store.run_cypher("MATCH (r:Record) RETURN count(r) AS n")[0]["n"]
        if not records:
            quarantine = Quarantine(settings.quarantine_dir)
            t0 = time.perf_counter()
            for summary in ingest_demo(data, store, quarantine):
                print(f"  ingested {Path(summary.origin).name}: {summary.rows:,} rows", flush=True)
            print(f"  ingest {time.perf_counter() - t0:,.0f} s", flush=True)
        # Records an earlier run of this benchmark added (below) are not demo data; a run
        # removes its own when it ends, so this finds some only after one was cut short.
        _remove_arrivals(store)
        resolver = IdentityResolver(store)
        server, port = _graph_server(settings.home_dir)
        # How hard the data is: names another person also has are resolved on other evidence.
        namesakes = read_manifest(data).get("namesake_share")
        # How fast the machine is today: figures of different days compare only with it.
        machine = speed(port)
        print(f"  machine: {machine}", flush=True)
        out: dict[str, Any] = {"people": people, "namesake_share": namesakes, "machine": machine}
        resolved = store.run_cypher("MATCH (m:MatchModel) RETURN count(m) AS n")[0]["n"]
        full_run = not (attach_only and resolved)
        if full_run:
            resolver.clear()
            peak = PeakRss(server)
            peak.start()
            started = time.perf_counter()
            report = resolver.resolve_full(retrain=True)
            seconds = time.perf_counter() - started
            peak_rss, server_peak_rss = peak.peaks()
        assignments = resolver.assignments()
        quality = evaluate(assignments, read_truth(data / "truth.jsonl"))
        if full_run:
            print(f"  full resolution of {report.records:,} records: {seconds:,.1f} s, "
                  f"{report.candidate_pairs:,} candidate pairs, peak RSS {peak_rss / 2**20:,.0f} MB "
                  f"+ server {server_peak_rss / 2**20:,.0f} MB; pairwise F1 {quality['pairwise']['f1']} "
                  f"({namesakes} of people share their full name)",
                  flush=True)  # fmt: skip
            out.update({
                "records": report.records, "candidate_pairs": report.candidate_pairs,
                "seconds": round(seconds, 1), "peak_rss_mb": round(peak_rss / 2**20),
                "server_peak_rss_mb": round(server_peak_rss / 2**20),
            })  # fmt: skip
        out.update({
            "f1": quality["pairwise"]["f1"], "precision": quality["pairwise"]["precision"],
            "recall": quality["pairwise"]["recall"], "cluster_f1": quality["cluster"]["f1"],
        })  # fmt: skip

        # Single arriving records: a new source sees a known person again. The bench's own
        # millions of objects (truth, assignments) would otherwise make Python's full
        # collections, tens of ms each, land on random attaches: frozen, they are skipped.
        gc.collect()
        gc.freeze()
        rng = random.Random(3)
        persons = [k for k in assignments if k.startswith(("crm:", "qbo:")) and ":org:" not in k]
        sample = rng.sample(persons, min(2 * attach_samples + 1, len(persons)))
        # The process's first attach loads the model and builds what scoring keeps (0.1-0.4
        # s at 1M rows): a service pays that once, at its first arrival, so it is
        # timed on its own, not among the attaches of a running service.
        first_ms = 0.0
        if sample:
            _arrive(resolver, store, sample.pop(), "bench:first")
            t0 = time.perf_counter()
            resolver.resolve_records(["bench:first"])
            first_ms = (time.perf_counter() - t0) * 1000
        print(f"  the process's first attach: {first_ms:.0f} ms", flush=True)
        # Right after a full run FalkorDB's index garbage collector is still cleaning up
        # after it, in forks of the whole server and seconds of CPU on the other core:
        # attaches then are timed apart from those of a server past that clean-up.
        half = len(sample) // 2
        just_after = _time_attaches(resolver, store, server, port, sample[:half], assignments,
                                    f"bench:{people}-a",
                                    "right after the full run" if full_run else "first")  # fmt: skip
        waited_s, cleanup_cpu_s = _wait_for_index_cleanup(server, port)
        print(f"  the graph server's index clean-up ended {waited_s:.0f} s later "
              f"({cleanup_cpu_s:.1f} s of its CPU meanwhile)", flush=True)  # fmt: skip
        steady = _time_attaches(resolver, store, server, port, sample[half:], assignments,
                                f"bench:{people}-b", "after the clean-up")  # fmt: skip
        # Now, not at the next run's start: deleting hundreds of Records leaves FalkorDB's index
        # garbage collector work, a fork of the whole server (60-110 ms at 1M rows) that
        # would land among the next run's timed attaches.
        _remove_arrivals(store)
        out.update(steady)
        out.update({f"after_run_{k}": v for k, v in just_after.items()})
        out.update({"first_attach_ms": round(first_ms, 1), "cleanup_wait_s": round(waited_s),
                    "cleanup_server_cpu_s": round(cleanup_cpu_s, 1)})  # fmt: skip
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, action="append")
    parser.add_argument(
        "--attach-samples",
        type=int,
        default=300,
        help="arriving records timed, twice: right after the full run and after the clean-up",
    )
    parser.add_argument("--seed", type=int, default=7, help="demo data seed (c360 demo: 7)")
    parser.add_argument(
        "--attach-only",
        action="store_true",
        help="keep the resolution an earlier run left in the cached graph; time attaches only",
    )
    args = parser.parse_args()
    results = {
        f"demo_{p}": {"c360": run(p, args.attach_samples, args.attach_only, args.seed)}
        for p in args.people or [100_000]
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()

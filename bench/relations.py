"""Relationship mapping at scale: the derivations, influence, community and betweenness.

    nice -n 10 .venv/bin/python bench/relations.py [--people 100000] [--samples 64]

Generates the demo data set for `people` people (cached in bench/out/relations-demo-<people>),
ingests and resolves it into an embedded FalkorDB under bench/out/relations-home-<people>
(cached too: it takes minutes), then runs `RelationshipMapper` twice: the first run writes
every edge, the second finds them all in place (what a scheduled re-run costs). Prints
each run's steps (seconds), the edges per kind, the customers scored, the peak RSS of this
process and of the graph server, and the load average; ends with one JSON line.
The issue's target: influence + community (+ betweenness) within 2 minutes on the 1M-record
demo graph (266,667 people).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from c360.settings import Settings
from c360.wiring import open_graph
from graph.store import GraphStore
from ingest.demo_data import generate, ingest_demo
from ingest.quarantine import Quarantine
from resolvers.identity import IdentityResolver
from resolvers.relations import RelationsConfig, RelationshipMapper, RelationsReport

OUT = Path(__file__).resolve().parent / "out"
SCORE_STEPS = ("influence and community", "betweenness", "write scores")


def build(store: GraphStore, data: Path, settings: Settings) -> dict[str, float]:
    """Ingest and resolve the data set unless the cached graph already holds it."""
    if store.run_cypher("MATCH (c:Customer) RETURN count(c) AS n")[0]["n"]:
        return {}
    store.clear()
    store.ensure_schema()
    took: dict[str, float] = {}
    steps: list[tuple[str, Callable[[], object]]] = [
        ("ingest", lambda: ingest_demo(data, store, Quarantine(settings.quarantine_dir))),
        ("resolve", lambda: IdentityResolver(store).resolve_full()),
    ]
    for name, work in steps:
        t0 = time.perf_counter()
        work()
        took[name] = round(time.perf_counter() - t0, 1)
        print(f"  {name}: {took[name]:,.0f} s", flush=True)
    return took


def server_peak_mb(home: Path) -> float | None:
    """The graph server's peak resident memory (VmHWM), from its pid file."""
    try:
        pid = json.loads((home / "falkordb" / "server.json").read_text())["pid"]
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, KeyError, ValueError):
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def show(name: str, report: RelationsReport) -> None:
    scores = sum(report.steps.get(s, 0.0) for s in SCORE_STEPS)
    print(f"{name}: {report.seconds:,.1f} s in all, scores {scores:,.1f} s", flush=True)
    for step, seconds in report.steps.items():
        print(f"    {step:<24} {seconds:>8,.1f} s")
    print("    edges " + ", ".join(f"{k} {v:,}" for k, v in report.edges.items()))
    print(f"    created {sum(report.created.values()):,}, removed "
          f"{sum(report.removed.values()):,}; {report.scored:,} customers scored, "
          f"{report.communities:,} communities; large events {report.large_events:,}, "
          f"hubs {report.hubs}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=RelationsConfig().betweenness_samples)
    args = parser.parse_args()
    data = OUT / f"relations-demo-{args.people}"
    if not (data / "manifest.json").exists():
        print(f"generating demo data for {args.people:,} people -> {data}", flush=True)
        generate(data, args.people)
    home = OUT / f"relations-home-{args.people}"
    settings = Settings(home=home, graph_uri=None, graph_name="bench", query_timeout_ms=0)
    config = RelationsConfig(betweenness_samples=args.samples)
    figures: dict[str, Any] = {"people": args.people, "samples": args.samples}
    with open_graph(settings) as store:
        figures["build"] = build(store, data, settings)
        customers = store.run_cypher("MATCH (c:Customer {status: 'active'}) RETURN count(c) AS n")
        figures["active_customers"] = customers[0]["n"]
        for run in ("first", "again"):
            report = RelationshipMapper(store, config).run()
            show(f"{run} run ({figures['active_customers']:,} active customers)", report)
            figures[run] = {"seconds": report.seconds, "steps": report.steps,
                            "edges": report.edges, "scored": report.scored}  # fmt: skip
        figures["server_peak_mb"] = server_peak_mb(home)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(f"peak RSS: this process {figures['peak_rss_mb']:,} MB, graph server "
          f"{figures['server_peak_mb']} MB; load average {figures['load_average']}")  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""Ingest benchmark: source records per second, parse to graph, and peak memory.

    .venv/bin/python bench/ingest.py                 # 100k and 1M source records
    .venv/bin/python bench/ingest.py --records 100000

For each size it generates the demo data set (cached under bench/out/), starts a fresh
embedded FalkorDB in a temporary home, ingests every file of the data set the way
`c360 demo` does, and samples the resident memory of the ingest process (with its
worker processes) and of the graph server. The last line is one JSON object of figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from c360.settings import Settings
from c360.wiring import open_graph
from ingest.demo_data import generate
from ingest.pipeline import ingest_file
from ingest.quarantine import Quarantine

OUT = Path(__file__).resolve().parent / "out"
ROWS_PER_PERSON = 3.75  # all files of the demo data set, activities included (measured)


class MemorySampler(threading.Thread):
    """Peak RSS of this process + its ingest workers, and of the graph server, every 0.2 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.me = psutil.Process()
        self.peak_ingest = 0
        self.peak_server = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            ingest = self.me.memory_info().rss
            server = 0
            for child in self.me.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                    if "redis" in child.name():
                        server = rss
                    else:
                        ingest += rss
                except psutil.Error:
                    continue
            self.peak_ingest = max(self.peak_ingest, ingest)
            self.peak_server = max(self.peak_server, server)
            self.stop_event.wait(0.2)


def run(records: int) -> dict[str, float]:
    people = max(10, round(records / ROWS_PER_PERSON))
    data = OUT / f"demo-{people}"
    if not (data / "manifest.json").exists():
        print(f"generating demo data for {people:,} people -> {data}", flush=True)
        generate(data, people)
    manifest = json.loads((data / "manifest.json").read_text())
    with tempfile.TemporaryDirectory(prefix="c360-bench-") as home:
        settings = Settings(home=Path(home), graph_uri=None)
        sampler = MemorySampler()
        with open_graph(settings) as store:
            sampler.start()
            started = time.perf_counter()
            rows = landed = quarantined = 0
            quarantine = Quarantine(settings.quarantine_dir)
            for entry in manifest["files"]:
                t0 = time.perf_counter()
                summary = ingest_file(data / entry["file"], entry["profile"], store, quarantine,
                                      batch_size=settings.batch_size)  # fmt: skip
                rows += summary.rows
                landed += summary.new + summary.updated + summary.unchanged
                quarantined += summary.quarantined
                print(f"  {entry['file']:<24} {summary.rows:>9,} rows  "
                      f"{summary.rows / (time.perf_counter() - t0):>8,.0f} rows/s  "
                      f"quarantined {summary.quarantined:,}", flush=True)  # fmt: skip
            seconds = time.perf_counter() - started
            counts = {r["kind"]: r["count"] for r in store.run("views/graph_stats")}
            sampler.stop_event.set()
            sampler.join()
    figures = {
        "source_records": rows,
        "landed": landed,
        "quarantined": quarantined,
        "seconds": round(seconds, 1),
        "records_per_s": round(rows / seconds),
        "peak_rss_ingest_mb": round(sampler.peak_ingest / 2**20),
        "peak_rss_graph_server_mb": round(sampler.peak_server / 2**20),
        "graph_nodes": sum(v for k, v in counts.items() if k[0].isupper() and not k.isupper()),
        "graph_edges": sum(v for k, v in counts.items() if k.isupper()),
    }
    print(f"{rows:,} source records in {seconds:,.1f} s = {figures['records_per_s']:,} records/s; "
          f"peak RSS ingest {figures['peak_rss_ingest_mb']:,} MB, graph server "
          f"{figures['peak_rss_graph_server_mb']:,} MB", flush=True)  # fmt: skip
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, action="append",
                        help="source records to ingest (repeatable); default 100k and 1M")  # fmt: skip
    args = parser.parse_args()
    results = {}
    for records in args.records or [100_000, 1_000_000]:
        print(f"== ingest bench: ~{records:,} source records", flush=True)
        results[str(records)] = run(records)
    print(json.dumps({"bench": "ingest", "results": results}))


if __name__ == "__main__":
    main()

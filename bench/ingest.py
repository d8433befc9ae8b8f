"""Ingest benchmark: source records per second, parse to graph, and peak memory.

    .venv/bin/python bench/ingest.py                 # 100k and 1M source records
    .venv/bin/python bench/ingest.py --records 100000

For each size it generates the demo data set (cached under bench/out/), starts a fresh
embedded FalkorDB in a temporary home, ingests every file of the data set the way
`c360 demo` does, and samples the resident memory of the ingest process (with its
worker processes) and of the graph server. The last line is one JSON object of figures.

Records per second depend on what else the machine runs; CPU time per record (user +
system, of this process, of its parse workers and of the graph server) does not, so it
is reported too. Peak memory of the ingest is given as the sum of RSS over the process
and its workers (forked workers share pages with it, which that sum counts once per
process) and as the sum of PSS (shared pages split between the processes sharing them).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
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
    """Peak RSS (and PSS) of this process + its ingest workers, and peak RSS of the graph
    server, every 0.2 s."""

    def __init__(self, server: psutil.Process) -> None:
        super().__init__(daemon=True)
        self.me = psutil.Process()
        self.server = server
        self.peak_ingest = 0
        self.peak_ingest_pss = 0
        self.peak_server = 0
        self.file_peak_ingest = 0  # since the last `file_peak()`
        self.stop_event = threading.Event()

    def file_peak(self) -> int:
        """Peak RSS of the ingest since the last call; starts a new period."""
        peak, self.file_peak_ingest = self.file_peak_ingest, 0
        return peak

    def run(self) -> None:
        while not self.stop_event.is_set():
            ingest = ingest_pss = 0
            # The server's own children (its AOF-rewrite and save forks, as large as the
            # server) are the server's, not ours.
            try:
                theirs = {self.server.pid, *(p.pid for p in self.server.children(recursive=True))}
            except psutil.Error:
                theirs = {self.server.pid}
            for proc in [self.me, *self.me.children(recursive=True)]:
                if proc.pid in theirs:
                    continue
                # A fork born after `theirs` was listed (a 1M-row run once read 6.0 GB for 3.3).
                with contextlib.suppress(psutil.Error):
                    if proc.ppid() in theirs:
                        continue
                try:
                    memory = proc.memory_full_info()
                except psutil.Error:
                    continue
                ingest += memory.rss
                ingest_pss += memory.pss
            with contextlib.suppress(psutil.Error):
                self.peak_server = max(self.peak_server, self.server.memory_info().rss)
            self.peak_ingest = max(self.peak_ingest, ingest)
            self.file_peak_ingest = max(self.file_peak_ingest, ingest)
            self.peak_ingest_pss = max(self.peak_ingest_pss, ingest_pss)
            self.stop_event.wait(0.2)


class PeakRss:
    """Peak RSS of this process and of the graph server between `start()` and `peaks()`,
    from the kernel's own high-water mark (VmHWM, reset through /proc/PID/clear_refs).

    Exact and free, where `MemorySampler` polls: at 1M rows its polls (psutil walking
    /proc and the server's 3 GB smaps every 0.2 s) cost ~80 s of CPU on 2 cores, which
    the timed run paid for. Only for a run without worker processes of its own; the
    server's forks (saves) are not counted, being other processes."""

    def __init__(self, server: psutil.Process) -> None:
        self.pids = (os.getpid(), server.pid)

    def start(self) -> None:
        for pid in self.pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # 5: reset the high-water mark

    def peaks(self) -> tuple[int, int]:
        """(this process, the server) in bytes."""
        return _high_water_mark(self.pids[0]), _high_water_mark(self.pids[1])


def _high_water_mark(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # kB
    raise RuntimeError(f"/proc/{pid}/status has no VmHWM line")


class CpuClock:
    """CPU seconds (user + system) used so far by this process, by its reaped children
    (the parse workers: each file's pool is joined when the file is done), by the graph
    server (with its children) and by the server's children alone (AOF rewrites)."""

    def __init__(self, server: psutil.Process) -> None:
        self.server = server

    def read(self) -> tuple[float, float, float, float]:
        me = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        server = self.server.cpu_times()
        rewrites = server.children_user + server.children_system
        return (
            me.ru_utime + me.ru_stime,
            children.ru_utime + children.ru_stime,
            server.user + server.system + rewrites,
            rewrites,
        )


def graph_server() -> psutil.Process:
    """The embedded FalkorDB server this process started."""
    for child in psutil.Process().children(recursive=True):
        if "redis" in child.name():
            return child
    raise RuntimeError("no embedded graph server among this process's children")


def per_record_us(cpu: tuple[float, ...], rows: int) -> str:
    parent, workers, server, rewrites = (round(c / max(rows, 1) * 1e6) for c in cpu)
    return (f"CPU µs/record {parent + workers + server} (parent {parent}, workers {workers}, "
            f"server {server} of which AOF rewrite {rewrites})")  # fmt: skip


def run(records: int) -> dict[str, float]:
    people = max(10, round(records / ROWS_PER_PERSON))
    data = OUT / f"demo-{people}"
    if not (data / "manifest.json").exists():
        print(f"generating demo data for {people:,} people -> {data}", flush=True)
        generate(data, people)
    manifest = json.loads((data / "manifest.json").read_text())
    with tempfile.TemporaryDirectory(prefix="c360-bench-") as home:
        settings = Settings(home=Path(home), graph_uri=None)
        with open_graph(settings) as store:
            server = graph_server()
            sampler, clock = MemorySampler(server), CpuClock(server)
            sampler.start()
            started, cpu_started = time.perf_counter(), clock.read()
            rows = landed = quarantined = 0
            quarantine = Quarantine(settings.quarantine_dir)
            for entry in manifest["files"]:
                t0, cpu0 = time.perf_counter(), clock.read()
                summary = ingest_file(data / entry["file"], entry["profile"], store, quarantine,
                                      batch_size=settings.batch_size)  # fmt: skip
                cpu = tuple(b - a for a, b in zip(cpu0, clock.read(), strict=True))
                rows += summary.rows
                landed += summary.new + summary.updated + summary.unchanged
                quarantined += summary.quarantined
                print(f"  {entry['file']:<24} {summary.rows:>9,} rows  "
                      f"{summary.rows / (time.perf_counter() - t0):>8,.0f} rows/s  "
                      f"{per_record_us(cpu, summary.rows)}  "
                      f"peak RSS ingest {sampler.file_peak() / 2**20:,.0f} MB  "
                      f"quarantined {summary.quarantined:,}", flush=True)  # fmt: skip
            seconds = time.perf_counter() - started
            cpu = tuple(b - a for a, b in zip(cpu_started, clock.read(), strict=True))
            counts = {r["kind"]: r["count"] for r in store.run("views/graph_stats")}
            sampler.stop_event.set()
            sampler.join()
    figures = {
        "source_records": rows,
        "landed": landed,
        "quarantined": quarantined,
        "seconds": round(seconds, 1),
        "records_per_s": round(rows / seconds),
        "cpu_us_per_record": round(sum(cpu[:3]) / rows * 1e6),
        "cpu_us_per_record_parent": round(cpu[0] / rows * 1e6),
        "cpu_us_per_record_workers": round(cpu[1] / rows * 1e6),
        "cpu_us_per_record_graph_server": round(cpu[2] / rows * 1e6),
        "cpu_us_per_record_graph_server_aof_rewrite": round(cpu[3] / rows * 1e6),
        "peak_rss_ingest_mb": round(sampler.peak_ingest / 2**20),
        "peak_pss_ingest_mb": round(sampler.peak_ingest_pss / 2**20),
        "peak_rss_graph_server_mb": round(sampler.peak_server / 2**20),
        "graph_nodes": sum(v for k, v in counts.items() if k[0].isupper() and not k.isupper()),
        "graph_edges": sum(v for k, v in counts.items() if k.isupper()),
    }
    print(f"{rows:,} source records in {seconds:,.1f} s = {figures['records_per_s']:,} records/s; "
          f"{per_record_us(cpu, rows)}; peak RSS ingest {figures['peak_rss_ingest_mb']:,} MB "
          f"(PSS {figures['peak_pss_ingest_mb']:,} MB), graph server "
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

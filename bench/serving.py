"""A `c360 serve` process for a benchmark: started on a free port, ready, stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from c360.processes import stop_process

C360 = str(Path(sys.executable).parent / "c360")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_api(env: dict[str, str], ready_within_s: float = 900) -> Iterator[str]:
    """Serve the API of `env`'s home on a free port; yields its base URL once /readyz says
    so (the graph server of a 1M-record home takes minutes to load its dump), and stops
    the server (TERM, then KILL) on the way out."""
    port = free_port()
    env = {**env, "C360_API_PORT": str(port)}
    # Its log goes to a file, not a pipe: a pipe nobody reads blocks the server once full
    # (it logs a JSON line per audited read).
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115
    server = subprocess.Popen([C360, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_within_s
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                stop_process(server, 30)
                log.seek(0)
                raise SystemExit(
                    f"the API did not start within {ready_within_s:.0f} s:\n{log.read()[-5000:]}"
                )
            time.sleep(0.5)
        yield base
    finally:
        stop_process(server, 30)
        log.close()


def api_processes(base: str) -> list[psutil.Process]:
    """The `c360 serve` process serving `base` and its worker processes."""
    port = base.rsplit(":", 1)[1]
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if len(cmdline) >= 2 and cmdline[-2].endswith("c360") and cmdline[-1] == "serve":
            try:
                if process.environ().get("C360_API_PORT") == port:
                    return [process, *process.children(recursive=True)]
            except psutil.Error:
                continue
    raise LookupError(f"no `c360 serve` process serving {base}")


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User and system CPU the processes have used so far (gone ones count nothing)."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total

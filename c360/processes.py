"""Child processes the project starts (servers, workers): one way to stop them."""

from __future__ import annotations

import signal
import subprocess
from typing import Any


def stop_process(
    process: subprocess.Popen[Any], timeout_s: float = 30.0, sig: int = signal.SIGTERM
) -> None:
    """Ask a child to stop (SIGTERM unless told), wait up to `timeout_s`, then kill it; it
    is reaped either way, so no zombie outlives the caller."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)

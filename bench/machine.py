"""How fast this machine is today, in three numbers a bench prints beside its figures.

The same code on the same data has run 2x slower on one day than on another here, and
not evenly: a pure Python loop can be fast while the graph server, which allocates and
answers over loopback, is slow. So a figure is comparable across days only with these:

    loop_10m_s      a 10M-iteration Python loop (the interpreter's speed)
    page_fault_us   touching a fresh 4 KiB page (what allocating memory costs the kernel)
    ping_us         a PING round trip to the graph server (loopback and wake-up cost)
"""

from __future__ import annotations

import mmap
import time

import redis

_PAGE = 4096


def loop_10m_s() -> float:
    started = time.perf_counter()
    for _ in range(10_000_000):
        pass
    return time.perf_counter() - started


def page_fault_us(megabytes: int = 256) -> float:
    size = megabytes * 2**20
    area = mmap.mmap(-1, size)
    try:
        started = time.perf_counter()
        for offset in range(0, size, _PAGE):
            area[offset] = 1
        return (time.perf_counter() - started) / (size // _PAGE) * 1e6
    finally:
        area.close()


def ping_us(port: int, rounds: int = 5_000) -> float:
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        client.ping()
        started = time.perf_counter()
        for _ in range(rounds):
            client.ping()
        return (time.perf_counter() - started) / rounds * 1e6
    finally:
        client.close()


def server_forks(port: int) -> tuple[int, float]:
    """How many times the graph server has forked, and how long its latest fork held it
    (ms). FalkorDB's index garbage collector forks the whole server once an index has
    collected enough deleted or updated entries; every query waits out the fork, which
    takes longer the more memory the server holds, so forks explain a latency tail."""
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        stats = client.info("stats")
        return int(stats["total_forks"]), int(stats["latest_fork_usec"]) / 1000
    finally:
        client.close()


def speed(port: int) -> dict[str, float]:
    """The three figures, measured now (about 2 s), against the graph server on `port`."""
    return {
        "loop_10m_s": round(loop_10m_s(), 2),
        "page_fault_us": round(page_fault_us(), 2),
        "ping_us": round(ping_us(port), 1),
    }

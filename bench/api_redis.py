"""The Redis work every GraphQL request costs the API: one rate-limit hit and one PII-read
audit entry, as the API sends them (auto-pipelined, `api.autopipeline`) and one by one
through redis-py (how it sent them before), against a real embedded FalkorDB server.

    python bench/api_redis.py [--requests 20000] [--callers 16] [--rounds 3]

Prints, per way and round, the CPU each request cost this process and the server, and
the wall time per request, alternating the two ways; ends with one JSON line (the best
round of each way).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psutil
import redis
import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from api.audit import AuditLog  # noqa: E402
from api.auth import Principal, Role  # noqa: E402
from api.autopipeline import AutoPipeline  # noqa: E402
from api.limits import _TOKEN_BUCKET, RateLimiter  # noqa: E402
from graph.embedded import EmbeddedFalkorDB  # noqa: E402

REP = Principal(sub="rep-1", roles=frozenset({Role.REP}), territory=("Kingston",))
STREAM = "bench:audit"


Way = tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[Any]]]  # a request; drain


def one_by_one(client: aioredis.Redis) -> Way:
    """The code before: the script through redis-py, the XADD in a task of its own."""
    script = client.register_script(_TOKEN_BUCKET)
    tasks: set[asyncio.Future[Any]] = set()

    async def request() -> None:
        await script(keys=["bench:rl:rep-1"], args=[100_000_000, 100_000_000 / 60_000, 1, ""])
        fields: dict[Any, Any] = {"at": time.time_ns() // 1_000_000, "sub": REP.sub, "roles": "rep",
                  "action": "pii.read", "target": "C1", "fields": "email,phone,dob,address",
                  "detail": json.dumps({"customers": 1})}  # fmt: skip
        task = asyncio.ensure_future(
            client.xadd(STREAM, fields, maxlen=1_000_000, approximate=True)
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def drain() -> None:
        await asyncio.gather(*tasks)

    return request, drain


def pipelined(client: aioredis.Redis) -> Way:
    """What the API does now."""
    limiter = RateLimiter(client, per_minute=100_000_000, prefix="bench:rl")
    audit = AuditLog(client, stream=STREAM)

    async def request() -> None:
        await limiter.hit(REP.sub)
        audit.record_soon(REP, "pii.read", "C1", ["email", "phone", "dob", "address"],
                          detail={"customers": 1})  # fmt: skip

    async def drain() -> None:
        await AutoPipeline.of(client).send("PING")  # queued after every entry

    return request, drain


async def measure(port: int, server: psutil.Process, way: str, requests: int,
                  callers: int) -> dict[str, float]:  # fmt: skip
    client = aioredis.Redis(port=port)
    try:
        request, drain = (pipelined if way == "pipelined" else one_by_one)(client)
        for _ in range(200):  # warm: scripts loaded, connections open
            await request()

        async def caller(n: int) -> None:
            for _ in range(n):
                await request()
                await asyncio.sleep(0)  # as a request's other awaits would

        cpu, server_cpu, wall = (
            time.process_time(),
            sum(server.cpu_times()[:2]),
            time.perf_counter(),
        )
        await asyncio.gather(*(caller(requests // callers) for _ in range(callers)))
        await drain()  # the last audit entries are stored too
        done = requests // callers * callers
        return {
            "client_us": round((time.process_time() - cpu) / done * 1e6, 1),
            "server_us": round((sum(server.cpu_times()[:2]) - server_cpu) / done * 1e6, 1),
            "wall_us": round((time.perf_counter() - wall) / done * 1e6, 1),
        }
    finally:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--callers", type=int, default=16, help="concurrent requests")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the audit's log line is not what is measured here

    best: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as home:
        embedded = EmbeddedFalkorDB(Path(home))
        info = embedded.start()
        try:
            with redis.Redis(port=info.port) as sync:
                server = psutil.Process(int(sync.info("server")["process_id"]))
            for round_ in range(1, args.rounds + 1):
                for way in ("pipelined", "one_by_one"):
                    figures = asyncio.run(
                        measure(info.port, server, way, args.requests, args.callers)
                    )
                    print(f"round {round_} {way}: this process {figures['client_us']} us, "
                          f"server {figures['server_us']} us, wall {figures['wall_us']} us "
                          "a request", flush=True)  # fmt: skip
                    if way not in best or figures["client_us"] < best[way]["client_us"]:
                        best[way] = figures
        finally:
            embedded.stop()
    print(json.dumps({"api_redis": {"callers": args.callers, **best}}))


if __name__ == "__main__":
    main()

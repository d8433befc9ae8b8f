"""API benchmark: real HTTP and WebSocket load from this process against `c360 serve`
running in another, over loopback, on a resolved demo graph.

    python bench/api.py [--home DIR] [--people N] [--clients 32] [--seconds 20]
                        [--curve 1,4,8,16] [--subscribers 200] [--events 400] [--workers N]

Without a graph in --home it first runs `c360 demo --no-serve --people N` there. Prints
the 360 view's p50/p99 and requests/s at --clients concurrent clients (each client's
connection opened by an untimed request before the clock starts) with the CPU each
side spent per view (API processes, graph server, this load generator), its p50/p99 and
requests/s at each of the --curve client counts, search p50/p99, and subscription
delivery latency (event published -> client receives) with --subscribers connected; ends
with one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import redis
import websockets

ROOT = Path(__file__).resolve().parent.parent
# This file is bench/api.py: keep it from shadowing the `api` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.serving import C360, api_processes, cpu_seconds, running_api  # noqa: E402
from c360.settings import Settings  # noqa: E402

VIEW = """query View($id: ID!) { customer(id: $id) {
  id name email phone parish owner completeness recordCount sources
  records { key source sourceId confidence emails phones }
  interactions(first: 10) { total items { key type occurredAt outcome } }
  transactions(first: 10) { total items { key amount currency date } }
  alerts { id status } employers { id name } relationships { type other { id } }
} }"""
PAGE = "query P($after: String) { customers(first: 20, after: $after) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }"
COUNT = "{ customers(first: 1) { totalCount } }"
SEARCH = "query S($t: String!) { search(text: $t, first: 10) { score customer { id name } } }"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else 0.0


def c360(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([C360, *args], env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


async def load(url: str, token: str, query: str, variables: list[dict[str, Any]], clients: int,
               seconds: float) -> tuple[list[float], int, float]:  # fmt: skip
    """`clients` concurrent keep-alive connections, each sending the next request as soon
    as the last one is answered (aiohttp: a lighter client than httpx, so the load
    generator takes less of the two cores from the server)."""
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=clients)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

        async def send() -> tuple[int, bytes]:
            body = json.dumps({"query": query, "variables": random.choice(variables)})
            async with http.post(url, data=body) as response:
                return response.status, await response.read()

        async def client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                started = time.perf_counter()
                status, payload = await send()
                latencies.append((time.perf_counter() - started) * 1000)
                if status != 200 or b'"errors"' in payload:
                    errors += 1

        # Every client's connection is opened by an untimed request before the clock
        # starts: the figures are the steady state's, not those of `clients` TCP handshakes
        # and resolver calls at once (a third of the 99th percentile's requests were the
        # first half second's).
        await asyncio.gather(*(send() for _ in range(clients)))
        started = time.perf_counter()
        stop = started + seconds
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


async def subscriptions(ws_url: str, token: str, redis_port: int, ids: list[str],
                        events: int) -> tuple[list[float], int]:  # fmt: skip
    """Each subscriber watches one customer; events are published to Redis directly (as
    a CDC worker would) with the publish time in them; latency = receive - publish."""
    from api.events import publish_sync

    latencies: list[float] = []
    received = 0
    ready = asyncio.Event()
    connected = 0

    async def subscriber(customer_id: str) -> None:
        nonlocal received, connected
        async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": f"Bearer {token}"}}))  # fmt: skip
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": "subscription($id: ID!) { customerChanged(id: $id) { eventId data } }",
                "variables": {"id": customer_id}}}))  # fmt: skip
            connected += 1
            if connected == len(ids):
                ready.set()
            while True:
                message = json.loads(await ws.recv())
                if message["type"] != "next":
                    continue
                data = message["payload"]["data"]["customerChanged"]["data"]
                latencies.append(time.time() * 1000 - data["sent_ms"])
                received += 1

    tasks = [asyncio.create_task(subscriber(i)) for i in ids]
    await asyncio.wait_for(ready.wait(), 120)
    await asyncio.sleep(1.0)  # every subscription registered server-side
    client = redis.Redis(port=redis_port)
    for n in range(events):
        customer_id = ids[n % len(ids)]
        publish_sync(client, "customer.changed", customer_id,
                     {"customer_id": customer_id, "change": "bench", "sent_ms": time.time() * 1000})  # fmt: skip
        await asyncio.sleep(0.01)  # 100 events/s, spread over the subscribers
    await asyncio.sleep(2.0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return latencies, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=ROOT / "bench" / "out" / "api-home")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="API processes (default: the service's, C360_API_WORKERS)",
    )
    parser.add_argument(
        "--graph", default="c360", help="graph name (bench/er_demo.py's is 'bench')"
    )
    parser.add_argument(
        "--curve", default="1,4,8,16",
        help="other client counts to run the 360 view at, comma-separated: where p99 stays "
        "within a target as load grows (empty: none)",
    )  # fmt: skip
    parser.add_argument(
        "--settle", type=float, default=0.0,
        help="seconds to wait once the API is ready (a graph server fresh from loading a "
        "1M-row home is still busy for a while: a forked child took most of a core ~10 s)",
    )  # fmt: skip
    args = parser.parse_args()

    env = {**os.environ, "C360_HOME": str(args.home), "C360_RATE_PER_MINUTE": "100000000",
           "C360_GRAPH_NAME": args.graph}  # fmt: skip
    if not (args.home / "falkordb").exists():
        print(
            f"building a resolved demo graph of {args.people:,} people in {args.home}", flush=True
        )
        subprocess.run(
            [C360, "demo", "--no-serve", "--people", str(args.people)], env=env, check=True
        )
    if args.workers is not None:
        env["C360_API_WORKERS"] = str(args.workers)
    workers = args.workers or Settings().api_workers
    with running_api(env) as base:
        time.sleep(args.settle)
        token = c360(
            env, "token", "--role", "admin", "--sub", "bench", "--scope", "pii", "--ttl", "7200"
        )
        state = json.loads((args.home / "falkordb" / "server.json").read_text())
        graph = redis.Redis(port=state["port"])
        from falkordb import FalkorDB

        g = FalkorDB(port=state["port"]).select_graph(args.graph)
        rows = g.ro_query(
            "MATCH (c:Customer {status: 'active'}) RETURN c.id, c.name LIMIT 20000"
        ).result_set
        customers = [r[0] for r in rows]
        names = [r[1] for r in rows if r[1]]
        del graph
        print(
            f"{len(customers):,} customers to ask for; {args.clients} clients for {args.seconds:.0f} s",
            flush=True,
        )
        url = base + "/graphql"
        asyncio.run(load(url, token, VIEW, [{"id": c} for c in customers[:50]], 4, 2))  # warm up
        # CPU per view of each side, read around the run: where a view's cost goes.
        graph_server = psutil.Process(state["pid"])  # the API's child when it started it
        sides = {"api": [p for p in api_processes(base) if p.pid != graph_server.pid],
                 "graph_server": [graph_server], "load_generator": [psutil.Process()]}  # fmt: skip
        cpu_before = {side: cpu_seconds(processes) for side, processes in sides.items()}
        by_id = [{"id": c} for c in customers]
        view, view_errors, elapsed = asyncio.run(
            load(url, token, VIEW, by_id, args.clients, args.seconds)
        )
        cpu_ms = {f"{side}_cpu_ms": round((cpu_seconds(processes) - cpu_before[side]) * 1000
                                         / max(1, len(view)), 3)
                  for side, processes in sides.items()}  # fmt: skip
        figures: dict[str, Any] = {
            "view_360": {"p50_ms": pct(view, 0.5), "p99_ms": pct(view, 0.99),
                         "rps": round(len(view) / elapsed, 1), "requests": len(view),
                         "errors": view_errors, "clients": args.clients, **cpu_ms},
        }  # fmt: skip
        print(f"360 view: p50 {figures['view_360']['p50_ms']} ms, p99 {figures['view_360']['p99_ms']} ms, "
              f"{figures['view_360']['rps']} requests/s, {view_errors} errors; CPU per view: API "
              f"{cpu_ms['api_cpu_ms']} ms, graph server {cpu_ms['graph_server_cpu_ms']} ms, load "
              f"generator {cpu_ms['load_generator_cpu_ms']} ms", flush=True)  # fmt: skip
        curve = [int(n) for n in args.curve.split(",") if n.strip()]
        figures["view_360_curve"] = {}
        for clients in curve:
            took, errors, spent = asyncio.run(
                load(url, token, VIEW, by_id, clients, args.seconds / 2)
            )
            point = {"p50_ms": pct(took, 0.5), "p99_ms": pct(took, 0.99),
                     "rps": round(len(took) / spent, 1), "errors": errors}  # fmt: skip
            figures["view_360_curve"][str(clients)] = point
            print(f"360 view at {clients} clients: p50 {point['p50_ms']} ms, p99 {point['p99_ms']} "
                  f"ms, {point['rps']} requests/s, {errors} errors", flush=True)  # fmt: skip
        terms = [
            {"t": n.split()[0] + " " + n.split()[-1][:-1]} for n in names if len(n.split()) > 1
        ]
        search, search_errors, s_elapsed = asyncio.run(
            load(url, token, SEARCH, terms, 8, args.seconds / 2)
        )
        figures["search"] = {"p50_ms": pct(search, 0.5), "p99_ms": pct(search, 0.99),
                             "rps": round(len(search) / s_elapsed, 1), "errors": search_errors,
                             "clients": 8}  # fmt: skip
        print(
            f"search (one typo): p50 {figures['search']['p50_ms']} ms, p99 {figures['search']['p99_ms']} ms",
            flush=True,
        )
        # Pages: the first, and pages deep into the id order (cursor = the id before them).
        import base64

        nodes = sorted(r[0] for r in g.ro_query("MATCH (c:Customer) RETURN id(c)").result_set)
        cursors = {"first": None, "middle": nodes[len(nodes) // 2], "deep": nodes[-100]}
        for name, node in cursors.items():
            after = base64.urlsafe_b64encode(f"c:{node}".encode()).decode() if node else None
            took, _, _ = asyncio.run(load(url, token, PAGE, [{"after": after}], 1, 3))
            figures[f"page_{name}"] = {"p50_ms": pct(took, 0.5), "p99_ms": pct(took, 0.99)}
        took, _, _ = asyncio.run(load(url, token, COUNT, [{}], 1, 3))
        figures["total_count"] = {"p50_ms": pct(took, 0.5), "p99_ms": pct(took, 0.99)}
        print("pages (20 customers): " + ", ".join(
            f"{n} p50 {figures['page_' + n]['p50_ms']} ms" for n in cursors
        ) + f"; totalCount p50 {figures['total_count']['p50_ms']} ms (cached 5 s)", flush=True)  # fmt: skip
        ws_url = base.replace("http", "ws") + "/graphql"
        subs, received = asyncio.run(
            subscriptions(ws_url, token, state["port"], customers[: args.subscribers], args.events)
        )
        figures["subscriptions"] = {"p50_ms": pct(subs, 0.5), "p99_ms": pct(subs, 0.99),
                                    "subscribers": args.subscribers, "events": args.events,
                                    "received": received}  # fmt: skip
        print(f"subscription delivery with {args.subscribers} subscribers: p50 "
              f"{figures['subscriptions']['p50_ms']} ms, p99 {figures['subscriptions']['p99_ms']} ms, "
              f"{received}/{args.events} received", flush=True)  # fmt: skip
        figures["customers"] = len(customers)
        figures["workers"] = workers
        print(json.dumps({"api": figures}))


if __name__ == "__main__":
    main()

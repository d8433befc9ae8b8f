"""Web app benchmark: page weight and time to interactive of the 360 view.

    python bench/web.py [--home DIR] [--people N] [--runs 15]

Builds the app if needed (`make web`). First-load weight: the bytes of what index.html
loads before the first screen (the page, its entry script, its CSS and the chunks they
import statically), gzip as the API sends them, read from web/dist. Then, without a graph
in --home, `c360 demo --no-serve --people N` builds a resolved demo graph there; `c360
serve` serves it and web/e2e/bench.mjs loads /customers/<id> in headless Chromium, cold
(empty HTTP cache) and warm (assets cached), timing navigation start -> the whole 360 view
rendered with its data. The search screen's filters are timed over the API as the app
sends them: a stage or segment page of 20, first and 10 pages deep (keyset), its
totalCount (uncached), and a filtered full-text search. Ends with one JSON line of the
figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import C360, running_api  # noqa: E402

WEB = ROOT / "web"
IDS = "{ customers(first: 100) { edges { node { id recordCount } } } }"
PAGE = """query($f: CustomerFilterInput, $after: String) { customers(first: 20, filter: $f,
  after: $after) { edges { node { id name stage segment } } pageInfo { endCursor } } }"""
COUNT = "query($f: CustomerFilterInput) { customers(first: 1, filter: $f) { totalCount } }"
SEARCH = """query($t: String!, $f: CustomerFilterInput) { search(text: $t, first: 50,
  filter: $f) { customer { id stage } } }"""
FILTERS = [{"stage": s} for s in ("LEAD", "NEW", "ACTIVE", "AT_RISK", "LAPSED")] + [
    {"segment": "PERSON_HIGH"},
    {"segment": "BUSINESS_MID"},
    {"kind": "PERSON", "stage": "AT_RISK"},
]


def timed(base: str, token: str, query: str, **variables: Any) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    answer = httpx.post(
        base + "/graphql", json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"}, timeout=120,
    ).json()  # fmt: skip
    if answer.get("errors"):
        raise SystemExit(f"the API refused a bench query: {answer['errors']}")
    return (time.perf_counter() - started) * 1000, answer["data"]


def median_ms(runs: int, base: str, token: str, query: str, **variables: Any) -> float:
    return statistics.median(timed(base, token, query, **variables)[0] for _ in range(runs))


def filter_figures(base: str, token: str, runs: int = 5) -> list[dict[str, Any]]:
    """Per filter: its first page and its 11th page reached by cursor (median of `runs`),
    and its totalCount (the first call: uncached)."""
    out = []
    for where in FILTERS:
        count_ms, data = timed(base, token, COUNT, f=where)
        first_ms = median_ms(runs, base, token, PAGE, f=where)
        after: str | None = None
        for _ in range(10):
            after = timed(base, token, PAGE, f=where, after=after)[1]["customers"]["pageInfo"][
                "endCursor"
            ]
            if after is None:
                break
        deep_ms = median_ms(runs, base, token, PAGE, f=where, after=after) if after else None
        out.append({"filter": where, "first_page_ms": round(first_ms, 1),
                    "page_11_ms": round(deep_ms, 1) if deep_ms is not None else None,
                    "count_ms": round(count_ms, 1), "count": data["customers"]["totalCount"]})  # fmt: skip
        print(f"  {json.dumps(where)}: first page {first_ms:.0f} ms, page 11 "
              f"{'-' if deep_ms is None else f'{deep_ms:.0f} ms'}, totalCount "
              f"{out[-1]['count']:,} in {count_ms:.0f} ms", flush=True)  # fmt: skip
    return out


def first_load(dist: Path) -> dict[str, Any]:
    """What the first page costs: index.html, its stylesheets, its entry module and the
    modules it preloads (static imports); lazily loaded chunks (the map) are not counted."""
    html = (dist / "index.html").read_text()
    wanted = re.findall(r'(?:src|href)="/(assets/[^"]+\.(?:js|css))"', html)
    files = [dist / "index.html", *(dist / w for w in wanted)]
    raw = sum(f.stat().st_size for f in files)
    zipped = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
    lazy = [
        f
        for f in (dist / "assets").iterdir()
        if f.suffix == ".js" and f.relative_to(dist).as_posix() not in wanted
    ]
    return {
        "files": [f.relative_to(dist).as_posix() for f in files],
        "bytes": raw,
        "gzip_bytes": zipped,
        "lazy_chunks_gzip_bytes": sum(len(gzip.compress(f.read_bytes(), 9)) for f in lazy),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    home: Path = args.home or ROOT / "bench" / "out" / f"web-home-{args.people}"

    subprocess.run(["make", "-s", "web"], cwd=ROOT, check=True)
    weight = first_load(WEB / "dist")
    print(
        f"first load: {weight['gzip_bytes']:,} bytes gzip ({weight['bytes']:,} raw) in "
        f"{len(weight['files'])} files; lazy chunks (relationship map) "
        f"{weight['lazy_chunks_gzip_bytes']:,} bytes gzip",
        flush=True,
    )

    env = {**os.environ, "C360_HOME": str(home), "C360_RATE_PER_MINUTE": "100000000"}
    if not (home / "falkordb").exists():
        print(f"building a resolved demo graph of {args.people:,} people in {home}", flush=True)
        started = time.monotonic()
        subprocess.run(
            [C360, "demo", "--no-serve", "--people", str(args.people)],
            env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"  built in {time.monotonic() - started:.0f} s", flush=True)
    with running_api(env) as base:
        token = subprocess.run(
            [C360, "token", "--role", "manager", "--sub", "bench", "--scope", "pii",
             "--ttl", "3600"],
            env=env, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        answer = httpx.post(
            base + "/graphql", json={"query": IDS},
            headers={"Authorization": f"Bearer {token}"}, timeout=30,
        ).json()  # fmt: skip
        nodes = [e["node"] for e in answer["data"]["customers"]["edges"]]
        customers = [n["id"] for n in nodes if n["recordCount"] > 1] or [n["id"] for n in nodes]
        random.Random(7).shuffle(customers)
        count = httpx.post(
            base + "/graphql", json={"query": "{ customers(first: 1) { totalCount } }"},
            headers={"Authorization": f"Bearer {token}"}, timeout=60,
        ).json()["data"]["customers"]["totalCount"]  # fmt: skip
        print("filters (pages: median of 5; totalCount: its first, uncached call):", flush=True)
        plain_ms = median_ms(5, base, token, PAGE)
        print(f"  no filter: first page {plain_ms:.0f} ms", flush=True)
        filtered = filter_figures(base, token)
        named = timed(base, token, "query($id: ID!) { customer(id: $id) { familyName name } }",
                      id=customers[0])[1]["customer"]  # fmt: skip
        text = named["familyName"] or named["name"]
        searches = [median_ms(5, base, token, SEARCH, t=text, f=where) for where in FILTERS]
        print(f"  search {text!r} with each filter: p50 {sorted(searches)[len(searches) // 2]:.0f}"
              f" ms, max {max(searches):.0f} ms", flush=True)  # fmt: skip
        config = {"url": base, "token": token, "ids": customers, "runs": args.runs}
        run = subprocess.run(
            ["node", "e2e/bench.mjs"], cwd=WEB, env={**env, "C360_BENCH": json.dumps(config)},
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if run.returncode != 0:
            raise SystemExit(f"the browser run failed:\n{run.stdout}\n{run.stderr}")
        browser = json.loads(run.stdout.strip().splitlines()[-1])
    cold, warm = browser["cold"], browser["warm"]
    # 266,667 demo people are the 1M demo graph: about 1M source rows.
    print(f"graph: {args.people:,} demo people, {count:,} active customers", flush=True)
    print(
        f"360 view, cold (empty cache, deep link): p50 {cold['p50_ms']} ms, p95 {cold['p95_ms']} "
        f"ms over {cold['loads']} loads (the 360 query's round trip: p50 {cold['api_p50_ms']} ms; "
        f"main thread busy p50 {cold['main_thread_p50_ms']} ms, of it script "
        f"{cold['script_p50_ms']} ms); "
        f"{cold['asset_bytes_transferred']:,} asset bytes and "
        f"{cold['api_bytes_transferred']:,} API bytes over the wire",
        flush=True,
    )
    print(
        f"360 view, warm (assets cached): p50 {warm['p50_ms']} ms, p95 {warm['p95_ms']} ms "
        f"(main thread busy p50 {warm['main_thread_p50_ms']} ms); "
        f"{warm['asset_bytes_transferred']:,} asset bytes over the wire",
        flush=True,
    )
    figures = {
        "people": args.people,
        "active_customers": count,
        "first_load": weight,
        "view_360_cold": cold,
        "view_360_warm": warm,
        "page_no_filter_ms": round(plain_ms, 1),
        "filters": filtered,
        "filtered_search_ms": [round(ms, 1) for ms in searches],
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

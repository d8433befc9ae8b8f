"""The reps' web app (web/): its vitest unit tests, then the whole app in headless Chromium
against a real `c360 serve` on resolved demo data.

The browser run (web/e2e/run.mjs, playwright-core over Debian's /usr/bin/chromium) signs
in, searches and opens a customer, receives an alert pushed while the page is open, logs
an interaction, checks masking and a rep's reach, the phone-width layout, and a steward's
accepted review pair; this module then checks in the graph that what the page showed
happened. Screenshots land in web/test-artifacts/.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import mint_token
from c360.processes import stop_process
from c360.settings import REPO_ROOT
from graph.catalogue import Catalogue
from graph.embedded import ServerInfo
from graph.falkordb_store import FalkorDBStore
from ingest.demo_data import ingest_demo
from ingest.quarantine import Quarantine
from resolvers.identity import IdentityResolver
from resolvers.relations import RelationshipMapper

pytestmark = pytest.mark.falkordb

WEB = REPO_ROOT / "web"
ARTEFACTS = WEB / "test-artifacts"
SECRET = "web-test-secret-" + "x" * 40
ALERT_SUBJECT = "e2e-alert"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(command: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    """Run a command; on failure the assertion shows its own words."""
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{output[-4000:]}"
    return output


@pytest.fixture(scope="module")
def built_app() -> Path:
    """web/dist, built by `make web` (npm ci, schema export, codegen, tsc, vite) when stale."""
    _run(["make", "-s", "web"], REPO_ROOT, timeout=900)
    assert (WEB / "dist" / "index.html").is_file()
    return WEB / "dist"


class Served:
    def __init__(self, url: str, store: FalkorDBStore, log_path: Path) -> None:
        self.url = url
        self.store = store
        self.log_path = log_path

    def gql(self, token: str, query: str, **variables: Any) -> dict[str, Any]:
        answer = httpx.post(
            self.url + "/graphql", json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"}, timeout=30,
        )  # fmt: skip
        body: dict[str, Any] = answer.json()
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture(scope="module")
def served(
    built_app: Path,
    falkordb_server: ServerInfo,
    catalogue: Catalogue,
    demo_folder: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    """`c360 serve` as its own process, on the resolved 300-people demo graph."""
    graph = f"t_web_{uuid.uuid4().hex[:8]}"
    store = FalkorDBStore(catalogue, port=falkordb_server.port, graph_name=graph)
    store.ensure_schema()
    home = tmp_path_factory.mktemp("web-home")
    ingest_demo(demo_folder, store, Quarantine(home / "quarantine"))
    IdentityResolver(store).resolve_full()
    RelationshipMapper(store).run()
    port = _free_port()
    env = {
        **os.environ,
        "C360_HOME": str(home),
        "C360_GRAPH_URI": f"redis://127.0.0.1:{falkordb_server.port}",
        "C360_GRAPH_NAME": graph,
        "C360_JWT_SECRET": SECRET,
        "C360_RATE_PER_MINUTE": "100000",
        "C360_LOG_LEVEL": "INFO",
    }
    log = (home / "serve.log").open("w")
    server = subprocess.Popen(
        # Two worker processes, as the default gives on two cores (one per core).
        [str(Path(sys.executable).with_name("c360")), "serve", "--port", str(port), "--workers", "2"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (home / "serve.log").read_text()[-3000:]
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "c360 serve did not become ready in 60 s"
            time.sleep(0.2)
        yield Served(url, store, home / "serve.log")
    finally:
        stop_process(server, 15)
        log.close()
        store.clear()
        store.close()


def test_vitest_unit_tests_pass(built_app: Path) -> None:
    output = _run(["npx", "vitest", "run", "--reporter=dot"], WEB, timeout=300)
    assert " passed" in output and " failed" not in output, output[-2000:]


def test_the_app_is_served_at_root_without_shadowing_the_api(served: Served) -> None:
    index = httpx.get(served.url + "/")
    assert index.status_code == 200 and '<div id="root">' in index.text
    deep = httpx.get(served.url + "/customers/C123")  # a client-side route
    assert deep.status_code == 200 and deep.text == index.text
    asset = next((WEB / "dist" / "assets").glob("index-*.js"))
    zipped = httpx.get(f"{served.url}/assets/{asset.name}", headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "immutable" in zipped.headers["cache-control"]
    assert httpx.get(served.url + "/healthz").json() == {"status": "ok"}
    assert (
        "graphiql"
        in httpx.get(served.url + "/graphql", headers={"Accept": "text/html"}).text.lower()
    )
    assert httpx.get(served.url + "/openapi.json").json()["info"]["title"] == "c360"
    missing = httpx.get(served.url + "/metrics/nothing")
    assert (
        missing.status_code == 404
        and missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    )
    escape = httpx.get(served.url + "/assets/..%2F..%2Fpackage.json")
    assert "devDependencies" not in escape.text


def _served_count(metrics: str, route: str) -> float:
    line = f'c360_http_requests_total{{route="{route}",status="200"}} '
    return sum(float(x[len(line) :]) for x in metrics.splitlines() if x.startswith(line))


def test_metrics_count_the_requests_of_every_worker_process(served: Served) -> None:
    """Each request on a connection of its own goes to either worker process; /metrics,
    whichever process answers it, counts them all."""

    def scrapes() -> list[float]:
        return [
            _served_count(httpx.get(served.url + "/metrics").text, "/healthz") for _ in range(12)
        ]

    before = scrapes()
    for _ in range(40):
        assert httpx.get(served.url + "/healthz").status_code == 200
    after = scrapes()
    assert len(set(before)) == 1, before
    assert after == [before[0] + 40] * len(after), (before, after)


def test_every_worker_process_logs_json_lines(served: Served) -> None:
    """A service logs one JSON object per line, its worker processes too: they start in
    fresh interpreters, where nothing had set logging up."""
    lines = served.log_path.read_text().splitlines()
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    started = [e for e in logged if e["logger"] == "c360.api" and "api.started" in e["msg"]]
    assert len(started) == 2, lines[:40]  # --workers 2
    assert not any(e["logger"].startswith("alembic") for e in logged)


def _rep_and_customers(
    store: FalkorDBStore,
) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The rep with the most accounts, one of theirs with a findable name and PII, another
    of theirs, and someone else's customer."""
    owners = store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) WHERE c.owner IS NOT NULL "
        "RETURN c.owner AS owner, count(*) AS n ORDER BY n DESC, owner LIMIT 1"
    )
    assert owners, "the demo graph has no customer with an owner"
    rep = owners[0]["owner"]
    own = store.run_cypher(
        "MATCH (c:Customer {status: 'active', owner: $rep, kind: 'person'}) "
        "WHERE c.email IS NOT NULL AND c.phone IS NOT NULL AND c.given_name IS NOT NULL "
        "AND c.family_name IS NOT NULL RETURN c {.*} AS c ORDER BY c.id",
        {"rep": rep},
    )
    foreign = store.run_cypher(
        "MATCH (c:Customer {status: 'active', kind: 'person'}) WHERE c.owner <> $rep "
        "AND c.name IS NOT NULL RETURN c {.*} AS c ORDER BY c.id",
        {"rep": rep},
    )
    # Names shared with nobody else, so a search hit is unambiguous.
    names = [r["c"]["name"] for r in store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) RETURN c {.name} AS c")]  # fmt: skip
    unique = [c["c"] for c in own if names.count(c["c"]["name"]) == 1]
    others = [c["c"] for c in foreign if names.count(c["c"]["name"]) == 1]
    assert unique, f"every person of {rep}'s with email and phone shares a name"
    assert len(unique) > 1, f"{rep} has fewer than two people with email, phone and own name"
    assert others, f"every person outside {rep}'s accounts shares a name"
    return rep, unique[0], unique[1], others[0]


# Top factors as the score job writes them: this customer's value, and how far it moves
# the prediction from a typical customer's (+ raises it, - lowers it).
CHURN_FACTORS = ["days_since_activity=412 (+0.213)", "interactions_last_year=0 (+0.050)",
                 "household=1 (-0.031)"]  # fmt: skip


def _scores_and_predictions(
    store: FalkorDBStore, own: dict[str, Any], mate: dict[str, Any], foreign: dict[str, Any]
) -> None:
    """What `c360 scores score` and `c360 links predict` write, for the customer the
    browser opens (the 300-people graph is too small to train either model)."""
    store.run("scores/write", {"rows": [{
        "id": own["id"], "churn_risk": 0.62, "churn_factors": CHURN_FACTORS,
        "lead_score": None, "lead_factors": None, "lifetime_value": 80_000.0,
        "value_factors": ["spend_last_year=90000 (+30000)"], "model": "scores-e2e",
        "at": int(time.time() * 1000), "basis": "model"}]})  # fmt: skip
    features = {"common_neighbours": 1, "adamic_adar": 0.7, "resource_allocation": 0.2,
                "jaccard": 0.1, "preferential_attachment": 6, "distance": 2, "paths3": 0}  # fmt: skip
    store.run("links/merge_predictions", {"rows": [
        {"a": own["id"], "b": mate["id"], "kind": "ANY", "probability": 0.83,
         "model": "links-e2e", "via": [], "at": 1, **features},
        {"a": foreign["id"], "b": own["id"], "kind": "ANY", "probability": 0.41,
         "model": "links-e2e", "via": [], "at": 1, **features},
    ]})  # fmt: skip


def test_the_app_end_to_end_in_headless_chromium(served: Served) -> None:
    store = served.store
    rep, own, mate, foreign = _rep_and_customers(store)
    _scores_and_predictions(store, own, mate, foreign)
    tokens = {
        "rep": mint_token(SECRET, sub=rep, roles=["rep"], ttl_s=900),
        "manager": mint_token(SECRET, sub="e2e-manager", roles=["manager"], ttl_s=900),
        "steward": mint_token(SECRET, sub="e2e-steward", roles=["steward"], ttl_s=900),
    }
    served.gql(
        tokens["manager"],
        "mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }",
        input={"name": "e2e office call", "eventKind": "interaction.recorded", "field": "subject",
               "op": "contains", "value": ALERT_SUBJECT, "rep": rep},
    )  # fmt: skip
    queue_before = len(store.run("resolve/review_queue", {"skip": 0, "limit": 5, "window": 5}))
    assert queue_before > 0, "the demo graph has nothing in the review queue"
    where = served.gql(
        tokens["manager"], "query($id: ID!) { customer(id: $id) { stage segment } }", id=own["id"]
    )["customer"]
    # A typo in the family name (a long enough one for a fuzzy term): search forgives it.
    family = own["family_name"]
    typo = family[:-1] + ("a" if family[-1] != "a" else "e") if len(family) >= 5 else family
    query = f"{own['given_name']} {typo}"
    config = {
        "url": served.url,
        "artefacts": str(ARTEFACTS),
        "tokens": tokens,
        "own": {"id": own["id"], "name": own["name"], "query": query,
                "secrets": [own["email"], own["phone"]], "stage": where["stage"],
                "segment": where["segment"], "factor": "Days since activity", "owner": rep,
                "mate": {"id": mate["id"], "name": mate["name"]}},
        "foreign": {"id": foreign["id"], "name": foreign["name"]},
        "alertSubject": ALERT_SUBJECT,
    }  # fmt: skip
    env = {**os.environ, "C360_E2E": json.dumps(config)}
    output = _run(["node", "e2e/run.mjs"], WEB, timeout=240, env=env)
    seen = json.loads(output.strip().splitlines()[-1])
    assert seen["steps"] == ["done"]
    assert seen["masked"] > 0
    assert ALERT_SUBJECT in seen["alert"]
    assert where["segment"] == "PERSON_HIGH" and seen["filtered"]["segment"] == "PERSON_HIGH"
    assert "412" in seen["factors"]
    owned = store.run_cypher(
        "MATCH (c:Customer {status: 'active', owner: $rep}) RETURN count(c) AS n", {"rep": rep}
    )[0]["n"]
    assert 0 < seen["ownerListed"] <= owned

    # What the page showed happened in the graph.
    alerts = store.run_cypher(
        "MATCH (a:Alert {rep: $rep})-[:ABOUT]->(:Customer {id: $id}) RETURN a.message AS m",
        {"rep": rep, "id": own["id"]},
    )
    assert alerts, "no alert was raised for the rep"
    logged = store.run_cypher(
        "MATCH (:Customer {id: $id})<-[:RESOLVES_TO]-(:Record)-[:HAS_INTERACTION]->(i:Interaction) "
        "WHERE i.subject = $subject RETURN i.type AS type, i.rep AS rep",
        {"id": own["id"], "subject": seen["logged"]},
    )
    assert logged == [{"type": "visit", "rep": rep}]
    a, b = seen["accepted"]
    names = store.run_cypher(
        "MATCH (r:Record) WHERE r.key IN [$a, $b] RETURN r.key AS key, r.name AS name",
        {"a": a, "b": b},
    )
    by_key = {r["key"]: r["name"] or "(no name)" for r in names}
    assert seen["pairNames"] == [by_key[a], by_key[b]], "the review pair's names"
    holders = store.run_cypher(
        "MATCH (r:Record)-[:RESOLVES_TO]->(c:Customer) WHERE r.key IN [$a, $b] "
        "RETURN collect(DISTINCT c.id) AS ids",
        {"a": a, "b": b},
    )[0]["ids"]
    assert holders == [seen["mergedInto"]], f"{a} and {b} resolve to {holders}"
    shots = sorted(p.name for p in ARTEFACTS.glob("*.png"))
    assert {"02-360-rep-masked.png", "03-live-alert.png", "06-phone-360.png"} <= set(shots)

"""The API over real HTTP and WebSocket, with a real GraphQL client (gql), against a real
embedded FalkorDB (graph and Redis) holding resolved demo data.

One server per module (uvicorn in a thread, the app built exactly as `c360 serve` builds
it); tests that change data pick customers no other test uses.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
import redis
import uvicorn
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport
from gql.transport.websockets import WebsocketsTransport
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.app import create_app
from api.auth import mint_token
from api.schema import Context
from api.service import AT_RISK, HIGH_VALUE, LAPSED_DAYS, MID_VALUE, NEW_DAYS
from api.webhooks import verify_signature
from c360.settings import Settings
from graph.catalogue import Catalogue
from graph.embedded import ServerInfo
from graph.falkordb_store import FalkorDBStore
from ingest.demo_data import generate
from ingest.quarantine import Quarantine
from resolvers.relations import RelationshipMapper
from tests.conftest import own_graph, resolve_demo, stale_activity_dates

pytestmark = pytest.mark.falkordb

SECRET = "test-secret-" + "x" * 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    def __init__(self, url: str, store: FalkorDBStore, settings: Settings) -> None:
        self.url = url
        self.store = store
        self.settings = settings

    def token(
        self,
        *roles: str,
        sub: str = "tester",
        pii: bool = False,
        territory: tuple[str, ...] = (),
        ttl: int = 600,
    ) -> str:
        return mint_token(SECRET, sub=sub, roles=roles, scopes=("pii",) if pii else (),
                          territory=territory, ttl_s=ttl)  # fmt: skip

    def client(self, token: str | None) -> Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return Client(
            transport=HTTPXTransport(url=self.url + "/graphql", headers=headers, timeout=30)
        )

    def query(self, token: str | None, text: str, **variables: Any) -> dict[str, Any]:
        with self.client(token) as session:
            request = gql(text)
            request.variable_values = variables
            result: dict[str, Any] = session.execute(request)
            return result

    def error(self, token: str | None, text: str, **variables: Any) -> dict[str, Any]:
        """The first GraphQL error of a query that must fail."""
        request = gql(text)
        request.variable_values = variables
        with pytest.raises(TransportQueryError) as caught, self.client(token) as session:
            session.execute(request)
        assert caught.value.errors
        error: dict[str, Any] = caught.value.errors[0]
        return error

    def post(self, path: str, token: str | None, body: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(self.url + path, json=body, headers=headers, timeout=30)


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app under uvicorn on a free port, in a thread of this process; its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def api(
    falkordb_server: ServerInfo, catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    home = tmp_path_factory.mktemp("api-home")
    with own_graph(falkordb_server, catalogue, "t_api") as store:
        folder = tmp_path_factory.mktemp("api-demo")
        generate(folder, 150)
        resolve_demo(folder, store, Quarantine(home / "quarantine"))
        RelationshipMapper(store).run()
        settings = Settings(home=home, jwt_secret=SECRET, rate_per_minute=100_000,
                            max_page_size=50)  # fmt: skip
        app = create_app(settings, store, f"redis://127.0.0.1:{falkordb_server.port}/0")
        with served(app) as url:
            yield Api(url, store, settings)


def _customers(api: Api, where: str = "") -> list[dict[str, Any]]:
    return api.store.run_cypher(
        f"MATCH (c:Customer {{status: 'active'}}) {where} RETURN c {{.*}} AS c ORDER BY c.id"
    )


def _person_with(api: Api, *fields: str, skip: int = 0) -> dict[str, Any]:
    rows = [r["c"] for r in _customers(api, "WHERE c.kind = 'person' AND c.record_count > 1")]
    chosen = [c for c in rows if all(c.get(f) for f in fields)]
    assert len(chosen) > skip, f"the demo data has no person with {fields}"
    return chosen[skip]


VIEW = """
query View($id: ID!) {
  customer(id: $id) {
    id requestedId kind status name email phone dob address parish owner emails phones
    completeness recordCount sources
    fields { name value sources records }
    records { key source sourceId confidence rule emails phones handles addresses { key parish } }
    interactions(first: 5) { total items { key type occurredAt rep outcome } }
    transactions(first: 5) { total items { key amount currency date } }
    decisions(first: 5) { id action actor reason }
    alerts { id status }
    employers { id name } staff { id name }
    relationships { type direction other { id } }
    referralsIn { id } referralsOut { id }
    scores { influence churnRisk }
  }
}
"""


# -- REST ---------------------------------------------------------------------------------------
def test_health_readiness_and_metrics(api: Api) -> None:
    assert httpx.get(api.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(api.url + "/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"graph": "ok", "cache": "ok"}
    api.query(api.token("analyst"), "{ customers(first: 1) { edges { cursor } } }")
    metrics = httpx.get(api.url + "/metrics").text
    assert 'c360_http_requests_total{route="/graphql",status="200"}' in metrics
    assert "c360_http_request_seconds_bucket" in metrics


@pytest.mark.parametrize(
    ("workers", "one_in", "closed"),
    [(2, 1, True), (2, 0, False), (1, 1, False)],
    ids=["two-workers-close-each", "never", "one-worker"],
)
def test_kept_alive_connections_are_closed_to_rebalance_workers(
    api: Api, falkordb_server: ServerInfo, workers: int, one_in: int, closed: bool
) -> None:
    """With several workers a connection is closed now and then (1 in `one_in`
    responses), so its client reconnects to whichever worker accepts first."""
    settings = api.settings.model_copy(
        update={"api_workers": workers, "api_keepalive_requests": one_in}
    )
    app = create_app(settings, api.store, f"redis://127.0.0.1:{falkordb_server.port}/0")
    with (
        served(app) as url,
        socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as conn,
    ):
        conn.settimeout(10)
        for _ in range(2 if not closed else 1):  # a kept connection answers a second time
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: c360\r\n\r\n")
            head = _read_response(conn)
            assert head.startswith(b"HTTP/1.1 200")
            assert (b"connection: close" in head.lower()) is closed
        if closed:
            assert conn.recv(1) == b""  # the server hung up


def _read_response(conn: socket.socket) -> bytes:
    """One HTTP response off a socket: its head, the body read past by its length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        assert chunk, f"the connection closed before a whole response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))  # fmt: skip
    while len(body) < length:
        body += conn.recv(4096)
    return head


def test_graphiql_is_served(api: Api) -> None:
    page = httpx.get(api.url + "/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


# -- the 360 view ------------------------------------------------------------------------------
def test_each_records_identifiers_in_the_view_are_the_ones_the_graph_holds(api: Api) -> None:
    """The view reads a record's identifiers in one traversal, each tagged with its
    kind: every kind's list is exactly that record's identifiers of the kind."""
    kinds = {"emails": ("HAS_EMAIL", "e.value"), "phones": ("HAS_PHONE", "e.e164"),
             "addresses": ("LOCATED_AT", "e.key"), "handles": ("HAS_HANDLE", "e.key"),
             "websites": ("HAS_WEBSITE", "e.domain")}  # fmt: skip
    customers: list[str] = []
    for rel, _ in kinds.values():  # customers with each kind of identifier
        customers += [r["id"] for r in api.store.run_cypher(
            f"MATCH (c:Customer {{status: 'active'}})<-[:RESOLVES_TO]-(:Record)-[:{rel}]->() "
            "RETURN DISTINCT c.id AS id LIMIT 3"
        )]  # fmt: skip
    assert len(set(customers)) >= 5, "the demo data has every kind of identifier"
    query = """query($id: ID!) { customer(id: $id) { records {
      key emails phones handles websites addresses { key } } } }"""
    token = api.token("manager", pii=True)
    seen = set()
    for customer_id in sorted(set(customers)):
        records = api.query(token, query, id=customer_id)["customer"]["records"]
        for kind, (rel, value) in kinds.items():
            held = {r["key"]: sorted(r["values"]) for r in api.store.run_cypher(
                f"MATCH (:Customer {{id: $id}})<-[:RESOLVES_TO]-(r:Record)-[:{rel}]->(e) "
                f"RETURN r.key AS key, collect({value}) AS values", {"id": customer_id}
            )}  # fmt: skip
            for record in records:
                shown = record[kind]
                shown = sorted(a["key"] for a in shown) if kind == "addresses" else sorted(shown)
                assert shown == held.get(record["key"], []), (customer_id, record["key"], kind)
                seen |= {kind} if shown else set()
    assert seen == set(kinds), "every kind was compared with some found"


def test_the_360_view_with_pii_for_a_manager_with_the_pii_scope(api: Api) -> None:
    person = _person_with(api, "email", "phone")
    view = api.query(api.token("manager", pii=True), VIEW, id=person["id"])["customer"]
    assert view["id"] == person["id"] and view["requestedId"] == person["id"]
    assert view["email"] == person["email"] and view["phone"] == person["phone"]
    assert view["recordCount"] == len(view["records"]) == person["record_count"]
    assert {r["source"] for r in view["records"]} == set(person["sources"])
    assert all(r["confidence"] is not None for r in view["records"])
    fields = {f["name"]: f for f in view["fields"]}
    assert fields["email"]["value"] == person["email"]
    assert fields["email"]["records"], "the source of the surviving email is shown"
    assert set(fields["email"]["sources"]) <= set(person["sources"])
    assert view["decisions"] and view["decisions"][0]["actor"]
    total = api.store.run_cypher(
        "MATCH (:Customer {id: $id})<-[:RESOLVES_TO]-(:Record)-[:HAS_INTERACTION]->(i) RETURN count(i) AS n",
        {"id": person["id"]},
    )[0]["n"]
    assert view["interactions"]["total"] == total
    assert len(view["interactions"]["items"]) == min(total, 5)


def test_personal_data_is_masked_without_the_pii_scope(api: Api) -> None:
    person = _person_with(api, "email", "phone")
    view = api.query(api.token("manager"), VIEW, id=person["id"])["customer"]
    assert view["email"] != person["email"] and "***" in view["email"]
    assert view["email"].split("@")[1] == person["email"].split("@")[1]
    assert "*" in view["phone"] and view["phone"] != person["phone"]
    assert all("*" in e for e in view["emails"])
    assert all("*" in p for r in view["records"] for p in r["phones"])
    assert view["parish"] == person.get("parish"), "a parish is not personal data"
    fields = {f["name"]: f["value"] for f in view["fields"]}
    assert "*" in fields["email"]


def test_pii_reads_are_audited(api: Api, falkordb_server: ServerInfo) -> None:
    person = _person_with(api, "email", skip=1)
    api.query(api.token("manager", sub="auditor-check", pii=True), VIEW, id=person["id"])
    client = redis.Redis(port=falkordb_server.port, decode_responses=True)
    deadline = time.monotonic() + 5
    while True:  # the audit entry is written once the response has gone out
        entries = client.xrevrange("c360:audit", count=50)
        found = [
            f
            for _, f in entries
            if f.get("sub") == "auditor-check" and person["id"] in f.get("target", "")
        ]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert found, "a PII read leaves an audit entry naming the reader and the customer"
    assert found[0]["action"] == "pii.read"


def test_a_merged_id_answers_with_the_survivor(api: Api) -> None:
    people = [r["c"] for r in _customers(api, "WHERE c.kind = 'person' AND c.record_count = 1")]
    first, second = people[-1], people[-2]
    steward = api.token("steward")
    result = api.query(
        steward,
        'mutation($a: ID!, $b: ID!) { mergeCustomers(first: $a, second: $b, reason: "same person, checked by phone") { summary } }',
        a=first["id"],
        b=second["id"],
    )["mergeCustomers"]["summary"]
    assert result["merged"] == 1
    survivor = min(first["id"], second["id"])  # ids are time-ordered: the older survives
    gone = max(first["id"], second["id"])
    for fields in ("", "records { key }"):  # read by id alone, or with the view's parts
        view = api.query(
            api.token("manager"),
            "query($id: ID!) { customer(id: $id) { id requestedId recordCount " + fields + " } }",
            id=gone,
        )
        assert view["customer"]["id"] == survivor and view["customer"]["requestedId"] == gone
        assert view["customer"]["recordCount"] == 2
    assert len(view["customer"]["records"]) == 2
    decisions = api.query(
        steward,
        "query($id: ID!) { decisions(customerId: $id) { action reason actor } }",
        id=survivor,
    )
    assert any(d["action"] == "merge" and d["actor"] == "tester" for d in decisions["decisions"])


def test_unknown_customer_is_not_found(api: Api) -> None:
    for fields in ("id", "id records { key } alerts { id }"):  # by id alone, or read ahead
        query = 'query { customer(id: "C-nope") { ' + fields + " } }"
        error = api.error(api.token("manager"), query)
        assert error["extensions"]["code"] == "NOT_FOUND"
        assert "C-nope" in error["message"]


# -- lists, search, paths ------------------------------------------------------------------
PAGE = """
query Page($first: Int!, $after: String, $filter: CustomerFilterInput) {
  customers(first: $first, after: $after, filter: $filter) {
    totalCount edges { cursor node { id kind parish owner } } pageInfo { hasNextPage endCursor }
  }
}
"""


def test_cursor_pagination_walks_every_customer_once(api: Api) -> None:
    token = api.token("analyst")
    seen: list[str] = []
    after = None
    while True:
        page = api.query(token, PAGE, first=7, after=after)["customers"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # Keyset order is the store's internal node id: stable, and cheap to seek at any depth.
    expected = [r["id"] for r in api.store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) RETURN c.id AS id ORDER BY id(c)"
    )]  # fmt: skip
    assert seen == expected
    assert page["totalCount"] == len(expected)


def test_filters_and_total_count(api: Api) -> None:
    token = api.token("analyst")
    parish = _person_with(api, "parish")["parish"]
    page = api.query(token, PAGE, first=50, filter={"kind": "PERSON", "parish": parish})[
        "customers"
    ]
    expected = _customers(
        api, "WHERE c.kind = 'person' AND c.parish = $parish".replace("$parish", json.dumps(parish))
    )
    assert page["totalCount"] == len(expected)
    assert all(
        e["node"]["kind"] == "person" and e["node"]["parish"] == parish for e in page["edges"]
    )


def test_search_is_typo_tolerant(api: Api) -> None:
    person = _person_with(api, "given_name", "family_name", "phone")
    family = person["family_name"]
    typo = family[:2] + family[3:] if len(family) > 4 else family  # one letter dropped
    token = api.token("analyst")
    query = "query($t: String!) { search(text: $t, first: 10) { score customer { id name } } }"
    hits = api.query(token, query, t=f"{person['given_name']} {typo}")["search"]
    assert person["id"] in [h["customer"]["id"] for h in hits]
    by_phone = api.query(token, query, t=person["phone"][-7:])["search"]
    assert person["id"] in [h["customer"]["id"] for h in by_phone]
    assert api.query(token, query, t="%%% \" ' OR 1=1")["search"] == []


def test_path_between_colleagues(api: Api) -> None:
    rows = api.store.run_cypher(
        "MATCH (a:Customer {status: 'active'})<-[:RESOLVES_TO]-(:Record)-[:WORKS_AT]->(:Record)"
        "<-[:WORKS_AT]-(:Record)-[:RESOLVES_TO]->(b:Customer {status: 'active'}) WHERE a.id < b.id "
        "RETURN a.id AS a, b.id AS b LIMIT 1"
    )
    assert rows, "the demo data has colleagues"
    path = api.query(
        api.token("analyst"),
        "query($a: ID!, $b: ID!) { path(from: $a, to: $b) { length steps { kind id via } } }",
        a=rows[0]["a"],
        b=rows[0]["b"],
    )["path"]
    assert path["steps"][0]["id"] == rows[0]["a"] and path["steps"][-1]["id"] == rows[0]["b"]
    assert path["length"] == len(path["steps"]) - 1 <= 8


def test_a_path_through_shared_identifiers_masks_them_without_the_pii_scope(api: Api) -> None:
    # Pairs sharing a phone or an address with no relationship edge between them; the
    # shortest path of one of them runs through the identifier node.
    rows = api.store.run_cypher(
        "MATCH (a:Customer {status: 'active'})<-[:RESOLVES_TO]-(:Record)-[:HAS_PHONE|LOCATED_AT]->(p)"
        "<-[:HAS_PHONE|LOCATED_AT]-(:Record)-[:RESOLVES_TO]->(b:Customer {status: 'active'}) "
        "WHERE a.id < b.id AND NOT (a)-[:KNOWS|HOUSEHOLD|COLLEAGUE|REFERRED]-(b) "
        "RETURN a.id AS a, b.id AS b, coalesce(p.e164, p.key) AS value LIMIT 50"
    )
    query = "query($a: ID!, $b: ID!) { path(from: $a, to: $b) { steps { kind id label } } }"
    for row in rows:
        plain = api.query(api.token("analyst"), query, a=row["a"], b=row["b"])["path"]
        shared = [s["id"] for s in plain["steps"] if s["kind"] in ("Phone", "Address")]
        if shared:
            break
    else:
        raise AssertionError("no path through a shared phone or address in the demo data")
    assert all("*" in value for value in shared)
    shown = api.query(api.token("analyst", pii=True), query, a=row["a"], b=row["b"])["path"]
    assert any(s["kind"] in ("Phone", "Address") and "*" not in s["id"] for s in shown["steps"])


# -- roles ---------------------------------------------------------------------------------------
def test_a_rep_sees_only_their_accounts_and_territory(api: Api) -> None:
    owned = _person_with(api, "owner")
    rep = api.token("rep", sub=owned["owner"])
    page = api.query(rep, PAGE, first=50)["customers"]
    assert page["edges"]
    assert all(e["node"]["owner"] == owned["owner"] for e in page["edges"])
    assert page["totalCount"] == len(
        _customers(api, f"WHERE c.owner = {json.dumps(owned['owner'])}")
    )
    stranger = next(
        c["c"]
        for c in _customers(api)
        if c["c"].get("owner") not in (owned["owner"],) and c["c"].get("parish")
    )
    for fields in ("id", "id records { key } interactions { total }"):  # alone, or read ahead
        error = api.error(
            rep, "query($id: ID!) { customer(id: $id) { " + fields + " } }", id=stranger["id"]
        )
        assert error["extensions"]["code"] == "FORBIDDEN"
    territory = api.token("rep", sub="nobody", territory=(stranger["parish"],))
    view = api.query(
        territory, "query($id: ID!) { customer(id: $id) { id parish } }", id=stranger["id"]
    )
    assert view["customer"]["parish"] == stranger["parish"]


def test_roles_are_refused_what_they_may_not_do(api: Api) -> None:
    person = _person_with(api, "email")
    rep = api.token("rep", sub=person.get("owner") or "x")
    assert api.error(rep, "{ reviewQueue { a } }")["extensions"]["code"] == "FORBIDDEN"
    analyst = api.token("analyst")
    merge = 'mutation { mergeCustomers(first: "a", second: "b", reason: "r") { summary } }'
    assert api.error(analyst, merge)["extensions"]["code"] == "FORBIDDEN"
    assert api.error(analyst, "{ webhooks { id } }")["extensions"]["code"] == "FORBIDDEN"
    integrator = api.token("integrator")
    assert api.error(integrator, "{ alertRules { id } }")["extensions"]["code"] == "FORBIDDEN"


def test_bad_missing_and_expired_tokens_get_401(api: Api) -> None:
    body = {"query": "{ customers(first: 1) { totalCount } }"}
    for token, code in (
        (None, "UNAUTHENTICATED"),
        ("not-a-jwt", "UNAUTHENTICATED"),
        (mint_token("another-secret-" + "y" * 40, sub="x", roles=["admin"]), "UNAUTHENTICATED"),
        (api.token("admin", ttl=-120), "TOKEN_EXPIRED"),
    ):
        response = api.post("/graphql", token, body)
        assert response.status_code == 401, token
        assert response.json()["errors"][0]["extensions"]["code"] == code
    # A GraphQL client sees the same error in the GraphQL shape.
    assert (
        api.error("garbage", "{ customers(first: 1) { totalCount } }")["extensions"]["code"]
        == "UNAUTHENTICATED"
    )


# -- protection ------------------------------------------------------------------------------
def test_depth_cost_page_size_and_malformed_queries_are_refused(api: Api) -> None:
    token = api.token("analyst")
    deep = "{ customers { edges { node { employers { id } records { addresses { key } } } } } }"
    assert api.query(token, deep)  # within limits
    too_big = "{ customers(first: 50) { edges { node { interactions(first: 50) { items { key } } " \
              "transactions(first: 50) { items { key } } } } } }"  # fmt: skip
    error = api.error(token, too_big)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    assert (
        api.error(token, "{ customers(first: 500) { totalCount } }")["extensions"]["code"]
        == "BAD_INPUT"
    )
    response = api.post(
        "/graphql", token, {"query": "{ customers(first: 1) { edges { node { id } } }"}
    )
    assert response.json()["errors"][0]["message"].startswith("Syntax Error")
    response = api.post("/graphql", token, {"query": "{ nothingHere }"})
    assert "nothingHere" in response.json()["errors"][0]["message"]
    again = api.post("/graphql", token, {"query": "{ nothingHere }"})  # validated by its text
    assert again.status_code == response.status_code and again.json() == response.json()
    text = "x" * 300
    assert (
        api.error(token, "query($t: String!) { search(text: $t) { score } }", t=text)["extensions"][
            "code"
        ]
        == "BAD_INPUT"
    )
    nested = "{ customers " + "{ edges " * 12 + "{ id }" + " }" * 13
    response = api.post("/graphql", token, {"query": nested})
    assert any("depth" in e["message"].lower() for e in response.json()["errors"])


def test_rate_limit_is_per_client(api: Api, falkordb_server: ServerInfo) -> None:
    settings = Settings(home=api.settings.home, jwt_secret=SECRET, rate_per_minute=3)
    app = create_app(
        settings, api.store, f"redis://127.0.0.1:{falkordb_server.port}/0", run_workers=False
    )
    sub = f"limited-{uuid.uuid4().hex[:6]}"
    token = mint_token(SECRET, sub=sub, roles=["analyst"])
    other = mint_token(SECRET, sub=sub + "-other", roles=["analyst"])

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            codes = []
            for t in (token,) * 5 + (other,):
                r = await client.post("/graphql", json={"query": "{ customers(first: 1) { totalCount } }"},
                                      headers={"Authorization": f"Bearer {t}"})  # fmt: skip
                codes.append(r.status_code)
                if r.status_code == 429:
                    assert r.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
                    assert int(r.headers["Retry-After"]) >= 1
            return codes

    codes = asyncio.run(run())
    assert codes[:3] == [200, 200, 200] and codes[3:5] == [429, 429]
    assert codes[5] == 200, "another client has its own allowance"


# -- analysts' Cypher ------------------------------------------------------------------------------
def test_cypher_is_read_only_capped_and_for_analysts(api: Api) -> None:
    analyst = api.token("analyst")
    ok = api.post("/cypher", analyst, {"query": "MATCH (c:Customer) RETURN c.id AS id LIMIT 3"})
    assert ok.status_code == 200 and len(ok.json()["rows"]) == 3
    before = api.store.run_cypher("MATCH (n) RETURN count(n) AS n")[0]["n"]
    for query in (
        "CREATE (:Evil {x: 1})",
        "MATCH (c:Customer) SET c.name = 'x'",
        "MATCH (c:Customer) DETACH DELETE c",
        "MATCH (c) WITH c LIMIT 1 MERGE (:Evil)",
        "CALL db.idx.fulltext.drop('Customer')",
        "match (c) remove c.name",
    ):
        refused = api.post("/cypher", analyst, {"query": query})
        assert refused.status_code == 400, query
        assert refused.json()["errors"][0]["extensions"]["code"] == "WRITE_REFUSED"
    assert api.post("/cypher", analyst, {"query": "RETURN 'CREATE (x)' AS text"}).status_code == 200
    assert api.store.run_cypher("MATCH (n) RETURN count(n) AS n")[0]["n"] == before
    capped = api.post("/cypher", analyst, {"query": "UNWIND range(1, 5000) AS i RETURN i"}).json()
    assert capped["truncated"] is True and len(capped["rows"]) == capped["row_cap"]
    assert api.post("/cypher", api.token("rep", sub="x"), {"query": "RETURN 1"}).status_code == 403
    assert api.post("/cypher", analyst, {"query": ""}).status_code == 422


# -- mutations -------------------------------------------------------------------------------
def test_record_interaction_is_idempotent_and_shows_in_the_view(api: Api) -> None:
    person = _person_with(api, "owner", skip=2)
    rep = api.token("rep", sub=person["owner"])
    mutation = """mutation($input: InteractionInput!) { recordInteraction(input: $input) { key type rep } }"""
    data = {"customerId": person["id"], "type": "call", "occurredAt": "2026-11-20T10:00:00",
            "subject": "Renewal", "outcome": "won", "idempotencyKey": f"k-{uuid.uuid4().hex}"}  # fmt: skip
    first = api.query(rep, mutation, input=data)["recordInteraction"]
    again = api.query(rep, mutation, input=data)["recordInteraction"]
    assert first == again and first["rep"] == person["owner"]
    # the customer's stored last activity moved with it (its stage reads it)
    day = api.store.run_cypher(
        "MATCH (c:Customer {id: $id}) RETURN c.last_active AS day", {"id": person["id"]}
    )
    assert day == [{"day": "2026-11-20"}] and stale_activity_dates(api.store) == []
    view = api.query(
        rep,
        "query($id: ID!) { customer(id: $id) { interactions(first: 50) { items { key } } } }",
        id=person["id"],
    )
    keys = [i["key"] for i in view["customer"]["interactions"]["items"]]
    assert keys.count(first["key"]) == 1
    too_long = {**data, "subject": "s" * 500, "idempotencyKey": None}
    assert api.error(rep, mutation, input=too_long)["extensions"]["code"] == "BAD_INPUT"


def test_review_queue_and_verdicts(api: Api) -> None:
    steward = api.token("steward")
    queue = api.query(steward, "{ reviewQueue(first: 5) { a b status score explanation } }")[
        "reviewQueue"
    ]
    assert queue, "the demo data leaves pairs for review"
    item = queue[0]
    assert item["explanation"]
    # Without the pii scope the compared personal values are masked; with it they are shown.
    explanations = "{ reviewQueue(first: 50) { explanation } }"
    masked = _compared(api.query(steward, explanations)["reviewQueue"])
    shown = _compared(api.query(api.token("steward", pii=True), explanations)["reviewQueue"])
    assert masked and all("*" in v for v in masked)
    assert len(shown) == len(masked) and not any("*" in v for v in shown)
    mutation = 'mutation($a: ID!, $b: ID!) { reviewDecision(a: $a, b: $b, verdict: REJECT, reason: "different people") { summary } }'
    summary = api.query(steward, mutation, a=item["a"], b=item["b"])["reviewDecision"]["summary"]
    assert summary["decisions"]
    left = api.query(steward, "{ reviewQueue(first: 50) { a b } }")["reviewQueue"]
    assert (item["a"], item["b"]) not in [(q["a"], q["b"]) for q in left]
    bad = api.error(
        steward,
        'mutation { reviewDecision(a: "crm:none", b: "crm:nada", verdict: ACCEPT, reason: "x") { summary } }',
    )
    assert bad["extensions"]["code"] in ("BAD_INPUT", "NOT_FOUND")


def _compared(queue: list[dict[str, Any]]) -> list[str]:
    """The phones and emails a review queue's explanations compare."""
    return [
        str(c[side])
        for item in queue
        for c in json.loads(item["explanation"])["contributions"]
        if c["comparison"] in ("phone", "email")
        for side in ("value_a", "value_b")
        if c[side] not in (None, "-")
    ]


def test_split_and_undo(api: Api) -> None:
    rows = _customers(api, "WHERE c.kind = 'person' AND c.record_count >= 2")
    customer = rows[len(rows) // 2]["c"]
    steward = api.token("steward")
    records = api.query(
        steward, "query($id: ID!) { customer(id: $id) { records { key } } }", id=customer["id"]
    )
    key = records["customer"]["records"][0]["key"]
    split = api.query(
        steward,
        'mutation($id: ID!, $k: [ID!]!) { splitCustomer(id: $id, recordKeys: $k, reason: "two people") { summary } }',
        id=customer["id"],
        k=[key],
    )["splitCustomer"]["summary"]
    assert split["decisions"] and len(split["changed_customers"]) == 2
    undo = api.query(
        steward,
        'mutation($d: ID!) { undoDecision(id: $d, reason: "my mistake") { summary } }',
        d=split["decisions"][0],
    )["undoDecision"]["summary"]
    assert undo["decisions"]
    view = api.query(
        steward, "query($id: ID!) { customer(id: $id) { recordCount } }", id=customer["id"]
    )
    assert view["customer"]["recordCount"] == customer["record_count"]


def test_alert_rules_alerts_and_the_alerts_query(api: Api) -> None:
    manager = api.token("manager", sub="manager-1")
    person = _person_with(api, "owner", skip=3)
    rule = api.query(
        manager,
        'mutation { createAlertRule(input: {name: "Lost deal", eventKind: "interaction.recorded", field: "outcome", op: "eq", value: "lost"}) { id enabled rep } }',
    )["createAlertRule"]
    assert rule["enabled"] and rule["rep"] is None
    bad = api.error(
        manager,
        'mutation { createAlertRule(input: {name: "x", eventKind: "interaction.recorded", field: "outcome", op: "bigger", value: 1}) { id } }',
    )
    assert bad["extensions"]["code"] == "BAD_INPUT" and "op" in bad["message"]
    rep = api.token("rep", sub=person["owner"])
    api.query(rep, "mutation($i: InteractionInput!) { recordInteraction(input: $i) { key } }",
              i={"customerId": person["id"], "type": "call", "occurredAt": "2026-11-21T09:00:00", "outcome": "lost"})  # fmt: skip
    alerts = api.query(
        rep, "{ alerts(status: OPEN) { items { id ruleId customerId rep message status } } }"
    )["alerts"]["items"]
    mine = [a for a in alerts if a["ruleId"] == rule["id"] and a["customerId"] == person["id"]]
    assert len(mine) == 1 and mine[0]["rep"] == person["owner"]
    acked = api.query(
        rep,
        "mutation($id: ID!) { setAlertStatus(id: $id, status: ACKNOWLEDGED) { status } }",
        id=mine[0]["id"],
    )
    assert acked["setAlertStatus"]["status"] == "acknowledged"
    other_rep = api.token("rep", sub="someone-else")
    error = api.error(
        other_rep,
        "mutation($id: ID!) { setAlertStatus(id: $id, status: CLOSED) { status } }",
        id=mine[0]["id"],
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    changed = api.query(
        manager,
        'mutation($id: ID!) { updateAlertRule(id: $id, patch: {name: "Lost a deal", rep: "closer-1"}) { name rep op } }',
        id=rule["id"],
    )["updateAlertRule"]
    assert changed == {"name": "Lost a deal", "rep": "closer-1", "op": "eq"}
    listed = api.query(manager, "{ alertRules { id name enabled } }")["alertRules"]
    assert {"id": rule["id"], "name": "Lost a deal", "enabled": True} in listed
    bad_patch = api.error(
        manager, 'mutation($id: ID!) { updateAlertRule(id: $id, patch: {op: "bigger"}) { id } }',
        id=rule["id"],
    )  # fmt: skip
    assert bad_patch["extensions"]["code"] == "BAD_INPUT"
    after = api.query(manager, "{ alertRules { id name enabled } }")["alertRules"]
    assert after == listed, "a refused change changes nothing"
    disabled = api.query(
        manager, "mutation($id: ID!) { disableAlertRule(id: $id) { enabled } }", id=rule["id"]
    )
    assert disabled["disableAlertRule"]["enabled"] is False


# -- subscriptions -------------------------------------------------------------------------
def _request(query: Any, **variables: Any) -> Any:
    request = gql(query) if isinstance(query, str) else query
    request.variable_values = variables
    return request


def _ws(api: Api, token: str) -> Client:
    transport = WebsocketsTransport(
        url=api.url.replace("http", "ws") + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"Authorization": f"Bearer {token}"},
    )
    return Client(transport=transport)


def test_customer_changed_subscription_delivers_and_resumes(api: Api) -> None:
    person = _person_with(api, "owner", skip=4)
    token = api.token("rep", sub=person["owner"])
    subscription = gql(
        "subscription($id: ID!, $after: String) { customerChanged(id: $id, after: $after) { eventId customerId change coalesced } }"
    )
    mutation = "mutation($i: InteractionInput!) { recordInteraction(input: $i) { key } }"

    async def run() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        got: list[dict[str, Any]] = []
        async with _ws(api, token) as session:
            stream = session.subscribe(_request(subscription, id=person["id"]))
            waiting = asyncio.ensure_future(stream.__anext__())
            await asyncio.sleep(0.3)
            await asyncio.to_thread(
                api.query,
                token,
                mutation,
                i={
                    "customerId": person["id"],
                    "type": "email",
                    "occurredAt": "2026-11-22T09:00:00",
                },
            )
            got.append((await asyncio.wait_for(waiting, 10))["customerChanged"])
        # Resume: reconnect after the first event and get only what came after it.
        await asyncio.to_thread(
            api.query,
            token,
            mutation,
            i={"customerId": person["id"], "type": "visit", "occurredAt": "2026-11-22T10:00:00"},
        )
        resumed: list[dict[str, Any]] = []
        async with _ws(api, token) as session:
            stream = session.subscribe(
                _request(subscription, id=person["id"], after=got[0]["eventId"])
            )
            resumed.append((await asyncio.wait_for(stream.__anext__(), 10))["customerChanged"])
        return got[0], resumed

    first, resumed = asyncio.run(run())
    assert first["customerId"] == person["id"] and first["change"] == "interaction"
    assert resumed[0]["eventId"] > first["eventId"]


def test_subscriptions_refuse_bad_tokens_and_other_reps_alerts(api: Api) -> None:
    async def refused(token: str, query: str) -> Exception:
        try:
            async with _ws(api, token) as session:
                async for _ in session.subscribe(gql(query)):
                    break
        except Exception as exc:  # what the client raises is the refusal we check
            return exc
        raise AssertionError("the subscription was not refused")

    alerts = 'subscription { alerts(repId: "someone") { eventId } }'
    assert asyncio.run(refused("garbage", alerts))
    error = asyncio.run(refused(api.token("rep", sub="me"), alerts))
    assert "own alerts" in str(error)


def test_alert_subscription_gets_a_raised_alert(api: Api) -> None:
    person = _person_with(api, "owner", skip=5)
    manager = api.token("manager", sub="m2")
    rule = api.query(
        manager,
        'mutation { createAlertRule(input: {name: "Visit", eventKind: "interaction.recorded", field: "type", op: "eq", value: "site visit"}) { id } }',
    )["createAlertRule"]
    rep = api.token("rep", sub=person["owner"])

    async def run() -> dict[str, Any]:
        async with _ws(api, rep) as session:
            stream = session.subscribe(
                _request(
                    "subscription($r: String!) { alerts(repId: $r) { eventId alert { ruleId customerId rep } } }",
                    r=person["owner"],
                )
            )
            waiting = asyncio.ensure_future(stream.__anext__())
            await asyncio.sleep(0.3)
            await asyncio.to_thread(api.query, rep, "mutation($i: InteractionInput!) { recordInteraction(input: $i) { key } }",
                                    i={"customerId": person["id"], "type": "site visit", "occurredAt": "2026-11-23T09:00:00"})  # fmt: skip
            return dict((await asyncio.wait_for(waiting, 10))["alerts"])

    got = asyncio.run(run())
    assert got["alert"]["ruleId"] == rule["id"] and got["alert"]["customerId"] == person["id"]
    api.query(manager, "mutation($id: ID!) { disableAlertRule(id: $id) { id } }", id=rule["id"])


def test_a_rep_corrects_a_customer_and_the_correction_wins(api: Api) -> None:
    person = _person_with(api, "owner", "email", skip=6)
    rep = api.token("rep", sub=person["owner"], pii=True)
    mutation = """mutation($id: ID!, $edit: CustomerEdit!) {
      updateCustomer(id: $id, edit: $edit) { id email phone sources recordCount fields { name value sources } } }"""
    edited = api.query(
        rep,
        mutation,
        id=person["id"],
        edit={"email": " New.Address@Example.COM ", "phone": "876 555 0199"},
    )["updateCustomer"]
    assert edited["id"] == person["id"], "a correction never mints a new customer"
    assert edited["email"] == "new.address@example.com" and edited["phone"] == "+18765550199"
    assert "api" in edited["sources"]
    assert edited["recordCount"] == person["record_count"] + 1, "no record is pushed out"
    fields = {f["name"]: f for f in edited["fields"]}
    assert fields["email"]["sources"] == ["api"]
    again = api.query(rep, mutation, id=person["id"], edit={"city": "Mandeville"})["updateCustomer"]
    assert again["email"] == "new.address@example.com", "an earlier correction is kept"
    record = api.store.run("views/record", {"key": f"api:{person['id']}"})[0]
    assert record["record"]["edited_by"] == person["owner"]
    bad = api.error(rep, mutation, id=person["id"], edit={"dateOfBirth": "31/31/1999"})
    assert bad["extensions"]["code"] == "BAD_INPUT" and "date_of_birth" in bad["message"]
    assert (
        api.error(api.token("analyst"), mutation, id=person["id"], edit={"city": "x"})[
            "extensions"
        ]["code"]
        == "FORBIDDEN"
    )


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_webhooks_are_registered_signed_delivered_and_queryable(api: Api) -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        integrator = api.token("integrator", sub="crm-sync")
        hook = api.query(
            integrator,
            'mutation($url: String!) { registerWebhook(url: $url, kinds: ["customer.changed"]) { id secret active kinds } }',
            url=f"http://127.0.0.1:{receiver.server_port}/hook",
        )["registerWebhook"]
        assert hook["secret"] and hook["active"] and hook["kinds"] == ["customer.changed"]
        listed = api.query(integrator, "{ webhooks { id secret } }")["webhooks"]
        assert [w["secret"] for w in listed if w["id"] == hook["id"]] == [None], (
            "the secret is shown once"
        )
        person = _person_with(api, "owner", skip=7)
        rep = api.token("rep", sub=person["owner"])
        api.query(rep, "mutation($i: InteractionInput!) { recordInteraction(input: $i) { key } }",
                  i={"customerId": person["id"], "type": "call", "occurredAt": "2026-11-24T09:00:00"})  # fmt: skip
        deadline = time.monotonic() + 20
        mine: list[tuple[dict[str, str], bytes]] = []
        while not mine and time.monotonic() < deadline:
            mine = [
                (h, b) for h, b in _Receiver.received if json.loads(b).get("key") == person["id"]
            ]
            time.sleep(0.1)
        assert mine, "the change was delivered to the webhook"
        headers, body = mine[0]
        assert headers["x-c360-event-kind"] == "customer.changed"
        assert verify_signature(
            hook["secret"], headers["x-c360-timestamp"], body, headers["x-c360-signature"]
        )
        assert not verify_signature(
            "another secret of 16+", headers["x-c360-timestamp"], body, headers["x-c360-signature"]
        )
        deliveries = api.query(
            integrator,
            "query($id: ID!) { webhookDeliveries(webhookId: $id) { eventId status attempts lastStatusCode } }",
            id=hook["id"],
        )
        delivered = [
            d for d in deliveries["webhookDeliveries"] if d["eventId"] == headers["x-c360-event-id"]
        ]
        assert (
            delivered
            and delivered[0]["status"] == "delivered"
            and delivered[0]["lastStatusCode"] == 204
        )
        off = api.query(
            integrator,
            "mutation($id: ID!) { updateWebhook(id: $id, active: false) { active } }",
            id=hook["id"],
        )
        assert off["updateWebhook"]["active"] is False
        bad = api.error(
            integrator,
            'mutation { registerWebhook(url: "ftp://x", kinds: ["customer.changed"]) { id } }',
        )
        assert bad["extensions"]["code"] == "BAD_INPUT"
        unknown = api.error(
            integrator, 'mutation { updateWebhook(id: "W-none", active: true) { id } }'
        )
        assert unknown["extensions"]["code"] == "NOT_FOUND"
    finally:
        receiver.shutdown()


def _counting_app(
    api: Api, falkordb_server: ServerInfo, calls: list[str], asked: list[Any] | None = None
) -> Any:
    """The API's app on a store that lists the statements the API sends it in `calls`
    (and their parameters in `asked`)."""

    class Counting:
        def __init__(self, store: FalkorDBStore) -> None:
            self._store = store

        def __getattr__(self, name: str) -> Any:
            return getattr(self._store, name)

        def run(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
            calls.append(name)
            if asked is not None:
                asked.append(params)
            return self._store.run(name, params)

        async def arun(
            self, name: str, params: dict[str, Any] | None = None
        ) -> list[dict[str, Any]]:
            calls.append(name)
            if asked is not None:
                asked.append(params)
            return await self._store.arun(name, params)

    return create_app(api.settings, Counting(api.store),
                      f"redis://127.0.0.1:{falkordb_server.port}/0", run_workers=False)  # fmt: skip


async def _post(app: Any, token: str, query: str, **variables: Any) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    return body


# Bounds and the data's today are cached reads, made by whichever request is first.
_CACHED_READS = ("views/customer_id_bounds", "views/activity_latest_day")


def test_a_page_of_360_views_costs_the_same_round_trips_whatever_its_size(
    api: Api, falkordb_server: ServerInfo
) -> None:
    calls: list[str] = []
    app = _counting_app(api, falkordb_server, calls)
    token = api.token("manager", pii=True)
    query = """query($n: Int!) { customers(first: $n) { edges { node { id
      records { key emails } interactions(first: 3) { total } transactions(first: 3) { total }
      decisions(first: 3) { id } alerts { id } employers { id } relationships { type }
      stage segment predictedLinks { probability } } } } }"""

    async def statements(size: int) -> list[str]:
        calls.clear()
        body = await _post(app, token, query, n=size)
        assert len(body["data"]["customers"]["edges"]) == size
        return sorted(c for c in calls if not c.startswith(_CACHED_READS))

    async def both() -> tuple[
        list[str], list[str]
    ]:  # one loop: the app's Redis client is bound to it
        return await statements(3), await statements(30)

    small, large = asyncio.run(both())
    assert small == large, "one statement per kind of field, whatever the page size"
    # The page, the parts of the 360 view read ahead, and a loader each for the rest.
    assert large == ["views/customer_decisions", "views/customer_parts",
                     "views/customer_predicted_links", "views/customer_stages",
                     "views/customers_page"]  # fmt: skip


def test_a_360_view_reads_every_part_in_one_round_trip(
    api: Api, falkordb_server: ServerInfo
) -> None:
    """`customer(id)` reads the parts its fields ask for in one statement, as a page of
    customers does, and they are what the part loaders read one by one."""
    rows = api.store.run_cypher(
        "MATCH (c:Customer {status: 'active'})<-[:RESOLVES_TO]-(:Record)-[:HAS_INTERACTION]->() "
        "WITH DISTINCT c MATCH (c)<-[:RESOLVES_TO]-(:Record)-[:HAS_TRANSACTION]->() "
        "WITH DISTINCT c MATCH (c)-[:KNOWS|HOUSEHOLD|COLLEAGUE|REFERRED]-(:Customer) "
        "RETURN DISTINCT c.id AS id, c.name AS name, id(c) AS n ORDER BY n LIMIT 1"
    )
    assert rows, "the demo data has customers with interactions, purchases and relations"
    customer_id = rows[0]["id"]
    parts = """id name records { key source emails phones addresses { key } handles }
      fields { name sources } interactions(first: 2) { total items { key } }
      transactions(first: 2) { total items { key amount } } alerts { id status }
      employers { id } staff { id } relationships { type direction other { id } }
      referralsOut { id } referralsIn { id }"""
    # The same fields asked directly, through a named fragment, and through an inline
    # one with the lists' sizes as variables: each one round trip.
    views_by_id = [
        "query($id: ID!) { customer(id: $id) { " + parts + " } }",
        "query($id: ID!) { customer(id: $id) { ...V } } fragment V on Customer { " + parts + " }",
        "query($id: ID!, $n: Int!) { customer(id: $id) { ... on Customer { "
        + parts.replace("first: 2", "first: $n")
        + " } } }",
    ]
    # A page starting just before the customer: its parts are read ahead too.
    page = (
        "query($after: String) { customers(first: 1, after: $after) { edges { node { "
        + parts
        + " } } } }"
    )
    # Search hits are not read ahead: each part comes through its own loader.
    search = "query($text: String!) { search(text: $text) { customer { " + parts + " } } }"
    calls: list[str] = []
    app = _counting_app(api, falkordb_server, calls)
    token = api.token("manager", pii=True)

    async def run() -> tuple[list[Any], list[list[str]], list[str]]:
        views, statements = [], []
        for query in views_by_id:
            calls.clear()
            views.append((await _post(app, token, query, id=customer_id, n=2))["data"]["customer"])
            statements.append(list(calls))
        after = base64.urlsafe_b64encode(f"c:{rows[0]['n'] - 1}".encode()).decode()
        calls.clear()
        edges = (await _post(app, token, page, after=after))["data"]["customers"]["edges"]
        views.append(edges[0]["node"])
        paged = sorted(c for c in calls if not c.startswith(_CACHED_READS))
        hits = (await _post(app, token, search, text=rows[0]["name"]))["data"]["search"]
        views += [h["customer"] for h in hits if h["customer"]["id"] == customer_id]
        return views, statements, paged

    (view, *others), statements, paged = asyncio.run(run())
    assert statements == [["views/customer_parts"]] * 3, "one round trip for the whole view"
    assert paged == ["views/customer_parts", "views/customers_page"], "and a page's parts too"
    assert view["id"] == customer_id and view["interactions"]["items"]
    assert view["transactions"]["items"] and view["relationships"] and view["records"]
    assert len(others) == 4 and all(other == view for other in others)


def test_a_360_view_reads_only_the_parts_its_fields_ask_for(
    api: Api, falkordb_server: ServerInfo
) -> None:
    """Employers, staff and relationships are separate parts: a view asking for a
    person's employers does not read the staff of anyone (a tenth of the view's time on
    the graph server), and each part answers as it does when everything is asked."""
    pairs = api.store.run_cypher(
        "MATCH (p:Customer {status: 'active'})<-[:RESOLVES_TO]-(:Record)-[:WORKS_AT]->"
        "(:Record)-[:RESOLVES_TO]->(b:Customer {status: 'active'}) "
        "RETURN p.id AS person, b.id AS business LIMIT 1"
    )
    assert pairs, "the demo data has people who work at its businesses"
    person, business = pairs[0]["person"], pairs[0]["business"]
    calls: list[str] = []
    asked: list[Any] = []
    app = _counting_app(api, falkordb_server, calls, asked)
    token = api.token("manager", pii=True)
    every = "employers { id } staff { id } relationships { type direction other { id } }"

    async def run() -> list[Any]:
        answers = []
        for customer_id, fields in [(person, "employers { id }"), (business, "staff { id }"),
                                    (person, every), (business, every)]:  # fmt: skip
            query = "query($id: ID!) { customer(id: $id) { " + fields + " } }"
            answers.append((await _post(app, token, query, id=customer_id))["data"]["customer"])
        return answers

    employers, staff, person_view, business_view = asyncio.run(run())
    views = [params for name, params in zip(calls, asked, strict=True)
             if name == "views/customer_parts"]  # fmt: skip
    assert len(views) == 4, calls
    wanted = [{p for p in ("records", "employers", "staff", "relationships", "alerts") if v[p]}
              for v in views]  # fmt: skip
    every_part = {"employers", "staff", "relationships"}
    assert wanted == [{"employers"}, {"staff"}, every_part, every_part]
    assert {"id": business} in employers["employers"]
    assert employers["employers"] == person_view["employers"]
    assert {"id": person} in staff["staff"] and staff["staff"] == business_view["staff"]


def test_a_served_view_is_freed_when_it_ends_not_left_to_the_cycle_collector(
    api: Api, falkordb_server: ServerInfo
) -> None:
    """A reference cycle through a request (its context holding loaders that hold it, or
    graphql-core's executor holding its own methods) keeps all the request read alive
    until a cycle collection, which under load came as 10 ms pauses and 270 ms ones."""
    app = _counting_app(api, falkordb_server, [])
    token = api.token("manager", pii=True)
    customer_id = _customers(api, "")[0]["c"]["id"]
    query = """query($id: ID!) { customer(id: $id) { id records { key } interactions { total }
      alerts { id } relationships { type } decisions { id } stage } }"""

    async def views() -> None:
        for _ in range(3):
            await _post(app, token, query, id=customer_id)

    gc.collect()
    gc.disable()
    try:
        asyncio.run(views())
        # type(), not isinstance: that reads `__class__`, which some modules' objects warn on.
        left = [type(o).__name__ for o in gc.get_objects()
                if issubclass(type(o), Context | StrawberryGraphQLCoreExecutionContext)]  # fmt: skip
    finally:
        gc.enable()
    assert left == []


def test_relationships_show_with_their_evidence_masked_without_the_pii_scope(api: Api) -> None:
    rows = api.store.run_cypher(
        "MATCH (a:Customer {status: 'active'})-[k:KNOWS]-(:Customer) WHERE any(e IN k.evidence "
        "WHERE e STARTS WITH 'phone:' OR e STARTS WITH 'email:') RETURN a.id AS id LIMIT 1"
    )
    assert rows, "the demo data has customers who share a phone or an email"
    query = "query($id: ID!) { customer(id: $id) { relationships { type direction strength evidence other { id } } scores { influence community } } }"
    plain = api.query(api.token("analyst"), query, id=rows[0]["id"])["customer"]
    knows = [r for r in plain["relationships"] if r["type"] == "KNOWS"]
    contact = [e for r in knows for e in r["evidence"] if e.startswith(("phone:", "email:"))]
    assert contact and all("*" in e for e in contact)
    assert all(0 < r["strength"] <= 1 for r in plain["relationships"])
    assert plain["scores"]["influence"] is not None and plain["scores"]["community"] is not None
    shown = api.query(api.token("analyst", pii=True), query, id=rows[0]["id"])["customer"]
    revealed = [
        e
        for r in shown["relationships"]
        for e in r["evidence"]
        if e.startswith(("phone:", "email:"))
    ]
    assert revealed and not any("*" in e for e in revealed)


# -- stage, segment, search filters, predicted links, review names --------------------------
def _give_scores(api: Api) -> None:
    """Churn risks and lifetime values on every third active customer, written as the score
    job writes them, so every stage and value band occurs (the fixture runs no models)."""
    ids = [r["c"]["id"] for r in _customers(api)][::3]
    rows = [
        {"id": cid, "churn_risk": (0.2, 0.5, 0.9)[i % 3], "churn_factors": None,
         "lead_score": None, "lead_factors": None,
         "lifetime_value": (MID_VALUE - 1, MID_VALUE, HIGH_VALUE - 1, HIGH_VALUE)[i % 4],
         "value_factors": None, "model": "test", "at": 1, "basis": "model"}
        for i, cid in enumerate(ids)
    ]  # fmt: skip
    api.store.run("scores/write", {"rows": rows})


def _expected_stages(api: Api) -> dict[str, tuple[str, str]]:
    """Each active customer's (stage, segment), worked out here in Python from its raw
    activity dates and scores, by the definition the API documents."""
    from datetime import date, timedelta

    days = api.store.run_cypher(
        "MATCH (a) WHERE (a:Transaction OR a:Interaction) AND a.date IS NOT NULL "
        "RETURN max(a.date) AS day"
    )
    today = date.fromisoformat(days[0]["day"][:10])
    new_since = (today - timedelta(days=NEW_DAYS)).isoformat()
    active_since = (today - timedelta(days=LAPSED_DAYS)).isoformat()
    rows = api.store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) RETURN c.id AS id, c.kind AS kind, "
        "c.churn_risk AS risk, c.lifetime_value AS value, "
        "[(c)<-[:RESOLVES_TO]-(:Record)-[:HAS_TRANSACTION]->(t) | t.date] AS bought, "
        "[(c)<-[:RESOLVES_TO]-(:Record)-[:HAS_INTERACTION]->(i) | coalesce(i.date, i.occurred_at)] AS met"
    )
    out = {}
    for r in rows:
        bought = [d[:10] for d in r["bought"] if d]
        dated = bought + [d[:10] for d in r["met"] if d]
        if not bought:
            stage = "lead"
        elif max(dated) < active_since:
            stage = "lapsed"
        elif r["risk"] is not None and r["risk"] >= AT_RISK:
            stage = "at_risk"
        elif min(bought) >= new_since:
            stage = "new"
        else:
            stage = "active"
        value = r["value"]
        band = ("unscored" if value is None else "high" if value >= HIGH_VALUE
                else "mid" if value >= MID_VALUE else "low")  # fmt: skip
        out[r["id"]] = (stage, f"{r['kind']}_{band}")
    return out


def _walk(api: Api, token: str, filter: dict[str, Any]) -> tuple[list[str], int]:
    """Every id the filtered keyset pages give, in order, and the filter's totalCount."""
    seen: list[str] = []
    after = None
    while True:
        page = api.query(token, PAGE, first=7, after=after, filter=filter)["customers"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


def test_stage_and_segment_filters_match_their_definition(api: Api) -> None:
    _give_scores(api)
    expected = _expected_stages(api)
    token = api.token("analyst")
    stages = {s for s, _ in expected.values()}
    assert {"lead", "lapsed", "at_risk", "active"} <= stages, stages
    order = [r["id"] for r in api.store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) RETURN c.id AS id ORDER BY id(c)")]  # fmt: skip
    for stage in ("lead", "new", "active", "at_risk", "lapsed"):
        ids, total = _walk(api, token, {"stage": stage.upper()})
        want = [i for i in order if expected[i][0] == stage]
        assert ids == want and total == len(want), stage
    for segment in ("person_high", "person_mid", "person_low", "business_unscored"):
        ids, total = _walk(api, token, {"segment": segment.upper()})
        want = [i for i in order if expected[i][1] == segment]
        assert want and ids == want and total == len(want), segment
    # Combined with the other filters, and shown on each customer as the filter sees it.
    query = "query($f: CustomerFilterInput) { customers(first: 50, filter: $f) { edges { node { id kind stage segment } } } }"
    edges = api.query(token, query, f={"kind": "PERSON", "stage": "LAPSED"})["customers"]["edges"]
    assert edges and all(e["node"]["kind"] == "person" for e in edges)
    assert all(
        (e["node"]["stage"].lower(), e["node"]["segment"].lower()) == expected[e["node"]["id"]]
        for e in edges
    )
    bad = api.error(token, "query { customers(filter: {stage: NOWHERE}) { totalCount } }")
    assert "NOWHERE" in bad["message"]


SEARCH = """
query($t: String!, $first: Int!, $f: CustomerFilterInput) {
  search(text: $t, first: $first, filter: $f) { customer { id parish kind owner stage } }
}
"""


def test_search_filters_run_in_the_store_before_the_page_is_cut(api: Api) -> None:
    expected = _expected_stages(api)
    token = api.token("analyst")
    # A city many customers share: its hits outnumber a page many times over.
    city = api.store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) WHERE c.city IS NOT NULL "
        "RETURN c.city AS city, count(*) AS n ORDER BY n DESC, city LIMIT 1"
    )[0]["city"]
    every = api.query(token, SEARCH, t=city, first=50)["search"]
    assert 6 < len(every) < 50, "all of the city's hits fit one page"
    # The rarest owner among the hits, asked for as many as they have: those must come from
    # all the hits, not from the best few (hits of one city tie on score, in any order).
    owners = [h["customer"]["owner"] for h in every if h["customer"]["owner"]]
    owner = min(sorted(set(owners)), key=owners.count)
    want = {h["customer"]["id"] for h in every if h["customer"]["owner"] == owner}
    assert 4 * len(want) < len(every)
    hits = api.query(token, SEARCH, t=city, first=len(want), f={"owner": owner})["search"]
    assert {h["customer"]["id"] for h in hits} == want
    parish = every[-1]["customer"]["parish"]
    hits = api.query(token, SEARCH, t=city, first=50, f={"parish": parish})["search"]
    assert {h["customer"]["id"] for h in hits} == {
        h["customer"]["id"] for h in every if h["customer"]["parish"] == parish
    }
    lapsed = api.query(token, SEARCH, t=city, first=50, f={"stage": "LAPSED", "kind": "PERSON"})
    ids = {h["customer"]["id"] for h in lapsed["search"]}
    assert ids == {
        h["customer"]["id"]
        for h in every
        if h["customer"]["kind"] == "person" and expected[h["customer"]["id"]][0] == "lapsed"
    }
    # A rep's search reaches only their accounts, as the owner filter narrows an analyst's.
    rep = api.query(api.token("rep", sub=owner), SEARCH, t=city, first=50)["search"]
    assert {h["customer"]["id"] for h in rep} == want


LINKS = """
query($id: ID!) { customer(id: $id) { predictedLinks {
  other { id name } hidden kind probability model features via } } }
"""


def test_predicted_links_show_to_the_owner_and_hide_customers_beyond_a_rep(api: Api) -> None:
    rows = api.store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) WHERE c.owner IS NOT NULL "
        "WITH c.owner AS owner, collect(c.id) AS ids WHERE size(ids) >= 2 "
        "RETURN owner, ids ORDER BY owner LIMIT 1"
    )
    owner, (mine, other_mine) = rows[0]["owner"], sorted(rows[0]["ids"])[-2:]
    foreign = next(c["c"] for c in _customers(api) if c["c"].get("owner") not in (owner, None))
    links = [
        {"a": mine, "b": other_mine, "kind": "ANY", "probability": 0.8, "model": "links-test",
         "common_neighbours": 2, "adamic_adar": 1.4, "resource_allocation": 0.5,
         "jaccard": 0.25, "preferential_attachment": 12, "distance": 2, "paths3": 1,
         "via": [foreign["id"]], "at": 1},
        {"a": foreign["id"], "b": mine, "kind": "ANY", "probability": 0.6,
         "model": "links-test", "common_neighbours": 1, "adamic_adar": 0.7,
         "resource_allocation": 0.2, "jaccard": 0.1, "preferential_attachment": 6,
         "distance": 3, "paths3": 0, "via": [other_mine], "at": 1},
    ]  # fmt: skip
    api.store.run("links/merge_predictions", {"rows": links})
    shown = api.query(api.token("rep", sub=owner), LINKS, id=mine)["customer"]["predictedLinks"]
    assert [(p["hidden"], p["probability"]) for p in shown] == [(False, 0.8), (True, 0.6)]
    assert shown[0]["other"]["id"] == other_mine and shown[0]["model"] == "links-test"
    assert shown[0]["features"]["common_neighbours"] == 2 and shown[0]["via"] == [foreign["id"]]
    assert shown[1]["other"] is None and shown[1]["via"] == []
    manager = api.query(api.token("manager"), LINKS, id=mine)["customer"]["predictedLinks"]
    assert [p["other"]["id"] for p in manager] == [other_mine, foreign["id"]]
    assert not any(p["hidden"] for p in manager)


def test_review_items_name_both_records_and_their_customers(api: Api) -> None:
    query = "{ reviewQueue(first: 20) { a b aName bName aCustomers bCustomers } }"
    queue = api.query(api.token("steward"), query)["reviewQueue"]
    assert queue
    keys = sorted({k for item in queue for k in (item["a"], item["b"])})
    stored = {
        r["key"]: r
        for r in api.store.run_cypher(
            "MATCH (r:Record) WHERE r.key IN $keys RETURN r.key AS key, r.name AS name, "
            "[(r)-[:RESOLVES_TO]->(c:Customer) | c.id] AS customers",
            {"keys": keys},
        )
    }
    assert any(item["aName"] for item in queue)
    for item in queue:
        for side in ("a", "b"):
            assert item[f"{side}Name"] == stored[item[side]]["name"]
            assert item[f"{side}Customers"] == stored[item[side]]["customers"]


def test_events_attended_together_follows_and_betweenness_show_in_the_view(api: Api) -> None:
    query = """query($id: ID!) { customer(id: $id) {
        relationships { type direction evidence other { id } } scores { betweenness } } }"""
    for kind in ("CO_ATTENDED", "FOLLOWS"):
        rows = api.store.run_cypher(
            f"MATCH (a:Customer {{status: 'active'}})-[:{kind}]->(b:Customer) "
            "RETURN a.id AS id, b.id AS other LIMIT 1"
        )
        assert rows, f"the demo data has {kind} edges"
        view = api.query(api.token("analyst"), query, id=rows[0]["id"])["customer"]
        found = [r for r in view["relationships"] if r["type"] == kind]
        assert {"direction": "out", "other": rows[0]["other"]} in [
            {"direction": r["direction"], "other": r["other"]["id"]} for r in found
        ]
        assert all(r["evidence"] for r in found)
    broker = api.store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) WHERE c.betweenness > 0 "
        "RETURN c.id AS id, c.betweenness AS b ORDER BY c.betweenness DESC LIMIT 1"
    )
    assert broker, "the mapper wrote betweenness"
    view = api.query(api.token("analyst"), query, id=broker[0]["id"])["customer"]
    assert view["scores"]["betweenness"] == pytest.approx(broker[0]["b"])

"""Every catalogued statement runs on every available adapter, with its own example.

FalkorDB (embedded) always; a real Neo4j 5 whenever C360_NEO4J_URI is set (Neo4j cannot
run on the CI machines, so there the Neo4j adapter is exercised by the Bolt smoke test).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from graph.catalogue import Catalogue, Statement
from graph.embedded import free_port
from graph.errors import GraphStoreError, MissingParameter, ReadOnlyViolation, UnknownStatement
from graph.falkordb_store import FalkorDBStore
from graph.store import GraphStore, Row
from tests.conftest import neo4j_uri

SEED = [
    # The records the examples refer to, so reads return rows and links find their ends.
    (
        "ingest/create_records",
        {
            "rows": [
                {
                    "props": {
                        "key": "crm:EX1",
                        "source": "crm",
                        "source_id": "EX1",
                        "kind": "person",
                        "hash": "h0",
                        "ingested_at": 1,
                    },
                    "emails": [],
                    "phones": [],
                    "addresses": [],
                    "handles": [],
                    "websites": [],
                    "works_at": [],
                },
                {
                    "props": {
                        "key": "crm:org:example",
                        "source": "crm",
                        "source_id": "org:example",
                        "kind": "business",
                        "hash": "h0",
                        "ingested_at": 1,
                    },
                    "emails": [],
                    "phones": [],
                    "addresses": [],
                    "handles": [],
                    "websites": [],
                    "works_at": [],
                },
            ]
        },
    ),
]


def _adapters() -> list[object]:
    adapters: list[object] = [pytest.param("falkordb", marks=pytest.mark.falkordb)]
    if neo4j_uri():
        adapters.append(pytest.param("neo4j", marks=pytest.mark.neo4j))
    return adapters


@pytest.fixture(params=_adapters())
def store(request: pytest.FixtureRequest, catalogue: Catalogue) -> Iterator[GraphStore]:
    if request.param == "falkordb":
        yield request.getfixturevalue("falkordb_store")
        return
    from graph.neo4j_store import Neo4jStore

    uri = neo4j_uri()
    assert uri is not None
    neo = Neo4jStore(catalogue, uri=uri, auth=None)
    neo.clear()
    neo.ensure_schema()
    yield neo
    neo.clear()
    neo.close()


def _statements() -> list[Statement]:
    from c360.settings import REPO_ROOT

    return list(Catalogue(REPO_ROOT / "cypher"))


@pytest.mark.parametrize("statement", _statements(), ids=lambda s: s.name)
def test_statement_runs_with_its_example(store: GraphStore, statement: Statement) -> None:
    assert statement.example.keys() >= statement.parameters, (
        f"{statement.name}: its '// example:' lacks {statement.parameters - statement.example.keys()}"
    )
    for name, params in SEED:
        store.run(name, params)
    rows = store.run(statement.name, statement.example)
    assert isinstance(rows, list)
    if statement.name.startswith("ingest/lookup_records"):
        assert [r["key"] for r in rows] == ["crm:EX1"]
    if statement.writes and statement.name.startswith("ingest/"):
        assert rows == [{"written": len(statement.example["rows"])}]
    if not statement.writes:  # the API reads through `arun`: the same rows
        assert asyncio.run(_arun(store, statement.name, statement.example)) == rows


async def _arun(store: GraphStore, name: str, params: dict[str, Any] | None = None) -> list[Row]:
    try:
        return await store.arun(name, params)
    finally:
        await store.aclose()


def test_arun_errors_are_the_same_as_run(store: GraphStore) -> None:
    with pytest.raises(UnknownStatement, match="no cypher statement named 'views/nope'"):
        asyncio.run(_arun(store, "views/nope"))
    with pytest.raises(MissingParameter, match="'views/record' needs parameter\\(s\\) key"):
        asyncio.run(_arun(store, "views/record", {}))
    with pytest.raises(GraphStoreError, match="alerts/page") as refused:  # LIMIT takes no string
        asyncio.run(_arun(store, "alerts/page", {"before_at": 1, "before_id": "", "limit": "x"}))
    assert type(refused.value) is GraphStoreError, refused.value  # the store's, not ours


def test_arun_serves_one_event_loop_after_another(store: GraphStore) -> None:
    """Tests and tools run `asyncio.run` again and again: a client opened in a loop
    that has ended must not be reused."""
    store.run(*SEED[0])
    for _ in range(3):
        assert asyncio.run(store.arun("views/record", {"key": "crm:EX1"})) != []


def test_schema_is_idempotent(store: GraphStore) -> None:
    store.ensure_schema()
    store.ensure_schema()


def test_unknown_statement_and_missing_parameter_are_clear(store: GraphStore) -> None:
    with pytest.raises(UnknownStatement, match="no cypher statement named 'views/nope'"):
        store.run("views/nope")
    with pytest.raises(MissingParameter, match="'views/record' needs parameter\\(s\\) key"):
        store.run("views/record", {})


def test_read_only_cypher_refuses_writes(store: GraphStore) -> None:
    with pytest.raises(ReadOnlyViolation):
        store.run_cypher("CREATE (:Record {key: 'x'})")
    assert store.run_cypher("MATCH (r:Record {key: 'x'}) RETURN r") == []


def test_unique_keys_are_enforced(store: GraphStore) -> None:
    store.run_cypher("CREATE (:Email {value: 'a@b.jm'})", read_only=False)
    with pytest.raises(Exception, match="(?i)unique|already exists"):
        store.run_cypher("CREATE (:Email {value: 'a@b.jm'})", read_only=False)


def test_settle_leaves_the_graph_as_it_was(store: GraphStore) -> None:
    """Bulk jobs end with `settle`; it changes nothing a query can see."""
    store.run(*SEED[0])
    store.run_cypher("UNWIND range(1, 3000) AS i CREATE (:Email {value: 'e' + toString(i)})",
                     read_only=False)  # fmt: skip
    counted = (
        "MATCH (n) OPTIONAL MATCH (n)-[e]->() RETURN count(DISTINCT n) AS nodes, count(e) AS edges"
    )
    before = store.run_cypher(counted)
    store.settle()
    store.settle()
    assert store.run_cypher(counted) == before
    assert store.run("views/record", {"key": "crm:EX1"}) != []


@pytest.mark.falkordb
def test_settle_puts_falkordbs_delta_threshold_back(falkordb_store: FalkorDBStore) -> None:
    """`settle` lowers the server-wide DELTA_MAX_PENDING_CHANGES to 1 for one write: it
    must restore what was set, and FalkorDB's default if a settle cut short left 1."""
    client = falkordb_store.db.connection
    name = "DELTA_MAX_PENDING_CHANGES"

    def threshold() -> int:
        return int(client.execute_command("GRAPH.CONFIG", "GET", name)[1])

    original = threshold()
    try:
        client.execute_command("GRAPH.CONFIG", "SET", name, 5000)
        falkordb_store.settle()
        assert threshold() == 5000
        client.execute_command("GRAPH.CONFIG", "SET", name, 1)
        falkordb_store.settle()
        assert threshold() == 10_000
    finally:
        client.execute_command("GRAPH.CONFIG", "SET", name, original)


@pytest.mark.falkordb
def test_graph_that_does_not_exist_reads_as_empty(falkordb_server, catalogue) -> None:  # type: ignore[no-untyped-def]
    store = FalkorDBStore(catalogue, port=falkordb_server.port, graph_name=f"t_{uuid.uuid4().hex}")
    assert store.run("views/records_by_source") == []
    assert asyncio.run(_arun(store, "views/records_by_source")) == []
    store.close()


def test_arun_takes_a_burst_larger_than_its_connections(store: GraphStore) -> None:
    """200 subscribers connecting at once each read their customer: none may fail
    (redis-py's default asyncio pool refused the 101st concurrent command)."""
    store.run(*SEED[0])

    async def burst() -> list[list[Row]]:
        try:
            return await asyncio.gather(
                *(store.arun("views/record", {"key": "crm:EX1"}) for _ in range(200))
            )
        finally:
            await store.aclose()

    assert [len(rows) for rows in asyncio.run(burst())] == [1] * 200


@pytest.mark.falkordb
def test_arun_retries_a_connection_the_server_dropped(falkordb_store: FalkorDBStore) -> None:
    """A graph server restarted under an idle API: its pooled connections are dead, and
    the next read must not fail for it."""
    falkordb_store.run(*SEED[0])
    admin = redis.Redis(port=falkordb_store.port)

    async def read_kill_read() -> list[Row]:
        try:
            await falkordb_store.arun("views/record", {"key": "crm:EX1"})
            # The pool's one connection, which the next read takes again.
            connection = await falkordb_store._async_client().client_id()
            admin.client_kill_filter(_id=str(connection))
            return await falkordb_store.arun("views/record", {"key": "crm:EX1"})
        finally:
            await falkordb_store.aclose()

    assert len(asyncio.run(read_kill_read())) == 1
    admin.close()


@pytest.mark.falkordb
def test_arun_without_a_server_says_the_connection_is_lost(falkordb_server, catalogue) -> None:  # type: ignore[no-untyped-def]
    store = FalkorDBStore(catalogue, port=falkordb_server.port)
    store.port = free_port()  # the server gone before the asyncio client's first connection
    with pytest.raises(GraphStoreError, match="views/record: lost the FalkorDB connection"):
        asyncio.run(_arun(store, "views/record", {"key": "crm:EX1"}))


def _about_given_customers(statement: Statement) -> bool:
    return statement.parameters & {"ids", "customer_id"} != set() and not statement.writes


@pytest.mark.falkordb
@pytest.mark.parametrize(
    "statement", [s for s in _statements() if _about_given_customers(s)], ids=lambda s: s.name
)
def test_reads_of_given_customers_scan_no_label(falkordb_store: FalkorDBStore, statement: Statement) -> None:  # fmt: skip
    """A read that names its customers starts at their index: FalkorDB's planner may start
    a pattern at its other end instead (every Alert, read for each 360 view, until the
    statement began with the customer and a WITH)."""
    for name, params in SEED:
        falkordb_store.run(name, params)
    plan = [
        str(op).strip()
        for op in falkordb_store.graph.explain(statement.text, statement.example).plan
    ]
    scans = [op for op in plan if "Label Scan" in op or "All Node Scan" in op]
    assert scans == [], f"{statement.name} scans {scans}: start it at the customer's id, then WITH"

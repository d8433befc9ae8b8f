"""The composition root: picks the adapters that the settings ask for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

from c360.settings import Settings
from graph.catalogue import Catalogue
from graph.customer_activity import fill_activity
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.store import GraphStore


@dataclass(frozen=True)
class Services:
    """What a long-running process (the API) needs: the graph and the Cache/PubSub Redis."""

    store: GraphStore
    redis_url: str | None  # None only with Neo4j and no C360_REDIS_URL: the API refuses that


@contextmanager
def open_graph(settings: Settings, *, schema: bool = True) -> Iterator[GraphStore]:
    """The configured graph store, with its schema ensured; closed (and the embedded
    server stopped, if this call started it) on exit."""
    with open_services(settings, schema=schema) as services:
        yield services.store


@contextmanager
def open_services(
    settings: Settings, *, schema: bool = True, query_timeout_ms: int | None = None
) -> Iterator[Services]:
    """The graph store and the Redis URL of the Cache/PubSub port: `C360_REDIS_URL`, or
    the embedded FalkorDB process (a Redis server) when the graph is embedded."""
    catalogue = Catalogue(settings.cypher_dir)
    timeout_ms = settings.query_timeout_ms if query_timeout_ms is None else query_timeout_ms
    server: EmbeddedFalkorDB | None = None
    store: GraphStore
    uri = settings.graph_uri
    if not uri:
        server = EmbeddedFalkorDB(settings.home_dir, fsync=settings.falkordb_fsync)
        info = server.start()
        store = FalkorDBStore(
            catalogue, port=info.port, graph_name=settings.graph_name,
            query_timeout_ms=timeout_ms, on_connection_error=server.check_alive,
        )  # fmt: skip
    elif uri.startswith(
        ("bolt://", "neo4j://", "bolt+s://", "neo4j+s://", "bolt+ssc://", "neo4j+ssc://")
    ):
        # Imported here: the driver pulls in pandas and pyarrow (~120 MB per process,
        # counted again in every ingest worker) that the embedded default never needs.
        from graph.neo4j_store import Neo4jStore

        auth = (settings.neo4j_user, settings.neo4j_password) if settings.neo4j_password else None
        store = Neo4jStore(
            catalogue, uri=uri, auth=auth, database=settings.neo4j_database,
            query_timeout_ms=timeout_ms,
        )  # fmt: skip
    elif uri.startswith("redis://"):
        parsed = urlparse(uri)
        store = FalkorDBStore(
            catalogue, host=parsed.hostname or "127.0.0.1", port=parsed.port or 6379,
            graph_name=settings.graph_name, query_timeout_ms=timeout_ms,
        )  # fmt: skip
    else:
        raise ValueError(
            f"C360_GRAPH_URI={uri!r}: expected empty (embedded FalkorDB), bolt:// or neo4j:// "
            "(Neo4j 5), or redis:// (a running FalkorDB server)"
        )
    redis_url = settings.redis_url or (
        f"redis://127.0.0.1:{server.info.port}/0" if server is not None and server.info else None
    )
    if not redis_url and uri and uri.startswith("redis://"):
        redis_url = uri  # a running FalkorDB server is a Redis server too
    try:
        if schema:
            store.ensure_schema()
            fill_activity(store)  # a graph made before customers stored their dates
        yield Services(store, redis_url)
    finally:
        store.close()
        if server is not None:
            server.stop()

"""The composition root: picks the adapters that the settings ask for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from c360.settings import Settings
from graph.catalogue import Catalogue
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.store import GraphStore


@contextmanager
def open_graph(settings: Settings, *, schema: bool = True) -> Iterator[GraphStore]:
    """The configured graph store, with its schema ensured; closed (and the embedded
    server stopped, if this call started it) on exit."""
    catalogue = Catalogue(settings.cypher_dir)
    server: EmbeddedFalkorDB | None = None
    store: GraphStore
    uri = settings.graph_uri
    if not uri:
        server = EmbeddedFalkorDB(settings.home_dir, fsync=settings.falkordb_fsync)
        info = server.start()
        store = FalkorDBStore(
            catalogue, port=info.port, graph_name=settings.graph_name,
            query_timeout_ms=settings.query_timeout_ms, on_connection_error=server.check_alive,
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
            query_timeout_ms=settings.query_timeout_ms,
        )  # fmt: skip
    elif uri.startswith("redis://"):
        parsed = urlparse(uri)
        store = FalkorDBStore(
            catalogue, host=parsed.hostname or "127.0.0.1", port=parsed.port or 6379,
            graph_name=settings.graph_name, query_timeout_ms=settings.query_timeout_ms,
        )  # fmt: skip
    else:
        raise ValueError(
            f"C360_GRAPH_URI={uri!r}: expected empty (embedded FalkorDB), bolt:// or neo4j:// "
            "(Neo4j 5), or redis:// (a running FalkorDB server)"
        )
    try:
        if schema:
            store.ensure_schema()
        yield store
    finally:
        store.close()
        if server is not None:
            server.stop()

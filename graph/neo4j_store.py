"""Neo4j 5 adapter of the GraphStore port, over the official `neo4j` driver (Bolt)."""

from __future__ import annotations

import logging
from typing import Any

import neo4j
from neo4j import GraphDatabase, Query
from neo4j.exceptions import ClientError, Neo4jError, ServiceUnavailable

from graph.catalogue import Catalogue, split_statements
from graph.errors import GraphStoreError, ReadOnlyViolation
from graph.store import CatalogueStore, FulltextSyntax, Row

log = logging.getLogger(__name__)


def to_python(value: Any) -> Any:
    """Same shapes as the FalkorDB adapter: nodes and relationships as property dicts."""
    if isinstance(value, neo4j.graph.Node):
        return {**dict(value.items()), "_labels": sorted(value.labels)}
    if isinstance(value, neo4j.graph.Relationship):
        return {**dict(value.items()), "_type": value.type}
    if isinstance(value, neo4j.graph.Path):
        return [to_python(n) for n in value.nodes]
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    return value


class Neo4jStore(CatalogueStore):
    backend = "neo4j"
    # Lucene: w~1 matches within one edit; w* is a prefix.
    fulltext_syntax = FulltextSyntax(fuzzy="{w}~1", prefix="{w}*", either="({prefix} OR {fuzzy})",
                                     joiner=" AND ")  # fmt: skip

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        uri: str,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        query_timeout_ms: int = 60_000,
    ) -> None:
        self.catalogue = catalogue
        self.database = database
        self.timeout_s = query_timeout_ms / 1000 if query_timeout_ms else None
        self.driver = GraphDatabase.driver(uri, auth=auth)

    def ensure_schema(self) -> None:
        for ddl in split_statements(self.catalogue.schema_file("neo4j").read_text()):
            self.run_cypher(ddl, read_only=False)  # IF NOT EXISTS makes each idempotent

    def _fulltext_call(self, label: str) -> str:
        # One full-text index per label, named "<label>_search" in cypher/schema/neo4j.cypher.
        return f"CALL db.index.fulltext.queryNodes('{label.lower()}_search', $q) YIELD node, score"

    def clear(self) -> None:
        self.run_cypher(
            "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
            read_only=False,
        )

    def close(self) -> None:
        self.driver.close()

    def _execute(
        self, what: str, text: str, params: dict[str, Any], *, read_only: bool
    ) -> list[Row]:
        query = Query(text, timeout=self.timeout_s)
        mode = neo4j.READ_ACCESS if read_only else neo4j.WRITE_ACCESS
        try:
            with self.driver.session(database=self.database, default_access_mode=mode) as session:
                # An auto-commit transaction: one statement, one atomic unit (as on FalkorDB),
                # and the only kind that may run CALL { } IN TRANSACTIONS.
                result = session.run(query, params)
                return [
                    dict(zip(record.keys(), map(to_python, record), strict=True))
                    for record in result
                ]
        except ClientError as exc:
            if read_only and "write" in (exc.message or "").lower():
                raise ReadOnlyViolation(f"{what}: refused, it writes ({exc.message})") from exc
            raise GraphStoreError(f"{what}: {exc.code}: {exc.message}") from exc
        except (Neo4jError, ServiceUnavailable) as exc:
            raise GraphStoreError(f"{what}: {exc}") from exc

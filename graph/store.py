"""The `GraphStore` port: Cypher in, rows out.

Adapters: `graph.falkordb_store.FalkorDBStore` (the embedded default) and
`graph.neo4j_store.Neo4jStore`. Both run the statements of one `Catalogue`; literal Cypher
is for analysts and tools. Each write batch is one atomic statement, so a crash leaves a
batch either fully applied or not at all.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol, TypeVar

from graph.catalogue import Catalogue, Statement

Row = dict[str, Any]
T = TypeVar("T")


class GraphStore(Protocol):
    catalogue: Catalogue
    backend: str  # "falkordb" | "neo4j"

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run the catalogued statement `name` (e.g. "views/record") with its parameters."""
        ...

    async def arun(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        """`run` for asyncio code (the API): the same rows, without holding up the loop."""
        ...

    def run_cypher(
        self, text: str, params: dict[str, Any] | None = None, *, read_only: bool = True
    ) -> list[Row]:
        """Run literal Cypher; refused by the store if it writes while `read_only`."""
        ...

    def write_batches(self, name: str, rows: Iterable[Row], batch_size: int, **params: Any) -> int:
        """Run `name` once per batch with `$rows` bound to the batch; returns rows written."""
        ...

    def write_encoded(self, name: str, encoded_rows: list[Any]) -> None:
        """Run write statement `name` with `$rows` given as rows already encoded by
        `graph.encoding.row_encoder(self.backend)`: one atomic statement."""
        ...

    def linked_components(self, label: str, key: str, rel_type: str) -> dict[str, int]:
        """Weakly connected components over `rel_type` edges between `label` nodes:
        node `key` -> component number, for every node that has at least one such edge."""
        ...

    def search_nodes(
        self, label: str, text: str, limit: int, narrow: str = "", params: Row | None = None
    ) -> list[tuple[Row, float]]:
        """Typo-tolerant full-text search over the `search_text` property of `label`
        nodes (best first): each word of `text` matches within one edit, and the last
        word also as a prefix. Backend-specific query syntax lives in the adapter.
        `narrow`: Cypher clauses (our own, with `params`) run in the same statement
        between the index call and the limit, keeping `node` and `score` (filters)."""
        ...

    def ensure_schema(self) -> None:
        """Create indexes and uniqueness constraints; safe to call again."""
        ...

    def clear(self) -> None:
        """Delete the whole graph (tests and `c360 reset`)."""
        ...

    def settle(self) -> None:
        """Fold into the store's base structures what a bulk job's writes left pending,
        so the small writes after it stay fast. Bulk jobs call it when they finish;
        a no-op where the store needs nothing of the kind."""
        ...

    def close(self) -> None: ...

    async def aclose(self) -> None:
        """Close what `arun` opened in the running event loop."""
        ...


# Characters both full-text engines split words on (RediSearch's separators, which
# Lucene's standard analyser also breaks at), so a query word is an indexed word.
_SEPARATORS = re.compile(r"[\s,.<>{}\[\]\"':;!@#$%^&*()\-+=~|/\\?`]+")


def search_words(text: str, max_words: int = 8) -> list[str]:
    """The words of a search text, lower-cased; punctuation of either query language
    cannot get through, so user input never becomes query syntax."""
    return [w for w in _SEPARATORS.split(text.lower()) if w][:max_words]


@dataclass(frozen=True)
class FulltextSyntax:
    """How one full-text engine writes the terms of `search_nodes`; which words are
    typo-tolerant and which are prefixes is decided once, in `query`."""

    fuzzy: str  # a word within one edit, e.g. "%{w}%" (RediSearch), "{w}~1" (Lucene)
    prefix: str  # a word as the user is still typing it: "{w}*"
    either: str  # the last word, both ways: "({prefix}|{fuzzy})"
    joiner: str  # between terms, all of which must match

    def query(self, words: list[str]) -> str:
        def fuzzy(w: str) -> bool:
            return len(w) >= 4 and not w.isdigit()

        terms = [self.fuzzy.format(w=w) if fuzzy(w) else w for w in words[:-1]]
        last = words[-1]
        if fuzzy(last):
            terms.append(self.either.format(prefix=self.prefix.format(w=last),
                                            fuzzy=self.fuzzy.format(w=last)))  # fmt: skip
        else:
            terms.append(self.prefix.format(w=last) if len(last) >= 2 else last)
        return self.joiner.join(terms)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_identifier(*names: str) -> None:
    """Labels and property names spliced into Cypher come from our enums; make sure."""
    for name in names:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a plain Cypher identifier: {name!r}")


def batched(items: Iterable[T], size: int) -> Iterator[Sequence[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class CatalogueStore(ABC):
    """What both adapters share: catalogue look-up, parameter checks, batching.

    An adapter implements `_execute` (one statement, one atomic unit) and the schema,
    clear and close operations of its store.
    """

    catalogue: Catalogue
    fulltext_syntax: FulltextSyntax  # set by adapters with full-text search

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        statement, params = self._statement(name, params)
        return self._execute(statement.name, statement.text, params, read_only=not statement.writes)

    def settle(self) -> None:
        """Nothing to fold by default (Neo4j applies each transaction in full)."""
        return None

    async def arun(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        """By default `run` in a worker thread; an adapter with an asyncio client of its
        own (FalkorDB) overrides this."""
        return await asyncio.to_thread(self.run, name, params)

    async def aclose(self) -> None:
        """Nothing to close when `arun` runs in threads."""
        return None

    def _statement(self, name: str, params: dict[str, Any] | None) -> tuple[Statement, Row]:
        statement = self.catalogue.get(name)
        params = params or {}
        statement.check(params)
        return statement, params

    def run_cypher(
        self, text: str, params: dict[str, Any] | None = None, *, read_only: bool = True
    ) -> list[Row]:
        return self._execute("literal cypher", text, params or {}, read_only=read_only)

    def write_batches(self, name: str, rows: Iterable[Row], batch_size: int, **params: Any) -> int:
        written = 0
        for batch in batched(rows, batch_size):
            self.run(name, {**params, "rows": list(batch)})
            written += len(batch)
        return written

    def write_encoded(self, name: str, encoded_rows: list[Any]) -> None:
        """Rows encoded by `graph.encoding.row_encoder(backend)`; by default they are plain rows."""
        self.run(name, {"rows": encoded_rows})

    def linked_components(self, label: str, key: str, rel_type: str) -> dict[str, int]:
        """Portable fallback: read the edges, component them with networkx. Adapters with
        an in-database algorithm (FalkorDB `algo.WCC`) override this."""
        import networkx as nx

        check_identifier(label, key, rel_type)
        edges = self._execute(
            "linked components",
            f"MATCH (a:{label})-[:{rel_type}]->(b:{label}) RETURN a.{key} AS a, b.{key} AS b",
            {},
            read_only=True,
        )
        graph: nx.Graph[str] = nx.Graph()
        graph.add_edges_from((e["a"], e["b"]) for e in edges)
        return {
            node: number
            for number, nodes in enumerate(nx.connected_components(graph))
            for node in nodes
        }

    def search_nodes(
        self, label: str, text: str, limit: int, narrow: str = "", params: Row | None = None
    ) -> list[tuple[Row, float]]:
        check_identifier(label)
        words = search_words(text)
        if not words:
            return []
        statement = (
            f"{self._fulltext_call(label)} {narrow} "
            "RETURN node, score ORDER BY score DESC LIMIT $limit"
        )
        rows = self._execute(
            "full-text search", statement,
            {**(params or {}), "q": self.fulltext_syntax.query(words), "limit": limit},
            read_only=True,
        )  # fmt: skip
        return [(row["node"], float(row["score"])) for row in rows]

    def _fulltext_call(self, label: str) -> str:
        raise NotImplementedError(f"{type(self).__name__} has no full-text search")

    @abstractmethod
    def _execute(
        self, what: str, text: str, params: dict[str, Any], *, read_only: bool
    ) -> list[Row]:
        """Run one statement; `what` names it in errors."""

"""The `GraphStore` port: Cypher in, rows out.

Adapters: `graph.falkordb_store.FalkorDBStore` (the embedded default) and
`graph.neo4j_store.Neo4jStore`. Both run the statements of one `Catalogue`; literal Cypher
is for analysts and tools. Each write batch is one atomic statement, so a crash leaves a
batch either fully applied or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, Protocol, TypeVar

from graph.catalogue import Catalogue

Row = dict[str, Any]
T = TypeVar("T")


class GraphStore(Protocol):
    catalogue: Catalogue
    backend: str  # "falkordb" | "neo4j"

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run the catalogued statement `name` (e.g. "views/record") with its parameters."""
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

    def ensure_schema(self) -> None:
        """Create indexes and uniqueness constraints; safe to call again."""
        ...

    def clear(self) -> None:
        """Delete the whole graph (tests and `c360 reset`)."""
        ...

    def close(self) -> None: ...


def batched(items: Iterable[T], size: int) -> Iterator[Sequence[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk

"""Parameter encoding done ahead of the write, off the hot path.

FalkorDB takes parameters as a Cypher literal header (`CYPHER rows=[...] MATCH ...`);
the client builds it in Python on the calling thread. Ingest workers encode each row
once with `cypher_literal`, and the writer only joins the pieces. Neo4j takes rows as
they are, so its encoder is the identity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _string(value: str) -> str:
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if '"' in value:
        value = value.replace('"', '\\"')
    return f'"{value}"'


def cypher_literal(value: Any) -> str:
    """A Python value as a FalkorDB Cypher literal (the format its CYPHER header parses)."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return repr(value)
    if kind is dict:
        parts = []
        for key, item in value.items():
            if not key or "`" in key:
                raise ValueError(f"map key {key!r} cannot be a Cypher identifier")
            parts.append(f"`{key}`:{cypher_literal(item)}")
        return "{" + ",".join(parts) + "}"
    if kind is list or kind is tuple:
        return "[" + ",".join(map(cypher_literal, value)) + "]"
    if isinstance(value, str):  # StrEnum and other str subclasses
        return _string(str(value))
    raise TypeError(f"cannot send a {kind.__name__} to the graph: {value!r}")


def rows_header(encoded_rows: list[str], **params: Any) -> str:
    """`CYPHER rows=[...] k=v ` from rows already encoded with `cypher_literal`."""
    extra = "".join(f" {k}={cypher_literal(v)}" for k, v in params.items())
    return "CYPHER rows=[" + ",".join(encoded_rows) + "]" + extra + " "


def row_encoder(backend: str) -> Callable[[dict[str, Any]], Any]:
    if backend == "falkordb":
        return cypher_literal
    return lambda row: row

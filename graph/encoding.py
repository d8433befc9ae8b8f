"""Parameter encoding done ahead of the write, off the hot path.

FalkorDB takes parameters as a Cypher literal header (`CYPHER rows=[...] MATCH ...`);
the client builds it in Python on the calling thread. Ingest workers encode each row
once with `cypher_literal`, and the writer only joins the pieces. Neo4j takes rows as
they are, so its encoder is the identity.

The header parser knows only the escapes \\n \\t \\r \\" \\\\ (no \\uXXXX), so strings are
sent as they are with only backslashes and double quotes escaped; map keys are
backticked identifiers (quoted keys are refused).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})
_KEYS: dict[str, str] = {}  # map key -> its encoded form "`key`:", checked once


def _string(value: str) -> str:
    if "\\" in value or '"' in value:
        value = value.translate(_ESCAPES)
    return '"' + value + '"'


def _key(key: Any) -> str:
    encoded = _KEYS.get(key)
    if encoded is None:
        if not key or "`" in key:
            raise ValueError(f"map key {key!r} cannot be a Cypher identifier")
        encoded = _KEYS.setdefault(key, f"`{key}`:")
    return encoded


def _map(value: dict[Any, Any]) -> str:
    keys = _KEYS
    try:
        # Most values are plain strings without escapes: inline those.
        return "{" + ",".join([
            keys[key] + ('"' + item + '"' if type(item) is str and "\\" not in item
                         and '"' not in item else cypher_literal(item))
            for key, item in value.items()
        ]) + "}"  # fmt: skip
    except KeyError:  # a key not seen before: check it, then encode again
        for key in value:
            _key(key)
        return _map(value)


def _list(value: list[Any] | tuple[Any, ...]) -> str:
    if not value:
        return "[]"
    try:
        plain = "".join(value)
    except TypeError:  # not all strings
        plain = '"'
    if "\\" not in plain and '"' not in plain:
        # A list of strings (emails, phones, categories) none of which needs escaping.
        return '["' + '","'.join(value) + '"]'
    return "[" + ",".join(map(cypher_literal, value)) + "]"


def cypher_literal(value: Any) -> str:
    """A Python value as a FalkorDB Cypher literal (the format its CYPHER header parses)."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is dict:
        return _map(value)
    if kind is list or kind is tuple:
        return _list(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return repr(value)
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

"""The query catalogue: every Cypher statement the service runs, one named file each.

`cypher/ingest/upsert_records.cypher` is the statement `ingest/upsert_records`. A file
may start with `//` comment lines; two are understood:

    // doc: what the statement does
    // example: {"rows": [...]}     parameters the conformance test runs it with
    // writes: true                 it changes the graph (else it must be read-only)

`cypher/schema/` is not part of the catalogue: index DDL differs per store and each
adapter applies its own file from there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.errors import MissingParameter, UnknownStatement

# $name parameters, outside string literals and comments.
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRING_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)+$")


@dataclass(frozen=True)
class Statement:
    name: str
    text: str
    parameters: frozenset[str]
    doc: str = ""
    writes: bool = False
    example: dict[str, Any] = field(default_factory=dict)

    def check(self, params: dict[str, Any]) -> None:
        missing = sorted(self.parameters - params.keys())
        if missing:
            raise MissingParameter(
                f"statement {self.name!r} needs parameter(s) {', '.join(missing)}; "
                f"given: {', '.join(sorted(params)) or 'none'}"
            )


def parameters_of(text: str) -> frozenset[str]:
    return frozenset(_PARAM.findall(_STRING_OR_COMMENT.sub("", text)))


def parse_statement(name: str, source: str) -> Statement:
    header: dict[str, str] = {}
    body: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if not body and stripped.startswith("//"):
            key, _, value = stripped[2:].strip().partition(":")
            if key.strip() in {"doc", "example", "writes"}:
                header[key.strip()] = (header.get(key.strip(), "") + " " + value.strip()).strip()
            continue
        if stripped or body:
            body.append(line)
    text = "\n".join(body).strip()
    if not text:
        raise ValueError(f"cypher statement {name!r} is empty")
    try:
        example = json.loads(header["example"]) if "example" in header else {}
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"cypher statement {name!r}: its '// example:' is not JSON: {exc}"
        ) from exc
    return Statement(
        name=name,
        text=text,
        parameters=parameters_of(text),
        doc=header.get("doc", ""),
        writes=header.get("writes", "false").lower() == "true",
        example=example,
    )


class Catalogue:
    """Named statements loaded once from a folder of `.cypher` files."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise FileNotFoundError(f"cypher catalogue folder {root} does not exist")
        self.root = root
        self._statements: dict[str, Statement] = {}
        for path in sorted(root.rglob("*.cypher")):
            relative = path.relative_to(root).with_suffix("")
            if relative.parts[0] == "schema":
                continue
            name = "/".join(relative.parts)
            if not NAME_PATTERN.match(name):
                raise ValueError(
                    f"{path}: file names must be lower_snake_case inside an area folder"
                )
            self._statements[name] = parse_statement(name, path.read_text(encoding="utf-8"))

    def get(self, name: str) -> Statement:
        try:
            return self._statements[name]
        except KeyError:
            near = [n for n in self._statements if n.split("/")[0] == name.split("/")[0]]
            hint = f"; statements in that area: {', '.join(near)}" if near else ""
            raise UnknownStatement(
                f"no cypher statement named {name!r} in {self.root}{hint}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._statements)

    def __iter__(self) -> Iterator[Statement]:
        return iter(self._statements[n] for n in self.names())

    def schema_file(self, backend: str) -> Path:
        return self.root / "schema" / f"{backend}.cypher"


def split_statements(text: str) -> list[str]:
    """Split a schema file into statements: `;`-terminated, `//` comments dropped."""
    cleaned = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    return [s.strip() for s in cleaned.split(";") if s.strip()]

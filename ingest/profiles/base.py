"""The contract every source profile follows.

A profile maps one real-world export (a CRM contacts CSV, QuickBooks Online JSON, ...)
onto the evidence model. It declares its columns, validates each raw row with a pydantic
model, and turns the valid row into graph items. It never touches the graph or files:
the pipeline reads, hashes, quarantines and writes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from pydantic import BaseModel

from ingest.model import SourceItem


class RowRejected(ValueError):
    """A row that validated but cannot become evidence; the message is the reason."""


class SourceProfile(ABC):
    """One export format. Subclasses set the class attributes and implement `to_items`."""

    name: ClassVar[str]  # the --source name, e.g. "crm-contacts"
    source: ClassVar[str]  # Record.source for what it produces, e.g. "crm"
    description: ClassVar[str]
    row_model: ClassVar[type[BaseModel]]
    # Columns a tabular file must have (after header normalisation); a file without them
    # is refused as a whole, naming the missing ones.
    required_columns: ClassVar[frozenset[str]] = frozenset()
    # Where the row array sits inside a JSON document, e.g. ("QueryResponse", "Customer").
    # Several paths may be given; rows are taken from every one present.
    json_paths: ClassVar[tuple[tuple[str, ...], ...]] = ()

    def rows_from_json(self, document: Any) -> Iterable[Mapping[str, Any]]:
        """The rows of a whole-file JSON document (a bare array, or under `json_paths`)."""
        if isinstance(document, list):
            return document
        if isinstance(document, dict):
            found: list[Mapping[str, Any]] = []
            for path in self.json_paths:
                node: Any = document
                for part in path:
                    node = node.get(part) if isinstance(node, dict) else None
                if isinstance(node, list):
                    found.extend(node)
            if found or any(_has_path(document, p) for p in self.json_paths):
                return found
        expected = " or ".join(".".join(p) for p in self.json_paths) or "a JSON array"
        raise ValueError(f"expected {expected} at the top of the document")

    def accepted_names(self, column: str) -> set[str]:
        """The header names that satisfy a required column: itself and its aliases."""
        aliases: Mapping[str, tuple[str, ...]] = getattr(self.row_model, "aliases", {})
        return {column, *aliases.get(column, ())}

    def parse(self, raw: Mapping[str, Any]) -> BaseModel:
        """Validate one raw row; pydantic's ValidationError names the bad field."""
        return self.row_model.model_validate(raw)

    @abstractmethod
    def to_items(self, row: Any) -> list[SourceItem]:
        """Turn one validated row into graph items; raise RowRejected with a reason."""


def _has_path(document: dict[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = document
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True

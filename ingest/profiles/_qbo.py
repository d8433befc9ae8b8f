"""Nested shapes shared by the QuickBooks Online profiles (field names as QBO spells them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest.profiles._common import RowModel
from ingest.profiles.base import RowRejected


class QboRef(RowModel):
    value: str | None = None
    name: str | None = None


class QboEmail(RowModel):
    Address: str | None = None


class QboPhone(RowModel):
    FreeFormNumber: str | None = None


class QboWebAddr(RowModel):
    URI: str | None = None


class QboAddr(RowModel):
    Line1: str | None = None
    Line2: str | None = None
    Line3: str | None = None
    City: str | None = None
    CountrySubDivisionCode: str | None = None
    PostalCode: str | None = None
    Country: str | None = None


class QboMeta(RowModel):
    CreateTime: str | None = None
    LastUpdatedTime: str | None = None


class QboMemo(RowModel):
    value: str | None = None


def currency(ref: QboRef | None, default: str = "JMD") -> str:
    """The ISO currency code of a CurrencyRef ("JMD" when QBO leaves it out)."""
    code = (ref.value if ref and ref.value else default).strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise RowRejected(f"CurrencyRef: {code!r} is not a three-letter currency code")
    return code


def query_rows(document: Any, entities: tuple[str, ...]) -> list[Mapping[str, Any]] | None:
    """Rows of a QBO query response, each tagged "_entity" with its entity name; None when
    the document is not a query response. A query that matched nothing comes back as
    ``{"QueryResponse": {}}`` (QBO leaves the array out): no rows, not an error."""
    if not isinstance(document, dict):
        return None
    response = document.get("QueryResponse")
    if not isinstance(response, dict):
        return None
    found: list[Mapping[str, Any]] = []
    for entity in entities:
        rows = response.get(entity)
        if isinstance(rows, list):
            found.extend(
                {**row, "_entity": entity} if isinstance(row, dict) else row for row in rows
            )
    return found

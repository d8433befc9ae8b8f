"""`qbo-transactions`: QuickBooks Online Invoice and SalesReceipt objects (API JSON).

Document shape: ``{"QueryResponse": {"Invoice": [...], "SalesReceipt": [...]}}`` (either or
both). Fields used, as QBO spells them: Id (required), DocNumber, TxnDate, DueDate,
TotalAmt, Balance, CurrencyRef.value (default JMD), CustomerRef {value, name} (required:
the customer the sale hangs off), Line [{Amount, Description, DetailType,
SalesItemLineDetail {ItemRef {name}}}], PrivateNote, CustomerMemo.value.

Each row becomes a transaction ActivityRecord "qbo:invoice:<Id>" or
"qbo:salesreceipt:<Id>" on the record "qbo:<CustomerRef.value>" (QBO numbers the two
entity types separately, so the type is part of the id). `rows_from_json` tags each row
with the array it came from (key "_entity"; an empty ``{"QueryResponse": {}}`` is no
rows); a row read some other way is recognised by a wrapper ({"Invoice": {...}}, as
single-entity reads return it), else by its shape: DueDate means an invoice,
PaymentMethodRef / DepositToAccountRef a sales receipt, anything else an invoice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from pydantic import Field, model_validator

from ingest.model import ActivityKind, ActivityRecord, PropertyValue, SourceItem
from ingest.profiles import _common as c
from ingest.profiles._qbo import QboMemo, QboMeta, QboRef, currency, query_rows
from ingest.profiles.base import RowRejected, SourceProfile

ENTITY_TYPES: dict[str, str] = {"invoice": "invoice", "salesreceipt": "salesreceipt"}
_WRAPPERS = ("Invoice", "SalesReceipt")


class QboItemDetail(c.RowModel):
    ItemRef: QboRef | None = None
    Qty: float | None = None
    UnitPrice: float | None = None


class QboLine(c.RowModel):
    Id: str | None = None
    Amount: float | None = None
    Description: str | None = None
    DetailType: str | None = None
    SalesItemLineDetail: QboItemDetail | None = None


class QboTransactionRow(c.RowModel):
    entity: str | None = Field(default=None, alias="_entity")
    Id: str
    DocNumber: str | None = None
    TxnDate: str | None = None
    DueDate: str | None = None
    TotalAmt: float | None = None
    Balance: float | None = None
    CurrencyRef: QboRef | None = None
    CustomerRef: QboRef | None = None
    Line: list[QboLine] = Field(default_factory=list)
    PrivateNote: str | None = None
    CustomerMemo: QboMemo | None = None
    PaymentMethodRef: QboRef | None = None
    DepositToAccountRef: QboRef | None = None
    MetaData: QboMeta | None = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for wrapper in _WRAPPERS:
                inner = data.get(wrapper)
                if isinstance(inner, Mapping) and "Id" not in data:
                    return {**inner, "_entity": wrapper}
        return data

    @property
    def entity_type(self) -> str:
        """ "invoice" or "salesreceipt"."""
        if self.entity:
            kind = ENTITY_TYPES.get(self.entity.lower())
            if kind is None:
                raise RowRejected(f"_entity: {self.entity!r} is neither Invoice nor SalesReceipt")
            return kind
        if self.DueDate:
            return "invoice"
        if self.PaymentMethodRef or self.DepositToAccountRef:
            return "salesreceipt"
        return "invoice"


class QboTransactionsProfile(SourceProfile):
    name: ClassVar[str] = "qbo-transactions"
    source: ClassVar[str] = "qbo"
    description: ClassVar[str] = (
        "QuickBooks Online Invoice / SalesReceipt JSON: transactions on QBO customers"
    )
    row_model: ClassVar[type[QboTransactionRow]] = QboTransactionRow
    json_paths: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("QueryResponse", "Invoice"),
        ("QueryResponse", "SalesReceipt"),
    )

    def rows_from_json(self, document: Any) -> Iterable[Mapping[str, Any]]:
        """As the base class, each row tagged with the entity array it came from."""
        rows = query_rows(document, _WRAPPERS)
        return super().rows_from_json(document) if rows is None else rows

    def to_items(self, row: Any) -> list[SourceItem]:
        row = c.as_row(QboTransactionRow, row)
        kind = row.entity_type
        customer = row.CustomerRef.value if row.CustomerRef else None
        if not customer:
            raise RowRejected(f"CustomerRef: missing, {kind} {row.Id} has no customer to hang off")
        sale_lines = [
            line
            for line in row.Line
            if line.SalesItemLineDetail is not None or line.DetailType == "SalesItemLineDetail"
        ]
        amount = c.money("TotalAmt", row.TotalAmt)
        if amount is None:
            line_amounts = [line.Amount for line in sale_lines if line.Amount is not None]
            if not line_amounts:
                raise RowRejected(f"TotalAmt: missing, and {kind} {row.Id} has no line amounts")
            amount = round(sum(line_amounts), 2)
        items = c.uniq(
            (
                line.SalesItemLineDetail.ItemRef.name
                if line.SalesItemLineDetail
                and line.SalesItemLineDetail.ItemRef
                and line.SalesItemLineDetail.ItemRef.name
                else line.Description
            )
            for line in sale_lines
        )
        fields: dict[str, PropertyValue] = {
            "type": kind,
            "amount": amount,
            "currency": currency(row.CurrencyRef),
            "date": c.iso_date("TxnDate", row.TxnDate),
            "due_date": c.iso_date("DueDate", row.DueDate),
            "doc_number": row.DocNumber,
            "balance": c.money("Balance", row.Balance),
            "items": items,
            "note": row.PrivateNote,
            "memo": row.CustomerMemo.value if row.CustomerMemo else None,
            "customer_name": row.CustomerRef.name if row.CustomerRef else None,
        }
        return [
            ActivityRecord(
                source=self.source,
                source_id=f"{kind}:{row.Id}",
                kind=ActivityKind.TRANSACTION,
                record_key=f"{self.source}:{customer}",
                fields=c.drop_empty(fields),
            )
        ]

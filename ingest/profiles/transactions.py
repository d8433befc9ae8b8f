"""`transactions`: a CSV of point-of-sale / bank transactions (source "pos").

Columns: txn_id (required), record_source + record_id (required: the record the money
came from), date, amount (required), currency (three letters, default JMD), channel
(card, cash, bank transfer, ...), description.

Each row is a transaction ActivityRecord "pos:<txn_id>" on "<record_source>:<record_id>"
with fields amount (a refund is negative), currency, date, channel, description.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import field_validator

from ingest.model import ActivityKind, ActivityRecord, PropertyValue, SourceItem
from ingest.profiles import _common as c
from ingest.profiles._activity import ActivityRow
from ingest.profiles.base import RowRejected, SourceProfile


class TransactionRow(ActivityRow):
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "txn_id": ("transaction_id", "id", "reference", "ref"),
        "date": ("txn_date", "transaction_date", "posted"),
        "amount": ("total", "value"),
        "channel": ("payment_method", "method", "tender"),
        "description": ("memo", "details", "narrative"),
    }

    txn_id: str
    date: str | None = None
    amount: str
    currency: str = "JMD"
    channel: str | None = None
    description: str | None = None

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return "JMD"
        if isinstance(value, str):
            code = value.strip().upper()
            if len(code) != 3 or not code.isalpha():
                raise ValueError(f"{value!r} is not a three-letter currency code")
            return code
        return value


class TransactionsProfile(SourceProfile):
    name: ClassVar[str] = "transactions"
    source: ClassVar[str] = "pos"
    description: ClassVar[str] = "Point-of-sale / bank transactions CSV on a record"
    row_model: ClassVar[type[TransactionRow]] = TransactionRow
    required_columns: ClassVar[frozenset[str]] = frozenset(
        {"txn_id", "record_source", "record_id", "amount"}
    )

    def to_items(self, row: Any) -> list[SourceItem]:
        row = c.as_row(TransactionRow, row)
        amount = c.money("amount", row.amount)
        if amount is None:
            raise RowRejected("amount: no amount given")
        fields: dict[str, PropertyValue] = {
            "amount": amount,
            "currency": row.currency,
            "date": c.iso_date("date", row.date),
            "channel": row.channel.lower() if row.channel else None,
            "description": row.description,
        }
        return [
            ActivityRecord(
                source=self.source,
                source_id=row.txn_id,
                kind=ActivityKind.TRANSACTION,
                record_key=row.record_key,
                fields=c.drop_empty(fields),
            )
        ]

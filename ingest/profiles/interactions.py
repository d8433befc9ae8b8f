"""`interactions`: a CSV log of touches with customers (calls, visits, emails, ...).

Columns: interaction_id (required), record_source + record_id (required: the record the
interaction is with, e.g. crm + the CRM Contact ID), type, occurred_at, rep, subject,
notes, outcome, event_id and event_name (the meeting or event the interaction was part
of: rows sharing an event_id are one event attended by several customers, which
relationship mapping reads as co-attendance).

Each row is an interaction ActivityRecord "interactions:<interaction_id>" on the record
"<record_source>:<record_id>". `type` is folded to one of call, visit, email, meeting,
whatsapp, sms, other (common spellings mapped: "phone call", "WA", "in person", ...);
a type that maps to none is refused. occurred_at keeps its time when it has one (ISO
8601), with the date alone in fields["date"].
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import field_validator

from ingest.model import ActivityKind, ActivityRecord, PropertyValue, SourceItem
from ingest.normalise import fold
from ingest.profiles import _common as c
from ingest.profiles._activity import ActivityRow
from ingest.profiles.base import SourceProfile

INTERACTION_TYPES: dict[str, str] = {
    "call": "call",
    "phone": "call",
    "phone call": "call",
    "telephone": "call",
    "call back": "call",
    "visit": "visit",
    "site visit": "visit",
    "in person": "visit",
    "walk in": "visit",
    "email": "email",
    "e mail": "email",
    "mail": "email",
    "meeting": "meeting",
    "meet": "meeting",
    "zoom": "meeting",
    "video call": "meeting",
    "whatsapp": "whatsapp",
    "whats app": "whatsapp",
    "wa": "whatsapp",
    "sms": "sms",
    "text": "sms",
    "text message": "sms",
    "other": "other",
}


class InteractionRow(ActivityRow):
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "interaction_id": ("id", "activity_id"),
        "type": ("interaction_type", "channel", "kind"),
        "occurred_at": ("date", "timestamp", "when", "occurred"),
        "rep": ("owner", "sales_rep", "user"),
        "event_id": ("event", "meeting_id"),
        "event_name": ("event_title", "meeting_name"),
    }

    interaction_id: str
    type: str | None = None
    occurred_at: str | None = None
    rep: str | None = None
    subject: str | None = None
    notes: str | None = None
    outcome: str | None = None
    event_id: str | None = None
    event_name: str | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        if value is None:
            return None
        key = " ".join(value.lower().replace("-", " ").replace("_", " ").split())
        if key not in INTERACTION_TYPES:
            known = ", ".join(sorted(set(INTERACTION_TYPES.values())))
            raise ValueError(f"unknown interaction type {value!r} (expected one of {known})")
        return INTERACTION_TYPES[key]


class InteractionsProfile(SourceProfile):
    name: ClassVar[str] = "interactions"
    source: ClassVar[str] = "interactions"
    description: ClassVar[str] = "Interactions CSV: calls, visits, emails, meetings on a record"
    row_model: ClassVar[type[InteractionRow]] = InteractionRow
    required_columns: ClassVar[frozenset[str]] = frozenset(
        {"interaction_id", "record_source", "record_id"}
    )

    def to_items(self, row: Any) -> list[SourceItem]:
        row = c.as_row(InteractionRow, row)
        occurred = c.iso_datetime("occurred_at", row.occurred_at)
        fields: dict[str, PropertyValue] = {
            "type": row.type,
            "occurred_at": occurred,
            "date": occurred[:10] if occurred else None,
            "rep": row.rep,
            "subject": row.subject,
            "notes": row.notes,
            "outcome": fold(row.outcome) if row.outcome else None,
            "event": row.event_id,
            "event_name": row.event_name,
        }
        return [
            ActivityRecord(
                source=self.source,
                source_id=row.interaction_id,
                kind=ActivityKind.INTERACTION,
                record_key=row.record_key,
                fields=c.drop_empty(fields),
            )
        ]

"""What the activity profiles (interactions, transactions) share: the record they hang off."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import field_validator

from ingest.profiles._common import RowModel

_SOURCE_RE = re.compile(r"^[a-z][a-z0-9_-]*$")


class ActivityRow(RowModel):
    """A row naming its record by `record_source` + `record_id` ("crm" + "C0001")."""

    tabular: ClassVar[bool] = True

    record_source: str
    record_id: str

    @field_validator("record_source")
    @classmethod
    def _source_name(cls, value: str) -> str:
        value = value.lower()
        if not _SOURCE_RE.match(value):
            raise ValueError(f"{value!r} is not a source name (a word such as crm, qbo, sheets)")
        return value

    @property
    def record_key(self) -> str:
        return f"{self.record_source}:{self.record_id}"

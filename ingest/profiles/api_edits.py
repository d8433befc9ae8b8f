"""`api-edits`: a person's corrections to a customer, made through the API.

An edit is evidence like any other source row: one record "api:<customer id>" per
customer holding the latest values a person entered (a second edit of the same customer
changes that record, as a re-exported CRM row would), normalised by the same functions
as every profile. The API pins it to the customer and survivorship lets its values win
(`resolvers.config.Survivorship.override_sources`).

Fields: customer_id (required), kind (person | business), first_name, last_name, name
(a business's name), email, phone, street_address, city, parish, date_of_birth, company,
website, owner, edited_by.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import field_validator, model_validator

from ingest.model import EvidenceRecord, RecordKind, SourceItem
from ingest.profiles import _common as c
from ingest.profiles.base import SourceProfile

# The fields a person may correct (the row's other fields say whose and by whom).
EDITABLE = ("first_name", "last_name", "name", "email", "phone", "street_address", "city",
            "parish", "date_of_birth", "company", "website", "owner")  # fmt: skip


class ApiEditRow(c.RowModel):
    customer_id: str
    kind: str = "person"
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    street_address: str | None = None
    city: str | None = None
    parish: str | None = None
    date_of_birth: str | None = None
    company: str | None = None
    website: str | None = None
    owner: str | None = None
    edited_by: str | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in ("person", "business"):
            raise ValueError(f"kind must be person or business, not {value!r}")
        return value

    @model_validator(mode="after")
    def _changes_something(self) -> ApiEditRow:
        if not any(getattr(self, f) for f in EDITABLE):
            raise ValueError("the edit changes no field")
        return self


class ApiEditsProfile(SourceProfile):
    name: ClassVar[str] = "api-edits"
    source: ClassVar[str] = "api"
    description: ClassVar[str] = "corrections to a customer entered through the API"
    row_model: ClassVar[type[ApiEditRow]] = ApiEditRow
    required_columns: ClassVar[frozenset[str]] = frozenset({"customer_id"})

    def to_items(self, row: Any) -> list[SourceItem]:
        row = c.as_row(ApiEditRow, row)
        business = row.kind == "business"
        if business:
            org = c.company("name", row.name)
            fields = c.business_fields(org) if org is not None else {}
        else:
            fields = c.person_fields("first_name/last_name", full=row.name if not (
                row.first_name or row.last_name) else None, given=row.first_name,
                family=row.last_name)  # fmt: skip
            org = c.company("company", row.company)
            if org is not None:
                fields["company"] = org.display
                fields["company_key"] = org.key
        place = c.address(
            "street_address", row.street_address, city=row.city, parish_raw=row.parish
        )
        fields.update(
            {
                **c.place_fields("city/parish", place, row.city, row.parish),
                "dob": None if business else c.iso_date("date_of_birth", row.date_of_birth),
                "owner": row.owner,
                "edited_by": row.edited_by,
            }
        )
        website = c.website("website", row.website)
        return [
            EvidenceRecord(
                source=self.source,
                source_id=row.customer_id,
                kind=RecordKind.BUSINESS if business else RecordKind.PERSON,
                fields=c.drop_empty(fields),
                emails=c.emails("email", row.email),
                phones=c.phones("phone", row.phone),
                addresses=[place] if place is not None else [],
                websites=[website] if website else [],
            )
        ]

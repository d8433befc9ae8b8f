"""`crm-contacts`: a CRM contacts CSV export (HubSpot / Salesforce style).

Columns (after header normalisation; aliases in brackets):
    contact_id (record_id, id)            required, the source_id
    first_name, last_name
    email (email_address)
    phone (phone_number, business_phone), mobile_phone (mobile_phone_number, mobile)
    company (company_name, account_name), job_title (title)
    street_address (street, address, mailing_street), city (mailing_city),
    parish (state_region, state, mailing_state)
    lead_status, segment, referred_by, date_of_birth (birthdate),
    created_date (create_date, created_at), owner (contact_owner, sales_rep)

A row is a person record ("crm:<contact_id>"). When Company is set it also yields the
business record "crm:org:<company key>" (the same for every contact at that company)
and the person's works_at points at it. "Referred By" is kept raw (tidied) in
fields["referred_by"]: it is a name, resolved to a person later.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import model_validator

from ingest.model import EvidenceRecord, RecordKind, SourceItem
from ingest.profiles import _common as c
from ingest.profiles.base import SourceProfile


class CrmContactRow(c.RowModel):
    tabular: ClassVar[bool] = True
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "contact_id": ("record_id", "id", "contact"),
        "email": ("email_address", "e_mail", "e_mail_address"),
        "phone": ("phone_number", "business_phone", "work_phone", "phone_no"),
        "mobile_phone": ("mobile_phone_number", "mobile", "cell", "cell_phone"),
        "company": ("company_name", "account_name", "organisation", "organization"),
        "job_title": ("title",),
        "street_address": ("street", "address", "mailing_street", "address_line_1"),
        "city": ("mailing_city", "town"),
        "parish": ("state_region", "state", "mailing_state"),
        "date_of_birth": ("birthdate", "dob", "birthday"),
        "created_date": ("create_date", "created_at", "created"),
        "owner": ("contact_owner", "sales_rep", "rep"),
    }

    contact_id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile_phone: str | None = None
    company: str | None = None
    job_title: str | None = None
    street_address: str | None = None
    city: str | None = None
    parish: str | None = None
    lead_status: str | None = None
    segment: str | None = None
    referred_by: str | None = None
    date_of_birth: str | None = None
    created_date: str | None = None
    owner: str | None = None

    @model_validator(mode="after")
    def _identifies_someone(self) -> CrmContactRow:
        if not (self.first_name or self.last_name or self.email or self.phone or self.mobile_phone):
            raise ValueError(
                "no first_name, last_name, email, phone or mobile_phone: the row identifies no one"
            )
        return self


class CrmContactsProfile(SourceProfile):
    name: ClassVar[str] = "crm-contacts"
    source: ClassVar[str] = "crm"
    description: ClassVar[str] = (
        "CRM contacts CSV export (HubSpot/Salesforce): one person per row, "
        "plus the business record of its Company"
    )
    row_model: ClassVar[type[CrmContactRow]] = CrmContactRow
    required_columns: ClassVar[frozenset[str]] = frozenset({"contact_id"})

    def to_items(self, row: Any) -> list[SourceItem]:
        row = c.as_row(CrmContactRow, row)
        items: list[SourceItem] = []
        fields = c.person_fields("first_name/last_name", given=row.first_name, family=row.last_name)
        org = c.company("company", row.company)
        works_at: str | None = None
        if org is not None:
            business = c.org_record(self.source, org)
            items.append(business)
            works_at = business.key
        addresses = []
        place = c.address(
            "street_address", row.street_address, city=row.city, parish_raw=row.parish
        )
        if place is not None:
            addresses.append(place)
        fields.update(
            {
                "company": org.display if org else None,
                "job_title": row.job_title,
                **c.place_fields("city/parish", place, row.city, row.parish),
                "lead_status": row.lead_status,
                "segment": row.segment,
                "referred_by": " ".join(row.referred_by.split()) if row.referred_by else None,
                "dob": c.iso_date("date_of_birth", row.date_of_birth),
                "created": c.iso_date("created_date", row.created_date),
                "owner": row.owner,
            }
        )
        person = EvidenceRecord(
            source=self.source,
            source_id=row.contact_id,
            kind=RecordKind.PERSON,
            fields=c.drop_empty(fields),
            emails=c.emails("email", row.email),
            phones=c.uniq(
                c.phones("phone", row.phone) + c.phones("mobile_phone", row.mobile_phone)
            ),
            addresses=addresses,
            works_at=works_at,
        )
        return [*items, person]

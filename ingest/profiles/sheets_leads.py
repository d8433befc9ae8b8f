"""`sheets-leads`: a sales team's lead list kept in Google Sheets, exported as CSV.

Human-made columns, so each field is read from the first of several names that is there
and not blank (after header normalisation, where "#" reads as "no"):
    lead_id     Lead ID, #, ID, Lead No                       required
    name        Name, Full Name, Contact, Contact Name, Client
    business    Business, Business Name, Company, Shop
    phone       Phone #, Phone, Phone Number, Tel, Cell, Contact No
    email       Email, E-mail, Email Address
    location    Town/Parish, Town, Parish, Location, Area
    instagram   Instagram, IG, Insta
    notes       Notes, Comments;  rep  Rep, Sales Rep, Owner, Assigned To
    status      Status, Stage;    date_added  Date Added, Date, Added

Decision on ids: a row must carry its own id. A sheet is edited by hand, rows move and
get re-sorted, so an id derived from the row's position or content would change when a
cell is fixed and the same lead would come back as a new record. A row without a Lead
ID is refused ("lead_id: is required but empty"); a file without any id column has all
its rows refused that way, which tells the sheet's owner what to add.

A row with a Name is a person ("sheets:<lead_id>"); with a Business as well, it also
yields "sheets:org:<company key>" and works_at. A row with only a Business is a business
record ("sheets:<lead_id>"). The Instagram handle, phone and email belong to the lead's
own record. "Town/Parish" holds a town, a parish or "Town, Parish"; it gives the fields
city / parish / postal_zone (not an Address: a town alone would tie a whole town).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import model_validator

from ingest.model import EvidenceRecord, HandleEvidence, PropertyValue, RecordKind, SourceItem
from ingest.profiles import _common as c
from ingest.profiles.base import SourceProfile


class SheetLeadRow(c.RowModel):
    tabular: ClassVar[bool] = True
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        # "" last: a reader that turns a "#" header into "" (when no named id column is there)
        "lead_id": ("no", "id", "lead_no", "lead_number", "lead", "ref", ""),
        "name": ("full_name", "contact", "contact_name", "client", "client_name", "customer"),
        "business": ("business_name", "company", "company_name", "shop", "store"),
        "phone": ("phone_no", "phone_number", "tel", "telephone", "cell", "contact_no", "mobile"),
        "email": ("e_mail", "email_address", "e_mail_address"),
        "location": ("town_parish", "town", "parish", "location", "area", "city"),
        "instagram": ("ig", "insta", "instagram_handle"),
        "notes": ("comments", "comment", "note"),
        "rep": ("sales_rep", "owner", "assigned_to"),
        "status": ("stage", "lead_status"),
        "date_added": ("date", "added", "created"),
    }

    lead_id: str
    name: str | None = None
    business: str | None = None
    phone: str | None = None
    email: str | None = None
    location: str | None = None
    instagram: str | None = None
    notes: str | None = None
    rep: str | None = None
    status: str | None = None
    date_added: str | None = None

    @model_validator(mode="after")
    def _identifies_someone(self) -> SheetLeadRow:
        if not (self.name or self.business or self.phone or self.email or self.instagram):
            raise ValueError(
                "no name, business, phone, email or instagram: the lead identifies no one"
            )
        return self


class SheetsLeadsProfile(SourceProfile):
    name: ClassVar[str] = "sheets-leads"
    source: ClassVar[str] = "sheets"
    description: ClassVar[str] = (
        "Google Sheets lead list (CSV export): a person or business per row"
    )
    row_model: ClassVar[type[SheetLeadRow]] = SheetLeadRow

    def to_items(self, row: Any) -> list[SourceItem]:
        row = c.as_row(SheetLeadRow, row)
        org = c.company("business", row.business)
        handles: list[HandleEvidence] = []
        found = c.handle("instagram", "instagram", row.instagram)
        if found is not None:
            handles.append(found)
        items: list[SourceItem] = []
        works_at: str | None = None
        fields: dict[str, PropertyValue]
        if row.name or org is None:
            kind = RecordKind.PERSON
            fields = c.person_fields("name", full=row.name)
            if org is not None:
                business = c.org_record(self.source, org)
                items.append(business)
                works_at = business.key
                fields["company"] = org.display
        else:
            kind = RecordKind.BUSINESS
            fields = c.business_fields(org)
        fields.update(
            {
                **c.place_fields("location", None, row.location, None),
                "notes": row.notes,
                "rep": row.rep,
                "status": row.status.lower() if row.status else None,
                "created": c.iso_date("date_added", row.date_added),
            }
        )
        items.append(
            EvidenceRecord(
                source=self.source,
                source_id=row.lead_id,
                kind=kind,
                fields=c.drop_empty(fields),
                emails=c.emails("email", row.email),
                phones=c.phones("phone", row.phone),
                handles=handles,
                works_at=works_at,
            )
        )
        return items

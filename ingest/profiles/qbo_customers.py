"""`qbo-customers`: QuickBooks Online Customer objects (API JSON).

Document shape: ``{"QueryResponse": {"Customer": [...]}}`` (or a bare array / JSONL of
Customer objects; ``{"QueryResponse": {}}``, QBO's answer to a query that matched
nothing, is no rows). Fields used, as QBO spells them: Id (required, the source_id),
DisplayName, Title, GivenName, MiddleName, FamilyName, Suffix, CompanyName,
PrimaryEmailAddr.Address (may hold several, comma separated), PrimaryPhone / Mobile /
AlternatePhone .FreeFormNumber, BillAddr / ShipAddr {Line1, Line2, City,
CountrySubDivisionCode (the parish), PostalCode, Country}, WebAddr.URI, Notes, Balance,
CurrencyRef.value, MetaData {CreateTime, LastUpdatedTime}, Active.

A customer with GivenName or FamilyName is a person ("qbo:<Id>"); when it also has a
CompanyName it yields the business record "qbo:org:<company key>" and works_at points
there. A customer with only CompanyName / DisplayName is a business ("qbo:<Id>").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from pydantic import model_validator

from ingest.model import AddressEvidence, EvidenceRecord, PropertyValue, RecordKind, SourceItem
from ingest.profiles import _common as c
from ingest.profiles._qbo import (
    QboAddr,
    QboEmail,
    QboMeta,
    QboPhone,
    QboRef,
    QboWebAddr,
    currency,
    query_rows,
)
from ingest.profiles.base import RowRejected, SourceProfile


class QboCustomerRow(c.RowModel):
    Id: str
    DisplayName: str | None = None
    Title: str | None = None
    GivenName: str | None = None
    MiddleName: str | None = None
    FamilyName: str | None = None
    Suffix: str | None = None
    CompanyName: str | None = None
    PrimaryEmailAddr: QboEmail | None = None
    PrimaryPhone: QboPhone | None = None
    Mobile: QboPhone | None = None
    AlternatePhone: QboPhone | None = None
    BillAddr: QboAddr | None = None
    ShipAddr: QboAddr | None = None
    WebAddr: QboWebAddr | None = None
    Notes: str | None = None
    Balance: float | None = None
    CurrencyRef: QboRef | None = None
    MetaData: QboMeta | None = None
    Active: bool | None = None

    @model_validator(mode="after")
    def _identifies_someone(self) -> QboCustomerRow:
        has_id = any(
            (
                self.PrimaryEmailAddr and self.PrimaryEmailAddr.Address,
                self.PrimaryPhone and self.PrimaryPhone.FreeFormNumber,
                self.Mobile and self.Mobile.FreeFormNumber,
            )
        )
        if not (
            self.DisplayName or self.GivenName or self.FamilyName or self.CompanyName or has_id
        ):
            raise ValueError(
                "no DisplayName, GivenName, FamilyName, CompanyName, email or phone: "
                "the customer identifies no one"
            )
        return self


def _phone(ref: QboPhone | None) -> str | None:
    return ref.FreeFormNumber if ref else None


def _address(field: str, addr: QboAddr | None) -> AddressEvidence | None:
    if addr is None:
        return None
    line2 = ", ".join(x for x in (addr.Line2, addr.Line3) if x) or None
    return c.address(
        field,
        addr.Line1,
        line2,
        city=addr.City,
        parish_raw=addr.CountrySubDivisionCode,
        postal=addr.PostalCode,
        country=addr.Country,
    )


class QboCustomersProfile(SourceProfile):
    name: ClassVar[str] = "qbo-customers"
    source: ClassVar[str] = "qbo"
    description: ClassVar[str] = (
        "QuickBooks Online Customer JSON (QueryResponse.Customer): persons, or businesses "
        "when the customer has only a company name"
    )
    row_model: ClassVar[type[QboCustomerRow]] = QboCustomerRow
    json_paths: ClassVar[tuple[tuple[str, ...], ...]] = (("QueryResponse", "Customer"),)

    def rows_from_json(self, document: Any) -> Iterable[Mapping[str, Any]]:
        """As the base class; an empty query response ``{"QueryResponse": {}}`` is no rows."""
        rows = query_rows(document, ("Customer",))
        return super().rows_from_json(document) if rows is None else rows

    def to_items(self, row: Any) -> list[SourceItem]:
        row = c.as_row(QboCustomerRow, row)
        is_person = bool(row.GivenName or row.FamilyName)
        org = c.company("CompanyName", row.CompanyName)

        addresses: list[AddressEvidence] = []
        for field, addr in (("BillAddr", row.BillAddr), ("ShipAddr", row.ShipAddr)):
            place = _address(field, addr)
            if place is not None and all(a.key != place.key for a in addresses):
                addresses.append(place)
        bill = row.BillAddr
        common: dict[str, PropertyValue] = {
            "display_name": row.DisplayName,
            **c.place_fields(
                "BillAddr",
                addresses[0] if addresses else None,
                bill.City if bill else None,
                bill.CountrySubDivisionCode if bill else None,
            ),
            "notes": row.Notes,
            "balance": c.money("Balance", row.Balance),
            "currency": currency(row.CurrencyRef),
            "active": row.Active,
            "created": c.iso_date(
                "MetaData.CreateTime", row.MetaData.CreateTime if row.MetaData else None
            ),
            "updated": c.iso_date(
                "MetaData.LastUpdatedTime", row.MetaData.LastUpdatedTime if row.MetaData else None
            ),
        }
        emails = c.emails(
            "PrimaryEmailAddr.Address",
            row.PrimaryEmailAddr.Address if row.PrimaryEmailAddr else None,
        )
        phones = c.uniq(
            c.phones("PrimaryPhone.FreeFormNumber", _phone(row.PrimaryPhone))
            + c.phones("Mobile.FreeFormNumber", _phone(row.Mobile))
            + c.phones("AlternatePhone.FreeFormNumber", _phone(row.AlternatePhone))
        )
        site = c.website("WebAddr.URI", row.WebAddr.URI if row.WebAddr else None)

        items: list[SourceItem] = []
        works_at: str | None = None
        if is_person:
            fields = c.person_fields(
                "GivenName/FamilyName", given=row.GivenName, family=row.FamilyName
            )
            if row.Title and "title" not in fields:
                fields["title"] = row.Title
            if row.MiddleName:
                fields["middle_name"] = row.MiddleName
            fields["company"] = org.display if org else None
            if org is not None:
                business = c.org_record(self.source, org)
                items.append(business)
                works_at = business.key
            kind = RecordKind.PERSON
        else:
            name = org or c.company("DisplayName", row.DisplayName)
            if name is not None:
                fields = c.business_fields(name)
            elif emails or phones:
                fields = {}
            else:
                raise RowRejected(
                    "DisplayName: no usable CompanyName or DisplayName and no email or phone"
                )
            kind = RecordKind.BUSINESS
        fields.update(common)
        items.append(
            EvidenceRecord(
                source=self.source,
                source_id=row.Id,
                kind=kind,
                fields=c.drop_empty(fields),
                emails=emails,
                phones=phones,
                addresses=addresses,
                websites=[site] if site else [],
                works_at=works_at,
            )
        )
        return items

"""`directory`: business directory listings (Yellow Pages style), a JSON array.

Each object: listingId (required, string or number), businessName, categories (list or
one string), phones (list or one string), email, website, address {street, city,
parish, postalCode} (or one string: the street line), rating, reviewCount, hours (a
map day -> hours, a list, or one string), description.

Every listing is a business record ("directory:<listingId>"): name, company_key,
categories, rating, review_count, hours flattened to one string ("Mon 8:00-17:00; ..."),
city and parish; phones, email, the web site's domain and the address as identifiers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from ingest.model import AddressEvidence, EvidenceRecord, PropertyValue, RecordKind, SourceItem
from ingest.profiles import _common as c
from ingest.profiles.base import SourceProfile


class ListingAddress(c.RowModel):
    street: str | None = None
    street2: str | None = None
    city: str | None = None
    parish: str | None = None
    postalCode: str | None = None


class DirectoryListingRow(c.RowModel):
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "listingId": ("id", "listing_id"),
        "businessName": ("name", "business_name"),
        "reviewCount": ("review_count", "reviews"),
    }

    listingId: str
    businessName: str | None = None
    categories: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    email: str | None = None
    website: str | None = None
    address: ListingAddress | None = None
    rating: float | None = Field(default=None, ge=0, le=5)
    reviewCount: int | None = Field(default=None, ge=0)
    hours: dict[str, str] | list[str] | str | None = None
    description: str | None = None

    @field_validator("categories", "phones", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value

    @field_validator("address", mode="before")
    @classmethod
    def _street_only(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"street": value}
        return value

    @model_validator(mode="after")
    def _identifies_something(self) -> DirectoryListingRow:
        if not (self.businessName or self.phones or self.email or self.website):
            raise ValueError(
                "no businessName, phones, email or website: the listing identifies nothing"
            )
        return self


def flat_hours(hours: dict[str, str] | list[str] | str | None) -> str | None:
    if hours is None:
        return None
    if isinstance(hours, str):
        return hours
    if isinstance(hours, dict):
        return "; ".join(f"{day} {span}".strip() for day, span in hours.items()) or None
    return "; ".join(hours) or None


class DirectoryProfile(SourceProfile):
    name: ClassVar[str] = "directory"
    source: ClassVar[str] = "directory"
    description: ClassVar[str] = "Business directory listings (JSON array): one business each"
    row_model: ClassVar[type[DirectoryListingRow]] = DirectoryListingRow
    json_paths: ClassVar[tuple[tuple[str, ...], ...]] = (("listings",), ("results",))

    def to_items(self, row: Any) -> list[SourceItem]:
        row = c.as_row(DirectoryListingRow, row)
        org = c.company("businessName", row.businessName)
        fields: dict[str, PropertyValue] = c.business_fields(org) if org else {}
        addr = row.address
        addresses: list[AddressEvidence] = []
        if addr is not None:
            place = c.address(
                "address",
                addr.street,
                addr.street2,
                city=addr.city,
                parish_raw=addr.parish,
                postal=addr.postalCode,
            )
            if place is not None:
                addresses.append(place)
        phones: list[str] = []
        for number in row.phones:
            phones.extend(c.phones("phones", number))
        site = c.website("website", row.website)
        fields.update(
            {
                "categories": c.uniq(row.categories),
                "rating": row.rating,
                "review_count": row.reviewCount,
                "hours": flat_hours(row.hours),
                "description": row.description,
                **c.place_fields(
                    "address",
                    addresses[0] if addresses else None,
                    addr.city if addr else None,
                    addr.parish if addr else None,
                ),
            }
        )
        return [
            EvidenceRecord(
                source=self.source,
                source_id=row.listingId,
                kind=RecordKind.BUSINESS,
                fields=c.drop_empty(fields),
                emails=c.emails("email", row.email),
                phones=c.uniq(phones),
                addresses=addresses,
                websites=[site] if site else [],
            )
        ]

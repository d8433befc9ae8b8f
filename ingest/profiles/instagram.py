"""`instagram`: public Instagram profiles (business / creator / personal), JSONL.

One object a line, in the shape of Instagram's profile info: username (required, the
source_id, kept as the folded handle), full_name, biography, external_url,
business_email (or public_email), business_phone_number (or public_phone_number /
contact_phone_number, with public_phone_country_code when given apart),
business_category_name (or category_name), follower_count, following_count, city_name,
is_business_account, follows (the handles this account follows: a JSON list, or one text
split at commas and spaces).

A business account is a business record, any other a person record
("instagram:<handle>"). Identifiers: the Handle (platform "instagram"), email, phone and
the external_url's domain, unless that is a link-in-bio or social host (linktr.ee,
wa.me, ...), which is no one's own site; the url itself stays in fields. The biography
goes into fields["biography"]; `follows` into fields["follows"] as handle keys
("instagram:<handle>", the Handle nodes' key; the account itself and repeats dropped), which
relationship mapping turns into FOLLOWS between the customers holding those handles; a
followed handle that is not a handle refuses the row, naming its place (`follows[2]`). The name is read without its decorations: what follows
"|" or "•" and emoji are left out ("Tasha Brown 🌺 | Nails" -> "Tasha Brown").
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import Field, field_validator

from ingest.model import EvidenceRecord, PropertyValue, RecordKind, SourceItem
from ingest.profiles import _common as c
from ingest.profiles.base import RowRejected, SourceProfile


class InstagramProfileRow(c.RowModel):
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "username": ("handle", "user_name"),
        "business_email": ("public_email", "email"),
        "business_phone_number": ("public_phone_number", "contact_phone_number", "phone"),
        "business_category_name": ("category_name", "category"),
        "follower_count": ("followers_count", "followers"),
        "following_count": ("follows_count", "following"),
        "city_name": ("city",),
    }

    username: str
    full_name: str | None = None
    biography: str | None = None
    external_url: str | None = None
    business_email: str | None = None
    business_phone_number: str | None = None
    public_phone_country_code: str | None = None
    business_category_name: str | None = None
    follower_count: int | None = Field(default=None, ge=0)
    following_count: int | None = Field(default=None, ge=0)
    city_name: str | None = None
    is_business_account: bool = False
    is_verified: bool | None = None
    follows: list[str] | None = None

    @field_validator("follows", mode="before")
    @classmethod
    def _split_follows(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in re.split(r"[,\s]+", value) if part]
        return value


_NAME_CUT = re.compile(r"\s*[|•·]\s*")


def plain_name(text: str | None) -> str | None:
    """A display name without its decorations: the part before "|" / "•", emoji dropped
    ("Tasha Brown 🌺 | Nails" -> "Tasha Brown")."""
    if not text:
        return None
    head = _NAME_CUT.split(text, maxsplit=1)[0]
    words = [w for w in head.split() if w.isascii() or any(ch.isalnum() for ch in w)]
    return " ".join(words) or None


def _phone_text(row: InstagramProfileRow) -> str | None:
    number = row.business_phone_number
    code = (row.public_phone_country_code or "").lstrip("+")
    if number and code and not number.lstrip().startswith("+"):
        return f"+{code} {number}"
    return number


def _follows(handles: list[str] | None, own: str) -> list[str]:
    """The followed accounts as handle keys, in order, without the account itself."""
    keys: dict[str, None] = {}
    for i, raw in enumerate(handles or ()):
        found = c.handle(f"follows[{i}]", "instagram", raw)
        if found is not None and found.key != own:
            keys[found.key] = None
    return list(keys)


class InstagramProfile(SourceProfile):
    name: ClassVar[str] = "instagram"
    source: ClassVar[str] = "instagram"
    description: ClassVar[str] = (
        "Instagram public profiles (JSONL): business accounts as businesses, others as persons"
    )
    row_model: ClassVar[type[InstagramProfileRow]] = InstagramProfileRow

    def to_items(self, row: Any) -> list[SourceItem]:
        row = c.as_row(InstagramProfileRow, row)
        found = c.handle("username", "instagram", row.username)
        if found is None:
            raise RowRejected(f"username: {row.username!r} is not an Instagram handle")
        fields: dict[str, PropertyValue]
        if row.is_business_account:
            kind = RecordKind.BUSINESS
            org = c.company("full_name", plain_name(row.full_name))
            fields = c.business_fields(org) if org else {}
        else:
            kind = RecordKind.PERSON
            fields = c.person_fields("full_name", full=plain_name(row.full_name))
        fields.update(
            {
                "username": found.value,
                "biography": row.biography,
                "external_url": row.external_url,
                "category": row.business_category_name,
                "follower_count": row.follower_count,
                "following_count": row.following_count,
                "city": row.city_name,
                "is_business": row.is_business_account,
                "follows": _follows(row.follows, own=found.key),
            }
        )
        site = c.website("external_url", row.external_url)
        return [
            EvidenceRecord(
                source=self.source,
                source_id=found.value,
                kind=kind,
                fields=c.drop_empty(fields),
                emails=c.emails("business_email", row.business_email),
                phones=c.phones("business_phone_number", _phone_text(row)),
                handles=[found],
                websites=[site] if site else [],
            )
        ]

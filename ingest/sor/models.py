"""Pydantic models for what callers hand the system of record.

Every field is optional in the model and only the fields a caller sets are written, so
one model serves an insert and a partial update; which columns an insert needs comes
from the table itself (`SystemOfRecord` checks NOT NULL columns). Values are checked and
put in their stored form here (E.164 phones, canonical parish spelling, upper-case
currency), so the database's CHECK constraints are a second line, not the first.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from ingest.normalise import PARISHES, InvalidValue, phone_e164
from ingest.sor.schema import (
    ADDRESS_LEN,
    COMPANY_LEN,
    EMAIL_LEN,
    NAME_LEN,
    URL_LEN,
)


def _blank_to_none(value: object) -> object:
    """Forms send "" for a field left empty; store NULL, not an empty string."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _strip(value: object) -> object:
    value = _blank_to_none(value)
    return value.strip() if isinstance(value, str) else value


_EMAIL = re.compile(
    r"^[^\s@<>()\[\],;:\"\\]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def _email(value: str | None) -> str | None:
    """As given (a mailbox is the customer's spelling), but well formed; domain lower."""
    if value is None:
        return None
    if len(value) > EMAIL_LEN:
        raise ValueError(f"an email address has at most {EMAIL_LEN} characters")
    if not _EMAIL.match(value) or ".." in value:
        raise ValueError(f"{value!r} is not a valid email address")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _phone(value: str | None) -> str | None:
    """E.164; Jamaican local forms ("876-555-1234", "555-1234") get +1 876."""
    if value is None:
        return None
    try:
        return phone_e164(value)
    except InvalidValue as exc:
        raise ValueError(str(exc)) from None


def _parish_key(text: str) -> str:
    key = " ".join(text.lower().replace(".", " ").split())
    return re.sub(r"^saint\b", "st", key)


_PARISH_BY_KEY = {_parish_key(p): p for p in PARISHES}


def _parish(value: str | None) -> str | None:
    """One of Jamaica's 14 parishes, spelled canonically ("st andrew" -> "St. Andrew").
    Strict on purpose: a town is not a parish, and guessing belongs to ingest."""
    if value is None:
        return None
    found = _PARISH_BY_KEY.get(_parish_key(value))
    if found is None:
        raise ValueError(f"{value!r} is not a parish of Jamaica (one of: {', '.join(PARISHES)})")
    return found


def _currency(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"{value!r} is not an ISO 4217 currency code such as JMD or USD")
    return code


def _past_date(value: date | None) -> date | None:
    if value is not None and not date(1900, 1, 1) <= value <= datetime.now(UTC).date():
        raise ValueError(f"{value.isoformat()} is not a plausible date of birth")
    return value


def _website(value: str | None) -> str | None:
    if value is None:
        return None
    if any(c.isspace() for c in value) or "." not in value:
        raise ValueError(f"{value!r} is not a web address")
    return value


# Optional text of bounded length, stripped, blank -> None (written out: mypy wants
# literal aliases).
Name = Annotated[
    Annotated[str, StringConstraints(max_length=NAME_LEN)] | None, BeforeValidator(_strip)
]
Company = Annotated[
    Annotated[str, StringConstraints(max_length=COMPANY_LEN)] | None, BeforeValidator(_strip)
]
Address = Annotated[
    Annotated[str, StringConstraints(max_length=ADDRESS_LEN)] | None, BeforeValidator(_strip)
]
Short = Annotated[Annotated[str, StringConstraints(max_length=50)] | None, BeforeValidator(_strip)]
Reference = Annotated[
    Annotated[str, StringConstraints(max_length=64)] | None, BeforeValidator(_strip)
]
Description = Annotated[
    Annotated[str, StringConstraints(max_length=URL_LEN)] | None, BeforeValidator(_strip)
]
Email = Annotated[str | None, BeforeValidator(_strip), AfterValidator(_email)]
Phone = Annotated[str | None, BeforeValidator(_strip), AfterValidator(_phone)]
Parish = Annotated[str | None, BeforeValidator(_strip), AfterValidator(_parish)]
Website = Annotated[
    Annotated[str, StringConstraints(max_length=URL_LEN)] | None,
    BeforeValidator(_strip),
    AfterValidator(_website),
]
Currency = Annotated[str | None, BeforeValidator(_strip), AfterValidator(_currency)]
LongText = Annotated[str | None, BeforeValidator(_blank_to_none)]
Money = Annotated[Decimal, Field(max_digits=18, decimal_places=2)] | None
Channel = Literal["call", "email", "sms", "whatsapp", "meeting", "visit", "social", "other"]


class _Row(BaseModel):
    """Unknown fields are refused: a misspelt column must not vanish silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: UUID | None = None


class CustomerIn(_Row):
    kind: Literal["person", "business"] | None = None
    given_name: Name = None
    family_name: Name = None
    company_name: Company = None
    email: Email = None
    phone: Phone = None
    address_line1: Address = None
    address_line2: Address = None
    city: Name = None
    parish: Parish = None
    date_of_birth: Annotated[date | None, AfterValidator(_past_date)] = None
    website: Website = None
    notes: LongText = None
    status: Literal["lead", "prospect", "active", "inactive"] | None = None
    owner_rep_id: UUID | None = None


class SalesRepIn(_Row):
    given_name: Name = None
    family_name: Name = None
    email: Email = None
    phone: Phone = None
    territory: Parish = None
    active: bool | None = None


class InteractionIn(_Row):
    customer_id: UUID | None = None
    rep_id: UUID | None = None
    campaign_id: UUID | None = None
    channel: Channel | None = None
    direction: Literal["inbound", "outbound"] | None = None
    occurred_at: datetime | None = None
    subject: Company = None
    notes: LongText = None
    outcome: Short = None


class TransactionIn(_Row):
    customer_id: UUID | None = None
    campaign_id: UUID | None = None
    kind: Literal["sale", "refund", "payment", "credit"] | None = None
    occurred_at: datetime | None = None
    amount: Money = None
    currency: Currency = None
    reference: Reference = None
    description: Description = None

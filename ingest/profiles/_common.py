"""Shared pieces of the source profiles: a tolerant row model and normalising helpers.

Row models
    `RowModel` ignores extra columns, strips strings, treats "" as missing, refuses a
    string longer than `MAX_FIELD_CHARS` ("absurdly long field") and says "is required
    but empty" for a required field given as "". Tabular models (`tabular = True`)
    re-normalise their keys to lower_snake_case themselves (idempotent on what the
    reader already did; "#" reads as "no", so "Phone #" is `phone_no` and "#" is `no`)
    and may list `aliases`: other column names a field is taken from when its own column
    is absent or blank.

Helpers
    Every helper that wraps `ingest.normalise` re-raises `InvalidValue` with the name of
    the field in front ("email: ..."), so a quarantined row says which column was bad.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from types import TracebackType
from typing import Any, ClassVar, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from ingest import normalise
from ingest.columns import snake_header
from ingest.model import (
    AddressEvidence,
    EvidenceRecord,
    HandleEvidence,
    PropertyValue,
    RecordKind,
)
from ingest.normalise import InvalidValue

MAX_FIELD_CHARS = 1000
# Entries of each memoised helper below. Exports repeat names, companies, towns and
# addresses row after row; the helpers are pure, so a repeat costs a look-up.
MEMO_SIZE = 1 << 14

M = TypeVar("M", bound=BaseModel)

# Link-in-bio, short-link and social hosts: the link a profile or listing gives is not
# the business's own web site, and a shared one would tie unrelated records together.
NOT_OWN_WEBSITE: frozenset[str] = frozenset(
    {
        "linktr.ee",
        "linkin.bio",
        "lnk.bio",
        "beacons.ai",
        "taplink.cc",
        "campsite.bio",
        "msha.ke",
        "shor.by",
        "bio.link",
        "linkpop.com",
        "bit.ly",
        "tinyurl.com",
        "goo.gl",
        "wa.me",
        "api.whatsapp.com",
        "whatsapp.com",
        "instagram.com",
        "facebook.com",
        "fb.com",
        "m.facebook.com",
        "tiktok.com",
        "twitter.com",
        "x.com",
        "youtube.com",
        "youtu.be",
        "linkedin.com",
        "google.com",
        "maps.google.com",
        "g.page",
        "business.site",
    }
)

_EMAIL_SPLIT_RE = re.compile(r"\s*[;,]\s*|\s+/\s+|\s+or\s+", re.IGNORECASE)


snake = snake_header  # the readers' header normalisation, cached


class RowModel(BaseModel):
    """Base of every row model (and of the nested models of JSON rows)."""

    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        coerce_numbers_to_str=True,
        frozen=True,
    )

    # Re-normalise keys to lower_snake_case (CSV / XLSX rows).
    tabular: ClassVar[bool] = False
    # field -> other keys it is read from, first non-blank wins.
    aliases: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    # Set for each subclass: the fields without a default, and the optional fields that
    # default to None (for which a blank value and no value come to the same).
    required_fields: ClassVar[frozenset[str]] = frozenset()
    none_default_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        fields = cls.model_fields
        cls.required_fields = frozenset(n for n, f in fields.items() if f.is_required())
        cls.none_default_fields = frozenset(
            name
            for name, field in fields.items()
            if not field.is_required()
            and field.default is None
            and type(None) in get_args(field.annotation)
        )

    @model_validator(mode="before")
    @classmethod
    def _prepare_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        prepared = _snake_keys(data) if cls.tabular else dict(data)
        if cls.aliases:
            for name, alternatives in _alias_plan(cls, tuple(prepared)):
                if _blank(prepared.get(name)):
                    for alternative in alternatives:
                        if not _blank(prepared.get(alternative)):
                            prepared[name] = prepared[alternative]
                            break
        # A blank field that defaults to None reads as that default when left out, which
        # spares its validators (much of the cost of a row): they would only make it None.
        optional = cls.none_default_fields
        blank = [
            k
            for k, v in prepared.items()
            if (v is None or (isinstance(v, str) and not v.strip())) and k in optional
        ]
        for key in blank:
            del prepared[key]
        return prepared

    @field_validator("*", mode="before")
    @classmethod
    def _clean_value(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str):
            value = _clean_str(value)
        elif isinstance(value, list):
            cleaned = []
            for item in value:
                if isinstance(item, str):
                    item = _clean_str(item)
                    if item is None:
                        continue
                cleaned.append(item)
            value = cleaned
        if value is None and info.field_name in cls.required_fields:
            raise ValueError("is required but empty")
        return value


def _snake_keys(data: Mapping[Any, Any]) -> dict[str, Any]:
    """`data` with its keys in lower_snake_case; of two keys that become one name, the
    first non-blank value wins. csv.DictReader's None key (surplus cells) is dropped."""
    keys = tuple(data)
    names = _snake_names(keys)
    if names is not None:
        return dict(zip(names, data.values(), strict=True))
    prepared: dict[str, Any] = {}
    for key, value in data.items():
        if key is None:
            continue
        name = snake(str(key))
        if name not in prepared or _blank(prepared[name]):
            prepared[name] = value
    return prepared


@lru_cache(maxsize=256)
def _snake_names(keys: tuple[Any, ...]) -> tuple[str, ...] | None:
    """The snake_case names of a row's keys, the same for every row of a file; None when
    two keys collide or one is None, which needs the row's values to settle."""
    if None in keys:
        return None
    names = tuple(snake(str(key)) for key in keys)
    return names if len(set(names)) == len(names) else None


@lru_cache(maxsize=1024)
def _alias_plan(
    model: type[RowModel], keys: tuple[str, ...]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The aliases of `model` that can apply to a row with these keys: a field none of
    whose other names is there (or set from an alias) keeps what the row gave it."""
    present = set(keys) | set(model.aliases)
    return tuple(
        (name, alternatives)
        for name, alternatives in model.aliases.items()
        if not present.isdisjoint(alternatives)
    )


def _clean_str(value: str) -> str | None:
    value = value.strip()
    if len(value) > MAX_FIELD_CHARS:
        raise ValueError(
            f"absurdly long field: {len(value)} characters (the limit is {MAX_FIELD_CHARS})"
        )
    return value or None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class field_errors:  # a context manager, named like contextlib.suppress
    """Re-raise a normaliser's `InvalidValue` with the field's name in front.

    A class rather than a @contextmanager generator: it wraps several calls per row."""

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        self.field = field

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, InvalidValue):
            raise InvalidValue(f"{self.field}: {exc}") from exc


def uniq(values: Iterable[str | None]) -> list[str]:
    """Non-empty values, first occurrence kept, in order."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def emails(field: str, raw: str | None) -> list[str]:
    """The addresses in one cell ("a@x.com; b@y.com"), canonical, deduplicated."""
    if not raw:
        return []
    out: list[str] = []
    with field_errors(field):
        for part in _EMAIL_SPLIT_RE.split(raw):
            value = normalise.email(part) if part.strip() else None
            if value:
                out.append(value)
    return uniq(out)


def phones(field: str, raw: str | None) -> list[str]:
    """The numbers in one cell, E.164, deduplicated."""
    if not raw:
        return []
    with field_errors(field):
        return uniq(normalise.phones(raw))


def website(field: str, raw: str | None) -> str | None:
    """The bare domain of the business's own site; link-in-bio and social hosts give None."""
    if not raw:
        return None
    with field_errors(field):
        domain = normalise.website_domain(raw)
    if domain is None:
        return None
    bare = domain.removeprefix("www.")
    if bare in NOT_OWN_WEBSITE or domain in NOT_OWN_WEBSITE:
        return None
    return domain


def handle(field: str, platform: str, raw: str | None) -> HandleEvidence | None:
    if not raw:
        return None
    with field_errors(field):
        value = normalise.handle(platform, raw)
    return HandleEvidence(platform=platform, value=value) if value else None


def iso_date(field: str, raw: str | None) -> str | None:
    if not raw:
        return None
    with field_errors(field):
        return normalise.iso_date(raw)


def iso_datetime(field: str, raw: str | None) -> str | None:
    """An ISO-8601 timestamp kept to the second when it has a time; else the ISO date."""
    if not raw:
        return None
    text = raw.strip()
    if len(text) > 10 and ("T" in text or " " in text):
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
        except ValueError:
            pass
    return iso_date(field, text)


def money(field: str, raw: str | float | int | None) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    with field_errors(field):
        return normalise.money(raw)


def parish(field: str, raw: str | None) -> str | None:
    if not raw:
        return None
    with field_errors(field):
        return normalise.parish(raw)


def address(
    field: str,
    line1: str | None,
    line2: str | None = None,
    city: str | None = None,
    parish_raw: str | None = None,
    postal: str | None = None,
    country: str | None = None,
) -> AddressEvidence | None:
    """A postal address, only when it has a street line.

    A town or parish alone is not an address: as a shared `Address` node it would tie
    together everyone in that town. Those go into the record's fields instead.
    """
    if not line1:
        return None
    return _address(field, line1, line2, city, parish_raw, postal, country)


@lru_cache(maxsize=MEMO_SIZE)
def _address(
    field: str,
    line1: str,
    line2: str | None,
    city: str | None,
    parish_raw: str | None,
    postal: str | None,
    country: str | None,
) -> AddressEvidence | None:
    with field_errors(field):
        return normalise.address(
            line1=line1,
            line2=line2,
            city=city,
            parish_raw=parish_raw,
            postal=postal,
            country=country,
        )


def place_fields(
    field: str, place: AddressEvidence | None, city: str | None, parish_raw: str | None
) -> dict[str, PropertyValue]:
    """city, parish and postal_zone for a record's fields: from the cleaned address when
    there is one, else read from the town and parish columns alone ("Mobay" -> city
    "Montego Bay", parish "St. James"; "Kingston 6, St. Andrew" -> Kingston / St. Andrew /
    "Kingston 6"). Only fields: a town is not an `Address` node."""
    if place is None:
        if not (city or parish_raw):
            return {}
        return dict(_town_fields(field, city, parish_raw))
    return _place_fields(place)


@lru_cache(maxsize=MEMO_SIZE)
def _town_fields(field: str, city: str | None, parish_raw: str | None) -> dict[str, PropertyValue]:
    """`place_fields` without an address (cached: callers get a copy)."""
    with field_errors(field):
        place = normalise.address(city=city, parish_raw=parish_raw)
    return {} if place is None else _place_fields(place)


def _place_fields(place: AddressEvidence) -> dict[str, PropertyValue]:
    town = place.city
    if town is not None and place.parish is not None and _only_names_parish(town, place.parish):
        town = None
    return {"city": town, "parish": place.parish, "postal_zone": place.postal_zone}


@lru_cache(maxsize=MEMO_SIZE)
def _only_names_parish(town: str, parish_name: str) -> bool:
    """True for a "town" that is the parish itself, misspelt ("St Cathrine")."""
    folded = normalise.fold(town)
    if folded in normalise.TOWN_PARISH or folded == "kingston":
        return False
    return normalise.parish(town) == parish_name


def person_fields(
    field: str,
    full: str | None = None,
    given: str | None = None,
    family: str | None = None,
) -> dict[str, PropertyValue]:
    """name, name_folded, given_name, family_name (and title) of a person; {} if no name."""
    if not (full or given or family):
        return {}
    return dict(_person_fields(field, full, given, family))


@lru_cache(maxsize=MEMO_SIZE)
def _person_fields(
    field: str, full: str | None, given: str | None, family: str | None
) -> dict[str, PropertyValue]:
    """`person_fields` (cached: callers get a copy)."""
    with field_errors(field):
        name = normalise.person_name(full=full, given=given, family=family)
    if name is None:
        return {}
    out: dict[str, PropertyValue] = {"name": name.full, "name_folded": name.folded}
    if name.given:
        out["given_name"] = name.given
    if name.family:
        out["family_name"] = name.family
    if name.title:
        out["title"] = name.title
    return out


@lru_cache(maxsize=MEMO_SIZE)
def company(field: str, raw: str | None) -> normalise.CompanyName | None:
    if not raw:
        return None
    with field_errors(field):
        name = normalise.company_name(raw)
    return name if name is not None and name.key else None


def business_fields(name: normalise.CompanyName) -> dict[str, PropertyValue]:
    """name, name_folded, company_key of a business."""
    return {
        "name": name.display,
        "name_folded": normalise.fold(name.display),
        "company_key": name.key,
    }


def org_source_id(name: normalise.CompanyName) -> str:
    """source_id of the business record a person's company column implies."""
    return f"org:{name.key}"


def org_record(source: str, name: normalise.CompanyName) -> EvidenceRecord:
    """The business record implied by a company column ("<source>:org:<company key>").

    Marked `derived`, and built from the company key alone (display name re-cased from
    the key: "BLUE MOUNTAIN COFFEE CO. LTD" and "Blue Mountain Coffee Limited" both give
    "Blue Mountain Coffee"), so every row naming the company yields the identical record
    and its content hash does not flap between spellings."""
    shown, folded = _org_name(name.key)
    return EvidenceRecord(
        source=source,
        source_id=org_source_id(name),
        kind=RecordKind.BUSINESS,
        fields={"name": shown, "name_folded": folded, "company_key": name.key},
        derived=True,
    )


@lru_cache(maxsize=MEMO_SIZE)
def _org_name(key: str) -> tuple[str, str]:
    """Display name and its folded form of the business with this company key."""
    display = normalise.company_name(key)
    shown = display.display if display is not None else key
    return shown, normalise.fold(shown)


def drop_empty(fields: Mapping[str, PropertyValue]) -> dict[str, PropertyValue]:
    """The fields with a value (None, "" and [] dropped)."""
    return {k: v for k, v in fields.items() if v is not None and v != "" and v != []}


def as_row(model: type[M], row: Any) -> M:
    """`row` as the profile's row model: a validated row as is, a raw mapping validated."""
    if isinstance(row, model):
        return row
    if isinstance(row, Mapping):
        return model.model_validate(row)
    raise TypeError(f"expected a {model.__name__} or a mapping, got {type(row).__name__}")

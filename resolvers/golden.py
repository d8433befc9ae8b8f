"""Golden records: one `Customer` per cluster, its fields chosen by survivorship rules.

The rules live in `resolvers.config.Survivorship`; this module only applies them. Every
record keeps its own values in the evidence layer: the golden record is derived, and is
rebuilt whenever its cluster changes.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

from resolvers.comparisons import fold
from resolvers.config import Rule, Survivorship
from resolvers.records import IDENTIFIER_COLUMNS, ResolutionRecord

# Identifier fields whose every distinct value the golden record also lists, under the
# plural the record view uses ("email" -> "emails").
LIST_FIELDS = dict(IDENTIFIER_COLUMNS)

# What `search_text` joins, in this order: every distinct value of each field over the
# cluster's records ("phone" adds each number's last 7 digits: the local number people
# type).
SEARCH_FIELDS = ("name", "given_name", "family_name", "email", "phone", "company_key", "city")


def golden_fields(records: Sequence[ResolutionRecord], rules: Survivorship) -> dict[str, Any]:
    """The survived fields of one cluster, plus completeness, record count and sources."""
    trust = {source: rank for rank, source in enumerate(rules.source_trust)}
    kind = _majority_kind(records)
    # Each field's values over the cluster, read once for the rules, lists and search text.
    found = {
        field: [(value, record) for record in records for value in _values(record, field)]
        for field in dict.fromkeys([*rules.rules, *LIST_FIELDS, *SEARCH_FIELDS])
    }
    out: dict[str, Any] = {}
    for field, rule in rules.rules.items():
        candidates = found[field]
        # A person's correction (an override source) beats every rule for the fields it sets.
        overriding = [c for c in candidates if c[1].source in rules.override_sources]
        if overriding:
            out[field] = _choose(overriding, Rule.RECENT, trust)
        elif candidates:
            out[field] = _choose(candidates, rule, trust)
    # All distinct values of the identifier fields, for search and the 360 view.
    for field, plural in LIST_FIELDS.items():
        values = sorted({value for value, _ in found[field]})
        if values:
            out[plural] = values
    wanted = rules.completeness_fields.get(kind, [])
    out["completeness"] = (
        round(sum(1 for f in wanted if out.get(f)) / len(wanted), 3) if wanted else 0.0
    )
    search = _search_text(found)
    if search:
        out["search_text"] = search
    out["record_count"] = len(records)
    out["sources"] = sorted({r.source for r in records})
    out["kind"] = kind
    return out


def _search_text(found: dict[str, list[tuple[str, ResolutionRecord]]]) -> str:
    """One lower-case, accent-folded string of the cluster's names, given and family
    names, emails, phone numbers (E.164 and the last 7 digits), company keys and cities,
    each distinct value once: what a full-text index over customers reads."""
    parts: dict[str, None] = {}
    for field in SEARCH_FIELDS:
        for value in sorted({value for value, _ in found[field]}):
            parts.setdefault(fold(value))
            if field == "phone":
                digits = "".join(ch for ch in value if ch.isdigit())
                if len(digits) > 7:
                    parts.setdefault(digits[-7:])
    return " ".join(p for p in parts if p)


def _majority_kind(records: Sequence[ResolutionRecord]) -> str:
    people = sum(1 for r in records if r.kind == "person")
    return "person" if people >= sum(1 for r in records if r.kind == "business") else "business"


def _values(record: ResolutionRecord, field: str) -> list[str]:
    if field == "name":
        return [record.name] if record.name else []
    if field == "owner":
        return [record.owner] if record.owner else []
    if field in ("given_name", "family_name", "city"):
        # Stored lower-cased for comparison; the golden record shows them capitalised
        # (a city word by word: "St. Ann's Bay", which title() would make "Ann'S").
        value = record.values.get(field)
        if not isinstance(value, str) or not value:
            return []
        return [string.capwords(value) if field == "city" else value.title()]
    value = record.values.get(field)
    if isinstance(value, list):
        return [v for v in value if v]
    return [value] if value else []


def _choose(
    candidates: list[tuple[str, ResolutionRecord]], rule: Rule, trust: dict[str, int]
) -> str:
    first = candidates[0][0]
    if len(candidates) == 1 or all(value == first for value, _ in candidates):
        return first  # one value: every rule chooses it

    def trust_rank(record: ResolutionRecord) -> tuple[int, str]:
        return (trust.get(record.source, len(trust)), record.source)

    def tie_break(item: tuple[str, ResolutionRecord]) -> tuple[Any, ...]:
        value, record = item
        return (trust_rank(record), -record.ingested_at, record.key, value)

    if rule is Rule.TRUST:
        return min(candidates, key=tie_break)[0]
    if rule is Rule.RECENT:
        return min(candidates, key=lambda c: (-c[1].ingested_at, *tie_break(c)))[0]
    if rule is Rule.LONGEST:
        return min(candidates, key=lambda c: (-len(c[0].replace(".", "")), *tie_break(c)))[0]
    counts = Counter(value for value, _ in candidates)
    return min(candidates, key=lambda c: (-counts[c[0]], *tie_break(c)))[0]

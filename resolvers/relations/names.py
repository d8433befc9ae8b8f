"""Referral names: who a raw "Referred By" text names, among the person customers.

People write referrers the way they say them: a nickname (Liz for Elizabeth), a typo,
an initial. So a name is looked up in tiers, best first (exact, nickname, one edit in
the family name, initial), and the first tier with any candidate decides. Several
candidates in that tier are narrowed by context (the referrer shares the referred
customer's parish, or is an account of the same sales rep); a name that stays ambiguous
is not linked: a wrong referral is worse than a missing one. (The demo data draws
referrers with no regard to place or rep, so there context is noise: at 20k demo people
links were 66% right with it and 83% without; `use_context=False` turns it off.)
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import jellyfish

from resolvers.comparisons import fold
from resolvers.nicknames import are_nicknames

# Strength of a unique match per tier; a match that needed context to single it out
# loses CONTEXT_PENALTY.
TIER_STRENGTH: dict[str, float] = {"exact": 0.9, "nickname": 0.75, "typo": 0.7, "initial": 0.6}
CONTEXT_PENALTY = 0.15
# Tiers whose namesakes context may separate: an initial and a family name ("J. Brown")
# fit too many people for a shared parish or rep to single one out.
CONTEXT_TIERS = frozenset({"exact", "nickname", "typo"})

_PUNCT = re.compile(r"[^\w\s,]")


@dataclass(frozen=True)
class Person:
    """A person customer as referral matching sees it (values folded)."""

    id: str
    names: frozenset[tuple[str, str]]  # (first given word, last family word)
    parishes: frozenset[str] = frozenset()
    owners: frozenset[str] = frozenset()

    @property
    def families(self) -> frozenset[str]:
        return frozenset(f for _, f in self.names if f)


@dataclass(frozen=True)
class Referral:
    """One record's referred_by text and the context of the customer it refers."""

    record: str
    text: str
    customer: str
    parishes: frozenset[str] = frozenset()
    owners: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ReferralMatch:
    status: str  # linked | ambiguous | unmatched | self
    referrer: str | None = None
    strength: float = 0.0
    tier: str | None = None
    context: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()


def name_key(given: str | None, family: str | None) -> tuple[str, str]:
    """(first word of the given name, last word of the family name), folded."""
    g = fold(_PUNCT.sub(" ", given or "")).split()
    f = fold(_PUNCT.sub(" ", family or "")).split()
    return (g[0] if g else "", f[-1] if f else "")


def parse_referral(text: str) -> tuple[str, str] | None:
    """'Liz Campbel' -> ('liz', 'campbel'); 'Campbell, Liz' -> ('liz', 'campbell');
    'E. Campbell' -> ('e', 'campbell'). None when it is not a given and a family name."""
    cleaned = fold(_PUNCT.sub(" ", text))
    if "," in cleaned:
        family, _, given = cleaned.partition(",")
        cleaned = f"{given} {family}"
    words = cleaned.replace(",", " ").split()
    if len(words) < 2:
        return None
    return words[0], words[-1]


def _deletes(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


class NameIndex:
    """Person customers by name, for the matching tiers."""

    def __init__(self, people: Iterable[Person], *, use_context: bool = True) -> None:
        self.use_context = use_context
        self.people: dict[str, Person] = {}
        self.by_full: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.by_family: dict[str, set[tuple[str, str]]] = defaultdict(set)  # -> (given, id)
        self._family_variants: dict[str, set[str]] = defaultdict(set)
        for person in people:
            self.people[person.id] = person
            for given, family in person.names:
                if not given or not family:
                    continue
                self.by_full[(given, family)].add(person.id)
                self.by_family[family].add((given, person.id))
                for variant in _deletes(family):
                    self._family_variants[variant].add(family)

    def near_families(self, family: str) -> set[str]:
        """Known family names one edit (or one transposition) away, itself excluded."""
        found: set[str] = set()
        for variant in _deletes(family):
            found |= self._family_variants.get(variant, set())
        found.discard(family)
        return {f for f in found if jellyfish.damerau_levenshtein_distance(f, family) <= 1}

    def tiers(self, given: str, family: str) -> list[tuple[str, set[str]]]:
        """Candidates per tier, best tier first."""
        if len(given) == 1:
            initial = {pid for g, pid in self.by_family.get(family, ()) if g.startswith(given)}
            return [("initial", initial)]
        exact = set(self.by_full.get((given, family), set()))
        nickname = {
            pid
            for g, pid in self.by_family.get(family, ())
            if g != given and are_nicknames(g, given)
        }
        typo = {
            pid
            for near in (self.near_families(family) if len(family) >= 4 else set())
            for g, pid in self.by_family.get(near, ())
            if g == given
        }
        return [("exact", exact), ("nickname", nickname), ("typo", typo)]

    def match(self, referral: Referral) -> ReferralMatch:
        parsed = parse_referral(referral.text)
        if parsed is None:
            return ReferralMatch("unmatched")
        for tier, found in self.tiers(*parsed):
            if not found:
                continue
            others = found - {referral.customer}
            if not others:
                return ReferralMatch("self", tier=tier)
            if len(others) == 1:
                (only,) = others
                return ReferralMatch("linked", only, TIER_STRENGTH[tier], tier)
            if not self.use_context or tier not in CONTEXT_TIERS:
                return ReferralMatch("ambiguous", tier=tier, candidates=tuple(sorted(others)))
            return self._by_context(referral, tier, others)
        return ReferralMatch("unmatched")

    def _by_context(self, referral: Referral, tier: str, found: set[str]) -> ReferralMatch:
        """Several people bear the name: keep the one sharing the referred customer's
        parish or sales rep, if exactly one does best."""
        scored: dict[str, tuple[str, ...]] = {}
        for pid in found:
            person = self.people[pid]
            context: tuple[str, ...] = ()
            if person.parishes & referral.parishes:
                context += ("parish",)
            if person.owners & referral.owners:
                context += ("owner",)
            scored[pid] = context
        best = max(len(c) for c in scored.values())
        top = sorted(pid for pid, c in scored.items() if len(c) == best)
        if best == 0 or len(top) > 1:
            return ReferralMatch("ambiguous", tier=tier, candidates=tuple(sorted(found)))
        strength = round(TIER_STRENGTH[tier] - CONTEXT_PENALTY, 3)
        return ReferralMatch("linked", top[0], strength, tier, scored[top[0]], tuple(sorted(found)))

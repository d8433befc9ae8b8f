"""Derived connections between person customers, from evidence they share.

Pure functions over what the store returned (shared identifiers, employers, family
names), so the rules are tested without a store:

- HOUSEHOLD: an Address node and a family name in common.
- KNOWS: a phone or an email in common, when not household.
- COLLEAGUE: records working at records of the same business customer.
- CO_ATTENDED: interactions of both customers' records at one event (`event` on the
  Interaction: a group meeting, a seminar, a trade show).
- FOLLOWS: a record's social `follows` naming a handle another customer holds
  (directed: follower -> followed; stronger when they follow each other).

An identifier shared by many customers (a hub: a call centre's number, an office
mailbox) says nothing about who knows whom and is ignored; so is a large employer,
whose staff would form a clique of weak edges, and so is a large event: 500 people at a
trade show have not all met.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

DERIVED = "derived"
REFERRAL = "referral"

FOLLOWS_STRENGTH = 0.3
MUTUAL_FOLLOWS_STRENGTH = 0.6
HOUSEHOLD_STRENGTH = 0.85
HOUSEHOLD_SHARED_CONTACT_BONUS = 0.1
MAX_STRENGTH = 0.95

Pair = tuple[str, str]


@dataclass(frozen=True)
class Edge:
    """One relationship as the mapper writes it; undirected kinds have a < b."""

    type: str
    a: str
    b: str
    source: str
    strength: float
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Shared:
    """An identifier held by records of several active customers."""

    rel: str  # HAS_PHONE | HAS_EMAIL | LOCATED_AT
    value: str
    shared_by: int  # active customers of any kind
    people: tuple[str, ...]  # the person customers among them


@dataclass
class Derived:
    edges: list[Edge]
    hubs: dict[str, int]  # identifier kind -> hubs ignored
    large_employers: int = 0
    large_events: int = 0


IDENTIFIER_KIND = {"HAS_PHONE": "phone", "HAS_EMAIL": "email", "LOCATED_AT": "address"}


def pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def identifier_weight(shared_by: int) -> float:
    """What one shared phone or email says: less the more customers share it."""
    return max(0.4, 0.8 - 0.1 * (shared_by - 1))


def noisy_or(weights: Iterable[float]) -> float:
    """Independent pieces of evidence combined: 1 - prod(1 - w), capped."""
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    return round(min(MAX_STRENGTH, 1.0 - miss), 3)


def colleague_strength(staff: int) -> float:
    """Two people at a five-person firm know each other better than at a fifty-person one."""
    return round(0.3 + 0.6 * 2 / max(staff, 2), 3)


def attendance_strength(attendees: int) -> float:
    """Two people at a meeting of three have met; at a seminar of thirty, perhaps."""
    return round(0.2 + 0.6 * 2 / max(attendees, 2), 3)


def derive_people_links(
    shared: Iterable[Shared],
    families: Mapping[str, frozenset[str]],
    *,
    hub_limit: int,
    address_hub_limit: int,
) -> Derived:
    """HOUSEHOLD and KNOWS edges from shared addresses, phones and emails."""
    hubs: dict[str, int] = defaultdict(int)
    contacts: dict[Pair, list[tuple[str, float]]] = defaultdict(list)  # evidence, weight
    addresses: dict[Pair, list[str]] = defaultdict(list)
    for item in shared:
        kind = IDENTIFIER_KIND.get(item.rel)
        if kind is None or len(item.people) < 2:
            continue
        limit = address_hub_limit if kind == "address" else hub_limit
        if item.shared_by > limit:
            hubs[kind] += 1
            continue
        for a, b in combinations(sorted(set(item.people)), 2):
            if kind == "address":
                addresses[(a, b)].append(f"address:{item.value}")
            else:
                contacts[(a, b)].append((f"{kind}:{item.value}", identifier_weight(item.shared_by)))
    edges: list[Edge] = []
    households: set[Pair] = set()
    for (a, b), where in sorted(addresses.items()):
        common = sorted(families.get(a, frozenset()) & families.get(b, frozenset()))
        if not common:
            continue
        households.add((a, b))
        also = [e for e, _ in contacts.get((a, b), [])]
        strength = HOUSEHOLD_STRENGTH + (HOUSEHOLD_SHARED_CONTACT_BONUS if also else 0.0)
        evidence = (
            tuple(sorted(where)) + tuple(f"surname:{f}" for f in common) + tuple(sorted(also))
        )
        edges.append(
            Edge("HOUSEHOLD", a, b, DERIVED, round(min(MAX_STRENGTH, strength), 3), evidence)
        )
    for (a, b), found in sorted(contacts.items()):
        if (a, b) in households:
            continue
        evidence = tuple(sorted(e for e, _ in found))
        edges.append(Edge("KNOWS", a, b, DERIVED, noisy_or(w for _, w in found), evidence))
    return Derived(edges, dict(hubs))


Group = tuple[str, str | None, Iterable[str]]  # id, name, customer ids


def small_groups(
    groups: Iterable[Group], prefix: str, limit: int
) -> tuple[list[tuple[str, list[str]]], int]:
    """The evidence label ("<prefix>:<id> <name>") and sorted members of each group of at
    most `limit` customers, and how many groups were larger."""
    small: list[tuple[str, list[str]]] = []
    large = 0
    for key, name, members in groups:
        present = sorted(set(members))
        if len(present) > limit:
            large += 1
            continue
        small.append((f"{prefix}:{key}" + (f" {name}" if name else ""), present))
    return small, large


def derive_colleagues(employers: Iterable[Group], *, max_staff: int) -> Derived:
    """COLLEAGUE edges between the staff of each business customer (business id, name,
    person ids); businesses with more than `max_staff` people are skipped and counted."""
    best: dict[Pair, Edge] = {}
    small, large = small_groups(employers, "employer", max_staff)
    for label, staff in small:
        strength = colleague_strength(len(staff))
        for a, b in combinations(staff, 2):
            old = best.get((a, b))
            evidence = tuple(sorted({label, *(old.evidence if old else ())}))
            top = max(strength, old.strength if old else 0.0)
            best[(a, b)] = Edge("COLLEAGUE", a, b, DERIVED, top, evidence)
    return Derived([best[k] for k in sorted(best)], {}, large)


def derive_co_attendance(events: Iterable[Group], *, max_attendees: int) -> Derived:
    """CO_ATTENDED edges between the customers at each event (event id, name, customer
    ids); events with more than `max_attendees` customers are skipped and counted.
    Several shared events add up (noisy-or)."""
    found: dict[Pair, list[tuple[str, float]]] = defaultdict(list)
    small, large = small_groups(events, "event", max_attendees)
    for label, present in small:
        weight = attendance_strength(len(present))
        for a, b in combinations(present, 2):
            found[(a, b)].append((label, weight))
    edges = [
        Edge("CO_ATTENDED", a, b, DERIVED, noisy_or(w for _, w in seen),
             tuple(sorted({e for e, _ in seen})))
        for (a, b), seen in sorted(found.items())
    ]  # fmt: skip
    return Derived(edges, {}, large_events=large)


def derive_follows(follows: Iterable[tuple[str, str, str]]) -> list[Edge]:
    """FOLLOWS edges (follower -> followed) from (follower id, handle key, followed id);
    a pair following each other is stronger both ways and says so in its evidence."""
    handles: dict[Pair, set[str]] = defaultdict(set)
    for follower, handle, followed in follows:
        if follower != followed:
            handles[(follower, followed)].add(handle)
    edges = []
    for (a, b), seen in sorted(handles.items()):
        mutual = (b, a) in handles
        evidence = tuple(f"follows:{h}" for h in sorted(seen)) + (("mutual",) if mutual else ())
        strength = MUTUAL_FOLLOWS_STRENGTH if mutual else FOLLOWS_STRENGTH
        edges.append(Edge("FOLLOWS", a, b, DERIVED, strength, evidence))
    return edges

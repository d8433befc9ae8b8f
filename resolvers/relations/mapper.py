"""The relationship mapper: (re)derive customer-to-customer relationships and scores.

One `run()` reads what it needs in a handful of statements (person customers and their
names, referral records, shared identifiers, employers, events, follows), derives every
edge in Python,
then brings the graph in line: new and changed edges are merged in batches, edges this
mapper wrote earlier (`source` 'derived' or 'referral') that no longer hold are deleted,
and unchanged ones are left alone (their `at` says since when they hold). Edges written
by anyone else, and the evidence layer, are never touched. Influence and community are
recomputed afterwards and written for customers with REFERRED or KNOWS edges, and
betweenness for customers on the warm-intro graph; stale scores are cleared.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graph.store import GraphStore, Row
from resolvers.comparisons import fold
from resolvers.relations.derive import (
    DERIVED,
    REFERRAL,
    Edge,
    Shared,
    derive_co_attendance,
    derive_colleagues,
    derive_follows,
    derive_people_links,
)
from resolvers.relations.names import NameIndex, Person, Referral, ReferralMatch, name_key
from resolvers.relations.scores import betweenness, store_scores

log = logging.getLogger(__name__)

KINDS = ("REFERRED", "KNOWS", "HOUSEHOLD", "COLLEAGUE", "CO_ATTENDED", "FOLLOWS")
SOURCES = (DERIVED, REFERRAL)


@dataclass(frozen=True)
class RelationsConfig:
    hub_limit: int = 5  # a phone / email shared by more active customers is a hub
    address_hub_limit: int = 8  # an address shared by more is a block, not a household
    max_colleagues: int = 50  # staff beyond which a business yields no COLLEAGUE edges
    # Customers beyond which an event yields no CO_ATTENDED edges: a seminar of 30 may
    # have mingled, a trade show's visitors have not all met (like a hub identifier).
    max_event_attendees: int = 30
    # Betweenness: exact per component up to this many customers, sampled beyond.
    betweenness_samples: int = 64
    # Separate namesakes by the referred customer's parish / rep. Off by default: on the
    # demo data (referrers drawn with no regard to place) it only added wrong links
    # (2k people: 101 of 108 right with it, 101 of 105 without; 20k: 66% vs 83%). Turn it
    # on where referrals are known to be local.
    referral_context: bool = False
    batch: int = 2_000


@dataclass
class RelationsReport:
    """What one run found and changed; `edges` is the count per kind after the run."""

    edges: dict[str, int] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    referrals: dict[str, int] = field(default_factory=dict)  # linked/ambiguous/unmatched/self
    hubs: dict[str, int] = field(default_factory=dict)  # identifiers ignored, per kind
    large_employers: int = 0
    large_events: int = 0  # events over max_event_attendees, no CO_ATTENDED from them
    scored: int = 0  # customers with influence, community or betweenness
    communities: int = 0
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


class RelationshipMapper:
    """Derives REFERRED / HOUSEHOLD / COLLEAGUE / KNOWS / CO_ATTENDED / FOLLOWS between
    active customers."""

    def __init__(self, store: GraphStore, config: RelationsConfig | None = None) -> None:
        self.store = store
        self.config = config or RelationsConfig()

    def run(self, *, scores: bool = True) -> RelationsReport:
        report = RelationsReport()
        start = time.perf_counter()
        mark = start

        def step(name: str) -> None:
            nonlocal mark
            now = time.perf_counter()
            report.steps[name] = round(now - mark, 3)
            mark = now

        people = self._people()
        edges: list[Edge] = []
        referred, matches = self.referral_edges(people)
        edges += referred
        report.referrals = dict(Counter(m.status for m in matches))
        step("referrals")
        shared = [
            Shared(r["rel"], str(r["value"]), int(r["shared_by"]), tuple(r["people"]))
            for r in self.store.run("relations/shared_identifiers")
        ]
        families = {p.id: p.families for p in people}
        links = derive_people_links(
            shared, families, hub_limit=self.config.hub_limit,
            address_hub_limit=self.config.address_hub_limit,
        )  # fmt: skip
        edges += links.edges
        report.hubs = links.hubs
        colleagues = derive_colleagues(
            (
                (r["business"], r["name"], r["people"])
                for r in self.store.run("relations/employers")
            ),
            max_staff=self.config.max_colleagues,
        )
        edges += colleagues.edges
        report.large_employers = colleagues.large_employers
        events = derive_co_attendance(
            ((r["event"], r["name"], r["customers"]) for r in self.store.run("relations/events")),
            max_attendees=self.config.max_event_attendees,
        )
        edges += events.edges
        report.large_events = events.large_events
        edges += self.follow_edges(report)
        step("derive")
        self._sync(edges, report)
        step("write")
        if scores:
            influence, community = store_scores(self.store)
            step("influence and community")
            brokers = betweenness(
                ((r["a"], r["b"]) for r in self.store.run("relations/intro_edges")),
                samples=self.config.betweenness_samples,
            )
            step("betweenness")
            self._write_scores(influence, community, brokers)
            report.scored = len(influence.keys() | community.keys() | brokers.keys())
            report.communities = len(set(community.values()))
            step("write scores")
        report.edges = {k: 0 for k in KINDS} | dict(Counter(e.type for e in edges))
        self.store.settle()
        report.seconds = round(time.perf_counter() - start, 3)
        log.info("relations mapped", extra={"report": report.summary()})
        return report

    # -- referrals ---------------------------------------------------------------
    def _people(self) -> list[Person]:
        people = []
        for row in self.store.run("relations/person_customers"):
            names = {name_key(*str(n).split("|", 1)) for n in row["names"]}
            if row.get("name"):
                words = str(row["name"]).split()
                if len(words) >= 2:
                    names.add(name_key(words[0], words[-1]))
            people.append(
                Person(
                    id=row["id"],
                    names=frozenset(n for n in names if n[0] and n[1]),
                    parishes=_folded([row.get("parish"), *row["parishes"]]),
                    owners=_folded([row.get("owner"), *row["owners"]]),
                )
            )
        return people

    def referral_edges(self, people: list[Person]) -> tuple[list[Edge], list[ReferralMatch]]:
        """REFERRED edges (referrer -> referred) from referred_by texts; every match,
        linked or not, comes back for the counts."""
        index = NameIndex(people, use_context=self.config.referral_context)
        by_id = {p.id: p for p in people}
        found: dict[tuple[str, str], Edge] = {}
        matches: list[ReferralMatch] = []
        for row in self.store.run("relations/referral_records"):
            customer = by_id.get(row["customer"])
            referral = Referral(
                record=row["key"],
                text=str(row["referred_by"]),
                customer=row["customer"],
                parishes=_folded([row.get("parish")])
                | (customer.parishes if customer else frozenset()),
                owners=_folded([row.get("owner")]) | (customer.owners if customer else frozenset()),
            )
            match = index.match(referral)
            matches.append(match)
            if match.status != "linked" or match.referrer is None:
                continue
            evidence = (f"record:{referral.record}", f"referred_by:{referral.text}",
                        f"match:{match.tier}", *(f"context:{c}" for c in match.context))  # fmt: skip
            key = (match.referrer, referral.customer)
            old = found.get(key)
            if old is not None:
                evidence = tuple(dict.fromkeys(old.evidence + evidence))
            strength = max(match.strength, old.strength if old else 0.0)
            found[key] = Edge("REFERRED", key[0], key[1], REFERRAL, strength, evidence)
        return [found[k] for k in sorted(found)], matches

    def follow_edges(self, report: RelationsReport) -> list[Edge]:
        """FOLLOWS from records' social follows; a handle held by several customers says
        nobody in particular and is counted as a hub."""
        known: list[tuple[str, str, str]] = []
        ambiguous = 0
        for row in self.store.run("relations/follows"):
            if len(row["followed"]) == 1:
                known.append((row["follower"], row["handle"], row["followed"][0]))
            else:
                ambiguous += 1
        if ambiguous:
            report.hubs["handle"] = ambiguous
        return derive_follows(known)

    # -- writing -----------------------------------------------------------------
    def _sync(self, edges: Iterable[Edge], report: RelationsReport) -> None:
        """Write what is new or changed, delete what this mapper wrote that no longer holds."""
        wanted = {(e.type, e.a, e.b, e.source): e for e in edges}
        existing = {
            (r["type"], r["a"], r["b"], r["source"]): r
            for r in self.store.run("relations/edges", {"sources": list(SOURCES)})
        }
        now = int(time.time() * 1000)
        created: Counter[str] = Counter()
        updated: Counter[str] = Counter()
        writes: dict[str, list[Row]] = {k: [] for k in KINDS}
        for key, edge in wanted.items():
            old = existing.get(key)
            if old is not None and _same(old, edge):
                continue
            (updated if old is not None else created)[edge.type] += 1
            writes[edge.type].append({"a": edge.a, "b": edge.b, "source": edge.source,
                                      "evidence": list(edge.evidence), "strength": edge.strength,
                                      "at": now})  # fmt: skip
        stale = [
            {"type": t, "a": a, "b": b, "source": s}
            for (t, a, b, s) in existing
            if (t, a, b, s) not in wanted
        ]
        self.store.write_batches("relations/delete_edges", stale, self.config.batch)
        for kind, rows in writes.items():
            self.store.write_batches(f"relations/merge_{kind.lower()}", rows, self.config.batch)
        report.created = {k: created[k] for k in KINDS}
        report.updated = {k: updated[k] for k in KINDS}
        report.removed = {k: sum(1 for s in stale if s["type"] == k) for k in KINDS}

    def _write_scores(
        self, influence: dict[str, float], community: dict[str, int], brokers: dict[str, float]
    ) -> None:
        ids = influence.keys() | community.keys() | brokers.keys()
        stale = [
            r["id"] for r in self.store.run("relations/scored_customers") if r["id"] not in ids
        ]
        rows: list[Row] = [
            {"id": i, "influence": influence.get(i), "community": community.get(i),
             "betweenness": brokers.get(i)}
            for i in sorted(ids)
        ]  # fmt: skip
        rows += [{"id": i, "influence": None, "community": None, "betweenness": None}
                 for i in stale]  # fmt: skip
        self.store.write_batches("relations/write_scores", rows, self.config.batch)


def _folded(values: Iterable[Any]) -> frozenset[str]:
    return frozenset(fold(str(v)) for v in values if v)


def _same(row: Row, edge: Edge) -> bool:
    strength = row.get("strength")
    return (
        isinstance(strength, int | float)
        and abs(float(strength) - edge.strength) < 1e-9
        and list(row.get("evidence") or []) == list(edge.evidence)
    )

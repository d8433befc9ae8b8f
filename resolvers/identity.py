"""Identity resolution over the graph: Records -> clusters -> Customers.

Two entry points share one path from clusters onwards:

* `resolve_full` reads every Record, finds candidates (shared identifiers and blocking
  keys), scores them, writes the verdicts as `SAME_AS` / `MAYBE_SAME_AS` edges, clusters
  the accepted links in the database (`algo.WCC` on FalkorDB), guards against chaining
  and reconciles the clusters with the Customers that exist.
* `resolve_records` does the same for a few arriving or changed Records: it asks the graph
  for their candidates, scores only those pairs, and re-clusters only the Customers they
  touch. Because both use the same candidates, model and rules, a full run afterwards
  finds the same clusters.

Reconciling keeps Customer ids stable: each existing id stays with the cluster holding
most of its records; a cluster holding several ids keeps the oldest and the others point
to it (`merged_into`); a part split off gets a new id. Every change is a `Decision` with
the state before it, so it can be undone. Evidence (Records and identifiers) is only read.

A Record deleted in the system of record (`deleted: true`, set by change data capture) is
never a candidate, never scored and never counted in a golden record: resolving it takes
it out of its Customer (its RESOLVES_TO link goes, its model verdicts are forgotten; a
person's verdicts stay, unused while it is deleted) and rebuilds that Customer from the
rest (`detach`); a Customer left with no records is `retired` and keeps its id. Undeleted
(`deleted: false` again), it has no Customer and resolves as a new arrival.

A record attached to an existing Customer whose own rep (CRM owner, sheets rep) is not
the Customer's owner (its golden owner from the records it had) is reported in
`ResolveReport.matched_other_rep` and handed to `on_matched` once written: the
record.matched signal (`workers.signals`).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.customer_activity import refresh_activity
from graph.store import GraphStore, Row
from resolvers.blocking import HubReport, block_keys, candidate_pairs, group_records, hub_limits
from resolvers.clustering import Link, Split, components, guard
from resolvers.comparisons import RecordTable
from resolvers.config import DEFAULT_CONFIG, ResolverConfig
from resolvers.fellegi_sunter import Explanation, LabelledPairs
from resolvers.golden import golden_fields
from resolvers.records import (
    RECORD_LINK_FIELDS,
    ResolutionRecord,
    business_domains,
    work_domains,
)
from resolvers.scoring import Scorer

log = logging.getLogger(__name__)

KINDS = ("person", "business")
MODEL_ACTOR = "model"
DELETED_REASON = "deleted in the system of record"
Pair = tuple[str, str]
Progress = Callable[[str, int, int], None]  # (stage, done, total)
OnMatched = Callable[[list[dict[str, Any]]], object]


def now_ms() -> int:
    return int(time.time() * 1000)


_SEQUENCE = itertools.count()


def new_id(prefix: str) -> str:
    """Time-ordered ids: older ids sort first, which is what "keep the older id" needs.
    A full run mints thousands per millisecond: a per-process sequence keeps them
    unique, a random tail keeps two processes apart."""
    return f"{prefix}{now_ms():012x}{next(_SEQUENCE) % 16**6:06x}{os.urandom(2).hex()}"


def ordered(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def _indexed(pairs: Sequence[Pair]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The records of `pairs` (sorted keys), and each pair as two indexes into them."""
    keys = sorted({k for pair in pairs for k in pair})
    index = {k: i for i, k in enumerate(keys)}
    left = np.fromiter((index[a] for a, _ in pairs), dtype=np.int64, count=len(pairs))
    right = np.fromiter((index[b] for _, b in pairs), dtype=np.int64, count=len(pairs))
    return keys, left, right


def _contradicted(
    scorer: Scorer, pairs: Sequence[Pair], by_key: dict[str, ResolutionRecord], threshold: float
) -> dict[Pair, float]:
    """The pairs their evidence sets apart (Scorer.contradicted), with their probability."""
    keys, left, right = _indexed(pairs)
    probability, apart = scorer.contradicted(
        [by_key[k].values for k in keys], left, right, threshold
    )
    return {
        pair: p
        for pair, p, yes in zip(pairs, probability.tolist(), apart.tolist(), strict=True)
        if yes
    }


def _u_group(record: ResolutionRecord) -> str:
    """Where u pairs may be drawn for this record: inside its source, which seldom holds
    one customer twice. Not for a record derived from a company cell ("crm:org:<company
    key>"): there is one per spelling, so a source holds a mistyped company as often as
    its rows mistype it; such a record is a group of its own and draws no u pairs."""
    return record.key if record.key.startswith(f"{record.source}:org:") else record.source


def _count(report: ResolveReport, verdicts: dict[Pair, _Verdict]) -> None:
    statuses = Counter(v.status for v in verdicts.values() if v.by == MODEL_ACTOR)
    report.accepted, report.probable, report.review = (
        statuses["accepted"],
        statuses["probable"],
        statuses["review"],
    )


def _rep(name: str) -> str:
    return " ".join(name.split()).casefold()


def _verdicts_of(rows: Iterable[dict[str, Any]]) -> dict[Pair, _Verdict]:
    """Pair verdicts as the `resolve/pairs_among` and `resolve/steward_pairs` rows give them."""
    return {
        ordered(r["a"], r["b"]): _Verdict(
            r["status"],
            float(r["score"] or 0.0),
            float(r["weight"] or 0.0),
            r["by"],
            bool(r["linked"]),
        )
        for r in rows
    }


class NotTrained(RuntimeError):
    """Incremental resolution needs the model a full run trains."""


@dataclass
class ResolveReport:
    mode: str  # "full" | "incremental"
    records: int = 0
    candidate_pairs: int = 0
    accepted: int = 0
    probable: int = 0
    review: int = 0
    clusters: int = 0
    created: int = 0
    attached: int = 0
    merged: int = 0
    split: int = 0
    unchanged: int = 0
    detached: int = 0  # deleted records taken out of their Customer
    retired: int = 0  # Customers left with no records
    customers: int = 0
    trained: list[str] = field(default_factory=list)
    hubs: dict[str, HubReport] = field(default_factory=dict)
    splits: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    # Records attached to a customer of another rep: customer_id, record_key, source,
    # record_rep, customer_rep, confidence.
    matched_other_rep: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("hubs", "decisions", "matched_other_rep")
        }
        out["hubs"] = {
            kind: {
                "limits": h.limits,
                "hubs": h.hubs,
                "largest": h.largest,
                "skipped_blocks": h.skipped_blocks,
            }
            for kind, h in self.hubs.items()
        }
        return out


@dataclass
class _Verdict:
    status: str  # accepted | probable | review | rejected | unsure
    score: float
    weight: float
    by: str
    linked: bool  # a SAME_AS link that clustering follows

    @property
    def steward_says_same(self) -> bool:
        return self.by != MODEL_ACTOR and self.status == "accepted"


@dataclass
class _Writes:
    """What reconciling clusters with Customers writes."""

    customers: list[dict[str, Any]]
    assignments: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    detach: list[str] = field(default_factory=list)  # keys whose RESOLVES_TO goes
    # Customers whose records change: their activity dates are read again (a rebuild
    # alone keeps them: graph/customer_activity.py)
    dated: list[str] = field(default_factory=list)


class _View:
    """What incremental resolution has read of the graph: records, and for those read
    whole (`resolve/attach_records`, `resolve/component_records`) the verdicts on pairs
    touching them, the keys each is linked to and the stored state of their Customers.
    Candidates are read with what scoring compares only."""

    def __init__(self) -> None:
        self.records: dict[str, ResolutionRecord] = {}
        self.whole: set[str] = set()
        self.pairs: dict[Pair, _Verdict] = {}
        self.linked: dict[str, set[str]] = defaultdict(set)
        self.customers: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[str]] = defaultdict(set)

    def add(self, rows: Iterable[dict[str, Any]], *, whole: bool) -> list[ResolutionRecord]:
        """Take these rows in; the records they hold, in order, once each."""
        out: dict[str, ResolutionRecord] = {}
        for row in rows:
            key = str(row["key"])
            if key in out:
                continue
            if key in self.whole or (key in self.records and not whole):
                out[key] = self.records[key]
                continue
            meta = [dict(c) for c in row.get("customer_meta") or [] if c and c.get("id")]
            if whole:
                row = {**row, "customers": [c["id"] for c in meta]}
            record = ResolutionRecord.from_row(row)
            self.records[key] = out[key] = record
            if not whole:
                continue
            self.whole.add(key)
            for c in meta:
                self.customers[str(c["id"])] = c
            if record.customer:
                self.members[record.customer].add(key)
            for p in row.get("pairs") or []:
                other = str(p["other"])
                verdict = _Verdict(
                    p["status"],
                    float(p["score"] or 0.0),
                    float(p["weight"] or 0.0),
                    p["by"],
                    bool(p["linked"]),
                )
                self.pairs[ordered(key, other)] = verdict
                if verdict.linked:
                    self.linked[key].add(other)
                    self.linked[other].add(key)
        return list(out.values())


def _add_links(rows: dict[str, dict[str, Any]], links: Iterable[Row]) -> None:
    """Put the (key, field, value) rows of resolve/record_links(_window) or
    resolve/record_state into the record rows they belong to, by key (every link field
    a list, empty if none); links of records not in `rows` (deleted, or read already)
    are left out."""
    for row in rows.values():
        for name in RECORD_LINK_FIELDS:
            row.setdefault(name, [])
    for link in links:
        linked = rows.get(link["key"])
        if linked is not None and link["value"] is not None:
            linked.setdefault(link["field"], []).append(link["value"])


def _gains_a_domain(row: Row) -> bool:
    """Whether the arriving staff's work emails bring a business (a row of
    resolve/employers_gaining) a web domain it has from nothing else."""
    had = business_domains(row["websites"], [*row["emails"], *row["staff_emails"]])
    return bool(set(work_domains(row["arriving_emails"])) - had)


class IdentityResolver:
    def __init__(
        self,
        store: GraphStore,
        config: ResolverConfig = DEFAULT_CONFIG,
        progress: Progress | None = None,
        on_matched: OnMatched | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.progress = progress or (lambda stage, done, total: None)
        self.on_matched = on_matched
        self._scorers: dict[str, Scorer] = {}
        self._caps: dict[str, dict[str, int]] = {}

    # -- public ------------------------------------------------------------------------
    def resolve_full(self, *, retrain: bool = False) -> ResolveReport:
        started = time.perf_counter()
        began_at = now_ms()  # what was ingested before, this run resolves as it is
        report = ResolveReport(mode="full")
        records = self.load_all()  # deleted ones are left out
        by_key = {r.key: r for r in records}
        report.records = len(records)
        detached = {
            str(row["key"]): str(row["customer"])
            for row in self.store.run("resolve/deleted_assigned")
        }
        verdicts: dict[Pair, _Verdict] = {}
        for kind in KINDS:
            group = [r for r in records if r.kind == kind]
            if group:
                verdicts.update(self._score_kind(kind, group, retrain, report))
        self._apply_steward(verdicts, self._steward_verdicts())
        previous = self._model_pairs()
        self._write_verdicts(verdicts, previous, [p for p in previous if p not in verdicts], by_key)
        _count(report, verdicts)
        self.progress("clustering", 0, 1)
        component_of = self.store.linked_components("Record", "key", "SAME_AS")
        # Only links between records that are not deleted count (a deleted record keeps
        # a person's verdicts, which the database components still follow).
        links = [
            (a, b, v.score)
            for (a, b), v in verdicts.items()
            if v.linked and a in by_key and b in by_key
        ]
        clusters_by_id: dict[int, list[str]] = defaultdict(list)
        through_deleted: set[int] = set()
        for key, number in component_of.items():
            if key in by_key:
                clusters_by_id[number].append(key)
            else:
                through_deleted.add(number)
        clusters: list[list[str]] = []
        for number, members in clusters_by_id.items():
            if number in through_deleted:
                inside = set(members)
                clusters += components(
                    members, [link for link in links if link[0] in inside and link[1] in inside]
                )
            else:
                clusters.append(sorted(members))
        clusters += [[r.key] for r in records if r.key not in component_of]
        rejected = {p for p, v in verdicts.items() if v.status == "rejected"}
        protected = {p for p, v in verdicts.items() if v.steward_says_same}
        final, splits = self._guard_all(clusters, links, rejected, protected, by_key)
        report.splits = [s.reason() for s in splits]
        self._reconcile(
            final, links, by_key, splits, touched=set(), actor=MODEL_ACTOR, report=report,
            detached=detached,
        )  # fmt: skip
        kinds = sorted({r.kind for r in records})
        self.store.run("resolve/full_run_done", {"kinds": kinds, "at": began_at})
        self.store.settle()  # else the attaches after a full run cost twice as much
        self._matched(report)
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def resolve_records(
        self,
        keys: Iterable[str],
        *,
        actor: str = MODEL_ACTOR,
        reason: str | None = None,
        leaving: Iterable[str] = (),
    ) -> ResolveReport:
        """Resolve arriving or changed Records against what is already resolved.

        `leaving`: records a person is moving out of their Customer; on a tie they are
        the part that gets the new id.

        A handful of round trips, whatever the number of candidates: the arriving
        records (with their links and state: three statements; two more when businesses
        arrive, for the people who follow them; one more when people arrive, for the
        businesses they work at, and one after it for any business they bring a new web
        domain); their new blocking keys
        written and their candidates read in one statement (their links in another); the
        linked components the outcome touches (usually three statements);
        everything written in one statement. Candidates the arriving records are not
        linked to keep their clusters, so neither they nor their Customers are read."""
        started = time.perf_counter()
        report = ResolveReport(mode="incremental")
        keys = sorted(set(keys))
        view = _View()
        rows = self.store.run("resolve/attach_records", {"keys": keys})
        businesses = [row["key"] for row in rows if row["kind"] == "business"]
        people = [row["key"] for row in rows if row["kind"] == "person" and not row["deleted"]]
        if businesses:
            # A business's social handle is evidence on the people who follow it
            # (follows_employer): score them again with it, as a full run would.
            followers = self.store.run("resolve/followers", {"keys": businesses})
            keys = self._bring_in(keys, rows, [row["key"] for row in followers])
        if people:
            # A business's web domains include its staff's work-email domains: a contact
            # bringing its employer a new one changes the employer's values (its content
            # does not change, so it is not pending): score it again, as a full run would.
            employers = self.store.run("resolve/employers_gaining", {"keys": people})
            keys = self._bring_in(
                keys, rows, [row["key"] for row in employers if _gains_a_domain(row)]
            )
        read = view.add(self._whole(view, rows), whole=True)
        report.records = len(read)
        if not read:
            return report
        # Deleted records are not candidates: they only leave their Customer.
        arriving = [r for r in read if not r.deleted]
        for kind in {r.kind for r in arriving}:
            self._scorer(kind)  # fail early, before writing anything, if never trained
        blocks = [block_keys(r) for r in arriving]
        rows = (
            self.store.run(
                "resolve/attach_candidates",
                {
                    "rows": [
                        {"key": r.key, "blocks": [b for b in bs if b not in r.blocks]}
                        for r, bs in zip(arriving, blocks, strict=True)
                    ],
                    "caps": self._merged_caps(),
                },
            )
            if arriving
            else []
        )
        for r, bs in zip(arriving, blocks, strict=True):
            r.blocks = sorted(set(r.blocks) | set(bs))
        unread = {row["key"]: row for row in rows if row["key"] not in view.records}
        if unread:
            _add_links(unread, self.store.run("resolve/record_links", {"keys": sorted(unread)}))
        view.add(rows, whole=False)
        pairs = sorted({ordered(a, row["key"]) for row in rows for a in row["arriving"]})
        arriving_keys = set(keys)
        # Every verdict that touches an arriving record, whatever the other end.
        touching = {p: v for p, v in view.pairs.items() if arriving_keys.intersection(p)}
        report.candidate_pairs = len(pairs)
        verdicts: dict[Pair, _Verdict] = {}
        scorable = [p for p in pairs if p not in touching or touching[p].by == MODEL_ACTOR]
        for kind in KINDS:
            kind_pairs = [p for p in scorable if view.records[p[0]].kind == kind]
            if kind_pairs:
                verdicts.update(self._verdicts(kind, kind_pairs, view.records))
        # Model verdicts on arriving records that no longer hold are dropped.
        stale = [p for p, v in touching.items() if v.by == MODEL_ACTOR and p not in verdicts]
        after = {p: v for p, v in touching.items() if p not in verdicts and p not in stale}
        after.update(verdicts)
        # The clusters that can change: those of the arriving records, of the records
        # they are linked to now, and of those they were linked to.
        seeds = set(arriving_keys)
        for p, v in [*after.items(), *((p, touching[p]) for p in stale)]:
            if v.linked:
                seeds.update(p)
        widened = self._widen(view, seeds)
        by_key = {k: r for k, r in widened.items() if not r.deleted}
        # Deleted records leave their Customers, and the model's verdicts on them go, as
        # in a full run, which neither reads nor scores them.
        gone = {k for k, r in widened.items() if r.deleted}
        if gone:
            known = set(stale)
            stale += sorted(
                p
                for p, v in view.pairs.items()
                if v.by == MODEL_ACTOR and gone.intersection(p) and p not in known
            )
        existing = {p: v for p, v in view.pairs.items() if p[0] in by_key and p[1] in by_key}
        for p in stale:
            existing.pop(p, None)
        existing.update((p, v) for p, v in verdicts.items() if p[0] in by_key and p[1] in by_key)
        _count(report, verdicts)
        links = [(a, b, v.score) for (a, b), v in existing.items() if v.linked]
        rejected = {p for p, v in existing.items() if v.status == "rejected"}
        protected = {p for p, v in existing.items() if v.steward_says_same}
        clusters = components(by_key, links)
        final, splits = self._guard_all(clusters, links, rejected, protected, by_key)
        report.splits = [s.reason() for s in splits]
        model_before = {p: v.status for p, v in touching.items() if v.by == MODEL_ACTOR}
        writes = self._reconcile(
            final,
            links,
            by_key,
            splits,
            touched=arriving_keys,
            actor=actor,
            report=report,
            reason=reason,
            leaving=set(leaving),
            meta=view.customers,
            write=False,
            detached={k: c for k in sorted(gone) if (c := widened[k].customer)},
        )
        self._write_incremental(self._pair_rows(verdicts, model_before), stale, writes)
        self._matched(report)
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _matched(self, report: ResolveReport) -> None:
        if self.on_matched is not None and report.matched_other_rep:
            self.on_matched(report.matched_other_rep)

    def _bring_in(self, keys: list[str], rows: list[Row], more: list[str]) -> list[str]:
        """`keys` with `more`, records whose evidence the arriving ones change: those not
        arriving already are read as the arriving ones are, into `rows`."""
        new = sorted(set(more) - set(keys))
        if not new:
            return keys
        rows += self.store.run("resolve/attach_records", {"keys": new})
        return sorted({*keys, *new})

    def _whole(self, view: _View, rows: list[Row]) -> list[Row]:
        """Record rows not yet read whole, with their links (resolve/record_links) and
        their Customer and verdicts (resolve/record_state): two bulk reads instead of
        nine pattern comprehensions per record, about half the graph's time."""
        fresh = {row["key"]: row for row in rows if row["key"] not in view.whole}
        if fresh:
            keys = {"keys": sorted(fresh)}
            _add_links(fresh, self.store.run("resolve/record_links", keys))
            _add_links(fresh, self.store.run("resolve/record_state", keys))
        return list(fresh.values())

    def _widen(self, view: _View, seeds: set[str]) -> dict[str, ResolutionRecord]:
        """The seeds, the whole of every Customer they touch and every record linked to
        one, until nothing is added: their linked components, exactly as a full run
        sees them. Usually one statement: records not yet read whole come with every
        record of their Customer."""
        keys = set(seeds)
        asked: set[str] = set()  # Customers read whole
        while True:
            missing = sorted(k for k in keys if k not in view.whole)
            ids = {c for k in keys if k in view.whole and (c := view.records[k].customer)}
            ids = ids - asked
            if missing or ids:
                rows = self.store.run(
                    "resolve/component_records", {"ids": sorted(ids), "keys": missing}
                )
                view.add(self._whole(view, rows), whole=True)
                # Records read by key came with their Customer's records.
                ids |= {c for k in missing if k in view.whole and (c := view.records[k].customer)}
                asked |= ids
                keys = {k for k in keys if k in view.whole}  # less any gone from the graph
            grown = set(keys)
            for k in keys:
                grown |= view.linked.get(k, set())
                if (c := view.records[k].customer) in asked:
                    grown |= view.members[c]
            if grown == keys and all(k in view.whole for k in keys):
                return {k: view.records[k] for k in sorted(keys)}
            keys = grown

    def contradicting(
        self, pairs: Sequence[Pair], by_key: dict[str, ResolutionRecord]
    ) -> list[Pair]:
        """The pairs the chaining guard would hold apart (probability below the
        contradiction threshold)."""
        out: list[Pair] = []
        for kind in KINDS:
            kind_pairs = [
                p for p in pairs if by_key[p[0]].kind == kind and by_key[p[1]].kind == kind
            ]
            if kind_pairs:
                threshold = self.config.thresholds.contradiction
                out.extend(_contradicted(self._scorer(kind), kind_pairs, by_key, threshold))
        return out

    def pairs_state(self, pairs: Sequence[Pair]) -> list[dict[str, Any]]:
        """The current verdict on each pair (status None where there is none)."""
        existing = self._pairs_among(sorted({k for p in pairs for k in p}))
        return [
            {
                "pair": list(p),
                "status": existing[p].status if p in existing else None,
                "linked": existing[p].linked if p in existing else False,
                "by": existing[p].by if p in existing else None,
            }
            for p in pairs
        ]

    def clear(self) -> None:
        """Forget every resolution result (people's verdicts included); evidence stays."""
        for statement in ("resolve/clear_pairs", "resolve/clear_identity"):
            while self.store.run(statement, {"limit": 50_000})[0]["deleted"]:
                pass
        self._scorers.clear()
        self._caps.clear()

    def pending(self, limit: int = 100_000) -> list[str]:
        return [row["key"] for row in self.store.run("resolve/pending", {"limit": limit})]

    def scorer(self, kind: str) -> Scorer:
        return self._scorer(kind)

    def stored_kinds(self) -> list[str]:
        """The kinds of record that have a trained model."""
        kinds = []
        for kind in KINDS:
            try:
                self._scorer(kind)
            except NotTrained:
                continue
            kinds.append(kind)
        return kinds

    def load_records(self, keys: Sequence[str]) -> list[ResolutionRecord]:
        return self._load_keys(keys)

    def assignments(self, page: int = 100_000) -> dict[str, str]:
        """Which Customer every Record resolves to (record key -> customer id)."""
        out: dict[str, str] = {}
        after = ""
        while rows := self.store.run("resolve/assignments", {"after": after, "limit": page}):
            out.update((r["key"], r["customer"]) for r in rows)
            after = rows[-1]["key"]
        return out

    def explain(self, a: ResolutionRecord, b: ResolutionRecord) -> Explanation:
        return self._scorer(a.kind).explain(a.values, b.values)

    # -- scoring -------------------------------------------------------------------------
    def _score_kind(
        self, kind: str, group: list[ResolutionRecord], retrain: bool, report: ResolveReport
    ) -> dict[Pair, _Verdict]:
        self.progress(f"{kind} candidates", 0, len(group))
        blocks = [block_keys(r) for r in group]
        self._write_blocks(group, blocks)
        groups = group_records(group, blocks)
        hubs = hub_limits(group, groups, self.config.hubs)
        report.hubs[kind] = hubs
        index_pairs = candidate_pairs(group, groups, hubs, self.config.hubs)
        report.candidate_pairs += len(index_pairs)
        log.info(
            "candidates", extra={"kind": kind, "records": len(group), "pairs": len(index_pairs)}
        )
        stored = None if retrain else self._stored(kind)
        if stored is None:
            self.progress(f"{kind} training", 0, 1)
            scorer = Scorer.train(
                kind, [r.values for r in group], index_pairs, self.config,
                [_u_group(r) for r in group], self._labels(group),
            )  # fmt: skip
            trained_at = now_ms()
            report.trained.append(kind)
        else:
            scorer, _, trained_at = stored
        # The hub limits learnt in this run are stored with the model, so that records
        # arriving later, in any process, find their candidates under the same limits.
        self._save(kind, scorer, hubs.caps(self.config.hubs), trained_at)
        # Each pair as (lower key, higher key), the order the incremental path scores in.
        keys = [r.key for r in group]
        rank = np.empty(len(keys), dtype=np.int64)
        rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
        left, right = index_pairs[:, 0].copy(), index_pairs[:, 1].copy()
        flip = rank[left] > rank[right]
        left[flip], right[flip] = index_pairs[flip, 1], index_pairs[flip, 0]
        pairs = list(
            zip(map(keys.__getitem__, left.tolist()), map(keys.__getitem__, right.tolist()),
                strict=True)
        )  # fmt: skip
        scorer = self._scorer(kind)
        table = scorer.table([r.values for r in group])
        return self._decide(kind, scorer, table, pairs, left, right)

    def _verdicts(
        self, kind: str, pairs: Sequence[Pair], by_key: dict[str, ResolutionRecord]
    ) -> dict[Pair, _Verdict]:
        scorer = self._scorer(kind)
        keys, left, right = _indexed(pairs)
        table = scorer.table([by_key[k].values for k in keys])
        return self._decide(kind, scorer, table, pairs, left, right)

    def _decide(
        self,
        kind: str,
        scorer: Scorer,
        table: RecordTable,
        pairs: Sequence[Pair],
        left: np.ndarray,
        right: np.ndarray,
    ) -> dict[Pair, _Verdict]:
        """The model's verdict on each pair (rows `left[p]`, `right[p]` of `table`) that
        is at least worth a review; scored by batches, for the progress shown."""
        thresholds = self.config.thresholds
        out: dict[Pair, _Verdict] = {}
        step = 200_000
        for start in range(0, len(pairs), step):
            end = start + step
            self.progress(f"{kind} scoring", start, len(pairs))
            probability, weight, vetoed = scorer.score(
                table, left[start:end], right[start:end], self.config.veto
            )
            for (a, b), p, w, no in zip(
                pairs[start:end], probability.tolist(), weight.tolist(), vetoed.tolist(),
                strict=True,
            ):  # fmt: skip
                if p >= thresholds.accept and not no:
                    out[(a, b)] = _Verdict("accepted", p, w, MODEL_ACTOR, linked=True)
                elif p >= thresholds.link and not no:
                    out[(a, b)] = _Verdict("probable", p, w, MODEL_ACTOR, linked=True)
                elif p >= thresholds.review:
                    out[(a, b)] = _Verdict("review", p, w, MODEL_ACTOR, linked=False)
        self.progress(f"{kind} scoring", len(pairs), len(pairs))
        return out

    def _labels(self, group: list[ResolutionRecord]) -> LabelledPairs | None:
        """People's verdicts on pairs of these records, as training labels."""
        index = {r.key: i for i, r in enumerate(group)}
        labelled = [
            (index[a], index[b], v.status == "accepted")
            for (a, b), v in self._steward_verdicts().items()
            if a in index and b in index and v.status in ("accepted", "rejected")
        ]
        if not labelled:
            return None
        left, right, same = zip(*labelled, strict=True)
        return LabelledPairs(
            np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64),
            np.asarray(same, dtype=np.bool_),
        )  # fmt: skip

    def _scorer(self, kind: str) -> Scorer:
        if kind not in self._scorers:
            stored = self._stored(kind)
            if stored is None:
                raise NotTrained(
                    f"no trained match model for {kind} records yet: run `c360 resolve --full` first"
                )
            self._scorers[kind], self._caps[kind], _ = stored
        return self._scorers[kind]

    def _stored(self, kind: str) -> tuple[Scorer, dict[str, int], int] | None:
        """The stored model of a kind: scorer, hub limits, when it was trained."""
        rows = self.store.run("resolve/load_model", {"kind": kind})
        if not rows or not rows[0]["params_json"]:
            return None
        data = json.loads(rows[0]["params_json"])
        caps = {k: int(v) for k, v in data["caps"].items()}
        return Scorer.from_json(data["scorer"]), caps, int(rows[0]["trained_at"] or 0)

    def _save(self, kind: str, scorer: Scorer, caps: dict[str, int], trained_at: int) -> None:
        self._scorers[kind] = scorer
        self._caps[kind] = caps
        body = json.dumps({"scorer": scorer.to_json(), "caps": caps})
        self.store.run(
            "resolve/save_model", {"kind": kind, "params_json": body, "trained_at": trained_at}
        )

    def _merged_caps(self) -> dict[str, int]:
        """One set of hub limits for the candidates query: the stricter of the kinds'."""
        merged: dict[str, int] = {}
        for kind_caps in self._caps.values():
            for name, value in kind_caps.items():
                merged[name] = min(value, merged.get(name, value))
        return merged or HubReport().caps(self.config.hubs)

    # -- guard ---------------------------------------------------------------------------
    def _guard_all(
        self,
        clusters: list[list[str]],
        links: list[Link],
        rejected: set[Pair],
        protected: set[Pair],
        by_key: dict[str, ResolutionRecord],
    ) -> tuple[list[list[str]], list[Split]]:
        """Score every pair inside each multi-record cluster; split where they contradict.

        `rejected` pairs (a person said "not the same") always contradict; `protected`
        pairs (a person said "the same") never do."""
        cluster_of = {k: i for i, c in enumerate(clusters) for k in c}
        inside: dict[int, list[Pair]] = defaultdict(list)
        neighbours: dict[str, set[str]] = defaultdict(set)
        for a, b, _ in links:
            neighbours[a].add(b)
            neighbours[b].add(a)
        for i, cluster in enumerate(clusters):
            if 3 <= len(cluster) <= self.config.guard_max_cluster:
                inside[i] = [ordered(a, b) for n, a in enumerate(cluster) for b in cluster[n + 1 :]]
            elif len(cluster) > self.config.guard_max_cluster:
                # Too big to score every pair: score the records two links apart, where
                # a chain joins two people through a third record that matches both.
                inside[i] = sorted({
                    ordered(a, c)
                    for b in cluster for a in neighbours[b] for c in neighbours[b]
                    if a < c and c not in neighbours[a]
                })  # fmt: skip
        contradiction: dict[Pair, float] = {p: 0.0 for p in rejected}
        for kind in KINDS:
            pairs = [
                p
                for ps in inside.values()
                for p in ps
                if by_key[p[0]].kind == kind and by_key[p[1]].kind == kind
            ]
            if not pairs:
                continue
            threshold = self.config.thresholds.contradiction
            for pair, p in _contradicted(self._scorer(kind), pairs, by_key, threshold).items():
                if pair not in protected:
                    contradiction.setdefault(pair, p)
        # Contradictions per cluster, so each cluster looks only at its own.
        against: dict[int, list[Link]] = defaultdict(list)
        for (a, b), p in contradiction.items():
            if a in cluster_of and cluster_of.get(b) == cluster_of[a]:
                against[cluster_of[a]].append((a, b, p))
        links_of: dict[int, list[Link]] = defaultdict(list)
        for a, b, score in links:
            if a in cluster_of and cluster_of[a] == cluster_of.get(b):
                links_of[cluster_of[a]].append((a, b, score))
        final: list[list[str]] = []
        splits: list[Split] = []
        for i, cluster in enumerate(clusters):
            if i not in against:
                final.append(cluster)
                continue

            def contradictions(members: Sequence[str], mine: list[Link] = against[i]) -> list[Link]:
                inside_set = set(members)
                return [(a, b, p) for a, b, p in mine if a in inside_set and b in inside_set]

            parts, found = guard(cluster, links_of[i], contradictions)
            final.extend(parts)
            splits.extend(found)
        return final, splits

    # -- reconcile with existing Customers ---------------------------------------------
    def _reconcile(
        self,
        clusters: list[list[str]],
        links: list[Link],
        by_key: dict[str, ResolutionRecord],
        splits: list[Split],
        *,
        touched: set[str],
        actor: str,
        report: ResolveReport,
        reason: str | None = None,
        leaving: set[str] | None = None,
        meta: dict[str, dict[str, Any]] | None = None,
        write: bool = True,
        detached: dict[str, str] | None = None,
    ) -> _Writes:
        """Customers, assignments and decisions for these clusters; written unless
        `write` is False. `meta`: the stored state of the Customers involved, where the
        caller has read it already. `detached`: records deleted in the system of record
        that still resolve to a Customer (key -> id): they leave it, it is rebuilt from
        the rest, or retired when none is left."""
        at = now_ms()
        self._link_scores = defaultdict(list)
        for a, b, score in links:
            self._link_scores[a].append((b, score))
            self._link_scores[b].append((a, score))
        detached = detached or {}
        losing: dict[str, list[str]] = defaultdict(list)
        for k, c in sorted(detached.items()):
            losing[c].append(k)
        old_ids = sorted({r.customer for r in by_key.values() if r.customer} | set(losing))
        if meta is None:
            meta = {
                row["customer"]["id"]: row["customer"]
                for row in (
                    self.store.run("resolve/customers_by_ids", {"ids": old_ids}) if old_ids else []
                )
            }
        old_members: dict[str, set[str]] = defaultdict(set)
        for r in by_key.values():
            if r.customer:
                old_members[r.customer].add(r.key)
        # Each existing id stays with the cluster holding most of its records; on a tie,
        # with the one not being moved out by a person, then the first.
        claims: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        for ci, cluster in enumerate(clusters):
            away = -len((leaving or set()).intersection(cluster))
            for cid, n in Counter(
                by_key[k].customer for k in cluster if by_key[k].customer
            ).items():
                assert cid is not None
                claims[cid].append((n, away, -ci))
        keeps: dict[int, list[str]] = defaultdict(list)
        for cid, options in claims.items():
            keeps[-max(options)[2]].append(cid)
        split_reason = {k: s.reason() for s in splits for k in s.side_b + s.side_a}

        customers: list[dict[str, Any]] = []
        assignments: list[dict[str, Any]] = []
        decisions: list[dict[str, Any]] = []
        dated: set[str] = set()
        report.clusters = len(clusters)
        for ci, cluster in enumerate(clusters):
            kept = sorted(
                keeps.get(ci, []), key=lambda c: (int(meta.get(c, {}).get("created_at") or 0), c)
            )
            present = {by_key[k].customer for k in cluster if by_key[k].customer}
            if kept:
                cid, absorbed = kept[0], kept[1:]
            else:
                cid, absorbed = new_id("C"), []
            moved = [k for k in cluster if by_key[k].customer != cid]
            lost = [k for c in [cid, *absorbed] for k in losing.get(c, [])]
            if not moved and not absorbed and not lost and not touched.intersection(cluster):
                report.unchanged += 1
                continue
            if moved or absorbed or lost:  # it and every customer a record leaves
                dated.add(cid)
                dated.update(was for k in moved if (was := by_key[k].customer))
            records = [by_key[k] for k in cluster]
            created_at = int(meta.get(cid, {}).get("created_at") or at)
            golden = golden_fields(records, self.config.survivorship)
            customers.append(
                {
                    "id": cid,
                    "props": {
                        **golden,
                        "id": cid,
                        "status": "active",
                        "created_at": created_at,
                        "updated_at": at,
                    },
                }
            )
            confidence = self._confidence(cluster)
            assignments.extend(
                {"key": k, "customer": cid, "confidence": confidence, "rule": actor, "at": at}
                for k in cluster
                if k in moved or k in touched
            )
            for old in absorbed:
                customers.append(
                    {
                        "id": old,
                        "props": {
                            "id": old,
                            "kind": meta[old].get("kind", golden["kind"]),
                            "status": "merged",
                            "merged_into": cid,
                            "created_at": int(meta[old].get("created_at") or at),
                            "updated_at": at,
                            "completeness": 0.0,
                            "record_count": 0,
                            "name": meta[old].get("name"),
                        },
                    }
                )
            before: dict[str, Any] = {
                "assignments": {k: by_key[k].customer for k in moved},
                "customers": {
                    c: {"status": meta[c].get("status"), "merged_into": meta[c].get("merged_into")}
                    for c in [cid, *absorbed]
                    if c in meta
                },
            }
            if lost:  # apart from the assignments: an undo never brings them back
                before["detached"] = {k: detached[k] for k in lost}
            if absorbed:
                action, why = (
                    "merge",
                    f"records of {', '.join(absorbed)} match records of {cid}; {cid} is older and is kept",
                )
                report.merged += len(absorbed)
            elif cid not in meta and present:
                action, why = (
                    "split",
                    next(
                        (split_reason[k] for k in cluster if k in split_reason),
                        f"the links between these records and the rest of {', '.join(sorted(c for c in present if c))} no longer hold",
                    ),
                )
                report.split += 1
            elif cid not in meta:
                action, why = (
                    "create",
                    (
                        f"{len(cluster)} records linked by accepted matches"
                        if len(cluster) > 1
                        else "no match above the acceptance threshold"
                    ),
                )
                report.created += 1
            elif moved or not lost:
                action, why = (
                    "attach",
                    f"{len(moved)} record(s) match {cid}" if moved else "records changed",
                )
                report.attached += 1
                report.matched_other_rep += self._other_rep(cid, cluster, moved, by_key,
                                                            confidence)  # fmt: skip
            else:
                action, why = "detach", f"{', '.join(lost)} {DELETED_REASON}"
            if lost and action != "detach":
                why += f"; {', '.join(lost)} {DELETED_REASON}"
            decision_id = new_id("D")
            report.decisions.append(decision_id)
            decisions.append(
                {
                    "props": {
                        "id": decision_id,
                        "action": action,
                        "actor": actor,
                        "at": at,
                        "reason": reason or why,
                        "customers": [cid, *absorbed],
                        "records": sorted(lost) if action == "detach" else sorted(moved or cluster),
                        "scores": json.dumps(self._scores_of(cluster)),
                        "before": json.dumps(before),
                    },
                    "customers": [cid, *absorbed],
                }
            )
        claimed = set(claims)
        for cid, keys in losing.items():
            if cid in claimed:
                continue
            # No record left: the Customer is retired; its id stays, answering "retired".
            state = meta.get(cid, {})
            if state.get("status") not in (None, "active"):
                continue  # merged (or retired) already: nothing to rebuild
            customers.append(
                {
                    "id": cid,
                    "props": {
                        "id": cid,
                        "kind": state.get("kind") or "person",
                        "status": "retired",
                        "created_at": int(state.get("created_at") or at),
                        "updated_at": at,
                        "retired_at": at,
                        "completeness": 0.0,
                        "record_count": 0,
                        "name": state.get("name"),
                    },
                }
            )
            decision_id = new_id("D")
            report.decisions.append(decision_id)
            report.retired += 1
            decisions.append(
                {
                    "props": {
                        "id": decision_id,
                        "action": "retire",
                        "actor": actor,
                        "at": at,
                        "reason": f"its records were {DELETED_REASON} ({', '.join(keys)})",
                        "customers": [cid],
                        "records": keys,
                        "scores": "[]",
                        "before": json.dumps(
                            {
                                "assignments": {},
                                "detached": {k: cid for k in keys},
                                "customers": {
                                    cid: {
                                        "status": state.get("status"),
                                        "merged_into": state.get("merged_into"),
                                    }
                                },
                            }
                        ),
                    },
                    "customers": [cid],
                }
            )
        report.detached = len(detached)
        report.customers = len(customers)
        writes = _Writes(customers, assignments, decisions, sorted(detached), sorted(dated))
        if write:
            self._write_customers(writes)
        return writes

    def _other_rep(
        self,
        cid: str,
        cluster: list[str],
        moved: list[str],
        by_key: dict[str, ResolutionRecord],
        confidence: float,
    ) -> list[dict[str, Any]]:
        """The records joining `cid` whose own rep is not the rep of the records it had.
        A person's correction (a correction source) reassigning the owner is no such news."""
        corrections = self.config.survivorship.correction_sources
        arriving = [
            by_key[k] for k in moved if by_key[k].owner and by_key[k].source not in corrections
        ]
        had = [by_key[k] for k in cluster if by_key[k].customer == cid]
        if not arriving or not had:
            return []
        owner = golden_fields(had, self.config.survivorship).get("owner")
        if not owner:
            return []
        return [
            {"customer_id": cid, "record_key": r.key, "source": r.source,
             "record_rep": r.owner, "customer_rep": owner, "confidence": confidence}
            for r in arriving
            if r.owner and _rep(r.owner) != _rep(owner)
        ]  # fmt: skip

    def _write_customers(self, writes: _Writes) -> None:
        batch = self.config.write_batch
        self.store.write_batches("resolve/upsert_customers", writes.customers, batch)
        self.store.write_batches("resolve/assign", writes.assignments, batch)
        for start in range(0, len(writes.detach), batch):
            self.store.run("resolve/detach", {"keys": writes.detach[start : start + batch]})
        self.store.write_batches("resolve/write_decisions", writes.decisions, batch)
        refresh_activity(self.store, ids=writes.dated)

    def _write_incremental(
        self, pair_rows: list[dict[str, Any]], gone: Sequence[Pair], writes: _Writes
    ) -> None:
        """All an incremental run writes, in one statement when it fits in one batch."""
        gone_rows = [{"a": a, "b": b} for a, b in gone]
        size = len(pair_rows) + len(gone_rows) + len(writes.customers)
        size += len(writes.assignments) + len(writes.decisions) + len(writes.detach)
        if size > self.config.write_batch:
            batch = self.config.write_batch
            self.store.write_batches("resolve/remove_pairs", gone_rows, batch)
            self.store.write_batches("resolve/set_pairs", pair_rows, batch)
            self._write_customers(writes)
        elif size:
            self.store.run(
                "resolve/apply_incremental",
                {
                    "pairs": [*gone_rows, *pair_rows],
                    "customers": writes.customers,
                    "assignments": writes.assignments,
                    "detach": writes.detach,
                    "decisions": writes.decisions,
                },
            )
            # a statement of its own: it groups the customers' activity
            refresh_activity(self.store, ids=writes.dated)

    # accepted-link scores of the run, per record, filled by _reconcile
    _link_scores: dict[str, list[tuple[str, float]]]

    def _confidence(self, cluster: list[str]) -> float:
        scores = [s for k in cluster for _, s in self._link_scores.get(k, [])]
        return round(min(scores), 4) if scores else 1.0

    def _scores_of(self, cluster: list[str]) -> list[dict[str, Any]]:
        members = set(cluster)
        seen = sorted(
            {
                (min(k, o), max(k, o), s)
                for k in cluster
                for o, s in self._link_scores.get(k, [])
                if o in members
            }
        )
        return [{"a": a, "b": b, "score": round(s, 4)} for a, b, s in seen[:20]]

    # -- graph I/O -----------------------------------------------------------------------
    def load_all(self) -> list[ResolutionRecord]:
        """Every live record, in key order, read window by window of internal node ids:
        the properties, then every link of the window in one statement."""
        records: list[ResolutionRecord] = []
        top = self.store.run("resolve/record_id_top", {})[0]["top"]
        window = self.config.read_window
        for lo in range(0, -1 if top is None else int(top) + 1, window):
            bounds = {"lo": lo, "hi": lo + window}
            rows = {row["key"]: row for row in self.store.run("resolve/records_window", bounds)}
            _add_links(rows, self.store.run("resolve/record_links_window", bounds))
            records.extend(ResolutionRecord.from_row(row) for row in rows.values())
            self.progress("reading records", len(records), 0)
        records.sort(key=lambda r: r.key)
        return records

    def _load_keys(self, keys: Sequence[str]) -> list[ResolutionRecord]:
        if not keys:
            return []
        return [
            ResolutionRecord.from_row(r)
            for r in self.store.run("resolve/records_by_keys", {"keys": list(keys)})
        ]

    def _write_blocks(
        self, records: Sequence[ResolutionRecord], blocks: Sequence[list[str]]
    ) -> None:
        rows = [
            {"key": r.key, "blocks": [b for b in keys if b not in r.blocks]}
            for r, keys in zip(records, blocks, strict=True)
            if set(keys) - set(r.blocks)
        ]
        self.store.write_batches("resolve/write_block_keys", rows, self.config.write_batch)
        for r, keys in zip(records, blocks, strict=True):
            r.blocks = sorted(set(r.blocks) | set(keys))

    def _pairs_among(self, keys: Sequence[str]) -> dict[Pair, _Verdict]:
        asked = set(keys)
        rows = [
            row
            for row in self.store.run("resolve/pairs_among", {"keys": list(keys)})
            if row["b"] in asked
        ]
        return _verdicts_of(rows)

    def _steward_verdicts(self) -> dict[Pair, _Verdict]:
        return _verdicts_of(self.store.run("resolve/steward_pairs"))

    def _model_pairs(self) -> dict[Pair, str]:
        return {ordered(r["a"], r["b"]): r["status"] for r in self.store.run("resolve/model_pairs")}

    @staticmethod
    def _apply_steward(verdicts: dict[Pair, _Verdict], steward: dict[Pair, _Verdict]) -> None:
        """A person's verdict on a pair always wins over the model's."""
        verdicts.update(steward)

    def _write_verdicts(
        self,
        verdicts: dict[Pair, _Verdict],
        previous_model: dict[Pair, str],
        gone_pairs: list[Pair],
        by_key: dict[str, ResolutionRecord],
    ) -> None:
        """Write model verdicts that are new or changed; forget those that no longer hold."""
        rows = self._pair_rows(verdicts, previous_model)
        gone = [{"a": a, "b": b} for (a, b) in gone_pairs]
        self.progress("writing links", 0, len(rows) + len(gone))
        self.store.write_batches("resolve/remove_pairs", gone, self.config.write_batch)
        # A pair without a model verdict has no edge at all (a steward's verdict is not
        # rewritten: it is not among the rows): created without looking for one to
        # replace, which is most of what writing a pair costs (20,000 people: 0.8 s
        # instead of 6.2-7.9 s).
        fresh = [row for row in rows if (row["a"], row["b"]) not in previous_model]
        changed = [row for row in rows if (row["a"], row["b"]) in previous_model]
        self.store.write_batches("resolve/create_pairs", fresh, self.config.write_batch)
        self.store.write_batches("resolve/set_pairs", changed, self.config.write_batch)

    @staticmethod
    def _pair_rows(
        verdicts: dict[Pair, _Verdict], previous_model: dict[Pair, str]
    ) -> list[dict[str, Any]]:
        """Rows of `resolve/set_pairs` for the model verdicts that are new or changed."""
        at = now_ms()
        # Explanations are computed when someone asks (review queue, explain), not
        # stored: tens of thousands of them would cost more than the scoring.
        return [
            {
                "a": a,
                "b": b,
                "status": v.status,
                "linked": v.linked,
                "score": v.score,
                "weight": v.weight,
                "by": MODEL_ACTOR,
                "at": at,
            }
            for (a, b), v in verdicts.items()
            if v.by == MODEL_ACTOR and previous_model.get((a, b)) != v.status
        ]

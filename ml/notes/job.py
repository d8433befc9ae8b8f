"""The notes job: read interaction notes and social texts from the graph, analyse them,
and write what they mention back as candidate edges with the text as evidence.

    (:Interaction|Record)-[:MENTIONS {source: 'nlp', label, texts, matched, confidence,
                                      model, at}]->(:Customer)
    (:Customer)-[:REFERRED {source: 'nlp', note, status: 'candidate', confidence,
                            strength, evidence, model, at}]->(:Customer)

A mention is resolved to a customer by a phone or email that exactly one active
customer's records hold, or by a name exactly one active customer bears (the gazetteer:
the graph's own customer and business names); shared numbers and namesakes are counted
as ambiguous and not linked, and a text's mentions of its own customer are not edges.
A referral phrase becomes a candidate REFERRED edge when both of its ends resolve (the
note's own customer is one end unless the note names both). Every edge carries
`source: 'nlp'`, part of its MERGE key, so edges written by others (the relationship
mapper's `referral` and `derived` edges, people's) are never touched; the analysis
itself (status, language, sentiment, mentions) lands on the text's node as `nlp_*`
properties. A text is analysed again only when it or the pipeline changed (`nlp_hash`);
`full` analyses everything.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.store import GraphStore, Row
from ml.notes.gazetteer import ORG, PERSON, Gazetteer
from ml.notes.pipeline import EMAIL, PHONE, Mention, NoteAnalysis, NotesAnalyser

log = logging.getLogger(__name__)

SOURCE = "nlp"
VERSION = 1  # bump when the rules change what they find: every text is analysed again
NAME_MATCH_CONFIDENCE = 0.85  # a name exactly one customer bears: namesakes outside the graph
IDENTIFIER_MATCH_CONFIDENCE = 0.95  # a phone or email exactly one customer holds


@dataclass(frozen=True)
class TextKind:
    label: str  # Interaction | Record
    page: str  # catalogued statements
    clear: str
    mentions: str
    mark: str


INTERACTIONS = TextKind("Interaction", "notes/interaction_texts", "notes/clear_interaction_mentions",
                        "notes/merge_interaction_mentions", "notes/mark_interactions")  # fmt: skip
SOCIAL = TextKind("Record", "notes/social_texts", "notes/clear_record_mentions",
                  "notes/merge_record_mentions", "notes/mark_records")  # fmt: skip


@dataclass(frozen=True)
class NotesConfig:
    page_size: int = 1_000
    batch: int = 2_000  # rows per write statement
    model: str | None = "auto"  # see pipeline.load_model
    max_chars: int = 10_000


@dataclass
class NotesReport:
    model: str = ""
    texts: int = 0  # read
    kinds: dict[str, int] = field(default_factory=dict)  # read, per label of the text's node
    analysed: int = 0
    unchanged: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    mentions: dict[str, int] = field(default_factory=dict)  # found, per label
    linked: dict[str, int] = field(default_factory=dict)  # MENTIONS written, per match kind
    ambiguous: int = 0  # a name, phone or email several customers share
    own_customer: int = 0  # a text naming its own customer
    referrals: int = 0  # candidate REFERRED edges written
    referrals_unresolved: int = 0  # a referral phrase whose ends did not both resolve
    referrals_removed: int = 0
    gazetteer_names: int = 0
    seconds: float = 0.0
    texts_per_second: float = 0.0

    def summary(self) -> dict[str, Any]:
        return dict(self.__dict__)


def text_hash(text: object, pipeline: str) -> str:
    payload = f"{VERSION}|{pipeline}|{text!r}".encode()
    return hashlib.blake2b(payload, digest_size=12).hexdigest()


class NotesJob:
    def __init__(
        self,
        store: GraphStore,
        config: NotesConfig | None = None,
        *,
        analyser: NotesAnalyser | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.config = config or NotesConfig()
        self._analyser = analyser
        self.progress = progress

    @property
    def analyser(self) -> NotesAnalyser:
        if self._analyser is None:
            self._analyser = NotesAnalyser(model=self.config.model,
                                           max_chars=self.config.max_chars)  # fmt: skip
        return self._analyser

    def run(self, *, full: bool = False) -> NotesReport:
        start = time.perf_counter()
        report = NotesReport()
        gazetteer = Gazetteer.from_rows(self.store.run("notes/customer_names"))
        self.analyser.set_gazetteer(gazetteer)
        report.model = self.analyser.name
        report.gazetteer_names = len(gazetteer)
        for kind in (INTERACTIONS, SOCIAL):
            self._run_kind(kind, gazetteer, full, report)
        report.seconds = round(time.perf_counter() - start, 3)
        report.texts_per_second = (
            round(report.analysed / report.seconds, 1) if report.seconds else 0
        )
        log.info("notes analysed", extra={"report": report.summary()})
        return report

    def _run_kind(
        self, kind: TextKind, gazetteer: Gazetteer, full: bool, report: NotesReport
    ) -> None:
        after = ""
        name = self.analyser.name
        while True:
            rows = self.store.run(kind.page, {"after": after, "limit": self.config.page_size})
            if not rows:
                return
            after = max(str(r["key"]) for r in rows)
            report.texts += len(rows)
            report.kinds[kind.label] = report.kinds.get(kind.label, 0) + len(rows)
            todo = [r for r in rows if full or r.get("hash") != text_hash(r["text"], name)]
            report.unchanged += len(rows) - len(todo)
            if todo:
                self._process(kind, todo, gazetteer, report)
            if self.progress:
                self.progress(len(rows))
            if len(rows) < self.config.page_size:
                return

    def _process(
        self, kind: TextKind, rows: Sequence[Row], gazetteer: Gazetteer, report: NotesReport
    ) -> None:
        name = self.analyser.name
        analyses = list(self.analyser.analyse_many(r["text"] for r in rows))
        report.analysed += len(rows)
        holders = self._identifier_holders(analyses)
        now = int(time.time() * 1000)
        mention_rows: list[Row] = []
        referral_rows: list[Row] = []
        stale: list[Row] = []
        marks: list[Row] = []
        written_now: dict[str, set[str]] = {}
        statuses: Counter[str] = Counter(report.statuses)
        found: Counter[str] = Counter(report.mentions)
        linked: Counter[str] = Counter(report.linked)
        for row, analysis in zip(rows, analyses, strict=True):
            key, subject = str(row["key"]), row.get("customer")
            statuses[analysis.status] += 1
            resolved: dict[Mention, tuple[str, float]] = {}
            edges: dict[str, Row] = {}
            for mention in analysis.mentions:
                found[mention.label] += 1
                hit = self._resolve(mention, holders, gazetteer, report)
                if hit is None:
                    continue
                resolved[mention] = hit
                customer, confidence = hit
                if customer == subject:
                    report.own_customer += 1
                    continue
                how = "name" if mention.label in (PERSON, ORG) else mention.label.lower()
                edge = edges.setdefault(customer, {"key": key, "customer": customer,
                                                   "label": mention.label, "texts": [],
                                                   "matched": [], "confidence": 0.0,
                                                   "model": name, "at": now})  # fmt: skip
                edge["texts"] = list(dict.fromkeys([*edge["texts"], mention.text]))
                edge["matched"] = sorted({*edge["matched"], how})
                edge["confidence"] = round(max(edge["confidence"], confidence), 3)
            for edge in edges.values():
                linked[edge["matched"][0] if len(edge["matched"]) == 1 else "several"] += 1
            mention_rows += edges.values()
            pairs = self._referrals(kind, key, subject, analysis, resolved, name, now,
                                    referral_rows, report)  # fmt: skip
            # Every earlier edge from this note touches its customer or one it mentioned
            # (MENTIONS edges outlive a re-ingest of the note; `nlp_*` properties do not).
            ends = {str(c) for c in row.get("mentioned") or ()}
            ends |= {e for old in row.get("written") or () for e in str(old).split(">") if e}
            ends |= {subject} if subject else set()
            if ends:
                stale.append({"note": key, "ends": sorted(ends)})
            written_now[key] = set(pairs)
            marks.append({
                "key": key, "hash": text_hash(row["text"], name), "status": analysis.status,
                "language": analysis.language, "sentiment": analysis.sentiment,
                "score": analysis.sentiment_score,
                "mentions": [f"{m.label}:{m.text}" for m in analysis.mentions][:50],
                "referred": pairs, "problem": analysis.problem, "model": name, "at": now,
            })  # fmt: skip
        report.statuses, report.mentions, report.linked = dict(statuses), dict(found), dict(linked)
        batch = self.config.batch
        self.store.run(kind.clear, {"keys": [str(r["key"]) for r in rows]})
        for chunk in range(0, len(stale), batch):
            deleted = self.store.run(
                "notes/delete_note_referrals", {"rows": stale[chunk : chunk + batch]}
            )
            report.referrals_removed += sum(
                1 for d in deleted if f"{d['a']}>{d['b']}" not in written_now.get(d["note"], ())
            )
        self.store.write_batches(kind.mentions, mention_rows, batch)
        report.referrals += self.store.write_batches("notes/merge_referrals", referral_rows, batch)
        self.store.write_batches(kind.mark, marks, batch)  # last: a crash before it re-runs

    def _identifier_holders(self, analyses: Sequence[NoteAnalysis]) -> dict[str, list[str]]:
        """Phone / email value -> the active customers holding it."""
        phones = sorted(
            {m.value for a in analyses for m in a.mentions if m.label == PHONE and m.value}
        )
        emails = sorted(
            {m.value for a in analyses for m in a.mentions if m.label == EMAIL and m.value}
        )
        holders: dict[str, list[str]] = {}
        for statement, values in (("notes/customers_by_phones", phones),
                                  ("notes/customers_by_emails", emails)):  # fmt: skip
            if values:
                for r in self.store.run(statement, {"values": values}):
                    holders[str(r["value"])] = [str(c) for c in r["customers"]]
        return holders

    def _resolve(
        self, mention: Mention, holders: dict[str, list[str]], gazetteer: Gazetteer,
        report: NotesReport,
    ) -> tuple[str, float] | None:  # fmt: skip
        if mention.label in (PHONE, EMAIL):
            customers = holders.get(mention.value or "", [])
            confidence = IDENTIFIER_MATCH_CONFIDENCE
        elif mention.label in (PERSON, ORG):
            customers = sorted(gazetteer.lookup(mention.label, mention.text))
            confidence = round(NAME_MATCH_CONFIDENCE * mention.confidence / 0.9, 3)
        else:
            return None
        if len(customers) > 1:
            report.ambiguous += 1
            return None
        return (customers[0], min(confidence, 1.0)) if customers else None

    def _referrals(
        self, kind: TextKind, key: str, subject: str | None, analysis: NoteAnalysis,
        resolved: dict[Mention, tuple[str, float]], model: str, now: int,
        out: list[Row], report: NotesReport,
    ) -> list[str]:  # fmt: skip
        """Candidate REFERRED rows for one text (appended to `out`); the pairs, a>b."""
        pairs: dict[str, Row] = {}
        for cue in analysis.referrals:
            ends: list[tuple[str, float, str]] = []
            for side in (cue.referrer, cue.referred):
                if side is None:
                    if subject:
                        ends.append((subject, 1.0, "the text's customer"))
                elif side in resolved:
                    ends.append((*resolved[side], side.text))
            if len(ends) < 2 or ends[0][0] == ends[1][0]:
                report.referrals_unresolved += 1
                continue
            (a, conf_a, text_a), (b, conf_b, text_b) = ends
            confidence = round(cue.confidence * min(conf_a, conf_b), 3)
            pair = f"{a}>{b}"
            if pair in pairs and pairs[pair]["confidence"] >= confidence:
                continue
            pairs[pair] = {
                "a": a, "b": b, "note": key, "confidence": confidence, "model": model, "at": now,
                "evidence": [f"{kind.label.lower()}:{key}", f"phrase:{cue.phrase}",
                             f"referrer:{text_a}", f"referred:{text_b}"],
            }  # fmt: skip
        out += pairs.values()
        return sorted(pairs)

"""Precision and recall of the notes pipeline against labelled notes.

Spans count as found only when label, start and end all match (strict, as CoNLL
scoring does), trailing full stops aside ("Coral Cove Co. Ltd." ending a sentence). A referral counts when its referrer and referred match (the note's own
customer as None; names compared folded). Notes planted as very long are left out of
span and referral scoring (their planted text repeats past the cut), but their
status is checked like every other note's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from ingest.normalise import fold
from ml.notes.generate import LabelledNote
from ml.notes.pipeline import LABELS, STATUS_EMPTY, STATUS_INVALID, NoteAnalysis


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def _scores(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def _span(text: str, label: str, start: int, end: int) -> tuple[str, int, int]:
    """A span without its trailing full stops: whether the stop of "Ltd." ending a
    sentence belongs to the name is a coin toss, for the writer as for the tokenizer."""
    while end > start and text[end - 1] == ".":
        end -= 1
    return (label, start, end)


def _name(text: str | None) -> str | None:
    return fold(text) if text else None


def evaluate(notes: Sequence[LabelledNote], results: Sequence[NoteAnalysis]) -> dict[str, Any]:
    if len(notes) != len(results):
        raise ValueError(f"{len(notes)} labelled notes but {len(results)} results")
    counts: dict[str, Counter[str]] = {label: Counter() for label in (*LABELS, "REFERRAL")}
    known_org: Counter[str] = Counter()
    sentiment: Counter[tuple[str, str]] = Counter()
    language: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    bad_status = 0
    for note, result in zip(notes, results, strict=True):
        statuses[result.status] += 1
        expected_empty = note.kind in ("empty", "none")
        if expected_empty != (result.status in (STATUS_EMPTY, STATUS_INVALID)):
            bad_status += 1
        foreign_truth, foreign_found = note.kind == "foreign", result.status == "not_english"
        language["tp" if foreign_truth and foreign_found else
                 "fn" if foreign_truth else "fp" if foreign_found else "tn"] += 1  # fmt: skip
        if note.kind == "long" or expected_empty:
            continue
        gold = {_span(note.text or "", s.label, s.start, s.end) for s in note.spans}
        found = {_span(note.text or "", m.label, m.start, m.end) for m in result.mentions}
        for label in LABELS:
            g = {x for x in gold if x[0] == label}
            f = {x for x in found if x[0] == label}
            counts[label]["tp"] += len(g & f)
            counts[label]["fp"] += len(f - g)
            counts[label]["fn"] += len(g - f)
        for span in note.spans:
            if span.label == "ORG":
                hit = _span(note.text or "", span.label, span.start, span.end) in found
                known_org[f"{'known' if span.known else 'stranger'}_{'tp' if hit else 'fn'}"] += 1
        gold_refs = Counter((_name(r.referrer), _name(r.referred)) for r in note.referrals)
        found_refs = Counter(
            (_name(c.referrer.text if c.referrer else None),
             _name(c.referred.text if c.referred else None))
            for c in result.referrals
        )  # fmt: skip
        counts["REFERRAL"]["tp"] += sum((gold_refs & found_refs).values())
        counts["REFERRAL"]["fp"] += sum((found_refs - gold_refs).values())
        counts["REFERRAL"]["fn"] += sum((gold_refs - found_refs).values())
        if result.sentiment is not None and note.kind != "foreign":
            sentiment[(note.sentiment, result.sentiment)] += 1
    report: dict[str, Any] = {
        label: _scores(c["tp"], c["fp"], c["fn"]) for label, c in counts.items()
    }
    report["ORG_recall_known"] = _ratio(known_org["known_tp"],
                                        known_org["known_tp"] + known_org["known_fn"])  # fmt: skip
    report["ORG_recall_stranger"] = _ratio(
        known_org["stranger_tp"], known_org["stranger_tp"] + known_org["stranger_fn"]
    )
    classes = ("positive", "negative", "neutral")
    report["SENTIMENT"] = {
        "accuracy": _ratio(sum(sentiment[(c, c)] for c in classes), sum(sentiment.values())),
        **{
            c: _scores(
                sentiment[(c, c)],
                sum(sentiment[(o, c)] for o in classes if o != c),
                sum(sentiment[(c, o)] for o in classes if o != c),
            )
            for c in classes
        },
    }
    report["NOT_ENGLISH"] = _scores(language["tp"], language["fp"], language["fn"])
    report["statuses"] = dict(statuses)
    report["wrong_empty_status"] = bad_status
    return report

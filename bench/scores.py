"""Churn and lead models on held-out demo data: AUC, Brier score, calibration; training time.

    .venv/bin/python bench/scores.py --people 100000

The demo data is synthetic: its churn and first purchases follow the documented
lifecycle of `ingest.demo_data` (a hazard lowered by being referred, working at a
business, living with others, having a social handle, plus unobserved frailty), so these
figures say how much of a known, planted process the models recover from what the graph
shows; they are not a claim about real customers.

Steps: generate the data (cached under bench/out/scores-demo-<people>/), ingest, resolve
and map relationships into a graph of its own (cached too: `--fresh` rebuilds it), then
time `ScoresJob.train()` (reading the graph, features, three fits, the registry write)
and `ScoresJob.score()` (every customer, with top factors, written back). The held-out
rows are the 25% of customers the models did not see, the same split `train()` measured.

Beside ours, on the same held-out rows:
    base rate            always the training rate (Brier only; AUC 0.5 by definition)
    recency              days since the last activity (churn) / since the last
                         interaction, reversed (lead): the usual rule of thumb, AUC only
    logistic regression  the same features, standardised, plain scikit-learn
    no graph features    our model without the relationship features (how much they add)
    generating process   the true churn hazard of each customer's entity, from the
                         truth file: what a model could know at best, roughly (AUC only)
Ends with one JSON line of every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import psutil
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.metrics import brier_score_loss, roc_auc_score  # type: ignore[import-untyped]
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]
from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from c360.settings import Settings
from c360.wiring import open_graph
from graph.store import GraphStore
from ingest.demo_data import generate, ingest_demo
from ingest.quarantine import Quarantine
from ml.scores import ModelRegistry, ScoresJob
from ml.scores.features import FEATURES, outcomes, read_histories, snapshot
from ml.scores.job import ScoreBundle
from ml.scores.models import ModelConfig, fit, reliability
from resolvers.identity import IdentityResolver
from resolvers.relations import RelationshipMapper

OUT = Path(__file__).resolve().parent / "out"
GRAPH_FEATURES = ("referrals_made", "referred_in", "knows", "household", "colleagues",
                  "influence", "community_size")  # fmt: skip


def prepare(store: GraphStore, data: Path, people: int, seed: int, home: Path) -> dict[str, float]:
    times: dict[str, float] = {}
    if not (data / "manifest.json").exists():
        t = time.perf_counter()
        generate(data, people, seed=seed)
        times["generate_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    ingest_demo(data, store, Quarantine(home / "quarantine"))
    times["ingest_s"] = round(time.perf_counter() - t, 1)
    print(f"  ingested in {times['ingest_s']:,} s", flush=True)
    t = time.perf_counter()
    IdentityResolver(store).resolve_full()
    times["resolve_s"] = round(time.perf_counter() - t, 1)
    print(f"  resolved in {times['resolve_s']:,} s", flush=True)
    t = time.perf_counter()
    RelationshipMapper(store).run()
    times["relate_s"] = round(time.perf_counter() - t, 1)
    print(f"  relationships in {times['relate_s']:,} s", flush=True)
    return times


def true_hazards(store: GraphStore, data: Path) -> dict[str, float]:
    """Customer id -> the churn hazard of the entity most of its records belong to."""
    entity_of: dict[str, str] = {}
    hazard: dict[str, float] = {}
    with (data / "truth.jsonl").open("rb") as lines:
        for line in lines:
            t = orjson.loads(line)
            if t["type"] == "record":
                entity_of[t["key"]] = t["entity"]
            elif t["type"] == "lifecycle":
                hazard[t["entity"]] = float(t["churn_hazard"])
    rows = store.run_cypher(
        "MATCH (c:Customer {status: 'active'})<-[:RESOLVES_TO]-(r:Record) "
        "RETURN c.id AS id, collect(r.key) AS keys"
    )
    out: dict[str, float] = {}
    for r in rows:
        entities = Counter(entity_of[k] for k in r["keys"] if k in entity_of)
        if entities:
            entity = entities.most_common(1)[0][0]
            if entity in hazard:
                out[r["id"]] = hazard[entity]
    return out


def evaluate(
    store: GraphStore, registry: ModelRegistry, version: str, data: Path, config: ModelConfig
) -> dict[str, Any]:
    bundle: ScoreBundle = registry.load(version)
    histories = read_histories(store)
    as_of, cutoff = date.fromisoformat(bundle.as_of), date.fromisoformat(bundle.cutoff)
    snap = snapshot(histories, cutoff)
    labels = outcomes(histories, cutoff, as_of)
    hazards = true_hazards(store, data)
    results: dict[str, Any] = {}
    graph_columns = [FEATURES.index(n) for n in GRAPH_FEATURES]
    plain_columns = [j for j in range(len(FEATURES)) if j not in graph_columns]
    for kind, mask, target, recency in (
        ("churn", snap.history, labels.churned, ("days_since_activity", 1.0)),
        ("lead", snap.history & ~snap.bought, labels.converted, ("days_since_interaction", -1.0)),
    ):
        model = bundle.models.get(kind)
        if model is None:
            results[kind] = {"refused": bundle.refused.get(kind)}
            continue
        x, y = snap.x[mask], target[mask].astype(np.float64)
        ids = np.array(snap.ids)[mask]
        train_i, test_i = train_test_split(
            np.arange(len(y)), test_size=config.test_share, random_state=config.seed, stratify=y
        )
        x_test, y_test = x[test_i], y[test_i]
        ours = model.predict(x_test)
        base = float(y[train_i].mean())
        column = FEATURES.index(recency[0])
        logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2_000))
        logistic.fit(x[train_i], y[train_i])
        p_logistic = logistic.predict_proba(x_test)[:, 1]
        t = time.perf_counter()
        no_graph = fit(kind, tuple(FEATURES[j] for j in plain_columns), x[:, plain_columns], y,  # type: ignore[arg-type]
                       config, "no graph features")  # fmt: skip
        no_graph_s = time.perf_counter() - t
        p_no_graph = no_graph.predict(x_test[:, plain_columns])
        entry: dict[str, Any] = {
            "rows": len(y), "test_rows": len(y_test), "positives_test": int(y_test.sum()),
            "base_rate": round(base, 4),
            "ours": {"auc": _auc(y_test, ours), "brier": _brier(y_test, ours),
                     "ece": model.metrics["ece"], "reliability": reliability(y_test, ours)},
            "base_rate_brier": _brier(y_test, np.full(len(y_test), base)),
            "recency_auc": _auc(y_test, recency[1] * x_test[:, column]),
            "logistic": {"auc": _auc(y_test, p_logistic), "brier": _brier(y_test, p_logistic)},
            "no_graph_features": {"auc": _auc(y_test, p_no_graph), "brier": _brier(y_test, p_no_graph),
                                  "fit_s": round(no_graph_s, 1)},
        }  # fmt: skip
        if kind == "churn":
            known = [i for i, c in enumerate(ids[test_i]) if c in hazards]
            if known:
                h = np.array([hazards[ids[test_i][i]] for i in known])
                entry["generating_process_auc"] = _auc(y_test[known], h)
                entry["generating_process_rows"] = len(known)
        results[kind] = entry
    value = bundle.models.get("value")
    if value is not None:
        results["value"] = {k: value.metrics[k] for k in ("mae", "mae_mean", "rmse", "r2", "rows")}
    return results


def _auc(y: Any, p: Any) -> float | None:
    return round(float(roc_auc_score(y, p)), 4) if 0 < y.sum() < len(y) else None


def _brier(y: Any, p: Any) -> float:
    return round(float(brier_score_loss(y, p)), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached graph")
    args = parser.parse_args()
    tag = f"{args.people}" if args.seed == 7 else f"{args.people}-s{args.seed}"
    data = OUT / f"scores-demo-{tag}"
    home = OUT / f"scores-home-{tag}"
    settings = Settings(home=home, graph_uri=None, graph_name="bench")
    figures: dict[str, Any] = {"people": args.people, "seed": args.seed, "data": "synthetic"}
    with open_graph(settings) as store:
        customers = store.run_cypher("MATCH (c:Customer) RETURN count(c) AS n")[0]["n"]
        if args.fresh or not customers:
            store.clear()
            store.ensure_schema()
            print(f"preparing the demo graph of {args.people:,} people", flush=True)
            figures |= prepare(store, data, args.people, args.seed, home)
        with tempfile.TemporaryDirectory() as models_home:
            registry = ModelRegistry.under_home(Path(models_home))
            job = ScoresJob(store, registry)
            rss0 = psutil.Process().memory_info().rss
            t = time.perf_counter()
            trained = job.train()
            figures["train_s"] = round(time.perf_counter() - t, 1)
            t = time.perf_counter()
            scored = job.score()
            figures["score_s"] = round(time.perf_counter() - t, 1)
            figures["rss_mb"] = round(max(rss0, psutil.Process().memory_info().rss) / 2**20)
            figures |= {"customers": trained.customers, "training_rows": trained.rows,
                        "as_of": trained.as_of, "cutoff": trained.cutoff,
                        "scored": scored.scored, "insufficient_history": scored.insufficient_history,
                        "refused": trained.refused}  # fmt: skip
            figures |= evaluate(store, registry, trained.version, data, job.config.model)
    for kind in ("churn", "lead"):
        f = figures.get(kind, {})
        if "ours" not in f:
            print(f"{kind}: refused: {f.get('refused')}")
            continue
        print(
            f"{kind}: {f['rows']:,} rows, held out {f['test_rows']:,} ({f['positives_test']:,} positive)"
        )
        print(
            f"  ours                 AUC {f['ours']['auc']}  Brier {f['ours']['brier']}  ECE {f['ours']['ece']}"
        )
        print(f"  logistic regression  AUC {f['logistic']['auc']}  Brier {f['logistic']['brier']}")
        print(
            f"  no graph features    AUC {f['no_graph_features']['auc']}  Brier {f['no_graph_features']['brier']}"
        )
        print(f"  recency rule         AUC {f['recency_auc']}")
        print(f"  base rate            Brier {f['base_rate_brier']}")
        if "generating_process_auc" in f:
            print(f"  generating process   AUC {f['generating_process_auc']} (true hazard)")
        print("  reliability (predicted -> observed, count): " + ", ".join(
            f"{b['predicted']:.2f}->{b['observed']:.2f} ({b['count']})" for b in f["ours"]["reliability"]))  # fmt: skip
    print(f"train {figures['train_s']} s, score {figures['score_s']} s "
          f"({figures['customers']:,} customers)")  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

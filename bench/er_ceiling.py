"""How far the demo data's evidence goes: our match model against one that knows the truth.

After `bench/er_demo.py` has resolved a cached demo graph, this scores its person
candidate pairs twice, on the same comparison levels (whether the two records come from
one source among them) and term frequencies: with the unsupervised model the full run trained (and its veto), and with a
gradient-boosted classifier trained on the truth of a random half of the pairs. Both are
measured pairwise on the other half, at 0.5 (and the classifier at 0.3-0.6), before
clustering. What the classifier gains over ours is what labels could buy; what it still
misses is missed for want of evidence.

    .venv/bin/python bench/er_ceiling.py --people 100000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from c360.settings import Settings
from c360.wiring import open_graph
from ingest.demo_data import read_truth
from resolvers.blocking import block_keys, candidate_pairs, group_records, hub_limits
from resolvers.config import DEFAULT_CONFIG
from resolvers.evaluation import precision_recall_f1
from resolvers.fellegi_sunter import comparison_features
from resolvers.identity import IdentityResolver

OUT = Path(__file__).resolve().parent / "out"


def _prf(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return precision_recall_f1(
        int((predicted & truth).sum()), int(predicted.sum()), int(truth.sum())
    )


def run(people: int, seed: int = 7) -> dict[str, Any]:
    tag = f"{people}" if seed == 7 else f"{people}-s{seed}"
    home, data = OUT / f"er-home-{tag}", OUT / f"demo-{tag}"
    if not (home / "falkordb").exists():
        raise SystemExit(f"no resolved graph in {home}: run bench/er_demo.py --people {people}")
    settings = Settings(home=home, graph_uri=None, graph_name="bench")
    truth = read_truth(data / "truth.jsonl")
    with open_graph(settings) as store:
        resolver = IdentityResolver(store)
        # Demo records only: er_demo's arrivals ("bench:" copies) have no truth.
        records = [r for r in resolver.load_all() if r.kind == "person" and r.key in truth]
        scorer = resolver.scorer("person")
    hubs = DEFAULT_CONFIG.hubs
    groups = group_records(records, [block_keys(r) for r in records])
    pairs = candidate_pairs(records, groups, hub_limits(records, groups, hubs), hubs)
    left, right = pairs[:, 0], pairs[:, 1]
    table = scorer.table([r.values for r in records])
    vectors, _, probability = scorer.model.score_pairs(table, left, right)
    vetoed = scorer.vetoed(vectors, DEFAULT_CONFIG.veto)
    features = comparison_features(scorer.spec, vectors)  # the `source` comparison among them
    entity = [truth[r.key] for r in records]
    same = np.asarray([entity[a] == entity[b] for a, b in pairs.tolist()])
    held_out = np.random.default_rng(0).random(len(same)) < 0.5
    print(f"{len(records):,} person records, {len(pairs):,} candidate pairs, "
          f"{int(same.sum()):,} of them true", flush=True)  # fmt: skip
    ours = _prf((probability >= 0.5)[held_out] & ~vetoed[held_out], same[held_out])
    started = time.perf_counter()
    classifier = HistGradientBoostingClassifier(max_iter=300, random_state=0)
    classifier.fit(features[~held_out], same[~held_out])
    knowing = classifier.predict_proba(features[held_out])[:, 1]
    oracle = {f"at_{t}": _prf(knowing >= t, same[held_out]) for t in (0.3, 0.4, 0.5, 0.6)}
    print(f"  ours (unsupervised, veto): {ours}", flush=True)
    print(f"  trained on the truth ({time.perf_counter() - started:.0f} s): {oracle}", flush=True)
    return {"people": people, "candidate_pairs": len(pairs), "ours": ours, "knowing": oracle}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, action="append")
    parser.add_argument("--seed", type=int, default=7, help="demo data seed (c360 demo: 7)")
    args = parser.parse_args()
    results = {f"demo_{p}": run(p, args.seed) for p in args.people or [100_000]}
    print(json.dumps(results))


if __name__ == "__main__":
    main()

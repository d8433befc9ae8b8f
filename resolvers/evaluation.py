"""Precision, recall and F1 of a clustering against the truth.

Pairwise: over all pairs of records placed together (predicted) or belonging together
(truth). Cluster: a predicted cluster counts only if it is exactly a true entity.
Counted from cluster sizes, so a million records take a second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def precision_recall_f1(true_positive: int, predicted: int, actual: int) -> dict[str, float]:
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 5), "recall": round(recall, 5), "f1": round(f1, 5)}


def evaluate(predicted: Mapping[str, Any], truth: Mapping[str, Any]) -> dict[str, Any]:
    """Scores over the records present in both mappings (record -> cluster / entity)."""
    keys = [k for k in predicted if k in truth]
    cells = Counter((predicted[k], truth[k]) for k in keys)
    clusters = Counter(predicted[k] for k in keys)
    entities = Counter(truth[k] for k in keys)
    pairwise = precision_recall_f1(
        sum(_pairs(n) for n in cells.values()),
        sum(_pairs(n) for n in clusters.values()),
        sum(_pairs(n) for n in entities.values()),
    )
    # A cluster is exact when it is one whole entity: one cell holding the whole of both.
    exact = sum(1 for (c, e), n in cells.items() if n == clusters[c] == entities[e])
    cluster = precision_recall_f1(exact, len(clusters), len(entities))
    return {
        "records": len(keys),
        "clusters": len(clusters),
        "entities": len(entities),
        "pairwise": pairwise,
        "cluster": cluster,
    }

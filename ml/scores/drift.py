"""Drift between runs: the population stability index (PSI) of features and scores.

PSI = sum over bins of (actual - expected) * ln(actual / expected), bins from the
reference's deciles (a feature with few distinct values gets fewer bins), shares floored
at 1e-4 so an empty bin counts without an infinite term. The usual reading: below 0.1
stable, 0.1 to 0.25 a moderate shift, above 0.25 a shift worth retraining for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ml.scores.features import FloatArray

FLOOR = 1e-4
SCORE_EDGES = [round(0.1 * i, 1) for i in range(1, 10)]  # probabilities in tenths


@dataclass(frozen=True)
class Reference:
    """Bin edges (values below the first edge fall in bin 0) and each bin's share."""

    edges: list[float]
    shares: list[float]

    def to_json(self) -> dict[str, Any]:
        return {"edges": self.edges, "shares": self.shares}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reference:
        return cls([float(e) for e in data["edges"]], [float(s) for s in data["shares"]])


def shares(values: FloatArray, edges: list[float]) -> list[float]:
    if len(values) == 0:
        return [0.0] * (len(edges) + 1)
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return [round(float(c) / len(values), 6) for c in counts]


def reference(values: FloatArray, bins: int = 10) -> Reference:
    """Decile bins of `values`."""
    if len(values) == 0:
        return Reference([], [1.0])
    cuts = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
    edges = sorted({round(float(c), 6) for c in cuts})
    # a value equal to an edge goes above it; keep the minimum in the first bin
    edges = [e for e in edges if e > float(np.min(values))]
    return Reference(edges, shares(values, edges))


def psi(expected: list[float], actual: list[float]) -> float:
    e = np.maximum(np.asarray(expected, dtype=np.float64), FLOOR)
    a = np.maximum(np.asarray(actual, dtype=np.float64), FLOOR)
    return round(float(np.sum((a - e) * np.log(a / e))), 4)


def feature_psi(
    refs: dict[str, Reference], names: tuple[str, ...], x: FloatArray
) -> dict[str, float]:
    """PSI of each feature column of `x` against its training reference."""
    out: dict[str, float] = {}
    if len(x) == 0:
        return out
    for j, name in enumerate(names):
        ref = refs.get(name)
        if ref is not None:
            out[name] = psi(ref.shares, shares(x[:, j], ref.edges))
    return out

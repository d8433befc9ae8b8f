"""Structural link features of node pairs over one adjacency (scipy sparse).

Per pair (u, v): common neighbours, Adamic-Adar, resource allocation, Jaccard,
preferential attachment, walks of length 3 and 4 between them, and the shortest distance
capped at 5 ("5" means five or more), read off the walk counts (the shortest k with a
walk of length k is the distance). These are the classic heuristics (each is also a
baseline on its own) and the inputs that plain message passing cannot represent
(a GNN embeds nodes one at a time, so it cannot count what two nodes share).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from ml.links.data import FloatArray, IntArray

FEATURES = (
    "common_neighbours",
    "adamic_adar",
    "resource_allocation",
    "jaccard",
    "preferential_attachment",
    "paths3",
    "paths4",
    "distance",
)
HEURISTICS = ("common_neighbours", "adamic_adar", "jaccard", "preferential_attachment")
MAX_DISTANCE = 5
CHUNK = 4_096  # pairs per sparse product: bounds memory on graphs with hubs


@dataclass(frozen=True)
class PairFeatures:
    """One row per pair, columns as FEATURES; `common` holds each pair's common
    neighbours (a pairs x nodes 0/1 matrix), which the model aggregates (NCN-style)."""

    values: FloatArray
    common: sp.csr_matrix

    def column(self, name: str) -> FloatArray:
        return self.values[:, FEATURES.index(name)]


def pair_features(adjacency: sp.csr_matrix, u: IntArray, v: IntArray) -> PairFeatures:
    n = adjacency.shape[0]
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    with np.errstate(divide="ignore"):
        inv_log = np.where(degree > 1, 1.0 / np.log(np.maximum(degree, 2)), 0.0)
        inv_deg = np.where(degree > 0, 1.0 / np.maximum(degree, 1), 0.0)
    rows: list[FloatArray] = []
    commons: list[sp.csr_matrix] = []
    for start in range(0, len(u), CHUNK):
        cu, cv = u[start : start + CHUNK], v[start : start + CHUNK]
        au, av = adjacency[cu], adjacency[cv]
        common = au.multiply(av).tocsr()
        cn = np.asarray(common.sum(axis=1)).ravel()
        aa = common @ inv_log
        ra = common @ inv_deg
        du, dv = degree[cu], degree[cv]
        union = du + dv - cn
        jaccard = np.divide(cn, union, out=np.zeros_like(cn), where=union > 0)
        pa = du * dv
        two_u = au @ adjacency  # walks of length 2 from u
        two_v = av @ adjacency
        p3 = np.asarray(two_u.multiply(av).sum(axis=1)).ravel()
        p4 = np.asarray(two_u.multiply(two_v).sum(axis=1)).ravel()
        direct = np.asarray(au[np.arange(len(cv)), cv]).ravel() > 0
        distance = np.full(len(cu), float(MAX_DISTANCE))
        for k, walks in ((4, p4), (3, p3), (2, cn)):
            distance[walks > 0] = k
        distance[direct] = 1
        rows.append(np.column_stack([cn, aa, ra, jaccard, pa, p3, p4, distance]))
        commons.append(common)
    if not rows:
        return PairFeatures(np.zeros((0, len(FEATURES))), sp.csr_matrix((0, n)))
    return PairFeatures(np.vstack(rows), sp.vstack(commons).tocsr())


def model_inputs(values: FloatArray) -> FloatArray:
    """Pair features as the network reads them: counts on a log scale, the distance
    one-hot (2..5; 1 never occurs for a candidate, which is not yet an edge)."""
    logged = np.log1p(values[:, :7])
    distance = values[:, 7].astype(np.int64)
    one_hot = np.stack([(distance == k) for k in range(2, MAX_DISTANCE + 1)], axis=1)
    return np.hstack([logged, one_hot.astype(np.float64)])


MODEL_INPUTS = len(FEATURES) - 1 + (MAX_DISTANCE - 1)

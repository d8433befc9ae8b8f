"""Predictions back into the graph: `PREDICTED_LINK {kind, probability, model, features, via, at}`.

Only a model whose evaluation beat every heuristic on this same graph writes anything;
otherwise `ModelNotShipped` says which heuristic it lost to. Candidates are customers two
steps apart (they share someone) who are not yet related; the model reads every
relationship there is now. Per customer the most probable few above the threshold are
kept, with the structural features behind each and up to five customers in common
(`via`). A run over the whole graph removes the predictions of its kind it no longer
makes (a pair that became a real relationship, or fell below the threshold); a run for
some customers only touches predictions involving them.

Before writing, each new prediction, and each whose probability changed, is announced as
`link.predicted` for both its customers (`workers.signals`: with the probability before,
so a `crosses_above` rule raises once when a link becomes likely). Announced before the
write, so a run cut short announces them again next time, with the same ids.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from graph.store import GraphStore, Row
from ml.links.data import IntArray, LinkGraph, LinkPredictionError, UnknownCustomer, load_graph
from ml.links.train import LoadedModel, predict_proba, prepare
from workers.signals import Signals, link_signals

VIA = 5


class ModelNotShipped(LinkPredictionError):
    """The model lost to a heuristic (or was evaluated on another graph)."""


@dataclass
class PredictReport:
    graph: str
    kind: str
    model: str
    customers: int = 0
    candidates: int = 0
    written: int = 0
    removed: int = 0
    announced: int = 0  # link.predicted events (two per new or changed prediction)
    alerts: int = 0  # raised by the alert rules on them
    no_history: list[str] = field(default_factory=list)  # asked-for customers with no edges
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return dict(self.__dict__)


def check_shipped(loaded: LoadedModel, graph_name: str) -> None:
    evaluation = loaded.evaluation
    if evaluation.graph != graph_name:
        raise ModelNotShipped(
            f"model {evaluation.model} was evaluated on graph {evaluation.graph!r}, not "
            f"{graph_name!r}: train it on this graph before writing predictions here"
        )
    if not evaluation.shipped:
        raise ModelNotShipped(
            f"model {evaluation.model} is not shipped for graph {graph_name!r}: "
            f"{evaluation.reason}; no predictions written"
        )


def candidate_pairs(
    adjacency: sp.csr_matrix, focus: IntArray | None, per_node: int
) -> tuple[IntArray, IntArray]:
    """Pairs two steps apart and not adjacent, at most `per_node` per node (those with
    the most common neighbours), each pair once with u < v."""
    n = adjacency.shape[0]
    rows = np.arange(n) if focus is None else focus
    found: set[tuple[int, int]] = set()
    for start in range(0, len(rows), 2_048):
        chunk = rows[start : start + 2_048]
        walks = (adjacency[chunk] @ adjacency).tocsr()
        for i, u in enumerate(chunk.tolist()):
            lo, hi = walks.indptr[i], walks.indptr[i + 1]
            cols, counts = walks.indices[lo:hi], walks.data[lo:hi]
            neighbours = adjacency.indices[adjacency.indptr[u] : adjacency.indptr[u + 1]]
            keep = (cols != u) & ~np.isin(cols, neighbours)
            cols, counts = cols[keep], counts[keep]
            if len(cols) > per_node:
                top = np.argpartition(-counts, per_node - 1)[:per_node]
                cols = cols[top]
            for v in cols.tolist():
                found.add((u, v) if u < v else (v, u))
    pairs = sorted(found)
    return (
        np.array([p[0] for p in pairs], dtype=np.int64),
        np.array([p[1] for p in pairs], dtype=np.int64),
    )


def predict_links(
    store: GraphStore,
    loaded: LoadedModel,
    graph_name: str,
    *,
    customers: Sequence[str] | None = None,
    threshold: float = 0.5,
    per_customer: int = 5,
    candidates_per_customer: int = 50,
    batch: int = 2_000,
    graph: LinkGraph | None = None,
    signals: Signals | None = None,
) -> PredictReport:
    """Write the predictions (see the module); `signals` announces them (default: through
    the alert rules only, no event stream)."""
    check_shipped(loaded, graph_name)
    started = time.perf_counter()
    evaluation = loaded.evaluation
    report = PredictReport(graph=graph_name, kind=evaluation.kind, model=evaluation.model)
    graph = graph or load_graph(store, graph_name)
    report.customers = graph.num_nodes
    index = graph.index()
    adjacency = graph.adjacency()
    focus: IntArray | None = None
    if customers is not None:
        unknown = [c for c in customers if c not in index]
        if unknown:
            raise UnknownCustomer(
                f"no active customer {', '.join(map(repr, unknown[:5]))} in graph {graph_name!r}"
            )
        focus = np.array(sorted({index[c] for c in customers}), dtype=np.int64)
        degree = np.diff(adjacency.indptr)
        report.no_history = [graph.nodes[i] for i in focus.tolist() if degree[i] == 0]
    u, v = candidate_pairs(adjacency, focus, candidates_per_customer)
    report.candidates = len(u)
    rows_written: list[Row] = []
    if len(u):
        known = {node: i for i, node in enumerate(loaded.nodes)}
        node_rows = np.array([known.get(n, -1) for n in graph.nodes], dtype=np.int64)
        data = prepare(graph, None, u, v, rows=node_rows)
        probability = predict_proba(loaded.model, data)
        rows_written = _best_rows(graph, data.features, u, v, probability, threshold,
                                  per_customer, evaluation.kind, evaluation.model)  # fmt: skip
    touched = set() if focus is None else {graph.nodes[i] for i in focus.tolist()}
    existing = [
        r
        for r in store.run("links/predictions", {"kind": evaluation.kind})
        if focus is None or r["a"] in touched or r["b"] in touched
    ]
    wanted = {(r["a"], r["b"]) for r in rows_written}
    stale: list[Row] = [
        {"a": r["a"], "b": r["b"], "kind": evaluation.kind}
        for r in existing
        if (r["a"], r["b"]) not in wanted
    ]
    news = link_signals(existing, rows_written)
    report.alerts = (signals or Signals(store)).emit(news)
    report.announced = len(news)
    store.write_batches("links/delete_predictions", stale, batch)
    store.write_batches("links/merge_predictions", rows_written, batch)
    report.written = len(rows_written)
    report.removed = len(stale)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _best_rows(
    graph: LinkGraph,
    features: Any,
    u: IntArray,
    v: IntArray,
    probability: np.ndarray[Any, np.dtype[np.float64]],
    threshold: float,
    per_customer: int,
    kind: str,
    model: str,
) -> list[Row]:
    order = np.argsort(-probability, kind="stable")
    taken: dict[int, int] = {}
    now = int(time.time() * 1000)
    rows: list[Row] = []
    common = features.common
    values = features.values
    for k in order.tolist():
        p = float(probability[k])
        if p < threshold:
            break
        a, b = int(u[k]), int(v[k])
        if taken.get(a, 0) >= per_customer or taken.get(b, 0) >= per_customer:
            continue
        taken[a] = taken.get(a, 0) + 1
        taken[b] = taken.get(b, 0) + 1
        via = common.indices[common.indptr[k] : common.indptr[k + 1]][:VIA]
        f = values[k]
        rows.append({
            "a": graph.nodes[a], "b": graph.nodes[b], "kind": kind,
            "probability": round(p, 4), "model": model,
            "common_neighbours": int(f[0]), "adamic_adar": round(float(f[1]), 4),
            "resource_allocation": round(float(f[2]), 4), "jaccard": round(float(f[3]), 4),
            "preferential_attachment": int(f[4]), "paths3": int(f[5]), "distance": int(f[7]),
            "via": [graph.nodes[w] for w in via.tolist()], "at": now,
        })  # fmt: skip
    return rows

"""Training, evaluation against the heuristics, and the model artefact.

`train_links(graph, kind)` splits the graph in time (`ml.links.data.temporal_split`),
learns to tell the supervision edges from as many sampled non-edges while reading only
the older message edges, then scores the test edges (and as many non-edges) reading every
edge older than them. The heuristics are scored on the very same pairs over the very same
graph. The model ships for this graph only if its ROC-AUC is above every heuristic's: the
artefact keeps that evaluation, and the write-back refuses a model that lost.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import average_precision_score, roc_auc_score  # type: ignore[import-untyped]

from ml.links.data import (
    ANY,
    IntArray,
    LinkGraph,
    LinkPredictionError,
    TooFewEdges,
    nodes_with_history,
    sample_non_edges,
)
from ml.links.data import temporal_split as split_graph
from ml.links.features import HEURISTICS, PairFeatures, model_inputs, pair_features
from ml.links.model import LinkPredictor, edge_index_of, log_degree_of, to_torch_sparse

OURS = "c360-links"
GRAPHSAGE = "graphsage"


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 150
    lr: float = 0.01
    baseline_embedding_dim: int = 32  # plain GraphSAGE's learned embedding per node
    hidden: int = 64
    negatives_per_positive: int = 1
    test_fraction: float = 0.15
    supervision_fraction: float = 0.2
    min_edges: int = 20
    # Supervision edges beyond this many (a random sample is kept) join the message graph:
    # training cost grows with pairs, accuracy hardly beyond ~20k positives.
    max_supervision: int = 20_000
    seed: int = 0
    threads: int = 1  # the 2-core machine is shared: 2 threads measured slower


@dataclass
class MethodScore:
    auc: float
    ap: float


@dataclass
class LinkEvaluation:
    graph: str
    kind: str
    model: str
    methods: dict[str, MethodScore]
    best_baseline: str
    shipped: bool
    reason: str
    nodes: int
    edges: int
    train_messages: int
    supervision: int
    test: int
    cold_test: int  # test edges bringing a customer with no earlier relationship: not scored
    timed_split: bool
    cutoff: float | None
    epochs: int
    seconds_per_epoch: float
    train_seconds: float
    trained_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinkEvaluation:
        methods = {k: MethodScore(**v) for k, v in data["methods"].items()}
        return cls(**{**data, "methods": methods})


@dataclass
class Prepared:
    """One set of pairs over one message graph, everything the network reads."""

    x_rows: torch.Tensor
    log_degree: torch.Tensor
    edge_index: torch.Tensor
    u: torch.Tensor
    v: torch.Tensor
    inputs: torch.Tensor
    common: torch.Tensor
    features: PairFeatures


def prepare(
    graph: LinkGraph,
    mask: np.ndarray[Any, np.dtype[np.bool_]] | None,
    u: IntArray,
    v: IntArray,
    rows: IntArray | None = None,
) -> Prepared:
    adjacency = graph.adjacency(mask)
    features = pair_features(adjacency, u, v)
    node_rows = np.arange(graph.num_nodes) if rows is None else rows
    return Prepared(
        x_rows=torch.from_numpy(node_rows.astype(np.int64)),
        log_degree=log_degree_of(adjacency),
        edge_index=edge_index_of(adjacency),
        u=torch.from_numpy(u),
        v=torch.from_numpy(v),
        inputs=torch.from_numpy(model_inputs(features.values).astype(np.float32)),
        common=to_torch_sparse(features.common),
        features=features,
    )


def predict_proba(model: LinkPredictor, data: Prepared) -> np.ndarray[Any, np.dtype[np.float64]]:
    model.eval()
    with torch.no_grad():
        h = model.encode(model.node_inputs(data.x_rows, data.log_degree), data.edge_index)
        logits = model.score(h, data.u, data.v, data.inputs, data.common)
    return torch.sigmoid(logits).double().numpy()


def fit(model: LinkPredictor, data: Prepared, labels: torch.Tensor, config: TrainConfig) -> float:
    """Full-batch training; returns seconds per epoch."""
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    start = time.perf_counter()
    for _ in range(config.epochs):
        model.train()
        optimiser.zero_grad()
        h = model.encode(model.node_inputs(data.x_rows, data.log_degree), data.edge_index)
        loss = loss_fn(model.score(h, data.u, data.v, data.inputs, data.common), labels)
        loss.backward()
        optimiser.step()
    return (time.perf_counter() - start) / max(config.epochs, 1)


def _scores(labels: np.ndarray[Any, Any], scores: np.ndarray[Any, Any]) -> MethodScore:
    return MethodScore(
        auc=round(float(roc_auc_score(labels, scores)), 4),
        ap=round(float(average_precision_score(labels, scores)), 4),
    )


def model_id(kind: str) -> str:
    return f"links-{kind.lower()}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"


@dataclass
class TrainedLinks:
    model: LinkPredictor
    evaluation: LinkEvaluation
    nodes: tuple[str, ...]
    config: TrainConfig
    baseline_scores: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    labels: np.ndarray[Any, Any] | None = None


def train_links(
    graph: LinkGraph,
    kind: str = ANY,
    config: TrainConfig | None = None,
    *,
    graphsage_baseline: bool = False,
) -> TrainedLinks:
    """Train, evaluate beside the heuristics (and plain GraphSAGE when asked), decide."""
    config = config or TrainConfig()
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = np.random.default_rng(config.seed)
    split = split_graph(
        graph, kind, test_fraction=config.test_fraction,
        supervision_fraction=config.supervision_fraction, min_edges=config.min_edges,
        seed=config.seed,
    )  # fmt: skip
    supervision = np.flatnonzero(split.supervision)
    train_messages = split.train_messages.copy()
    if len(supervision) > config.max_supervision:
        extra = rng.choice(
            len(supervision), len(supervision) - config.max_supervision, replace=False
        )
        train_messages[supervision[extra]] = True
        supervision = np.delete(supervision, extra)
    if len(supervision) == 0 or not split.test.any():
        raise TooFewEdges(
            f"graph {graph.name!r}: after the time-respecting split {len(supervision)} "
            f"supervision and {int(split.test.sum())} test edges join customers that already "
            f"had relationships ({split.cold_supervision + split.cold_test} more bring a new "
            "customer); nothing to learn or test on"
        )
    sup_u, sup_v = graph.src[supervision], graph.dst[supervision]
    warm_train = nodes_with_history(graph, split.train_messages)
    neg_u, neg_v = sample_non_edges(
        graph, len(sup_u) * config.negatives_per_positive, rng, among=warm_train
    )
    train_u, train_v = np.concatenate([sup_u, neg_u]), np.concatenate([sup_v, neg_v])
    train_labels = torch.cat([torch.ones(len(sup_u)), torch.zeros(len(neg_u))])
    test_pos_u, test_pos_v = graph.src[split.test], graph.dst[split.test]
    warm_test = nodes_with_history(graph, split.test_messages)
    test_neg_u, test_neg_v = sample_non_edges(graph, len(test_pos_u), rng, among=warm_test)
    test_u = np.concatenate([test_pos_u, test_neg_u])
    test_v = np.concatenate([test_pos_v, test_neg_v])
    labels = np.concatenate([np.ones(len(test_pos_u)), np.zeros(len(test_neg_u))])

    started = time.perf_counter()
    train_data = prepare(graph, train_messages, train_u, train_v)
    model = LinkPredictor(graph.num_nodes, hidden=config.hidden)
    per_epoch = fit(model, train_data, train_labels, config)
    train_seconds = time.perf_counter() - started
    test_data = prepare(graph, split.test_messages, test_u, test_v)

    methods: dict[str, MethodScore] = {}
    baseline_scores: dict[str, np.ndarray[Any, Any]] = {}
    ours = predict_proba(model, test_data)
    baseline_scores[OURS] = ours
    methods[OURS] = _scores(labels, ours)
    for name in HEURISTICS:
        column = test_data.features.column(name)
        baseline_scores[name] = column
        methods[name] = _scores(labels, column)
    if graphsage_baseline:
        sage = LinkPredictor(graph.num_nodes, embedding_dim=config.baseline_embedding_dim,
                             hidden=config.hidden, structural=False)  # fmt: skip
        fit(sage, train_data, train_labels, config)
        baseline_scores[GRAPHSAGE] = predict_proba(sage, test_data)
        methods[GRAPHSAGE] = _scores(labels, baseline_scores[GRAPHSAGE])
    best = max(HEURISTICS, key=lambda m: methods[m].auc)
    shipped = methods[OURS].auc > methods[best].auc
    reason = (
        f"AUC {methods[OURS].auc:.4f} above the best heuristic, {best} ({methods[best].auc:.4f})"
        if shipped
        else f"AUC {methods[OURS].auc:.4f} not above {best} ({methods[best].auc:.4f}) on graph "
        f"{graph.name!r}"
    )
    evaluation = LinkEvaluation(
        graph=graph.name, kind=kind, model=model_id(kind), methods=methods, best_baseline=best,
        shipped=shipped, reason=reason, nodes=graph.num_nodes, edges=graph.num_edges,
        train_messages=int(train_messages.sum()), supervision=len(supervision),
        test=int(split.test.sum()), cold_test=split.cold_test, timed_split=split.timed,
        cutoff=split.cutoff if math.isfinite(split.cutoff) else None, epochs=config.epochs,
        seconds_per_epoch=round(per_epoch, 4), train_seconds=round(train_seconds, 2),
    )  # fmt: skip
    return TrainedLinks(model, evaluation, graph.nodes, config, baseline_scores, labels)


# -- the artefact ---------------------------------------------------------------------------
def artefact_dir(home: Path, graph_name: str, kind: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", graph_name)
    return home / "models" / "links" / safe / kind.lower()


def save(trained: TrainedLinks, folder: Path) -> Path:
    """`model.pt` (weights, the customers it knows, its shape) beside `evaluation.json`."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "state": trained.model.state_dict(),
            "nodes": list(trained.nodes),
            "hidden": trained.config.hidden,
            "evaluation": json.dumps(trained.evaluation.to_json()),
        },
        folder / "model.pt",
    )
    (folder / "evaluation.json").write_text(
        json.dumps(trained.evaluation.to_json(), indent=2), encoding="utf-8"
    )
    return folder


@dataclass
class LoadedModel:
    model: LinkPredictor
    nodes: tuple[str, ...]
    evaluation: LinkEvaluation


def load(folder: Path) -> LoadedModel:
    path = folder / "model.pt"
    if not path.is_file():
        raise LinkPredictionError(f"no link prediction model at {path}: run `c360 links train`")
    saved = torch.load(path, weights_only=True)
    nodes = tuple(str(n) for n in saved["nodes"])
    model = LinkPredictor(len(nodes), hidden=int(saved["hidden"]))
    model.load_state_dict(saved["state"])
    evaluation = LinkEvaluation.from_json(json.loads(saved["evaluation"]))
    return LoadedModel(model, nodes, evaluation)

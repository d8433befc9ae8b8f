"""The customer graph as link prediction sees it, and its time-respecting split.

A `LinkGraph` is nodes (customer ids) and undirected edges, each with a kind and a time.
From the store, an edge is dated by its own `since` (an ISO date) where a source gave
one, else by its evidence: the earliest pair of records (one per
customer) sharing a phone, email or address, at the later of the two records' creation
dates; a referral by the referred customer's record that names the referrer; otherwise
(colleagues, undated records) when its later customer first appeared (earliest creation
date of its records, else earliest ingest time). Edges with no date count as the oldest.

`temporal_split` puts the latest target edges in the test set, the ones just before them
in the supervision set, and everything older into the graph the model reads (messages).
Nothing the model learns from or reads is later than what it is tested on. A test (or
supervision) edge with an end that has no relationship before it (a customer arriving
with it: cold start) is counted but not scored: no structure can predict it, and
keeping it would let a model score the "newness" of an end instead of the link.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]

from graph.store import GraphStore

KINDS = ("REFERRED", "KNOWS", "HOUSEHOLD", "COLLEAGUE")
ANY = "ANY"  # the target "any relationship"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class LinkPredictionError(ValueError):
    """Input link prediction cannot work with; the message says what and where."""


class EmptyGraph(LinkPredictionError):
    pass


class TooFewEdges(LinkPredictionError):
    pass


class UnknownCustomer(LinkPredictionError):
    pass


@dataclass(frozen=True)
class LinkGraph:
    """Undirected, simple: `src[i] < dst[i]`, no self loops, one row per pair (the
    kinds of a pair merged: its earliest time, every kind in `kinds`)."""

    name: str
    nodes: tuple[str, ...]
    src: IntArray
    dst: IntArray
    time: FloatArray  # -inf: undated (oldest)
    kinds: tuple[frozenset[str], ...]

    @property
    def num_nodes(self) -> int:
        return len(self.nodes)

    @property
    def num_edges(self) -> int:
        return int(self.src.shape[0])

    def index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.nodes)}

    def adjacency(self, mask: npt.NDArray[np.bool_] | None = None) -> sp.csr_matrix:
        """Symmetric 0/1 adjacency of the edges selected by `mask` (all by default)."""
        src, dst = (self.src, self.dst) if mask is None else (self.src[mask], self.dst[mask])
        n = self.num_nodes
        data = np.ones(2 * src.shape[0], dtype=np.float64)
        a = sp.csr_matrix(
            (data, (np.concatenate([src, dst]), np.concatenate([dst, src]))), shape=(n, n)
        )
        a.data[:] = 1.0  # duplicates summed by the constructor count once
        return a

    def target_mask(self, kind: str) -> npt.NDArray[np.bool_]:
        if kind == ANY:
            return np.ones(self.num_edges, dtype=bool)
        return np.array([kind in k for k in self.kinds], dtype=bool)


def build_graph(
    name: str,
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str, str, float | None]],
) -> LinkGraph:
    """A LinkGraph from node ids and (a, b, kind, time) edges; unknown ends are an error."""
    node_list = list(dict.fromkeys(nodes))
    index = {n: i for i, n in enumerate(node_list)}
    pairs: dict[tuple[int, int], tuple[float, set[str]]] = {}
    for a, b, kind, at in edges:
        if a not in index or b not in index:
            missing = a if a not in index else b
            raise UnknownCustomer(f"graph {name!r}: edge {kind} {a}-{b} names {missing!r}, "
                                  "which is not one of its nodes")  # fmt: skip
        i, j = index[a], index[b]
        if i == j:
            continue
        key = (min(i, j), max(i, j))
        t = -math.inf if at is None else float(at)
        old = pairs.get(key)
        if old is None:
            pairs[key] = (t, {kind})
        else:
            old[1].add(kind)
            pairs[key] = (min(old[0], t), old[1])
    keys = sorted(pairs)
    return LinkGraph(
        name=name,
        nodes=tuple(node_list),
        src=np.array([k[0] for k in keys], dtype=np.int64),
        dst=np.array([k[1] for k in keys], dtype=np.int64),
        time=np.array([pairs[k][0] for k in keys], dtype=np.float64),
        kinds=tuple(frozenset(pairs[k][1]) for k in keys),
    )


def _day(value: object) -> float | None:
    """Days since the epoch of an ISO date (or datetime) text; None when it is not one."""
    if value is None:
        return None
    try:
        return float(date.fromisoformat(str(value)[:10]).toordinal() - 719163)
    except ValueError:
        return None


def _first_seen(created: Sequence[object], ingested_at: object) -> float | None:
    """Days since the epoch when a customer first appeared."""
    days = [d for d in map(_day, created) if d is not None]
    if days:
        return float(min(days))
    if isinstance(ingested_at, int | float):
        return float(ingested_at) / 86_400_000
    return None


def load_graph(store: GraphStore, name: str) -> LinkGraph:
    """The active customers and the relationships between them, edges dated (see module)."""
    seen: dict[str, float | None] = {}
    for row in store.run("links/customers"):
        seen[str(row["id"])] = _first_seen(row.get("created") or [], row.get("ingested_at"))
    edges = []
    for row in store.run("links/edges"):
        a, b = str(row["a"]), str(row["b"])
        edges.append((a, b, str(row["type"]), _edge_day(row, seen.get(a), seen.get(b))))
    return build_graph(name, seen, edges)


def _edge_day(row: dict[str, object], seen_a: float | None, seen_b: float | None) -> float | None:
    """When the evidence for an edge first existed (see the module docstring)."""
    since = _day(row.get("since"))
    if since is not None:
        return since
    found: list[float] = []
    for pair in row.get("shared") or []:  # type: ignore[attr-defined]
        days = [_day(v) for v in pair]
        if len(days) == 2 and days[0] is not None and days[1] is not None:
            found.append(max(days[0], days[1]))
    for value in row.get("referred") or []:  # type: ignore[attr-defined]
        day = _day(value)
        if day is not None:
            found.append(day if seen_a is None else max(day, seen_a))
    if found:
        return min(found)
    return None if seen_a is None or seen_b is None else max(seen_a, seen_b)


@dataclass(frozen=True)
class Split:
    """Edge masks over a LinkGraph: what the model reads and what it is scored on."""

    train_messages: npt.NDArray[np.bool_]  # read while learning
    supervision: npt.NDArray[np.bool_]  # the positives it learns to predict
    test_messages: npt.NDArray[np.bool_]  # read while tested (every edge before the test)
    test: npt.NDArray[np.bool_]  # the positives it is tested on
    cutoff: float  # time from which edges are test edges
    timed: bool
    cold_test: int = 0  # test edges left out: an end with no relationship before them
    cold_supervision: int = 0  # supervision edges moved into the messages, for the same reason


def temporal_split(
    graph: LinkGraph,
    kind: str = ANY,
    *,
    test_fraction: float = 0.15,
    supervision_fraction: float = 0.2,
    min_edges: int = 20,
    seed: int = 0,
) -> Split:
    """Time-respecting split of the target edges (see module). Ties in time are ordered
    at random (seeded), so a graph with no times at all gets a random split."""
    if graph.num_nodes == 0:
        raise EmptyGraph(f"graph {graph.name!r} has no active customers: nothing to learn from")
    target = graph.target_mask(kind)
    n_target = int(target.sum())
    if n_target < min_edges:
        raise TooFewEdges(
            f"graph {graph.name!r} has {n_target} {kind} relationship(s) between customers; "
            f"a time-respecting split needs at least {min_edges}"
        )
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(graph.num_edges), graph.time))  # by time, ties at random
    rank = np.empty(graph.num_edges, dtype=np.int64)
    rank[order] = np.arange(graph.num_edges)
    target_ranks = np.sort(rank[target])
    n_test = max(1, round(n_target * test_fraction))
    n_sup = max(1, round(n_target * supervision_fraction))
    test_from = target_ranks[n_target - n_test]
    sup_from = target_ranks[n_target - n_test - n_sup]
    test_messages = rank < test_from
    train_messages = rank < sup_from
    test = target & ~test_messages & _warm(graph, test_messages)
    supervision = target & ~train_messages & test_messages
    warm_supervision = supervision & _warm(graph, train_messages)
    cold_supervision = supervision & ~warm_supervision
    finite = graph.time[np.isfinite(graph.time)]
    return Split(
        train_messages=train_messages | cold_supervision,
        supervision=warm_supervision,
        test_messages=test_messages,
        test=test,
        cutoff=float(graph.time[order[test_from]]),
        timed=bool(finite.size and finite.min() < finite.max()),
        cold_test=int((target & ~test_messages).sum() - test.sum()),
        cold_supervision=int(cold_supervision.sum()),
    )


def _warm(graph: LinkGraph, messages: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Edges both of whose ends have a relationship among `messages`."""
    has_history = np.zeros(graph.num_nodes, dtype=bool)
    has_history[graph.src[messages]] = True
    has_history[graph.dst[messages]] = True
    return has_history[graph.src] & has_history[graph.dst]


def nodes_with_history(graph: LinkGraph, messages: npt.NDArray[np.bool_]) -> IntArray:
    has_history = np.zeros(graph.num_nodes, dtype=bool)
    has_history[graph.src[messages]] = True
    has_history[graph.dst[messages]] = True
    return np.flatnonzero(has_history).astype(np.int64)


def sample_non_edges(
    graph: LinkGraph, count: int, rng: np.random.Generator, among: IntArray | None = None
) -> tuple[IntArray, IntArray]:
    """`count` distinct node pairs that are not edges of the graph (any time), uniformly."""
    n = graph.num_nodes if among is None else int(among.shape[0])
    if n < 2:
        raise EmptyGraph(f"graph {graph.name!r} has fewer than two customers to pair")
    existing = set((graph.src * graph.num_nodes + graph.dst).tolist())
    chosen: set[int] = set()
    us: list[int] = []
    vs: list[int] = []
    attempts = 0
    while len(us) < count and attempts < 50:
        attempts += 1
        k = (count - len(us)) * 2 + 16
        a = rng.integers(0, n, size=k)
        b = rng.integers(0, n, size=k)
        if among is not None:
            a, b = among[a], among[b]
        for x, y in zip(a.tolist(), b.tolist(), strict=True):
            if x == y:
                continue
            i, j = (x, y) if x < y else (y, x)
            key = i * graph.num_nodes + j
            if key in existing or key in chosen:
                continue
            chosen.add(key)
            us.append(i)
            vs.append(j)
            if len(us) == count:
                break
    return np.array(us, dtype=np.int64), np.array(vs, dtype=np.int64)

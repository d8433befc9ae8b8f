"""Link prediction parts that need no server: graph building, the time-respecting split,
the structural features (checked against networkx), bad inputs, the artefact."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from ml.links import (
    EmptyGraph,
    TooFewEdges,
    TrainConfig,
    UnknownCustomer,
    build_graph,
    load,
    save,
    temporal_split,
    train_links,
)
from ml.links.data import LinkGraph, sample_non_edges
from ml.links.features import FEATURES, MAX_DISTANCE, pair_features
from ml.links.writeback import ModelNotShipped, candidate_pairs, check_shipped


def chain_graph(n: int, kind: str = "KNOWS") -> LinkGraph:
    """A path 0-1-2-...-(n-1), edge i dated i."""
    return build_graph(
        "chain", [f"c{i}" for i in range(n)],
        [(f"c{i}", f"c{i + 1}", kind, float(i)) for i in range(n - 1)],
    )  # fmt: skip


def test_build_graph_merges_both_directions_and_kinds_keeping_the_earliest_time() -> None:
    graph = build_graph(
        "g", ["a", "b", "c"],
        [("a", "b", "KNOWS", 5.0), ("b", "a", "REFERRED", 3.0), ("b", "b", "KNOWS", 1.0),
         ("b", "c", "HOUSEHOLD", None)],
    )  # fmt: skip
    assert graph.num_edges == 2
    assert graph.kinds[0] == frozenset({"KNOWS", "REFERRED"})
    assert graph.time[0] == 3.0
    assert graph.time[1] == -np.inf  # undated: the oldest
    assert graph.target_mask("REFERRED").tolist() == [True, False]


def test_an_edge_to_an_unknown_customer_is_named() -> None:
    with pytest.raises(UnknownCustomer, match="'zz'"):
        build_graph("g", ["a"], [("a", "zz", "KNOWS", None)])


def test_empty_graph_and_too_few_edges_are_clear() -> None:
    with pytest.raises(EmptyGraph, match="'empty' has no active customers"):
        temporal_split(build_graph("empty", [], []))
    with pytest.raises(TooFewEdges, match="'chain' has 4 ANY relationship.*at least 20"):
        temporal_split(chain_graph(5))
    with pytest.raises(TooFewEdges, match="0 REFERRED"):
        temporal_split(chain_graph(30), "REFERRED")
    with pytest.raises(EmptyGraph):
        train_links(build_graph("empty", [], []))


def test_split_respects_time_and_leaves_out_cold_ends() -> None:
    # A dense old core (dated 0..), then later edges among core nodes (warm) and edges that
    # bring new nodes (cold).
    rng = np.random.default_rng(1)
    core = [(f"n{a}", f"n{b}") for a in range(30) for b in range(a + 1, 30) if rng.random() < 0.3]
    edges = [(a, b, "KNOWS", float(i)) for i, (a, b) in enumerate(core)]
    t = float(len(edges))
    edges += [(f"n{i}", f"new{i}", "KNOWS", t + i) for i in range(10)]
    graph = build_graph("g", [f"n{i}" for i in range(30)] + [f"new{i}" for i in range(10)], edges)
    split = temporal_split(graph, test_fraction=0.2, supervision_fraction=0.2)
    times = graph.time
    assert times[split.train_messages & ~split.supervision].max() <= times[split.supervision].min()
    assert times[split.supervision].max() <= times[split.test].min()
    assert not (split.test & split.test_messages).any()
    assert not (split.supervision & split.train_messages).any()
    assert (split.supervision <= split.test_messages).all()
    # Every scored test edge joins two customers with earlier relationships.
    seen = set(graph.src[split.test_messages]) | set(graph.dst[split.test_messages])
    assert all(
        u in seen and v in seen
        for u, v in zip(graph.src[split.test], graph.dst[split.test], strict=True)
    )
    assert split.cold_test > 0
    assert split.timed


def test_non_edges_are_non_edges_and_distinct() -> None:
    graph = chain_graph(40)
    u, v = sample_non_edges(graph, 100, np.random.default_rng(0))
    assert len(u) == 100
    pairs = set(zip(u.tolist(), v.tolist(), strict=True))
    assert len(pairs) == 100
    edges = set(zip(graph.src.tolist(), graph.dst.tolist(), strict=True))
    assert not pairs & edges
    assert all(a < b for a, b in pairs)


def test_pair_features_agree_with_networkx() -> None:
    g = nx.gnp_random_graph(60, 0.08, seed=3)
    graph = build_graph(
        "g", [str(n) for n in g.nodes], [(str(a), str(b), "KNOWS", None) for a, b in g.edges]
    )
    index = graph.index()
    pairs = [(a, b) for a in range(60) for b in range(a + 1, 60) if not g.has_edge(a, b)][:400]
    u = np.array([index[str(a)] for a, _ in pairs])
    v = np.array([index[str(b)] for _, b in pairs])
    features = pair_features(graph.adjacency(), u, v)
    aa = {(a, b): s for a, b, s in nx.adamic_adar_index(g, pairs)}
    jac = {(a, b): s for a, b, s in nx.jaccard_coefficient(g, pairs)}
    ra = {(a, b): s for a, b, s in nx.resource_allocation_index(g, pairs)}
    lengths = dict(nx.all_pairs_shortest_path_length(g, cutoff=MAX_DISTANCE))
    for k, (a, b) in enumerate(pairs):
        row = dict(zip(FEATURES, features.values[k], strict=True))
        assert row["common_neighbours"] == len(list(nx.common_neighbors(g, a, b)))
        assert row["adamic_adar"] == pytest.approx(aa[(a, b)])
        assert row["jaccard"] == pytest.approx(jac[(a, b)])
        assert row["resource_allocation"] == pytest.approx(ra[(a, b)])
        assert row["preferential_attachment"] == g.degree[a] * g.degree[b]
        assert row["distance"] == min(lengths[a].get(b, MAX_DISTANCE), MAX_DISTANCE)
        common = set(features.common[k].indices.tolist())
        assert common == {index[str(w)] for w in nx.common_neighbors(g, a, b)}


def test_candidates_are_two_steps_apart_and_not_yet_linked() -> None:
    graph = chain_graph(6)
    u, v = candidate_pairs(graph.adjacency(), None, per_node=10)
    assert list(zip(u.tolist(), v.tolist(), strict=True)) == [(0, 2), (1, 3), (2, 4), (3, 5)]
    u, v = candidate_pairs(graph.adjacency(), np.array([0]), per_node=10)
    assert list(zip(u.tolist(), v.tolist(), strict=True)) == [(0, 2)]


def planted(blocks: int = 8, size: int = 40, inside: float = 6.0, seed: int = 2) -> LinkGraph:
    """Planted communities: a link is likely inside a block, rare across, dated at random."""
    p_in, p_out = inside / size, 0.5 / (size * (blocks - 1))
    probs = [[p_in if i == j else p_out for j in range(blocks)] for i in range(blocks)]
    g = nx.stochastic_block_model([size] * blocks, probs, seed=seed)
    rng = np.random.default_rng(seed)
    return build_graph("planted", [str(n) for n in g.nodes],
                       [(str(a), str(b), "KNOWS", float(rng.integers(0, 1000))) for a, b in g.edges])  # fmt: skip


def test_artefact_round_trip_and_the_shipping_check(tmp_path: Path) -> None:
    graph = planted()
    trained = train_links(graph, config=TrainConfig(epochs=5))
    folder = save(trained, tmp_path / "m")
    loaded = load(folder)
    assert loaded.nodes == graph.nodes
    assert loaded.evaluation == trained.evaluation
    assert (folder / "evaluation.json").is_file()
    with pytest.raises(ModelNotShipped, match="evaluated on graph 'planted', not 'other'"):
        check_shipped(loaded, "other")
    loaded.evaluation.shipped = False
    loaded.evaluation.reason = "AUC 0.5 not above common_neighbours (0.9)"
    with pytest.raises(ModelNotShipped, match="not shipped for graph 'planted': AUC 0.5 not above"):
        check_shipped(loaded, "planted")
    with pytest.raises(Exception, match="no link prediction model at"):
        load(tmp_path / "nothing")

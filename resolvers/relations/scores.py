"""Influence (PageRank) and communities (label propagation) over REFERRED + KNOWS.

Influence says who drives referrals, so rank flows from the referred customer to the
referrer, and both ways along KNOWS. FalkorDB runs PageRank in the store
(`algo.pageRank` takes one relationship type, so that flow is projected as transient
INFLUENCE_FLOW edges first); any other store gets the same computation from networkx
over the edges read back. Communities come from networkx's label propagation on every
store: FalkorDB's `algo.labelPropagation` treats the edges as directed and left the
2k-people demo graph in 370 communities over 478 customers where its 205 connected
pieces are the natural floor. Either way the scores are scaled so the most
influential customer has 1.0, and communities are numbered by size (0 the largest), so
both paths write comparable values.

Betweenness (who brokers between groups) is computed on the graph warm introductions
walk (REFERRED, KNOWS, HOUSEHOLD, COLLEAGUE, CO_ATTENDED, undirected) with networkx on
every store: FalkorDB's `algo.betweenness` (module 4.16) disagrees with Brandes'
definition on graphs whose answer is known (the middle of a directed path a->b->c gets 2,
not 1; the centre of a three-leaf star with edges both ways 8, not 6). Exact per
connected component up to `samples` customers; a larger component gets Brandes'
estimate from `samples` source customers drawn with a fixed seed (rescaled to the whole
component), so the cost grows with samples x edges, not customers x edges. Scaled so the
top broker has 1.0.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from graph.store import GraphStore

_PAGERANK = (
    "CALL algo.pageRank('Customer', 'INFLUENCE_FLOW') YIELD node, score "
    "WITH node, score WHERE (node)-[:INFLUENCE_FLOW]-() "
    "RETURN node.id AS id, score"
)


def scale(scores: dict[str, float]) -> dict[str, float]:
    """Scores relative to the highest, rounded: 1.0 is the most influential."""
    top = max(scores.values(), default=0.0)
    return {k: round(v / top, 6) if top > 0 else 0.0 for k, v in scores.items()}


def number_communities(labels: dict[str, Any]) -> dict[str, int]:
    """Renumber community labels by size (largest 0), ties by their smallest member."""
    groups: dict[Any, list[str]] = {}
    for node, label in labels.items():
        groups.setdefault(label, []).append(node)
    order = sorted(groups.values(), key=lambda members: (-len(members), min(members)))
    return {node: number for number, members in enumerate(order) for node in members}


def networkx_scores(
    edges: Iterable[tuple[str, str, str]], *, influence: bool = True
) -> tuple[dict[str, float], dict[str, int]]:
    """PageRank (unless `influence` is False) and label-propagation communities from
    (type, a, b) edges."""
    flow: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    undirected: nx.Graph[str] = nx.Graph()
    for kind, a, b in sorted(edges):  # the store's row order varies; results should not
        if a == b:
            continue
        flow.add_edge(b, a)  # the referred customer credits the referrer
        if kind == "KNOWS":
            flow.add_edge(a, b)
        undirected.add_edge(a, b)
    if flow.number_of_nodes() == 0:
        return {}, {}
    rank: dict[str, float] = nx.pagerank(flow) if influence else {}
    communities = {
        node: number
        for number, members in enumerate(nx.community.label_propagation_communities(undirected))
        for node in members
    }
    return scale(rank), number_communities(communities)


def betweenness(
    edges: Iterable[tuple[str, str]], *, samples: int = 64, seed: int = 7
) -> dict[str, float]:
    """Betweenness of every customer on the undirected (a, b) edges, exact per component
    of at most `samples` customers and sampled beyond, relative to the highest."""
    graph: nx.Graph[str] = nx.Graph()
    graph.add_edges_from((a, b) for a, b in sorted(edges) if a != b)
    raw: dict[str, float] = {}
    for members in nx.connected_components(graph):
        if len(members) < 3:  # nobody lies between two others
            raw.update(dict.fromkeys(members, 0.0))
            continue
        part = graph.subgraph(members)
        k = samples if len(members) > samples else None
        raw.update(nx.betweenness_centrality(part, k=k, normalized=False, seed=seed))
    return scale(raw)


def store_scores(store: GraphStore) -> tuple[dict[str, float], dict[str, int]]:
    """Influence and community per customer with REFERRED or KNOWS edges: PageRank in
    the store where it has it, else with networkx."""
    in_store = store.backend == "falkordb"
    rows = store.run("relations/algorithm_edges")
    influence, community = networkx_scores(
        ((r["type"], r["a"], r["b"]) for r in rows), influence=not in_store
    )
    if not in_store or not rows:
        return influence, community
    store.run("relations/flow_clear")
    try:
        store.run("relations/flow_create")
        rank = {r["id"]: float(r["score"]) for r in store.run_cypher(_PAGERANK)}
    finally:
        store.run("relations/flow_clear")
    return scale(rank), community

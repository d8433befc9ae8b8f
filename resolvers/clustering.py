"""Clusters from accepted links, and the guard against chaining.

Connected components alone chain: A~B and B~C put A and C together even when A and C
plainly are two people (a shared family phone, a nickname that is someone else's name).
The guard scores every pair inside a cluster; where two records contradict each other
(match probability below `Thresholds.contradiction`, or a steward said "not the same"),
it cuts the weakest link on the strongest path between them, and every weaker link across
that cut, and explains the split.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import networkx as nx

Link = tuple[str, str, float]  # (record key, record key, match probability)


@dataclass(frozen=True)
class Split:
    """Why one cluster became two."""

    a: str  # the two records that contradict each other
    b: str
    contradiction: float  # their match probability (0 for a steward's "not the same")
    cut: tuple[str, str]  # the weakest link on the path between them
    cut_score: float
    links_cut: int  # every accepted link across the cut
    side_a: tuple[str, ...]
    side_b: tuple[str, ...]

    def reason(self) -> str:
        why = (
            "a person said so" if self.contradiction == 0.0
            else f"match probability {self.contradiction:.3g}"
        )  # fmt: skip
        return (
            f"{self.a} and {self.b} are not the same ({why}) yet were joined through the link {self.cut[0]} ~ "
            f"{self.cut[1]} ({self.cut_score:.3f}); {self.links_cut} link(s) across it cut"
        )


def components(nodes: Iterable[str], links: Iterable[Link]) -> list[list[str]]:
    """Connected components (sorted members, sorted by first member), singletons included."""
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((a, b) for a, b, _ in links)
    return sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: c[0])


def guard(
    cluster: Sequence[str],
    links: Sequence[Link],
    contradictions: Callable[[Sequence[str]], list[Link]],
) -> tuple[list[list[str]], list[Split]]:
    """Split `cluster` until no two of its records contradict each other.

    `links` are the accepted links inside the cluster; `contradictions(members)` returns
    the pairs among `members` that must not end up together, with their probability.
    """
    if len(cluster) < 3 and not links:
        return [sorted(cluster)], []
    # Sorted, so that equal scores break ties the same way in a full and an
    # incremental run, whatever order the links were read in.
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(sorted(cluster))
    # Rounded: the same pair scored in another batch may differ in the last bits.
    for a, b, score in sorted((min(a, b), max(a, b), round(s, 6)) for a, b, s in links):
        if graph.has_edge(a, b):
            score = max(score, graph[a][b]["score"])
        graph.add_edge(a, b, score=score)
    splits: list[Split] = []
    pending = [sorted(cluster)]
    done: list[list[str]] = []
    while pending:
        members = pending.pop()
        bad = contradictions(members) if len(members) > 1 else []
        if not bad:
            done.append(members)
            continue
        a, b, probability = min(bad, key=lambda link: (link[2], link[0], link[1]))
        sub = graph.subgraph(members)
        tree = nx.maximum_spanning_tree(sub, weight="score")
        path = nx.shortest_path(tree, a, b)
        # The weakest link on the path; among equals, the first by key (either run agrees).
        weakest = min(
            ((min(u, v), max(u, v)) for u, v in pairwise(path)),
            key=lambda e: (sub[e[0]][e[1]]["score"], e),
        )
        cut_score = float(sub[weakest[0]][weakest[1]]["score"])
        tree.remove_edge(*weakest)
        side_a = nx.node_connected_component(tree, a)
        crossing = [(u, v) for u, v in sub.edges if (u in side_a) != (v in side_a)]
        graph.remove_edges_from(crossing)
        side_b = set(members) - side_a
        splits.append(
            Split(
                a,
                b,
                probability,
                (weakest[0], weakest[1]),
                cut_score,
                len(crossing),
                tuple(sorted(side_a)),
                tuple(sorted(side_b)),
            )
        )
        # Each side may still hold its own contradiction, or fall apart further.
        for part in nx.connected_components(graph.subgraph(members)):
            pending.append(sorted(part))
    return sorted(done, key=lambda c: c[0]), splits

"""Warm-intro paths: how a rep's customers can reach a prospect through people who know
each other, best evidence first (fewest hops, then the strongest weakest link)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graph.store import GraphStore

MAX_HOPS = 6  # the longest path relations/warm_intros searches


@dataclass(frozen=True)
class IntroPath:
    customers: tuple[dict[str, Any], ...]  # {id, name, kind}, from a known customer to the target
    edges: tuple[dict[str, Any], ...]  # {type, a, b, strength, evidence, source}, in path order

    @property
    def hops(self) -> int:
        return len(self.edges)

    @property
    def min_strength(self) -> float:
        """The weakest link; an edge without a strength (written by hand) counts as 0.5."""
        return min((_strength(e) for e in self.edges), default=0.0)

    @property
    def ids(self) -> list[str]:
        return [str(c["id"]) for c in self.customers]


def _strength(edge: dict[str, Any]) -> float:
    value = edge.get("strength")
    return float(value) if isinstance(value, int | float) else 0.5


def warm_intros(
    store: GraphStore,
    from_customer_ids: Iterable[str],
    to_customer_id: str,
    max_hops: int = 4,
    limit: int = 10,
) -> list[IntroPath]:
    """Shortest REFERRED / KNOWS / HOUSEHOLD / COLLEAGUE / CO_ATTENDED paths from any of the given
    customers to the target, through active customers only, best evidence first."""
    if not 1 <= max_hops <= MAX_HOPS:
        raise ValueError(f"max_hops must be between 1 and {MAX_HOPS}, not {max_hops}")
    sources = sorted({c for c in from_customer_ids if c != to_customer_id})
    if not sources:
        return []
    rows = store.run(
        "relations/warm_intros",
        {
            "from": sources,
            "to": to_customer_id,
            "max_hops": max_hops,
            "limit": max(limit * 20, 200),
        },
    )
    paths: dict[tuple[str, ...], IntroPath] = {}
    for row in rows:
        customers = tuple(
            {"id": c["id"], "name": c.get("name"), "kind": c.get("kind")} for c in row["customers"]
        )
        if any(c.get("status") != "active" for c in row["customers"]):
            continue
        path = IntroPath(customers, tuple(row["edges"]))
        key = tuple(path.ids) + tuple(str(e["type"]) for e in path.edges)
        paths.setdefault(key, path)
    ranked = sorted(paths.values(), key=lambda p: (p.hops, -p.min_strength, p.ids))
    return ranked[:limit]

"""What the score models see of a customer, read from the graph, as of a day.

A customer's history is its dated interactions and transactions (through its records) and
its place in the relationship graph. Features at day `t` use only activity dated before
`t`, so the same code gives the training rows (features at a past cutoff, outcomes in the
horizon after it) and the scoring rows (features today). The relationship features
(degrees, referrals, influence, community) are read as the graph holds them now: edges
carry no reliable history, which is a mild look-ahead in training, said here so nobody is
surprised by it.

Labels over a horizon `[cutoff, as_of)`, among customers with some activity before the
cutoff (without any, there is nothing to learn from):
    churn   no interaction and no transaction in the horizon
    lead    a first purchase in the horizon, among those with no purchase before it
    value   spend (JMD, refunds netted, never below 0) in the horizon
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from graph.store import GraphStore

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

USD_TO_JMD = 155.0  # amounts in USD are converted at a fixed rate; anything else is JMD
NEVER_DAYS = 3_650.0  # "days since" when it never happened: ten years, far beyond any horizon
YEAR_DAYS = 365

FEATURES: tuple[str, ...] = (
    # relationship graph
    "referrals_made",
    "referred_in",
    "knows",
    "household",
    "colleagues",
    "influence",
    "community_size",
    # the customer node
    "records",
    "sources",
    "is_business",
    # purchases (RFM)
    "purchases",
    "purchases_last_year",
    "spend",
    "spend_last_year",
    "days_since_purchase",
    # interactions
    "interactions",
    "interactions_last_year",
    "days_since_interaction",
    # either
    "days_since_activity",
    "tenure_days",
)


@dataclass
class History:
    """One active customer: its graph features and its activities (day ordinal,
    purchase?, amount in JMD), sorted by day."""

    id: str
    graph: dict[str, float]
    days: list[int] = field(default_factory=list)
    purchases: list[bool] = field(default_factory=list)
    amounts: list[float] = field(default_factory=list)


@dataclass
class Snapshot:
    """Feature rows of customers at one day; `history` says which had any activity before it."""

    at: date
    ids: list[str]
    x: FloatArray
    history: BoolArray
    bought: BoolArray  # a purchase before `at`


def read_histories(store: GraphStore) -> list[History]:
    """Every active customer's graph features and activities, in three reads."""
    customers = store.run("scores/customers")
    communities = Counter(r["community"] for r in customers if r.get("community") is not None)
    histories: dict[str, History] = {}
    for r in customers:
        community = r.get("community")
        histories[r["id"]] = History(
            id=r["id"],
            graph={
                "influence": float(r.get("influence") or 0.0),
                "community_size": float(communities[community] if community is not None else 1),
                "records": float(r.get("records") or 0),
                "sources": float(r.get("sources") or 0),
                "is_business": 1.0 if r.get("kind") == "business" else 0.0,
            },
        )
    degree: Counter[tuple[str, str]] = Counter()
    for e in store.run("scores/relations"):
        kind = e["type"]
        if kind == "REFERRED":
            degree[(e["a"], "referrals_made")] += 1
            degree[(e["b"], "referred_in")] += 1
        else:
            name = {"KNOWS": "knows", "HOUSEHOLD": "household", "COLLEAGUE": "colleagues"}[kind]
            degree[(e["a"], name)] += 1
            degree[(e["b"], name)] += 1
    for h in histories.values():
        for name in ("referrals_made", "referred_in", "knows", "household", "colleagues"):
            h.graph[name] = float(degree[(h.id, name)])
    rows = store.run("scores/activities")
    events: dict[str, list[tuple[int, bool, float]]] = {}
    for a in rows:
        h_id = a["id"]
        if h_id not in histories:
            continue
        day = _day(a.get("date"))
        if day is None:
            continue
        amount = _jmd(a.get("amount"), a.get("currency")) if a.get("purchase") else 0.0
        events.setdefault(h_id, []).append((day, bool(a.get("purchase")), amount))
    for h_id, items in events.items():
        items.sort()
        h = histories[h_id]
        h.days = [d for d, _, _ in items]
        h.purchases = [p for _, p, _ in items]
        h.amounts = [m for _, _, m in items]
    return [histories[k] for k in sorted(histories)]


def latest_activity(histories: list[History]) -> date | None:
    """The day of the latest activity in the graph: the data's "today"."""
    last = max((h.days[-1] for h in histories if h.days), default=None)
    return date.fromordinal(last) if last is not None else None


def snapshot(histories: list[History], at: date) -> Snapshot:
    """Feature rows as of `at` (activity strictly before it)."""
    t = at.toordinal()
    x = np.zeros((len(histories), len(FEATURES)), dtype=np.float64)
    history = np.zeros(len(histories), dtype=bool)
    bought = np.zeros(len(histories), dtype=bool)
    column = {name: i for i, name in enumerate(FEATURES)}
    for row, h in enumerate(histories):
        values = dict(h.graph)
        purchase_days: list[int] = []
        interaction_days: list[int] = []
        spend = spend_year = 0.0
        for day, purchase, amount in zip(h.days, h.purchases, h.amounts, strict=True):
            if day >= t:
                break
            if purchase:
                purchase_days.append(day)
                spend += amount
                if day >= t - YEAR_DAYS:
                    spend_year += amount
            else:
                interaction_days.append(day)
        all_days = purchase_days + interaction_days
        history[row] = bool(all_days)
        bought[row] = bool(purchase_days)
        values |= {
            "purchases": len(purchase_days),
            "purchases_last_year": sum(1 for d in purchase_days if d >= t - YEAR_DAYS),
            "spend": spend,
            "spend_last_year": spend_year,
            "days_since_purchase": _since(t, purchase_days),
            "interactions": len(interaction_days),
            "interactions_last_year": sum(1 for d in interaction_days if d >= t - YEAR_DAYS),
            "days_since_interaction": _since(t, interaction_days),
            "days_since_activity": _since(t, all_days),
            "tenure_days": float(t - min(all_days)) if all_days else 0.0,
        }
        for name, value in values.items():
            x[row, column[name]] = value
    return Snapshot(at, [h.id for h in histories], x, history, bought)


@dataclass
class Labels:
    """Outcomes over `[cutoff, end)` for the rows of the snapshot at `cutoff`."""

    churned: BoolArray
    converted: BoolArray
    value: FloatArray


def outcomes(histories: list[History], cutoff: date, end: date) -> Labels:
    lo, hi = cutoff.toordinal(), end.toordinal()
    n = len(histories)
    churned = np.ones(n, dtype=bool)
    converted = np.zeros(n, dtype=bool)
    value = np.zeros(n, dtype=np.float64)
    for row, h in enumerate(histories):
        for day, purchase, amount in zip(h.days, h.purchases, h.amounts, strict=True):
            if lo <= day < hi:
                churned[row] = False
                if purchase:
                    converted[row] = True
                    value[row] += amount
    return Labels(churned, converted, np.maximum(value, 0.0))


def _since(t: int, days: list[int]) -> float:
    return float(t - max(days)) if days else NEVER_DAYS


def _day(value: object) -> int | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10]).toordinal()
    except ValueError:
        return None


def _jmd(amount: object, currency: object) -> float:
    if not isinstance(amount, int | float) or isinstance(amount, bool):
        return 0.0
    return float(amount) * (USD_TO_JMD if currency == "USD" else 1.0)

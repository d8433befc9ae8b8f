"""Signals: events that jobs emit for the alert rules, beside the changes the API and
`c360 apply` announce.

    customer.scored   `c360 scores score`: each customer whose scores changed, with the
                      scores before (a `crosses_above` rule on churn_risk fires once)
    customer.quiet    `c360 alerts check` (and `c360 worker schedule`): an influential
                      customer with no interaction or transaction for a while
    link.predicted    `c360 links predict`: a new or changed prediction, once for each end
    record.matched    resolution: a record of one rep joined an existing customer of another

A signal's id derives from what it says (its kind, its customer and the values that make
it news), never from when it was found, so a run that finds the same thing again gives
the same id and the alert engine, whose alert ids derive from (rule, event id), raises
nothing twice. `Signals.announce` publishes onto the API's event stream when it has a
publisher (subscriptions and webhooks see the event, its id as data["signal_id"]) and
always runs the event through the alert rules: alerts are graph nodes, so they are raised
even where no Redis is configured.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, NamedTuple

from graph.store import GraphStore, Row
from workers.alerts import AlertEngine, AlertRules, Event, now_ms
from workers.event_kinds import (
    CUSTOMER_QUIET,
    CUSTOMER_SCORED,
    LINK_PREDICTED,
    RECORD_MATCHED,
    TRANSACTION_RECORDED,
)

log = logging.getLogger(__name__)

# publish_many_sync's shape: (kind, key, data) events -> their stream entry ids, in order.
StreamPublish = Callable[[Sequence[tuple[str, str, dict[str, Any]]]], list[str]]
SCORE_FIELDS: Final = ("churn_risk", "lead_score", "lifetime_value")
MODEL_BASIS: Final = "model"  # scores a model gave (not base rates for want of history)


def stream_publisher(redis_url: str | None) -> StreamPublish | None:
    """Publishing onto the API's event stream at `redis_url`; None without one."""
    if not redis_url:
        return None
    import redis

    from api.events import publish_many_sync

    client = redis.Redis.from_url(redis_url)
    return lambda events: publish_many_sync(client, events)


def signal_id(kind: str, *parts: object) -> str:
    """The same kind and parts always give the same id."""
    text = json.dumps([kind, *parts], default=str, separators=(",", ":"))
    return f"{kind}:{hashlib.blake2b(text.encode(), digest_size=12).hexdigest()}"


class Announcement(NamedTuple):
    """An event to announce; `id` is its id for the rules (without one, the stream's)."""

    kind: str
    key: str
    data: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True)
class Signal:
    kind: str
    id: str
    data: dict[str, Any]  # customer_id among it: whose signal it is

    @property
    def customer_id(self) -> str:
        return str(self.data["customer_id"])


def _one_at_a_time(
    publish: StreamPublish | None,
) -> Callable[[str, str, dict[str, Any]], object]:
    """The alert engine's publish (one alert.raised at a time); nowhere without a stream."""
    if publish is None:
        return lambda kind, key, data: None
    return lambda kind, key, data: publish([(kind, key, data)])


class Signals:
    """Announces events: onto the stream when there is one, and through the alert rules."""

    def __init__(
        self,
        store: GraphStore,
        publish: StreamPublish | None = None,
        *,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.publish = publish
        self.clock = clock
        self.engine = AlertEngine(store, _one_at_a_time(publish), clock=clock)

    def announce(
        self, kind: str, key: str, data: dict[str, Any], *, id: str | None = None
    ) -> list[dict[str, Any]]:
        """Publish (if there is a stream) and evaluate one event; the alerts it raised."""
        return self.announce_many([Announcement(kind, key, data, id)])

    def announce_many(self, events: Sequence[Announcement]) -> list[dict[str, Any]]:
        """Publish the events in one round trip (if there is a stream), then evaluate each
        in order; the alerts they raised."""
        entries: list[str | None] = [None] * len(events)
        if self.publish is not None and events:
            stream = [(e.kind, e.key, {**e.data, "signal_id": e.id} if e.id else e.data)
                      for e in events]  # fmt: skip
            entries = list(self.publish(stream))
        raised: list[dict[str, Any]] = []
        for event, entry in zip(events, entries, strict=True):
            event_id = event.id or entry
            if event_id is None:
                raise ValueError(f"a {event.kind} event needs an id where there is no event stream")
            at = int(entry.split("-")[0]) if entry else self.clock()
            raised += self.engine.evaluate(Event(event_id, event.kind, event.key, at, event.data))
        return raised

    def emit(self, signals: Iterable[Signal]) -> int:
        """Announce each signal; the number of alerts raised."""
        announced = [Announcement(s.kind, s.customer_id, s.data, s.id) for s in signals]
        return len(self.announce_many(announced))


# Rules a new graph can start with (`c360 demo` adds them to a graph that has none): one
# on each signal, and the big transaction the API's events already carry.
EXAMPLE_RULES: Final[tuple[dict[str, Any], ...]] = (
    {"name": "Churn risk high", "event_kind": CUSTOMER_SCORED, "field": "churn_risk",
     "op": "crosses_above", "value": 0.9},
    {"name": "Influential customer gone quiet", "event_kind": CUSTOMER_QUIET,
     "field": "days_quiet", "op": "gte", "value": 90},
    {"name": "Likely referral", "event_kind": LINK_PREDICTED, "field": "probability",
     "op": "crosses_above", "value": 0.8},
    {"name": "Another rep's contact joined your customer", "event_kind": RECORD_MATCHED,
     "field": "confidence", "op": "gte", "value": 0.5},
    {"name": "Big transaction", "event_kind": TRANSACTION_RECORDED, "field": "amount",
     "op": "gte", "value": 100_000},
)  # fmt: skip


def add_example_rules(store: GraphStore, actor: str) -> int:
    """Create EXAMPLE_RULES in a graph that has no alert rules yet; how many were made."""
    rules = AlertRules(store)
    if rules.list():
        return 0
    for rule in EXAMPLE_RULES:
        rules.create(**rule, actor=actor)
    return len(EXAMPLE_RULES)


# -- what each job finds ----------------------------------------------------------------


def scored_signals(before: Mapping[str, Mapping[str, Any]], rows: Sequence[Row]) -> list[Signal]:
    """customer.scored for each row a model scored (id, model, basis, churn_risk,
    lead_score, lifetime_value) whose scores differ from `before` (customer id -> the
    stored scores and basis). Base rates given for want of history are no news about a
    customer: they are not announced, and count as no score before."""
    out = []
    for row in rows:
        if row.get("basis") != MODEL_BASIS:
            continue
        customer = str(row["id"])
        was = before.get(customer, {})
        now = {f: row.get(f) for f in SCORE_FIELDS}
        then = {f: was.get(f) if was.get("basis") == MODEL_BASIS else None for f in SCORE_FIELDS}
        if now == then:
            continue
        data: dict[str, Any] = {"customer_id": customer, "model": row.get("model")}
        for name in SCORE_FIELDS:
            data[name], data[f"{name}_before"] = now[name], then[name]
        ident = signal_id(CUSTOMER_SCORED, customer, [then[f] for f in SCORE_FIELDS],
                          [now[f] for f in SCORE_FIELDS])  # fmt: skip
        out.append(Signal(CUSTOMER_SCORED, ident, data))
    return out


def link_signals(existing: Sequence[Row], written: Sequence[Row]) -> list[Signal]:
    """link.predicted for each written prediction (a, b, kind, probability, model) that is
    new or whose probability changed since `existing` (a, b, probability): one for each end,
    so that each customer's owner hears of it."""
    was = {frozenset((r["a"], r["b"])): r.get("probability") for r in existing}
    out = []
    for row in written:
        before = was.get(frozenset((row["a"], row["b"])))
        if before == row["probability"]:
            continue
        for customer, other in ((row["a"], row["b"]), (row["b"], row["a"])):
            data = {"customer_id": customer, "other_id": other, "kind": row["kind"],
                    "probability": row["probability"], "probability_before": before,
                    "model": row.get("model")}  # fmt: skip
            ident = signal_id(LINK_PREDICTED, customer, other, row["kind"], before,
                              row["probability"])  # fmt: skip
            out.append(Signal(LINK_PREDICTED, ident, data))
    return out


def matched_signals(matches: Iterable[Mapping[str, Any]]) -> list[Signal]:
    """record.matched for each record resolution attached to a customer of another rep
    (customer_id, record_key, source, record_rep, customer_rep, confidence): once per
    record and customer, however often resolution runs."""
    out = []
    for match in matches:
        ident = signal_id(RECORD_MATCHED, match["record_key"], match["customer_id"])
        out.append(Signal(RECORD_MATCHED, ident, dict(match)))
    return out


# -- influential customers gone quiet ---------------------------------------------------


@dataclass(frozen=True)
class QuietConfig:
    """Who counts as influential (the top `top_percent` of active customers by influence,
    ties at the edge included) and how long without activity is quiet."""

    top_percent: float = 5.0
    days: int = 90

    def __post_init__(self) -> None:
        if not 0 < self.top_percent <= 100:
            raise ValueError(
                f"top_percent: must be above 0 and at most 100, got {self.top_percent}"
            )
        if self.days < 1:
            raise ValueError(f"days: must be at least 1, got {self.days}")


@dataclass
class QuietReport:
    as_of: str  # the data's today the days are counted to
    ranked: int  # active customers with an influence
    influential: int  # of those, in the top share
    quiet: int  # of those, quiet for the configured days: customer.quiet events
    alerts: int
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return dict(self.__dict__)


class QuietCheck:
    """Finds the influential active customers with no interaction or transaction for
    `days` days and announces each as customer.quiet, with an id derived from the customer
    and its last activity: every check during one quiet spell gives the same id (one
    alert), and new activity starts a new spell. Days are counted to the data's own today
    (the day after the latest activity in the graph, as the score models do) unless
    `as_of` is given, so a graph loaded from old exports is not all quiet at once.
    Customers with no dated activity at all never went quiet: they are not announced."""

    def __init__(
        self, store: GraphStore, signals: Signals | None = None, config: QuietConfig | None = None
    ) -> None:
        self.store = store
        self.signals = signals or Signals(store)
        self.config = config or QuietConfig()

    def find(self, as_of: date | None = None) -> tuple[date, list[Signal], int, int]:
        """(today, the quiet signals, customers ranked, influential customers)."""
        rows = self.store.run("alerts/quiet_candidates")
        last = {str(r["id"]): _day(r.get("last_activity")) for r in rows}
        latest = max((d for d in last.values() if d is not None), default=None)
        today = as_of or (latest + timedelta(days=1) if latest else date.today())
        ranked = sorted(
            ((float(r["influence"]), str(r["id"])) for r in rows if _is_number(r.get("influence"))),
            reverse=True,
        )
        top = math.ceil(len(ranked) * self.config.top_percent / 100)
        edge = ranked[top - 1][0] if top else math.inf
        signals = []
        influential = 0
        rank = 0
        for position, (influence, customer) in enumerate(ranked):
            if influence < edge or influence <= 0:
                break
            if position == 0 or influence < ranked[position - 1][0]:
                rank = position + 1  # equal influence, equal rank
            influential += 1
            day = last[customer]
            if day is None or (today - day).days < self.config.days:
                continue
            data = {
                "customer_id": customer, "influence": influence, "influence_rank": rank,
                "influence_percentile": round(100 * (len(ranked) - rank) / len(ranked), 1),
                "days_quiet": (today - day).days, "last_activity_at": day.isoformat(),
                "as_of": today.isoformat(),
            }  # fmt: skip
            ident = signal_id(CUSTOMER_QUIET, customer, day.isoformat())
            signals.append(Signal(CUSTOMER_QUIET, ident, data))
        return today, signals, len(ranked), influential

    def run(self, as_of: date | None = None) -> QuietReport:
        started = time.perf_counter()
        today, signals, ranked, influential = self.find(as_of)
        alerts = self.signals.emit(signals)
        report = QuietReport(today.isoformat(), ranked, influential, len(signals), alerts,
                             round(time.perf_counter() - started, 3))  # fmt: skip
        log.info("quiet check", extra={"report": report.summary()})
        return report


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _day(value: object) -> date | None:
    """An activity's date (ISO, possibly with a time); None when it is not one."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None

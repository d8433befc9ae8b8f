"""Alert rules, alerts and the engine against the real embedded FalkorDB store."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from graph.falkordb_store import FalkorDBStore
from workers.alerts import (
    ALERT_FIELDS,
    RULE_FIELDS,
    AlertEngine,
    AlertError,
    AlertNotFound,
    AlertRuleNotFound,
    AlertRules,
    Alerts,
    InvalidAlertRule,
    InvalidCursor,
    InvalidTransition,
    alert_id,
)

pytestmark = pytest.mark.falkordb

Published = list[tuple[str, str, dict[str, Any]]]


@pytest.fixture
def store(falkordb_store: FalkorDBStore) -> FalkorDBStore:
    """Customers to hang alerts off: C1 owned by owner-1, C2 without an owner, C0 merged into C1."""
    falkordb_store.run_cypher(
        "CREATE (:Customer {id: 'C1', kind: 'person', status: 'active', owner: 'owner-1'}),"
        " (:Customer {id: 'C2', kind: 'person', status: 'active'}),"
        " (:Customer {id: 'C0', kind: 'person', status: 'merged', merged_into: 'C1'})",
        read_only=False,
    )
    return falkordb_store


@pytest.fixture
def published() -> Published:
    return []


@pytest.fixture
def engine(store: FalkorDBStore, published: Published) -> AlertEngine:
    return AlertEngine(store, lambda kind, key, data: published.append((kind, key, data)))


@pytest.fixture
def rules(store: FalkorDBStore) -> AlertRules:
    return AlertRules(store)


_ids = itertools.count(1)


def tx(customer: str = "C1", amount: Any = 25_000, **data: Any) -> dict[str, Any]:
    n = next(_ids)
    return {
        "id": f"1700000000000-{n}",
        "kind": "transaction.recorded",
        "key": customer,
        "at": 1_700_000_000_000 + n,
        "data": {"customer_id": customer, "amount": amount, "currency": "JMD",
                 "date": "2026-03-01"} | data,
    }  # fmt: skip


def interaction(customer: str = "C1", **data: Any) -> dict[str, Any]:
    n = next(_ids)
    return {
        "id": f"1700000000000-{n}",
        "kind": "interaction.recorded",
        "key": customer,
        "at": 1_700_000_000_000 + n,
        "data": {"customer_id": customer, "type": "call", "outcome": "lost", "rep": "rep-9",
                 "occurred_at": "2026-03-01T10:00:00", "subject": "Pricing complaint"} | data,
    }  # fmt: skip


def changed(customer: str = "C1", fields: list[str] | None = None) -> dict[str, Any]:
    n = next(_ids)
    return {
        "id": f"1700000000000-{n}",
        "kind": "customer.changed",
        "key": customer,
        "at": 1_700_000_000_000 + n,
        "data": {"customer_id": customer, "change": "edited", "fields": fields or ["email"]},
    }


def flat(pages: list[list[str]]) -> list[str]:
    return [item for page in pages for item in page]


def count(store: FalkorDBStore, cypher: str) -> int:
    return int(store.run_cypher(cypher)[0]["n"])


# -- rules ----------------------------------------------------------------------------


def test_rule_crud(rules: AlertRules) -> None:
    rule = rules.create(
        "Big spend", "transaction.recorded", "amount", "gt", 10_000, "rep-1", actor="admin"
    )
    assert tuple(rule) == RULE_FIELDS
    assert rule["id"].startswith("R")
    assert rule | {"id": None, "created_at": None, "updated_at": None} == {
        "id": None, "name": "Big spend", "event_kind": "transaction.recorded", "field": "amount",
        "op": "gt", "value": 10_000, "rep": "rep-1", "enabled": True, "version": 1,
        "created_at": None, "created_by": "admin", "updated_at": None, "updated_by": "admin",
    }  # fmt: skip
    assert rules.get(rule["id"]) == rule
    assert rules.get("R-nope") is None

    updated = rules.update(rule["id"], "boss", value=5_000.5, rep=None, name="Spend")
    assert (updated["value"], updated["rep"], updated["name"]) == (5_000.5, None, "Spend")
    assert (updated["version"], updated["updated_by"], updated["created_by"]) == (
        2,
        "boss",
        "admin",
    )
    assert rules.update(rule["id"], "boss", value=5_000.5) == updated  # no change, no version

    changed_op = rules.update(rule["id"], "boss", op="in", value=["USD", "EUR"], field="currency")
    assert (changed_op["op"], changed_op["value"], changed_op["version"]) == (
        "in",
        ["USD", "EUR"],
        3,
    )

    other = rules.create("Lost", "interaction.recorded", "outcome", "eq", "lost", actor="admin")
    assert rules.disable(other["id"], "admin")["enabled"] is False
    assert [r["id"] for r in rules.list()] == [rule["id"], other["id"]]
    assert [r["id"] for r in rules.list(enabled_only=True)] == [rule["id"]]
    assert rules.enable(other["id"], "admin")["enabled"] is True
    assert len(rules.list(enabled_only=True)) == 2


def test_rule_validation_errors_change_nothing(rules: AlertRules, store: FalkorDBStore) -> None:
    with pytest.raises(InvalidAlertRule, match="op: unknown op 'bigger'"):
        rules.create("X", "transaction.recorded", "amount", "bigger", 1, actor="admin")
    with pytest.raises(InvalidAlertRule, match="event_kind: unknown event kind 'sale'"):
        rules.create("X", "sale", "amount", "gt", 1, actor="admin")
    with pytest.raises(InvalidAlertRule, match="value: op 'gt' needs a number"):
        rules.create("X", "transaction.recorded", "amount", "gt", [1], actor="admin")
    with pytest.raises(AlertError, match="actor"):
        rules.create("X", "transaction.recorded", "amount", "gt", 1, actor=" ")
    assert count(store, "MATCH (r:AlertRule) RETURN count(r) AS n") == 0

    rule = rules.create("X", "transaction.recorded", "amount", "gt", 1, actor="admin")
    with pytest.raises(InvalidAlertRule, match="value: op 'changed' takes no value"):
        rules.update(rule["id"], "admin", op="changed")  # value 1 still there
    with pytest.raises(InvalidAlertRule, match="colour: not a rule property"):
        rules.update(rule["id"], "admin", colour="red")
    with pytest.raises(AlertRuleNotFound, match="R-nope"):
        rules.update("R-nope", "admin", value=2)
    with pytest.raises(AlertRuleNotFound):
        rules.disable("R-nope", "admin")
    assert rules.get(rule["id"]) == rule


# -- the engine -----------------------------------------------------------------------


def test_every_op_through_stored_rules(
    rules: AlertRules, engine: AlertEngine, published: Published
) -> None:
    for name, kind, field, op, value in [
        ("eq", "transaction.recorded", "currency", "eq", "JMD"),
        ("ne", "transaction.recorded", "currency", "ne", "USD"),
        ("gt", "transaction.recorded", "amount", "gt", 1000),
        ("gte", "transaction.recorded", "amount", "gte", 2000),
        ("lt", "transaction.recorded", "amount", "lt", 2000.5),
        ("lte", "transaction.recorded", "date", "lte", "2026-03-01"),
        ("contains", "interaction.recorded", "subject", "contains", "COMPLAINT"),
        ("in", "interaction.recorded", "outcome", "in", ["lost", "stalled"]),
        ("changed", "customer.changed", "email", "changed", None),
    ]:
        rules.create(name, kind, field, op, value, "r", actor="a")
    raised = engine.evaluate(tx(amount="2000.00"))
    assert sorted(a["rule_name"] for a in raised) == ["eq", "gt", "gte", "lt", "lte", "ne"]
    raised = engine.evaluate(tx(amount=999, currency="USD", date="2026-04-01"))
    assert sorted(a["rule_name"] for a in raised) == ["lt"]
    assert sorted(a["rule_name"] for a in engine.evaluate(interaction())) == ["contains", "in"]
    assert engine.evaluate(interaction(outcome="won", subject="renewal")) == []
    assert [a["rule_name"] for a in engine.evaluate(changed(fields=["phone", "email"]))] == [
        "changed"
    ]
    assert engine.evaluate(changed(fields=["phone"])) == []
    assert engine.evaluate({"id": "x-1", "kind": "alert.raised", "key": "r", "data": {}}) == []
    assert len(published) == 6 + 1 + 2 + 1


def test_disabled_rules_raise_nothing(rules: AlertRules, engine: AlertEngine) -> None:
    rule = rules.create("Big", "transaction.recorded", "amount", "gt", 1000, "rep-1", actor="a")
    assert len(engine.evaluate(tx())) == 1
    rules.disable(rule["id"], "a")  # seen at once by an engine in the same process
    assert engine.evaluate(tx()) == []
    rules.enable(rule["id"], "a")
    assert len(engine.evaluate(tx())) == 1
    rules.update(rule["id"], "a", value=100_000)
    assert engine.evaluate(tx()) == []


def test_rule_changes_made_elsewhere_are_seen_after_the_refresh_interval(
    rules: AlertRules, store: FalkorDBStore, published: Published
) -> None:
    rule = rules.create("Big", "transaction.recorded", "amount", "gt", 1000, "rep-1", actor="a")
    cached = AlertEngine(store, lambda *a: published.append(a), refresh_s=3600)
    polling = AlertEngine(store, lambda *a: published.append(a), refresh_s=0)
    assert len(cached.evaluate(tx())) == 1 and len(polling.evaluate(tx())) == 1
    # Another process disables it: only the stored stamp (the version) changes.
    store.run_cypher(
        "MATCH (r:AlertRule {id: $id}) SET r.enabled = false, r.version = r.version + 1",
        {"id": rule["id"]},
        read_only=False,
    )
    assert polling.evaluate(tx()) == []
    assert len(cached.evaluate(tx())) == 1  # still within its interval
    cached.refresh()
    assert cached.evaluate(tx()) == []


def test_replayed_event_raises_no_second_alert(
    rules: AlertRules, engine: AlertEngine, store: FalkorDBStore, published: Published
) -> None:
    rules.create("Big", "transaction.recorded", "amount", "gt", 1000, "rep-1", actor="a")
    event = tx()
    assert len(engine.evaluate(event)) == 1
    assert engine.evaluate(event) == []
    assert engine.evaluate(dict(event)) == []
    assert len(published) == 1
    assert count(store, "MATCH (a:Alert) RETURN count(a) AS n") == 1
    assert (
        count(store, "MATCH (:Alert)-[r:ABOUT]->(:Customer {id: 'C1'}) RETURN count(r) AS n") == 1
    )
    assert engine.counts["raised"] == 1 and engine.counts["events"] == 3


def test_alert_whose_publishing_failed_is_published_on_replay(
    rules: AlertRules, store: FalkorDBStore
) -> None:
    rules.create("Big", "transaction.recorded", "amount", "gt", 1000, "rep-1", actor="a")
    sent: Published = []

    def flaky(kind: str, key: str, data: dict[str, Any]) -> None:
        if not sent and not getattr(flaky, "failed", False):
            flaky.failed = True  # type: ignore[attr-defined]
            raise ConnectionError("redis went away")
        sent.append((kind, key, data))

    engine = AlertEngine(store, flaky)
    event = tx()
    with pytest.raises(ConnectionError):
        engine.evaluate(event)  # written, not published: the caller's delivery retries
    (alert,) = engine.evaluate(event)
    assert sent == [("alert.raised", "rep-1", alert)]
    assert engine.evaluate(event) == []
    assert engine.counts["republished"] == 1
    assert count(store, "MATCH (a:Alert) RETURN count(a) AS n") == 1


def test_routing_rule_rep_then_owner_then_unrouted(
    rules: AlertRules, engine: AlertEngine, published: Published, caplog: pytest.LogCaptureFixture
) -> None:
    rules.create("To rep", "transaction.recorded", "amount", "gt", 1000, "rep-1", actor="a")
    rules.create("To owner", "transaction.recorded", "amount", "gt", 1000, actor="a")

    raised = engine.evaluate(tx("C1"))
    assert {a["rule_name"]: a["rep"] for a in raised} == {"To rep": "rep-1", "To owner": "owner-1"}
    assert sorted((kind, key) for kind, key, _ in published) == [
        ("alert.raised", "owner-1"),
        ("alert.raised", "rep-1"),
    ]
    assert all(data in raised for _, _, data in published)

    with caplog.at_level("WARNING", logger="workers.alerts"):
        raised = engine.evaluate(tx("C2"))  # C2 has no owner
    assert [(a["rule_name"], a["rep"], a["customer_id"]) for a in raised] == [
        ("To rep", "rep-1", "C2")
    ]
    assert engine.counts["unrouted"] == 1
    (record,) = [r for r in caplog.records if "unrouted" in r.getMessage()]
    assert record.customer_id == "C2"  # type: ignore[attr-defined]

    # A merged customer's alerts go to the customer it was merged into, and its owner.
    raised = engine.evaluate(tx("C0"))
    assert {(a["customer_id"], a["rep"]) for a in raised} == {("C1", "rep-1"), ("C1", "owner-1")}

    assert engine.evaluate(tx("C-nope")) == []
    assert engine.counts["no_customer"] == 2


def test_unrouted_alerts_warn_once_a_minute_per_rule_with_how_many_more(
    rules: AlertRules, store: FalkorDBStore, published: Published, caplog: pytest.LogCaptureFixture
) -> None:
    rules.create("To owner", "transaction.recorded", "amount", "gt", 1000, actor="a")
    now = [1_800_000_000_000]
    engine = AlertEngine(store, lambda *a: published.append(a), clock=lambda: now[0])
    with caplog.at_level("WARNING", logger="workers.alerts"):
        for _ in range(5):
            assert engine.evaluate(tx("C2")) == []  # C2 has no owner
            now[0] += 1_000
        now[0] += 60_000
        assert engine.evaluate(tx("C2")) == []
    warnings = [r for r in caplog.records if "unrouted" in r.getMessage()]
    assert engine.counts["unrouted"] == 6
    assert [r.unrouted_since_last_warning for r in warnings] == [0, 4]  # type: ignore[attr-defined]


def test_alert_shape_and_what_is_published(
    rules: AlertRules, store: FalkorDBStore, published: Published
) -> None:
    rule = rules.create(
        "Big spend", "transaction.recorded", "amount", "gt", 1000, "rep-1", actor="a"
    )
    engine = AlertEngine(store, lambda *a: published.append(a), clock=lambda: 1_800_000_000_000)
    event = tx(amount=25_000)
    (alert,) = engine.evaluate(event)
    assert tuple(alert) == ALERT_FIELDS
    assert alert == {
        "id": alert_id(rule["id"], event["id"]),
        "rule_id": rule["id"],
        "rule_name": "Big spend",
        "customer_id": "C1",
        "rep": "rep-1",
        "status": "open",
        "message": "Big spend: amount 25000 (when amount > 1000)",
        "at": 1_800_000_000_000,
        "event_id": event["id"],
        "event_kind": "transaction.recorded",
        "event_at": event["at"],
        "updated_at": 1_800_000_000_000,
        "updated_by": None,
    }
    assert published == [("alert.raised", "rep-1", alert)]
    assert Alerts(store).get(alert["id"]) == alert


def test_sync_evaluate_refuses_an_async_publish(rules: AlertRules, store: FalkorDBStore) -> None:
    rules.create("Big", "transaction.recorded", "amount", "gt", 1000, "rep-1", actor="a")

    async def publish(kind: str, key: str, data: dict[str, Any]) -> str:
        return "1-0"

    with pytest.raises(TypeError, match="aevaluate"):
        AlertEngine(store, publish).evaluate(tx())


def test_async_loop_with_an_async_publish(rules: AlertRules, store: FalkorDBStore) -> None:
    rules.create("Big", "transaction.recorded", "amount", "gt", 1000, "rep-1", actor="a")
    sent: Published = []

    async def publish(kind: str, key: str, data: dict[str, Any]) -> str:
        await asyncio.sleep(0)
        sent.append((kind, key, data))
        return "1-0"

    events = [tx(), {"kind": "transaction.recorded"}, tx(amount=5), tx()]

    async def stream() -> AsyncIterator[object]:
        for event in events:
            yield event

    engine = AlertEngine(store, publish)
    assert asyncio.run(engine.run_async(stream())) == 2
    assert asyncio.run(engine.run_async(stream())) == 0  # replayed: nothing new
    assert [key for _, key, _ in sent] == ["rep-1", "rep-1"]
    assert engine.counts["malformed"] == 2


def test_sync_run_skips_malformed_events(rules: AlertRules, engine: AlertEngine) -> None:
    rules.create("Big", "transaction.recorded", "amount", "gt", 1000, "rep-1", actor="a")
    assert engine.run([tx(), {"id": "1-1"}, tx(), "junk"]) == 2
    assert engine.counts["malformed"] == 2


# -- alerts -----------------------------------------------------------------------------


def _one_alert(rules: AlertRules, engine: AlertEngine) -> dict[str, Any]:
    rules.create("Big", "transaction.recorded", "amount", "gt", 1000, "rep-1", actor="a")
    (alert,) = engine.evaluate(tx())
    return alert


def test_status_transitions(rules: AlertRules, engine: AlertEngine, store: FalkorDBStore) -> None:
    alert = _one_alert(rules, engine)
    clock = itertools.count(1_900_000_000_000)
    alerts = Alerts(store, clock=lambda: next(clock))

    acked = alerts.set_status(alert["id"], "acknowledged", "rep-1")
    assert (acked["status"], acked["updated_by"], acked["updated_at"]) == (
        "acknowledged", "rep-1", 1_900_000_000_000,
    )  # fmt: skip
    assert alerts.acknowledge(alert["id"], "rep-2") == acked  # again: a no-op
    closed = alerts.close(alert["id"], "rep-2")
    assert (closed["status"], closed["updated_by"]) == ("closed", "rep-2")
    assert alerts.close(alert["id"], "rep-3") == closed  # closing again: a no-op

    with pytest.raises(InvalidTransition, match="is closed: it cannot become acknowledged"):
        alerts.acknowledge(alert["id"], "rep-1")
    with pytest.raises(InvalidTransition, match="cannot be reopened"):
        alerts.set_status(alert["id"], "open", "rep-1")
    with pytest.raises(InvalidTransition, match="unknown 'done'"):
        alerts.set_status(alert["id"], "done", "rep-1")
    with pytest.raises(AlertNotFound):
        alerts.close("A-nope", "rep-1")
    assert alerts.get(alert["id"]) == closed


def test_open_alert_can_be_closed_directly(
    rules: AlertRules, engine: AlertEngine, store: FalkorDBStore
) -> None:
    alert = _one_alert(rules, engine)
    assert Alerts(store).close(alert["id"], "rep-1")["status"] == "closed"


def test_paging_newest_first_with_cursors_and_filters(
    rules: AlertRules, store: FalkorDBStore, published: Published
) -> None:
    rules.create("To rep", "transaction.recorded", "amount", "gt", 1000, "rep-1", actor="a")
    rules.create("To owner", "transaction.recorded", "amount", "gt", 1000, actor="a")
    now = [0]
    engine = AlertEngine(store, lambda *a: published.append(a), clock=lambda: now[0])
    raised = []
    # Equal times are ordered by id.
    for at, customer in [
        (100, "C1"),
        (100, "C2"),
        (200, "C1"),
        (300, "C1"),
        (300, "C2"),
        (300, "C1"),
    ]:
        now[0] = at
        raised += engine.evaluate(tx(customer))
    # Two rules on C1 (rep-1 and owner-1), one routed rule on C2: 4 x 2 + 2 x 1 alerts.
    assert len(raised) == 10
    expected = sorted(raised, key=lambda a: (a["at"], a["id"]), reverse=True)
    alerts = Alerts(store)

    def walk(first: int, **filters: Any) -> list[list[str]]:
        pages, after = [], None
        while True:
            page = alerts.list(first=first, after=after, **filters)
            pages.append([a["id"] for a in page["items"]])
            if not page["has_more"]:
                assert page["end_cursor"] is None or page["items"]
                return pages
            after = page["end_cursor"]

    pages = walk(3)
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert flat(pages) == [a["id"] for a in expected]

    def only(pred: Callable[[dict[str, Any]], bool]) -> list[str]:
        return [a["id"] for a in expected if pred(a)]

    assert flat(walk(2, rep="rep-1")) == only(lambda a: a["rep"] == "rep-1")
    assert flat(walk(4, customer_id="C2")) == only(lambda a: a["customer_id"] == "C2")
    assert flat(walk(50, customer_id="C1", rep="owner-1")) == only(
        lambda a: a["customer_id"] == "C1" and a["rep"] == "owner-1"
    )

    Alerts(store).acknowledge(expected[0]["id"], "rep-1")
    Alerts(store).close(expected[1]["id"], "rep-1")
    assert flat(walk(2, status="open")) == [a["id"] for a in expected[2:]]
    assert flat(walk(2, status="closed")) == [expected[1]["id"]]
    assert walk(5, status="acknowledged", rep="nobody") == [[]]
    assert flat(walk(5, status="open", customer_id="C1")) == only(
        lambda a: a["customer_id"] == "C1" and a["id"] not in {expected[0]["id"], expected[1]["id"]}
    )

    # A cursor stays valid as new alerts arrive: they sort before it.
    first = alerts.list(first=3)
    now[0] = 400
    engine.evaluate(tx("C2"))
    second = alerts.list(first=3, after=first["end_cursor"])
    assert [a["id"] for a in second["items"]] == [a["id"] for a in expected[3:6]]

    with pytest.raises(InvalidCursor):
        alerts.list(after="bogus")
    with pytest.raises(AlertError, match="first: must be 1 to 500"):
        alerts.list(first=0)
    with pytest.raises(AlertError, match="status: unknown"):
        alerts.list(status="snoozed")

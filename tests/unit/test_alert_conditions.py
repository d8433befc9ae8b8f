"""Alert rule conditions: what each op matches, and the errors a bad rule gets."""

from __future__ import annotations

from typing import Any

import pytest

from workers.alerts import (
    AlertRuleInput,
    Condition,
    Event,
    InvalidAlertRule,
    InvalidCursor,
    MalformedEvent,
    alert_id,
    decode_cursor,
    encode_cursor,
)

TX = {"customer_id": "C1", "amount": 2500, "currency": "JMD", "date": "2026-03-01"}
INTERACTION = {
    "customer_id": "C1",
    "type": "call",
    "outcome": "Lost",
    "rep": "rep-1",
    "occurred_at": "2026-03-01T10:00:00",
    "subject": "Renewal: pricing COMPLAINT",
}


@pytest.mark.parametrize(
    ("op", "value", "data", "expected"),
    [
        ("eq", "JMD", {"currency": "JMD"}, True),
        ("eq", "JMD", {"currency": "jmd"}, False),  # eq is exact; contains is not
        ("eq", 2500, {"amount": 2500.0}, True),
        ("eq", 2500, {"amount": "2500.00"}, True),  # decimal strings are numbers
        ("eq", 1, {"amount": True}, False),  # true is not 1
        ("eq", True, {"flag": True}, True),
        ("ne", "JMD", {"currency": "USD"}, True),
        ("ne", "JMD", {"currency": "JMD"}, False),
        ("ne", "JMD", {}, False),  # a missing field matches nothing
        ("gt", 1000, {"amount": 2500}, True),
        ("gt", 2500, {"amount": 2500}, False),
        ("gte", 2500, {"amount": 2500}, True),
        ("lt", 1000, {"amount": 999.99}, True),
        ("lt", 1000, {"amount": 1000}, False),
        ("lte", 1000, {"amount": 1000}, True),
        ("gt", 1000, {"amount": "lots"}, False),  # not a number: no match, no error
        ("gt", 1000, {"amount": None}, False),
        ("gte", "2026-01-01", {"date": "2026-03-01"}, True),  # ISO dates compare as text
        ("lt", "2026-01-01", {"date": "2026-03-01"}, False),
        ("lt", "2026-01-01", {"date": 5}, False),
        ("contains", "complaint", {"subject": "Renewal: pricing COMPLAINT"}, True),
        ("contains", "Refund", {"subject": "no refunds here"}, True),
        ("contains", "refund", {"subject": "renewal"}, False),
        ("contains", "vip", {"tags": ["VIP", "new"]}, True),
        ("contains", "1", {"amount": 100}, False),  # only text contains text
        ("in", ["lost", "Lost"], {"outcome": "Lost"}, True),
        ("in", ["won"], {"outcome": "Lost"}, False),
        ("in", [1, 2], {"amount": "2"}, True),
        ("changed", None, {"fields": ["email", "phone"]}, True),
        ("changed", None, {"fields": ["phone"]}, False),
        ("changed", None, {"fields": {"email": {"from": "a", "to": "b"}}}, True),
        ("changed", None, {}, False),
    ],
)
def test_each_op(op: str, value: Any, data: dict[str, Any], expected: bool) -> None:
    field = "email" if op == "changed" else next(iter(data), "currency")
    assert Condition(field, op, value).matches(data) is expected


def test_a_valid_rule_of_each_kind_passes() -> None:
    spec = AlertRuleInput.parse(
        name="  Big spend ", event_kind="transaction.recorded", field="amount", op="gt",
        value=10_000, rep=None,
    )  # fmt: skip
    assert spec.name == "Big spend"
    assert spec.condition.matches(TX | {"amount": 20_000})
    AlertRuleInput.parse(
        name="Lost deal", event_kind="interaction.recorded", field="outcome", op="in",
        value=["lost"], rep="rep-2",
    )  # fmt: skip
    AlertRuleInput.parse(
        name="New email", event_kind="customer.changed", field="email", op="changed"
    )


def _problems(**changes: Any) -> list[str]:
    rule: dict[str, Any] = {"name": "R", "event_kind": "transaction.recorded", "field": "amount"}
    rule |= {"op": "gt", "value": 1}
    with pytest.raises(InvalidAlertRule) as caught:
        AlertRuleInput.parse(**(rule | changes))
    return caught.value.problems


def test_unknown_op_is_named() -> None:
    (problem,) = _problems(op="greater")
    assert problem.startswith("op: unknown op 'greater'")
    assert "gte" in problem


def test_unknown_event_kind_is_named() -> None:
    (problem,) = _problems(event_kind="order.placed")
    assert problem.startswith("event_kind: unknown event kind 'order.placed'")
    assert "transaction.recorded" in problem


def test_alert_raised_cannot_be_watched() -> None:
    (problem,) = _problems(event_kind="alert.raised")
    assert "event_kind" in problem


def test_unknown_field_lists_the_fields_of_the_kind() -> None:
    (problem,) = _problems(field="amout")
    assert problem == (
        "field: event kind 'transaction.recorded' has no field 'amout'; "
        "its fields are amount, currency, customer_id, date"
    )


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("gt", "many", None),  # a string is allowed (ISO dates)
        ("gt", [1], "value: op 'gt' needs a number (or a string, e.g. an ISO date), not a list"),
        (
            "gt",
            True,
            "value: op 'gt' needs a number (or a string, e.g. an ISO date), not true/false",
        ),
        ("gt", None, "value: op 'gt' needs a value"),
        ("eq", {"a": 1}, "value: op 'eq' needs a string, a number or true/false, not an object"),
        ("ne", [1], "value: op 'ne' needs a string, a number or true/false, not a list"),
        ("contains", 5, "value: op 'contains' needs a non-empty string, not a number"),
        ("contains", "", "value: op 'contains' needs a non-empty string, not a string"),
        (
            "in",
            "JMD",
            "value: op 'in' needs a non-empty list of strings, numbers or true/false, not a string",
        ),
        (
            "in",
            [],
            "value: op 'in' needs a non-empty list of strings, numbers or true/false, not a list",
        ),
        (
            "in",
            [[1]],
            "value: op 'in' needs a non-empty list of strings, numbers or true/false, not a list",
        ),
        ("eq", float("nan"), "value: op 'eq' needs a string, a number or true/false, not a number"),
    ],
)
def test_value_must_fit_the_op(op: str, value: Any, expected: str | None) -> None:
    if expected is None:
        AlertRuleInput.parse(
            name="R", event_kind="transaction.recorded", field="date", op=op, value=value
        )
        return
    assert _problems(op=op, value=value) == [expected]


def test_changed_takes_no_value_and_needs_an_event_listing_fields() -> None:
    problems = _problems(op="changed", value=3)
    assert problems == [
        "op: 'changed' needs an event that lists changed fields (customer.changed); "
        "'transaction.recorded' does not",
        "value: op 'changed' takes no value (got 3)",
    ]


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(name=" ", op="nope", event_kind="nope", rep="")
    assert [p.split(":")[0] for p in problems] == ["name", "rep", "event_kind", "op"]


def test_wrong_types_and_unknown_properties_are_named() -> None:
    assert _problems(name=5) == ["name: input should be a valid string"]
    assert _problems(colour="red") == ["colour: extra inputs are not permitted"]


def test_alert_ids_are_deterministic_per_rule_and_event() -> None:
    assert alert_id("R1", "1700-0") == alert_id("R1", "1700-0")
    assert alert_id("R1", "1700-0") != alert_id("R2", "1700-0")
    assert alert_id("R1", "1700-0") != alert_id("R1", "1700-1")


def test_events_from_dicts_and_objects() -> None:
    class HubEvent:
        id = b"1700-0"
        kind = "transaction.recorded"
        key = "C9"
        at = 1700
        data = TX

    event = Event.of(HubEvent())
    assert (event.id, event.kind, event.key, event.at) == (
        "1700-0",
        "transaction.recorded",
        "C9",
        1700,
    )
    assert event.customer_id == "C1"  # data wins over the key
    assert Event.of({"id": "1", "kind": "customer.changed", "key": "C2"}).customer_id == "C2"
    with pytest.raises(MalformedEvent, match="needs an id and a kind"):
        Event.of({"kind": "customer.changed"})
    with pytest.raises(MalformedEvent, match="data must be an object"):
        Event.of({"id": "1", "kind": "customer.changed", "data": [1]})


def test_cursors_round_trip_and_bad_ones_are_refused() -> None:
    assert decode_cursor(encode_cursor(1700, "Aabc")) == (1700, "Aabc")
    for bad in ("nonsense!", encode_cursor(1, "")[:2], "eHl6"):
        with pytest.raises(InvalidCursor):
            decode_cursor(bad)


@pytest.mark.parametrize(
    ("op", "now", "before", "expected"),
    [
        ("crosses_above", 0.75, 0.6, True),
        ("crosses_above", 0.7, 0.6, True),  # at the line is past it
        ("crosses_above", 0.75, None, True),  # never scored before: absent counts as below
        ("crosses_above", 0.8, 0.75, False),  # stayed above: nothing new
        ("crosses_above", 0.75, 0.7, False),
        ("crosses_above", 0.6, 0.8, False),  # went down
        ("crosses_above", 0.6, None, False),
        ("crosses_above", None, 0.6, False),  # no score now
        ("crosses_above", "0.9", "0.1", True),  # decimal strings are numbers
        ("crosses_above", 0.9, "n/a", True),  # a before that is no number counts as absent
        ("crosses_below", 0.2, 0.4, True),
        ("crosses_below", 0.2, None, True),
        ("crosses_below", 0.3, 0.4, False),  # at the line is not below it
        ("crosses_below", 0.2, 0.25, False),  # stayed below
        ("crosses_below", 0.4, 0.2, False),
    ],
)
def test_crossing_ops(op: str, now: Any, before: Any, expected: bool) -> None:
    line = 0.7 if op == "crosses_above" else 0.3
    data = {"churn_risk": now, "churn_risk_before": before}
    assert Condition("churn_risk", op, line).matches(data) is expected


def _crossing(**changes: Any) -> AlertRuleInput:
    rule = {"name": "Churn", "event_kind": "customer.scored", "field": "churn_risk",
            "op": "crosses_above", "value": 0.7}  # fmt: skip
    return AlertRuleInput.parse(**(rule | changes))


def test_a_crossing_rule_on_each_signal_with_a_before() -> None:
    assert _crossing().condition.describe() == "churn_risk crosses above 0.7"
    _crossing(field="lifetime_value", op="crosses_below", value=1000)
    _crossing(event_kind="link.predicted", field="probability", value=0.8)


@pytest.mark.parametrize(
    ("value", "got"),
    [("high", "a string"), (True, "true/false"), ([0.7], "a list"), (None, None),
     (float("inf"), "inf")],
)  # fmt: skip
def test_a_crossing_op_needs_a_finite_number(value: Any, got: str | None) -> None:
    with pytest.raises(InvalidAlertRule) as caught:
        _crossing(value=value)
    expected = (
        "value: op 'crosses_above' needs a value"
        if got is None
        else f"value: op 'crosses_above' needs a finite number (the line to cross), not {got}"
    )
    assert caught.value.problems == [expected]


def test_a_crossing_op_needs_a_field_given_with_its_value_before() -> None:
    with pytest.raises(InvalidAlertRule) as caught:
        _crossing(field="model")
    assert caught.value.problems == [
        "op: 'crosses_above' compares a field with its value before, and event kind "
        "'customer.scored' gives no model_before; its crossable fields are churn_risk, "
        "lead_score, lifetime_value"
    ]
    (problem,) = _problems(op="crosses_above", value=10_000)
    assert problem.endswith("gives no amount_before; it has no crossable fields")


def test_the_signal_kinds_name_their_fields() -> None:
    (problem,) = _problems(event_kind="record.matched", field="rep")
    assert problem == (
        "field: event kind 'record.matched' has no field 'rep'; its fields are confidence, "
        "customer_id, customer_rep, record_key, record_rep, source"
    )

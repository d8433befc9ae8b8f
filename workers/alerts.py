"""Alert rules: conditions on events that raise Alerts for reps.

    (:AlertRule {id, name, event_kind, field, op, value_json, rep, enabled, version,
                 created_at, created_by, updated_at, updated_by})
    (:Alert {id, rule_id, rule_name, customer_id, rep, status, message, at, event_id,
             event_kind, event_at, updated_at, updated_by, published_at})-[:ABOUT]->(:Customer)

A rule matches an event when the event's kind is the rule's `event_kind` and its condition
holds on `event.data[field]`. The engine raises one Alert per (rule, event), with an id
derived from both, so a replayed event raises nothing new (signals, `workers.signals`,
give their events ids derived from what they say, so a repeated check raises nothing new
either). An alert goes to the rule's rep, else the customer's owner (for record.matched,
the rep whose customer it was). The engine publishes "alert.raised"
(key = the rep) through a callable it is given, so this package needs nothing from `api`.
Delivery (reading the event stream, acknowledging, retrying) stays with the caller.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import inspect
import json
import logging
import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError, model_validator

from graph.store import GraphStore
from workers.event_kinds import (
    ALERT_RAISED,
    CUSTOMER_CHANGED,
    CUSTOMER_QUIET,
    CUSTOMER_SCORED,
    INTERACTION_RECORDED,
    LINK_PREDICTED,
    RECORD_MATCHED,
    TRANSACTION_RECORDED,
)

log = logging.getLogger(__name__)


# The fields of each event kind a rule may test (`changed` tests the names listed in
# data["fields"] instead; a crossing op tests `<field>` against `<field>_before`). Events
# of other kinds, "alert.raised" among them, raise nothing.
EVENT_FIELDS: Final[dict[str, frozenset[str]]] = {
    CUSTOMER_CHANGED: frozenset({"customer_id", "change", "fields"}),
    INTERACTION_RECORDED: frozenset(
        {"customer_id", "type", "outcome", "rep", "occurred_at", "subject"}
    ),
    TRANSACTION_RECORDED: frozenset({"customer_id", "amount", "currency", "date"}),
    CUSTOMER_SCORED: frozenset(
        {
            "customer_id",
            "model",
            "churn_risk",
            "churn_risk_before",
            "lead_score",
            "lead_score_before",
            "lifetime_value",
            "lifetime_value_before",
        }
    ),
    CUSTOMER_QUIET: frozenset(
        {
            "customer_id",
            "influence",
            "influence_rank",
            "influence_percentile",
            "days_quiet",
            "last_activity_at",
            "as_of",
        }
    ),
    LINK_PREDICTED: frozenset(
        {"customer_id", "other_id", "kind", "probability", "probability_before", "model"}
    ),
    RECORD_MATCHED: frozenset(
        {"customer_id", "record_key", "source", "record_rep", "customer_rep", "confidence"}
    ),
}
# An event whose data names the rep whose customer it was routes there rather than to the
# owner now: a record that joins a customer can change the golden owner to its own rep.
_ROUTE_FIELD: Final[dict[str, str]] = {RECORD_MATCHED: "customer_rep"}
CROSSING_OPS: Final[tuple[str, ...]] = ("crosses_above", "crosses_below")
OPS: Final[tuple[str, ...]] = (
    "eq", "ne", "gt", "gte", "lt", "lte", "contains", "in", "changed", *CROSSING_OPS,
)  # fmt: skip
STATUSES: Final[tuple[str, ...]] = ("open", "acknowledged", "closed")
# Where each status may be reached from; reaching the status an alert already has is a no-op.
_TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "acknowledged": ("open",),
    "closed": ("open", "acknowledged"),
}
MAX_PAGE: Final = 500
_TOP_CURSOR: Final = (2**62, "")  # above every alert: the first page starts here
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SYMBOLS: Final = {
    "eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
    "crosses_above": "crosses above", "crosses_below": "crosses below",
}  # fmt: skip
_MAX_NAME = 200

ALERT_FIELDS: Final[tuple[str, ...]] = (
    "id", "rule_id", "rule_name", "customer_id", "rep", "status", "message", "at",
    "event_id", "event_kind", "event_at", "updated_at", "updated_by",
)  # fmt: skip
RULE_FIELDS: Final[tuple[str, ...]] = (
    "id", "name", "event_kind", "field", "op", "value", "rep", "enabled", "version",
    "created_at", "created_by", "updated_at", "updated_by",
)  # fmt: skip
_EDITABLE: Final = frozenset({"name", "event_kind", "field", "op", "value", "rep", "enabled"})

Publish = Callable[[str, str, dict[str, Any]], object]


def now_ms() -> int:
    return int(time.time() * 1000)


def new_rule_id() -> str:
    """Time-ordered (older rules sort first) with a random tail to keep processes apart."""
    return f"R{now_ms():012x}{os.urandom(5).hex()}"


def alert_id(rule_id: str, event_id: str) -> str:
    """The same rule and event always give the same alert: that is what makes raising
    idempotent when an event is delivered again."""
    digest = hashlib.blake2b(f"{rule_id}\x00{event_id}".encode(), digest_size=12).hexdigest()
    return f"A{digest}"


# -- errors -------------------------------------------------------------------------


class AlertError(Exception):
    """Anything this module refuses; the message says what and why."""


class InvalidAlertRule(AlertError, ValueError):
    """A rule definition that cannot work; `problems` names each bad part."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid alert rule: " + "; ".join(problems))


class AlertRuleNotFound(AlertError, LookupError):
    pass


class AlertNotFound(AlertError, LookupError):
    pass


class InvalidTransition(AlertError, ValueError):
    pass


class InvalidCursor(AlertError, ValueError):
    pass


class MalformedEvent(AlertError, ValueError):
    pass


# -- conditions ---------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: object) -> bool:
    if isinstance(value, str | bool):
        return True
    return isinstance(value, int | float) and math.isfinite(value)


def _as_number(value: object) -> float | None:
    """Amounts may arrive as numbers or as decimal strings ("1250.00"); anything else
    (booleans included) is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _equal(actual: object, expected: object) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual is expected
    if _is_number(expected):
        number = _as_number(actual)
        return number is not None and number == expected
    return isinstance(actual, str) and actual == expected


def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if _is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


_Ordered = TypeVar("_Ordered", float, str)


def _ordered(op: str, left: _Ordered, right: _Ordered) -> bool:
    if op == "gt":
        return left > right
    if op == "gte":
        return left >= right
    if op == "lt":
        return left < right
    return left <= right


@dataclass(frozen=True)
class Condition:
    """`data[field] <op> value`. A field that is missing (or null) matches nothing, `ne`
    included; `changed` looks for `field` among the names in data["fields"].

    `crosses_above` matches when data[field] is at or above the value and
    data[field + "_before"] was below it or absent; `crosses_below` when it is below the
    value and was at or above it or absent. So a score that stays past the line raises
    nothing new, and one that leaves and comes back raises again."""

    field: str
    op: str
    value: Any = None

    def matches(self, data: Mapping[str, Any]) -> bool:
        if self.op == "changed":
            fields = data.get("fields")
            if isinstance(fields, Mapping):
                return self.field in fields
            if isinstance(fields, list | tuple | set | frozenset):
                return self.field in fields
            return False
        actual = data.get(self.field)
        if actual is None:
            return False
        if self.op == "eq":
            return _equal(actual, self.value)
        if self.op == "ne":
            return not _equal(actual, self.value)
        if self.op == "in":
            return any(_equal(actual, v) for v in self.value)
        if self.op == "contains":
            needle = str(self.value).casefold()
            if isinstance(actual, str):
                return needle in actual.casefold()
            if isinstance(actual, list | tuple):
                return any(isinstance(a, str) and needle in a.casefold() for a in actual)
            return False
        if self.op in CROSSING_OPS:
            return self._crosses(actual, data.get(f"{self.field}_before"))
        return self._compare(actual)

    def _crosses(self, actual: object, before: object) -> bool:
        line = float(self.value)
        now, was = _as_number(actual), _as_number(before)
        if now is None:
            return False
        if self.op == "crosses_above":
            return now >= line and (was is None or was < line)
        return now < line and (was is None or was >= line)

    def _compare(self, actual: object) -> bool:
        """Numbers compare as numbers; a string value (an ISO date, say) compares with
        strings only. A value of another type simply does not match."""
        if _is_number(self.value):
            number = _as_number(actual)
            return number is not None and _ordered(self.op, number, float(self.value))
        if isinstance(actual, str) and isinstance(self.value, str):
            return _ordered(self.op, actual, self.value)
        return False

    def describe(self) -> str:
        """Human words for the condition, used in alert messages."""
        if self.op == "changed":
            return f"{self.field} changed"
        if self.op == "contains":
            return f"{self.field} contains {json.dumps(self.value)}"
        if self.op == "in":
            return f"{self.field} in {json.dumps(self.value)}"
        return f"{self.field} {_SYMBOLS[self.op]} {json.dumps(self.value)}"


def condition_problems(event_kind: object, field_: object, op: object, value: object) -> list[str]:
    """Every reason the condition cannot work, each naming the bad part; [] when it can."""
    problems: list[str] = []
    if not isinstance(event_kind, str) or event_kind not in EVENT_FIELDS:
        problems.append(
            f"event_kind: unknown event kind {event_kind!r}; rules can watch "
            + ", ".join(sorted(EVENT_FIELDS))
        )
    if not isinstance(op, str) or op not in OPS:
        problems.append(f"op: unknown op {op!r}; ops are {', '.join(OPS)}")
    if not isinstance(field_, str) or not _IDENTIFIER.match(field_):
        problems.append(f"field: {field_!r} is not a field name")
    elif isinstance(event_kind, str) and event_kind in EVENT_FIELDS and op in OPS:
        known = EVENT_FIELDS[event_kind]
        if op == "changed":
            if "fields" not in known:
                kinds = sorted(k for k, f in EVENT_FIELDS.items() if "fields" in f)
                problems.append(
                    f"op: 'changed' needs an event that lists changed fields ({', '.join(kinds)}); "
                    f"{event_kind!r} does not"
                )
        elif field_ not in known:
            problems.append(
                f"field: event kind {event_kind!r} has no field {field_!r}; "
                f"its fields are {', '.join(sorted(known))}"
            )
        elif op in CROSSING_OPS and f"{field_}_before" not in known:
            crossable = sorted(f for f in known if f"{f}_before" in known)
            problems.append(
                f"op: {op!r} compares a field with its value before, and event kind "
                f"{event_kind!r} gives no {field_}_before; "
                + (
                    f"its crossable fields are {', '.join(crossable)}"
                    if crossable
                    else "it has no crossable fields"
                )
            )
    if isinstance(op, str) and op in OPS:
        problem = _value_problem(op, value)
        if problem:
            problems.append(f"value: {problem}")
    return problems


def _value_problem(op: str, value: object) -> str | None:
    if op == "changed":
        return None if value is None else f"op 'changed' takes no value (got {value!r})"
    if value is None:
        return f"op {op!r} needs a value"
    if op in ("eq", "ne"):
        if not _is_scalar(value):
            return f"op {op!r} needs a string, a number or true/false, not {_kind_of(value)}"
    elif op in CROSSING_OPS:
        if not _is_number(value) or _as_number(value) is None:
            got = value if _is_number(value) else _kind_of(value)
            return f"op {op!r} needs a finite number (the line to cross), not {got}"
    elif op in ("gt", "gte", "lt", "lte"):
        if isinstance(value, bool) or not (isinstance(value, str) or _is_scalar(value)):
            return (
                f"op {op!r} needs a number (or a string, e.g. an ISO date), not {_kind_of(value)}"
            )
    elif op == "contains":
        if not isinstance(value, str) or not value:
            return f"op 'contains' needs a non-empty string, not {_kind_of(value)}"
    elif op == "in" and (
        not isinstance(value, list) or not value or not all(_is_scalar(v) for v in value)
    ):
        return (
            "op 'in' needs a non-empty list of strings, numbers or true/false, "
            f"not {_kind_of(value)}"
        )
    return None


class AlertRuleInput(BaseModel):
    """A rule definition as a user gives it; validation names every bad part."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: StrictStr
    event_kind: StrictStr
    field: StrictStr
    op: StrictStr
    value: Any = None
    rep: StrictStr | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _check(self) -> AlertRuleInput:
        problems = []
        if not self.name or len(self.name) > _MAX_NAME:
            problems.append(f"name: must be 1 to {_MAX_NAME} characters")
        if self.rep is not None and (not self.rep or len(self.rep) > _MAX_NAME):
            problems.append("rep: must be a rep id, or null for the customer's owner")
        problems += condition_problems(self.event_kind, self.field, self.op, self.value)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @classmethod
    def parse(cls, **values: Any) -> AlertRuleInput:
        """Validate, turning pydantic's report into one InvalidAlertRule."""
        try:
            return cls(**values)
        except ValidationError as exc:
            problems: list[str] = []
            for error in exc.errors():
                if error["type"] == "value_error":
                    message = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
                    problems += message.split("\n")
                else:
                    where = ".".join(str(p) for p in error["loc"]) or "rule"
                    problems.append(f"{where}: {error['msg'].lower()}")
            raise InvalidAlertRule(problems) from None

    @property
    def condition(self) -> Condition:
        return Condition(self.field, self.op, self.value)


@dataclass(frozen=True)
class Rule:
    """A stored, enabled rule as the engine holds it."""

    id: str
    name: str
    event_kind: str
    condition: Condition
    rep: str | None


def _rule_dict(props: Mapping[str, Any]) -> dict[str, Any]:
    """The public shape of a rule: every key present, value decoded from JSON."""
    rule = {k: props.get(k) for k in RULE_FIELDS if k != "value"}
    raw = props.get("value_json")
    rule["value"] = json.loads(raw) if isinstance(raw, str) else None
    rule["enabled"] = bool(props.get("enabled", False))
    return {k: rule[k] for k in RULE_FIELDS}


def _alert_dict(props: Mapping[str, Any]) -> dict[str, Any]:
    """The public shape of an alert: every key present (FalkorDB skips null properties)."""
    return {k: props.get(k) for k in ALERT_FIELDS}


# Bumped by every rule change made in this process, so an engine here reloads at once;
# engines in other processes notice through the stored stamp within `refresh_s`.
_local_changes = 0
_local_lock = threading.Lock()


def _rules_changed_here() -> None:
    global _local_changes
    with _local_lock:
        _local_changes += 1


# -- rules --------------------------------------------------------------------------


class AlertRules:
    """Create, change, enable and disable alert rules; each is checked before it is stored."""

    def __init__(self, store: GraphStore, *, clock: Callable[[], int] = now_ms) -> None:
        self.store = store
        self.clock = clock

    def create(
        self,
        name: str,
        event_kind: str,
        field: str,
        op: str,
        value: Any = None,
        rep: str | None = None,
        *,
        actor: str,
        enabled: bool = True,
    ) -> dict[str, Any]:
        spec = AlertRuleInput.parse(
            name=name, event_kind=event_kind, field=field, op=op, value=value, rep=rep,
            enabled=enabled,
        )  # fmt: skip
        _check_actor(actor)
        at = self.clock()
        props = {
            "id": new_rule_id(),
            **_stored_fields(spec),
            "version": 1,
            "created_at": at,
            "created_by": actor,
            "updated_at": at,
            "updated_by": actor,
        }
        rows = self.store.run("alerts/create_rule", {"props": props})
        _rules_changed_here()
        log.info("alert rule created", extra={"rule_id": props["id"], "actor": actor})
        return _rule_dict(rows[0]["rule"])

    def update(self, id: str, actor: str, **changes: Any) -> dict[str, Any]:
        """Change any of name, event_kind, field, op, value, rep (None: the customer's
        owner), enabled; the whole rule is checked again. A change made meanwhile by
        someone else is read and the changes applied over it."""
        unknown = sorted(changes.keys() - _EDITABLE)
        if unknown:
            raise InvalidAlertRule(
                [f"{k}: not a rule property that can be changed" for k in unknown]
                + [f"changeable: {', '.join(sorted(_EDITABLE))}"]
            )
        _check_actor(actor)
        for _ in range(5):
            current = self.get(id)
            if current is None:
                raise AlertRuleNotFound(f"no alert rule with id {id!r}")
            merged = {k: current[k] for k in _EDITABLE} | changes
            spec = AlertRuleInput.parse(**merged)
            if all(_same(getattr(spec, k), current[k]) for k in _EDITABLE):
                return current  # nothing to change: no new version
            rows = self.store.run(
                "alerts/update_rule",
                {
                    "id": id,
                    "version": current["version"],
                    **_stored_fields(spec),
                    "actor": actor,
                    "at": self.clock(),
                },
            )
            if rows:
                _rules_changed_here()
                log.info(
                    "alert rule changed",
                    extra={"rule_id": id, "actor": actor, "changes": sorted(changes)},
                )
                return _rule_dict(rows[0]["rule"])
        raise AlertError(f"alert rule {id!r} kept changing under us; try again")

    def disable(self, id: str, actor: str) -> dict[str, Any]:
        return self.update(id, actor, enabled=False)

    def enable(self, id: str, actor: str) -> dict[str, Any]:
        return self.update(id, actor, enabled=True)

    def get(self, id: str) -> dict[str, Any] | None:
        rows = self.store.run("alerts/rule", {"id": id})
        return _rule_dict(rows[0]["rule"]) if rows else None

    def list(self, enabled_only: bool = False) -> list[dict[str, Any]]:
        """Oldest first."""
        rows = self.store.run("alerts/rules", {"enabled_only": enabled_only})
        return [_rule_dict(r["rule"]) for r in rows]


def _stored_fields(spec: AlertRuleInput) -> dict[str, Any]:
    """A checked rule's properties as the graph keeps them (the value as JSON)."""
    return {
        "name": spec.name, "event_kind": spec.event_kind, "field": spec.field, "op": spec.op,
        "value_json": json.dumps(spec.value), "rep": spec.rep, "enabled": spec.enabled,
    }  # fmt: skip


def _same(a: object, b: object) -> bool:
    """Equal as stored (JSON), so 1 and true, or 1 and 1.0, count as different."""
    return json.dumps(a) == json.dumps(b)


def _check_actor(actor: object) -> None:
    if not isinstance(actor, str) or not actor.strip():
        raise AlertError("actor: say who makes the change (a user id)")


# -- alerts -------------------------------------------------------------------------


def encode_cursor(at: int, id: str) -> str:
    return base64.urlsafe_b64encode(f"{at}:{id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, id = text.partition(":")
        if not id:
            raise ValueError(cursor)
        return int(at), id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor(f"not a cursor of this alert list: {cursor!r}") from None


class Alerts:
    """Reading alerts a page at a time and moving them through open -> acknowledged -> closed."""

    def __init__(self, store: GraphStore, *, clock: Callable[[], int] = now_ms) -> None:
        self.store = store
        self.clock = clock

    @staticmethod
    def cursor(alert: Mapping[str, Any]) -> str:
        """The opaque cursor of one alert (a Relay edge cursor)."""
        return encode_cursor(int(alert["at"]), str(alert["id"]))

    def list(
        self,
        status: str | None = None,
        rep: str | None = None,
        customer_id: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> dict[str, Any]:
        """Newest first, `first` at most after the cursor `after`:
        {"items": [alert...], "end_cursor": cursor of the last item | None, "has_more": bool}.
        The cursor is (at, id), so alerts raised meanwhile neither repeat nor skip rows."""
        if status is not None and status not in STATUSES:
            raise AlertError(f"status: unknown {status!r}; statuses are {', '.join(STATUSES)}")
        if not 1 <= first <= MAX_PAGE:
            raise AlertError(f"first: must be 1 to {MAX_PAGE}, got {first}")
        before_at, before_id = decode_cursor(after) if after else _TOP_CURSOR
        params: dict[str, Any] = {
            "before_at": before_at,
            "before_id": before_id,
            "limit": first + 1,
        }
        if customer_id is not None:
            name = "alerts/page_by_customer"
            params |= {"customer_id": customer_id, "status": status, "rep": rep}
        elif rep is not None:
            name = "alerts/page_by_rep"
            params |= {"rep": rep, "status": status}
        elif status is not None:
            name = "alerts/page_by_status"
            params |= {"status": status}
        else:
            name = "alerts/page"
        rows = self.store.run(name, params)
        items = [_alert_dict(r["alert"]) for r in rows[:first]]
        return {
            "items": items,
            "end_cursor": self.cursor(items[-1]) if items else None,
            "has_more": len(rows) > first,
        }

    def get(self, id: str) -> dict[str, Any] | None:
        rows = self.store.run("alerts/alert", {"id": id})
        return _alert_dict(rows[0]["alert"]) if rows else None

    def set_status(self, id: str, status: str, actor: str) -> dict[str, Any]:
        """Acknowledge or close. Asking for the status it already has changes nothing;
        reopening, or acknowledging a closed alert, is refused."""
        if status not in _TRANSITIONS:
            if status == "open":
                raise InvalidTransition("alerts cannot be reopened")
            raise InvalidTransition(
                f"status: unknown {status!r}; an alert can become {' or '.join(_TRANSITIONS)}"
            )
        _check_actor(actor)
        rows = self.store.run(
            "alerts/set_status",
            {
                "id": id,
                "status": status,
                "allowed_from": list(_TRANSITIONS[status]),
                "actor": actor,
                "at": self.clock(),
            },
        )
        if not rows:
            raise AlertNotFound(f"no alert with id {id!r}")
        row = rows[0]
        before = row["before"]
        if not row["changed"] and before != status:
            raise InvalidTransition(
                f"alert {id!r} is {before}: it cannot become {status} "
                "(open -> acknowledged -> closed, or open -> closed)"
            )
        if row["changed"]:
            log.info("alert status", extra={"alert_id": id, "status": status, "actor": actor})
        return _alert_dict(row["alert"])

    def acknowledge(self, id: str, actor: str) -> dict[str, Any]:
        return self.set_status(id, "acknowledged", actor)

    def close(self, id: str, actor: str) -> dict[str, Any]:
        return self.set_status(id, "closed", actor)


# -- the engine ---------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """What the engine needs of an event; `Event.of` takes a dict or any object with
    these attributes (the EventHub's events)."""

    id: str
    kind: str
    key: str
    at: int
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: object) -> Event:
        if isinstance(raw, Event):
            return raw

        def get(name: str) -> Any:
            if isinstance(raw, Mapping):
                return raw.get(name)
            return getattr(raw, name, None)

        def text(value: Any) -> str | None:
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            return value if isinstance(value, str) and value else None

        id_, kind, key, at, data = (get(n) for n in ("id", "kind", "key", "at", "data"))
        if text(id_) is None or text(kind) is None:
            raise MalformedEvent(f"an event needs an id and a kind: {raw!r:.200}")
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise MalformedEvent(f"event {id_!r}: data must be an object, not {_kind_of(data)}")
        if isinstance(at, bool) or not isinstance(at, int | float):
            at = now_ms()
        return cls(str(text(id_)), str(text(kind)), text(key) or "", int(at), data)

    @property
    def customer_id(self) -> str | None:
        value = self.data.get("customer_id")
        if isinstance(value, str) and value:
            return value
        return self.key or None


def _message(rule: Rule, kind: str, data: Mapping[str, Any]) -> str:
    condition = rule.condition
    if condition.op == "changed":
        change = data.get("change")
        return f"{rule.name}: {condition.field} changed" + (f" ({change})" if change else "")
    shown = _shown(data.get(condition.field))
    if condition.op in CROSSING_OPS:
        before = data.get(f"{condition.field}_before")
        shown += f", was {_shown(before)}" if before is not None else ", was none"
    context = _CONTEXT[kind](data) if kind in _CONTEXT else ""
    return f"{rule.name}: {condition.field} {shown} (when {condition.describe()})" + (
        f"; {context}" if context else ""
    )


def _shown(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


# What a rep needs to know of a signal whatever field its rule tests.
_CONTEXT: Final[dict[str, Callable[[Mapping[str, Any]], str]]] = {
    RECORD_MATCHED: lambda d: (
        f"record {d.get('record_key')} of rep {d.get('record_rep')} matched this customer "
        f"of rep {d.get('customer_rep')}"
    ),
    CUSTOMER_QUIET: lambda d: (
        f"no activity for {d.get('days_quiet')} days (last {d.get('last_activity_at')}); "
        f"influence rank {d.get('influence_rank')}"
    ),
    LINK_PREDICTED: lambda d: f"likely {d.get('kind')} with {d.get('other_id')}",
}


@dataclass
class _Cache:
    by_kind: dict[str, list[Rule]] = field(default_factory=dict)
    stamp: tuple[int, int] | None = None
    local: int = -1
    checked: float = -math.inf


UNROUTED_WARN_EVERY_MS = 60_000


class AlertEngine:
    """Evaluates events against the enabled rules and raises alerts.

    The enabled rules are cached; a change made in this process is seen at the next
    event, one made elsewhere within `refresh_s` (a cheap stamp of the rules is polled
    no more often than that). Store errors propagate, so the caller's delivery can retry:
    raising is idempotent, and an alert whose publishing was cut short is published when
    its event comes again. `counts` tallies events, matches, alerts raised, re-published
    and unrouted (no rep on the rule and no owner on the customer), for metrics.
    """

    def __init__(
        self,
        store: GraphStore,
        publish: Publish,
        *,
        refresh_s: float = 2.0,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.store = store
        self.publish = publish
        self.refresh_s = refresh_s
        self.clock = clock
        self.counts: Counter[str] = Counter()
        self._cache = _Cache()
        self._lock = threading.Lock()
        # Per rule: when its last "unrouted" warning was logged (clock ms), and how many
        # unrouted alerts it has had since.
        self._unrouted: dict[str, tuple[int, int]] = {}

    def _warn_unrouted(self, rule_id: str, customer_id: str, event_id: str) -> None:
        """At most one warning a minute per rule, saying how many unrouted alerts it stands
        for: a rule without a rep over customers without owners warned on every event
        (5,528 lines in one `c360 demo` of 266,667 people)."""
        now = self.clock()
        last, since = self._unrouted.get(rule_id, (None, 0))
        if last is not None and now - last < UNROUTED_WARN_EVERY_MS:
            self._unrouted[rule_id] = (last, since + 1)
            return
        self._unrouted[rule_id] = (now, 0)
        log.warning(
            "alert unrouted: the rule names no rep and the customer has no owner",
            extra={"rule_id": rule_id, "customer_id": customer_id, "event_id": event_id,
                   "unrouted_since_last_warning": since},
        )  # fmt: skip

    # rules ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the rules now."""
        with self._lock:
            self._load()

    def rules_for(self, kind: str) -> list[Rule]:
        with self._lock:
            cache = self._cache
            if cache.local != _local_changes or cache.stamp is None:
                self._load()
            elif time.monotonic() - cache.checked >= self.refresh_s:
                row = self.store.run("alerts/rules_version")[0]
                cache.checked = time.monotonic()
                if (int(row["rules"]), int(row["version"] or 0)) != cache.stamp:
                    self._load()
            return self._cache.by_kind.get(kind, [])

    def _load(self) -> None:
        local = _local_changes  # read first: a change during the load reloads again
        rows = [r["rule"] for r in self.store.run("alerts/rules", {"enabled_only": False})]
        by_kind: dict[str, list[Rule]] = {}
        for props in rows:
            if not props.get("enabled"):
                continue
            try:
                rule = _rule_dict(props)
                spec = AlertRuleInput.parse(**{k: rule[k] for k in _EDITABLE})
            except (InvalidAlertRule, ValueError) as exc:
                self.counts["invalid_rule"] += 1
                log.warning(
                    "alert rule skipped", extra={"rule_id": props.get("id"), "why": str(exc)}
                )
                continue
            by_kind.setdefault(spec.event_kind, []).append(
                Rule(str(rule["id"]), spec.name, spec.event_kind, spec.condition, spec.rep)
            )
        stamp = (len(rows), sum(int(p.get("version") or 0) for p in rows))
        self._cache = _Cache(by_kind, stamp, local, time.monotonic())

    # evaluation -------------------------------------------------------------------
    def evaluate(self, event: object) -> list[dict[str, Any]]:
        """Raise the alerts `event` calls for; returns the alerts published by this call
        (new ones, and any whose publishing an earlier delivery did not finish)."""
        pending = self._raise(Event.of(event))
        for alert in pending:
            result = self.publish(ALERT_RAISED, alert["rep"], alert)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                raise TypeError("publish returned an awaitable: drive the engine with aevaluate")
        self._published(pending)
        return pending

    async def aevaluate(self, event: object) -> list[dict[str, Any]]:
        """`evaluate` for an event loop: store calls in a thread, `publish` awaited if it
        returns an awaitable (EventHub.publish)."""
        pending = await asyncio.to_thread(self._raise, Event.of(event))
        for alert in pending:
            result = self.publish(ALERT_RAISED, alert["rep"], alert)
            if inspect.isawaitable(result):
                await result
        if pending:
            await asyncio.to_thread(self._published, pending)
        return pending

    def run(self, events: Iterable[object]) -> int:
        """Evaluate events in order; malformed ones are logged and skipped. Returns the
        number of alerts published."""
        published = 0
        for event in events:
            try:
                published += len(self.evaluate(event))
            except MalformedEvent as exc:
                self._malformed(exc)
        return published

    async def run_async(self, events: AsyncIterable[object]) -> int:
        """`run` over an async iterator (e.g. an EventHub subscription)."""
        published = 0
        async for event in events:
            try:
                published += len(await self.aevaluate(event))
            except MalformedEvent as exc:
                self._malformed(exc)
        return published

    def _malformed(self, exc: MalformedEvent) -> None:
        self.counts["malformed"] += 1
        log.warning("event skipped", extra={"why": str(exc)})

    def _raise(self, event: Event) -> list[dict[str, Any]]:
        """Match, route and write; returns the alerts still to publish."""
        self.counts["events"] += 1
        matched = [r for r in self.rules_for(event.kind) if r.condition.matches(event.data)]
        if not matched:
            return []
        self.counts["matched"] += len(matched)
        customer_id = event.customer_id
        where = self.store.run("alerts/customer_owner", {"id": customer_id}) if customer_id else []
        if not where:
            self.counts["no_customer"] += len(matched)
            log.warning(
                "alert not raised: no such customer",
                extra={"customer_id": customer_id, "event_id": event.id},
            )
            return []
        target, owner = where[0]["id"], where[0]["owner"]
        route = _ROUTE_FIELD.get(event.kind)
        routed = event.data.get(route) if route else None
        if isinstance(routed, str) and routed:
            owner = routed
        at = self.clock()
        rows = []
        for rule in matched:
            rep = rule.rep or owner
            if not rep:
                self.counts["unrouted"] += 1
                self._warn_unrouted(rule.id, target, event.id)
                continue
            rows.append(
                {
                    "id": alert_id(rule.id, event.id),
                    "rule_id": rule.id,
                    "rule_name": rule.name,
                    "rep": rep,
                    "message": _message(rule, event.kind, event.data),
                    "at": at,
                    "event_id": event.id,
                    "event_kind": event.kind,
                    "event_at": event.at,
                }
            )
        if not rows:
            return []
        written = self.store.run("alerts/raise", {"customer_id": target, "rows": rows})
        pending = []
        for row in written:
            if row["fresh"]:
                self.counts["raised"] += 1
            elif row["alert"].get("published_at") is None:
                self.counts["republished"] += 1
            else:
                continue
            pending.append(_alert_dict(row["alert"]))
        pending.sort(key=lambda a: str(a["id"]))
        return pending

    def _published(self, alerts: list[dict[str, Any]]) -> None:
        if alerts:
            self.store.run(
                "alerts/mark_published", {"ids": [a["id"] for a in alerts], "at": self.clock()}
            )

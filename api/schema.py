"""The GraphQL schema: 360 views, search, paths, review, alerts, webhooks, subscriptions.

Resolvers stay thin: they check the caller's permission, ask `api.service` (through the
request's DataLoaders, so a page of customers costs one store round trip per kind of
field) and mask personal data for callers without the `pii` scope. `customer(id)` and
`customers` look ahead at the fields asked and read every part of the 360 view they
need in one round trip, filling the part loaders the fields then read.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import strawberry
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext
from strawberry.scalars import JSON
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

from api.auth import AuthError, Permission, Principal, mask_fields, mask_value
from api.events import Event
from api.service import BadInput, CustomerFilter, NotFound, ViewParts, Visibility
from workers.event_kinds import ALERT_RAISED, CUSTOMER_CHANGED, INTERACTION_RECORDED

if TYPE_CHECKING:
    from api.app import ApiState

T = TypeVar("T")
Row = dict[str, Any]
# How many interactions or transactions a 360 view lists when `first` is not given.
VIEW_ITEMS = 20


# -- errors: one shape, `extensions.code` -----------------------------------------------
def api_error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking store call in a worker thread, mapping our errors to the API's."""
    with _api_errors():
        return await asyncio.to_thread(fn, *args, **kwargs)


async def acall(work: Awaitable[T]) -> T:
    """Await an asyncio store call, mapping our errors to the API's."""
    with _api_errors():
        return await work


@contextmanager
def _api_errors() -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        raise api_error("NOT_FOUND", str(exc)) from None
    except (BadInput, ValueError) as exc:
        raise api_error("BAD_INPUT", str(exc)) from None
    except LookupError as exc:
        raise api_error("NOT_FOUND", str(exc)) from None


def _batch_of(load: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
    """A DataLoader's batch function over `load` (ids -> {id: value}): awaited if it is
    a coroutine function, else run in a worker thread. It must not hold the request's
    context: the context holds its loaders, and a cycle leaves everything the request
    read to the cycle collector instead of reference counting (on 2 cores, 10 ms young
    collections and 270 ms older ones under load)."""
    threaded = not inspect.iscoroutinefunction(load)

    async def batch(keys: list[Any]) -> list[Any]:
        found = await (call(load, keys) if threaded else acall(load(keys)))
        return [found.get(k) for k in keys]

    return batch


# -- request context ------------------------------------------------------------------------
@dataclass
class Context(BaseContext):
    state: ApiState
    authorization: str | None = None
    _principal: Principal | None = None
    pii_reads: set[str] = field(default_factory=set)
    _loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)
    # Parts of the 360 view read ahead: {(loader name, customer id): value}
    _read_ahead: dict[tuple[str, str], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            header = self.authorization
            params = self.connection_params if isinstance(self.connection_params, dict) else {}
            header = header or params.get("Authorization") or params.get("authorization")
            try:
                self._principal = self.state.verifier.principal_from_header(header)
            except AuthError as exc:
                raise api_error(exc.code, exc.message) from None
        return self._principal

    def require(self, permission: Permission) -> Principal:
        principal = self.principal
        try:
            principal.require(permission)
        except AuthError as exc:
            raise api_error(exc.code, exc.message) from None
        return principal

    def visibility(self) -> Visibility:
        p = self.require(Permission.READ_CUSTOMERS)
        return Visibility(all=p.sees_all_customers, me=p.sub, parishes=p.territory)

    def page_size(self, first: int) -> int:
        limit = self.state.settings.max_page_size
        if first < 1 or first > limit:
            raise api_error("BAD_INPUT", f"first: {first} is outside 1..{limit}")
        return first

    def loader(self, name: str, load: Callable[[list[Any]], Any]) -> DataLoader[Any, Any]:
        if name not in self._loaders:
            self._loaders[name] = DataLoader(load_fn=_batch_of(load))
        return self._loaders[name]

    def part_loader(self, part: str, limit: int = 0) -> DataLoader[str, Any]:
        """The loader of one part of the 360 view (a `ViewParts` field; `limit` for the
        interactions and transactions)."""
        asked: dict[str, Any] = {part: limit or True}
        wanted = ViewParts(**asked)
        service = self.state.service  # not `self`: see _batch_of

        async def load(ids: list[str]) -> dict[str, Any]:
            return (await service.aparts(ids, wanted))[part]

        return self.loader(_part_key(part, limit), load)

    def read_ahead(self, part: str, limit: int, values: dict[str, Any]) -> None:
        """Parts of customers' views read ahead ({customer id: value}), for `part`."""
        key = _part_key(part, limit)
        for customer_id, value in values.items():
            self._read_ahead[key, customer_id] = value

    def part(self, part: str, customer_id: str, build: Callable[[Any], T], limit: int = 0) -> T:
        """`build` of a customer's part: at once when it was read ahead (a 360 view, a
        page), else awaited from its loader. A field answered at once costs graphql-core
        no task and Strawberry no coroutine (async fields were ~10% of a view's API CPU)."""
        found = self._read_ahead.get((_part_key(part, limit), customer_id), _NOT_READ)
        if found is not _NOT_READ:
            return build(found)
        loading = self.part_loader(part, limit).load(customer_id)

        async def later() -> T:
            return build(await loading)

        # graphql-core awaits what a resolver returns when it is awaitable.
        return cast(T, later())

    def mask(self, values: Row, customer_id: str | None = None) -> Row:
        if self.principal.sees_pii:
            if customer_id:
                self.pii_reads.add(customer_id)
            return dict(values)
        return mask_fields(values, self.principal)


# -- types ------------------------------------------------------------------------------------
@strawberry.enum
class CustomerKind(Enum):
    PERSON = "person"
    BUSINESS = "business"


@strawberry.enum(
    description="Where a customer stands, checked in this order: LEAD never bought; LAPSED "
    "no purchase or interaction for a year; AT_RISK churn risk 0.5 or more; NEW every "
    "purchase within 90 days; else ACTIVE. Days count back from the latest activity in the data."
)
class CustomerStage(Enum):
    LEAD = "lead"
    NEW = "new"
    ACTIVE = "active"
    AT_RISK = "at_risk"
    LAPSED = "lapsed"


@strawberry.enum(
    description="Kind and value band: the value model's expected spend over the next year, "
    "HIGH from JMD 20,000, MID from JMD 10,000, else LOW; UNSCORED where the models have not run."
)
class CustomerSegment(Enum):
    PERSON_HIGH = "person_high"
    PERSON_MID = "person_mid"
    PERSON_LOW = "person_low"
    PERSON_UNSCORED = "person_unscored"
    BUSINESS_HIGH = "business_high"
    BUSINESS_MID = "business_mid"
    BUSINESS_LOW = "business_low"
    BUSINESS_UNSCORED = "business_unscored"


@strawberry.type
class GoldenField:
    name: str
    value: JSON
    sources: list[str] = strawberry.field(description="Sources holding this value.")
    records: list[str] = strawberry.field(description="Records holding this value.")


@strawberry.type
class Address:
    key: str
    line1: str | None
    line2: str | None
    city: str | None
    parish: str | None
    postal_zone: str | None
    country: str | None


@strawberry.type
class SourceRecord:
    key: str
    source: str
    source_id: str
    kind: str
    name: str | None
    ingested_at: float = strawberry.field(description="Epoch milliseconds.")
    confidence: float | None = strawberry.field(description="Of its link to the customer.")
    rule: str | None
    emails: list[str]
    phones: list[str]
    addresses: list[Address]
    handles: list[str]
    websites: list[str]
    fields: JSON = strawberry.field(description="The record's cleaned fields, as ingested.")


@strawberry.type
class Interaction:
    key: str
    source: str | None
    type: str | None
    occurred_at: str | None
    rep: str | None
    subject: str | None
    notes: str | None
    outcome: str | None

    @staticmethod
    def of(row: Row) -> Interaction:
        return Interaction(
            key=row["key"], source=row.get("source"), type=row.get("type"),
            occurred_at=row.get("occurred_at"), rep=row.get("rep"), subject=row.get("subject"),
            notes=row.get("notes"), outcome=row.get("outcome"),
        )  # fmt: skip


@strawberry.type
class InteractionList:
    items: list[Interaction]
    total: int


@strawberry.type
class Transaction:
    key: str
    source: str | None
    type: str | None
    date: str | None
    amount: float | None
    currency: str | None
    balance: float | None
    description: str | None


@strawberry.type
class TransactionList:
    items: list[Transaction]
    total: int


@strawberry.type
class Decision:
    id: str
    action: str
    actor: str
    at: float
    reason: str
    undone_by: str | None
    customers: list[str]
    records: list[str]


@strawberry.type
class CustomerRef:
    id: str
    name: str | None
    kind: str | None


@strawberry.type(description="A link the link-prediction model expects between two customers.")
class PredictedLink:
    other: CustomerRef | None = strawberry.field(
        description="Null when the other customer is outside the caller's accounts (hidden)."
    )
    hidden: bool
    kind: str
    probability: float
    model: str | None
    at: float | None = strawberry.field(description="When it was predicted (epoch ms).")
    features: JSON = strawberry.field(
        description="The structural features behind it (common neighbours, Adamic-Adar, "
        "resource allocation, Jaccard, preferential attachment, distance, 3-paths)."
    )
    via: list[str] = strawberry.field(description="Customers in common (empty when hidden).")


@strawberry.type
class Relationship:
    type: str
    direction: str = strawberry.field(description="out: this customer -> other; in: other -> this.")
    other: CustomerRef
    strength: float | None
    evidence: JSON | None


@strawberry.type
class Alert:
    id: str
    rule_id: str | None
    rule_name: str | None
    customer_id: str | None
    rep: str | None
    status: str
    message: str | None
    at: float
    event_id: str | None
    event_kind: str | None

    @staticmethod
    def of(row: Row) -> Alert:
        return Alert(
            id=row["id"], rule_id=row.get("rule_id"), rule_name=row.get("rule_name"),
            customer_id=row.get("customer_id"), rep=row.get("rep"), status=row.get("status", "open"),
            message=row.get("message"), at=float(row.get("at") or 0), event_id=row.get("event_id"),
            event_kind=row.get("event_kind"),
        )  # fmt: skip


SCORE_FIELDS = ("influence", "community", "betweenness", "churn_risk", "lead_score",
                "lifetime_value", "churn_factors", "lead_factors", "value_factors",
                "scores_model", "scores_at", "scores_basis")  # fmt: skip


@strawberry.type(description="What the relationship and score models say of a customer.")
class Scores:
    influence: float | None
    community: int | None
    betweenness: float | None = strawberry.field(
        description="How much this customer brokers between others on the warm-intro graph "
        "(the top broker is 1.0)."
    )
    churn_risk: float | None
    lead_score: float | None
    lifetime_value: float | None = strawberry.field(
        description="Expected spend over the next year, JMD."
    )
    churn_factors: list[str] | None = strawberry.field(
        description='The top factors behind churn_risk, as "feature=value (+change)".'
    )
    lead_factors: list[str] | None
    value_factors: list[str] | None
    scores_model: str | None = strawberry.field(description="The score models' registry version.")
    scores_at: float | None = strawberry.field(
        description="When the scores were written (epoch ms)."
    )
    scores_basis: str | None = strawberry.field(
        description="model, or insufficient_history (base rates for a customer with no dated activity)."
    )


PII = ("email", "phone", "dob", "address", "emails", "phones", "addresses")


@strawberry.type
class Customer:
    """The 360 view of one customer: golden fields and everything behind them."""

    id: strawberry.ID
    kind: str
    status: str
    merged_into: str | None
    name: str | None
    given_name: str | None
    family_name: str | None
    email: str | None
    phone: str | None
    dob: str | None
    address: str | None
    parish: str | None
    city: str | None
    company: str | None
    owner: str | None
    emails: list[str]
    phones: list[str]
    completeness: float
    record_count: int
    sources: list[str]
    created_at: float
    updated_at: float
    asked_id: strawberry.Private[str]
    golden: strawberry.Private[Row]

    @staticmethod
    def of(row: Row, ctx: Context, asked_id: str | None = None) -> Customer:
        shown = ctx.mask({k: row.get(k) for k in PII}, row["id"])
        return Customer(
            id=strawberry.ID(row["id"]), kind=row.get("kind", "person"),
            status=row.get("status", "active"), merged_into=row.get("merged_into"),
            name=row.get("name"), given_name=row.get("given_name"),
            family_name=row.get("family_name"), email=shown.get("email"),
            phone=shown.get("phone"), dob=shown.get("dob"), address=shown.get("address"),
            parish=row.get("parish"), city=row.get("city"), company=row.get("company_key"),
            owner=row.get("owner"), emails=shown.get("emails") or [],
            phones=shown.get("phones") or [], completeness=float(row.get("completeness") or 0),
            record_count=int(row.get("record_count") or 0), sources=row.get("sources") or [],
            created_at=float(row.get("created_at") or 0),
            updated_at=float(row.get("updated_at") or 0), asked_id=asked_id or row["id"],
            golden=row,
        )  # fmt: skip

    @strawberry.field(description="The id asked for, when it was merged into this one.")
    def requested_id(self) -> strawberry.ID:
        return strawberry.ID(self.asked_id)

    @strawberry.field(
        description="Every golden field with the sources and records behind its value."
    )
    def fields(self, info: Info[Context, None]) -> list[GoldenField]:
        ctx = info.context
        return ctx.part("records", str(self.id), lambda records: self._fields(records, ctx))

    def _fields(self, records: list[Row], ctx: Context) -> list[GoldenField]:
        shown = ctx.mask(self.golden, str(self.id))
        out = []
        for name, value in sorted(shown.items()):
            if name in ("id", "search_text") or name.endswith("_at") or isinstance(value, list):
                continue
            raw = self.golden.get(name)
            holders = [r for r in records if _holds(r, name, raw)]
            out.append(
                GoldenField(
                    name=name,
                    value=value,
                    sources=sorted({r["record"]["source"] for r in holders}),
                    records=[r["record"]["key"] for r in holders],
                )
            )
        return out

    @strawberry.field(description="The source records behind this customer, with lineage.")
    def records(self, info: Info[Context, None]) -> list[SourceRecord]:
        ctx = info.context
        return ctx.part("records", str(self.id), lambda rows: self._records(rows, ctx))

    def _records(self, rows: list[Row], ctx: Context) -> list[SourceRecord]:
        out = []
        for row in rows:
            record = ctx.mask(row["record"], str(self.id))
            idents = ctx.mask(
                {"emails": row["emails"], "phones": row["phones"], "addresses": row["addresses"]},
                str(self.id),
            )
            out.append(
                SourceRecord(
                    key=record["key"],
                    source=record["source"],
                    source_id=record["source_id"],
                    kind=record["kind"],
                    name=record.get("name"),
                    ingested_at=float(record.get("ingested_at") or 0),
                    confidence=row.get("confidence"),
                    rule=row.get("rule"),
                    emails=idents["emails"],
                    phones=idents["phones"],
                    addresses=[_address(a) for a in idents["addresses"]],
                    handles=row["handles"],
                    websites=row["websites"],
                    fields=cast(JSON, {k: v for k, v in record.items() if not k.startswith("_")}),
                )
            )
        return out

    @strawberry.field
    def interactions(self, info: Info[Context, None], first: int = VIEW_ITEMS) -> InteractionList:
        ctx = info.context
        return ctx.part("interactions", str(self.id), _interactions, ctx.page_size(first))

    @strawberry.field
    def transactions(self, info: Info[Context, None], first: int = VIEW_ITEMS) -> TransactionList:
        ctx = info.context
        return ctx.part("transactions", str(self.id), _transactions, ctx.page_size(first))

    @strawberry.field
    async def decisions(self, info: Info[Context, None], first: int = 20) -> list[Decision]:
        ctx = info.context
        ctx.require(Permission.READ_DECISIONS)
        limit = ctx.page_size(first)
        service = ctx.state.service  # not `ctx` in the loader: see _batch_of
        found = await ctx.loader(
            f"decisions:{limit}", lambda ids: service.decisions(ids, limit)
        ).load(str(self.id))
        return [_decision(d) for d in found]

    @strawberry.field(description="Open and acknowledged alerts about this customer.")
    def alerts(self, info: Info[Context, None]) -> list[Alert]:
        ctx = info.context
        ctx.require(Permission.READ_ALERTS)
        return ctx.part("alerts", str(self.id), lambda found: [Alert.of(a) for a in found])

    @strawberry.field(description="Businesses this person's records say they work at.")
    def employers(self, info: Info[Context, None]) -> list[CustomerRef]:
        return info.context.part("employers", str(self.id), _refs)

    @strawberry.field(description="People whose records say they work at this business.")
    def staff(self, info: Info[Context, None]) -> list[CustomerRef]:
        return info.context.part("staff", str(self.id), _refs)

    @strawberry.field(description="Customer-to-customer relationships, both directions.")
    def relationships(self, info: Info[Context, None]) -> list[Relationship]:
        ctx = info.context

        def build(found: Row) -> list[Relationship]:
            return [_relationship(r, "out", ctx) for r in found["outgoing"]] + [
                _relationship(r, "in", ctx) for r in found["incoming"]
            ]

        return ctx.part("relationships", str(self.id), build)

    @strawberry.field(description="Customers this one referred.")
    def referrals_out(self, info: Info[Context, None]) -> list[CustomerRef]:
        return info.context.part(
            "relationships", str(self.id), lambda found: _referrals(found["outgoing"])
        )

    @strawberry.field(description="Customers who referred this one.")
    def referrals_in(self, info: Info[Context, None]) -> list[CustomerRef]:
        return info.context.part(
            "relationships", str(self.id), lambda found: _referrals(found["incoming"])
        )

    @strawberry.field(description="Model scores, where the models have run.")
    def scores(self) -> Scores:
        return Scores(**{name: self.golden.get(name) for name in SCORE_FIELDS})

    @strawberry.field(description="Where the customer stands (see CustomerStage).")
    async def stage(self, info: Info[Context, None]) -> CustomerStage:
        return CustomerStage((await self._stages(info))["stage"])

    @strawberry.field(description="Kind and value band (see CustomerSegment).")
    async def segment(self, info: Info[Context, None]) -> CustomerSegment:
        return CustomerSegment((await self._stages(info))["segment"])

    @strawberry.field(
        description="Links the model predicts, most probable first; one to a customer "
        "outside the caller's accounts is shown hidden (no id, name or customers in common)."
    )
    async def predicted_links(
        self, info: Info[Context, None], first: int = 10
    ) -> list[PredictedLink]:
        ctx = info.context
        visibility = ctx.visibility()
        limit = ctx.page_size(first)
        service = ctx.state.service
        found = await ctx.loader(
            f"predicted_links:{limit}", lambda ids: service.predicted_links(ids, limit)
        ).load(str(self.id))
        return [_predicted_link(p, visibility) for p in found]

    async def _stages(self, info: Info[Context, None]) -> Row:
        ctx = info.context
        found: Row = await ctx.loader("stages", ctx.state.service.stages).load(str(self.id))
        return found


def _interactions(found: Row) -> InteractionList:
    return InteractionList(items=[Interaction.of(i) for i in found["items"]], total=found["total"])


def _transactions(found: Row) -> TransactionList:
    return TransactionList(
        items=[
            Transaction(
                key=t["key"],
                source=t.get("source"),
                type=t.get("type"),
                date=t.get("date"),
                amount=t.get("amount"),
                currency=t.get("currency"),
                balance=t.get("balance"),
                description=t.get("description") or ", ".join(t.get("items") or []) or None,
            )
            for t in found["items"]
        ],
        total=found["total"],
    )


def _refs(found: list[Row]) -> list[CustomerRef]:
    return [_ref(c) for c in found]


def _referrals(found: list[Row]) -> list[CustomerRef]:
    return [_ref(r["other"]) for r in found if r["type"] == "REFERRED"]


def _holds(row: Row, name: str, value: Any) -> bool:
    record = row["record"]
    if name in ("email", "phone"):
        return value in row[name + "s"]
    if name == "address":
        return any(a.get("key") == value for a in row["addresses"])
    return value is not None and record.get(name) == value


def _address(a: Row | str) -> Address:
    if isinstance(a, str):  # masked
        return Address(key=a, line1=None, line2=None, city=None, parish=None,
                       postal_zone=None, country=None)  # fmt: skip
    return Address(
        key=a.get("key", ""), line1=a.get("line1"), line2=a.get("line2"), city=a.get("city"),
        parish=a.get("parish"), postal_zone=a.get("postal_zone"), country=a.get("country"),
    )  # fmt: skip


def _ref(row: Row) -> CustomerRef:
    return CustomerRef(id=row["id"], name=row.get("name"), kind=row.get("kind"))


def _predicted_link(row: Row, visibility: Visibility) -> PredictedLink:
    other = row["other"]
    shown = visibility.allows(other)
    return PredictedLink(
        other=_ref(other) if shown else None, hidden=not shown, kind=row["kind"],
        probability=float(row["probability"]), model=row.get("model"), at=row.get("at"),
        features=cast(JSON, {k: v for k, v in row["features"].items() if v is not None}),
        via=list(row.get("via") or []) if shown else [],
    )  # fmt: skip


# Evidence items are "kind:value"; these kinds carry personal data.
_PII_EVIDENCE = {"phone": "phone", "email": "email", "address": "address"}


def _relationship(row: Row, direction: str, ctx: Context) -> Relationship:
    evidence = row.get("evidence")
    if isinstance(evidence, list) and not ctx.principal.sees_pii:
        evidence = [_mask_evidence(item) for item in evidence]
    return Relationship(
        type=row["type"], direction=direction, other=_ref(row["other"]),
        strength=row.get("strength"), evidence=cast(JSON, evidence),
    )  # fmt: skip


def _mask_evidence(item: Any) -> Any:
    kind, _, value = str(item).partition(":")
    field = _PII_EVIDENCE.get(kind)
    return f"{kind}:{mask_value(field, value)}" if field and value else item


# The comparisons of a match explanation whose compared values are personal data, and the
# field whose masking they take (a user name is an email's user part or a handle).
_PII_COMPARISONS = {"email": "email", "phone": "phone", "address": "address", "dob": "dob",
                    "username": "email", "handle": "email"}  # fmt: skip


def _mask_explanation(explanation: Any, ctx: Context) -> Any:
    """A match explanation with the compared personal values masked without the pii scope
    (the values are what the steward weighs; the levels and weights stay)."""
    if ctx.principal.sees_pii:
        return explanation
    if isinstance(explanation, str):  # stored as JSON text, and handed on as such
        return json.dumps(_mask_explanation(json.loads(explanation), ctx))
    if not isinstance(explanation, dict):
        return explanation
    contributions = []
    for c in explanation.get("contributions", []):
        field = _PII_COMPARISONS.get(str(c.get("comparison")))
        if field:
            c = {**c, **{side: mask_value(field, c[side]) for side in ("value_a", "value_b")
                         if c.get(side) not in (None, "-")}}  # fmt: skip
        contributions.append(c)
    return {**explanation, "contributions": contributions}


def _decision(d: Row) -> Decision:
    return Decision(
        id=d["id"], action=d["action"], actor=d["actor"], at=float(d["at"]), reason=d["reason"],
        undone_by=d.get("undone_by"), customers=d.get("customers") or [],
        records=d.get("records") or [],
    )  # fmt: skip


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class CustomerEdge:
    cursor: str
    node: Customer


@strawberry.type
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    where: strawberry.Private[CustomerFilter]
    visibility: strawberry.Private[Visibility]

    @strawberry.field(description="Counted in the store from the index, cached for seconds.")
    async def total_count(self, info: Info[Context, None]) -> int:
        return await info.context.state.count_customers(self.where, self.visibility)


@strawberry.type
class SearchHit:
    score: float
    customer: Customer


@strawberry.type
class PathStep:
    kind: str = strawberry.field(description="Customer, Record, Email, Phone, Address, Website")
    id: str
    label: str | None
    via: str | None = strawberry.field(description="The relationship leading to this step.")


@strawberry.type
class Path:
    length: int
    steps: list[PathStep]


@strawberry.type
class ReviewItem:
    a: str
    b: str
    a_name: str | None = strawberry.field(description="Record a's name (names are not masked).")
    b_name: str | None
    a_customers: list[str] = strawberry.field(description="The customer record a resolves to.")
    b_customers: list[str]
    status: str
    score: float
    explanation: JSON


@strawberry.type
class ResolveResult:
    """What a steward's action changed."""

    summary: JSON


@strawberry.input
class CustomerFilterInput:
    kind: CustomerKind | None = None
    parish: str | None = None
    owner: str | None = None
    stage: CustomerStage | None = None
    segment: CustomerSegment | None = None

    def where(self) -> CustomerFilter:
        return CustomerFilter(
            kind=self.kind.value if self.kind else None, parish=self.parish, owner=self.owner,
            stage=self.stage.value if self.stage else None,
            segment=self.segment.value if self.segment else None,
        )  # fmt: skip


@strawberry.enum
class Verdict(Enum):
    ACCEPT = "accepted"
    REJECT = "rejected"
    UNSURE = "unsure"


@strawberry.enum
class AlertStatus(Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


@strawberry.input
class InteractionInput:
    customer_id: strawberry.ID
    type: str
    occurred_at: str
    subject: str | None = None
    notes: str | None = None
    outcome: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="The same key twice records the interaction once."
    )


@strawberry.input(description="Corrections a person makes; fields left out keep their value.")
class CustomerEdit:
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = strawberry.field(default=None, description="A business's name.")
    email: str | None = None
    phone: str | None = None
    street_address: str | None = None
    city: str | None = None
    parish: str | None = None
    date_of_birth: str | None = None
    company: str | None = None
    website: str | None = None
    owner: str | None = None


@strawberry.type
class AlertConnection:
    items: list[Alert]
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class AlertRule:
    id: str
    name: str
    event_kind: str
    field: str | None
    op: str
    value: JSON | None
    rep: str | None
    enabled: bool


@strawberry.input
class AlertRuleInput:
    name: str
    event_kind: str
    field: str | None = None
    op: str = "eq"
    value: JSON | None = None
    rep: str | None = None


@strawberry.input
class AlertRulePatch:
    name: str | None = None
    field: str | None = None
    op: str | None = None
    value: JSON | None = None
    rep: str | None = None
    enabled: bool | None = None


@strawberry.type
class Webhook:
    id: str
    url: str
    kinds: list[str]
    active: bool
    secret: str | None = strawberry.field(
        default=None, description="Shown once, when the webhook is registered."
    )


@strawberry.type
class WebhookDelivery:
    event_id: str
    kind: str | None
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: float | None


@strawberry.type
class CustomerChange:
    event_id: str
    customer_id: str
    change: str | None
    coalesced: int
    at: float
    data: JSON


@strawberry.type
class AlertEvent:
    event_id: str
    alert: Alert


def _rule(row: Row) -> AlertRule:
    value = row.get("value")
    if value is None and row.get("value_json"):
        value = json.loads(row["value_json"])
    return AlertRule(
        id=row["id"], name=row["name"], event_kind=row["event_kind"], field=row.get("field"),
        op=row["op"], value=value, rep=row.get("rep"), enabled=bool(row.get("enabled", True)),
    )  # fmt: skip


def _webhook(row: Row) -> Webhook:
    return Webhook(
        id=row["id"], url=row["url"], kinds=list(row.get("kinds") or []),
        active=bool(row.get("active", True)), secret=row.get("secret_once"),
    )  # fmt: skip


# The parts of the 360 view (`ViewParts`) that Customer fields (GraphQL names) read.
_PART_OF_FIELD = {
    "records": "records", "fields": "records", "employers": "employers", "staff": "staff",
    "relationships": "relationships", "referralsOut": "relationships",
    "referralsIn": "relationships",
    "interactions": "interactions", "transactions": "transactions", "alerts": "alerts",
}  # fmt: skip


def _fields(
    raw: GraphQLResolveInfo[Any], selection_set: SelectionSetNode | None
) -> Iterator[FieldNode]:
    """The fields of a selection, through its fragments."""
    for node in selection_set.selections if selection_set else ():
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, FragmentSpreadNode):
            yield from _fields(raw, raw.fragments[node.name.value].selection_set)
        elif isinstance(node, InlineFragmentNode):
            yield from _fields(raw, node.selection_set)


def _wanted_parts(info: Info[Context, None], path: tuple[str, ...] = ()) -> ViewParts:
    """The parts of the 360 view that the fields asked of the customers at `path` below
    this field will read, so one store round trip reads them all. Alerts only for callers
    who may read them; a list asked twice with different `first`s is read once here and
    once by its loader."""
    ctx = info.context
    # The query's own syntax tree: `info.selected_fields` builds a copy of the whole
    # selection with its arguments, a twelfth of a 360 view's API time.
    raw = info._raw_info
    selections = [node.selection_set for node in raw.field_nodes]
    for name in path:
        selections = [
            f.selection_set for s in selections for f in _fields(raw, s) if f.name.value == name
        ]
    asked: dict[str, Any] = {}
    for node in (f for s in selections for f in _fields(raw, s)):
        part = _PART_OF_FIELD.get(node.name.value)
        if part in ("interactions", "transactions"):
            first = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
            limit = (
                VIEW_ITEMS if first is None
                else info.variable_values.get(first.name.value) if isinstance(first, VariableNode)
                else int(first.value) if isinstance(first, IntValueNode) else None
            )  # fmt: skip
            if isinstance(limit, int) and 1 <= limit <= ctx.state.settings.max_page_size:
                asked.setdefault(part, limit)
        elif part == "alerts":
            if ctx.principal.can(Permission.READ_ALERTS):
                asked[part] = True
        elif part is not None:
            asked[part] = True
    return ViewParts(**asked)


_NOT_READ = object()


def _part_key(part: str, limit: int) -> str:
    return f"{part}:{limit}" if limit else part


def _prime_parts(ctx: Context, wanted: ViewParts, parts: dict[str, dict[str, Any]]) -> None:
    """Keep parts read ahead ({part: {customer id: value}}) for the fields that ask."""
    for part, values in parts.items():
        limit = getattr(wanted, part)
        ctx.read_ahead(part, 0 if limit is True else limit, values)


async def _visible_customer(ctx: Context, customer_id: str) -> Row:
    """The customer an id answers with, refusing ids the caller may not see."""
    visibility = ctx.visibility()
    row: Row | None = await ctx.loader("customers", ctx.state.service.aby_ids).load(customer_id)
    return _visible(row, visibility, customer_id)


def _visible(row: Row | None, visibility: Visibility, customer_id: str) -> Row:
    """`row`, the customer `customer_id` answers with, if there is one the caller may see."""
    if row is None:
        raise api_error("NOT_FOUND", f"no customer {customer_id}")
    if not visibility.allows(row):
        raise api_error("FORBIDDEN", f"customer {customer_id} is outside your accounts")
    return row


# -- root types ---------------------------------------------------------------------------
@strawberry.type
class Query:
    @strawberry.field(description="The 360 view; a merged id answers with the survivor.")
    async def customer(self, info: Info[Context, None], id: strawberry.ID) -> Customer:
        ctx = info.context
        wanted = _wanted_parts(info)
        if not wanted.names():
            row = await _visible_customer(ctx, str(id))
            return Customer.of(row, ctx, str(id))
        visibility = ctx.visibility()
        found = await acall(ctx.state.service.aview(str(id), wanted))
        customer, parts = found if found else (None, {})
        row = _visible(customer, visibility, str(id))
        _prime_parts(ctx, wanted, {part: {row["id"]: value} for part, value in parts.items()})
        return Customer.of(row, ctx, str(id))

    @strawberry.field(description="Customers in id order; Relay cursors (keyset, any depth).")
    async def customers(
        self, info: Info[Context, None], filter: CustomerFilterInput | None = None,
        first: int = 20, after: str | None = None,
    ) -> CustomerConnection:  # fmt: skip
        ctx = info.context
        visibility = ctx.visibility()
        size = ctx.page_size(first)
        where = filter.where() if filter else CustomerFilter()
        rows, more = await call(ctx.state.service.page, where, visibility, size, after)
        wanted = _wanted_parts(info, ("edges", "node"))
        if rows and wanted.names():  # the page's parts in one round trip, not one a part
            ids = [r["id"] for r in rows]
            _prime_parts(ctx, wanted, await acall(ctx.state.service.aparts(ids, wanted)))
        edges = [CustomerEdge(cursor=r.pop("_cursor"), node=Customer.of(r, ctx)) for r in rows]
        return CustomerConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
            where=where, visibility=visibility,
        )  # fmt: skip

    @strawberry.field(
        description="Name, email, phone or company; tolerates a typo per word. The filter "
        "narrows the hits inside the store's search, before the best `first` are taken."
    )
    async def search(
        self, info: Info[Context, None], text: str, first: int = 10,
        filter: CustomerFilterInput | None = None,
    ) -> list[SearchHit]:  # fmt: skip
        ctx = info.context
        visibility = ctx.visibility()
        size = ctx.page_size(first)
        if len(text) > 200:
            raise api_error("BAD_INPUT", f"text: {len(text)} characters, at most 200")
        where = filter.where() if filter else CustomerFilter()
        hits = await call(ctx.state.service.search, text, where, visibility, size)
        return [SearchHit(score=score, customer=Customer.of(node, ctx)) for node, score in hits]

    @strawberry.field(description="How one customer is connected to another (shortest path).")
    async def path(
        self,
        info: Info[Context, None],
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to: strawberry.ID,
    ) -> Path | None:
        ctx = info.context
        visibility = ctx.visibility()
        source = await _visible_customer(ctx, str(from_))
        target = await _visible_customer(ctx, str(to))
        found = await call(ctx.state.service.path, source["id"], target["id"])
        if found is None:
            return None
        steps = []
        for i, node in enumerate(found["nodes"]):
            label = (node.get("labels") or ["?"])[0]
            node_id = (
                node.get("id")
                or node.get("key")
                or node.get("value")
                or node.get("e164")
                or node.get("domain")
            )
            pii_field = {"Email": "email", "Phone": "phone", "Address": "address"}.get(label)
            shown = ctx.mask({pii_field: node_id})[pii_field] if pii_field else node_id
            # Names along the way only where the caller may see that customer.
            named = (label == "Customer" and visibility.allows(node)) or (
                label == "Record" and visibility.all
            )
            steps.append(
                PathStep(
                    kind=label,
                    id=str(shown),
                    label=node.get("name") if named else None,
                    via=found["rels"][i - 1] if i else None,
                )
            )
        return Path(length=len(found["rels"]), steps=steps)

    @strawberry.field(
        description="Pairs waiting for a steward, most likely matches first: probable "
        "links to confirm, then possible ones."
    )
    async def review_queue(
        self, info: Info[Context, None], first: int = 20, offset: int = 0
    ) -> list[ReviewItem]:
        ctx = info.context
        ctx.require(Permission.REVIEW)
        size = ctx.page_size(first)
        items = await call(ctx.state.stewardship().queue, offset, size)
        return [
            ReviewItem(
                a=i["a"],
                b=i["b"],
                a_name=i.get("a_name"),
                b_name=i.get("b_name"),
                a_customers=i.get("a_customers") or [],
                b_customers=i.get("b_customers") or [],
                status=i["status"],
                score=float(i["score"]),
                explanation=_mask_explanation(i.get("explanation"), ctx),
            )
            for i in items
        ]

    @strawberry.field
    async def decisions(
        self, info: Info[Context, None], customer_id: strawberry.ID, first: int = 50
    ) -> list[Decision]:
        ctx = info.context
        ctx.require(Permission.READ_DECISIONS)
        row = await _visible_customer(ctx, str(customer_id))
        size = ctx.page_size(first)
        found = await call(ctx.state.service.decisions, [row["id"]], size)
        return [_decision(d) for d in found[row["id"]]]

    @strawberry.field(description="Alerts, newest first; reps see their own.")
    async def alerts(
        self, info: Info[Context, None], status: AlertStatus | None = None,
        rep_id: str | None = None, first: int = 50, after: str | None = None,
    ) -> AlertConnection:  # fmt: skip
        ctx = info.context
        principal = ctx.require(Permission.READ_ALERTS)
        if not principal.sees_all_customers:
            if rep_id not in (None, principal.sub):
                raise api_error("FORBIDDEN", "reps see their own alerts only")
            rep_id = principal.sub
        size = ctx.page_size(first)
        page = await call(
            ctx.state.alerts().list, status=status.value if status else None, rep=rep_id,
            first=size, after=after,
        )  # fmt: skip
        return AlertConnection(
            items=[Alert.of(a) for a in page["items"]], end_cursor=page.get("end_cursor"),
            has_next_page=bool(page.get("has_more")),
        )  # fmt: skip

    @strawberry.field
    async def alert_rules(self, info: Info[Context, None]) -> list[AlertRule]:
        ctx = info.context
        ctx.require(Permission.MANAGE_ALERT_RULES)
        return [_rule(r) for r in await call(ctx.state.alert_rules().list)]

    @strawberry.field
    async def webhooks(self, info: Info[Context, None]) -> list[Webhook]:
        ctx = info.context
        ctx.require(Permission.MANAGE_WEBHOOKS)
        return [_webhook(w) for w in await ctx.state.webhooks.list()]

    @strawberry.field
    async def webhook_deliveries(
        self, info: Info[Context, None], webhook_id: strawberry.ID, first: int = 50
    ) -> list[WebhookDelivery]:
        ctx = info.context
        ctx.require(Permission.MANAGE_WEBHOOKS)
        size = ctx.page_size(first)
        rows = await ctx.state.webhooks.deliveries(str(webhook_id), size)
        return [
            WebhookDelivery(
                event_id=d["event_id"],
                kind=d.get("kind"),
                status=d["status"],
                attempts=int(d.get("attempts") or 0),
                last_status_code=d.get("last_status_code"),
                last_error=d.get("last_error"),
                next_attempt_at=d.get("next_attempt_at"),
            )
            for d in rows
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="A steward's verdict on a pair of records.")
    async def review_decision(
        self, info: Info[Context, None], a: strawberry.ID, b: strawberry.ID, verdict: Verdict,
        reason: str,
    ) -> ResolveResult:  # fmt: skip
        return await _steward(
            info, "review", lambda s, actor: s.verdict(str(a), str(b), verdict.value, actor, reason)
        )

    @strawberry.mutation
    async def merge_customers(
        self, info: Info[Context, None], first: strawberry.ID, second: strawberry.ID, reason: str
    ) -> ResolveResult:
        return await _steward(
            info, "merge", lambda s, actor: s.merge(str(first), str(second), actor, reason)
        )

    @strawberry.mutation(description="Move the given records out of the customer into a new one.")
    async def split_customer(
        self, info: Info[Context, None], id: strawberry.ID, record_keys: list[strawberry.ID],
        reason: str,
    ) -> ResolveResult:  # fmt: skip
        keys = [str(k) for k in record_keys]
        return await _steward(info, "split", lambda s, actor: s.split(str(id), keys, actor, reason))

    @strawberry.mutation
    async def undo_decision(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> ResolveResult:
        return await _steward(info, "undo", lambda s, actor: s.undo(str(id), actor, reason))

    @strawberry.mutation
    async def record_interaction(
        self, info: Info[Context, None], input: InteractionInput
    ) -> Interaction:
        ctx = info.context
        principal = ctx.require(Permission.RECORD_INTERACTIONS)
        row = await _visible_customer(ctx, str(input.customer_id))
        for name, value, limit in (("type", input.type, 40), ("subject", input.subject, 200),
                                   ("notes", input.notes, 10_000), ("outcome", input.outcome, 80)):  # fmt: skip
            if value is not None and len(value) > limit:
                raise api_error(
                    "BAD_INPUT", f"input.{name}: {len(value)} characters, at most {limit}"
                )
        fields = {"type": input.type, "occurred_at": input.occurred_at, "subject": input.subject,
                  "notes": input.notes, "outcome": input.outcome, "rep": principal.sub}  # fmt: skip
        written = await call(
            ctx.state.writes.record_interaction, row["id"], fields, input.idempotency_key
        )
        event = {"customer_id": row["id"], **fields, "key": written["key"]}
        await ctx.state.publish(INTERACTION_RECORDED, row["id"], event)
        change = {"customer_id": row["id"], "change": "interaction", "fields": ["interactions"]}
        await ctx.state.publish(CUSTOMER_CHANGED, row["id"], {**change, "key": written["key"]})
        return Interaction.of(written)

    @strawberry.mutation(
        description="Correct a customer: kept as the customer's api record, which wins survivorship."
    )
    async def update_customer(
        self, info: Info[Context, None], id: strawberry.ID, edit: CustomerEdit
    ) -> Customer:
        ctx = info.context
        principal = ctx.require(Permission.EDIT_CUSTOMERS)
        row = await _visible_customer(ctx, str(id))
        changes = {k: str(v) for k, v in strawberry.asdict(edit).items() if v is not None}
        for name, value in changes.items():
            if len(value) > 300:
                raise api_error("BAD_INPUT", f"edit.{name}: {len(value)} characters, at most 300")
        await call(ctx.state.writes.edit_customer, row, changes, principal.sub)
        await ctx.state.audit.record(principal, "customer.edit", row["id"], fields=sorted(changes))
        fresh = (await acall(ctx.state.service.aby_ids([row["id"]]))).get(row["id"])
        if fresh is None:
            raise api_error("NOT_FOUND", f"customer {row['id']} is gone")
        await ctx.state.publish(
            CUSTOMER_CHANGED, fresh["id"],
            {"customer_id": fresh["id"], "change": "edited", "fields": sorted(changes)},
        )  # fmt: skip
        return Customer.of(fresh, ctx, str(id))

    @strawberry.mutation
    async def create_alert_rule(
        self, info: Info[Context, None], input: AlertRuleInput
    ) -> AlertRule:
        ctx = info.context
        principal = ctx.require(Permission.MANAGE_ALERT_RULES)
        rule = await call(
            ctx.state.alert_rules().create, name=input.name, event_kind=input.event_kind,
            field=input.field, op=input.op, value=input.value, rep=input.rep, actor=principal.sub,
        )  # fmt: skip
        return _rule(rule)

    @strawberry.mutation
    async def update_alert_rule(
        self, info: Info[Context, None], id: strawberry.ID, patch: AlertRulePatch
    ) -> AlertRule:
        ctx = info.context
        principal = ctx.require(Permission.MANAGE_ALERT_RULES)
        changes = {k: v for k, v in strawberry.asdict(patch).items() if v is not None}
        rule = await call(ctx.state.alert_rules().update, str(id), principal.sub, **changes)
        return _rule(rule)

    @strawberry.mutation
    async def disable_alert_rule(self, info: Info[Context, None], id: strawberry.ID) -> AlertRule:
        ctx = info.context
        principal = ctx.require(Permission.MANAGE_ALERT_RULES)
        return _rule(await call(ctx.state.alert_rules().disable, str(id), principal.sub))

    @strawberry.mutation
    async def set_alert_status(
        self, info: Info[Context, None], id: strawberry.ID, status: AlertStatus
    ) -> Alert:
        ctx = info.context
        principal = ctx.require(Permission.READ_ALERTS)
        alerts = ctx.state.alerts()
        current = await call(alerts.get, str(id))
        if current is None:
            raise api_error("NOT_FOUND", f"no alert {id}")
        if not principal.sees_all_customers and current.get("rep") != principal.sub:
            raise api_error("FORBIDDEN", f"alert {id} is not yours")
        return Alert.of(await call(alerts.set_status, str(id), status.value, principal.sub))

    @strawberry.mutation(description="The secret is shown once, in this answer.")
    async def register_webhook(
        self, info: Info[Context, None], url: str, kinds: list[str], secret: str | None = None
    ) -> Webhook:
        ctx = info.context
        principal = ctx.require(Permission.MANAGE_WEBHOOKS)
        try:
            row = await ctx.state.webhooks.register(url, kinds, principal.sub, secret)
        except ValueError as exc:
            raise api_error("BAD_INPUT", str(exc)) from None
        return _webhook({**row, "secret_once": row.get("secret")})

    @strawberry.mutation
    async def update_webhook(
        self, info: Info[Context, None], id: strawberry.ID, active: bool | None = None,
        kinds: list[str] | None = None, url: str | None = None,
    ) -> Webhook:  # fmt: skip
        ctx = info.context
        principal = ctx.require(Permission.MANAGE_WEBHOOKS)
        try:
            row = await ctx.state.webhooks.update(
                str(id), active=active, kinds=kinds, url=url, actor=principal.sub
            )
        except LookupError:
            raise api_error("NOT_FOUND", f"no webhook {id}") from None
        except ValueError as exc:
            raise api_error("BAD_INPUT", str(exc)) from None
        return _webhook(row)


async def _steward(
    info: Info[Context, None], action: str, run: Callable[[Any, str], Any]
) -> ResolveResult:
    from resolvers.review import StewardError

    ctx = info.context
    principal = ctx.require(Permission.REVIEW)
    try:
        report = await asyncio.to_thread(run, ctx.state.stewardship(), principal.sub)
    except StewardError as exc:
        raise api_error("BAD_INPUT", str(exc)) from None
    summary: Row = report.as_dict() if report is not None else {}
    decisions = list(getattr(report, "decisions", []) or [])
    summary["decisions"] = decisions
    changed = await call(ctx.state.customers_of_decisions, decisions)
    summary["changed_customers"] = changed
    await ctx.state.audit.record(
        principal, f"decision.{action}", ",".join(decisions) or action, detail=summary
    )
    for customer_id in changed:
        await ctx.state.publish(
            CUSTOMER_CHANGED, customer_id, {"customer_id": customer_id, "change": action}
        )
    return ResolveResult(summary=cast(JSON, summary))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Changes to one customer; `after` resumes from an event id."
    )
    async def customer_changed(
        self, info: Info[Context, None], id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[CustomerChange, None]:
        ctx = info.context
        ctx.require(Permission.SUBSCRIBE)
        row = await _visible_customer(ctx, str(id))
        async for event in _events(ctx, CUSTOMER_CHANGED, row["id"], after):
            yield CustomerChange(
                event_id=event.id, customer_id=event.key, change=event.data.get("change"),
                coalesced=event.coalesced, at=float(event.at), data=cast(JSON, event.data),
            )  # fmt: skip

    @strawberry.subscription(description="Alerts raised for a rep (reps: their own).")
    async def alerts(
        self, info: Info[Context, None], rep_id: str, after: str | None = None
    ) -> AsyncGenerator[AlertEvent, None]:
        ctx = info.context
        principal = ctx.require(Permission.SUBSCRIBE)
        if not principal.sees_all_customers and rep_id != principal.sub:
            raise api_error("FORBIDDEN", "reps subscribe to their own alerts only")
        async for event in _events(ctx, ALERT_RAISED, rep_id, after):
            yield AlertEvent(event_id=event.id, alert=Alert.of(event.data))


def _events(ctx: Context, kind: str, key: str, after: str | None) -> AsyncIterator[Event]:
    try:
        return ctx.state.hub.subscribe(kind, key, after=after)
    except ValueError as exc:
        raise api_error("BAD_INPUT", f"after: {exc}") from None


class _ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's, without a reference cycle: graphql-core 3.3 keeps two of the
    executor's own bound methods in `async_helpers` (handed to resolvers), so every
    execution, with the request's context and all it read, waited for the cycle
    collector instead of being freed when the request ended. Weak methods here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        gather = weakref.WeakMethod(self.gather_async_work)
        track = weakref.WeakMethod(self.track_async_work)
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=lambda values: _alive(gather)(values), track=lambda values: _alive(track)(values)
        )
        self.plain_leaves = _PLAIN_LEAVES.setdefault(self.schema, {})

    def execute_field(
        self, parent_type: GraphQLObjectType, source: Any, field_details_list: Any, path: Any,
        position_context: Any,
    ) -> Any:  # fmt: skip
        """A plain leaf (an attribute of the source object, a scalar or enum or a list of
        them) is read and serialized here, without the resolve info, resolver call and
        value completion graphql-core spends on every field: most of a 360 view's
        fields. Anything else, or anything unusual (a null where one is not allowed, a
        value that does not serialize), takes the general path, which reports it."""
        name = field_details_list[0].node.name.value
        leaves = self.plain_leaves
        try:
            leaf = leaves[parent_type.name, name]
        except KeyError:
            leaf = leaves[parent_type.name, name] = _plain_leaf(self.schema, parent_type, name)
        if leaf is not None:
            attribute, leaf_type, listed, nullable = leaf
            try:
                value = getattr(source, attribute)
                if value is None:
                    if nullable:
                        return None
                elif not listed:
                    return self.complete_leaf_value(leaf_type, value)
                elif type(value) is list and None not in value:
                    return [self.complete_leaf_value(leaf_type, v) for v in value]
            except Exception:  # the general path raises it, where it belongs
                pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


# (type, field) -> (attribute, leaf type, a list of leaves?, may it be null?), or None
# when it is not a plain leaf; one table per schema, gone with it (tests build several).
_PlainLeaf = tuple[str, GraphQLLeafType, bool, bool]
_PLAIN_LEAVES: weakref.WeakKeyDictionary[
    GraphQLSchema, dict[tuple[str, str], _PlainLeaf | None]
] = weakref.WeakKeyDictionary()


def _plain_leaf(schema: GraphQLSchema, parent: GraphQLObjectType, name: str) -> _PlainLeaf | None:
    field = schema.get_field(parent, name)
    if field is None:
        return None
    found: _PlainLeaf | None = None
    definition = (field.extensions or {}).get("strawberry-definition")
    # Strawberry marks the resolver of a field without resolver or extensions: with the
    # default resolver it reads `getattr(source, python_name)` and nothing else.
    if (
        definition is not None
        and getattr(field.resolve, "_is_default", False)
        and definition.default_resolver is getattr
    ):
        nullable = not is_non_null_type(field.type)
        inner: Any = get_nullable_type(field.type)
        listed = is_list_type(inner)
        if listed:  # a list of non-null leaves only
            item = inner.of_type
            inner = item.of_type if is_non_null_type(item) else None
        if inner is not None and is_leaf_type(inner):
            found = (definition.python_name, inner, listed, nullable)
    return found


def _alive(method: weakref.WeakMethod[Callable[..., T]]) -> Callable[..., T]:
    found = method()
    if found is None:  # only a resolver's work outliving its execution could see this
        raise RuntimeError("the GraphQL execution this work belongs to has ended")
    return found


def build_schema(extensions: list[Any]) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions,
        execution_context_class=_ExecutionContext,
    )  # fmt: skip

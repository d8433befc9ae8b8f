"""What the API reads and writes, over the `GraphStore` port; no GraphQL and no HTTP here.

Every read takes a batch of customer ids, so the GraphQL layer's DataLoaders turn a page
of customers into one store round trip per kind of field, whatever the page size. The
360 view's reads (`aview`, `aparts`, `aby_ids`) are asyncio methods over the store's
`arun`; the rest are synchronous, and the GraphQL layer calls them in worker threads.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from graph.customer_activity import activity_day, extend_activity
from graph.store import GraphStore, Row
from ingest.profiles.api_edits import EDITABLE
from ingest.quarantine import Quarantine

# How far a merged id is followed to the customer that survives (merges chain rarely).
MAX_MERGE_HOPS = 8
# Keyset windows over internal ids stop doubling here; the id bounds are re-read after.
MAX_WINDOW = 1 << 22
BOUNDS_TTL_S = 30.0

# A customer's stage, for a sales rep, from what the graph holds (views/customer_stages):
# lead (never bought), lapsed (no purchase or interaction for LAPSED_DAYS), at_risk (the
# churn model's risk at least AT_RISK), new (every purchase within NEW_DAYS), else active;
# checked in that order. Days count back from the data's today: its latest dated activity,
# as the score models count (a graph whose data stops in the past is not all "lapsed").
STAGES = ("lead", "new", "active", "at_risk", "lapsed")
NEW_DAYS = 90
LAPSED_DAYS = 365
AT_RISK = 0.5
# Segment: kind and value band, the band from the value model's lifetime_value (expected
# spend over the next year, JMD): high from HIGH_VALUE, mid from MID_VALUE, else low;
# unscored where the models have not run. On the scored 20,000-people demo about 7% are
# high and 7% mid; a customer without dated activity gets the base rate (~6,200): low.
HIGH_VALUE = 20_000.0
MID_VALUE = 10_000.0
SEGMENTS = tuple(
    f"{k}_{b}" for k in ("person", "business") for b in ("high", "mid", "low", "unscored")
)
TODAY_TTL_S = 600.0

# What `search` runs inside the store's full-text statement, between the index call and
# the limit (GraphStore.search_nodes): the customers_page filter over the hit `node`, so a
# filtered search fills its page from every hit, not from a few it over-fetched. It is
# the one piece of the API's Cypher kept here: it continues a call each adapter writes.
SEARCH_FILTER = """
WITH node, score WHERE node.status = 'active' AND ($kind IS NULL OR node.kind = $kind)
  AND ($parish IS NULL OR node.parish = $parish) AND ($owner IS NULL OR node.owner = $owner)
  AND ($all OR node.owner = $me OR node.parish IN $parishes)
  AND ($segment_kind IS NULL OR (node.kind = $segment_kind AND CASE $segment_band
       WHEN 'unscored' THEN node.lifetime_value IS NULL
       WHEN 'high' THEN node.lifetime_value >= $high_value
       WHEN 'mid' THEN node.lifetime_value >= $mid_value AND node.lifetime_value < $high_value
       ELSE node.lifetime_value < $mid_value END))
  AND ($stage IS NULL OR CASE WHEN node.first_bought IS NULL THEN 'lead'
       WHEN node.last_active < $active_since THEN 'lapsed' WHEN node.churn_risk >= $at_risk THEN 'at_risk'
       WHEN node.first_bought >= $new_since THEN 'new' ELSE 'active' END = $stage)
WITH node, score
"""


class NotFound(LookupError):
    pass


class BadInput(ValueError):
    pass


@dataclass(frozen=True)
class Visibility:
    """Which customers a caller may see: all, or a rep's own accounts and parishes."""

    all: bool
    me: str = ""
    parishes: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        return {"all": self.all, "me": self.me, "parishes": list(self.parishes)}

    def allows(self, customer: Row) -> bool:
        return (
            self.all
            or (bool(self.me) and customer.get("owner") == self.me)
            or customer.get("parish") in self.parishes
        )


@dataclass(frozen=True)
class CustomerFilter:
    kind: str | None = None
    parish: str | None = None
    owner: str | None = None
    stage: str | None = None
    segment: str | None = None

    def __post_init__(self) -> None:
        if self.stage is not None and self.stage not in STAGES:
            raise BadInput(f"filter.stage: {self.stage!r} is not one of {', '.join(STAGES)}")
        if self.segment is not None and self.segment not in SEGMENTS:
            raise BadInput(f"filter.segment: {self.segment!r} is not one of {', '.join(SEGMENTS)}")

    def params(self) -> dict[str, Any]:
        # The segment as its kind and band: the statements compare numbers, not a string
        # built for every customer (a count at 100k people: 112-157 -> 35-83 ms).
        kind, band = self.segment.split("_") if self.segment else (None, None)
        return {"kind": self.kind, "parish": self.parish, "owner": self.owner,
                "stage": self.stage, "segment_kind": kind, "segment_band": band}  # fmt: skip


def encode_cursor(node: int) -> str:
    """A page cursor: the internal node id of the last customer of the page."""
    return base64.urlsafe_b64encode(f"c:{node}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return -1
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if text.startswith("c:"):
            return int(text[2:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadInput(f"after: {cursor!r} is not a cursor this API gave out")


@dataclass(frozen=True)
class ViewParts:
    """Which parts of a 360 view to read (views/customer_parts): the interactions and
    transactions as how many of the newest, 0 for none."""

    records: bool = False
    employers: bool = False
    staff: bool = False
    relationships: bool = False
    interactions: int = 0
    transactions: int = 0
    alerts: bool = False

    def names(self) -> list[str]:
        return [part for part in _EMPTY_PART if getattr(self, part)]

    def params(self) -> dict[str, Any]:
        return {part: getattr(self, part) for part in _EMPTY_PART}


# A part's value for a customer without any: the shapes `CustomerService.parts` gives.
_EMPTY_PART: dict[str, Any] = {
    "records": [],
    "employers": [],
    "staff": [],
    "relationships": {"outgoing": [], "incoming": []},
    "interactions": {"items": [], "total": 0},
    "transactions": {"items": [], "total": 0},
    "alerts": [],
}


def _merge_hops(ids: Sequence[str]) -> Generator[list[str], list[Row], dict[str, Row]]:
    """Following merged ids to the customers that survive, without I/O: yields the ids
    to read next, is sent their rows (one per customer, under "customer"), and returns
    {asked id: row}. The sync and the asyncio readers share it."""
    found: dict[str, Row] = {}
    wanted = {i: i for i in ids}  # asked id -> id to look up now
    for _ in range(MAX_MERGE_HOPS):
        if not wanted:
            break
        rows = yield sorted(set(wanted.values()))
        by_id = {row["customer"]["id"]: row for row in rows}
        following: dict[str, str] = {}
        for asked, current in wanted.items():
            row = by_id.get(current)
            if row is None:
                continue
            customer = row["customer"]
            if customer.get("status") == "merged" and customer.get("merged_into"):
                following[asked] = customer["merged_into"]
            else:
                found[asked] = row
        wanted = following
    return found


def _parts_by_customer(
    ids: Sequence[str], wanted: ViewParts, rows: list[Row]
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {
        part: {i: _EMPTY_PART[part] for i in ids} for part in wanted.names()
    }
    for row in rows:
        for part, value in _part_values(row, wanted).items():
            out[part][row["id"]] = value
    return out


def _part_values(row: Row, wanted: ViewParts) -> dict[str, Any]:
    """The wanted parts of one customer's row of views/customer_parts."""
    out: dict[str, Any] = {}
    if wanted.records:
        out["records"] = [_with_identifiers(record) for record in row["records"]]
    for part in ("employers", "staff"):
        if getattr(wanted, part):
            out[part] = row[part]
    if wanted.relationships:
        out["relationships"] = {"outgoing": row["outgoing"], "incoming": row["incoming"]}
    for part in ("interactions", "transactions"):
        if getattr(wanted, part):
            out[part] = {"items": row[part], "total": row[part + "_total"]}
    if wanted.alerts:
        out["alerts"] = row["alerts"]
    return out


_IDENTIFIER_LISTS = ("emails", "phones", "addresses", "handles", "websites")


def _with_identifiers(record: Row) -> Row:
    """A record of the view with its [kind, value] identifiers (one traversal in the
    statement) as a list per kind."""
    found: dict[str, list[Any]] = {kind: [] for kind in _IDENTIFIER_LISTS}
    for kind, value in record.pop("identifiers"):
        found[kind].append(value)
    record.update(found)
    return record


class CustomerService:
    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._id_bounds: tuple[float, int, int] | None = None
        self._today: tuple[float, date] | None = None

    # -- customers ---------------------------------------------------------------------
    def by_ids(self, ids: Sequence[str]) -> dict[str, Row]:
        """Customers by id; a merged id answers with the customer it was merged into."""
        rows = self._following_merges(ids, "views/customers_by_ids", {})
        return {asked: row["customer"] for asked, row in rows.items()}

    async def aby_ids(self, ids: Sequence[str]) -> dict[str, Row]:
        rows = await self._afollowing_merges(ids, "views/customers_by_ids", {})
        return {asked: row["customer"] for asked, row in rows.items()}

    def _following_merges(
        self, ids: Sequence[str], statement: str, params: dict[str, Any]
    ) -> dict[str, Row]:
        """The rows of `statement` (one per customer, under "customer") for `ids`, by
        asked id; a merged id is followed to the customer that survives, one more round
        trip per hop."""
        hops = _merge_hops(ids)
        try:
            wanted = next(hops)
            while True:
                wanted = hops.send(self.store.run(statement, {"ids": wanted, **params}))
        except StopIteration as done:
            found: dict[str, Row] = done.value
            return found

    async def _afollowing_merges(
        self, ids: Sequence[str], statement: str, params: dict[str, Any]
    ) -> dict[str, Row]:
        hops = _merge_hops(ids)
        try:
            wanted = next(hops)
            while True:
                wanted = hops.send(await self.store.arun(statement, {"ids": wanted, **params}))
        except StopIteration as done:
            found: dict[str, Row] = done.value
            return found

    def page(
        self, where: CustomerFilter, visibility: Visibility, first: int, after: str | None
    ) -> tuple[list[Row], bool]:
        """One page after the cursor (each customer with its cursor under "_cursor"),
        and whether there is a next one. Keyset over internal ids in windows that double
        until the page is full, so a page costs about its own span of ids at any depth."""
        start = decode_cursor(after)
        low, high = self._bounds()
        start = max(start, low - 1)
        window = max(4 * first, 64)
        found: list[Row] = []
        refreshed = False
        while len(found) <= first:
            if start >= high:
                if refreshed:
                    break
                low, high = self._bounds(refresh=True)  # customers made since the last look
                refreshed = True
                if start >= high:
                    break
            rows = self.store.run(
                "views/customers_page",
                {**where.params(), **visibility.params(), **self.stage_params(), "after": start,
                 "upto": start + window, "first": first + 1 - len(found)},
            )  # fmt: skip
            found += [{**row["customer"], "_cursor": encode_cursor(row["n"])} for row in rows]
            start += window
            window = min(window * 2, MAX_WINDOW)
        return found[:first], len(found) > first

    def _bounds(self, refresh: bool = False) -> tuple[int, int]:
        now = time.monotonic()
        if refresh or self._id_bounds is None or now - self._id_bounds[0] > BOUNDS_TTL_S:
            rows = self.store.run("views/customer_id_bounds")
            lo, hi = (
                (rows[0]["lo"], rows[0]["hi"]) if rows and rows[0]["hi"] is not None else (0, -1)
            )
            self._id_bounds = (now, int(lo), int(hi))
        return self._id_bounds[1], self._id_bounds[2]

    def today(self) -> date:
        """The data's today: the latest dated activity in the graph (the clock's today in
        a graph without any), re-read every few minutes."""
        now = time.monotonic()
        if self._today is None or now - self._today[0] > TODAY_TTL_S:
            days = [r["day"] for r in self.store.run("views/activity_latest_day") if r["day"]]
            day = date.fromisoformat(str(max(days))[:10]) if days else date.today()
            self._today = (now, day)
        return self._today[1]

    def stage_params(self) -> dict[str, Any]:
        """The thresholds the stage and segment expressions read (see STAGES, SEGMENTS)."""
        today = self.today()
        return {
            "new_since": (today - timedelta(days=NEW_DAYS)).isoformat(),
            "active_since": (today - timedelta(days=LAPSED_DAYS)).isoformat(),
            "at_risk": AT_RISK, "high_value": HIGH_VALUE, "mid_value": MID_VALUE,
        }  # fmt: skip

    def count(self, where: CustomerFilter, visibility: Visibility) -> int:
        """A scan of the matching customers; the stage reads the dates stored on each."""
        params = {**where.params(), **visibility.params(), **self.stage_params()}
        rows = self.store.run("views/customers_count", params)
        return int(rows[0]["total"]) if rows else 0

    def search(
        self, text: str, where: CustomerFilter, visibility: Visibility, first: int
    ) -> list[tuple[Row, float]]:
        """Full-text hits, best first, filtered inside the store's search statement."""
        params = {**where.params(), **visibility.params(), **self.stage_params()}
        return self.store.search_nodes("Customer", text, first, SEARCH_FILTER, params)

    def stages(self, ids: Sequence[str]) -> dict[str, Row]:
        rows = self.store.run("views/customer_stages", {"ids": list(ids), **self.stage_params()})
        return {row["id"]: {"stage": row["stage"], "segment": row["segment"]} for row in rows}

    def path(self, source: str, target: str) -> Row | None:
        rows = self.store.run("views/path", {"from": source, "to": target})
        return rows[0] if rows else None

    # -- the parts of a 360 view, batched by customer id -------------------------------
    def parts(self, ids: Sequence[str], wanted: ViewParts) -> dict[str, dict[str, Any]]:
        """The `wanted` parts of the 360 view of each of `ids`, in one store round trip:
        {part: {customer id: value}}, every wanted part with a value for every id."""
        rows = self.store.run("views/customer_parts", {"ids": list(ids), **wanted.params()})
        return _parts_by_customer(ids, wanted, rows)

    async def aparts(self, ids: Sequence[str], wanted: ViewParts) -> dict[str, dict[str, Any]]:
        rows = await self.store.arun("views/customer_parts", {"ids": list(ids), **wanted.params()})
        return _parts_by_customer(ids, wanted, rows)

    async def aview(self, customer_id: str, wanted: ViewParts) -> tuple[Row, dict[str, Any]] | None:
        """A customer (a merged id followed to the survivor, as `by_ids` does) and the
        `wanted` parts of its 360 view: one store round trip, one more per merge."""
        rows = await self._afollowing_merges([customer_id], "views/customer_parts", wanted.params())
        row = rows.get(customer_id)
        return None if row is None else (row["customer"], _part_values(row, wanted))

    def records(self, ids: Sequence[str]) -> dict[str, list[Row]]:
        return self.parts(ids, ViewParts(records=True))["records"]

    def decisions(self, ids: Sequence[str], limit: int) -> dict[str, list[Row]]:
        return self._lists("views/customer_decisions", ids, limit=limit)

    def predicted_links(self, ids: Sequence[str], limit: int) -> dict[str, list[Row]]:
        return self._lists("views/customer_predicted_links", ids, limit=limit)

    def _lists(self, name: str, ids: Sequence[str], **params: Any) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {i: [] for i in ids}
        for row in self.store.run(name, {"ids": list(ids), **params}):
            out[row["id"]] = row["items"]
        return out


# Where an editable field is kept on a stored api record, to carry earlier corrections forward.
_STORED = {"first_name": "given_name", "last_name": "family_name", "date_of_birth": "dob",
           "street_address": "line1"}  # fmt: skip


class GraphWrites:
    """Customer-facing writes (interactions, corrections) in one place: they go to the
    graph until the system-of-record port exists, and then through it instead."""

    def __init__(self, store: GraphStore, quarantine: Quarantine) -> None:
        self.store = store
        self.quarantine = quarantine

    def edit_customer(self, customer: Row, changes: Row, actor: str) -> str:
        """A person's correction becomes the customer's "api:<id>" record (normalised by
        the api-edits profile, quarantined with a reason if it cannot be), pinned to the
        customer by the editor, and the golden record is rebuilt: corrections win
        survivorship. Returns the record key."""
        from ingest.pipeline import ingest_rows
        from ingest.profiles import get_profile
        from ingest.readers import RawRow
        from resolvers.identity import IdentityResolver
        from resolvers.review import StewardError, Stewardship

        key = f"api:{customer['id']}"
        row = {**self._earlier_edit(key), **{k: v for k, v in changes.items() if v is not None}}
        row.update(customer_id=customer["id"], kind=customer.get("kind", "person"), edited_by=actor)
        profile = get_profile("api-edits")
        try:  # refuse with the reason before anything is written
            profile.to_items(profile.parse(row))
        except ValueError as exc:
            raise BadInput(f"customer {customer['id']}: {exc}") from None
        summary = ingest_rows([RawRow(line=1, data=row)], profile.name, self.store,
                              self.quarantine, origin=f"api:{actor}", workers=0)  # fmt: skip
        if summary.quarantined:  # the same checks passed above: only a store problem lands here
            raise BadInput(
                f"customer {customer['id']}: the edit was quarantined ({dict(summary.reasons)})"
            )
        try:
            Stewardship(IdentityResolver(self.store)).attach(
                key, customer["id"], actor, "customer edited"
            )
        except StewardError as exc:
            raise NotFound(str(exc)) from None
        return key

    def _earlier_edit(self, key: str) -> Row:
        rows = self.store.run("views/record", {"key": key})
        if not rows:
            return {}
        record = rows[0]["record"]
        earlier: Row = {}
        for field in EDITABLE:
            value = record.get(_STORED.get(field, field))
            if value:
                earlier[field] = value
        if rows[0]["emails"]:
            earlier["email"] = rows[0]["emails"][0]
        if rows[0]["phones"]:
            earlier["phone"] = rows[0]["phones"][0]
        if rows[0]["addresses"]:  # an address key starts with its street line
            earlier["street_address"] = rows[0]["addresses"][0].split("|")[0]
        return earlier

    def record_interaction(self, customer_id: str, fields: Row, key: str | None = None) -> Row:
        """Attach an interaction to the customer's first record (so it follows the
        record through later merges and splits). `key` makes a retry idempotent."""
        interaction_key = f"api:{key or uuid.uuid4().hex}"
        props = {k: v for k, v in fields.items() if v is not None}
        rows = self.store.run(
            "edits/record_interaction",
            {"customer": customer_id, "key": interaction_key,
             "props": {**props, "source": "api", "source_id": interaction_key[4:],
                       "kind": "interaction"}},
        )  # fmt: skip
        if not rows:
            raise NotFound(f"customer {customer_id} has no records to attach an interaction to")
        interaction = dict(rows[0]["interaction"])
        # its customer's last activity may move, and with it the stage
        extend_activity(self.store, [(rows[0]["record"], activity_day(interaction), False)])
        return interaction

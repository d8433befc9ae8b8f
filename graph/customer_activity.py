"""A Customer's first purchase and last activity, stored on it.

A customer's lifecycle stage (api/service.py) needs the date of its first purchase and of
its latest purchase or interaction, over every record it has. Read live, a count of the
customers in one stage groups the whole population's activity (two seconds at 100,000
people); stored on the Customer (`first_bought`, `last_active`, and `activity_at`, when
they were read) it is a scan of customers. So whoever writes activity or changes which
records a customer has calls `refresh_activity` for what it touched (or, for activity
new to the graph, the cheaper `extend_activity`), and a graph made before the dates were
stored is filled once by `fill_activity`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

from graph.store import GraphStore

log = logging.getLogger(__name__)

BATCH = 5_000  # customers or records a statement
# The Customer properties kept here (a rebuild of the golden record keeps them too)
STORED = ("first_bought", "last_active", "activity_at")


def refresh_activity(
    store: GraphStore, *, ids: Iterable[str] = (), keys: Iterable[str] = ()
) -> int:
    """Read again the dates of the Customers `ids` and of the Customers of the Records
    `keys`; returns how many Customers were written (a Customer counted once a batch)."""
    ids, keys = sorted(set(ids)), sorted(set(keys))
    at = int(time.time() * 1000)
    written = 0
    for start in range(0, max(len(ids), len(keys)), BATCH):
        params = {"ids": ids[start : start + BATCH], "keys": keys[start : start + BATCH]}
        rows = store.run("resolve/refresh_activity", {**params, "at": at})
        written += int(rows[0]["refreshed"]) if rows else 0
    return written


def activity_day(props: Mapping[str, Any]) -> str | None:
    """The day an activity counts on: its `date`, else the day of its `occurred_at` (as
    resolve/refresh_activity reads it)."""
    day = props.get("date") or str(props.get("occurred_at") or "")[:10]
    return str(day) if day else None


def extend_activity(store: GraphStore, added: Iterable[tuple[str, str | None, bool]]) -> int:
    """Move the dates of the Customers of the records that activity new to the graph hangs
    off, given as (record key, day, is a purchase): earlier or later only, without reading
    the activity already there. A changed or moved activity needs `refresh_activity`."""
    rows = [{"key": key, "day": day, "bought": bought} for key, day, bought in added if day]
    written = 0
    for start in range(0, len(rows), BATCH):
        got = store.run("resolve/extend_activity", {"rows": rows[start : start + BATCH]})
        written += int(got[0]["extended"]) if got else 0
    return written


def fill_activity(store: GraphStore) -> int:
    """Store the dates on every active Customer that has none yet (a graph made before
    they were stored); a graph that has them costs one scan of its customers."""
    rows = store.run("resolve/activity_missing")
    if rows:  # seconds on a large graph: say what the wait is for
        log.info("storing customers' activity dates", extra={"customers": len(rows)})
    return refresh_activity(store, ids=[r["id"] for r in rows])

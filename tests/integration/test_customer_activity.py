"""A Customer's first purchase and last activity, stored on it (graph.customer_activity):
right after resolution, after activity is ingested or moved to another record, and on a
graph made before the dates were stored, and a split taking the activity it carries
from the customer it leaves. The CDC and API writers are checked in test_cdc.py and
test_api.py, merge, split and undo in test_identity.py."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graph.customer_activity import fill_activity
from graph.falkordb_store import FalkorDBStore
from ingest.pipeline import ingest_file
from ingest.quarantine import Quarantine
from resolvers.identity import IdentityResolver
from resolvers.review import Stewardship
from tests.conftest import stale_activity_dates

pytestmark = pytest.mark.falkordb

TXN_HEADER = ["txn_id", "record_source", "record_id", "date", "amount", "currency", "channel",
              "description"]  # fmt: skip


def _dates(store: FalkorDBStore, customer: str) -> tuple[str | None, str | None]:
    rows = store.run_cypher(
        "MATCH (c:Customer {id: $id}) RETURN c.first_bought AS first, c.last_active AS last",
        {"id": customer},
    )
    return rows[0]["first"], rows[0]["last"]


def test_resolution_stores_every_customers_dates(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    dates = falkordb_store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) RETURN c.first_bought IS NULL AS lead, count(*) AS n"
    )
    # leads (no purchase) and buyers side by side: one must not take the other's dates
    assert {r["lead"] for r in dates} == {True, False}
    assert stale_activity_dates(falkordb_store) == []


def test_ingested_activity_moves_the_dates_of_the_customers_it_lands_on_and_leaves(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore, quarantine: Quarantine,
    tmp_path: Path,
) -> None:  # fmt: skip
    rows = falkordb_store.run_cypher(
        "MATCH (r:Record {source: 'crm'})-[:RESOLVES_TO]->(c:Customer {status: 'active'}) "
        "WITH c, min(r.source_id) AS id RETURN c.id AS customer, id ORDER BY customer LIMIT 2"
    )
    (a, a_id), (b, b_id) = [(r["customer"], r["id"]) for r in rows]
    a_before, b_before = _dates(falkordb_store, a), _dates(falkordb_store, b)
    path = tmp_path / "transactions.csv"

    def sale_on(record_id: str) -> None:
        with path.open("w", newline="") as f:
            csv.writer(f).writerows([TXN_HEADER, ["POS-LATE-1", "crm", record_id, "2031-05-06",
                                                  "1200.00", "JMD", "cash", "Late sale"]])  # fmt: skip
        summary = ingest_file(path, "transactions", falkordb_store, quarantine)
        assert summary.quarantined == 0

    sale_on(a_id)
    assert _dates(falkordb_store, a)[1] == "2031-05-06"
    assert stale_activity_dates(falkordb_store) == []
    sale_on(b_id)  # the same sale, now on another customer's record
    assert _dates(falkordb_store, a) == a_before
    assert _dates(falkordb_store, b)[1] == "2031-05-06" and b_before[1] != "2031-05-06"
    assert stale_activity_dates(falkordb_store) == []


def test_a_graph_made_before_the_dates_were_stored_is_filled_once(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    falkordb_store.run_cypher(
        "MATCH (c:Customer) REMOVE c.first_bought, c.last_active, c.activity_at", read_only=False
    )
    active = falkordb_store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) RETURN count(c) AS n"
    )[0]["n"]
    assert len(stale_activity_dates(falkordb_store)) == active > 0
    assert fill_activity(falkordb_store) == active
    assert stale_activity_dates(falkordb_store) == []
    assert fill_activity(falkordb_store) == 0


def test_a_split_takes_its_records_dates_from_the_customer_they_leave(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    rows = falkordb_store.run_cypher(
        "MATCH (c:Customer {status: 'active'})<-[:RESOLVES_TO]-(r:Record) "
        "RETURN c.id AS customer, r.key AS key, "
        "[(r)-[:HAS_TRANSACTION|HAS_INTERACTION]->(a) | coalesce(a.date, a.occurred_at)] AS days"
    )
    latest: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        day = max((d[:10] for d in r["days"] if d), default="")
        latest.setdefault(r["customer"], []).append((day, r["key"]))
    # a customer whose latest activity is on one record only: split that record off
    ranked = {c: sorted(days) for c, days in sorted(latest.items()) if len(days) > 1}
    customer, key = next(
        (c, days[-1][1]) for c, days in ranked.items() if days[-1][0] > days[-2][0] > ""
    )
    before = _dates(falkordb_store, customer)
    Stewardship(resolved).split(customer, [key], "ann", "two people")
    assert _dates(falkordb_store, customer)[1] < before[1]
    assert stale_activity_dates(falkordb_store) == []

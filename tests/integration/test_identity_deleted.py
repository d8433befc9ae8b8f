"""Identity resolution ignores Records deleted in the system of record.

Change data capture marks a deleted row's Record `deleted: true` (evidence is never
removed) and re-resolves it: the record leaves its Customer, the golden record is rebuilt
from the rest, a Customer left with none is retired (its id stays), and an undeleted
record resolves again as a new arrival. A full run and an incremental one agree.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from graph.falkordb_store import FalkorDBStore
from resolvers.identity import IdentityResolver, now_ms
from tests.conftest import stale_activity_dates

pytestmark = pytest.mark.falkordb


def _assignments(store: FalkorDBStore) -> dict[str, str]:
    return IdentityResolver(store).assignments()


def _customer(store: FalkorDBStore, customer_id: str) -> dict[str, Any]:
    rows = store.run("resolve/customer", {"id": customer_id})
    assert rows, customer_id
    return rows[0]


def _decisions(store: FalkorDBStore) -> int:
    return int(store.run_cypher("MATCH (d:Decision) RETURN count(d) AS n")[0]["n"])


def _delete(store: FalkorDBStore, key: str) -> None:
    """As change data capture marks a deleted row (the catalogued statement it uses)."""
    assert store.run("cdc/delete_records", {"rows": [{"key": key, "at": now_ms()}]})


def _undelete(store: FalkorDBStore, key: str) -> None:
    """As change data capture writes the row inserted again: not deleted, ingested now."""
    store.run_cypher(
        "MATCH (r:Record {key: $k}) SET r.deleted = false, r.ingested_at = $at",
        {"k": key, "at": now_ms() + 1},
        read_only=False,
    )


def _members(store: FalkorDBStore) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for key, customer in sorted(_assignments(store).items()):
        out[customer].append(key)
    return out


def _linked_across(store: FalkorDBStore) -> set[str]:
    """Customers with a record linked to a record of another Customer."""
    return {
        row["c"]
        for row in store.run_cypher(
            "MATCH (c:Customer)<-[:RESOLVES_TO]-(:Record)-[:SAME_AS]-(o:Record)"
            "-[:RESOLVES_TO]->(d:Customer) WHERE c <> d RETURN DISTINCT c.id AS c"
        )
    }


def _pair_customer(store: FalkorDBStore) -> tuple[str, str, str, str]:
    """A person Customer of exactly two records, one of which has an email the other
    lacks, and no link to a record of another Customer (which a deleted record may have
    held apart, and would join now): (customer, that record, the other, the email)."""
    across = _linked_across(store)
    emails: dict[str, set[str]] = defaultdict(set)
    for row in store.run_cypher(
        "MATCH (r:Record)-[:HAS_EMAIL]->(e:Email) RETURN r.key AS k, e.value AS v"
    ):
        emails[row["k"]].add(row["v"])
    kinds = {
        row["k"]: row["kind"]
        for row in store.run_cypher("MATCH (r:Record) RETURN r.key AS k, r.kind AS kind")
    }
    for customer, keys in sorted(_members(store).items()):
        if len(keys) != 2 or customer in across or any(kinds[k] != "person" for k in keys):
            continue
        for gone, kept in (keys, keys[::-1]):
            only = sorted(emails[gone] - emails[kept])
            if only:
                return customer, gone, kept, only[0]
    raise AssertionError("no two-record customer with an email of one record only")


def _singleton(store: FalkorDBStore) -> tuple[str, str]:
    across = _linked_across(store)
    for customer, keys in sorted(_members(store).items()):
        if len(keys) == 1 and customer not in across:
            return customer, keys[0]
    raise AssertionError("no single-record customer")


def _model_pairs_of(store: FalkorDBStore, key: str) -> int:
    rows = store.run_cypher(
        "MATCH (:Record {key: $k})-[s:SAME_AS|MAYBE_SAME_AS]-(:Record) WHERE s.by = 'model' "
        "RETURN count(s) AS n",
        {"k": key},
    )
    return int(rows[0]["n"])


def _evidence_of(store: FalkorDBStore, key: str) -> int:
    rows = store.run_cypher(
        "MATCH (:Record {key: $k})-[e:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE]->() "
        "RETURN count(e) AS n",
        {"k": key},
    )
    return int(rows[0]["n"])


def test_a_deleted_record_leaves_its_customer_and_comes_back_when_undeleted(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    store = falkordb_store
    customer, gone, kept, email = _pair_customer(store)
    before = _assignments(store)
    golden = _customer(store, customer)["customer"]
    assert email in golden["emails"] and golden["record_count"] == 2
    evidence = _evidence_of(store, gone)

    _delete(store, gone)
    assert resolved.pending() == [gone]  # still in its Customer: resolving detaches it
    report = resolved.resolve_records([gone])
    assert report.detached == 1 and report.retired == 0
    after = _assignments(store)
    assert gone not in after
    assert after == {k: c for k, c in before.items() if k != gone}  # nothing else moved
    shown = _customer(store, customer)
    golden = shown["customer"]
    assert golden["status"] == "active" and golden["record_count"] == 1
    assert email not in (golden.get("emails") or [])
    assert email not in (golden.get("search_text") or "")
    assert [r["key"] for r in shown["records"]] == [kept]
    detach = [d for d in shown["decisions"] if d["action"] == "detach"]
    assert len(detach) == 1 and gone in detach[0]["reason"]
    assert "deleted in the system of record" in detach[0]["reason"]
    # The identity layer forgot the model's verdicts on it; the evidence stays.
    assert _model_pairs_of(store, gone) == 0
    assert _evidence_of(store, gone) == evidence
    assert resolved.pending() == []
    # Resolving it again, or a full run, changes nothing: they agree.
    decisions = _decisions(store)
    again = resolved.resolve_records([gone])
    assert again.detached == again.retired == again.customers == 0
    full = resolved.resolve_full()
    assert _assignments(store) == after
    assert full.created == full.merged == full.split == full.attached == 0
    assert full.detached == full.retired == 0
    assert _decisions(store) == decisions
    assert _model_pairs_of(store, gone) == 0  # a full run does not score it either

    # The row is inserted again: a new arrival, which finds its Customer again.
    _undelete(store, gone)
    assert resolved.pending() == [gone]
    back = resolved.resolve_records([gone])
    assert back.attached == 1
    assert _assignments(store) == before
    golden = _customer(store, customer)["customer"]
    assert email in golden["emails"] and golden["record_count"] == 2
    resolved.resolve_full()
    assert _assignments(store) == before


def test_a_customer_whose_only_record_is_deleted_is_retired_and_keeps_its_id(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    store = falkordb_store
    customer, key = _singleton(store)
    before = _assignments(store)

    _delete(store, key)
    report = resolved.resolve_records([key])
    assert report.retired == 1 and report.detached == 1
    assert _assignments(store) == {k: c for k, c in before.items() if k != key}
    shown = _customer(store, customer)
    assert shown["customer"]["id"] == customer
    assert shown["customer"]["status"] == "retired"
    assert shown["customer"]["record_count"] == 0 and shown["records"] == []
    (retire,) = [d for d in shown["decisions"] if d["action"] == "retire"]
    assert retire["reason"].startswith("its records were deleted in the system of record")
    active = store.run_cypher(
        "MATCH (c:Customer {id: $id}) WHERE c.status = 'active' RETURN c.id AS id",
        {"id": customer},
    )
    assert active == []  # gone from every list of active customers
    decisions = _decisions(store)
    full = resolved.resolve_full()
    assert full.retired == full.detached == full.created == 0
    assert _decisions(store) == decisions
    assert _customer(store, customer)["customer"]["status"] == "retired"

    # Inserted again, it is a new arrival: a Customer of its own, the retired one stays.
    _undelete(store, key)
    back = resolved.resolve_records([key])
    assert back.created == 1
    now = _assignments(store)
    assert now[key] != customer
    assert _customer(store, now[key])["customer"]["status"] == "active"
    assert _customer(store, customer)["customer"]["status"] == "retired"
    resolved.resolve_full()
    assert _assignments(store) == now


def test_a_full_run_detaches_and_retires_as_an_incremental_one_does(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    store = falkordb_store
    pair, gone, _kept, email = _pair_customer(store)
    single, alone = _singleton(store)
    before = _assignments(store)
    for key in (gone, alone):
        _delete(store, key)

    report = resolved.resolve_full()
    assert report.detached == 2 and report.retired == 1
    assert report.created == report.merged == report.split == 0
    assert _assignments(store) == {k: c for k, c in before.items() if k not in (gone, alone)}
    golden = _customer(store, pair)["customer"]
    assert golden["status"] == "active" and golden["record_count"] == 1
    assert email not in (golden.get("emails") or [])
    assert any(d["action"] == "detach" for d in _customer(store, pair)["decisions"])
    retired = _customer(store, single)
    assert retired["customer"]["status"] == "retired"
    assert any(d["action"] == "retire" for d in retired["decisions"])
    assert _model_pairs_of(store, gone) == _model_pairs_of(store, alone) == 0
    assert resolved.pending() == []
    # The incremental path, asked afterwards, finds nothing left to do.
    decisions = _decisions(store)
    again = resolved.resolve_records([gone, alone])
    assert again.customers == again.detached == 0
    assert _decisions(store) == decisions


def _partition(assignments: dict[str, str]) -> set[frozenset[str]]:
    members: dict[str, set[str]] = defaultdict(set)
    for key, customer in assignments.items():
        members[customer].add(key)
    return {frozenset(keys) for keys in members.values()}


def test_incremental_and_full_runs_agree_on_many_deletions_and_their_undoing(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    store = falkordb_store
    before = _assignments(store)
    keys = sorted(before)[::25]  # records of every kind and source, linked or not
    for key in keys:
        _delete(store, key)
    report = resolved.resolve_records(keys)
    assert report.detached == len(keys)
    assert stale_activity_dates(store) == []  # a deleted record's activity leaves with it
    after = _assignments(store)
    assert not set(keys) & set(after)
    decisions = _decisions(store)
    full = resolved.resolve_full()
    assert _assignments(store) == after
    assert full.created == full.merged == full.split == full.attached == 0
    assert full.detached == full.retired == 0
    assert _decisions(store) == decisions
    # No golden record counts a deleted record.
    counts = store.run_cypher(
        "MATCH (c:Customer {status: 'active'}) "
        "RETURN c.record_count AS n, size([(r:Record)-[:RESOLVES_TO]->(c) | r]) AS linked"
    )
    assert all(row["n"] == row["linked"] > 0 for row in counts)

    for key in keys:
        _undelete(store, key)
    assert sorted(resolved.pending()) == keys
    resolved.resolve_records(keys)
    assert stale_activity_dates(store) == []
    back = _assignments(store)
    assert set(back) == set(before)
    full = resolved.resolve_full()
    assert _assignments(store) == back
    assert full.created == full.merged == full.split == full.attached == 0
    # Undeleted, the records cluster as they did before (the ids of parts may differ).
    assert _partition(back) == _partition(before)


def test_a_persons_links_through_a_deleted_record_join_nothing(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    """A steward linked a to d and d to b; d is deleted: a and b are not joined through
    it, neither incrementally nor by a full run (whose components in the database still
    follow the steward's links)."""
    store = falkordb_store
    across = _linked_across(store)
    kinds = {
        row["k"]: row["kind"]
        for row in store.run_cypher("MATCH (r:Record) RETURN r.key AS k, r.kind AS kind")
    }
    singles = [
        (customer, keys[0])
        for customer, keys in sorted(_members(store).items())
        if len(keys) == 1 and customer not in across and kinds[keys[0]] == "person"
    ]
    (ca, a), (cd, d), (cb, b) = singles[:3]
    at = now_ms()
    store.run(
        "resolve/set_pairs",
        {
            "rows": [
                {"a": min(x, y), "b": max(x, y), "status": "accepted", "linked": True,
                 "score": 1.0, "weight": 10.0, "by": "ann", "at": at}
                for x, y in ((a, d), (d, b))
            ]
        },
    )  # fmt: skip
    _delete(store, d)
    report = resolved.resolve_records([a, b, d])
    assert report.retired == 1
    after = _assignments(store)
    assert d not in after and after[a] != after[b]
    assert (after[a], after[b]) == (ca, cb)
    assert _customer(store, cd)["customer"]["status"] == "retired"
    decisions = _decisions(store)
    full = resolved.resolve_full()
    assert _assignments(store) == after
    assert full.created == full.merged == full.split == full.attached == 0
    assert _decisions(store) == decisions
    # The person's verdicts stay (the identity layer keeps them for an undelete).
    rows = store.run_cypher(
        "MATCH (:Record {key: $k})-[s:SAME_AS]-(:Record) WHERE s.by = 'ann' RETURN count(s) AS n",
        {"k": d},
    )
    assert rows[0]["n"] == 2

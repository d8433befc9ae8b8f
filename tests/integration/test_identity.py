"""Identity resolution against the real embedded store, on demo data with known truth.

Every test ingests the same small demo data set (300 people) into a fresh graph and
resolves it; scenario records are added as CRM rows through the normal ingest path.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from graph.falkordb_store import FalkorDBStore
from ingest.demo_data import read_truth
from ingest.pipeline import ingest_file
from ingest.quarantine import Quarantine
from resolvers.config import ResolverConfig
from resolvers.evaluation import evaluate
from resolvers.identity import IdentityResolver, NotTrained
from resolvers.review import StewardError, Stewardship
from tests.conftest import stale_activity_dates

pytestmark = pytest.mark.falkordb

CRM_HEADER = ["Contact ID", "First Name", "Last Name", "Email", "Phone", "Company", "City",
              "Parish", "Date of Birth", "Created Date"]  # fmt: skip


def _assignments(store: FalkorDBStore) -> dict[str, str]:
    return IdentityResolver(store).assignments()


def _customer(store: FalkorDBStore, customer_id: str) -> dict[str, Any]:
    rows = store.run("resolve/customer", {"id": customer_id})
    assert rows, customer_id
    return rows[0]


def _add_crm_rows(store: FalkorDBStore, quarantine: Quarantine, folder: Path,
                  rows: list[dict[str, str]]) -> list[str]:  # fmt: skip
    path = folder / "extra_crm.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, CRM_HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in CRM_HEADER})
    summary = ingest_file(path, "crm-contacts", store, quarantine)
    assert summary.quarantined == 0, summary.reasons
    return [f"crm:{row['Contact ID']}" for row in rows]


def test_every_record_resolves_to_one_active_customer_and_matches_the_truth(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore, demo_folder: Path
) -> None:
    records = falkordb_store.run_cypher("MATCH (r:Record) RETURN count(r) AS n")[0]["n"]
    links = falkordb_store.run_cypher(
        "MATCH (r:Record)-[l:RESOLVES_TO]->(c:Customer) RETURN r.key AS key, c.status AS status"
    )
    assert len(links) == records  # exactly one link each
    assert Counter(link["status"] for link in links) == {"active": records}
    quality = evaluate(_assignments(falkordb_store), read_truth(demo_folder / "truth.jsonl"))
    assert quality["pairwise"]["precision"] >= 0.95
    assert quality["pairwise"]["f1"] >= 0.6
    # Every customer was made by a decision that says why.
    orphans = falkordb_store.run_cypher(
        "MATCH (c:Customer) WHERE NOT (c)<-[:ABOUT]-(:Decision) RETURN count(c) AS n"
    )
    assert orphans[0]["n"] == 0


def test_a_full_rerun_keeps_clusters_and_ids(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    before = _assignments(falkordb_store)
    decisions = falkordb_store.run_cypher("MATCH (d:Decision) RETURN count(d) AS n")[0]["n"]
    report = resolved.resolve_full()
    assert _assignments(falkordb_store) == before
    assert report.created == report.merged == report.split == report.attached == 0
    assert falkordb_store.run_cypher("MATCH (d:Decision) RETURN count(d) AS n")[0]["n"] == decisions


def test_a_full_run_reads_the_same_records_whatever_its_read_window(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    whole = resolved.load_records(
        [r["key"] for r in falkordb_store.run_cypher("MATCH (r:Record) RETURN r.key AS key")]
    )
    narrow = IdentityResolver(falkordb_store, ResolverConfig(read_window=7)).load_all()
    assert [r.key for r in narrow] == sorted(r.key for r in whole)
    assert narrow == sorted(whole, key=lambda r: r.key)  # identifiers, links, blocks alike
    followers = [r for r in narrow if any(t.startswith("f:") for t in r.values["employer"] or [])]
    assert followers, "no social profile here follows a business: the test reads no follows"


def test_an_arriving_record_attaches_to_its_customer_without_a_full_run(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore, quarantine: Quarantine,
    tmp_path: Path,
) -> None:  # fmt: skip
    # Take a resolved person with an email and a phone; the CRM sees them again.
    person = falkordb_store.run_cypher(
        "MATCH (r:Record {source: 'qbo', kind: 'person'})-[:HAS_EMAIL]->(e:Email), "
        "(r)-[:HAS_PHONE]->(p:Phone), (r)-[:RESOLVES_TO]->(c:Customer) "
        "WHERE r.given_name IS NOT NULL AND r.family_name IS NOT NULL "
        "RETURN r.given_name AS given, r.family_name AS family, e.value AS email, "
        "p.e164 AS phone, c.id AS customer ORDER BY r.key LIMIT 1"
    )[0]
    before = _assignments(falkordb_store)
    # What other jobs keep on the customer (scores, influence) is not resolution's to drop.
    falkordb_store.run_cypher(
        "MATCH (c:Customer {id: $id}) SET c.churn_risk = 0.42, c.influence = 7.5",
        {"id": person["customer"]},
        read_only=False,
    )
    records_before = _customer(falkordb_store, person["customer"])["customer"]["record_count"]
    keys = _add_crm_rows(
        falkordb_store,
        quarantine,
        tmp_path,
        [
            {
                "Contact ID": "NEW-1",
                "First Name": person["given"],
                "Last Name": person["family"],
                "Email": person["email"],
                "Phone": person["phone"],
                "Created Date": "2024-05-01",
            }
        ],
    )
    assert resolved.pending() == keys
    report = resolved.resolve_records(keys)
    after = _assignments(falkordb_store)
    assert after[keys[0]] == person["customer"]
    assert report.attached == 1 and report.created == 0
    assert {k: v for k, v in after.items() if k not in keys} == before  # nothing else moved
    assert resolved.pending() == []

    def kept() -> tuple[Any, ...]:
        c = falkordb_store.run_cypher(
            "MATCH (c:Customer {id: $id}) RETURN c.churn_risk AS churn, "
            "c.influence AS influence, c.record_count AS records",
            {"id": person["customer"]},
        )[0]
        return c["churn"], c["influence"], c["records"]

    assert kept() == (0.42, 7.5, records_before + 1)  # golden fields rewritten, scores kept
    # A full run afterwards finds the same clusters with the same ids.
    resolved.resolve_full()
    assert _assignments(falkordb_store) == after
    assert kept() == (0.42, 7.5, records_before + 1)


def test_a_business_arriving_after_its_followers_is_evidence_on_them_at_once(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore, quarantine: Quarantine,
    tmp_path: Path,
) -> None:  # fmt: skip
    # A CRM contact working at a company, and an Instagram profile with the name spelled
    # a little differently and another town, which follows the company's account; the
    # account is not in the graph yet. On what they have, the two are linked, not for sure.
    (contact,) = _add_crm_rows(falkordb_store, quarantine, tmp_path, [
        {"Contact ID": "FOL-1", "First Name": "Zadie", "Last Name": "Quarrington",
         "Company": "Kingfisher Reef Tours", "City": "Negril", "Parish": "Westmoreland"},
    ])  # fmt: skip
    profile = "instagram:zeezee876"

    def instagram(name: str, row: dict[str, Any]) -> None:
        path = tmp_path / name
        path.write_text(json.dumps(row) + "\n")
        assert ingest_file(path, "instagram", falkordb_store, quarantine).quarantined == 0

    def status() -> str | None:
        rows = falkordb_store.run("resolve/pairs_among", {"keys": [contact, profile]})
        return next((r["status"] for r in rows if {r["a"], r["b"]} == {contact, profile}), None)

    instagram("profile.jsonl", {"username": "zeezee876", "full_name": "Zadie Quarington",
                                "city_name": "Montego Bay", "follows": ["kingfisherreef"]})  # fmt: skip
    resolved.resolve_records(resolved.pending())
    assert status() == "probable"
    # The company's account arrives. Only it is pending, yet its follower is scored
    # again with the tie it makes, and the model is sure now, as a full run would be.
    instagram("business.jsonl", {"username": "kingfisherreef", "is_business_account": True,
                                 "full_name": "Kingfisher Reef Tours"})  # fmt: skip
    assert resolved.pending() == ["instagram:kingfisherreef"]
    report = resolved.resolve_records(resolved.pending())
    assert status() == "accepted"
    assert report.records == 2
    a, b = resolved.load_records([contact, profile])
    explained = resolved.scorer("person").explain(a.values, b.values)
    assert {c.comparison: c.label for c in explained.contributions}["follows_employer"] == (
        "crossed exact"
    )
    after = _assignments(falkordb_store)
    assert after[profile] == after[contact]
    resolved.resolve_full()
    assert status() == "accepted"
    assert _assignments(falkordb_store) == after


@pytest.mark.parametrize(
    ("company_name", "before"),
    [
        # Named a little differently: on the names alone the two are linked, not for sure.
        ("Kingfisher Reef Adventures", "probable"),
        # Named so differently that the two share no blocking key: only the domain ties
        # them, and it is a value of the company, not a Website node.
        ("Kingfisher Tours", None),
    ],
)
def test_a_contact_bringing_its_employer_a_web_domain_is_evidence_on_the_employer_at_once(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore, quarantine: Quarantine,
    tmp_path: Path, company_name: str, before: str | None,
) -> None:  # fmt: skip
    # A directory listing with a web site, and the company a CRM contact works at.
    listing = tmp_path / "listing.json"
    listing.write_text(json.dumps([{
        "listingId": "KR-9", "businessName": "Kingfisher Reef Tours",
        "website": "https://www.kfreef-tours.com",
        "address": {"city": "Negril", "parish": "Westmoreland"},
    }]))  # fmt: skip
    assert ingest_file(listing, "directory", falkordb_store, quarantine).quarantined == 0
    _add_crm_rows(falkordb_store, quarantine, tmp_path, [
        {"Contact ID": "KR-1", "First Name": "Zadie", "Last Name": "Quarrington",
         "Company": company_name, "City": "Kingston", "Parish": "Kingston"},
    ])  # fmt: skip
    resolved.resolve_records(resolved.pending())
    company = f"crm:org:{company_name.lower()}"

    def status() -> str | None:
        rows = falkordb_store.run("resolve/pairs_among", {"keys": [company, "directory:KR-9"]})
        return rows[0]["status"] if rows else None

    assert status() == before
    # A colleague arrives with a work email at the listing's domain. A business's domains
    # include its staff's work-email domains, so the company has the listing's domain
    # now; it is not pending (its own content did not change), yet it is scored again.
    (colleague,) = _add_crm_rows(falkordb_store, quarantine, tmp_path, [
        {"Contact ID": "KR-2", "First Name": "Omar", "Last Name": "Pennycooke",
         "Email": "omar@kfreef-tours.com", "Company": company_name,
         "City": "Kingston", "Parish": "Kingston"},
    ])  # fmt: skip
    assert resolved.pending() == [colleague]
    report = resolved.resolve_records(resolved.pending())
    assert report.records == 2
    assert status() == "accepted"
    after = _assignments(falkordb_store)
    assert after[company] == after["directory:KR-9"]
    # A second colleague at the same domain brings nothing new: the company is not read.
    (another,) = _add_crm_rows(falkordb_store, quarantine, tmp_path, [
        {"Contact ID": "KR-3", "First Name": "Petra", "Last Name": "Lindo",
         "Email": "petra@kfreef-tours.com", "Company": company_name},
    ])  # fmt: skip
    assert resolved.resolve_records([another]).records == 1
    after = _assignments(falkordb_store)
    resolved.resolve_full()
    assert status() == "accepted"
    assert _assignments(falkordb_store) == after


def test_a_stranger_gets_a_new_customer_and_empty_records_never_crash(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore, quarantine: Quarantine,
    tmp_path: Path,
) -> None:  # fmt: skip
    keys = _add_crm_rows(falkordb_store, quarantine, tmp_path, [
        {"Contact ID": "S-1", "First Name": "Zephyrine", "Last Name": "Quackenbush",
         "Email": "zq@example.org", "Created Date": "2024-05-01"},
        {"Contact ID": "S-2", "Phone": "876-555-0000", "Created Date": "2024-05-01"},
        {"Contact ID": "S-3", "First Name": "Ñandú", "Last Name": "Øster-Ødegård",
         "Created Date": "2024-05-01"},
    ])  # fmt: skip
    report = resolved.resolve_records(keys)
    after = _assignments(falkordb_store)
    assert all(k in after for k in keys)
    assert len({after[k] for k in keys}) == 3
    assert report.created == 3


def test_a_hub_phone_does_not_glue_strangers_together(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore, quarantine: Quarantine,
    tmp_path: Path,
) -> None:  # fmt: skip
    names = ["Brown", "Chen", "Williams", "Reid", "Patel", "Grant", "Morrison", "Lindo"]
    given = ["Alvin", "Beatrice", "Carlton", "Dionne", "Errol", "Fiona", "Garfield", "Hyacinth"]
    keys = _add_crm_rows(falkordb_store, quarantine, tmp_path, [
        {"Contact ID": f"H-{i}", "First Name": g, "Last Name": n, "Phone": "876-926-0000",
         "Company": "Switchboard Holdings", "Created Date": "2024-05-01"}
        for i, (g, n) in enumerate(zip(given, names, strict=True))
    ])  # fmt: skip
    report = resolved.resolve_full()
    after = _assignments(falkordb_store)
    assert len({after[k] for k in keys}) == len(keys)
    assert report.hubs["person"].limits["phone"] < len(keys)
    assert report.hubs["person"].largest["phone"] == ("person|+18769260000", len(keys))
    # The run (which did not retrain) stored its limits with the model, for later arrivals.
    stored = json.loads(
        falkordb_store.run("resolve/load_model", {"kind": "person"})[0]["params_json"]
    )
    assert stored["caps"] == report.hubs["person"].caps(resolved.config.hubs)


def _two_customers(store: FalkorDBStore) -> tuple[str, str]:
    rows = store.run_cypher(
        "MATCH (c:Customer {status: 'active', kind: 'person'})<-[:RESOLVES_TO]-(r:Record) "
        "WITH c, count(r) AS n WHERE n >= 2 RETURN c.id AS id ORDER BY id LIMIT 2"
    )
    return rows[0]["id"], rows[1]["id"]


def test_manual_merge_keeps_the_older_id_and_undo_restores_everything(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    older, younger = _two_customers(falkordb_store)
    before = _assignments(falkordb_store)
    steward = Stewardship(resolved)
    report = steward.merge(younger, older, "ann", "same shop owner, confirmed by phone")
    assert report.merged == 1
    assert stale_activity_dates(falkordb_store) == []  # the survivor has the absorbed dates
    after = _assignments(falkordb_store)
    moved = [k for k, c in before.items() if c == younger]
    assert all(after[k] == older for k in moved)
    gone = _customer(falkordb_store, younger)["customer"]
    assert gone["status"] == "merged" and gone["merged_into"] == older
    merge = next(d for d in _customer(falkordb_store, older)["decisions"] if d["action"] == "merge")
    assert merge["actor"] == "ann" and "confirmed by phone" in merge["reason"]
    with pytest.raises(StewardError, match="merged into"):
        steward.merge(younger, older, "ann", "again")

    steward.undo(merge["id"], "ann", "wrong person after all")
    assert _assignments(falkordb_store) == before
    assert stale_activity_dates(falkordb_store) == []
    assert _customer(falkordb_store, younger)["customer"]["status"] == "active"
    undone = next(
        d for d in _customer(falkordb_store, older)["decisions"] if d["id"] == merge["id"]
    )
    assert undone["undone_by"]
    # The undo holds through a full re-run.
    resolved.resolve_full()
    assert _assignments(falkordb_store) == before
    with pytest.raises(StewardError, match="already undone"):
        steward.undo(merge["id"], "ann", "twice")


def test_manual_split_mints_a_new_id_survives_a_rerun_and_can_be_undone(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    customer, _ = _two_customers(falkordb_store)
    before = _assignments(falkordb_store)
    members = sorted(k for k, c in before.items() if c == customer)
    steward = Stewardship(resolved)
    report = steward.split(customer, members[:1], "ann", "two different people")
    assert report.split == 1
    after = _assignments(falkordb_store)
    assert after[members[0]] != customer and all(after[k] == customer for k in members[1:])
    assert stale_activity_dates(falkordb_store) == []
    resolved.resolve_full()
    assert _assignments(falkordb_store) == after
    split = next(d for d in _customer(falkordb_store, after[members[0]])["decisions"]
                 if d["action"] == "split")  # fmt: skip
    assert split["reason"] == "two different people"
    steward.undo(split["id"], "ann", "same after all")
    assert _assignments(falkordb_store)[members[0]] == customer
    assert stale_activity_dates(falkordb_store) == []
    resolved.resolve_full()
    assert _assignments(falkordb_store)[members[0]] == customer
    with pytest.raises(StewardError, match="not records of"):
        steward.split(customer, ["crm:nope"], "ann", "x")


def test_the_review_queue_pages_through_both_kinds_of_pair_from_their_indexes(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    """Linked pairs to confirm and unlinked ones to decide come as one list, likeliest first,
    page after page; each kind is read from its status index, not from every pair edge."""
    steward = Stewardship(resolved)
    whole = steward.queue(limit=1000)
    assert {row["linked"] for row in whole} == {True, False}
    order = [(-row["score"], row["a"], row["b"]) for row in whole]
    assert order == sorted(order)
    paged = [row for skip in range(0, 15, 3) for row in steward.queue(skip=skip, limit=3)]
    assert [(r["a"], r["b"]) for r in paged] == [(r["a"], r["b"]) for r in whole[:15]]
    statement = falkordb_store.catalogue.get("resolve/review_queue")
    plan = [str(op).strip() for op in falkordb_store.graph.explain(
        statement.text, statement.example).plan]  # fmt: skip
    assert "Edge By Index Scan | [s:SAME_AS]" in plan
    assert "Edge By Index Scan | [s:MAYBE_SAME_AS]" in plan
    assert not [op for op in plan if "Scan" in op and "Edge By Index Scan" not in op]


def test_review_verdicts_merge_reject_and_leave_the_queue(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    steward = Stewardship(resolved)
    queue = steward.queue(limit=1000)
    thresholds = resolved.config.thresholds
    # Probable matches are linked and wait for confirmation; possible ones wait apart.
    # (A pair whose given names or birth dates plainly differ waits apart, however high.)
    for row in queue:
        if row["linked"]:
            assert thresholds.link <= row["score"] < thresholds.accept
        assert row["score"] >= thresholds.review
        assert row["status"] == ("probable" if row["linked"] else "review")
    explanation = json.loads(queue[0]["explanation"])
    assert abs(explanation["probability"] - queue[0]["score"]) < 1e-6
    apart = [r for r in queue if not r["linked"]]
    linked = [r for r in queue if r["linked"]]
    assert len(apart) >= 2 and linked

    first = apart[0]
    steward.verdict(first["a"], first["b"], "accepted", "ann", "same email domain and name")
    after = _assignments(falkordb_store)
    assert after[first["a"]] == after[first["b"]]
    steward.verdict(first["a"], first["b"], "rejected", "ann", "checked: siblings")
    after = _assignments(falkordb_store)
    assert after[first["a"]] != after[first["b"]]

    probable = linked[0]
    assert after[probable["a"]] == after[probable["b"]]
    steward.verdict(probable["a"], probable["b"], "rejected", "ann", "different dates of birth")
    after = _assignments(falkordb_store)
    assert after[probable["a"]] != after[probable["b"]]

    unsure = apart[1]
    steward.verdict(unsure["a"], unsure["b"], "unsure", "ann", "cannot tell")
    assert _assignments(falkordb_store) == after  # "not sure" changes nothing
    remaining = {(r["a"], r["b"]) for r in steward.queue(limit=1000)}
    decided = {(r["a"], r["b"]) for r in (first, probable, unsure)}
    assert not remaining & decided
    assert remaining == {(r["a"], r["b"]) for r in queue} - decided
    # People's verdicts survive a full re-run of the model.
    resolved.resolve_full()
    final = _assignments(falkordb_store)
    assert final[first["a"]] != final[first["b"]]
    assert final[probable["a"]] != final[probable["b"]]


def test_explanations_sum_to_the_score(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    link = falkordb_store.run_cypher(
        "MATCH (a:Record)-[s:SAME_AS]->(b:Record) WHERE s.by = 'model' "
        "RETURN a.key AS a, b.key AS b, s.score AS score ORDER BY a.key LIMIT 1"
    )[0]
    a, b = resolved.load_records([link["a"], link["b"]])
    explanation = resolved.scorer(a.kind).explain(a.values, b.values)
    assert explanation.probability == pytest.approx(link["score"], abs=1e-9)
    total = explanation.prior + sum(c.weight for c in explanation.contributions)
    assert total == pytest.approx(explanation.weight)
    assert "match weight" in str(explanation)


def test_incremental_needs_a_trained_model(falkordb_store: FalkorDBStore) -> None:
    falkordb_store.run("ingest/create_records", {"rows": [{
        "props": {"key": "crm:X1", "source": "crm", "source_id": "X1", "kind": "person",
                  "hash": "h", "ingested_at": 1}, "emails": [], "phones": [], "addresses": [],
        "handles": [], "websites": [], "works_at": []}]})  # fmt: skip
    with pytest.raises(NotTrained, match="resolve --full"):
        IdentityResolver(falkordb_store).resolve_records(["crm:X1"])


def test_in_database_components_match_the_networkx_fallback(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore
) -> None:
    from graph.store import CatalogueStore

    in_db = falkordb_store.linked_components("Record", "key", "SAME_AS")
    portable = CatalogueStore.linked_components(falkordb_store, "Record", "key", "SAME_AS")
    assert in_db and in_db.keys() == portable.keys()

    def groups(components: dict[str, int]) -> set[frozenset[str]]:
        out: dict[int, set[str]] = {}
        for key, number in components.items():
            out.setdefault(number, set()).add(key)
        return {frozenset(g) for g in out.values()}

    assert groups(in_db) == groups(portable)


def test_the_command_line_resolves_explains_and_shows_customers(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore, falkordb_server: Any,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    from typer.testing import CliRunner

    from c360.cli import app

    monkeypatch.setenv("C360_GRAPH_URI", f"redis://127.0.0.1:{falkordb_server.port}")
    monkeypatch.setenv("C360_GRAPH_NAME", falkordb_store.graph_name)
    monkeypatch.setenv("C360_HOME", str(tmp_path))
    runner = CliRunner()

    result = runner.invoke(app, ["resolve", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["mode"] == "incremental" and report["records"] == 0  # nothing pending

    result = runner.invoke(app, ["review", "list", "--json", "--limit", "1"])
    assert result.exit_code == 0, result.output
    pair = json.loads(result.output.strip().splitlines()[0])
    result = runner.invoke(app, ["explain", pair["a"], pair["b"]])
    assert result.exit_code == 0, result.output
    assert "match weight" in result.output and "given_name" in result.output

    customer = _assignments(falkordb_store)[pair["a"]]
    result = runner.invoke(app, ["customer", customer, "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["customer"]["id"] == customer
    assert pair["a"] in {r["key"] for r in shown["records"]}

    result = runner.invoke(app, ["explain", pair["a"], "crm:does-not-exist"])
    assert result.exit_code == 2 and "no record crm:does-not-exist" in result.output
    result = runner.invoke(app, ["undo", "D-nope"])
    assert result.exit_code == 2 and "no decision D-nope" in result.output

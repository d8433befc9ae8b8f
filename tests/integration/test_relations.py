"""Relationship mapping against the real embedded store.

The graph is the 300-people demo data set plus a few hand-written CRM rows whose
relationships are known exactly (names no demo person bears), ingested and resolved
through the normal path.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.catalogue import Catalogue
from graph.embedded import ServerInfo
from graph.falkordb_store import FalkorDBStore
from graph.store import GraphStore
from ingest.demo_data import ingest_demo
from ingest.pipeline import ingest_file
from ingest.quarantine import Quarantine
from resolvers.identity import IdentityResolver
from resolvers.relations import RelationsConfig, RelationshipMapper, RelationsReport, warm_intros
from resolvers.relations.scores import networkx_scores

pytestmark = pytest.mark.falkordb

HEADER = ["Contact ID", "First Name", "Last Name", "Email", "Phone", "Mobile Phone", "Company",
          "Street Address", "City", "Parish", "Referred By", "Date of Birth", "Created Date",
          "Contact Owner"]  # fmt: skip

HUB_PHONE = "876-926-5500"
HUB_NAMES = [("Ambrose", "Tillingham"), ("Beatrix", "Odumodu"), ("Cosmo", "Pemberton"),
             ("Delphine", "Raybould"), ("Erasmus", "Quigley"), ("Fenella", "Stroud"),
             ("Gideon", "Ustinov")]  # fmt: skip

SCENARIO: list[dict[str, str]] = [
    # Household: same street address and surname, and the home landline.
    {"Contact ID": "R-H1", "First Name": "Horatio", "Last Name": "Wintergreen",
     "Phone": "876-962-4411", "Street Address": "12 Hibiscus Crescent", "City": "Mandeville",
     "Parish": "Manchester", "Date of Birth": "1961-03-04"},
    {"Contact ID": "R-H2", "First Name": "Araminta", "Last Name": "Wintergreen",
     "Phone": "876-962-4411", "Street Address": "12 Hibiscus Crescent", "City": "Mandeville",
     "Parish": "Manchester", "Date of Birth": "1964-11-20"},
    # Knows: a shared mobile, nothing else.
    {"Contact ID": "R-K1", "First Name": "Leopold", "Last Name": "Ashcombe",
     "Mobile Phone": "876-381-7701", "City": "Ocho Rios", "Parish": "St. Ann",
     "Date of Birth": "1980-01-15"},
    {"Contact ID": "R-K2", "First Name": "Griselda", "Last Name": "Fenwick",
     "Mobile Phone": "876-381-7701", "City": "Port Antonio", "Parish": "Portland",
     "Date of Birth": "1975-06-30"},
    # Referred by name (Griselda), so Leopold -> Griselda -> Peregrine is a warm intro.
    {"Contact ID": "R-R1", "First Name": "Peregrine", "Last Name": "Oduya",
     "Email": "peregrine.oduya@example.jm", "Referred By": "Griselda  Fenwick",
     "Parish": "Portland", "Date of Birth": "1990-09-09"},
    # Ambiguous: two Ignatius Blackwoods, neither sharing Cordelia's parish or rep.
    {"Contact ID": "R-A1", "First Name": "Ignatius", "Last Name": "Blackwood",
     "Email": "ignatius.b1@example.jm", "Parish": "Hanover", "Date of Birth": "1950-02-02",
     "Contact Owner": "Rep One"},
    {"Contact ID": "R-A2", "First Name": "Ignatius", "Last Name": "Blackwood",
     "Email": "ignatius.b2@example.jm", "Parish": "Trelawny", "Date of Birth": "1988-12-12",
     "Contact Owner": "Rep Two"},
    {"Contact ID": "R-A3", "First Name": "Cordelia", "Last Name": "Pennycooke",
     "Email": "cordelia.p@example.jm", "Referred By": "Ignatius Blackwood",
     "Parish": "St. Thomas", "Date of Birth": "1979-07-07", "Contact Owner": "Rep Three"},
    # Two Thaddeus Okonkwos: the one in Philippa's parish is her referrer.
    {"Contact ID": "R-C1", "First Name": "Thaddeus", "Last Name": "Okonkwo",
     "Email": "thaddeus.o1@example.jm", "Parish": "St. Mary", "Date of Birth": "1955-05-05"},
    {"Contact ID": "R-C2", "First Name": "Thaddeus", "Last Name": "Okonkwo",
     "Email": "thaddeus.o2@example.jm", "Parish": "Clarendon", "Date of Birth": "1984-04-04"},
    {"Contact ID": "R-C3", "First Name": "Philippa", "Last Name": "Marchmont",
     "Email": "philippa.m@example.jm", "Referred By": "Thaddeus Okonkwo",
     "Parish": "St. Mary", "Date of Birth": "1991-01-01"},
    # Colleagues at one business.
    {"Contact ID": "R-W1", "First Name": "Benedikt", "Last Name": "Harrowgate",
     "Email": "benedikt.h@example.jm", "Company": "Quillfeather Analytics Ltd",
     "Date of Birth": "1970-10-10"},
    {"Contact ID": "R-W2", "First Name": "Soraya", "Last Name": "Lindqvist",
     "Email": "soraya.l@example.jm", "Company": "Quillfeather Analytics Ltd",
     "Date of Birth": "1982-08-08"},
    # A hub: one switchboard number on seven unrelated people.
    *[{"Contact ID": f"R-HUB{i}", "First Name": g, "Last Name": f, "Phone": HUB_PHONE,
       "Date of Birth": f"19{60 + i}-0{1 + i}-1{i}"} for i, (g, f) in enumerate(HUB_NAMES)],
]  # fmt: skip


def write_crm(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in HEADER})
    return path


def build(store: FalkorDBStore, folder: Path, tmp: Path) -> None:
    quarantine = Quarantine(tmp / "quarantine")
    ingest_demo(folder, store, quarantine)
    summary = ingest_file(write_crm(tmp / "scenario.csv", SCENARIO), "crm-contacts", store,
                          quarantine)  # fmt: skip
    assert summary.quarantined == 0, summary.reasons
    IdentityResolver(store).resolve_full()


@pytest.fixture(scope="module")
def mapped(
    falkordb_server: ServerInfo,
    catalogue: Catalogue,
    demo_folder: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FalkorDBStore, RelationsReport]]:
    """One graph mapped once, for the tests that only read it."""
    store = FalkorDBStore(
        catalogue, port=falkordb_server.port, graph_name=f"t_{uuid.uuid4().hex[:12]}"
    )
    store.ensure_schema()
    build(store, demo_folder, tmp_path_factory.mktemp("relations"))
    # The scenario has namesakes told apart by parish: the context rule is on for it.
    report = RelationshipMapper(store, RelationsConfig(referral_context=True)).run()
    yield store, report
    store.clear()
    store.close()


def cid(store: GraphStore, contact_id: str) -> str:
    rows = store.run_cypher(
        "MATCH (:Record {key: $key})-[:RESOLVES_TO]->(c:Customer) RETURN c.id AS id",
        {"key": f"crm:{contact_id}"},
    )
    assert len(rows) == 1, contact_id
    return str(rows[0]["id"])


def edges_between(store: GraphStore, a: str, b: str) -> list[dict[str, Any]]:
    return store.run_cypher(
        "MATCH (x:Customer {id: $a})-[e]-(y:Customer {id: $b}) "
        "RETURN type(e) AS type, startNode(e).id AS start, e.evidence AS evidence, "
        "e.strength AS strength, e.source AS source, e.at AS at",
        {"a": a, "b": b},
    )


def test_a_referral_by_name_becomes_one_referred_edge_with_its_evidence(
    mapped: tuple[FalkorDBStore, RelationsReport],
) -> None:
    store, _ = mapped
    griselda, peregrine = cid(store, "R-K2"), cid(store, "R-R1")
    referred = [e for e in edges_between(store, griselda, peregrine) if e["type"] == "REFERRED"]
    assert len(referred) == 1
    edge = referred[0]
    assert edge["start"] == griselda  # from the referrer to the referred
    assert edge["source"] == "referral"
    assert "record:crm:R-R1" in edge["evidence"]
    assert "referred_by:Griselda Fenwick" in edge["evidence"]  # the raw text, tidied by ingest
    assert "match:exact" in edge["evidence"]
    assert 0 < edge["strength"] <= 1 and isinstance(edge["at"], int)


def test_an_ambiguous_name_is_not_linked_but_counted(
    mapped: tuple[FalkorDBStore, RelationsReport],
) -> None:
    store, report = mapped
    cordelia = cid(store, "R-A3")
    assert cid(store, "R-A1") != cid(store, "R-A2")  # two people, as the scenario needs
    incoming = store.run_cypher(
        "MATCH (:Customer)-[e:REFERRED]->(:Customer {id: $id}) RETURN count(e) AS n",
        {"id": cordelia},
    )
    assert incoming[0]["n"] == 0
    assert report.referrals.get("ambiguous", 0) >= 1
    assert report.referrals.get("linked", 0) >= 2


def test_the_same_name_is_resolved_by_the_referred_customers_parish(
    mapped: tuple[FalkorDBStore, RelationsReport],
) -> None:
    store, _ = mapped
    philippa, in_parish, elsewhere = cid(store, "R-C3"), cid(store, "R-C1"), cid(store, "R-C2")
    assert in_parish != elsewhere
    [edge] = [e for e in edges_between(store, in_parish, philippa) if e["type"] == "REFERRED"]
    assert "context:parish" in edge["evidence"]
    assert edge["strength"] < 0.9  # less sure than a unique name
    assert not [e for e in edges_between(store, elsewhere, philippa) if e["type"] == "REFERRED"]


def test_household_and_knows_are_told_apart(mapped: tuple[FalkorDBStore, RelationsReport]) -> None:
    store, _ = mapped
    horatio, araminta = cid(store, "R-H1"), cid(store, "R-H2")
    household = edges_between(store, horatio, araminta)
    assert [e["type"] for e in household] == ["HOUSEHOLD"]  # not KNOWS as well
    evidence = household[0]["evidence"]
    assert "surname:wintergreen" in evidence
    assert any(e.startswith("address:") for e in evidence)
    assert "phone:+18769624411" in evidence
    leopold, griselda = cid(store, "R-K1"), cid(store, "R-K2")
    knows = edges_between(store, leopold, griselda)
    assert [(e["type"], e["evidence"], e["source"]) for e in knows] == [
        ("KNOWS", ["phone:+18763817701"], "derived")
    ]


def test_hub_phones_are_ignored(mapped: tuple[FalkorDBStore, RelationsReport]) -> None:
    store, report = mapped
    ids = {cid(store, f"R-HUB{i}") for i in range(len(HUB_NAMES))}
    assert len(ids) == len(HUB_NAMES)
    rows = store.run_cypher(
        "MATCH (a:Customer)-[e:KNOWS]-(b:Customer) WHERE a.id IN $ids AND b.id IN $ids "
        "RETURN count(e) AS n",
        {"ids": sorted(ids)},
    )
    assert rows[0]["n"] == 0
    assert report.hubs.get("phone", 0) >= 1


def test_colleagues_share_an_employer(mapped: tuple[FalkorDBStore, RelationsReport]) -> None:
    store, _ = mapped
    [edge] = edges_between(store, cid(store, "R-W1"), cid(store, "R-W2"))
    assert edge["type"] == "COLLEAGUE"
    assert any(e.startswith("employer:") and "Quillfeather" in e for e in edge["evidence"])


def test_edges_join_distinct_active_customers_and_carry_evidence(
    mapped: tuple[FalkorDBStore, RelationsReport],
) -> None:
    store, report = mapped
    rows = store.run_cypher(
        "MATCH (a:Customer)-[e:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE]->(b:Customer) "
        "RETURN type(e) AS type, a.id = b.id AS self, a.status AS sa, b.status AS sb, "
        "e.evidence AS evidence, e.strength AS strength, e.source AS source"
    )
    assert {r["type"] for r in rows} == {"REFERRED", "KNOWS", "HOUSEHOLD", "COLLEAGUE"}
    for row in rows:
        assert not row["self"] and row["sa"] == row["sb"] == "active"
        assert row["evidence"] and all(isinstance(e, str) for e in row["evidence"])
        assert 0 < row["strength"] <= 1
        assert row["source"] == ("referral" if row["type"] == "REFERRED" else "derived")
    counted = {t: sum(1 for r in rows if r["type"] == t) for t in report.edges}
    assert counted == report.edges


def test_influence_and_community_are_written_for_customers_with_edges(
    mapped: tuple[FalkorDBStore, RelationsReport],
) -> None:
    store, report = mapped
    rows = store.run_cypher(
        "MATCH (c:Customer) WHERE c.influence IS NOT NULL OR c.community IS NOT NULL "
        "RETURN c.id AS id, c.influence AS influence, c.community AS community, "
        "size([(c)-[:REFERRED|KNOWS]-(:Customer) | 1]) AS degree"
    )
    assert len(rows) == report.scored > 0
    for row in rows:
        assert row["degree"] > 0
        assert 0 < row["influence"] <= 1 and isinstance(row["community"], int)
    scores = {r["id"]: r for r in rows}
    leopold, griselda, peregrine = cid(store, "R-K1"), cid(store, "R-K2"), cid(store, "R-R1")
    assert scores[griselda]["influence"] > scores[peregrine]["influence"]  # the referrer
    assert (
        scores[leopold]["community"]
        == scores[griselda]["community"]
        == scores[peregrine]["community"]
    )
    assert max(r["influence"] for r in rows) == 1.0
    # The networkx path (other stores) ranks the same way.
    edges = store.run("relations/algorithm_edges")
    influence, _ = networkx_scores((e["type"], e["a"], e["b"]) for e in edges)
    assert influence.keys() == scores.keys()
    assert influence[griselda] > influence[peregrine]
    assert not store.run_cypher("MATCH ()-[f:INFLUENCE_FLOW]->() RETURN count(f) AS n")[0]["n"]


def test_warm_intros_finds_a_two_hop_introduction(
    mapped: tuple[FalkorDBStore, RelationsReport],
) -> None:
    store, _ = mapped
    leopold, griselda, peregrine = cid(store, "R-K1"), cid(store, "R-K2"), cid(store, "R-R1")
    horatio = cid(store, "R-H1")
    paths = warm_intros(store, [horatio, leopold], peregrine)
    assert paths, "no path found"
    best = paths[0]
    assert best.ids == [leopold, griselda, peregrine]
    assert best.hops == 2
    assert [e["type"] for e in best.edges] == ["KNOWS", "REFERRED"]
    assert best.min_strength == min(e["strength"] for e in best.edges)
    assert warm_intros(store, [leopold], peregrine, max_hops=1) == []
    assert warm_intros(store, [peregrine], peregrine) == []


def test_rerun_is_idempotent_and_drops_edges_whose_evidence_went_away(
    falkordb_store: FalkorDBStore, demo_folder: Path, tmp_path: Path
) -> None:
    store = falkordb_store
    build(store, demo_folder, tmp_path)
    mapper = RelationshipMapper(store)
    first = mapper.run()
    count = (
        "MATCH (:Customer)-[e:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE]->(:Customer) RETURN count(e) AS n"
    )
    total = store.run_cypher(count)[0]["n"]
    second = mapper.run()
    assert second.edges == first.edges and sum(first.edges.values()) == total
    assert store.run_cypher(count)[0]["n"] == total  # no duplicates
    assert sum(second.created.values()) == sum(second.updated.values()) == 0
    assert sum(second.removed.values()) == 0
    # Griselda's new mobile: the shared number, and so KNOWS, is gone.
    leopold, griselda = cid(store, "R-K1"), cid(store, "R-K2")
    # Another writer's edge between the same customers is not the mapper's to delete.
    store.run_cypher(
        "MATCH (a:Customer {id: $a}), (b:Customer {id: $b}) "
        "CREATE (a)-[:KNOWS {source: 'steward', evidence: ['met at a fair'], strength: 0.5}]->(b)",
        {"a": leopold, "b": griselda},
        read_only=False,
    )
    changed = [dict(r, **{"Mobile Phone": "876-381-9902"}) for r in SCENARIO
               if r["Contact ID"] == "R-K2"]  # fmt: skip
    ingest_file(write_crm(tmp_path / "changed.csv", changed), "crm-contacts", store,
                Quarantine(tmp_path / "q2"))  # fmt: skip
    third = mapper.run()
    assert third.removed["KNOWS"] == 1
    assert third.edges["KNOWS"] == first.edges["KNOWS"] - 1
    left = edges_between(store, leopold, griselda)
    assert [(e["type"], e["source"]) for e in left] == [("KNOWS", "steward")]
    paths = warm_intros(store, [leopold], cid(store, "R-R1"))
    assert [e["source"] for e in paths[0].edges] == ["steward", "referral"]


def test_an_empty_graph_maps_to_nothing(falkordb_store: FalkorDBStore) -> None:
    report = RelationshipMapper(falkordb_store).run()
    assert report.edges == {"REFERRED": 0, "KNOWS": 0, "HOUSEHOLD": 0, "COLLEAGUE": 0}
    assert report.referrals == {} and report.scored == 0
    assert warm_intros(falkordb_store, ["C1"], "C2") == []


def test_candidate_referrals_from_notes_are_neither_intro_steps_nor_influence(
    falkordb_store: FalkorDBStore,
) -> None:
    """The notes NLP proposes referrals with `status: 'candidate'`: shown, but until
    confirmed they carry no introduction and no influence."""
    store = falkordb_store
    store.run_cypher(
        "CREATE (:Customer {id: 'C-A', status: 'active'}), (:Customer {id: 'C-B', status: 'active'}),"
        " (:Customer {id: 'C-C', status: 'active'})",
        read_only=False,
    )
    store.run_cypher(
        "MATCH (a:Customer {id: 'C-A'}), (b:Customer {id: 'C-B'}), (c:Customer {id: 'C-C'}) "
        "CREATE (a)-[:REFERRED {source: 'nlp', status: 'candidate', strength: 0.6}]->(b), "
        "(b)-[:KNOWS {source: 'derived', strength: 0.9, evidence: []}]->(c)",
        read_only=False,
    )
    assert warm_intros(store, ["C-A"], "C-C") == []
    assert [p.ids for p in warm_intros(store, ["C-B"], "C-C")] == [["C-B", "C-C"]]
    edges = store.run("relations/algorithm_edges", {})
    assert [(e["type"], e["a"], e["b"]) for e in edges] == [("KNOWS", "C-B", "C-C")]
    flows = store.run("relations/flow_create", {})
    assert flows[0]["edges"] == 1

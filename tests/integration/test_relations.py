"""Relationship mapping against the real embedded store.

The graph is the 300-people demo data set plus a few hand-written CRM rows whose
relationships are known exactly (names no demo person bears), ingested and resolved
through the normal path.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from itertools import pairwise
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
from tests.conftest import own_graph

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
    # At events (EVENTS below): three at a seminar, two of them at a lunch as well.
    *[{"Contact ID": f"R-E{i}", "First Name": g, "Last Name": f, "Date of Birth": f"198{i}-02-0{i}",
       "Email": f"{g.lower()}.{f.lower()}@example.jm"}
      for i, (g, f) in enumerate([("Octavia", "Quennell"), ("Barnaby", "Whitlock"),
                                  ("Clementine", "Ashdown")], start=1)],
    # Five at an expo: over the cap the module's mapper runs with (MAX_EVENT).
    *[{"Contact ID": f"R-X{i}", "First Name": g, "Last Name": "Trevelyan", "Date of Birth": f"197{i}-03-0{i}",
       "Email": f"{g.lower()}.trevelyan@example.jm"}
      for i, g in enumerate(["Aurelio", "Bettina", "Caspian", "Dorothea", "Evander"], start=1)],
]  # fmt: skip

MAX_EVENT = 4
INTERACTIONS_HEADER = ["interaction_id", "record_source", "record_id", "type", "occurred_at",
                       "event_id", "event_name"]  # fmt: skip
EVENTS: list[dict[str, str]] = [
    *[{"interaction_id": f"S-SEM-{i}", "record_id": f"R-E{i}", "event_id": "SEM-1",
       "event_name": "Export seminar"} for i in (1, 2, 3)],
    *[{"interaction_id": f"S-LUN-{i}", "record_id": f"R-E{i}", "event_id": "LUNCH-7"}
      for i in (1, 2)],
    *[{"interaction_id": f"S-EXP-{i}", "record_id": f"R-X{i}", "event_id": "EXPO-2",
       "event_name": "Trade expo"} for i in range(1, 6)],
]  # fmt: skip

# Instagram-only people: alpha and beta follow each other, alpha follows gamma.
INSTAGRAM: list[dict[str, Any]] = [
    {"username": "scn.alpha", "full_name": "Philomena Gatwick",
     "follows": ["@scn.beta", "scn.gamma", "someone.not.here"]},
    {"username": "scn.beta", "full_name": "Ruperta Blenkinsop", "follows": ["scn.alpha"]},
    {"username": "scn.gamma", "full_name": "Sylvester Ormerod"},
]  # fmt: skip


def write_crm(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in HEADER})
    return path


def write_events(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, INTERACTIONS_HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({"record_source": "crm", "type": "meeting",
                             "occurred_at": "2024-05-02"} | row)  # fmt: skip
    return path


def write_instagram(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    return path


def build(store: FalkorDBStore, folder: Path, tmp: Path) -> None:
    quarantine = Quarantine(tmp / "quarantine")
    ingest_demo(folder, store, quarantine)
    for file, profile in [
        (write_crm(tmp / "scenario.csv", SCENARIO), "crm-contacts"),
        (write_instagram(tmp / "scenario.jsonl", INSTAGRAM), "instagram"),
        (write_events(tmp / "events.csv", EVENTS), "interactions"),
    ]:
        summary = ingest_file(file, profile, store, quarantine)
        assert summary.quarantined == 0, (file, summary.reasons)
    IdentityResolver(store).resolve_full()


@pytest.fixture(scope="module")
def mapped(
    falkordb_server: ServerInfo,
    catalogue: Catalogue,
    demo_folder: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FalkorDBStore, RelationsReport]]:
    """One graph mapped once, for the tests that only read it."""
    with own_graph(falkordb_server, catalogue) as store:
        build(store, demo_folder, tmp_path_factory.mktemp("relations"))
        # The scenario has namesakes told apart by parish: the context rule is on for it.
        config = RelationsConfig(referral_context=True, max_event_attendees=MAX_EVENT)
        yield store, RelationshipMapper(store, config).run()


def cid(store: GraphStore, contact_id: str, source: str = "crm") -> str:
    rows = store.run_cypher(
        "MATCH (:Record {key: $key})-[:RESOLVES_TO]->(c:Customer) RETURN c.id AS id",
        {"key": f"{source}:{contact_id}"},
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


def test_customers_at_a_small_event_co_attended_it(
    mapped: tuple[FalkorDBStore, RelationsReport],
) -> None:
    store, report = mapped
    e1, e2, e3 = (cid(store, f"R-E{i}") for i in (1, 2, 3))
    [both] = edges_between(store, e1, e2)
    assert (both["type"], both["source"]) == ("CO_ATTENDED", "derived")
    assert both["evidence"] == ["event:LUNCH-7", "event:SEM-1 Export seminar"]
    [seminar] = edges_between(store, e1, e3)
    assert seminar["evidence"] == ["event:SEM-1 Export seminar"]
    assert 0 < seminar["strength"] < both["strength"] <= 1  # two shared events say more
    assert min(e1, e3) == seminar["start"]  # undirected: stored from the smaller id
    assert report.edges["CO_ATTENDED"] >= 3


def test_an_event_over_the_cap_links_nobody(
    mapped: tuple[FalkorDBStore, RelationsReport],
) -> None:
    store, report = mapped
    expo = sorted(cid(store, f"R-X{i}") for i in range(1, 6))
    assert len(set(expo)) == 5
    rows = store.run_cypher(
        "MATCH (a:Customer)-[e]-(b:Customer) WHERE a.id IN $ids AND b.id IN $ids "
        "RETURN count(e) AS n",
        {"ids": expo},
    )
    assert rows[0]["n"] == 0
    assert report.large_events >= 1


def test_follows_have_a_direction_and_mutual_follows_are_stronger(
    mapped: tuple[FalkorDBStore, RelationsReport],
) -> None:
    store, _ = mapped
    alpha, beta, gamma = (
        cid(store, h, "instagram") for h in ("scn.alpha", "scn.beta", "scn.gamma")
    )
    mutual = sorted(
        (e["start"], e["evidence"], e["strength"]) for e in edges_between(store, alpha, beta)
    )
    assert [m[:2] for m in mutual] == sorted([
        (alpha, ["follows:instagram:scn.beta", "mutual"]),
        (beta, ["follows:instagram:scn.alpha", "mutual"]),
    ])  # fmt: skip
    [one_way] = edges_between(store, alpha, gamma)
    assert (one_way["type"], one_way["start"], one_way["evidence"]) == (
        "FOLLOWS",
        alpha,
        ["follows:instagram:scn.gamma"],
    )
    assert one_way["strength"] < mutual[0][2] == mutual[1][2]


def test_edges_join_distinct_active_customers_and_carry_evidence(
    mapped: tuple[FalkorDBStore, RelationsReport],
) -> None:
    store, report = mapped
    rows = store.run_cypher(
        "MATCH (a:Customer)-[e:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE|CO_ATTENDED|FOLLOWS]->"
        "(b:Customer) "
        "RETURN type(e) AS type, a.id = b.id AS self, a.status AS sa, b.status AS sb, "
        "e.evidence AS evidence, e.strength AS strength, e.source AS source"
    )
    assert {r["type"] for r in rows} == set(report.edges)
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
    everyone = store.run_cypher(
        "MATCH (c:Customer) WHERE c.influence IS NOT NULL OR c.community IS NOT NULL "
        "OR c.betweenness IS NOT NULL "
        "RETURN c.id AS id, c.influence AS influence, c.community AS community, "
        "c.betweenness AS betweenness, "
        "size([(c)-[:REFERRED|KNOWS]-(:Customer) | 1]) AS degree, "
        "size([(c)-[:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE|CO_ATTENDED]-(:Customer) | 1]) AS intro"
    )
    assert len(everyone) == report.scored > 0
    for row in everyone:  # betweenness on the warm-intro graph, the others on REFERRED|KNOWS
        assert (row["betweenness"] is not None) == (row["intro"] > 0)
        assert row["betweenness"] is None or 0 <= row["betweenness"] <= 1
        assert (row["influence"] is not None) == (row["degree"] > 0)
    assert max(r["betweenness"] or 0 for r in everyone) == 1.0
    rows = [r for r in everyone if r["influence"] is not None]
    for row in rows:
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
        "MATCH (:Customer)-[e:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE|CO_ATTENDED|FOLLOWS]->(:Customer) "
        "RETURN count(e) AS n"
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
    # Clementine was at another seminar after all, and alpha stopped following gamma.
    e1, e3 = cid(store, "R-E1"), cid(store, "R-E3")
    moved = [dict(r, event_id="SEM-9") for r in EVENTS if r["interaction_id"] == "S-SEM-3"]
    ingest_file(write_events(tmp_path / "moved.csv", moved), "interactions", store,
                Quarantine(tmp_path / "q3"))  # fmt: skip
    unfollowed = [dict(INSTAGRAM[0], follows=["scn.beta"])]
    ingest_file(write_instagram(tmp_path / "unfollowed.jsonl", unfollowed), "instagram", store,
                Quarantine(tmp_path / "q4"))  # fmt: skip
    IdentityResolver(store).resolve_full()
    fourth = mapper.run()
    assert fourth.removed["CO_ATTENDED"] == 2 and fourth.removed["FOLLOWS"] == 1
    assert edges_between(store, e1, e3) == []
    alpha, gamma = cid(store, "scn.alpha", "instagram"), cid(store, "scn.gamma", "instagram")
    assert edges_between(store, alpha, gamma) == []
    assert [e["type"] for e in edges_between(store, e1, cid(store, "R-E2"))] == ["CO_ATTENDED"]


def test_an_empty_graph_maps_to_nothing(falkordb_store: FalkorDBStore) -> None:
    report = RelationshipMapper(falkordb_store).run()
    assert report.edges == {"REFERRED": 0, "KNOWS": 0, "HOUSEHOLD": 0, "COLLEAGUE": 0,
                            "CO_ATTENDED": 0, "FOLLOWS": 0}  # fmt: skip
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


def test_betweenness_is_written_for_the_brokers_of_a_known_graph(
    falkordb_store: FalkorDBStore,
) -> None:
    """A five-customer path a-b-c-d-e written by a steward (the mapper leaves such edges
    alone): c lies on 4 shortest paths, b and d on 3 each, the ends on none."""
    store = falkordb_store
    ids = ["C-a", "C-b", "C-c", "C-d", "C-e"]
    store.run_cypher(
        "UNWIND $ids AS id CREATE (:Customer {id: id, status: 'active', kind: 'person'})",
        {"ids": ids},
        read_only=False,
    )
    store.run_cypher(
        "UNWIND $pairs AS p MATCH (a:Customer {id: p[0]}), (b:Customer {id: p[1]}) "
        "CREATE (a)-[:KNOWS {source: 'steward', strength: 0.5, evidence: ['met']}]->(b)",
        {"pairs": [list(p) for p in pairwise(ids)]},
        read_only=False,
    )

    def scores() -> dict[str, Any]:
        rows = store.run_cypher(
            "MATCH (c:Customer) RETURN c.id AS id, c.betweenness AS betweenness"
        )
        return {r["id"]: r["betweenness"] for r in rows}

    report = RelationshipMapper(store).run()
    assert report.scored == 5
    assert scores() == {"C-a": 0.0, "C-b": 0.75, "C-c": 1.0, "C-d": 0.75, "C-e": 0.0}
    store.run_cypher(
        "MATCH (:Customer {id: 'C-c'})-[k:KNOWS]->(:Customer {id: 'C-d'}) DELETE k",
        read_only=False,
    )
    RelationshipMapper(store).run()
    assert scores() == {"C-a": 0.0, "C-b": 1.0, "C-c": 0.0, "C-d": 0.0, "C-e": 0.0}
    store.run_cypher("MATCH (:Customer)-[k:KNOWS]->(:Customer) DELETE k", read_only=False)
    RelationshipMapper(store).run()
    assert set(scores().values()) == {None}  # no edges left: the scores go

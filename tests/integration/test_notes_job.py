"""The notes job against the real embedded store.

The graph is the 300-people demo data set plus a few CRM contacts whose names no demo
person bears, and interactions whose notes mention them, ingested and resolved through
the normal path; the relationship mapper runs first, so its own REFERRED edges are there
to be left alone.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from graph.catalogue import Catalogue
from graph.embedded import ServerInfo
from graph.falkordb_store import FalkorDBStore
from graph.store import GraphStore
from ingest.demo_data import ingest_demo
from ingest.pipeline import ingest_file
from ingest.quarantine import Quarantine
from ml.notes.cli import notes_app
from ml.notes.job import NotesConfig, NotesJob, NotesReport
from resolvers.identity import IdentityResolver
from resolvers.relations import RelationshipMapper
from tests.conftest import own_graph

pytestmark = pytest.mark.falkordb

CRM_HEADER = ["Contact ID", "First Name", "Last Name", "Email", "Phone", "Mobile Phone",
              "Company", "Parish", "Referred By", "Date of Birth"]  # fmt: skip
CONTACTS: list[dict[str, str]] = [
    {"Contact ID": "R-N1", "First Name": "Horatio", "Last Name": "Wintergreen",
     "Phone": "876-962-4411", "Email": "horatio.w@example.jm", "Parish": "Manchester",
     "Date of Birth": "1961-03-04"},
    {"Contact ID": "R-N2", "First Name": "Araminta", "Last Name": "Quillfeather",
     "Mobile Phone": "876-381-7702", "Parish": "Portland", "Date of Birth": "1964-11-20"},
    {"Contact ID": "R-N3", "First Name": "Peregrine", "Last Name": "Oduya",
     "Email": "peregrine.oduya@example.jm", "Referred By": "Horatio Wintergreen",
     "Parish": "Portland", "Date of Birth": "1990-09-09"},
    {"Contact ID": "R-N4", "First Name": "Leopold", "Last Name": "Ashcombe",
     "Email": "leopold.a@example.jm", "Company": "Zephyrine Ironworks Ltd",
     "Date of Birth": "1980-01-15"},
    {"Contact ID": "R-N5", "First Name": "Ignatius", "Last Name": "Blackwood",
     "Email": "ignatius.b1@example.jm", "Parish": "Hanover", "Date of Birth": "1950-02-02"},
    {"Contact ID": "R-N6", "First Name": "Ignatius", "Last Name": "Blackwood",
     "Email": "ignatius.b2@example.jm", "Parish": "Trelawny", "Date of Birth": "1988-12-12"},
]  # fmt: skip
# A QuickBooks customer whose Notes field says who sent them.
QBO_CUSTOMERS = {"QueryResponse": {"Customer": [
    {"Id": "N-Q1", "DisplayName": "Cordelia Fairweather", "GivenName": "Cordelia",
     "FamilyName": "Fairweather", "PrimaryPhone": {"FreeFormNumber": "876-927-5510"},
     "Notes": "Referred by Peregrine Oduya. Pays on delivery.", "Active": True},
]}}  # fmt: skip
INTERACTIONS_HEADER = ["interaction_id", "record_source", "record_id", "type", "occurred_at",
                       "rep", "subject", "notes", "outcome"]  # fmt: skip
NOTES: dict[str, tuple[str, str]] = {
    "N-1": ("R-N3", "Referred by Horatio Wintergreen. Wants a quote for Zephyrine Ironworks."),
    "N-2": (
        "R-N1",
        "Introduced me to his neighbour Araminta Quillfeather, call her on 876-381-7702.",
    ),
    "N-3": ("R-N3", "Call back on (876) 962-4411 after 5."),
    "N-4": ("R-N2", "Llamé al cliente, quiere una cotización para el pedido de la próxima semana."),
    "N-5": ("R-N4", "Met Ignatius Blackwood at the expo."),
    "N-6": ("R-N1", "Horatio Wintergreen paid the invoice, very happy."),
}


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})
    return path


def interaction_rows(notes: dict[str, tuple[str, str]]) -> list[dict[str, str]]:
    return [{"interaction_id": iid, "record_source": "crm", "record_id": record, "type": "call",
             "occurred_at": "2025-03-01 10:00", "rep": "Ann", "notes": text}
            for iid, (record, text) in notes.items()]  # fmt: skip


@pytest.fixture(scope="module")
def graph(
    falkordb_server: ServerInfo,
    catalogue: Catalogue,
    demo_folder: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FalkorDBStore, NotesReport, Path]]:
    """One graph built, mapped and analysed once; tests that change it run last."""
    with own_graph(falkordb_server, catalogue) as store:
        yield build(store, demo_folder, tmp_path_factory.mktemp("notes"))


def build(
    store: FalkorDBStore, demo_folder: Path, tmp: Path
) -> tuple[FalkorDBStore, NotesReport, Path]:
    """The demo data and this file's contacts, notes and QuickBooks customer, resolved,
    mapped and analysed."""
    quarantine = Quarantine(tmp / "quarantine")
    ingest_demo(demo_folder, store, quarantine)
    for path, profile in (
        (write_csv(tmp / "contacts.csv", CRM_HEADER, CONTACTS), "crm-contacts"),
        (
            write_csv(tmp / "notes.csv", INTERACTIONS_HEADER, interaction_rows(NOTES)),
            "interactions",
        ),
    ):
        summary = ingest_file(path, profile, store, quarantine)
        assert summary.quarantined == 0, summary.reasons
    qbo = tmp / "qbo_customers.json"
    qbo.write_text(json.dumps(QBO_CUSTOMERS))
    assert ingest_file(qbo, "qbo-customers", store, quarantine).quarantined == 0
    IdentityResolver(store).resolve_full()
    RelationshipMapper(store).run(scores=False)
    store.run_cypher(
        "MATCH (r:Record {key: 'crm:R-N2'}) SET r.caption = $text",
        {"text": "Big thanks to Leopold Ashcombe! Referred by Leopold Ashcombe."},
        read_only=False,
    )
    report = NotesJob(store, NotesConfig(model="none")).run()
    return store, report, tmp


def cid(store: GraphStore, contact_id: str) -> str:
    rows = store.run_cypher(
        "MATCH (:Record {key: $key})-[:RESOLVES_TO]->(c:Customer) RETURN c.id AS id",
        {"key": f"crm:{contact_id}"},
    )
    assert len(rows) == 1, contact_id
    return str(rows[0]["id"])


def mentions(store: GraphStore, key: str, label: str = "Interaction") -> dict[str, dict[str, Any]]:
    rows = store.run_cypher(
        f"MATCH (:{label} {{key: $key}})-[m:MENTIONS]->(c:Customer) "
        "RETURN c.id AS id, m.source AS source, m.label AS label, m.texts AS texts, "
        "m.matched AS matched, m.confidence AS confidence, m.model AS model",
        {"key": key},
    )
    return {str(r["id"]): r for r in rows}


def referred(store: GraphStore, a: str, b: str) -> list[dict[str, Any]]:
    return store.run_cypher(
        "MATCH (:Customer {id: $a})-[e:REFERRED]->(:Customer {id: $b}) "
        "RETURN e.source AS source, e.status AS status, e.note AS note, e.evidence AS evidence, "
        "e.confidence AS confidence, e.strength AS strength ORDER BY e.source",
        {"a": a, "b": b},
    )


def test_the_job_reads_every_note_and_the_social_text(graph: Any) -> None:
    _, report, _ = graph
    assert report.model == "rules"
    # the six notes, the caption, and the demo data's Instagram biographies
    assert report.kinds["Interaction"] == len(NOTES) and report.kinds["Record"] > 1
    assert report.texts == report.analysed == sum(report.kinds.values())
    assert report.statuses["not_english"] == 1
    assert report.statuses["ok"] == report.texts - 1
    assert report.ambiguous >= 1 and report.own_customer >= 1
    assert report.referrals == 4


def test_a_referral_phrase_becomes_a_candidate_edge_beside_the_mappers_own(graph: Any) -> None:
    store, _, _ = graph
    horatio, peregrine = cid(store, "R-N1"), cid(store, "R-N3")
    edges = referred(store, horatio, peregrine)
    assert [e["source"] for e in edges] == ["nlp", "referral"]  # the mapper's edge stays
    nlp, mapper = edges
    assert nlp["status"] == "candidate" and nlp["note"] == "interactions:N-1"
    assert "interaction:interactions:N-1" in nlp["evidence"]
    assert "phrase:referred by" in nlp["evidence"]
    assert 0 < nlp["confidence"] == nlp["strength"] < 1
    assert mapper["status"] is None and "record:crm:R-N3" in mapper["evidence"]


def test_introduced_me_to_points_from_the_notes_customer(graph: Any) -> None:
    store, _, _ = graph
    horatio, araminta = cid(store, "R-N1"), cid(store, "R-N2")
    [edge] = referred(store, horatio, araminta)
    assert edge["source"] == "nlp" and edge["note"] == "interactions:N-2"
    assert "referred:Araminta Quillfeather" in edge["evidence"]
    # the name and the phone in the same note both point at her: one MENTIONS edge
    found = mentions(store, "interactions:N-2")
    assert set(found) == {araminta}
    assert found[araminta]["matched"] == ["name", "phone"]
    assert found[araminta]["source"] == "nlp" and found[araminta]["model"] == "rules"


def test_mentions_resolve_by_name_phone_and_business(graph: Any) -> None:
    store, _, _ = graph
    horatio = cid(store, "R-N1")
    business = store.run_cypher(
        "MATCH (c:Customer {kind: 'business'}) WHERE c.name STARTS WITH 'Zephyrine' RETURN c.id AS id"
    )
    assert len(business) == 1
    found = mentions(store, "interactions:N-1")
    assert set(found) == {horatio, business[0]["id"]}
    assert found[business[0]["id"]]["label"] == "ORG"
    by_phone = mentions(store, "interactions:N-3")
    assert set(by_phone) == {horatio} and by_phone[horatio]["matched"] == ["phone"]


def test_namesakes_foreign_text_and_own_customer_give_no_edges(graph: Any) -> None:
    store, _, _ = graph
    for key in ("interactions:N-4", "interactions:N-5", "interactions:N-6"):
        assert mentions(store, key) == {}, key
    rows = store.run_cypher(
        "MATCH (i:Interaction) WHERE i.key IN $keys RETURN i.key AS key, i.nlp_status AS status, "
        "i.nlp_language AS language, i.nlp_problem AS problem, i.nlp_sentiment AS sentiment, "
        "i.nlp_mentions AS mentions ORDER BY key",
        {"keys": ["interactions:N-4", "interactions:N-5", "interactions:N-6"]},
    )
    spanish, namesake, own = rows
    assert (spanish["status"], spanish["language"]) == ("not_english", "es")
    assert "not English" in spanish["problem"] and spanish["sentiment"] is None
    assert namesake["mentions"] == ["PERSON:Ignatius Blackwood"]  # found, not linked
    assert own["sentiment"] == "positive"


def test_a_social_caption_is_evidence_too(graph: Any) -> None:
    store, _, _ = graph
    leopold, araminta = cid(store, "R-N4"), cid(store, "R-N2")
    assert set(mentions(store, "crm:R-N2", "Record")) == {leopold}
    [edge] = referred(store, leopold, araminta)
    assert edge["note"] == "crm:R-N2" and "record:crm:R-N2" in edge["evidence"]


def test_a_quickbooks_customers_notes_name_who_referred_them(graph: Any) -> None:
    store, _, _ = graph
    peregrine = cid(store, "R-N3")
    [cordelia] = store.run_cypher(
        "MATCH (:Record {key: 'qbo:N-Q1'})-[:RESOLVES_TO]->(c:Customer) RETURN c.id AS id"
    )
    [edge] = referred(store, peregrine, cordelia["id"])
    assert edge["source"] == "nlp" and edge["status"] == "candidate"
    assert edge["note"] == "qbo:N-Q1" and "record:qbo:N-Q1" in edge["evidence"]


def test_a_second_run_changes_nothing_and_the_mapper_keeps_its_hands_off(graph: Any) -> None:
    store, _, _ = graph
    before = store.run_cypher(
        "MATCH ()-[e:REFERRED|MENTIONS]->() RETURN type(e) AS type, e.source AS source, "
        "e.note AS note, e.at AS at ORDER BY type, source, note"
    )
    again = NotesJob(store, NotesConfig(model="none")).run()
    assert again.analysed == 0 and again.unchanged == again.texts > len(NOTES)
    RelationshipMapper(store).run(scores=False)
    after = store.run_cypher(
        "MATCH ()-[e:REFERRED|MENTIONS]->() RETURN type(e) AS type, e.source AS source, "
        "e.note AS note, e.at AS at ORDER BY type, source, note"
    )
    assert after == before


def test_the_command_runs_the_job_on_the_configured_graph(
    graph: Any, falkordb_server: ServerInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _, tmp = graph
    monkeypatch.setenv("C360_GRAPH_URI", f"redis://127.0.0.1:{falkordb_server.port}")
    monkeypatch.setenv("C360_GRAPH_NAME", store.graph_name)
    monkeypatch.setenv("C360_HOME", str(tmp / "home"))
    result = CliRunner().invoke(notes_app, ["run", "--model", "none", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["model"] == "rules" and report["analysed"] == 0
    assert report["unchanged"] == report["texts"] > len(NOTES)


def test_an_empty_graph_gives_an_empty_report(falkordb_store: FalkorDBStore) -> None:
    report = NotesJob(falkordb_store, NotesConfig(model="none")).run()
    assert (report.texts, report.analysed, report.referrals, report.gazetteer_names) == (0, 0, 0, 0)


def test_a_changed_note_takes_its_referral_back(graph: Any) -> None:
    store, _, tmp = graph
    changed = dict(NOTES)
    changed["N-1"] = ("R-N3", "Wants a quote for Zephyrine Ironworks.")
    path = write_csv(tmp / "notes2.csv", INTERACTIONS_HEADER, interaction_rows(changed))
    summary = ingest_file(path, "interactions", store, Quarantine(tmp / "quarantine"))
    assert summary.updated == 1
    report = NotesJob(store, NotesConfig(model="none")).run()
    assert report.analysed == 1 and report.referrals_removed == 1
    horatio, peregrine = cid(store, "R-N1"), cid(store, "R-N3")
    assert [e["source"] for e in referred(store, horatio, peregrine)] == ["referral"]
    assert set(mentions(store, "interactions:N-1")) != set()  # the business is still named

"""Ingest real files end to end into a real (embedded) FalkorDB graph.

Every test reads a file from disk with `ingest.pipeline.ingest_file`, then checks three
things exactly: the run's summary (rows = new + updated + unchanged + quarantined), the
quarantine entries (file, line, profile, reason) and what the graph now holds.
"""

from __future__ import annotations

import csv
import gc
import json
import multiprocessing
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from c360.settings import REPO_ROOT
from graph.falkordb_store import FalkorDBStore
from ingest import pipeline
from ingest.pipeline import IngestSummary, ingest_file, replay
from ingest.quarantine import Quarantine, QuarantineEntry
from ingest.readers import RawRow, SourceFileError

pytestmark = pytest.mark.falkordb

SOURCES = REPO_ROOT / "tests" / "fixtures" / "sources"
THRESHOLDS = gc.get_threshold()  # an ingest tunes the cyclic GC while it runs, then restores it

CRM_HEADER = [
    "Contact ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Mobile Phone",
    "Company",
    "Job Title",
    "Street Address",
    "City",
    "Parish",
    "Lead Status",
    "Notes",
]


# -- helpers ---------------------------------------------------------------------------


def write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def crm_row(
    contact_id: str,
    first: str,
    last: str,
    email: str = "",
    phone: str = "",
    company: str = "",
    notes: str = "",
    city: str = "Kingston",
) -> list[str]:
    return [
        contact_id,
        first,
        last,
        email,
        phone,
        "",
        company,
        "",
        "",
        city,
        "St. Andrew",
        "Open",
        notes,
    ]


def record(store: FalkorDBStore, key: str) -> dict[str, Any] | None:
    rows = store.run("views/record", {"key": key})
    assert len(rows) <= 1
    return rows[0] if rows else None


def record_keys(store: FalkorDBStore, source: str) -> set[str]:
    rows = store.run_cypher("MATCH (r:Record {source: $s}) RETURN r.key AS key", {"s": source})
    return {r["key"] for r in rows}


def activity_keys(store: FalkorDBStore, label: str, source: str) -> set[str]:
    rows = store.run_cypher(f"MATCH (a:{label} {{source: $s}}) RETURN a.key AS key", {"s": source})
    return {r["key"] for r in rows}


STAT_KINDS = (
    "Record",
    "Email",
    "Phone",
    "Address",
    "Handle",
    "Website",
    "Interaction",
    "Transaction",
    "HAS_EMAIL",
    "HAS_PHONE",
    "LOCATED_AT",
    "HAS_HANDLE",
    "HAS_WEBSITE",
    "WORKS_AT",
    "HAS_INTERACTION",
    "HAS_TRANSACTION",
)


def graph_stats(store: FalkorDBStore) -> dict[str, int]:
    """views/graph_stats as {kind: count}, every kind present (the view leaves out kinds
    with no nodes / edges: `'Email' AS kind` is a grouping key, and a grouped count over
    no rows is no row)."""
    stats = {r["kind"]: r["count"] for r in store.run("views/graph_stats")}
    assert set(stats) <= set(STAT_KINDS)
    return {kind: stats.get(kind, 0) for kind in STAT_KINDS}


def entries_for(quarantine: Quarantine, path: Path) -> list[QuarantineEntry]:
    return [e for e in quarantine.all() if e.file == str(path)]


def assert_counts(
    summary: IngestSummary,
    *,
    rows: int,
    new: int,
    updated: int = 0,
    unchanged: int = 0,
    quarantined: int = 0,
) -> None:
    got = (summary.rows, summary.new, summary.updated, summary.unchanged, summary.quarantined)
    assert got == (rows, new, updated, unchanged, quarantined), summary.as_dict()
    assert summary.balanced
    assert summary.rows == summary.new + summary.updated + summary.unchanged + summary.quarantined


def ingest(
    path: Path, profile: str, store: FalkorDBStore, quarantine: Quarantine, **options: Any
) -> IngestSummary:
    options.setdefault("workers", 0)
    return ingest_file(path, profile, store, quarantine, **options)


# -- every profile's fixture file -------------------------------------------------------

# profile -> (file, profiles to ingest first, rows, new primary keys, derived keys,
#             {quarantined line: a fragment its reason must hold})
FIXTURE_CASES: dict[str, tuple[str, tuple[str, ...], int, set[str], set[str], dict[int, str]]] = {
    "crm-contacts": (
        "crm_contacts.csv",
        (),
        8,
        {"crm:C-1001", "crm:C-1002", "crm:C-1003"},
        {"crm:org:blue mountain coffee", "crm:org:island grill"},
        {5: "email", 6: "phone", 7: "contact_id", 8: "identifies no one", 9: "date_of_birth"},
    ),
    "qbo-customers": (
        "qbo_customers.json",
        (),
        7,
        {"qbo:58", "qbo:59", "qbo:60"},
        {"qbo:org:blue mountain coffee"},
        {4: "PrimaryEmailAddr.Address", 5: "identifies no one", 6: "Id", 7: "CurrencyRef"},
    ),
    "sheets-leads": (
        "sheets_leads.csv",
        (),
        7,
        {"sheets:L-001", "sheets:L-002", "sheets:L-003"},
        {"sheets:org:blue mountain coffee"},
        {5: "phone", 6: "identifies no one", 7: "lead_id", 8: "email"},
    ),
    "directory": (
        "directory.json",
        (),
        5,
        {"directory:50012", "directory:YP-50013"},
        set(),
        {3: "identifies nothing", 4: "phones", 5: "rating"},
    ),
    "instagram": (
        "instagram.jsonl",
        (),
        6,
        {"instagram:tashasnails", "instagram:robert.brown.ja", "instagram:bluemountaincoffee"},
        set(),
        {4: "username", 5: "username", 6: "business_email"},
    ),
    "interactions": (
        "interactions.csv",
        ("crm-contacts", "sheets-leads"),
        6,
        {"interactions:I-1", "interactions:I-2", "interactions:I-3"},
        set(),
        {5: "carrier pigeon", 6: "record_source", 7: "occurred_at"},
    ),
    "transactions": (
        "transactions.csv",
        ("crm-contacts", "qbo-customers", "instagram"),
        7,
        {"pos:T-1", "pos:T-2", "pos:T-3"},
        set(),
        {5: "amount", 6: "amount", 7: "amount", 8: "currency"},
    ),
    "qbo-transactions": (
        "qbo_transactions.json",
        ("qbo-customers",),
        5,
        {"qbo:invoice:130", "qbo:invoice:131", "qbo:salesreceipt:130"},
        set(),
        {3: "CustomerRef", 5: "TxnDate"},
    ),
}

# Which Record each landed activity hangs off.
ACTIVITY_OWNERS = {
    "interactions:I-1": "crm:C-1001",
    "interactions:I-2": "sheets:L-002",
    "interactions:I-3": "crm:C-1002",
    "pos:T-1": "crm:C-1001",
    "pos:T-2": "qbo:58",
    "pos:T-3": "instagram:tashasnails",
    "qbo:invoice:130": "qbo:58",
    "qbo:invoice:131": "qbo:59",
    "qbo:salesreceipt:130": "qbo:60",
}


def ingest_fixture(profile: str, store: FalkorDBStore, quarantine: Quarantine) -> IngestSummary:
    return ingest(SOURCES / FIXTURE_CASES[profile][0], profile, store, quarantine)


@pytest.mark.parametrize("profile", list(FIXTURE_CASES))
def test_fixture_file_ingests(
    profile: str, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    file, needs, rows, keys, derived, bad_lines = FIXTURE_CASES[profile]
    for needed in needs:
        first = ingest_fixture(needed, falkordb_store, quarantine)
        assert first.balanced and first.new == len(FIXTURE_CASES[needed][3])

    summary = ingest_fixture(profile, falkordb_store, quarantine)

    assert_counts(summary, rows=rows, new=len(keys), quarantined=len(bad_lines))
    assert summary.derived_written == len(derived)
    source = next(iter(keys)).split(":", 1)[0]
    if profile in {"interactions", "transactions", "qbo-transactions"}:
        label = "Interaction" if profile == "interactions" else "Transaction"
        landed = activity_keys(falkordb_store, label, source)
        assert len(landed) == summary.new and landed == keys
        for key in keys:
            owner = falkordb_store.run_cypher(
                f"MATCH (r:Record)-[:HAS_{label.upper()}]->(a:{label} {{key: $k}}) "
                "RETURN r.key AS owner",
                {"k": key},
            )
            assert [o["owner"] for o in owner] == [ACTIVITY_OWNERS[key]]
    else:
        landed = record_keys(falkordb_store, source)
        assert len(landed) == summary.new + summary.derived_written
        assert landed == keys | derived

    entries = entries_for(quarantine, SOURCES / file)
    assert sorted(e.line for e in entries) == sorted(bad_lines)
    for entry in entries:
        assert entry.profile == profile
        assert bad_lines[entry.line] in entry.reason, (entry.line, entry.reason)


def test_person_with_company_lands_with_its_derived_business(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    """Two contacts at one company: both persons land (2 new), the business record they
    imply is written once (derived, not counted as a row's own record), both WORKS_AT it."""
    path = write_csv(
        tmp_path / "contacts.csv",
        CRM_HEADER,
        [
            crm_row(
                "C-1",
                "Robert",
                "Brown",
                "robert.brown@bluemountain.com.jm",
                "876-927-1234",
                company="Blue Mountain Coffee Co. Ltd",
            ),
            crm_row(
                "C-2",
                "Liz",
                "Campbell",
                "liz@bluemountain.com.jm",
                "876-927-1299",
                company="BLUE MOUNTAIN COFFEE LIMITED",
            ),
            crm_row("C-3", "Omar", "Hylton", "omar.hylton@gmail.com", "876-881-2345"),
        ],
    )

    summary = ingest(path, "crm-contacts", falkordb_store, quarantine)

    assert_counts(summary, rows=3, new=3)
    assert summary.derived_written == 1
    assert entries_for(quarantine, path) == []
    business = "crm:org:blue mountain coffee"
    assert record_keys(falkordb_store, "crm") == {"crm:C-1", "crm:C-2", "crm:C-3", business}
    for key in ("crm:C-1", "crm:C-2"):
        found = record(falkordb_store, key)
        assert found is not None, f"{key} was counted as new but is not in the graph"
        assert found["works_at"] == [business]
        assert found["record"]["kind"] == "person"
    biz = record(falkordb_store, business)
    assert biz is not None and biz["record"]["kind"] == "business"


# -- idempotence and change ---------------------------------------------------------------


@pytest.mark.parametrize("profile", list(FIXTURE_CASES))
def test_reingest_same_file_is_idempotent(
    profile: str, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    for needed in FIXTURE_CASES[profile][1]:
        ingest_fixture(needed, falkordb_store, quarantine)
    first = ingest_fixture(profile, falkordb_store, quarantine)
    stats_after_first = graph_stats(falkordb_store)

    second = ingest_fixture(profile, falkordb_store, quarantine)

    assert_counts(
        second,
        rows=first.rows,
        new=0,
        updated=0,
        unchanged=first.rows - first.quarantined,
        quarantined=first.quarantined,
    )
    assert second.derived_written == 0
    assert graph_stats(falkordb_store) == stats_after_first


def test_changed_row_is_updated_and_relinked(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    rows = [
        crm_row("C-1", "Ann", "Lee", "ann.lee@yahoo.com", "876-555-0101"),
        crm_row("C-2", "Paul", "Grant", "pgrant@gmail.com", "876-555-0102"),
        crm_row("C-3", "Sasha", "Reid", "sasha.reid@gmail.com", "876-555-0103"),
    ]
    path = write_csv(tmp_path / "contacts.csv", CRM_HEADER, rows)
    assert_counts(ingest(path, "crm-contacts", falkordb_store, quarantine), rows=3, new=3)
    before = record(falkordb_store, "crm:C-1")
    assert before is not None and before["phones"] == ["+18765550101"]

    rows[0] = crm_row("C-1", "Ann", "Lee", "ann.lee@yahoo.com", "876-555-0199")
    write_csv(path, CRM_HEADER, rows)
    summary = ingest(path, "crm-contacts", falkordb_store, quarantine)

    assert_counts(summary, rows=3, new=0, updated=1, unchanged=2)
    after = record(falkordb_store, "crm:C-1")
    assert after is not None
    assert after["phones"] == ["+18765550199"]
    assert after["emails"] == ["ann.lee@yahoo.com"]
    assert after["record"]["hash"] != before["record"]["hash"]
    # The old Phone node stays (identifier nodes are shared, never deleted), unlinked.
    old = falkordb_store.run_cypher(
        "MATCH (p:Phone {e164: '+18765550101'}) "
        "RETURN count(p) AS nodes, size([(r:Record)-[:HAS_PHONE]->(p) | r]) AS links"
    )
    assert old == [{"nodes": 1, "links": 0}]
    stats = graph_stats(falkordb_store)
    assert stats["Record"] == 3 and stats["Phone"] == 4 and stats["HAS_PHONE"] == 3
    assert entries_for(quarantine, path) == []


def test_record_view_lists_every_identifier(
    falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    """views/record against the edges themselves, for a record with one of everything."""
    for profile in ("qbo-customers", "qbo-transactions"):
        ingest_fixture(profile, falkordb_store, quarantine)
    key = "qbo:58"

    def linked(rel: str, prop: str) -> list[Any]:
        rows = falkordb_store.run_cypher(
            f"MATCH (:Record {{key: $k}})-[:{rel}]->(x) RETURN x.{prop} AS v", {"k": key}
        )
        return sorted(r["v"] for r in rows)

    expected = {
        "emails": linked("HAS_EMAIL", "value"),
        "phones": linked("HAS_PHONE", "e164"),
        "addresses": linked("LOCATED_AT", "key"),
        "websites": linked("HAS_WEBSITE", "domain"),
        "works_at": linked("WORKS_AT", "key"),
    }
    assert expected["emails"] == ["rbrown@bluemountaincoffee.com.jm", "robertbrown@gmail.com"]
    assert expected["phones"] == ["+18765551234", "+18769271234"]
    assert len(expected["addresses"]) == 1
    assert expected["websites"] == ["bluemountaincoffee.com.jm"]
    assert expected["works_at"] == ["qbo:org:blue mountain coffee"]

    view = record(falkordb_store, key)

    assert view is not None
    assert {k: sorted(view[k]) for k in expected} == expected
    assert view["transactions"] == 1 and view["interactions"] == 0


# -- bad input ----------------------------------------------------------------------------

_SPAN = re.compile(r"lines (\d+)-(\d+)")

GOOD_LINES = {
    2: "C-1,Ann,Lee,ann.lee@yahoo.com,876-555-0101,,,,,Kingston,St. Andrew,Open,",
    3: "C-2,Paul,Grant,pgrant@gmail.com,876-555-0102,,,,,Kingston,St. Andrew,Open,",
    5: "C-4,Peter,Gayle,peter.gayle@gmail.com,876-555-0104,,,,,Kingston,St. Andrew,Open,",
    6: "C-5,Tanya,Reid,tanya.reid@gmail.com,876-555-0105,,,,,Kingston,St. Andrew,Open,",
    7: "C-6,Dwayne,Clarke,dclarke@gmail.com,876-555-0106,,,,,Kingston,St. Andrew,Open,"
    '"called twice, no answer"',
    8: "C-7,Keisha,Williams,keisha.w@gmail.com,876-555-0107,,,,,Kingston,St. Andrew,Open,",
    9: "C-8,Marlon,Shaw,marlon.shaw@gmail.com,876-555-0108,,,,,Mandeville,Manchester,Open,",
}
LINE_KEYS = {
    2: "crm:C-1",
    3: "crm:C-2",
    4: "crm:C-3",
    5: "crm:C-4",
    6: "crm:C-5",
    7: "crm:C-6",
    8: "crm:C-7",
    9: "crm:C-8",
}

# line 4 as broken (and line 5 when given), what then lands, and the quarantined spans
BROKEN_QUOTING: dict[str, tuple[str, str | None, set[int], list[tuple[int, int]]]] = {
    # A quote opens a field and is closed by the first quote of line 7 (a quoted Notes
    # field): lines 4-7 are one unreadable record; the reader resyncs on line 8.
    "unclosed-until-later-quote": (
        'C-3,"Marcia,Brown,marcia.b@gmail.com,876-555-0103,,,,,Kingston,St. Andrew,Open,',
        None,
        {2, 3, 8, 9},
        [(4, 7)],
    ),
    # Text after a closing quote: only that line is unreadable.
    "junk-after-closing-quote": (
        'C-3,"Marcia" Ann,Brown,marcia.b@gmail.com,876-555-0103,,,,,Kingston,St. Andrew,Open,',
        None,
        {2, 3, 5, 6, 7, 8, 9},
        [(4, 4)],
    ),
    # A quote inside an unquoted field is a literal character: everything lands.
    "quote-inside-field": (
        'C-3,Marcia "Marcy",Brown,marcia.b@gmail.com,876-555-0103,,,,,Kingston,St. Andrew,Open,',
        None,
        {2, 3, 4, 5, 6, 7, 8, 9},
        [],
    ),
    # The stray quote closes on line 5 in the same column: one record of the right width
    # whose First Name holds line 5; it fails validation, and the entry's row holds line 5.
    "closed-on-next-line-same-column": (
        'C-3,"Marcia,Brown,marcia.b@gmail.com,876-555-0103,,,,,Kingston,St. Andrew,Open,',
        'C-4,Peter",Gayle,peter.gayle@gmail.com,876-555-0104,,,,,Kingston,St. Andrew,Open,',
        {2, 3, 6, 7, 8, 9},
        [(4, 5)],
    ),
    # A Notes cell starting with a quote, closed by the inch mark ending line 5's Notes:
    # valid-looking CSV of the right width, so Marcia's row would swallow Peter's.
    "notes-closed-by-inch-mark-on-next-line": (
        "C-3,Marcia,Brown,marcia.b@gmail.com,876-555-0103,,,,,Kingston,St. Andrew,Open,"
        '"VIP, wants 20lb monthly',
        "C-4,Peter,Gayle,peter.gayle@gmail.com,876-555-0104,,,,,Kingston,St. Andrew,Open,"
        "height 5'10\"",
        {2, 3, 6, 7, 8, 9},
        [(4, 5)],
    ),
    # The quote is never closed: the rest of the file is one unreadable record.
    "unclosed-to-end-of-file": (
        'C-3,"Marcia,Brown,marcia.b@gmail.com,876-555-0103,,,,,Kingston,St. Andrew,Open,',
        None,
        {2, 3},
        [(4, 9)],
    ),
}


def _covered_lines(entry: QuarantineEntry) -> tuple[int, int]:
    """The physical lines a quarantine entry accounts for: the span the reader named, or
    the entry's line plus as many as the line breaks inside its (multi-line) fields."""
    match = _SPAN.search(entry.reason) or _SPAN.search(str(entry.row.get("_raw", "")))
    if match:
        return int(match.group(1)), int(match.group(2))
    breaks = sum(v.count("\n") for v in entry.row.values() if isinstance(v, str))
    return entry.line, entry.line + breaks


@pytest.mark.parametrize("case", list(BROKEN_QUOTING))
def test_broken_csv_quoting_loses_no_line(
    case: str, tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    line4, line5, landed_lines, spans = BROKEN_QUOTING[case]
    lines = {**GOOD_LINES, 4: line4}
    if line5 is not None:
        lines[5] = line5
    if case == "unclosed-to-end-of-file":
        lines[7] = lines[7].replace('"called twice, no answer"', "called twice")
    path = tmp_path / "contacts.csv"
    path.write_text(",".join(CRM_HEADER) + "\n" + "".join(lines[n] + "\n" for n in range(2, 10)))

    summary = ingest(path, "crm-contacts", falkordb_store, quarantine)

    assert summary.balanced
    entries = entries_for(quarantine, path)
    got_spans = sorted(_covered_lines(e) for e in entries)
    # Every data line is either a landed record or inside exactly one quarantined span.
    covered = [n for a, b in got_spans for n in range(a, b + 1)]
    landed = {n for n, key in LINE_KEYS.items() if record(falkordb_store, key) is not None}
    assert len(covered) == len(set(covered))
    assert set(covered).isdisjoint(landed)
    assert set(covered) | landed == set(range(2, 10)), (
        f"lines neither landed nor quarantined: {set(range(2, 10)) - set(covered) - landed}"
    )
    assert landed == landed_lines
    assert got_spans == spans
    assert summary.new == len(landed_lines) and summary.quarantined == len(spans)
    assert record_keys(falkordb_store, "crm") == {LINE_KEYS[n] for n in landed_lines}
    for entry in entries:
        assert entry.profile == "crm-contacts" and entry.line == 4
        if entry.stage == "read":
            assert not entry.replayable and "quoting" in entry.reason
    if case == "closed-on-next-line-same-column":
        (entry,) = entries
        assert entry.stage == "validate" and "first_name" in entry.reason
        assert "C-4,Peter" in entry.row["first_name"]
    if case == "quote-inside-field":
        marcia = record(falkordb_store, "crm:C-3")
        assert marcia is not None and marcia["record"]["family_name"] == "Brown"
        assert marcia["record"]["given_name"] == 'Marcia "Marcy"'


def test_cp1252_file_lands_with_correct_text(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    path = write_csv(
        tmp_path / "contacts_excel.csv",
        CRM_HEADER,
        [
            crm_row(
                "C-1",
                "José",
                "Hernández",
                "jose.hernandez@gmail.com",
                "876-555-0101",
                notes="Café owner – prefers WhatsApp",
            ),
            crm_row("C-2", "Chloé", "Bélanger", "chloe.b@yahoo.com", "876-555-0102"),
            crm_row(
                "C-3",
                "Siobhán",
                "O’Connor",
                "siobhan@gmail.com",
                "876-555-0103",
                city="Montego Bay",
            ),
        ],
        encoding="cp1252",
    )
    raw = path.read_bytes()
    assert b"Jos\xe9" in raw and b"O\x92Connor" in raw  # really cp1252, not UTF-8

    summary = ingest(path, "crm-contacts", falkordb_store, quarantine)

    assert_counts(summary, rows=3, new=3)
    names = {}
    for key in ("crm:C-1", "crm:C-2", "crm:C-3"):
        found = record(falkordb_store, key)
        assert found is not None
        names[key] = (found["record"]["name"], found["record"]["name_folded"])
    assert names == {
        "crm:C-1": ("José Hernández", "jose hernandez"),
        "crm:C-2": ("Chloé Bélanger", "chloe belanger"),
        "crm:C-3": ("Siobhán O'Connor", "siobhan oconnor"),
    }


def test_utf8_bom_first_column_recognised(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    path = write_csv(
        tmp_path / "contacts_bom.csv",
        CRM_HEADER,
        [
            crm_row("C-1", "André", "McKenzie", "andre.mckenzie@gmail.com", "876-555-0101"),
            crm_row("C-2", "Chloé", "Bélanger", "chloe.b@yahoo.com", "876-555-0102"),
        ],
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbfContact ID,")

    summary = ingest(path, "crm-contacts", falkordb_store, quarantine)

    assert_counts(summary, rows=2, new=2)
    found = record(falkordb_store, "crm:C-1")
    assert found is not None
    assert found["record"]["source_id"] == "C-1"
    assert found["record"]["name"] == "André McKenzie"


def test_empty_file_is_refused(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    path = tmp_path / "empty_export.csv"
    path.write_bytes(b"")
    with pytest.raises(SourceFileError) as info:
        ingest(path, "crm-contacts", falkordb_store, quarantine)
    assert "empty_export.csv" in str(info.value)
    assert "empty" in info.value.reason
    assert graph_stats(falkordb_store)["Record"] == 0
    assert list(quarantine.all()) == []


def test_header_only_file_is_refused(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    path = write_csv(tmp_path / "header_only.csv", CRM_HEADER, [])
    with pytest.raises(SourceFileError) as info:
        ingest(path, "crm-contacts", falkordb_store, quarantine)
    assert "header_only.csv" in str(info.value)
    assert "no data rows" in info.value.reason
    assert graph_stats(falkordb_store)["Record"] == 0
    assert list(quarantine.all()) == []


@pytest.mark.parametrize(
    ("profile", "header", "row", "missing"),
    [
        (
            "crm-contacts",
            ["First Name", "Last Name", "Email"],
            ["Ann", "Lee", "ann.lee@yahoo.com"],
            "contact_id",
        ),
        (
            "transactions",
            ["txn_id", "record_source", "record_id", "date", "currency"],
            ["T-1", "crm", "C-1", "2024-02-14", "JMD"],
            "amount",
        ),
        (
            "interactions",
            ["interaction_id", "record_id", "type", "occurred_at"],
            ["I-1", "C-1", "call", "2024-02-10"],
            "record_source",
        ),
    ],
)
def test_missing_required_column_is_refused(
    profile: str,
    header: list[str],
    row: list[str],
    missing: str,
    tmp_path: Path,
    falkordb_store: FalkorDBStore,
    quarantine: Quarantine,
) -> None:
    path = write_csv(tmp_path / "export.csv", header, [row])
    with pytest.raises(SourceFileError) as info:
        ingest(path, profile, falkordb_store, quarantine)
    message = str(info.value)
    assert "export.csv" in message
    assert f"missing required column(s) {missing}" in message
    assert profile in message
    assert list(quarantine.all()) == []


def test_documented_alias_of_required_column_is_accepted(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    """crm-contacts documents `contact_id (record_id, id)`: a HubSpot export calls the
    column "Record ID". The row model reads it; the file must not be refused for it."""
    path = write_csv(
        tmp_path / "hubspot.csv",
        ["Record ID", "First Name", "Last Name", "Email"],
        [["101", "Ann", "Lee", "ann.lee@yahoo.com"]],
    )
    summary = ingest(path, "crm-contacts", falkordb_store, quarantine)
    assert_counts(summary, rows=1, new=1)
    assert record(falkordb_store, "crm:101") is not None


def test_absurdly_long_fields_are_quarantined(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    path = write_csv(
        tmp_path / "contacts.csv",
        CRM_HEADER,
        [
            crm_row("C-1", "Ann", "Lee", "ann.lee@yahoo.com", "876-555-0101"),
            crm_row(
                "C-2",
                "Paul",
                "Grant",
                "pgrant@gmail.com",
                "876-555-0102",
                notes="pasted log " + "x" * 200_000,
            ),
            crm_row("C-3", "Sasha" * 1000, "Reid", "sasha.reid@gmail.com", "876-555-0103"),
            crm_row("C-4", "Omar", "Hylton", "omar.hylton@gmail.com", "876-555-0104"),
        ],
    )

    summary = ingest(path, "crm-contacts", falkordb_store, quarantine)

    assert_counts(summary, rows=4, new=2, quarantined=2)
    assert record_keys(falkordb_store, "crm") == {"crm:C-1", "crm:C-4"}
    entries = {e.line: e for e in entries_for(quarantine, path)}
    assert sorted(entries) == [3, 4]
    assert "'notes'" in entries[3].reason and "200011 characters" in entries[3].reason
    assert "first_name" in entries[4].reason and "5000 characters" in entries[4].reason
    assert "absurdly long" in entries[4].reason
    # The quarantine keeps the row readable, not 200k characters of it.
    assert len(json.dumps(entries[3].row)) < 5_000
    assert entries[3].row["contact_id"] == "C-2"


def _workbook(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["Contact ID", "First Name", "Last Name", "Email", "Phone", "Mobile Phone", "Created Date"]
    )
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_formula_without_cached_value_is_quarantined(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    # openpyxl saves formulas without a computed value, like a workbook written by a
    # script and never opened in Excel: nobody knows what the cell shows.
    path = _workbook(
        tmp_path / "contacts.xlsx",
        [
            ["C-1", "Ann", "Lee", "ann.lee@yahoo.com", "876-555-0101", None, None],
            ["C-2", "Paul", "Grant", "pgrant@gmail.com", '="876-555-"&"0102"', None, None],
            ["C-3", "Sasha", "Reid", "sasha.reid@gmail.com", "876-555-0103", None, None],
        ],
    )

    summary = ingest(path, "crm-contacts", falkordb_store, quarantine)

    assert_counts(summary, rows=3, new=2, quarantined=1)
    assert record_keys(falkordb_store, "crm") == {"crm:C-1", "crm:C-3"}
    (entry,) = entries_for(quarantine, path)
    assert entry.line == 3 and entry.profile == "crm-contacts"
    assert "formula" in entry.reason and "phone" in entry.reason


def test_xlsx_numeric_cells(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    path = _workbook(
        tmp_path / "contacts.xlsx",
        [
            [
                1001,
                "Ann",
                "Lee",
                "ann.lee@yahoo.com",
                8765550101,
                8763830000.0,
                datetime(2024, 1, 9),
            ],
            [1002.0, "Paul", "Grant", None, 8765550102, None, "2024-02-01"],
        ],
    )

    summary = ingest(path, "crm-contacts", falkordb_store, quarantine)

    assert_counts(summary, rows=2, new=2)
    ann = record(falkordb_store, "crm:1001")
    paul = record(falkordb_store, "crm:1002")
    assert ann is not None and paul is not None
    assert sorted(ann["phones"]) == ["+18763830000", "+18765550101"]
    assert ann["record"]["created"] == "2024-01-09"
    assert paul["phones"] == ["+18765550102"] and paul["emails"] == []


def test_duplicate_key_in_one_file(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    path = write_csv(
        tmp_path / "contacts.csv",
        CRM_HEADER,
        [
            crm_row("C-1", "Ann", "Lee", "ann.lee@yahoo.com", "876-555-0101"),
            crm_row("C-2", "Paul", "Grant", "pgrant@gmail.com", "876-555-0102"),
            crm_row("C-3", "Sasha", "Reid", "sasha.reid@gmail.com", "876-555-0103"),
            crm_row("C-2", "Paul", "Grant", "paul.grant@work.com.jm", "876-555-0199"),
        ],
    )

    summary = ingest(path, "crm-contacts", falkordb_store, quarantine)

    assert_counts(summary, rows=4, new=3, quarantined=1)
    (entry,) = entries_for(quarantine, path)
    assert (entry.line, entry.stage, entry.profile) == (5, "duplicate", "crm-contacts")
    assert "duplicate key crm:C-2" in entry.reason and "line 3" in entry.reason
    paul = record(falkordb_store, "crm:C-2")
    assert paul is not None and paul["emails"] == ["pgrant@gmail.com"]  # the first one won


def test_jsonl_broken_line(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    path = tmp_path / "profiles.jsonl"
    lines = [
        json.dumps(
            {
                "username": "tashasnails",
                "full_name": "Tasha's Nails",
                "business_email": "tashasnails@gmail.com",
                "is_business_account": True,
            }
        ),
        json.dumps({"username": "robert.brown.ja", "full_name": "Robert Brown"}),
        '{"username": "keisha_w", "full_name": "Keisha W", "biography": "Mobay',  # cut off
        "",
        json.dumps(
            {
                "username": "jerkcentre",
                "full_name": "Jerk Centre 🔥 | Ochi",
                "is_business_account": True,
            }
        ),
        '["not", "an", "object"]',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    summary = ingest(path, "instagram", falkordb_store, quarantine)

    assert_counts(summary, rows=5, new=3, quarantined=2)
    assert record_keys(falkordb_store, "instagram") == {
        "instagram:tashasnails",
        "instagram:robert.brown.ja",
        "instagram:jerkcentre",
    }
    entries = {e.line: e for e in entries_for(quarantine, path)}
    assert sorted(entries) == [3, 6]
    assert entries[3].reason.startswith("not valid JSON") and entries[3].stage == "read"
    assert "not an object" in entries[6].reason
    assert all(e.profile == "instagram" for e in entries.values())


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"Customers": [{"Id": "58", "DisplayName": "Robert Brown"}]}, "QueryResponse.Customer"),
        (
            {"QueryResponse": [{"Id": "58", "DisplayName": "Robert Brown"}]},
            "QueryResponse.Customer",
        ),
        ("Customer 58", "QueryResponse.Customer"),
        ({"QueryResponse": {"Customer": {"Id": "58", "DisplayName": "Robert Brown"}}}, "no rows"),
    ],
    ids=["wrong-key", "response-is-array", "a-string", "customer-not-an-array"],
)
def test_qbo_json_of_wrong_shape_is_refused(
    document: Any, says: str, tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    path = tmp_path / "qbo_customers.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SourceFileError) as info:
        ingest(path, "qbo-customers", falkordb_store, quarantine)
    assert "qbo_customers.json" in str(info.value)
    assert says in str(info.value)
    assert graph_stats(falkordb_store)["Record"] == 0
    assert list(quarantine.all()) == []


# -- replay -------------------------------------------------------------------------------


def test_replay_lands_interactions_once_their_records_exist(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    interactions = write_csv(
        tmp_path / "interactions.csv",
        ["interaction_id", "record_source", "record_id", "type", "occurred_at", "rep", "notes"],
        [
            ["I-1", "crm", "C-1", "Phone Call", "2024-02-10 14:30", "Kemar Lewis", "Wants 20lb"],
            ["I-2", "crm", "C-2", "visit", "2024-02-11", "Kemar Lewis", ""],
            ["I-3", "crm", "C-1", "WA", "2024-02-12", "Shanique", "Sent price list"],
            ["I-4", "crm", "C-2", "carrier pigeon", "2024-02-13", "", ""],
        ],
    )
    first = ingest(interactions, "interactions", falkordb_store, quarantine)
    assert_counts(first, rows=4, new=0, quarantined=4)
    before = {e.line: e for e in quarantine.pending()}
    assert sorted(before) == [2, 3, 4, 5]
    for line, key in ((2, "crm:C-1"), (3, "crm:C-2"), (4, "crm:C-1")):
        assert before[line].stage == "link" and before[line].replayable
        assert before[line].reason.startswith(f"unknown record {key}")
    assert "carrier pigeon" in before[5].reason

    contacts = write_csv(
        tmp_path / "contacts.csv",
        CRM_HEADER,
        [
            crm_row("C-1", "Ann", "Lee", "ann.lee@yahoo.com", "876-555-0101"),
            crm_row("C-2", "Paul", "Grant", "pgrant@gmail.com", "876-555-0102"),
        ],
    )
    assert_counts(ingest(contacts, "crm-contacts", falkordb_store, quarantine), rows=2, new=2)

    (summary,) = replay(falkordb_store, quarantine)

    assert summary.profile == "interactions" and summary.origin == str(interactions)
    assert_counts(summary, rows=4, new=3, quarantined=1)
    assert activity_keys(falkordb_store, "Interaction", "interactions") == {
        "interactions:I-1",
        "interactions:I-2",
        "interactions:I-3",
    }
    assert record(falkordb_store, "crm:C-1")["interactions"] == 2  # type: ignore[index]
    assert record(falkordb_store, "crm:C-2")["interactions"] == 1  # type: ignore[index]
    pending = quarantine.pending()
    assert not {e.id for e in pending} & {e.id for e in before.values()}
    # The row that fails again comes back as a new entry, same line, same reason.
    (again,) = pending
    assert (again.line, again.file, again.stage) == (5, str(interactions), "validate")
    assert again.reason == before[5].reason
    # A second replay lands nothing new and loses nothing.
    (rerun,) = replay(falkordb_store, quarantine)
    assert_counts(rerun, rows=1, new=0, quarantined=1)
    assert len(quarantine.pending()) == 1


# -- a larger file through the worker processes -------------------------------------------


@pytest.mark.slow
def test_large_file_through_worker_processes(
    tmp_path: Path,
    falkordb_store: FalkorDBStore,
    quarantine: Quarantine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    n = 12_000
    bad = {i for i in range(n) if i % 1000 == 999}  # an unusable email every 1000 rows
    towns = [
        ("Kingston", "St. Andrew"),
        ("Spanish Town", "St. Catherine"),
        ("Montego Bay", "St. James"),
        ("Mandeville", "Manchester"),
        ("May Pen", "Clarendon"),
    ]
    given = [
        "Ann",
        "Paul",
        "Sasha",
        "Omar",
        "Keisha",
        "Dwayne",
        "Tanya",
        "Marlon",
        "Chloé",
        "José",
        "Liz",
        "Kemar",
        "Shanique",
        "Robert",
        "Andre",
        "Marcia",
        "Peter",
    ]
    family = [
        "Lee",
        "Grant",
        "Reid",
        "Hylton",
        "Williams",
        "Clarke",
        "Brown",
        "Campbell",
        "McKenzie",
        "Hernández",
        "Gayle",
        "Shaw",
        "Lewis",
        "Thompson",
        "Francis",
    ]
    rows = [
        [
            f"C-{i:05d}",
            given[i % len(given)],
            family[i % len(family)],
            f"person{i} at example" if i in bad else f"person{i}@example.com",
            f"876-{3000000 + i:07d}",
            "",
            "",
            "Customer",
            f"{i % 200 + 1} Main Street",
            *towns[i % len(towns)],
            "Open",
            f"imported from the old CRM, row {i}",
        ]
        for i in range(n)
    ]
    rows.append(crm_row("C-00000", "Again", "Duplicate", "again@example.com", "876-555-0000"))
    path = write_csv(tmp_path / "big.csv", CRM_HEADER, rows)
    assert path.stat().st_size // 150 > pipeline.INLINE_ROWS  # big enough for the pool

    pools: list[str] = []
    real_get_context = multiprocessing.get_context

    def spy(method: str | None = None) -> Any:
        pools.append(str(method))
        return real_get_context(method)

    monkeypatch.setattr(pipeline.multiprocessing, "get_context", spy)
    summary = ingest_file(path, "crm-contacts", falkordb_store, quarantine, workers=1)

    assert pools == ["fork"]
    assert_counts(summary, rows=n + 1, new=n - len(bad), quarantined=len(bad) + 1)
    stats = graph_stats(falkordb_store)
    assert stats["Record"] == n - len(bad)
    assert stats["HAS_EMAIL"] == stats["Email"] == n - len(bad)
    assert stats["HAS_PHONE"] == stats["Phone"] == n - len(bad)
    assert stats["Address"] == 200 and stats["LOCATED_AT"] == n - len(bad)
    entries = {e.line: e for e in entries_for(quarantine, path)}
    assert set(entries) == {i + 2 for i in bad} | {n + 2}
    assert all("email" in entries[i + 2].reason for i in bad)
    assert "duplicate key crm:C-00000" in entries[n + 2].reason
    assert "line 2 " in entries[n + 2].reason
    sample = record(falkordb_store, "crm:C-04321")
    assert sample is not None
    assert sample["emails"] == ["person4321@example.com"]
    assert sample["phones"] == ["+18763004321"]


def crm_rows(n: int, fail_at: int | None = None) -> Iterator[RawRow]:
    """n raw CRM rows as the CSV reader gives them; a SourceFileError at row `fail_at`."""
    for i in range(n):
        if i == fail_at:
            raise SourceFileError(Path("big.csv"), "the disk went away")
        yield RawRow(i + 2, {"contact_id": f"C-{i:05d}", "first_name": "Ann", "last_name": "Lee"})


def test_reader_error_midway_stops_the_run_and_its_workers(
    falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    with pytest.raises(SourceFileError, match="the disk went away"):
        pipeline.ingest_rows(crm_rows(20_000, fail_at=6_500), "crm-contacts", falkordb_store,
                             quarantine, origin="big.csv", workers=2)  # fmt: skip
    assert multiprocessing.active_children() == []
    assert gc.get_threshold() == THRESHOLDS and gc.isenabled()


def test_worker_error_is_raised_by_the_run(
    falkordb_store: FalkorDBStore, quarantine: Quarantine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.prepare_row

    def buggy(profile: Any, data: dict[str, Any], *args: Any) -> Any:
        if data["contact_id"] == "C-04321":
            raise RuntimeError("a bug in a profile")
        return real(profile, data, *args)

    monkeypatch.setattr(pipeline, "prepare_row", buggy)  # the forked workers inherit it
    with pytest.raises(RuntimeError, match="a bug in a profile"):
        pipeline.ingest_rows(crm_rows(8_000), "crm-contacts", falkordb_store, quarantine,
                             origin="big.csv", workers=2)  # fmt: skip
    assert multiprocessing.active_children() == []


def test_json_rows_through_the_workers_keep_their_order(
    tmp_path: Path, falkordb_store: FalkorDBStore, quarantine: Quarantine
) -> None:
    customers = [
        {"Id": str(i), "GivenName": "Ann", "PrimaryEmailAddr": {"Address": f"ann{i}@example.com"}}
        if i % 997
        else "not a row"
        for i in range(1, 7_001)
    ]
    path = tmp_path / "customers.json"
    path.write_text(json.dumps({"QueryResponse": {"Customer": customers}}), encoding="utf-8")
    summary = ingest_file(path, "qbo-customers", falkordb_store, quarantine, workers=2)
    bad = [i for i in range(1, 7_001) if i % 997 == 0]
    assert_counts(summary, rows=7_000, new=7_000 - len(bad), quarantined=len(bad))
    assert sorted(e.line for e in entries_for(quarantine, path)) == bad
    assert record(falkordb_store, "qbo:4321")["emails"] == ["ann4321@example.com"]  # type: ignore[index]
    assert gc.get_threshold() == THRESHOLDS and gc.isenabled()

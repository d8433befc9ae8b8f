"""The demo data generator: files, manifest, answer key, determinism, and that every file
goes through its profile with only the planted bad rows refused."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from random import Random
from typing import Any

import pytest
from pydantic import ValidationError

from ingest.demo_data import (
    _SURNAME,
    FILES,
    SURNAME_TAIL_SHARE,
    SURNAMES,
    DemoSummary,
    generate,
    read_manifest,
)
from ingest.model import ActivityRecord, EvidenceRecord
from ingest.normalise import InvalidValue
from ingest.profiles import RowRejected, SourceProfile, get_profile

PEOPLE = 300


def snake(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", header.replace("#", " no ").lower()).strip("_")


def read_rows(path: Path, profile: SourceProfile) -> Iterator[Mapping[str, Any]]:
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            assert reader.fieldnames is not None
            reader.fieldnames = [snake(h) for h in reader.fieldnames]
            yield from reader
    elif path.suffix == ".jsonl":
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)
    else:
        yield from profile.rows_from_json(json.loads(path.read_bytes()))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    out = tmp_path_factory.mktemp("demo")
    seen: list[int] = []
    summary = generate(out, PEOPLE, seed=7, progress=seen.append)
    assert sum(seen) == PEOPLE  # increments, for a progress bar's advance
    assert len(seen) > 10 and all(n > 0 for n in seen)
    return out, summary


@pytest.fixture(scope="module")
def ingested(demo: tuple[Path, DemoSummary]) -> dict[str, Any]:
    """Every file through its profile: produced records/activities and rejections."""
    out, _ = demo
    records: dict[str, EvidenceRecord] = {}
    activities: list[ActivityRecord] = []
    rejected: dict[str, int] = {}
    rows: dict[str, int] = {}
    for entry in read_manifest(out)["files"]:
        profile = get_profile(entry["profile"])
        name = entry["file"]
        rows[name] = rejected[name] = 0
        for raw in read_rows(out / name, profile):
            rows[name] += 1
            try:
                produced = profile.to_items(profile.parse(raw))
            except (ValidationError, RowRejected, InvalidValue):
                rejected[name] += 1
                continue
            for item in produced:
                if isinstance(item, EvidenceRecord):
                    records[item.key] = item
                else:
                    activities.append(item)
    return {"records": records, "activities": activities, "rejected": rejected, "rows": rows}


def truth_lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "truth.jsonl").read_text("utf-8").splitlines()]


def test_files_and_manifest(demo: tuple[Path, DemoSummary]) -> None:
    out, summary = demo
    manifest = read_manifest(out)
    names = [entry["file"] for entry in manifest["files"]]
    assert names == [f for f, _, _ in FILES]
    for name in [*names, "truth.jsonl", "manifest.json"]:
        assert (out / name).is_file(), name
    assert not list(out.glob(".*")), "no temporary files left behind"
    # records before the activities that hang off them
    parts = [entry["part"] for entry in manifest["files"]]
    assert parts == sorted(parts, key=lambda p: p != "records")
    assert manifest["people"] == summary.people == PEOPLE
    assert manifest["businesses"] == summary.businesses == PEOPLE // 6
    assert summary.rows == {e["file"]: e["rows"] for e in manifest["files"]}
    assert summary.records == sum(e["rows"] for e in manifest["files"] if e["part"] == "records")
    assert summary.total_records == summary.records
    # roughly two to three source records per person, derived business records included
    assert 1.8 * PEOPLE <= summary.records + summary.derived_records <= 3.2 * PEOPLE


def test_row_counts_match_the_manifest(
    demo: tuple[Path, DemoSummary], ingested: dict[str, Any]
) -> None:
    out, _ = demo
    for entry in read_manifest(out)["files"]:
        assert ingested["rows"][entry["file"]] == entry["rows"] > 0, entry["file"]


def test_every_file_parses_with_only_the_planted_bad_rows_refused(
    demo: tuple[Path, DemoSummary], ingested: dict[str, Any]
) -> None:
    out, _ = demo
    planted = 0
    for entry in read_manifest(out)["files"]:
        name = entry["file"]
        refused = ingested["rejected"][name]
        assert refused == entry["bad_rows"], name
        assert refused <= 0.06 * entry["rows"], name
        planted += entry["bad_rows"]
    assert planted > 0
    # the big files always get some
    rejected = ingested["rejected"]
    assert rejected["crm_contacts.csv"] > 0
    assert rejected["interactions.csv"] > 0


def test_truth_covers_every_record(
    demo: tuple[Path, DemoSummary], ingested: dict[str, Any]
) -> None:
    out, summary = demo
    lines = truth_lines(out)
    record_truth = {t["key"]: t for t in lines if t["type"] == "record"}
    assert len(record_truth) == sum(1 for t in lines if t["type"] == "record"), "unique keys"

    # every key of the answer key is a row of some file (derived "org:" records aside) ...
    row_keys: set[str] = set()
    for entry in read_manifest(out)["files"]:
        if entry["part"] != "records":
            continue
        profile = get_profile(entry["profile"])
        for raw in read_rows(out / entry["file"], profile):
            try:
                row = profile.parse(raw)
            except ValidationError:
                continue
            row_keys.update(
                item.key
                for item in _items_or_none(profile, row)
                if isinstance(item, EvidenceRecord) and ":org:" not in item.key
            )
    for key, t in record_truth.items():
        if t.get("derived"):
            assert ":org:" in key
        elif not t.get("bad"):
            assert key in row_keys, key
    # ... and every record the profiles produce has its entity in the answer key.
    produced: dict[str, EvidenceRecord] = ingested["records"]
    assert set(produced) <= set(record_truth)
    for key, record in produced.items():
        t = record_truth[key]
        assert t["kind"] == record.kind.value
        assert t["entity"][0] == ("P" if record.kind.value == "person" else "B")
        assert not t.get("bad")
    assert summary.derived_records == sum(1 for t in record_truth.values() if t.get("derived"))


def _items_or_none(profile: SourceProfile, row: Any) -> list[Any]:
    try:
        return profile.to_items(row)
    except (RowRejected, InvalidValue):
        return []


def test_the_same_person_appears_in_several_sources(
    demo: tuple[Path, DemoSummary], ingested: dict[str, Any]
) -> None:
    out, _ = demo
    by_entity: dict[str, set[str]] = {}
    for t in truth_lines(out):
        if t["type"] == "record" and not t.get("bad"):
            by_entity.setdefault(t["entity"], set()).add(t["key"].split(":")[0])
    people = [sources for entity, sources in by_entity.items() if entity.startswith("P")]
    assert len(people) >= 0.95 * PEOPLE
    assert max(len(s) for s in people) >= 3
    assert sum(1 for s in people if len(s) > 1) >= 0.3 * len(people)
    businesses = [s for entity, s in by_entity.items() if entity.startswith("B")]
    assert sum(1 for s in businesses if len(s) > 1) >= 0.3 * len(businesses)


def test_activities_hang_off_produced_records(ingested: dict[str, Any]) -> None:
    records: dict[str, EvidenceRecord] = ingested["records"]
    activities: list[ActivityRecord] = ingested["activities"]
    assert activities
    assert {a.kind.value for a in activities} == {"interaction", "transaction"}
    missing = [a.key for a in activities if a.record_key not in records]
    assert not missing, missing[:5]


def test_referrals_and_shared_identifiers(
    demo: tuple[Path, DemoSummary], ingested: dict[str, Any]
) -> None:
    out, summary = demo
    lines = truth_lines(out)
    referrals = [t for t in lines if t["type"] == "referral"]
    assert len(referrals) == summary.referrals > 0
    record_truth = {t["key"]: t for t in lines if t["type"] == "record"}
    records: dict[str, EvidenceRecord] = ingested["records"]
    for ref in referrals:
        assert ref["referrer"].startswith("P") and ref["referred"].startswith("P")
        assert record_truth[ref["record"]]["entity"] == ref["referred"]
        assert records[ref["record"]].fields["referred_by"] == ref["written_as"]
    # households and offices share phones; nothing else ties two entities together
    owners: dict[str, set[str]] = {}
    for key, record in records.items():
        for phone in record.phones:
            owners.setdefault(phone, set()).add(record_truth[key]["entity"])
        for handle in record.handles:
            owners.setdefault(handle.key, set()).add(record_truth[key]["entity"])
    assert any(len(v) > 1 for k, v in owners.items() if k.startswith("+1876"))
    assert all(len(v) == 1 for k, v in owners.items() if k.startswith("instagram:"))


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", 120, seed=3)
    b = generate(tmp_path / "b", 120, seed=3)
    c = generate(tmp_path / "c", 120, seed=4)
    assert a.rows == b.rows
    for name in [*(f for f, _, _ in FILES), "truth.jsonl", "manifest.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "crm_contacts.csv").read_bytes() != (
        tmp_path / "c" / "crm_contacts.csv"
    ).read_bytes()
    assert c.seed == 4


def test_names_have_a_long_tail_and_the_manifest_counts_namesakes(tmp_path: Path) -> None:
    rng = Random(1)
    draws = Counter(_SURNAME.pick(rng) for _ in range(50_000))
    head = {name.casefold() for name in SURNAMES}
    tail = {name for name in draws if name.casefold() not in head}
    # The tail takes its share, names the head does not have; the head falls with rank.
    assert sum(draws[name] for name in tail) / 50_000 == pytest.approx(SURNAME_TAIL_SHARE, abs=0.01)
    assert len(tail) > 5 * len(SURNAMES)
    assert draws[SURNAMES[0]] > 3 * draws[SURNAMES[-1]] > 0
    # The files carry it, and the manifest says how many people share their full name.
    summary = generate(tmp_path, 5_000)
    assert read_manifest(tmp_path)["namesake_share"] == summary.namesake_share
    assert 0 < summary.namesake_share < 0.15
    with open(tmp_path / "crm_contacts.csv", newline="", encoding="utf-8") as f:
        families = {row["Last Name"] for row in csv.DictReader(f)}
    assert len(families) > 3 * len(SURNAMES)


def test_tiny_and_invalid_sizes(tmp_path: Path) -> None:
    summary = generate(tmp_path / "one", 1)
    assert summary.people == 1
    assert summary.businesses >= 1
    qbo = json.loads((tmp_path / "one" / "qbo_transactions.json").read_bytes())
    assert set(qbo["QueryResponse"]) == {"Invoice", "SalesReceipt"}
    with pytest.raises(ValueError, match="people"):
        generate(tmp_path / "none", 0)


def test_activity_dates_follow_each_entitys_lifecycle(
    demo: tuple[Path, DemoSummary], ingested: dict[str, Any]
) -> None:
    out, _ = demo
    lines = truth_lines(out)
    entity_of = {t["key"]: t["entity"] for t in lines if t["type"] == "record"}
    lifecycles: dict[str, dict[str, Any]] = {}
    for t in lines:
        if t["type"] == "lifecycle":
            assert t["entity"] not in lifecycles, "one lifecycle per entity"
            lifecycles[t["entity"]] = t
    activities: list[ActivityRecord] = ingested["activities"]
    checked = 0
    for activity in activities:
        life = lifecycles[entity_of[activity.record_key]]
        when = str(activity.fields["date"])
        end = life["churned"] or "2025-06-30"
        assert life["joined"] <= when <= end, (activity.key, life)
        if activity.kind.value == "transaction":
            assert when >= life["first_purchase"], (activity.key, life)
        checked += 1
    assert checked == len(activities) > 0
    churned = [t for t in lifecycles.values() if t["churned"]]
    assert 0 < len(churned) < len(lifecycles)


def test_lifecycle_effects_are_those_documented(tmp_path: Path) -> None:
    generate(tmp_path, 3_000, seed=11)
    people = [
        t for t in truth_lines(tmp_path) if t["type"] == "lifecycle" and t["kind"] == "person"
    ]
    referred = [t["churn_hazard"] for t in people if t["covariates"]["referred"]]
    others = [t["churn_hazard"] for t in people if not t["covariates"]["referred"]]
    assert len(referred) >= 50
    # exp(-0.9) ~ 0.41 as a hazard ratio; other covariates and frailty blur it a little
    ratio = (sum(referred) / len(referred)) / (sum(others) / len(others))
    assert 0.25 < ratio < 0.6, ratio
    assert all(t["purchase_pace"] > 1 for t in people if t["covariates"]["referred"])


def test_lifecycles_leave_record_files_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lifecycle stream only moves activity dates: with every activity on one fixed
    date instead, the record files (and the manifest) come out the same byte for byte.
    Events stay off in both runs: whether one fits a lifecycle decides an attendance."""
    from datetime import date

    from ingest import demo_data

    monkeypatch.setattr(demo_data._Generator, "attend_event", lambda self, **_: None)
    generate(tmp_path / "with", 400, seed=5)
    monkeypatch.setattr(
        demo_data._Generator, "activity_date", lambda self, transaction: date(2022, 1, 1)
    )
    generate(tmp_path / "without", 400, seed=5)
    for name, _, part in FILES:
        same = (tmp_path / "with" / name).read_bytes() == (tmp_path / "without" / name).read_bytes()
        assert same == (part == "records"), name
    manifest = "manifest.json"
    assert (tmp_path / "with" / manifest).read_bytes() == (
        tmp_path / "without" / manifest
    ).read_bytes()


def test_events_are_attended_by_several_people_inside_their_lifecycles(
    demo: tuple[Path, DemoSummary], ingested: dict[str, Any]
) -> None:
    out, _ = demo
    entity_of = {t["key"]: t["entity"] for t in truth_lines(out) if t["type"] == "record"}
    attendances = [a for a in ingested["activities"] if a.fields.get("event")]
    assert attendances
    people: dict[str, set[str]] = {}
    for a in attendances:
        assert a.key.startswith("interactions:ATT-")
        assert a.fields["type"] == "meeting" and a.fields["event_name"]
        people.setdefault(str(a.fields["event"]), set()).add(entity_of[a.record_key])
    assert all(p.startswith("P") for attendees in people.values() for p in attendees)
    assert sum(1 for attendees in people.values() if len(attendees) >= 3) >= 3
    # Ordinary interactions name no event.
    assert all("event" not in a.fields for a in ingested["activities"] if ":ATT-" not in a.key)


def test_follows_name_listed_people_and_some_follow_back(
    demo: tuple[Path, DemoSummary], ingested: dict[str, Any]
) -> None:
    records: dict[str, EvidenceRecord] = ingested["records"]
    follows = {
        key: set(r.fields["follows"])  # type: ignore[arg-type]
        for key, r in records.items()
        if key.startswith("instagram:") and r.fields.get("follows")
    }
    assert len(follows) >= 20
    followed = set().union(*follows.values())
    assert all(f.startswith("instagram:") for f in followed)
    assert len(followed & set(records)) >= 0.9 * len(followed)  # accounts in the data
    mutual = [(a, b) for a, out in follows.items() for b in out if a in follows.get(b, set())]
    assert mutual and len(mutual) < sum(len(v) for v in follows.values())


def test_events_and_follows_leave_the_other_files_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events and follows have random streams of their own: without them every record
    file but Instagram's is byte-identical, Instagram's differs only by the follows
    lists, and the interactions only by the attendance rows."""
    from ingest import demo_data

    generate(tmp_path / "with", 400, seed=5)
    monkeypatch.setattr(demo_data._Generator, "attend_event", lambda self, **_: None)
    monkeypatch.setattr(demo_data._Listed, "follow", lambda self, handle: None)
    generate(tmp_path / "without", 400, seed=5)
    changed = {"instagram.jsonl", "interactions.csv", "manifest.json"}
    for name in [*(f for f, _, _ in FILES), "truth.jsonl", "manifest.json"]:
        same = (tmp_path / "with" / name).read_bytes() == (tmp_path / "without" / name).read_bytes()
        assert same == (name not in changed), name

    def lines(run: str, name: str) -> list[str]:
        return (tmp_path / run / name).read_text("utf-8").splitlines()

    with_follows = [json.loads(line) for line in lines("with", "instagram.jsonl")]
    assert any("follows" in row for row in with_follows)
    for row in with_follows:
        row.pop("follows", None)
    assert with_follows == [json.loads(line) for line in lines("without", "instagram.jsonl")]
    interactions = lines("with", "interactions.csv")
    assert any(line.startswith("ATT-") for line in interactions)
    assert [line for line in interactions if not line.startswith("ATT-")] == lines(
        "without", "interactions.csv"
    )

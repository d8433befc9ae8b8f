"""The system of record against real databases: a fresh SQLite file and a fresh
PostgreSQL database (on the machine's server, created for this session and dropped
afterwards). Alembic builds and removes the schema; `SystemOfRecord` writes and reads.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from ingest.sor import schema
from ingest.sor.db import SystemOfRecord, engine_for
from ingest.sor.errors import ConstraintViolation, InvalidRow, MissingReference, StaleVersion
from ingest.sor.migrate import current, downgrade, head, upgrade
from ingest.sor.schema import TABLE_NAMES, metadata
from workers.cdc.postgres import scratch_database

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sor") / "sor.db"
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A database of its own on the machine's PostgreSQL, dropped at the end."""
    with scratch_database(PG_SERVER, "c360_sor_test_") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest) -> str:
    """The database of the backend under test, migrated to head."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgresql_url"
    database_url: str = request.getfixturevalue(fixture)
    upgrade(database_url)
    return database_url


@pytest.fixture
def sor(url: str) -> Iterator[SystemOfRecord]:
    store = SystemOfRecord.from_url(url)
    yield store
    store.close()


def count(store: SystemOfRecord, table: str) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one()
        )


def new_rep(store: SystemOfRecord) -> dict[str, Any]:
    return store.upsert_sales_rep(
        {
            "given_name": "Marsha",
            "family_name": "Campbell",
            "email": f"marsha.{uuid.uuid4().hex[:8]}@bluemountain.example",
            "territory": "St. Andrew",
        }
    )


def new_customer(store: SystemOfRecord, **extra: Any) -> dict[str, Any]:
    row = {
        "kind": "person",
        "given_name": "Tanya",
        "family_name": "Brown",
        "email": "tanya.brown@example.com",
        "phone": "(876) 555-0142",
        "address_line1": "12 Hope Road",
        "city": "Kingston 6",
        "parish": "st andrew",
        **extra,
    }
    return store.upsert_customer(row)


# --- migrations ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_creates_every_table_and_downgrade_removes_them(
    backend: str, request: pytest.FixtureRequest
) -> None:
    database_url: str = request.getfixturevalue(f"{backend}_url")
    engine = engine_for(database_url)
    try:
        upgrade(database_url)
        assert current(database_url) == head()
        assert set(inspect(engine).get_table_names()) >= {*TABLE_NAMES, "outbox"}
        with engine.connect() as conn:  # the migration builds exactly the metadata
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
        foreign = inspect(engine).get_foreign_keys("customer_interactions")
        assert {fk["referred_table"] for fk in foreign} == {
            "customers",
            "sales_reps",
            "marketing_campaigns",
        }

        downgrade(database_url)
        assert current(database_url) is None
        engine.dispose()  # forget cached reflection and pooled connections
        assert not set(inspect(engine).get_table_names()) & {*TABLE_NAMES, "outbox"}

        upgrade(database_url)  # and back: leave the database at head for the others
        assert current(database_url) == head()
    finally:
        engine.dispose()


# --- writes and reads ----------------------------------------------------------------


def test_insert_and_read_back(sor: SystemOfRecord) -> None:
    rep = new_rep(sor)
    before = datetime.now(UTC)
    stored = new_customer(sor, owner_rep_id=rep["id"], date_of_birth="1985-03-14")
    assert isinstance(stored["id"], uuid.UUID)
    assert stored["version"] == 1
    assert stored["created_at"] == stored["updated_at"]
    assert stored["created_at"].tzinfo is UTC and stored["created_at"] >= before.replace(
        microsecond=0
    )
    assert stored["phone"] == "+18765550142"
    assert stored["parish"] == "St. Andrew"
    assert stored["status"] == "active"  # the column default
    assert stored["date_of_birth"].isoformat() == "1985-03-14"
    assert sor.get_customer(stored["id"]) == stored
    assert sor.get_customer(str(stored["id"])) == stored
    assert sor.get_customer(uuid.uuid4()) is None


def test_update_bumps_version_and_keeps_the_rest(sor: SystemOfRecord) -> None:
    first = new_customer(sor)
    second = sor.upsert_customer({"id": first["id"], "parish": "Manchester", "notes": "VIP"})
    assert second["version"] == 2
    assert second["updated_at"] >= first["updated_at"]
    assert second["created_at"] == first["created_at"]
    assert (second["parish"], second["notes"]) == ("Manchester", "VIP")
    assert (second["given_name"], second["email"]) == (first["given_name"], first["email"])

    third = sor.upsert_customer({"id": first["id"], "status": "inactive"}, expected_version=2)
    assert third["version"] == 3

    with pytest.raises(StaleVersion, match="is at version 3, expected version 2"):
        sor.upsert_customer({"id": first["id"], "status": "lead"}, expected_version=2)
    assert sor.get_customer(first["id"]) == third

    with pytest.raises(StaleVersion, match="does not exist"):
        sor.upsert_customer(
            {"id": uuid.uuid4(), "kind": "person", "given_name": "X"}, expected_version=1
        )


def test_a_new_customer_can_bring_its_own_id(sor: SystemOfRecord) -> None:
    key = uuid.uuid4()
    stored = sor.upsert_customer({"id": str(key), "kind": "business", "company_name": "Juici Ltd"})
    assert stored["id"] == key and stored["version"] == 1


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"parish": "Montego Bay"}, "customers.parish", "is not a parish of Jamaica"),
        ({"kind": "robot"}, "customers.kind", "'person' or 'business'"),
        ({"email": "tanya.brown@"}, "customers.email", "is not a valid email address"),
        ({"email": "tanya brown@example.com"}, "customers.email", "is not a valid email"),
        ({"given_name": None, "family_name": None}, "customers.given_name", "a person needs"),
        ({"colour": "blue"}, "customers.colour", "Extra inputs are not permitted"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    sor: SystemOfRecord, bad: dict[str, Any], field: str, message: str
) -> None:
    before = count(sor, "customers")
    with pytest.raises(InvalidRow) as caught:
        new_customer(sor, **bad)
    assert field in caught.value.problems and message in caught.value.problems[field]
    assert field in str(caught.value)
    assert count(sor, "customers") == before

    stored = new_customer(sor)  # the same refusal on an update leaves the row as it was
    with pytest.raises(InvalidRow):
        sor.upsert_customer({"id": stored["id"], **bad})
    assert sor.get_customer(stored["id"]) == stored


def test_an_insert_needs_its_required_columns(sor: SystemOfRecord) -> None:
    with pytest.raises(InvalidRow) as caught:
        sor.upsert_customer({"given_name": "Tanya"})
    assert caught.value.problems == {"customers.kind": "required"}
    with pytest.raises(InvalidRow) as caught:
        sor.upsert_customer({"kind": "business", "given_name": "Tanya"})
    assert "customers.company_name" in caught.value.problems
    stored = new_customer(sor)
    for emptied in ("kind", "status"):  # NOT NULL, with or without a default
        with pytest.raises(InvalidRow, match=rf"customers\.{emptied}: required, may not be empty"):
            sor.upsert_customer({"id": stored["id"], emptied: None})
    assert sor.get_customer(stored["id"]) == stored
    with pytest.raises(InvalidRow, match=r"customers\.id: 'nope' is not a UUID"):
        sor.get_customer("nope")


def test_foreign_keys_are_reported_by_field(sor: SystemOfRecord) -> None:
    customers_before = count(sor, "customers")
    ghost = uuid.uuid4()
    with pytest.raises(MissingReference) as caught:
        new_customer(sor, owner_rep_id=ghost)
    assert caught.value.field == "customers.owner_rep_id"
    assert str(caught.value) == f"customers.owner_rep_id: no sales_reps row with id {ghost}"
    assert count(sor, "customers") == customers_before

    customer = new_customer(sor)
    interactions_before = count(sor, "customer_interactions")
    with pytest.raises(MissingReference, match=r"customer_interactions\.customer_id: no customers"):
        sor.record_interaction({"customer_id": ghost, "channel": "call"})
    with pytest.raises(MissingReference, match=r"customer_interactions\.rep_id: no sales_reps"):
        sor.record_interaction({"customer_id": customer["id"], "rep_id": ghost, "channel": "call"})
    with pytest.raises(MissingReference, match=r"customers\.owner_rep_id"):
        sor.upsert_customer({"id": customer["id"], "owner_rep_id": ghost})
    assert count(sor, "customer_interactions") == interactions_before
    assert sor.get_customer(customer["id"]) == customer


def test_record_interaction(sor: SystemOfRecord) -> None:
    rep = new_rep(sor)
    customer = new_customer(sor, owner_rep_id=rep["id"])
    when = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    row = {
        "customer_id": customer["id"],
        "rep_id": rep["id"],
        "channel": "whatsapp",
        "direction": "inbound",
        "occurred_at": when.isoformat(),
        "subject": "Asked about bulk coffee prices",
    }
    stored = sor.record_interaction(row)
    assert stored["version"] == 1 and stored["occurred_at"] == when
    assert sor.get_interaction(stored["id"]) == stored

    before = count(sor, "customer_interactions")
    again = sor.record_interaction({**row, "id": stored["id"]})  # a retried request
    assert again == stored and count(sor, "customer_interactions") == before

    with pytest.raises(InvalidRow, match=r"customer_interactions\.channel"):
        sor.record_interaction({"customer_id": customer["id"], "channel": "pigeon"})
    with pytest.raises(InvalidRow, match=r"customer_interactions\.customer_id: required"):
        sor.record_interaction({"channel": "call"})


def test_record_transaction_in_jmd_to_the_cent(sor: SystemOfRecord) -> None:
    customer = new_customer(sor)
    stored = sor.record_transaction({"customer_id": customer["id"], "amount": "125000.75"})
    assert stored["amount"] == Decimal("125000.75")
    assert stored["currency"] == "JMD" and stored["kind"] == "sale"
    usd = sor.record_transaction({"customer_id": customer["id"], "amount": 80, "currency": "usd"})
    assert usd["currency"] == "USD"
    assert sor.get_transaction(usd["id"]) == usd


def test_the_database_itself_refuses_what_the_port_would(sor: SystemOfRecord) -> None:
    """The CHECKs and foreign keys hold for writers that bypass the port (the SMB's own
    applications write to the same tables); on SQLite this proves foreign keys are on."""
    customer = new_customer(sor)
    customers = schema.customers
    for values in ({"parish": "Mobay"}, {"kind": "robot"}, {"owner_rep_id": uuid.uuid4()}):
        with pytest.raises(IntegrityError), sor.engine.begin() as conn:
            conn.execute(customers.update().where(customers.c.id == customer["id"]).values(values))
    assert sor.get_customer(customer["id"]) == customer


def test_a_unique_key_is_reported_as_a_constraint(sor: SystemOfRecord) -> None:
    rep = new_rep(sor)
    with pytest.raises(ConstraintViolation, match="sales_reps") as caught:
        sor.upsert_sales_rep({"given_name": "A", "family_name": "B", "email": rep["email"]})
    assert "email" in str(caught.value)


def test_concurrent_updates_are_serialised(sor: SystemOfRecord) -> None:
    """Two writers editing different fields of one customer: every write counts once in
    `version`, and neither loses the other's field (read-modify-write under a lock)."""
    customer = new_customer(sor)
    rounds = 10
    errors: list[BaseException] = []

    def edit(field: str) -> None:
        try:
            for i in range(rounds):
                sor.upsert_customer({"id": customer["id"], field: f"{field} {i}"})
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(f,)) for f in ("notes", "address_line2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    final = sor.get_customer(customer["id"])
    assert final is not None
    assert final["version"] == 1 + 2 * rounds
    assert (final["notes"], final["address_line2"]) == ("notes 9", "address_line2 9")


def test_sqlite_connections_enforce_foreign_keys(sqlite_url: str) -> None:
    engine = engine_for(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    finally:
        engine.dispose()

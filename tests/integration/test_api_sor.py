"""The API with a system of record (`C360_SOR_URL`, a SQLite file): mutations write to the
SoR and reach the graph only through its outbox, the in-process relay and apply. Through
the real GraphQL API (uvicorn in a thread, a gql client) over the embedded FalkorDB
holding resolved demo data: mutation -> SoR row -> outbox -> apply -> `customer(id)`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from api.app import create_app
from api.sor_writes import SorWrites, channel_of, golden_to_sor
from c360.settings import Settings
from graph.catalogue import Catalogue
from graph.embedded import ServerInfo
from ingest.demo_data import generate
from ingest.quarantine import Quarantine
from ingest.sor.db import SystemOfRecord
from ingest.sor.schema import outbox
from tests.conftest import own_graph, resolve_demo
from tests.integration.test_api import SECRET, Api, _person_with, served

pytestmark = pytest.mark.falkordb

WAIT_S = 30.0


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


class SorApi(Api):
    sor: SystemOfRecord
    writes: SorWrites


@pytest.fixture(scope="module")
def api(
    falkordb_server: ServerInfo, catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SorApi]:
    home = tmp_path_factory.mktemp("api-sor-home")
    with own_graph(falkordb_server, catalogue, "t_apisor") as store:
        folder = tmp_path_factory.mktemp("api-sor-demo")
        generate(folder, 60)
        resolve_demo(folder, store, Quarantine(home / "quarantine"))
        sor_url = f"sqlite:///{Path(home) / 'sor.db'}"
        settings = Settings(home=home, jwt_secret=SECRET, rate_per_minute=100_000,
                            sor_url=sor_url)  # fmt: skip
        app = create_app(settings, store, f"redis://127.0.0.1:{falkordb_server.port}/0")
        with served(app) as url:
            handle = SorApi(url, store, settings)
            assert isinstance(app.state.c360.writes, SorWrites)  # C360_SOR_URL picks them
            handle.writes = app.state.c360.writes
            handle.sor = SystemOfRecord.from_url(sor_url)
            yield handle
            handle.sor.close()


def _view(api: Api, token: str, customer_id: str) -> dict[str, Any]:
    query = """query($id: ID!) { customer(id: $id) { id
        records { key source }
        interactions(first: 50) { items { key type subject source } } } }"""
    result: dict[str, Any] = api.query(token, query, id=customer_id)["customer"]
    return result


def test_a_recorded_interaction_goes_through_the_system_of_record(api: SorApi) -> None:
    person = _person_with(api, "owner", "email")
    rep = api.token("rep", sub=person["owner"], pii=True)
    mutation = """mutation($input: InteractionInput!) {
      recordInteraction(input: $input) { key type source subject } }"""
    data = {"customerId": person["id"], "type": "Phone", "occurredAt": "2026-11-20T10:00:00",
            "subject": "Renewal", "idempotencyKey": f"k-{uuid.uuid4().hex}"}  # fmt: skip
    written = api.query(rep, mutation, input=data)["recordInteraction"]
    assert written["key"].startswith("sor:interactions:") and written["source"] == "sor"
    assert (written["type"], written["subject"]) == ("call", "Renewal")
    row_id = written["key"].rsplit(":", 1)[1]
    stored = api.sor.get_interaction(row_id)  # in the SoR the moment the mutation returns
    assert stored is not None and stored["channel"] == "call"
    sor_customer = api.sor.get_customer(stored["customer_id"])
    assert sor_customer is not None and sor_customer["email"] == person["email"]
    with api.sor.engine.connect() as conn:
        topics = [r.topic for r in conn.execute(select(outbox.c.topic).order_by(outbox.c.id))]
    assert "c360.public.customer_interactions" in topics and "c360.public.customers" in topics

    def shown() -> bool:
        items = _view(api, rep, person["id"])["interactions"]["items"]
        return any(i["key"] == written["key"] for i in items)

    wait_for("the interaction in the 360 view", shown)
    view = _view(api, rep, person["id"])
    assert f"sor:{stored['customer_id']}" in [r["key"] for r in view["records"]]
    again = api.query(rep, mutation, input=data)["recordInteraction"]  # the same key: once
    assert again["key"] == written["key"]
    time.sleep(0.5)  # let the relay and apply see it, if anything was written
    items = _view(api, rep, person["id"])["interactions"]["items"]
    assert [i["key"] for i in items].count(written["key"]) == 1
    assert api.writes.relay is not None and api.writes.relay.pending() == 0


def test_an_interaction_shows_its_reps_name_from_the_system_of_record(api: SorApi) -> None:
    """The SoR row holds the rep's id (the token's subject, a sales_reps id); apply names
    the rep from sales_reps, so the view shows who it was, as for the API's own writes."""
    tag = uuid.uuid4().hex[:6]
    rep_row = api.sor.upsert_sales_rep(
        {"given_name": "Marva", "family_name": "Rowe", "email": f"marva.{tag}@example.com"}
    )
    person = _person_with(api, "owner", "email", skip=5)
    manager = api.token("manager", sub=str(rep_row["id"]), pii=True)
    mutation = (
        """mutation($input: InteractionInput!) { recordInteraction(input: $input) { key } }"""
    )
    data = {
        "customerId": person["id"],
        "type": "visit",
        "subject": "Site visit",
        "occurredAt": "2026-11-21T09:30:00",
    }
    key = api.query(manager, mutation, input=data)["recordInteraction"]["key"]
    query = """query($id: ID!) { customer(id: $id) {
        interactions(first: 50) { items { key rep } } } }"""

    def rep_shown() -> str | None:
        items = api.query(manager, query, id=person["id"])["customer"]["interactions"]["items"]
        return next((i["rep"] for i in items if i["key"] == key), None)

    wait_for("the interaction in the 360 view", lambda: rep_shown() is not None)
    assert rep_shown() == "Marva Rowe"


def test_a_correction_updates_the_system_of_record_row(api: SorApi) -> None:
    person = _person_with(api, "owner", "email", skip=3)
    rep = api.token("rep", sub=person["owner"], pii=True)
    mutation = """mutation($id: ID!, $edit: CustomerEdit!) { updateCustomer(id: $id, edit: $edit) { id } }"""
    edited = api.query(rep, mutation, id=person["id"], edit={"city": "Mandeville"})
    assert edited["updateCustomer"]["id"] == person["id"]
    key = f"sor:{uuid.uuid5(uuid.UUID('5c8f0d3e-2a4b-4c1e-9a57-c360c360c360'), person['id'])}"
    sor_row = api.sor.get_customer(key[4:])
    assert sor_row is not None and sor_row["city"] == "Mandeville" and sor_row["version"] == 1

    def attached() -> bool:
        return key in [r["key"] for r in _view(api, rep, person["id"])["records"]]

    wait_for("the SoR record pinned to the customer", attached)
    api.query(rep, mutation, id=person["id"], edit={"phone": "876 555 0199"})
    wait_for("the second edit in the graph", lambda: bool(api.store.run_cypher(
        "MATCH (r:Record {key: $k, version: 2}) RETURN r.key", {"k": key})))  # fmt: skip
    (record,) = api.store.run_cypher(
        "MATCH (r:Record {key: $k})-[:RESOLVES_TO]->(c:Customer) "
        "OPTIONAL MATCH (r)-[:HAS_PHONE]->(p) RETURN c.id AS customer, r.city AS city, "
        "collect(p.e164) AS phones",
        {"k": key},
    )
    assert record == {"customer": person["id"], "city": "Mandeville", "phones": ["+18765550199"]}
    # The system of record is the source of truth: its values win survivorship, so the
    # golden record shows the edits whatever the customer's other records say.
    golden = """query($id: ID!) { customer(id: $id) { city phone } }"""
    wait_for(
        "the edits in the golden record",
        lambda: (
            api.query(rep, golden, id=person["id"])["customer"]
            == {"city": "Mandeville", "phone": "+18765550199"}
        ),
    )
    error = api.error(rep, mutation, id=person["id"], edit={"parish": "Atlantis"})
    assert error["extensions"]["code"] == "BAD_INPUT" and "parish" in error["message"]


def test_the_mapping_helpers() -> None:
    assert [channel_of(t) for t in ("Call", "phone", "WhatsApp", "demo", None)] == [
        "call", "call", "whatsapp", "other", "other",
    ]  # fmt: skip
    business = golden_to_sor({"kind": "business", "name": "Blue Mountain Ltd", "city": "Kingston"})
    assert business == {"kind": "business", "company_name": "Blue Mountain Ltd", "city": "Kingston"}
    named = golden_to_sor({"kind": "person", "name": "Ann Marie Brown", "dob": "1980-02-03"})
    assert named == {"kind": "person", "given_name": "Ann Marie", "family_name": "Brown",
                     "date_of_birth": "1980-02-03"}  # fmt: skip

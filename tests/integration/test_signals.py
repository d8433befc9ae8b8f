"""Signals against the real embedded store: each job announces what it found, the alert
rules raise on it once, and a repeated run raises nothing new.

    customer.scored  two scoring runs that stay above a churn line raise one alert
    customer.quiet   an influential customer gone quiet raises once per quiet spell
    link.predicted   a prediction crossing a probability line raises once, for each end
    record.matched   a record of rep B joining rep A's customer alerts A, naming B
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis

from graph.catalogue import Catalogue
from graph.embedded import ServerInfo
from graph.falkordb_store import FalkorDBStore
from ingest.pipeline import ingest_file
from ingest.quarantine import Quarantine
from ml.scores import ModelConfig, ModelRegistry, ScoresConfig
from ml.scores.job import ScoresJob
from resolvers.identity import IdentityResolver
from workers.alerts import AlertRules
from workers.signals import (
    EXAMPLE_RULES,
    QuietCheck,
    QuietConfig,
    Signals,
    add_example_rules,
    link_signals,
    matched_signals,
)

pytestmark = pytest.mark.falkordb

C360 = str(Path(sys.executable).parent / "c360")
FAST = ScoresConfig(model=ModelConfig(max_iter=40))


def alerts_of(store: FalkorDBStore, kind: str) -> list[dict[str, Any]]:
    return store.run_cypher(
        "MATCH (a:Alert {event_kind: $kind})-[:ABOUT]->(c:Customer) "
        "RETURN a.id AS id, a.rep AS rep, a.message AS message, a.event_id AS event_id, "
        "c.id AS customer ORDER BY a.at, a.id",
        {"kind": kind},
    )


def set_churn(store: FalkorDBStore, customer: str, value: float) -> None:
    store.run_cypher(
        "MATCH (c:Customer {id: $id}) SET c.churn_risk = $value",
        {"id": customer, "value": value},
        read_only=False,
    )


def test_churn_crossing_raises_once_across_runs_that_stay_above(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore, tmp_path: Path
) -> None:
    store = falkordb_store
    job = ScoresJob(store, ModelRegistry.under_home(tmp_path), FAST)
    job.train()
    first = job.score()
    # every customer a model scored is news (base rates for want of history are not)
    assert first.changed == first.scored < first.customers and first.alerts == 0
    assert job.score().changed == 0  # the same scores again: nothing to announce

    scored = store.run_cypher(
        "MATCH (c:Customer {status: 'active', scores_basis: 'model'}) WHERE c.churn_risk > 0.2 "
        "RETURN c.id AS id, c.churn_risk AS churn ORDER BY c.churn_risk DESC, c.id LIMIT 1"
    )
    customer, churn = scored[0]["id"], scored[0]["churn"]
    store.run_cypher(
        "MATCH (c:Customer {id: $id}) SET c.owner = 'rep-a'", {"id": customer}, read_only=False
    )
    line = round(churn - 0.1, 4)
    AlertRules(store).create("Churn risk high", "customer.scored", "churn_risk",
                             "crosses_above", line, actor="admin")  # fmt: skip

    below, above = round(line - 0.05, 4), round(line + 0.01, 4)
    set_churn(store, customer, below)  # as if it was below the line last time
    crossed = job.score()
    assert (crossed.changed, crossed.alerts) == (1, 1)
    (alert,) = alerts_of(store, "customer.scored")
    assert alert["customer"] == customer and alert["rep"] == "rep-a"
    assert alert["message"] == (
        f"Churn risk high: churn_risk {churn}, was {below} (when churn_risk crosses above {line})"
    )

    set_churn(store, customer, above)  # above last time too: no news
    stayed = job.score()
    assert (stayed.changed, stayed.alerts) == (1, 0)
    assert job.score().changed == 0

    # A run cut short after announcing and before writing announces again: same event id
    set_churn(store, customer, below)
    replayed = job.score()
    assert (replayed.changed, replayed.alerts) == (1, 0)
    assert [a["id"] for a in alerts_of(store, "customer.scored")] == [alert["id"]]


def quiet_graph(store: FalkorDBStore, n: int = 20) -> None:
    """Customers q1..qn with influence i/n (q20 the most influential), a record each and
    one interaction on 2024-06-01, except q20's on 2024-01-01; q20 is owned by rep-a."""
    rows = [{"id": f"q{i}", "influence": i / n,
             "date": "2024-01-01" if i == n else "2024-06-01"} for i in range(1, n + 1)]  # fmt: skip
    store.run_cypher(
        "UNWIND $rows AS row "
        "CREATE (c:Customer {id: row.id, status: 'active', kind: 'person', "
        "influence: row.influence, owner: 'rep-' + row.id}) "
        "CREATE (c)<-[:RESOLVES_TO]-(r:Record {key: 'test:' + row.id, source: 'test'}) "
        "CREATE (r)-[:HAS_INTERACTION]->(:Interaction {key: 'i:' + row.id, date: row.date})",
        {"rows": rows},
        read_only=False,
    )
    store.run_cypher(
        "CREATE (:Customer {id: 'q0', status: 'active', kind: 'person', influence: 0.99})",
        read_only=False,
    )  # no activity ever: it never went quiet


def add_interaction(store: FalkorDBStore, customer: str, key: str, day: str) -> None:
    store.run_cypher(
        "MATCH (:Customer {id: $id})<-[:RESOLVES_TO]-(r:Record) "
        "CREATE (r)-[:HAS_INTERACTION]->(:Interaction {key: $key, date: $day})",
        {"id": customer, "key": key, "day": day},
        read_only=False,
    )


def test_an_influential_customer_gone_quiet_raises_once_per_quiet_spell(
    falkordb_store: FalkorDBStore,
) -> None:
    store = falkordb_store
    quiet_graph(store)
    AlertRules(store).create("Influencer quiet", "customer.quiet", "days_quiet", "gte", 90,
                             actor="admin")  # fmt: skip
    check = QuietCheck(store, config=QuietConfig(top_percent=10, days=90))

    today, found, ranked, influential = check.find()
    assert today == date(2024, 6, 2)  # the day after the latest activity in the graph
    assert (ranked, influential) == (21, 3)  # q20, q0 and q19 are the top 10%
    (signal,) = found
    assert signal.data == {
        "customer_id": "q20", "influence": 1.0, "influence_rank": 1,
        "influence_percentile": 95.2, "days_quiet": 153, "last_activity_at": "2024-01-01",
        "as_of": "2024-06-02",
    }  # fmt: skip

    assert check.run().alerts == 1
    later = check.run(as_of=date(2024, 7, 1))  # still quiet, a month on: the same spell
    assert (later.quiet, later.alerts) == (1, 0)
    (alert,) = alerts_of(store, "customer.quiet")
    assert alert["customer"] == "q20" and alert["rep"] == "rep-q20"
    assert alert["message"] == (
        "Influencer quiet: days_quiet 153 (when days_quiet >= 90); no activity for 153 days "
        "(last 2024-01-01); influence rank 1"
    )

    add_interaction(store, "q20", "i:q20:back", "2024-07-05")
    back = check.run(as_of=date(2024, 8, 1))
    assert (back.quiet, back.alerts) == (0, 0)  # active again: nothing
    again = check.run(as_of=date(2024, 11, 1))  # a new quiet spell, and q19's first
    assert (again.quiet, again.alerts) == (2, 2)
    quiet = Counter(a["customer"] for a in alerts_of(store, "customer.quiet"))
    assert quiet == {"q20": 2, "q19": 1}


def test_quiet_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="top_percent: must be above 0 and at most 100"):
        QuietConfig(top_percent=0)
    with pytest.raises(ValueError, match="days: must be at least 1"):
        QuietConfig(days=0)


def test_alerts_check_command_publishes_quiet_customers_onto_the_event_stream(
    falkordb_server: ServerInfo, catalogue: Catalogue, tmp_path: Path
) -> None:
    graph = f"quiet_{uuid.uuid4().hex[:10]}"
    store = FalkorDBStore(catalogue, port=falkordb_server.port, graph_name=graph)
    client = redis.Redis(port=falkordb_server.port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_")}
    env.update(C360_GRAPH_URI=f"redis://127.0.0.1:{falkordb_server.port}",
               C360_GRAPH_NAME=graph, C360_HOME=str(tmp_path))  # fmt: skip
    try:
        store.ensure_schema()
        quiet_graph(store)
        start = (
            client.xinfo_stream("c360:events")["last-generated-id"]
            if client.exists("c360:events")
            else b"0-0"
        )
        done = subprocess.run(
            [C360, "alerts", "check", "--top-percent", "10", "--days", "90", "--json"],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert (report["as_of"], report["quiet"], report["influential"]) == ("2024-06-02", 1, 3)
        entries = client.xrange("c360:events", min=b"(" + start, max="+")
        mine = [(i, json.loads(f[b"data"])) for i, f in entries if f[b"kind"] == b"customer.quiet"]
        assert [d["customer_id"] for _, d in mine] == ["q20"]
        assert mine[0][1]["signal_id"].startswith("customer.quiet:")
        client.xdel("c360:events", *[i for i, _ in mine])
    finally:
        store.clear()
        store.close()
        client.close()


def test_a_predicted_link_crossing_raises_once_for_each_end(
    falkordb_store: FalkorDBStore,
) -> None:
    store = falkordb_store
    store.run_cypher(
        "CREATE (:Customer {id: 'L1', status: 'active', owner: 'rep-a'}), "
        "(:Customer {id: 'L2', status: 'active', owner: 'rep-b'})",
        read_only=False,
    )
    AlertRules(store).create("Likely referral", "link.predicted", "probability",
                             "crosses_above", 0.8, actor="admin")  # fmt: skip
    signals = Signals(store)

    def predict(probability: float) -> int:
        """What predict_links does around its write: compare with the stored, announce, write."""
        existing = store.run("links/predictions", {"kind": "REFERRED"})
        row = {"a": "L1", "b": "L2", "kind": "REFERRED", "probability": probability,
               "model": "links-test", "common_neighbours": 1, "adamic_adar": 0.5,
               "resource_allocation": 0.5, "jaccard": 0.5, "preferential_attachment": 1,
               "distance": 2, "paths3": 0, "via": [], "at": 1}  # fmt: skip
        raised = signals.emit(link_signals(existing, [row]))
        store.run("links/merge_predictions", {"rows": [row]})
        return raised

    assert predict(0.6) == 0  # likely enough to write, under the rule's line
    assert predict(0.85) == 2  # crossed: one alert for each end's rep
    assert predict(0.9) == 0  # stays above
    assert predict(0.9) == 0  # unchanged: not even announced
    alerts = alerts_of(store, "link.predicted")
    assert sorted((a["customer"], a["rep"]) for a in alerts) == [("L1", "rep-a"), ("L2", "rep-b")]
    assert any("likely REFERRED with L2" in a["message"] for a in alerts)


CRM_HEADER = ["Contact ID", "First Name", "Last Name", "Email", "Phone", "Contact Owner",
              "Created Date"]  # fmt: skip


def test_a_record_of_another_rep_joining_a_customer_alerts_its_owner_naming_the_other(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore, quarantine: Quarantine,
    tmp_path: Path,
) -> None:  # fmt: skip
    store = falkordb_store
    person = store.run_cypher(
        "MATCH (r:Record {source: 'qbo', kind: 'person'})-[:HAS_EMAIL]->(e:Email), "
        "(r)-[:HAS_PHONE]->(p:Phone), (r)-[:RESOLVES_TO]->(c:Customer) "
        "WHERE r.given_name IS NOT NULL AND r.family_name IS NOT NULL AND c.owner IS NOT NULL "
        "RETURN r.given_name AS given, r.family_name AS family, e.value AS email, "
        "p.e164 AS phone, c.id AS customer, c.owner AS owner ORDER BY r.key LIMIT 1"
    )[0]
    AlertRules(store).create("Another rep's record", "record.matched", "confidence", "gte", 0,
                             actor="admin")  # fmt: skip
    signals = Signals(store)
    resolver = IdentityResolver(
        store, on_matched=lambda found: signals.emit(matched_signals(found))
    )

    def arrive(key: str, owner: str) -> Any:
        """A CRM contact of the same person, owned by `owner`, ingested and resolved."""
        path = tmp_path / f"{key}.csv"
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, CRM_HEADER)
            writer.writeheader()
            writer.writerow({"Contact ID": key, "First Name": person["given"],
                             "Last Name": person["family"], "Email": person["email"],
                             "Phone": person["phone"], "Contact Owner": owner,
                             "Created Date": "2024-05-01"})  # fmt: skip
        assert ingest_file(path, "crm-contacts", store, quarantine).quarantined == 0
        return resolver.resolve_records([f"crm:{key}"])

    # a record of the customer's own rep joining it is not news
    same = arrive("SAME-1", person["owner"])
    assert same.attached == 1 and same.matched_other_rep == []
    report = arrive("OTHER-1", "Zed Other-Rep")
    assert report.attached == 1
    (match,) = report.matched_other_rep
    assert match["customer_id"] == person["customer"] and match["record_key"] == "crm:OTHER-1"
    assert (match["record_rep"], match["customer_rep"]) == ("Zed Other-Rep", person["owner"])
    (alert,) = alerts_of(store, "record.matched")
    assert alert["customer"] == person["customer"] and alert["rep"] == person["owner"]
    assert (
        f"record crm:OTHER-1 of rep Zed Other-Rep matched this customer of rep {person['owner']}"
        in alert["message"]
    )

    # a person reassigning the customer through the API is no such news either
    edit = tmp_path / "edit.csv"
    with edit.open("w", newline="") as f:
        writer = csv.DictWriter(f, ["customer_id", "first_name", "last_name", "email", "phone",
                                    "owner", "edited_by"])  # fmt: skip
        writer.writeheader()
        writer.writerow({"customer_id": person["customer"], "first_name": person["given"],
                         "last_name": person["family"], "email": person["email"],
                         "phone": person["phone"], "owner": "Reassigned Rep",
                         "edited_by": "manager"})  # fmt: skip
    assert ingest_file(edit, "api-edits", store, quarantine).quarantined == 0
    corrected = resolver.resolve_records([f"api:{person['customer']}"])
    assert corrected.attached == 1 and corrected.matched_other_rep == []

    resolver.resolve_records(["crm:OTHER-1"])  # resolving it again: not news
    resolver.resolve_full()
    assert len(alerts_of(store, "record.matched")) == 1


def test_link_prediction_announces_new_predictions_and_a_rerun_raises_nothing(
    falkordb_store: FalkorDBStore, tmp_path: Path
) -> None:
    from ml.links import load, load_graph, predict_links, save
    from tests.integration.test_links import train, write_planted

    store = falkordb_store
    write_planted(store)
    loaded = load(save(train(load_graph(store, "planted")), tmp_path / "model"))
    AlertRules(store).create("Very likely link", "link.predicted", "probability",
                             "crosses_above", 0.9, rep="rep-links", actor="admin")  # fmt: skip
    first = predict_links(store, loaded, "planted", threshold=0.5, per_customer=3)
    likely = store.run_cypher(
        "MATCH ()-[e:PREDICTED_LINK]->() WHERE e.probability >= 0.9 RETURN count(e) AS n"
    )[0]["n"]
    assert 0 < likely < first.written and first.announced == 2 * first.written  # each end
    assert first.alerts == 2 * likely == len(alerts_of(store, "link.predicted"))
    again = predict_links(store, loaded, "planted", threshold=0.5, per_customer=3)
    assert (again.announced, again.alerts) == (0, 0)  # the same predictions: no news


def test_example_rules_go_into_a_graph_without_rules_only(falkordb_store: FalkorDBStore) -> None:
    assert add_example_rules(falkordb_store, actor="demo") == len(EXAMPLE_RULES)
    stored = AlertRules(falkordb_store).list()
    assert {r["event_kind"] for r in stored} == {
        "customer.scored", "customer.quiet", "link.predicted", "record.matched",
        "transaction.recorded",
    }  # fmt: skip
    assert add_example_rules(falkordb_store, actor="demo") == 0  # rules exist: left alone
    assert len(AlertRules(falkordb_store).list()) == len(EXAMPLE_RULES)

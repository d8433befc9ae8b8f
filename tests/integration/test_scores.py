"""Score models against the real embedded store: train small models on the resolved demo
graph, write the scores back, and check they land on Customers with their top factors and
model version; bad inputs (an empty graph, customers without history, too few labels, no
model) give clear results."""

from __future__ import annotations

import json
import re
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from graph.falkordb_store import FalkorDBStore
from ml.scores import InsufficientLabels, ModelConfig, ModelRegistry, NoModel, ScoresConfig
from ml.scores import drift as drift_module
from ml.scores.cli import scores_app
from ml.scores.features import FEATURES
from ml.scores.job import INSUFFICIENT, NO_FACTOR, ScoreBundle, ScoresJob
from ml.scores.models import fit
from resolvers.identity import IdentityResolver
from resolvers.relations import RelationshipMapper

pytestmark = pytest.mark.falkordb

FAST = ScoresConfig(model=ModelConfig(max_iter=40))
FACTOR = re.compile(r"^[a-z_]+=\S+ \([+-][0-9.,]+\)$")

SCORED = """
MATCH (c:Customer {status: 'active'})
OPTIONAL MATCH (c)<-[:RESOLVES_TO]-(:Record)-[:HAS_TRANSACTION]->(t:Transaction)
RETURN c.id AS id, c.churn_risk AS churn, c.churn_factors AS churn_factors,
       c.lead_score AS lead, c.lead_factors AS lead_factors, c.lifetime_value AS value,
       c.value_factors AS value_factors, c.scores_model AS model, c.scores_at AS at,
       c.scores_basis AS basis, count(t) AS transactions
"""


def test_scores_land_on_customers_with_factors_and_version(
    resolved: IdentityResolver, falkordb_store: FalkorDBStore, tmp_path: Path
) -> None:
    store = falkordb_store
    RelationshipMapper(store).run()
    registry = ModelRegistry.under_home(tmp_path)

    # too few labels: refused, each model named with its counts, nothing stored
    strict = ScoresConfig(model=ModelConfig(min_rows=100_000))
    with pytest.raises(InsufficientLabels, match=r"churn: \d+ training rows .*lead: .*value: "):
        ScoresJob(store, registry, strict).train()
    assert registry.versions() == []

    # train through the command line, as `c360 scores train` does
    app = scores_app(lambda: nullcontext(store), lambda: tmp_path)
    result = CliRunner().invoke(app, ["train", "--json"])
    assert result.exit_code == 0, result.output
    trained = json.loads(result.output.strip().splitlines()[-1])
    version = trained["version"]
    assert version == "scores-0001" and trained["rows"] > 0
    assert "churn" in trained["metrics"], trained["refused"]
    churn = trained["metrics"]["churn"]
    assert 0 <= churn["brier"] <= 1 and churn["auc"] is not None and churn["reliability"]
    for kind, reason in trained["refused"].items():
        assert reason.startswith(f"{kind}: ")
    meta = registry.meta(version)
    assert meta["fingerprint"] == trained["fingerprint"] and len(meta["fingerprint"]) == 64
    assert meta["features"] == list(FEATURES) and meta["metrics"]["churn"] == churn

    # retraining gives the next version; the same data, the same fingerprint
    job = ScoresJob(store, registry, FAST)
    retrained = job.train()
    assert retrained.version == "scores-0002"
    assert retrained.fingerprint == trained["fingerprint"]
    version = retrained.version

    report = job.score()
    assert report.version == version and report.scored > 0 and report.insufficient_history > 0
    assert report.score_psi is None  # no earlier run to compare with
    assert set(report.feature_psi) == set(FEATURES)
    # Drift is measured against the customers as they were when the model was trained:
    # the same data, none (not the training rows', a horizon older: recency alone drifts).
    assert set(report.feature_psi.values()) == {0.0}
    bundle: ScoreBundle = registry.load(version)
    rows = store.run_cypher(SCORED)
    assert len(rows) == report.customers == report.scored + report.insufficient_history
    with_model = [r for r in rows if r["basis"] == "model"]
    without = [r for r in rows if r["basis"] == "insufficient_history"]
    assert len(with_model) == report.scored and len(without) == report.insufficient_history
    for r in rows:
        assert r["model"] == version and isinstance(r["at"], int)
        assert 0.0 <= r["churn"] <= 1.0
        assert r["value"] is None or r["value"] >= 0
        if r["transactions"]:
            assert r["lead"] is None and r["lead_factors"] is None  # a buyer is no lead
    for r in with_model:
        assert r["churn_factors"], r
        if r["churn_factors"] != [NO_FACTOR]:
            assert all(FACTOR.match(f) for f in r["churn_factors"]), r["churn_factors"]
            assert {f.split("=")[0] for f in r["churn_factors"]} <= set(FEATURES)
    explained = [r for r in with_model if r["churn_factors"] != [NO_FACTOR]]
    assert len(explained) > 0.8 * len(with_model)
    for r in without:  # the base rate, marked, never a made-up model score
        assert r["churn"] == round(bundle.models["churn"].base_rate, 4)
        assert r["churn_factors"] == [INSUFFICIENT]
    churn_risks = np.array([r["churn"] for r in with_model])
    assert churn_risks.std() > 0.01  # the model tells customers apart

    # the scheduled run on the same data: no drift between runs, so no retraining
    again = job.rescore_or_retrain()
    assert registry.versions() == ["scores-0001", "scores-0002"]
    assert again.score_psi == 0.0 and again.drifted == []
    assert [r["version"] for r in registry.runs()] == [version, version]

    # a customer merged away loses its scores at the next run
    gone = with_model[0]["id"]
    store.run_cypher(
        "MATCH (c:Customer {id: $id}) SET c.status = 'merged'", {"id": gone}, read_only=False
    )
    third = job.score()
    assert third.cleared == 1 and third.customers == report.customers - 1
    left = store.run_cypher(
        "MATCH (c:Customer {id: $id}) RETURN c.churn_risk AS churn, c.scores_model AS model",
        {"id": gone},
    )
    assert left == [{"churn": None, "model": None}]


def test_empty_graph_and_missing_model_give_clear_answers(
    falkordb_store: FalkorDBStore, tmp_path: Path
) -> None:
    store = falkordb_store
    registry = ModelRegistry.under_home(tmp_path)
    job = ScoresJob(store, registry, FAST)
    with pytest.raises(InsufficientLabels, match="no active customers in the graph"):
        job.train()
    with pytest.raises(NoModel, match="run `c360 scores train` first"):
        job.score()

    runner = CliRunner()
    app = scores_app(lambda: nullcontext(store), lambda: tmp_path)
    result = runner.invoke(app, ["train"])
    assert result.exit_code == 2 and "not trained: no active customers" in result.output
    result = runner.invoke(app, ["score"])
    assert result.exit_code == 2 and "no trained score model" in result.output
    result = runner.invoke(app, ["train", "--as-of", "last tuesday"])
    assert result.exit_code == 2 and "--as-of: 'last tuesday' is not a date" in result.output

    # a model trained elsewhere scores an empty graph: nothing to write, no crash
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 5, size=(200, len(FEATURES)))
    model = fit("churn", FEATURES, x, x[:, 0] > 2.5, FAST.model, "elsewhere")
    bundle = ScoreBundle(FEATURES, {"churn": model}, {}, "2025-07-01", "2024-07-01", 365,
                         {n: drift_module.reference(x[:, j]) for j, n in enumerate(FEATURES)})  # fmt: skip
    registry.save(bundle, {"metrics": {"churn": model.metrics}})
    report = job.score()
    assert (report.customers, report.scored, report.insufficient_history) == (0, 0, 0)
    assert report.feature_psi == {} and report.score_psi is None


def test_customers_without_activity_get_base_rates(
    falkordb_store: FalkorDBStore, tmp_path: Path
) -> None:
    """Customers with records but no interaction or transaction at all: training refuses
    (nothing dated to learn from) and scoring with a model gives every customer the base
    rates, marked insufficient history."""
    store = falkordb_store
    store.run_cypher(
        "UNWIND range(1, 5) AS i "
        "CREATE (:Record {key: 'crm:' + toString(i), source: 'crm', kind: 'person'})"
        "-[:RESOLVES_TO]->(:Customer {id: 'C' + toString(i), status: 'active', kind: 'person', "
        "record_count: 1, sources: ['crm']})",
        read_only=False,
    )
    registry = ModelRegistry.under_home(tmp_path)
    job = ScoresJob(store, registry, FAST)
    with pytest.raises(InsufficientLabels, match="but no dated interactions or transactions"):
        job.train()
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 5, size=(200, len(FEATURES)))
    churn = fit("churn", FEATURES, x, x[:, 1] > 2.0, FAST.model, "elsewhere")
    value = fit("value", FEATURES, x, 100.0 * x[:, 2], FAST.model, "elsewhere")
    refs = {n: drift_module.reference(x[:, j]) for j, n in enumerate(FEATURES)}
    registry.save(ScoreBundle(FEATURES, {"churn": churn, "value": value}, {"lead": "lead: none"},
                              "2025-07-01", "2024-07-01", 365, refs), {})  # fmt: skip
    report = job.score()
    assert report.customers > 0 and report.scored == 0
    assert report.insufficient_history == report.customers
    rows = store.run_cypher(SCORED)
    assert rows and all(r["basis"] == "insufficient_history" for r in rows)
    assert {r["churn"] for r in rows} == {round(churn.base_rate, 4)}
    assert {r["value"] for r in rows} == {round(value.base_rate, 2)}
    assert all(r["lead"] is None for r in rows)  # no lead model: no lead score
    assert all(r["churn_factors"] == [INSUFFICIENT] for r in rows)

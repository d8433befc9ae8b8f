"""Score models without servers: features and labels from histories, fitting, calibration
metrics, top factors, refusals, drift, the registry and the schedule."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]

from ml.scores import drift
from ml.scores.cli import schedule_jobs
from ml.scores.features import FEATURES, NEVER_DAYS, History, outcomes, snapshot
from ml.scores.models import (
    InsufficientLabels,
    ModelConfig,
    expected_calibration_error,
    fit,
    reliability,
)
from ml.scores.registry import ModelRegistry, NoModel

D = date(2024, 1, 1)
FAST = ModelConfig(max_iter=40, min_rows=20, min_class=5)


def day(offset: int) -> int:
    return (D + timedelta(days=offset)).toordinal()


def history(cid: str, events: list[tuple[int, bool, float]], **graph: float) -> History:
    return History(
        id=cid,
        graph={
            "influence": 0.0,
            "community_size": 1.0,
            "records": 1.0,
            "sources": 1.0,
            "is_business": 0.0,
            "referrals_made": 0.0,
            "referred_in": 0.0,
            "knows": 0.0,
            "household": 0.0,
            "colleagues": 0.0,
        }
        | graph,
        days=[day(d) for d, _, _ in events],
        purchases=[p for _, p, _ in events],
        amounts=[a for _, _, a in events],
    )


def col(name: str) -> int:
    return FEATURES.index(name)


def test_features_use_only_activity_before_the_day() -> None:
    hs = [
        history(
            "a",
            [(-400, True, 100.0), (-10, False, 0.0), (-5, True, 50.0), (20, True, 999.0)],
            referred_in=1.0,
        ),
        history("b", [(30, False, 0.0)]),
        history("c", []),
    ]
    snap = snapshot(hs, D)
    a, b, c = snap.x
    assert a[col("purchases")] == 2 and a[col("purchases_last_year")] == 1
    assert a[col("spend")] == 150.0 and a[col("spend_last_year")] == 50.0
    assert a[col("days_since_purchase")] == 5 and a[col("days_since_interaction")] == 10
    assert a[col("days_since_activity")] == 5 and a[col("tenure_days")] == 400
    assert a[col("interactions")] == 1 and a[col("referred_in")] == 1
    # activity on or after the day is invisible: b and c have no history yet
    assert list(snap.history) == [True, False, False]
    assert list(snap.bought) == [True, False, False]
    assert b[col("days_since_activity")] == NEVER_DAYS == c[col("days_since_purchase")]


def test_outcomes_over_the_horizon() -> None:
    hs = [
        history("quiet", [(-30, True, 10.0)]),
        history("buys", [(-30, False, 0.0), (10, True, 300.0), (40, True, -50.0)]),
        history("talks", [(-30, False, 0.0), (100, False, 0.0)]),
        history("refund", [(5, True, -80.0)]),
        history("later", [(400, True, 70.0)]),  # after the horizon's end
    ]
    labels = outcomes(hs, D, D + timedelta(days=365))
    assert list(labels.churned) == [True, False, False, False, True]
    assert list(labels.converted) == [False, True, False, True, False]
    assert list(labels.value) == [0.0, 250.0, 0.0, 0.0, 0.0]  # refunds netted, never below 0


def planted(n: int, seed: int = 1) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Rows where churn depends on days since activity and referrals only."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 5, size=(n, len(FEATURES)))
    x[:, col("days_since_activity")] = rng.uniform(0, 1000, n)
    x[:, col("referred_in")] = rng.integers(0, 2, n)
    logit = (x[:, col("days_since_activity")] - 500) / 120 - 1.5 * x[:, col("referred_in")]
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    return x, y


def test_a_planted_signal_is_found_calibrated_and_explained() -> None:
    x, y = planted(1_200)
    model = fit("churn", FEATURES, x, y, FAST, "planted rows")
    m = model.metrics
    assert m["auc"] > 0.85
    assert m["brier"] < m["brier_base_rate"]
    assert m["ece"] < 0.08
    assert m["calibration"] == "isotonic" or m["train_rows"] < FAST.isotonic_from
    assert sum(b["count"] for b in m["reliability"]) == m["test_rows"] == 300
    p = model.predict(x[:50])
    assert ((p >= 0) & (p <= 1)).all()
    factors = model.factors(x[:50], top=3)
    assert len(factors) == 50 and all(len(f) <= 3 for f in factors)
    firsts = [f[0].split("=")[0] for f in factors if f]
    # the planted causes lead for most customers (by chance: 2 in 20), written as
    # "name=value (+delta)"; noise features take the lead only where the causes are near
    # their medians and barely move the prediction
    assert sum(f in ("days_since_activity", "referred_in") for f in firsts) >= 38
    assert max(set(firsts), key=firsts.count) == "days_since_activity"
    assert all(" (+" in f[0] or " (-" in f[0] for f in factors if f)


def test_value_model_predicts_non_negative_spend() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 5, size=(400, len(FEATURES)))
    spend = np.where(x[:, col("purchases")] > 2.5, 1_000.0 * x[:, col("purchases")], 0.0)
    model = fit("value", FEATURES, x, spend, FAST, "planted rows")
    assert model.metrics["mae"] < model.metrics["mae_mean"]
    assert (model.predict(x) >= 0).all()


def test_too_few_labels_are_refused_with_the_counts() -> None:
    x, y = planted(200)
    with pytest.raises(InsufficientLabels, match=r"churn: 10 training rows \(tiny\)"):
        fit("churn", FEATURES, x[:10], y[:10], FAST, "tiny")
    one_class = np.zeros(200, dtype=bool)
    one_class[:3] = True
    with pytest.raises(InsufficientLabels, match="lead: 3 positive and 197 negative"):
        fit("lead", FEATURES, x, one_class, FAST, "few buyers")
    with pytest.raises(InsufficientLabels, match="value: 0 of 200 rows"):
        fit("value", FEATURES, x, np.zeros(200), FAST, "no spend")


def test_reliability_bins_and_calibration_error() -> None:
    y = np.array([0, 0, 1, 1, 1, 0, 1, 0], dtype=np.float64)
    p = np.array([0.05, 0.05, 0.95, 0.95, 0.55, 0.55, 0.55, 0.45])
    bins = reliability(y, p)
    assert [b["count"] for b in bins] == [2, 1, 3, 2]
    assert bins[0] == {"bin": [0.0, 0.1], "count": 2, "predicted": 0.05, "observed": 0.0}
    # |0.05-0| * 2/8 + |0.45-0| * 1/8 + |0.55-0.6667| * 3/8 + |0.95-1| * 2/8
    assert expected_calibration_error(y, p) == pytest.approx(0.125, abs=1e-3)
    assert expected_calibration_error(np.zeros(0), np.zeros(0)) == 0.0


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(0, 1, 5_000)
    ref = drift.reference(base)
    assert len(ref.edges) == 9 and sum(ref.shares) == pytest.approx(1.0)
    assert drift.psi(ref.shares, drift.shares(rng.normal(0, 1, 5_000), ref.edges)) < 0.02
    assert drift.psi(ref.shares, drift.shares(rng.normal(1, 1, 5_000), ref.edges)) > 0.25
    # a constant feature has one bin; the same constant later is no drift
    flat = drift.reference(np.zeros(100))
    assert flat.edges == [] and drift.psi(flat.shares, drift.shares(np.zeros(10), [])) == 0.0
    assert drift.Reference.from_json(ref.to_json()) == ref


def test_registry_versions_load_and_refuse(tmp_path: Path) -> None:
    registry = ModelRegistry.under_home(tmp_path)
    with pytest.raises(NoModel, match="run `c360 scores train` first"):
        registry.load()
    first = registry.save({"weights": [1, 2]}, {"metrics": {"auc": 0.7}})
    second = registry.save({"weights": [3]}, {"metrics": {"auc": 0.8}})
    assert (first, second) == ("scores-0001", "scores-0002")
    assert registry.versions() == [first, second] and registry.latest() == second
    assert registry.load() == {"weights": [3]} and registry.load(first) == {"weights": [1, 2]}
    assert registry.meta(first) == {"metrics": {"auc": 0.7}, "version": first}
    assert (tmp_path / "models" / "scores" / first / "model.joblib").is_file()
    assert not list(registry.root.glob(".staging-*"))
    with pytest.raises(NoModel, match="'scores-0009'.*scores-0001, scores-0002"):
        registry.load("scores-0009")
    registry.record_run({"version": second, "scored": 3})
    registry.record_run({"version": second, "scored": 4})
    assert [r["scored"] for r in registry.runs()] == [3, 4]


class _Recorder:
    def __init__(self) -> None:
        self.ran = threading.Event()

    def rescore_or_retrain(self) -> None:
        self.ran.set()

    def train(self) -> None:
        pass

    def score(self) -> None:
        pass


def test_schedule_registers_both_jobs_and_scores_right_away() -> None:
    scheduler = BackgroundScheduler()
    recorder = _Recorder()
    schedule_jobs(scheduler, recorder, score_every=timedelta(hours=6),  # type: ignore[arg-type]
                  train_every=timedelta(days=7))  # fmt: skip
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"scores.rescore", "scores.retrain"}
    assert jobs["scores.rescore"].trigger.interval == timedelta(hours=6)
    assert jobs["scores.retrain"].trigger.interval == timedelta(days=7)
    assert jobs["scores.rescore"].max_instances == 1 and jobs["scores.rescore"].coalesce
    scheduler.start()
    try:
        assert recorder.ran.wait(60), "the first rescoring did not run"
    finally:
        scheduler.shutdown(wait=True)

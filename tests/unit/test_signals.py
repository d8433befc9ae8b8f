"""What each job announces (workers.signals), without a store: which changes become
events, their data, and ids that depend on what they say and nothing else."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from workers.alerts import EVENT_FIELDS
from workers.signals import (
    Signals,
    link_signals,
    matched_signals,
    scored_signals,
    signal_id,
)


def scored(customer: str, churn: float | None, basis: str = "model") -> dict[str, Any]:
    return {"id": customer, "model": "scores-0002", "basis": basis, "churn_risk": churn,
            "lead_score": None, "lifetime_value": 100.0}  # fmt: skip


def test_only_changed_scores_are_announced_with_what_they_were() -> None:
    before = {
        "C1": {"churn_risk": 0.5, "lead_score": None, "lifetime_value": 100.0, "basis": "model"},
        "C2": {"churn_risk": 0.2, "lead_score": None, "lifetime_value": 100.0, "basis": "model"},
    }
    found = scored_signals(before, [scored("C1", 0.8), scored("C2", 0.2), scored("C3", 0.1)])
    assert [s.customer_id for s in found] == ["C1", "C3"]  # C2 did not change
    assert found[0].data == {
        "customer_id": "C1", "model": "scores-0002", "churn_risk": 0.8,
        "churn_risk_before": 0.5, "lead_score": None, "lead_score_before": None,
        "lifetime_value": 100.0, "lifetime_value_before": 100.0,
    }  # fmt: skip
    assert found[1].data["churn_risk_before"] is None  # never scored before
    assert set(found[0].data) == EVENT_FIELDS["customer.scored"]
    # the same change found again (a run cut short, run again) has the same id
    again = scored_signals(before, [scored("C1", 0.8)])
    assert again[0].id == found[0].id
    assert scored_signals({}, [scored("C1", 0.8)])[0].id != found[0].id


def test_base_rates_are_not_announced_and_count_as_no_score_before() -> None:
    base = {"churn_risk": 0.9, "lead_score": None, "lifetime_value": 100.0,
            "basis": "insufficient_history"}  # fmt: skip
    assert scored_signals({}, [scored("C1", 0.9, basis="insufficient_history")]) == []
    (signal,) = scored_signals({"C1": base}, [scored("C1", 0.95)])  # its first model score
    assert signal.data["churn_risk_before"] is None
    assert signal.data["lifetime_value_before"] is None


def test_a_new_or_changed_prediction_is_announced_for_each_end() -> None:
    existing = [{"a": "A", "b": "B", "probability": 0.6}, {"a": "A", "b": "C", "probability": 0.7}]
    written = [
        {"a": "B", "b": "A", "kind": "REFERRED", "probability": 0.9, "model": "m"},  # changed
        {"a": "A", "b": "C", "kind": "REFERRED", "probability": 0.7, "model": "m"},  # same
        {"a": "A", "b": "D", "kind": "REFERRED", "probability": 0.55, "model": "m"},  # new
    ]
    found = link_signals(existing, written)
    assert [(s.customer_id, s.data["other_id"], s.data["probability_before"]) for s in found] == [
        ("B", "A", 0.6), ("A", "B", 0.6), ("A", "D", None), ("D", "A", None),
    ]  # fmt: skip
    assert set(found[0].data) == EVENT_FIELDS["link.predicted"]
    assert len({s.id for s in found}) == 4


def test_a_matched_record_has_one_id_per_record_and_customer() -> None:
    match = {"customer_id": "C1", "record_key": "crm:9", "source": "crm",
             "record_rep": "Bea", "customer_rep": "Al", "confidence": 0.97}  # fmt: skip
    (signal,) = matched_signals([match])
    assert signal.data == match and set(match) == EVENT_FIELDS["record.matched"]
    assert signal.id == matched_signals([match | {"confidence": 0.5}])[0].id
    assert signal.id != matched_signals([match | {"customer_id": "C2"}])[0].id


def test_signal_ids_depend_only_on_kind_and_parts() -> None:
    assert signal_id("customer.quiet", "C1", "2024-01-01") == signal_id(
        "customer.quiet", "C1", "2024-01-01"
    )
    assert signal_id("customer.quiet", "C1", "2024-01-01").startswith("customer.quiet:")
    assert signal_id("customer.quiet", "C1", "2024-01-02") != signal_id(
        "customer.quiet", "C1", "2024-01-01"
    )


def test_an_event_without_a_stream_needs_an_id() -> None:
    signals = Signals(store=None)  # type: ignore[arg-type]  # refused before the store is used
    with pytest.raises(ValueError, match="a customer.quiet event needs an id"):
        signals.announce("customer.quiet", "C1", {"customer_id": "C1"})


def test_the_schedule_adds_the_quiet_check_when_given_one() -> None:
    from datetime import timedelta

    from apscheduler.schedulers.background import BackgroundScheduler

    from ml.scores.cli import schedule_jobs
    from workers.signals import QuietCheck

    scheduler = BackgroundScheduler()
    quiet = QuietCheck(store=None)  # type: ignore[arg-type]  # never run here
    job = SimpleNamespace(rescore_or_retrain=lambda: None)  # not started: never run
    schedule_jobs(scheduler, job, score_every=timedelta(hours=6),  # type: ignore[arg-type]
                  train_every=timedelta(days=7), quiet=quiet,
                  quiet_every=timedelta(hours=12))  # fmt: skip
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"scores.rescore", "scores.retrain", "alerts.quiet"}
    assert jobs["alerts.quiet"].trigger.interval == timedelta(hours=12)
    assert jobs["alerts.quiet"].func == quiet.run and jobs["alerts.quiet"].coalesce

"""Train, register and score: churn risk, lead score and lifetime value on Customers.

`ScoresJob.train()` reads every active customer's history, builds training rows at a
cutoff one horizon before the data's "today" (`as_of`: the day after the latest activity
in the graph unless given) with the outcomes in the horizon after it, fits the three models
(`ml.scores.models`), and stores them as a new registry version with their held-out
metrics, the training-data fingerprint and the drift reference. A model whose labels are
too few is refused with the reason (the others still train); when none can be trained,
training stops with `InsufficientLabels`.

`ScoresJob.score()` loads a version (the latest by default), computes today's features,
and writes onto each active Customer (`cypher/scores/write`):

    churn_risk       P(no interaction or purchase in the next horizon), calibrated
    lead_score       P(a first purchase in the next horizon), for customers who never
                     bought (null for those who have: they are not leads)
    lifetime_value   expected spend over the next horizon, JMD
    churn_factors, lead_factors, value_factors   the top factors of each prediction
                     (or "no single feature moves this score")
    scores_model     the registry version; scores_at (epoch ms); scores_basis

A customer with no dated activity at all is not scored by a model: it gets each model's
base rate (the training rows' mean outcome), `scores_basis: "insufficient_history"` and a
factor saying so, so the API never shows a confident number made up from nothing. Scores
of customers that are no longer active are cleared. Each run records the drift of
today's features against those of the customers when the model was trained, and of the
churn-risk distribution against the previous run (`ml.scores.drift`).

Before writing, each customer a model scored whose scores changed is announced as
`customer.scored` (`workers.signals`: the scores and what they were, so a `crosses_above`
rule raises once when churn risk crosses its line; base rates are not news). The events go out before the write, so a run cut short
announces them again on the next run, with the same ids: no alert is lost or raised twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from graph.store import GraphStore, Row
from ml.scores import drift
from ml.scores.features import (
    FEATURES,
    History,
    Snapshot,
    latest_activity,
    outcomes,
    read_histories,
    snapshot,
)
from ml.scores.models import FittedModel, InsufficientLabels, Kind, ModelConfig, fit
from ml.scores.registry import ModelRegistry
from workers.signals import Signals, scored_signals

log = logging.getLogger(__name__)

KINDS: tuple[Kind, ...] = ("churn", "lead", "value")
INSUFFICIENT = "insufficient history: no dated interactions or transactions"
NO_FACTOR = "no single feature moves this score"  # typical in every respect the model uses


@dataclass(frozen=True)
class ScoresConfig:
    horizon_days: int = 365
    drift_threshold: float = 0.25  # a feature PSI above this asks for retraining
    batch: int = 2_000
    model: ModelConfig = field(default_factory=ModelConfig)


@dataclass
class ScoreBundle:
    """What a registry version holds: the fitted models and what scoring needs besides."""

    features: tuple[str, ...]
    models: dict[str, FittedModel]
    refused: dict[str, str]
    as_of: str
    cutoff: str
    horizon_days: int
    feature_reference: dict[str, drift.Reference]


@dataclass
class TrainReport:
    version: str
    as_of: str
    cutoff: str
    customers: int
    rows: int  # customers with history before the cutoff
    fingerprint: str
    metrics: dict[str, dict[str, Any]]
    refused: dict[str, str]
    seconds: float

    def summary(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ScoreReport:
    version: str
    as_of: str
    customers: int
    scored: int  # by a model
    insufficient_history: int  # given the base rates
    cleared: int  # no longer active: scores removed
    feature_psi: dict[str, float]
    score_psi: float | None  # churn risk against the previous run
    drifted: list[str]
    seconds: float
    changed: int = 0  # customers a model scored differently: customer.scored events
    alerts: int = 0  # raised by the alert rules on those events

    def summary(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ScoresJob:
    def __init__(
        self,
        store: GraphStore,
        registry: ModelRegistry,
        config: ScoresConfig | None = None,
        signals: Signals | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.config = config or ScoresConfig()
        self.signals = signals or Signals(store)  # without a stream: alerts only

    # -- training ---------------------------------------------------------------------
    def train(self, as_of: date | None = None) -> TrainReport:
        started = time.perf_counter()
        histories = read_histories(self.store)
        as_of = self._as_of(histories, as_of)
        cutoff = as_of - timedelta(days=self.config.horizon_days)
        snap = snapshot(histories, cutoff)
        labels = outcomes(histories, cutoff, as_of)
        rows = snap.history
        window = f"history before {cutoff.isoformat()}, outcome to {as_of.isoformat()}"
        models: dict[str, FittedModel] = {}
        refused: dict[str, str] = {}
        targets: dict[Kind, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], str]] = {
            "churn": (rows, labels.churned, f"customers with {window}"),
            "lead": (
                rows & ~snap.bought,
                labels.converted,
                f"customers who had not bought, with {window}",
            ),
            "value": (rows, labels.value, f"customers with {window}"),
        }
        for kind, (mask, y, population) in targets.items():
            try:
                models[kind] = fit(kind, FEATURES, snap.x[mask], y[mask], self.config.model,
                                   population)  # fmt: skip
            except InsufficientLabels as refusal:
                refused[kind] = str(refusal)
        if not models:
            raise InsufficientLabels("; ".join(refused.values()))
        fingerprint = _fingerprint(snap, rows, labels.churned, labels.converted, labels.value)
        bundle = ScoreBundle(
            features=FEATURES,
            models=models,
            refused=refused,
            as_of=as_of.isoformat(),
            cutoff=cutoff.isoformat(),
            horizon_days=self.config.horizon_days,
            feature_reference=_reference(snapshot(histories, as_of)),
        )
        metrics = {kind: m.metrics for kind, m in models.items()}
        seconds = round(time.perf_counter() - started, 3)
        version = self.registry.save(
            bundle,
            {
                "trained_at": int(time.time() * 1000),
                "as_of": bundle.as_of,
                "cutoff": bundle.cutoff,
                "horizon_days": bundle.horizon_days,
                "features": list(FEATURES),
                "customers": len(histories),
                "rows": int(rows.sum()),
                "fingerprint": fingerprint,
                "metrics": metrics,
                "refused": refused,
                "seconds": seconds,
                "data": "the graph's own activity; on demo data a synthetic lifecycle "
                "(ingest.demo_data), not observed behaviour",
            },
        )
        report = TrainReport(version, bundle.as_of, bundle.cutoff, len(histories),
                             int(rows.sum()), fingerprint, metrics, refused, seconds)  # fmt: skip
        log.info("score models trained", extra={"report": report.summary()})
        return report

    # -- scoring ----------------------------------------------------------------------
    def score(self, version: str | None = None, as_of: date | None = None) -> ScoreReport:
        started = time.perf_counter()
        version = version or self.registry.latest()
        bundle: ScoreBundle = self.registry.load(version)  # raises NoModel without one
        assert version is not None
        histories = read_histories(self.store)
        today = self._as_of(histories, as_of, allow_empty=True)
        snap = snapshot(histories, today)
        now = int(time.time() * 1000)
        predictions: dict[str, np.ndarray[Any, Any]] = {}
        factors: dict[str, list[list[str]]] = {}
        for kind, model in bundle.models.items():
            predictions[kind] = model.predict(snap.x)
            scored = np.flatnonzero(snap.history)
            found = model.factors(snap.x[scored], self.config.model.top_factors)
            factors[kind] = [[] for _ in snap.ids]
            for index, listed in zip(scored, found, strict=True):
                factors[kind][int(index)] = listed
        out: list[Row] = []
        for i, customer in enumerate(snap.ids):
            has_history = bool(snap.history[i])
            row: Row = {"id": customer, "model": version, "at": now,
                        "basis": "model" if has_history else "insufficient_history"}  # fmt: skip
            for kind, name, factor_name in (("churn", "churn_risk", "churn_factors"),
                                            ("lead", "lead_score", "lead_factors"),
                                            ("value", "lifetime_value", "value_factors")):  # fmt: skip
                fitted = bundle.models.get(kind)
                if fitted is None or (kind == "lead" and snap.bought[i]):
                    row[name] = row[factor_name] = None  # no model, or already a buyer
                elif has_history:
                    row[name] = _round(kind, float(predictions[kind][i]))
                    row[factor_name] = factors[kind][i] or [NO_FACTOR]
                else:
                    row[name] = _round(kind, fitted.base_rate)
                    row[factor_name] = [INSUFFICIENT]
            out.append(row)
        before = {str(r["id"]): r for r in self.store.run("alerts/customer_scores")}
        changed = scored_signals(before, out)
        alerts = self.signals.emit(changed)
        self.store.write_batches("scores/write", out, self.config.batch)
        cleared = sum(int(r["cleared"]) for r in self.store.run("scores/clear_inactive"))
        report = self._drift_report(bundle, version, snap, predictions.get("churn"), cleared,
                                    changed=len(changed), alerts=alerts)  # fmt: skip
        report.seconds = round(time.perf_counter() - started, 3)
        log.info("customers scored", extra={"report": report.summary()})
        return report

    def rescore_or_retrain(self) -> ScoreReport:
        """The scheduled run: score with the latest version (training first if there is
        none); when features drifted past the threshold, retrain and score again."""
        if self.registry.latest() is None:
            self.train()
        report = self.score()
        if report.drifted:
            log.warning("feature drift: retraining", extra={"drifted": report.drifted})
            self.train()
            report = self.score()
        return report

    def _drift_report(
        self,
        bundle: ScoreBundle,
        version: str,
        snap: Snapshot,
        churn: np.ndarray[Any, Any] | None,
        cleared: int,
        *,
        changed: int = 0,
        alerts: int = 0,
    ) -> ScoreReport:
        rows = snap.history
        feature_psi = drift.feature_psi(bundle.feature_reference, bundle.features, snap.x[rows])
        churn_shares = drift.shares(churn[rows], drift.SCORE_EDGES) if churn is not None else None
        previous = next(
            (r for r in reversed(self.registry.runs()) if r.get("churn_shares") is not None), None
        )
        score_psi = (
            drift.psi(previous["churn_shares"], churn_shares)
            if previous is not None and churn_shares is not None and rows.any()
            else None
        )
        threshold = self.config.drift_threshold
        drifted = sorted(name for name, value in feature_psi.items() if value > threshold)
        report = ScoreReport(
            version=version,
            as_of=snap.at.isoformat(),
            customers=len(snap.ids),
            scored=int(rows.sum()),
            insufficient_history=int((~rows).sum()),
            cleared=cleared,
            feature_psi=feature_psi,
            score_psi=score_psi,
            drifted=drifted,
            seconds=0.0,
            changed=changed,
            alerts=alerts,
        )
        self.registry.record_run(
            {
                **report.summary(),
                "at": int(time.time() * 1000),
                "churn_shares": churn_shares if rows.any() else None,
            }
        )
        return report

    def _as_of(
        self, histories: list[History], as_of: date | None, allow_empty: bool = False
    ) -> date:
        if as_of is not None:
            return as_of
        latest = latest_activity(histories)
        if latest is None:
            if allow_empty:
                return date.today()
            if not histories:
                raise InsufficientLabels("no active customers in the graph: nothing to train on")
            raise InsufficientLabels(
                f"{len(histories)} active customers but no dated interactions or transactions: "
                "nothing to learn churn, leads or value from"
            )
        return latest + timedelta(days=1)


def _reference(scoring: Snapshot) -> dict[str, drift.Reference]:
    """The drift reference: the features of the customers the model is trained to score, as
    of the data's today. Not the training rows: those are one horizon older, and recency
    and tenure differ from today's by that year alone (days since a purchase PSI 0.35 on
    the 300-people demo), which would read as drift at every scheduled run."""
    x = scoring.x[scoring.history]
    return {name: drift.reference(x[:, j]) for j, name in enumerate(FEATURES)}


def _round(kind: str, value: float) -> float:
    return round(value, 2) if kind == "value" else round(value, 4)


def _fingerprint(snap: Snapshot, rows: np.ndarray[Any, Any], *targets: np.ndarray[Any, Any]) -> str:
    """sha256 of the training rows: customer ids, features and outcomes, as stored."""
    digest = hashlib.sha256()
    digest.update(snap.at.isoformat().encode())
    for i in np.flatnonzero(rows):
        digest.update(snap.ids[i].encode() + b"\0")
    digest.update(np.ascontiguousarray(snap.x[rows], dtype=np.float64).tobytes())
    for target in targets:
        digest.update(np.ascontiguousarray(target[rows], dtype=np.float64).tobytes())
    return digest.hexdigest()

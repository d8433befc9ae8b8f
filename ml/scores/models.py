"""The three score models, their held-out metrics and per-prediction top factors.

Churn and lead are gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier)
whose probabilities are calibrated by CalibratedClassifierCV (isotonic with enough rows,
Platt's sigmoid below); lifetime value is a gradient-boosted regressor with a Poisson loss
(spend is a non-negative, skewed amount). Each is fitted on a random 75% of the training
rows and measured on the other 25%; the metrics describe exactly the saved model.

Top factors are per prediction: for each feature, how much the prediction moves when that
feature alone is set to its training median ("what if this customer were typical in
this respect"), largest moves first, written like `days_since_activity=412 (+0.213)`.
Model-agnostic, exact for what the model does, and cheap enough to compute for every
customer in chunks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sklearn.calibration import CalibratedClassifierCV  # type: ignore[import-untyped]
from sklearn.ensemble import (  # type: ignore[import-untyped]
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.metrics import (  # type: ignore[import-untyped]
    brier_score_loss,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from ml.scores.features import BoolArray, FloatArray

Kind = Literal["churn", "lead", "value"]
CHUNK = 4_000  # rows per factor computation (rows x features predictions at once)


class InsufficientLabels(ValueError):
    """Too few examples (or of one class) to train a model: the message says how many."""


@dataclass(frozen=True)
class ModelConfig:
    test_share: float = 0.25
    min_rows: int = 40  # training rows a model needs at all
    min_class: int = 8  # examples of each class a classifier needs
    isotonic_from: int = 1_000  # training rows from which calibration is isotonic
    # Small, regularised trees: on the 20k-people demo graph these gave lead AUC 0.741
    # where 15-leaf trees of 200 rounds gave 0.725 (churn 0.809 and 0.807).
    max_iter: int = 150
    learning_rate: float = 0.05
    max_leaf_nodes: int = 7
    min_samples_leaf: int = 40  # at most a tenth of the training rows
    l2_regularization: float = 1.0
    top_factors: int = 3
    seed: int = 7
    # OpenMP threads for the trees. One: these 2-core machines are shared, and OpenMP's
    # spinning threads made a 1,000-row fit 25 times slower under load (114 s vs 4.5 s).
    threads: int = 1


@dataclass
class FittedModel:
    kind: Kind
    features: tuple[str, ...]
    estimator: Any  # a fitted scikit-learn estimator
    base_rate: float  # mean outcome of the training rows (the score without history)
    baseline: FloatArray  # training medians: the reference of the top factors
    metrics: dict[str, Any] = field(default_factory=dict)
    threads: int = 1

    @property
    def classifier(self) -> bool:
        return self.kind != "value"

    def predict(self, x: FloatArray) -> FloatArray:
        if len(x) == 0:
            return np.zeros(0, dtype=np.float64)
        with threadpool_limits(limits=self.threads):
            if self.classifier:
                return np.asarray(self.estimator.predict_proba(x)[:, 1], dtype=np.float64)
            return np.maximum(np.asarray(self.estimator.predict(x), dtype=np.float64), 0.0)

    def factors(self, x: FloatArray, top: int = 3) -> list[list[str]]:
        """The `top` features that move each row's prediction most, as text."""
        out: list[list[str]] = []
        n_features = len(self.features)
        for start in range(0, len(x), CHUNK):
            chunk = x[start : start + CHUNK]
            base = self.predict(chunk)
            # every row once per feature, that feature set to the training median
            varied = np.repeat(chunk, n_features, axis=0)
            column = np.tile(np.arange(n_features), len(chunk))
            varied[np.arange(len(varied)), column] = self.baseline[column]
            moved = self.predict(varied).reshape(len(chunk), n_features)
            delta = base[:, None] - moved
            for row in range(len(chunk)):
                order = np.argsort(-np.abs(delta[row]), kind="stable")[:top]
                out.append(
                    [
                        f"{self.features[j]}={_number(chunk[row, j])} "
                        f"({_signed(delta[row, j], self.classifier)})"
                        for j in order
                        if abs(delta[row, j]) > (1e-4 if self.classifier else 0.5)
                    ]
                )
        return out


def fit(
    kind: Kind,
    features: tuple[str, ...],
    x: FloatArray,
    y: FloatArray | BoolArray,
    config: ModelConfig,
    population: str,
) -> FittedModel:
    """Fit one model on a random share of (x, y) and measure it on the rest; refuses
    (InsufficientLabels) when the rows or either class are too few."""
    n = len(y)
    classifier = kind != "value"
    target = np.asarray(y, dtype=np.float64)
    if n < config.min_rows:
        raise InsufficientLabels(
            f"{kind}: {n} training rows ({population}); at least {config.min_rows} are needed"
        )
    if classifier:
        positives = int(target.sum())
        if min(positives, n - positives) < config.min_class:
            raise InsufficientLabels(
                f"{kind}: {positives} positive and {n - positives} negative examples "
                f"among {n} rows ({population}); at least {config.min_class} of each are needed"
            )
    elif int((target > 0).sum()) < config.min_class:
        raise InsufficientLabels(
            f"{kind}: {int((target > 0).sum())} of {n} rows ({population}) have any spend; "
            f"at least {config.min_class} are needed"
        )
    x_train, x_test, y_train, y_test = train_test_split(
        x, target, test_size=config.test_share, random_state=config.seed,
        stratify=target if classifier else None,
    )  # fmt: skip
    estimator: Any
    if classifier:
        trees = HistGradientBoostingClassifier(**_tree_options(config, len(y_train)))
        method = "isotonic" if len(y_train) >= config.isotonic_from else "sigmoid"
        folds = int(min(3, y_train.sum(), len(y_train) - y_train.sum()))
        estimator = CalibratedClassifierCV(trees, method=method, cv=folds, ensemble=False)
    else:
        estimator = HistGradientBoostingRegressor(
            loss="poisson", **_tree_options(config, len(y_train))
        )
    with threadpool_limits(limits=config.threads):
        estimator.fit(x_train, y_train)
    model = FittedModel(
        kind=kind,
        features=features,
        estimator=estimator,
        base_rate=float(y_train.mean()),
        baseline=np.median(x_train, axis=0),
        threads=config.threads,
    )
    predicted = model.predict(x_test)
    if classifier:
        model.metrics = classifier_metrics(y_test, predicted, model.base_rate)
        model.metrics["calibration"] = method
    else:
        model.metrics = regressor_metrics(y_test, predicted, model.base_rate)
    model.metrics |= {"population": population, "rows": n, "train_rows": len(y_train),
                      "test_rows": len(y_test)}  # fmt: skip
    return model


def _tree_options(config: ModelConfig, rows: int) -> dict[str, Any]:
    return {
        "max_iter": config.max_iter,
        "learning_rate": config.learning_rate,
        "max_leaf_nodes": config.max_leaf_nodes,
        "min_samples_leaf": max(1, min(config.min_samples_leaf, rows // 10)),
        "l2_regularization": config.l2_regularization,
        "random_state": config.seed,
    }


def classifier_metrics(y: FloatArray, p: FloatArray, base_rate: float) -> dict[str, Any]:
    """AUC, Brier (and the Brier of always predicting the training base rate), log loss,
    reliability bins and the expected calibration error on held-out rows."""
    both = 0 < y.sum() < len(y)
    return {
        "auc": round(float(roc_auc_score(y, p)), 4) if both else None,
        "brier": round(float(brier_score_loss(y, p)), 4),
        "brier_base_rate": round(float(np.mean((y - base_rate) ** 2)), 4),
        "log_loss": round(float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])), 4),
        "positives": int(y.sum()),
        "base_rate": round(base_rate, 4),
        "reliability": reliability(y, p),
        "ece": expected_calibration_error(y, p),
    }


def regressor_metrics(y: FloatArray, p: FloatArray, mean: float) -> dict[str, Any]:
    """MAE beside that of always predicting the training mean, RMSE and R²."""
    return {
        "mae": round(float(mean_absolute_error(y, p)), 2),
        "mae_mean": round(float(np.mean(np.abs(y - mean))), 2),
        "rmse": round(math.sqrt(float(np.mean((y - p) ** 2))), 2),
        "r2": round(float(r2_score(y, p)), 4) if len(y) > 1 else None,
        "mean": round(mean, 2),
    }


def reliability(y: FloatArray, p: FloatArray, bins: int = 10) -> list[dict[str, Any]]:
    """Equal-width probability bins: how many rows, the mean prediction and the observed
    rate in each (empty bins left out)."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        count = int(mask.sum())
        if count:
            out.append(
                {
                    "bin": [round(b / bins, 2), round((b + 1) / bins, 2)],
                    "count": count,
                    "predicted": round(float(p[mask].mean()), 4),
                    "observed": round(float(y[mask].mean()), 4),
                }
            )
    return out


def expected_calibration_error(y: FloatArray, p: FloatArray, bins: int = 10) -> float:
    n = len(y)
    if n == 0:
        return 0.0
    gaps = [b["count"] / n * abs(b["predicted"] - b["observed"]) for b in reliability(y, p, bins)]
    return round(float(sum(gaps)), 4)


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def _signed(delta: float, probability: bool) -> str:
    return f"{delta:+.3f}" if probability else f"{delta:+,.0f}"

"""Predictive scores on customers: churn risk, lead score and lifetime value.

`features` (what the models see, from the graph), `models` (fit, calibrate, measure,
explain), `registry` (versioned artefacts under the c360 home), `drift` (PSI),
`job` (train / score / write back), `cli` (typer sub-apps, APScheduler schedule).
"""

from ml.scores.job import ScoreReport, ScoresConfig, ScoresJob, TrainReport
from ml.scores.models import InsufficientLabels, ModelConfig
from ml.scores.registry import ModelRegistry, NoModel

__all__ = [
    "InsufficientLabels",
    "ModelConfig",
    "ModelRegistry",
    "NoModel",
    "ScoreReport",
    "ScoresConfig",
    "ScoresJob",
    "TrainReport",
]

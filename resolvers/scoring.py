"""The match model of one record kind, as identity resolution uses it.

A thin layer over `resolvers.fellegi_sunter`: it picks the comparison spec of the kind
(person or business), trains without labels (Fellegi-Sunter, EM) or, once stewards have
given enough verdicts, with them (`SupervisedModel`), and scores pairs given as index
arrays into a list of records' values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from resolvers.comparisons import BUSINESS_SPEC, PERSON_SPEC, ComparisonSpec, RecordTable
from resolvers.config import ResolverConfig
from resolvers.fellegi_sunter import (
    Explanation,
    FellegiSunter,
    LabelledPairs,
    Model,
    load_model,
    train,
)
from resolvers.records import Values

SPECS: dict[str, ComparisonSpec] = {"person": PERSON_SPEC, "business": BUSINESS_SPEC}
FloatArray = npt.NDArray[np.float64]


class Scorer:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.spec = model.spec

    @classmethod
    def train(
        cls,
        kind: str,
        values: Sequence[Values],
        pairs: npt.NDArray[np.int64],
        config: ResolverConfig,
        labelled: LabelledPairs | None = None,
    ) -> Scorer:
        """Train on the records of one kind and their candidate pairs (rows of `pairs`)."""
        spec = SPECS[kind]
        table = RecordTable.from_records(values, spec.fields)
        if len(pairs) == 0:
            # Nothing to learn from (a handful of records): match nothing but exact twins.
            pairs = np.asarray([[i, i] for i in range(min(len(values), 1))], dtype=np.int64)
        if labelled is not None:
            return cls(train(spec, table, pairs[:, 0], pairs[:, 1], labelled=labelled))
        model = FellegiSunter.fit(
            spec, table, pairs[:, 0], pairs[:, 1], max_em_pairs=config.train_pairs
        )
        return cls(without_matches_in_u(model))

    def score(
        self, values: Sequence[Values], left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]
    ) -> tuple[FloatArray, FloatArray]:
        """Match probability and weight of the pairs (values[left[p]], values[right[p]])."""
        if len(left) == 0:
            return np.empty(0), np.empty(0)
        table = RecordTable.from_records(values, self.spec.fields)
        _, weights, probabilities = self.model.score_pairs(table, left, right)
        return probabilities, weights

    def explain(self, a: Values, b: Values) -> Explanation:
        return self.model.explain(a, b)

    def to_json(self) -> str:
        return self.model.to_json()

    @classmethod
    def from_json(cls, text: str) -> Scorer:
        return cls(load_model(text))


def without_matches_in_u(model: FellegiSunter) -> FellegiSunter:
    """Take the matches out of u.

    u comes from random record pairs, and a share λ (the prior) of those are matches:
    u_random = λ·m + (1 - λ)·u. In big data λ is negligible; in a small business's data
    (a thousand records, three per customer) it is not, and an exact company name, which
    no two different businesses share, would keep half its weight. Solving for u fixes
    that; a floor of one pair in all keeps every level possible.
    """
    prior = model.prior
    total = model.stats.total_pairs if model.stats else 1_000_000
    floor = 1.0 / max(total, 1)
    corrected = []
    for m, u in zip(model.m, model.u, strict=True):
        clean = np.maximum((u - prior * m) / (1.0 - prior), floor)
        corrected.append(clean / clean.sum())
    return FellegiSunter(model.spec, model.m, corrected, prior, model.term_frequencies, model.stats)


def explanation_json(explanation: Explanation) -> str:
    return json.dumps(explanation.to_dict())

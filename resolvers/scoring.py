"""The match model of one record kind, as identity resolution uses it.

A thin layer over `resolvers.fellegi_sunter`: it picks the comparison spec of the kind
(person or business), trains without labels (Fellegi-Sunter, EM) or, once stewards have
given enough verdicts, with them (`SupervisedModel`), and scores pairs given as index
arrays into a table of records' values (`Scorer.table`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from resolvers.comparisons import (
    BUSINESS_SPEC,
    PERSON_SPEC,
    ComparisonSpec,
    ComparisonVectors,
    RecordTable,
)
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
        sources: Sequence[str] | None = None,
        labelled: LabelledPairs | None = None,
    ) -> Scorer:
        """Train on the records of one kind and their candidate pairs (rows of `pairs`);
        `sources` (each record's) let u come from pairs inside one source."""
        spec = SPECS[kind]
        table = RecordTable.from_records(values, spec.fields)
        if len(pairs) == 0:
            # Nothing to learn from (a handful of records): match nothing but exact twins.
            pairs = np.asarray([[i, i] for i in range(min(len(values), 1))], dtype=np.int64)
        if labelled is not None and _enough(labelled, config.min_labels):
            # Stewards have said "same" and "not the same" often enough: learn from them.
            return cls(
                train(
                    spec,
                    table,
                    pairs[:, 0],
                    pairs[:, 1],
                    labelled=labelled,
                    min_labels=config.min_labels,
                )
            )
        model = FellegiSunter.fit(
            spec, table, pairs[:, 0], pairs[:, 1], u_within=sources, max_em_pairs=config.train_pairs
        )
        return cls(model)

    def table(self, values: Sequence[Values]) -> RecordTable:
        """The records as this scorer compares them. Built once, it scores any number of
        their pairs (`score`) and derives each field's folded values, phonetic keys and
        the like once, not once per batch of pairs."""
        return RecordTable.from_records(values, self.spec.fields)

    def score(
        self,
        table: RecordTable,
        left: npt.NDArray[np.int64],
        right: npt.NDArray[np.int64],
        veto: Sequence[str] = (),
    ) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
        """Match probability and weight of the pairs of rows (left[p], right[p]) of
        `table`, and whether a `veto` comparison plainly disagrees ("else") on the pair."""
        if len(left) == 0:
            return np.empty(0), np.empty(0), np.zeros(0, dtype=np.bool_)
        vectors, weights, probabilities = self.model.score_pairs(table, left, right)
        return probabilities, weights, self.vetoed(vectors, veto)

    def vetoed(self, vectors: ComparisonVectors, veto: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Whether a `veto` comparison plainly disagrees ("else") on each pair."""
        vetoed = np.zeros(len(vectors), dtype=np.bool_)
        for column, comparison in enumerate(self.spec.comparisons):
            if comparison.name in veto:
                vetoed |= vectors.levels[:, column] == len(comparison.levels)
        return vetoed

    def contradicted(
        self,
        values: Sequence[Values],
        left: npt.NDArray[np.int64],
        right: npt.NDArray[np.int64],
        threshold: float,
    ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """Each pair's match probability, and whether its evidence sets it apart: below
        `threshold` *and* a comparison that weighs against it. Records that merely share too
        little to match (a handle-only profile and a CRM row without one; two spellings
        of a business and nothing else) are not contradictions: the prior alone puts
        every pair of strangers below any such threshold."""
        if len(left) == 0:
            return np.empty(0), np.zeros(0, dtype=np.bool_)
        vectors, _, probabilities = self.model.score_pairs(self.table(values), left, right)
        contradicted: npt.NDArray[np.bool_] = probabilities < threshold
        if contradicted.any():  # the few below it: does a comparison weigh against them?
            tf = {name: column[contradicted] for name, column in vectors.tf.items()}
            weights = self.model.contributions(vectors.levels[contradicted], tf)
            evidence = [not c.context for c in self.spec.comparisons]
            contradicted[contradicted] = (weights[:, evidence] < 0).any(axis=1)
        return probabilities, contradicted

    def explain(self, a: Values, b: Values) -> Explanation:
        return self.model.explain(a, b)

    def to_json(self) -> str:
        return self.model.to_json()

    @classmethod
    def from_json(cls, text: str) -> Scorer:
        return cls(load_model(text))


def _enough(labelled: LabelledPairs, min_labels: int) -> bool:
    matches = int(np.count_nonzero(labelled.is_match))
    return min(matches, len(labelled.is_match) - matches) >= min_labels


def explanation_json(explanation: Explanation) -> str:
    return json.dumps(explanation.to_dict())

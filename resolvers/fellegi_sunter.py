"""Scoring record pairs: a Fellegi-Sunter model trained without labels, or a supervised one.

`FellegiSunter.fit` learns from the records and the candidate pairs alone:

- u (how often a level occurs between two random records, i.e. mostly non-matches) from
  random record pairs, as Splink's `estimate_u_using_random_sampling` does;
- m (how often it occurs between two records of one entity) and the prior λ (the share
  of all record pairs that match) by expectation-maximisation over the candidate pairs.
  EM runs in the frame of *all* record pairs: pairs blocking left out are taken to be
  non-matches, so λ is relative to every pair, matching u from random pairs, and the
  posterior of a candidate pair counts the agreement that made it a candidate;
- term frequencies of the fields of comparisons marked `term_frequency`: an exact match
  on value v weighs log2(m / frequency(v)) instead of log2(m / u), so two Smiths are
  weaker evidence than two Zylbersteins.

A pair's match weight is log2(λ / (1 - λ)) + Σ log2(m / u) over its comparisons (+ the
term-frequency adjustments); its match probability is 1 / (1 + 2^-weight). Null levels
weigh nothing. `explain` shows that sum for one pair, comparison by comparison.

When a steward has labelled enough pairs, `SupervisedModel` (logistic regression on the
same levels) scores them instead; `train` picks one or the other. Both serialise to
JSON (`to_json`, `load_model`) with their comparison spec, so a stored model is whole.

Typical use, for candidate pairs (left[p], right[p]) of rows of a table::

    table = RecordTable.from_records(records, PERSON_SPEC.fields)
    model = FellegiSunter.fit(PERSON_SPEC, table, left, right)
    vectors, weights, probabilities = model.score_pairs(table, left, right)
    print(model.explain(records[left[0]], records[right[0]]))        # one pair, as a table
    per_comparison = model.contributions(vectors)                     # every pair, in bulk
    again = FellegiSunter.from_json(model.to_json())
"""

from __future__ import annotations

import importlib
import json
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from resolvers.comparisons import (
    NULL_LEVEL,
    ComparisonSpec,
    ComparisonVectors,
    FloatArray,
    IntArray,
    LevelArray,
    Record,
    RecordTable,
    TermFrequencies,
)

MODEL_VERSION = 1
# Pseudo-count per level in the m estimates: a level never seen among matches during
# training (a rare 'swapped names') must stay possible, not weigh minus infinity.
M_PSEUDO_COUNT = 1.0
# Frequencies below this are treated as this, so one typo'd value cannot weigh infinitely.
MIN_TF = 1e-9


def _probability(weights: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / (1.0 + np.exp2(-np.clip(weights, -1000.0, 1000.0)))
    return result


def _display(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "-"


# ------------------------------------------------------------------------- explanations


@dataclass(frozen=True)
class Contribution:
    """What one comparison adds to a pair's match weight (log2 units)."""

    comparison: str
    level: int
    label: str
    value_a: str
    value_b: str
    bayes_factor: float  # log2 of m/u (or the supervised coefficient) of the level
    tf_adjustment: float  # log2 term-frequency adjustment, 0 when none applies

    @property
    def weight(self) -> float:
        return self.bayes_factor + self.tf_adjustment


@dataclass(frozen=True)
class Explanation:
    """A pair's match weight, comparison by comparison."""

    prior: float  # log2 prior odds
    contributions: tuple[Contribution, ...]

    @property
    def weight(self) -> float:
        return self.prior + sum(c.weight for c in self.contributions)

    @property
    def probability(self) -> float:
        return float(_probability(np.asarray([self.weight]))[0])

    def to_dict(self) -> dict[str, Any]:
        return {
            "prior": self.prior,
            "weight": self.weight,
            "probability": self.probability,
            "contributions": [asdict(c) | {"weight": c.weight} for c in self.contributions],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def __str__(self) -> str:
        rows = [("comparison", "level", "a", "b", "log2 BF", "tf adj")]
        rows.append(("prior", "", "", "", f"{self.prior:+.2f}", ""))
        for c in self.contributions:
            tf = f"{c.tf_adjustment:+.2f}" if c.tf_adjustment else ""
            bf = f"{c.bayes_factor:+.2f}" if c.level != NULL_LEVEL else "0"
            rows.append((c.comparison, c.label, c.value_a[:32], c.value_b[:32], bf, tf))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append(f"match weight {self.weight:+.2f}, probability {self.probability:.6f}")
        return "\n".join(line.rstrip() for line in lines)


# ------------------------------------------------------------------------ shared scoring


class _LinearScorer(ABC):
    """A model whose weight is a prior plus one term per comparison level (+ tf terms)."""

    kind: ClassVar[str]

    def __init__(self, spec: ComparisonSpec, term_frequencies: TermFrequencies | None) -> None:
        self.spec = spec
        self.term_frequencies = term_frequencies

    @property
    @abstractmethod
    def prior_log2_odds(self) -> float:
        """The weight of a pair before any evidence."""

    @abstractmethod
    def level_weights(self) -> list[FloatArray]:
        """Per comparison, the log2 weight of each level (null excluded)."""

    @abstractmethod
    def _tf_adjustment(self, column: int, levels: LevelArray, tf: FloatArray) -> FloatArray:
        """log2 adjustment per pair for a term-frequency comparison (0 where none)."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Everything needed to score again, JSON-ready."""

    def _columns(
        self, levels: LevelArray | ComparisonVectors, tf: Mapping[str, FloatArray] | None
    ) -> Iterator[FloatArray]:
        """Per comparison, each pair's contribution (log2), tf adjustment included."""
        if isinstance(levels, ComparisonVectors):
            tf = levels.tf if tf is None else tf
            levels = levels.levels
        if levels.ndim != 2 or levels.shape[1] != len(self.spec.comparisons):
            raise ValueError(
                f"vectors of shape {levels.shape} for {len(self.spec.comparisons)} comparisons"
            )
        for column, table in enumerate(self.level_weights()):
            col = levels[:, column]
            # Index `len(table)` is the null level: it weighs nothing.
            padded = np.append(table, 0.0)
            weights: FloatArray = padded[np.where(col == NULL_LEVEL, len(table), col)]
            name = self.spec.comparisons[column].name
            if tf is not None and self.term_frequencies is not None and name in tf:
                weights = weights + self._tf_adjustment(column, col, tf[name])
            yield weights

    def score(
        self, levels: LevelArray | ComparisonVectors, tf: Mapping[str, FloatArray] | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Match weights (log2 odds) and probabilities of comparison vectors.

        `levels` may be `ComparisonVectors` (its tf is used) or the bare int8 levels with
        `tf` beside them; without frequencies, exact matches weigh their level's average.
        """
        weights = np.full(len(levels), self.prior_log2_odds)
        for column in self._columns(levels, tf):
            weights += column
        return weights, _probability(weights)

    def contributions(
        self, levels: LevelArray | ComparisonVectors, tf: Mapping[str, FloatArray] | None = None
    ) -> FloatArray:
        """Each pair's weight per comparison, shape (n_pairs, n_comparisons).

        The prior plus a row's sum is the pair's match weight: what a link keeps as its
        explanation in bulk (labels and values come from the levels and the records).
        """
        columns = list(self._columns(levels, tf))
        if not columns:
            return np.zeros((len(levels), 0))
        return np.stack(columns, axis=1)

    def score_pairs(
        self, table: RecordTable, left: npt.ArrayLike, right: npt.ArrayLike
    ) -> tuple[ComparisonVectors, FloatArray, FloatArray]:
        """Comparison vectors, match weights and probabilities of pairs of `table` rows."""
        vectors = self._compare(table, left, right)
        weights, probabilities = self.score(vectors)
        return vectors, weights, probabilities

    def _compare(
        self, table: RecordTable, left: npt.ArrayLike, right: npt.ArrayLike
    ) -> ComparisonVectors:
        # Frequencies are the model's own (those of its training data), never the
        # table's: a model without them scores without adjustments.
        tf = self.term_frequencies
        return self.spec.compare(table, left, right, term_frequencies=tf, with_tf=tf is not None)

    def explain(self, record_a: Record, record_b: Record) -> Explanation:
        """Why the model scores this pair as it does."""
        vectors, table = self.spec.compare_records(
            [(record_a, record_b)], term_frequencies=self.term_frequencies
        )
        return self.explain_pair(table, 0, 1, vectors)

    def explain_pair(
        self, table: RecordTable, a: int, b: int, vectors: ComparisonVectors | None = None
    ) -> Explanation:
        """The explanation of rows a and b of `table` (`vectors`: their one-row vectors)."""
        if vectors is None:
            vectors = self._compare(table, [a], [b])
        contributions = []
        for column, (comparison, weights) in enumerate(
            zip(self.spec.comparisons, self.level_weights(), strict=True)
        ):
            level = int(vectors.levels[0, column])
            field = comparison.field
            if 0 <= level < len(comparison.levels):
                field = comparison.levels[level].field or field
            bf = float(weights[level]) if level != NULL_LEVEL else 0.0
            tf = 0.0
            if comparison.name in vectors.tf and self.term_frequencies is not None:
                tf = float(
                    self._tf_adjustment(
                        column, vectors.levels[:, column], vectors.tf[comparison.name]
                    )[0]
                )
            contributions.append(
                Contribution(
                    comparison=comparison.name,
                    level=level,
                    label="null" if level == NULL_LEVEL else comparison.labels[level],
                    value_a=_display(table.values(field, a)),
                    value_b=_display(table.values(field, b)),
                    bayes_factor=bf,
                    tf_adjustment=tf,
                )
            )
        return Explanation(self.prior_log2_odds, tuple(contributions))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))


# ------------------------------------------------------------------------- unsupervised


@dataclass(frozen=True)
class TrainingStats:
    """How a Fellegi-Sunter model was trained."""

    records: int
    u_pairs: int  # random pairs sampled for u (by the comparison that needed most)
    candidate_pairs: int  # candidate pairs given
    em_pairs: int  # of which EM trained on
    total_pairs: int  # every pair the prior is relative to
    em_iterations: int
    converged: bool
    max_change: float  # largest parameter change of the last EM iteration
    log_likelihood: float  # of the EM pairs under the final parameters (nats)
    seconds: float


@dataclass(frozen=True)
class EMResult:
    m: list[FloatArray]
    prior: float
    iterations: int
    converged: bool
    max_change: float
    log_likelihood: float


def _initial_m(n_levels: int) -> FloatArray:
    if n_levels == 2:
        return np.asarray([0.9, 0.1])
    middle = [0.1 / (n_levels - 2)] * (n_levels - 2)
    return np.asarray([0.85, *middle, 0.05])


def expectation_maximisation(
    levels: LevelArray,
    u: Sequence[FloatArray],
    total_pairs: float,
    *,
    weight: float = 1.0,
    prior: float | None = None,
    max_iterations: int = 100,
    tolerance: float = 1e-5,
) -> EMResult:
    """m per level and the prior λ by EM with u fixed, over candidate-pair vectors.

    `levels` are the candidates' vectors (each standing for `weight` pairs when they are
    a sample); every other of the `total_pairs` pairs is taken to be a non-match. The
    E-step runs over the distinct vectors, so its cost does not grow with the pairs.
    """
    n_levels = [len(x) for x in u]
    if levels.shape[1] != len(u):
        raise ValueError(f"vectors have {levels.shape[1]} comparisons, u has {len(u)}")
    # One integer key per distinct vector (mixed radix over level + 1).
    keys = np.zeros(levels.shape[0], dtype=np.int64)
    for column, size in enumerate(n_levels):
        keys = keys * (size + 1) + (levels[:, column].astype(np.int64) + 1)
    _, first, counts = np.unique(keys, return_index=True, return_counts=True)
    patterns = levels[first].astype(np.int64)
    counts_f = counts.astype(np.float64) * weight
    log_u = [np.log2(x) for x in u]
    m = [_initial_m(size) for size in n_levels]
    lam = prior if prior is not None else min(0.5 * counts_f.sum(), total_pairs) / total_pairs
    lam = float(min(max(lam, 1e-12), 0.5))
    iterations, change, converged = 0, math.inf, False
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (kept for the stats)
        bf = np.zeros(len(patterns))
        for column in range(len(u)):
            col = patterns[:, column]
            present = col != NULL_LEVEL
            step = np.log2(m[column]) - log_u[column]
            bf[present] += step[col[present]]
        logit = math.log2(lam / (1.0 - lam)) + bf
        posterior = _probability(logit) * counts_f
        new_lam = float(posterior.sum()) / total_pairs
        new_m = []
        for column, size in enumerate(n_levels):
            col = patterns[:, column]
            present = col != NULL_LEVEL
            mass = np.bincount(col[present], weights=posterior[present], minlength=size)
            new_m.append((mass + M_PSEUDO_COUNT) / (mass.sum() + M_PSEUDO_COUNT * size))
        change = max(
            max(float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True)),
            abs(new_lam - lam) / lam,
        )
        m, lam = new_m, float(min(max(new_lam, 1e-12), 0.5))
        if change < tolerance:
            converged = True
            break
    # Log-likelihood of the candidates: mixture of the match and non-match models.
    log_m = np.zeros(len(patterns))
    log_non = np.zeros(len(patterns))
    for column in range(len(u)):
        col = patterns[:, column]
        present = col != NULL_LEVEL
        log_m[present] += np.log(m[column][col[present]])
        log_non[present] += np.log(u[column][col[present]])
    mix = np.logaddexp(math.log(lam) + log_m, math.log1p(-lam) + log_non)
    return EMResult(m, lam, iterations, converged, change, float((mix * counts_f).sum()))


def _source_codes(sources: npt.ArrayLike | None, n: int) -> IntArray | None:
    if sources is None:
        return None
    values = np.asarray(sources)
    if len(values) != n:
        raise ValueError(f"{len(values)} sources for {n} records")
    _, codes = np.unique(values, return_inverse=True)
    result: IntArray = codes.astype(np.int64)
    return result


def total_pairs(n_records: int, sources: IntArray | None = None) -> int:
    """Record pairs a model's prior is relative to: all pairs, or all cross-source pairs."""
    if sources is None:
        return n_records * (n_records - 1) // 2
    sizes = np.bincount(sources).astype(np.int64)
    return int((n_records * n_records - int((sizes * sizes).sum())) // 2)


def random_pairs(
    n_records: int, count: int, rng: np.random.Generator, sources: IntArray | None = None
) -> tuple[IntArray, IntArray]:
    """`count` record pairs drawn uniformly (distinct records; different sources if given)."""
    if n_records < 2:
        raise ValueError("random pairs need at least two records")
    if sources is None:
        a = rng.integers(0, n_records, count)
        b = rng.integers(0, n_records - 1, count)
        b += b >= a
        return a.astype(np.int64), b.astype(np.int64)
    if len(np.unique(sources)) < 2:
        raise ValueError("random cross-source pairs need at least two sources")
    found_a: list[IntArray] = []
    found_b: list[IntArray] = []
    have = 0
    while have < count:
        a = rng.integers(0, n_records, 2 * (count - have) + 16)
        b = rng.integers(0, n_records, len(a))
        keep = sources[a] != sources[b]
        found_a.append(a[keep])
        found_b.append(b[keep])
        have += int(keep.sum())
    return (
        np.concatenate(found_a)[:count].astype(np.int64),
        np.concatenate(found_b)[:count].astype(np.int64),
    )


def random_pairs_within(
    count: int, rng: np.random.Generator, groups: IntArray
) -> tuple[IntArray, IntArray]:
    """`count` pairs of distinct records drawn uniformly from inside one group each."""
    order = np.argsort(groups, kind="stable")
    sizes = np.bincount(groups)
    starts = np.cumsum(sizes) - sizes
    eligible = order[sizes[groups[order]] >= 2]
    if len(eligible) == 0:
        raise ValueError("random pairs within a source need a source with two records")
    a = eligible[rng.integers(0, len(eligible), count)]
    size = sizes[groups[a]]
    own = np.empty(len(order), dtype=np.int64)
    own[order] = np.arange(len(order)) - starts[groups[order]]  # rank of each record in its group
    offset = rng.integers(0, size - 1)
    offset += offset >= own[a]
    b = order[starts[groups[a]] + offset]
    return a.astype(np.int64), b.astype(np.int64)


def estimate_u(
    spec: ComparisonSpec,
    table: RecordTable,
    *,
    pairs: int = 1_000_000,
    seed: int = 0,
    sources: IntArray | None = None,
    within: IntArray | None = None,
    chunk: int = 100_000,
    min_count: int = 100,
    rare: float = 1e-4,
) -> tuple[list[FloatArray], int]:
    """u per level from random record pairs; and the most pairs any comparison used.

    Each comparison samples `chunk` pairs at a time, up to `pairs`, and stops once
    every level has been seen `min_count` times or is rarer than `rare` (its weight is
    then large whatever its exact u, like Splink's `min_count_per_level`). Nulls are
    left out; a level never seen counts once, rare rather than impossible. Without any
    pair to draw (one record), u is uniform.

    `within` (a group per record, e.g. its source) draws the pairs inside one group:
    a source seldom holds one customer twice, so its pairs are non-matches, where in a
    small business's data a good share of all pairs are matches and would count into u.
    A comparison marked `across_sources` still draws from all records (see Comparison).
    """
    if total_pairs(len(table), sources) == 0:
        # One record (or one source): no pair to learn from, every level equally likely.
        return [np.full(c.n_levels, 1.0 / c.n_levels) for c in spec.comparisons], 0
    rng = np.random.default_rng(seed)
    across: tuple[IntArray, IntArray] | None = None
    inside: tuple[IntArray, IntArray] | None = None
    if within is not None and int(np.bincount(within).max(initial=0)) >= 2:
        inside = random_pairs_within(pairs, rng, within)
    if inside is None or any(c.across_sources for c in spec.comparisons):
        across = random_pairs(len(table), pairs, rng, sources)
    u, most = [], 0
    for comparison in spec.comparisons:
        drawn = across if comparison.across_sources or inside is None else inside
        assert drawn is not None
        a, b = drawn
        counts = np.zeros(comparison.n_levels, dtype=np.float64)
        used = 0
        while used < pairs:
            levels, _ = comparison.compare(table, a[used : used + chunk], b[used : used + chunk])
            used += min(chunk, pairs - used)
            counts += np.bincount(levels[levels != NULL_LEVEL], minlength=comparison.n_levels)
            seen = max(float(counts.sum()), 1.0)
            if bool(((counts >= min_count) | ((counts + 1.0) / seen < rare)).all()):
                break
        most = max(most, used)
        counts[counts == 0] = 1.0
        u.append(counts / counts.sum())
    return u, most


class FellegiSunter(_LinearScorer):
    """A Fellegi-Sunter model: m and u per comparison level, a prior, term frequencies."""

    kind: ClassVar[str] = "fellegi_sunter"

    def __init__(
        self,
        spec: ComparisonSpec,
        m: Sequence[Sequence[float] | FloatArray],
        u: Sequence[Sequence[float] | FloatArray],
        prior: float,
        term_frequencies: TermFrequencies | None = None,
        stats: TrainingStats | None = None,
    ) -> None:
        super().__init__(spec, term_frequencies)
        self.m = [np.asarray(x, dtype=np.float64) for x in m]
        self.u = [np.asarray(x, dtype=np.float64) for x in u]
        for comparison, mc, uc in zip(spec.comparisons, self.m, self.u, strict=True):
            if len(mc) != comparison.n_levels or len(uc) != comparison.n_levels:
                raise ValueError(
                    f"comparison {comparison.name!r} has {comparison.n_levels} levels, "
                    f"m has {len(mc)} and u {len(uc)}"
                )
        if not 0.0 < prior < 1.0:
            raise ValueError(f"prior must be in (0, 1), not {prior}")
        self.prior = prior
        self.stats = stats
        self._tf_levels = [set(c.tf_levels()) for c in spec.comparisons]

    @classmethod
    def fit(
        cls,
        spec: ComparisonSpec,
        table: RecordTable,
        left: npt.ArrayLike,
        right: npt.ArrayLike,
        *,
        sources: npt.ArrayLike | None = None,
        u_within: npt.ArrayLike | None = None,
        vectors: ComparisonVectors | None = None,
        u_pairs: int = 1_000_000,
        max_em_pairs: int | None = None,
        max_iterations: int = 100,
        tolerance: float = 1e-5,
        seed: int = 0,
    ) -> FellegiSunter:
        """Train on `table` and its candidate pairs (left[p], right[p]), without labels.

        `sources` (one label per record) makes it a link between sources: random pairs
        and the prior then count cross-source pairs only. `u_within` (one label per
        record) draws the u pairs inside one label each (see `estimate_u`). `vectors`, when the caller
        already has the candidates' vectors, saves computing them again. EM uses at
        most `max_em_pairs` candidates (a random sample beyond).
        """
        started = time.perf_counter()
        rng = np.random.default_rng(seed)
        left_a = np.asarray(left, dtype=np.int64)
        right_a = np.asarray(right, dtype=np.int64)
        if len(left_a) == 0:
            raise ValueError("training needs candidate pairs")
        source_codes = _source_codes(sources, len(table))
        total = max(total_pairs(len(table), source_codes), 1)
        u, sampled = estimate_u(
            spec, table, pairs=u_pairs, seed=seed, sources=source_codes,
            within=_source_codes(u_within, len(table)),
        )  # fmt: skip
        chosen = np.arange(len(left_a))
        if max_em_pairs is not None and len(left_a) > max_em_pairs:
            chosen = np.sort(rng.choice(len(left_a), max_em_pairs, replace=False))
        if vectors is None:
            levels = spec.vectors(table, left_a[chosen], right_a[chosen])
        else:
            levels = vectors.levels[chosen]
        em = expectation_maximisation(
            levels,
            u,
            float(total),
            weight=len(left_a) / len(chosen),
            max_iterations=max_iterations,
            tolerance=tolerance,
        )
        frequencies = TermFrequencies.from_table(table, spec.tf_fields) if spec.tf_fields else None
        stats = TrainingStats(
            records=len(table),
            u_pairs=sampled,
            candidate_pairs=len(left_a),
            em_pairs=len(chosen),
            total_pairs=total,
            em_iterations=em.iterations,
            converged=em.converged,
            max_change=em.max_change,
            log_likelihood=em.log_likelihood,
            seconds=time.perf_counter() - started,
        )
        return cls(spec, em.m, u, em.prior, frequencies, stats)

    @property
    def prior_log2_odds(self) -> float:
        return math.log2(self.prior / (1.0 - self.prior))

    def level_weights(self) -> list[FloatArray]:
        return [np.log2(m) - np.log2(u) for m, u in zip(self.m, self.u, strict=True)]

    def _tf_adjustment(self, column: int, levels: LevelArray, tf: FloatArray) -> FloatArray:
        # An exact match on v: replace the level's u by v's frequency.
        adjust = np.zeros(len(levels))
        on_tf = np.isin(levels, list(self._tf_levels[column])) & ~np.isnan(tf)
        u_level = self.u[column][levels[on_tf]]
        adjust[on_tf] = np.log2(u_level) - np.log2(np.maximum(tf[on_tf], MIN_TF))
        return adjust

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": MODEL_VERSION,
            "spec": self.spec.to_dict(),
            "prior": self.prior,
            "comparisons": [
                {"name": c.name, "labels": c.labels, "m": m.tolist(), "u": u.tolist()}
                for c, m, u in zip(self.spec.comparisons, self.m, self.u, strict=True)
            ],
            "term_frequencies": (
                self.term_frequencies.to_dict() if self.term_frequencies is not None else None
            ),
            "stats": asdict(self.stats) if self.stats is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FellegiSunter:
        _check_header(data, cls.kind)
        spec = ComparisonSpec.from_dict(data["spec"])
        tf = data.get("term_frequencies")
        stats = data.get("stats")
        return cls(
            spec,
            [c["m"] for c in data["comparisons"]],
            [c["u"] for c in data["comparisons"]],
            float(data["prior"]),
            TermFrequencies.from_dict(tf) if tf is not None else None,
            TrainingStats(**stats) if stats is not None else None,
        )

    @classmethod
    def from_json(cls, text: str) -> FellegiSunter:
        return cls.from_dict(json.loads(text))

    def describe(self) -> str:
        """The m, u and log2 Bayes factor of every level, as a text table."""
        lines = [f"prior λ = {self.prior:.3g} ({self.prior_log2_odds:+.2f} log2 odds)"]
        for comparison, m, u, w in zip(
            self.spec.comparisons, self.m, self.u, self.level_weights(), strict=True
        ):
            lines.append(comparison.name)
            for label, mi, ui, wi in zip(comparison.labels, m, u, w, strict=True):
                lines.append(f"  {label:<48} m={mi:.4f}  u={ui:.6f}  {wi:+.2f}")
        return "\n".join(lines)


def _check_header(data: Mapping[str, Any], kind: str) -> None:
    if data.get("kind") != kind:
        raise ValueError(f"not a {kind} model: kind {data.get('kind')!r}")
    if data.get("version") != MODEL_VERSION:
        raise ValueError(f"unsupported model version {data.get('version')!r}")


# --------------------------------------------------------------------------- supervised


@dataclass(frozen=True)
class SupervisedStats:
    pairs: int
    matches: int
    regularisation: float
    seconds: float


def comparison_features(spec: ComparisonSpec, vectors: ComparisonVectors) -> FloatArray:
    """One-hot levels (null: all zeros) then one -log2(frequency) column per tf comparison."""
    blocks = []
    for column, comparison in enumerate(spec.comparisons):
        col = vectors.levels[:, column]
        onehot = np.zeros((len(col), comparison.n_levels))
        present = np.flatnonzero(col != NULL_LEVEL)
        onehot[present, col[present]] = 1.0
        blocks.append(onehot)
    for comparison in spec.comparisons:
        if comparison.term_frequency:
            tf = vectors.tf.get(comparison.name)
            surprise = np.zeros((len(vectors), 1))
            if tf is not None:
                known = ~np.isnan(tf)
                surprise[known, 0] = -np.log2(np.maximum(tf[known], MIN_TF))
            blocks.append(surprise)
    return np.hstack(blocks) if blocks else np.zeros((len(vectors), 0))


class SupervisedModel(_LinearScorer):
    """Logistic regression on the same comparison levels, fitted on labelled pairs.

    Linear in one-hot levels, so it explains a pair like the Fellegi-Sunter model: the
    intercept is the prior, each comparison adds its level's coefficient (in log2
    units), and a term-frequency comparison adds a coefficient times how much rarer the
    matched value is than the training average.
    """

    kind: ClassVar[str] = "supervised"

    def __init__(
        self,
        spec: ComparisonSpec,
        coefficients: Sequence[Sequence[float] | FloatArray],
        tf_coefficients: Mapping[str, float],
        tf_centres: Mapping[str, float],
        intercept: float,
        term_frequencies: TermFrequencies | None = None,
        stats: SupervisedStats | None = None,
    ) -> None:
        super().__init__(spec, term_frequencies)
        self.coefficients = [np.asarray(x, dtype=np.float64) for x in coefficients]
        self.tf_coefficients = dict(tf_coefficients)
        self.tf_centres = dict(tf_centres)
        self.intercept = intercept
        self.stats = stats

    @classmethod
    def fit(
        cls,
        spec: ComparisonSpec,
        vectors: ComparisonVectors,
        labels: npt.ArrayLike,
        *,
        term_frequencies: TermFrequencies | None = None,
        regularisation: float = 1.0,
    ) -> SupervisedModel:
        """Fit on labelled pairs (True: same entity). Needs both classes."""
        # scikit-learn is loaded here so that scoring a stored model does not need it
        # (and through importlib: it ships no type information).
        linear_model: Any = importlib.import_module("sklearn.linear_model")
        started = time.perf_counter()
        y = np.asarray(labels, dtype=np.bool_)
        if len(y) != len(vectors):
            raise ValueError(f"{len(y)} labels for {len(vectors)} pairs")
        if y.all() or not y.any():
            raise ValueError("supervised training needs matches and non-matches")
        x = comparison_features(spec, vectors)
        tf_names = [c.name for c in spec.comparisons if c.term_frequency]
        n_onehot = sum(c.n_levels for c in spec.comparisons)
        centres = {}
        for offset, name in enumerate(tf_names):
            column = x[:, n_onehot + offset]
            on = column > 0
            centres[name] = float(column[on].mean()) if on.any() else 0.0
            x[on, n_onehot + offset] -= centres[name]
        model = linear_model.LogisticRegression(C=regularisation, max_iter=1000)
        model.fit(x, y)
        coef = np.asarray(model.coef_[0]) / math.log(2.0)
        coefficients, start = [], 0
        for comparison in spec.comparisons:
            coefficients.append(coef[start : start + comparison.n_levels])
            start += comparison.n_levels
        tf_coefficients = {name: float(coef[n_onehot + i]) for i, name in enumerate(tf_names)}
        stats = SupervisedStats(
            pairs=len(y),
            matches=int(y.sum()),
            regularisation=regularisation,
            seconds=time.perf_counter() - started,
        )
        intercept = float(model.intercept_[0]) / math.log(2.0)
        return cls(spec, coefficients, tf_coefficients, centres, intercept, term_frequencies, stats)

    @property
    def prior_log2_odds(self) -> float:
        return self.intercept

    def level_weights(self) -> list[FloatArray]:
        return self.coefficients

    def _tf_adjustment(self, column: int, levels: LevelArray, tf: FloatArray) -> FloatArray:
        name = self.spec.comparisons[column].name
        adjust = np.zeros(len(levels))
        known = ~np.isnan(tf)
        surprise = -np.log2(np.maximum(tf[known], MIN_TF)) - self.tf_centres.get(name, 0.0)
        adjust[known] = self.tf_coefficients.get(name, 0.0) * surprise
        return adjust

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": MODEL_VERSION,
            "spec": self.spec.to_dict(),
            "intercept": self.intercept,
            "coefficients": [c.tolist() for c in self.coefficients],
            "tf_coefficients": self.tf_coefficients,
            "tf_centres": self.tf_centres,
            "term_frequencies": (
                self.term_frequencies.to_dict() if self.term_frequencies is not None else None
            ),
            "stats": asdict(self.stats) if self.stats is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SupervisedModel:
        _check_header(data, cls.kind)
        tf = data.get("term_frequencies")
        stats = data.get("stats")
        return cls(
            ComparisonSpec.from_dict(data["spec"]),
            data["coefficients"],
            data["tf_coefficients"],
            data["tf_centres"],
            float(data["intercept"]),
            TermFrequencies.from_dict(tf) if tf is not None else None,
            SupervisedStats(**stats) if stats is not None else None,
        )

    @classmethod
    def from_json(cls, text: str) -> SupervisedModel:
        return cls.from_dict(json.loads(text))


# ------------------------------------------------------------------------------ choosing

Model = FellegiSunter | SupervisedModel


@dataclass(frozen=True)
class LabelledPairs:
    """Steward decisions: rows left[p] and right[p] are (`is_match[p]`) one entity or not."""

    left: IntArray
    right: IntArray
    is_match: npt.NDArray[np.bool_]


def train(
    spec: ComparisonSpec,
    table: RecordTable,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    labelled: LabelledPairs | None = None,
    min_labels: int = 50,
    sources: npt.ArrayLike | None = None,
    seed: int = 0,
) -> Model:
    """A supervised model when `labelled` has `min_labels` of each class, else Fellegi-Sunter."""
    if labelled is not None:
        matches = int(np.count_nonzero(labelled.is_match))
        if min(matches, len(labelled.is_match) - matches) >= min_labels:
            frequencies = (
                TermFrequencies.from_table(table, spec.tf_fields) if spec.tf_fields else None
            )
            vectors = spec.compare(
                table,
                labelled.left,
                labelled.right,
                term_frequencies=frequencies,
                with_tf=frequencies is not None,
            )
            return SupervisedModel.fit(
                spec, vectors, labelled.is_match, term_frequencies=frequencies
            )
    return FellegiSunter.fit(spec, table, left, right, sources=sources, seed=seed)


def load_model(text: str) -> Model:
    """A model `to_json` wrote, whichever kind."""
    data = json.loads(text)
    if data.get("kind") == SupervisedModel.kind:
        return SupervisedModel.from_dict(data)
    return FellegiSunter.from_dict(data)

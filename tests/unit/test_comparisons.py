"""Comparison levels on concrete values: each kind, nulls, lists, folding, the specs."""

from __future__ import annotations

import numpy as np
import pytest

from resolvers.blocking import block_keys
from resolvers.comparisons import (
    BUSINESS_SPEC,
    NULL_LEVEL,
    PERSON_SPEC,
    Comparison,
    ComparisonSpec,
    Crossed,
    DateTransposed,
    DateWithin,
    EditDistance,
    Exact,
    Initial,
    JaroWinkler,
    Level,
    Nickname,
    NumericWithin,
    Phonetic,
    Record,
    RecordTable,
    Swapped,
    TermFrequencies,
    TokenSet,
    YearWithin,
    fold,
    level_from_dict,
    parse_date,
)
from resolvers.nicknames import are_nicknames, canonical_given
from resolvers.records import ResolutionRecord


def levels_of(comparison: Comparison, pairs: list[tuple[Record, Record]]) -> list[int]:
    spec = ComparisonSpec("test", (comparison,))
    vectors, _ = spec.compare_records(pairs)
    return [int(x) for x in vectors.levels[:, 0]]


def one(comparison: Comparison, a: Record, b: Record) -> int:
    return levels_of(comparison, [(a, b)])[0]


NAME = Comparison(
    "given",
    ("given_name",),
    (
        Exact(),
        Nickname(),
        JaroWinkler(0.92),
        Swapped("family_name", 0.9),
        Initial(),
        JaroWinkler(0.8),
    ),
)
NAME_EXACT, NAME_NICK, NAME_JW92, NAME_SWAP, NAME_INITIAL, NAME_JW80, NAME_ELSE = range(7)


def test_fold_strips_accents_case_and_spacing() -> None:
    assert fold("  José   MÜLLER ") == "jose muller"
    assert fold("Zoë") == "zoe"


def test_exact_ignores_case_and_accents() -> None:
    assert one(NAME, {"given_name": "José"}, {"given_name": "jose"}) == NAME_EXACT
    assert one(NAME, {"given_name": "RENÉE"}, {"given_name": "renee"}) == NAME_EXACT


def test_nicknames_are_their_own_level() -> None:
    assert one(NAME, {"given_name": "Bob"}, {"given_name": "Robert"}) == NAME_NICK
    assert one(NAME, {"given_name": "Peggy"}, {"given_name": "Margaret"}) == NAME_NICK
    assert one(NAME, {"given_name": "bill"}, {"given_name": "William"}) == NAME_NICK
    # Both are nicknames, of different people.
    assert one(NAME, {"given_name": "Bill"}, {"given_name": "Bob"}) == NAME_ELSE


def test_nickname_table() -> None:
    assert are_nicknames("bob", "robert")
    assert are_nicknames("chris", "christine") and are_nicknames("chris", "christopher")
    assert not are_nicknames("christine", "christopher")
    assert canonical_given("Bobby") == "robert"
    assert canonical_given("Margaret") == "margaret"
    assert canonical_given("Zéphyrin") == "zephyrin"


def test_jaro_winkler_thresholds_pick_the_level() -> None:
    # jaro-winkler(martha, marhta) = 0.961; (dwayne, duane) = 0.84
    assert one(NAME, {"given_name": "Martha"}, {"given_name": "Marhta"}) == NAME_JW92
    assert one(NAME, {"given_name": "Dwayne"}, {"given_name": "Duane"}) == NAME_JW80
    assert one(NAME, {"given_name": "Dwayne"}, {"given_name": "Kimberly"}) == NAME_ELSE


def test_swapped_names_with_a_typo() -> None:
    a = {"given_name": "Smith", "family_name": "John"}
    b = {"given_name": "Jon", "family_name": "Smith"}
    assert one(NAME, a, b) == NAME_SWAP
    # Only one crossing matches: not a swap.
    c = {"given_name": "Peter", "family_name": "Smith"}
    assert one(NAME, {"given_name": "Smith", "family_name": "Brown"}, c) == NAME_ELSE


def test_swapped_needs_the_other_field() -> None:
    a = {"given_name": "Smith"}
    b = {"given_name": "John", "family_name": "Smith"}
    assert one(NAME, a, b) == NAME_ELSE


def test_initial_matches_the_first_letter_only() -> None:
    assert one(NAME, {"given_name": "J."}, {"given_name": "John"}) == NAME_INITIAL
    assert one(NAME, {"given_name": "John"}, {"given_name": "j"}) == NAME_INITIAL
    assert one(NAME, {"given_name": "J"}, {"given_name": "Mary"}) == NAME_ELSE


@pytest.mark.parametrize("missing", [None, "", "   ", [], [""]])
def test_a_missing_value_is_no_evidence(missing: object) -> None:
    present: Record = {"given_name": "John"}
    empty: Record = {"given_name": missing}  # type: ignore[dict-item]
    assert one(NAME, present, empty) == NULL_LEVEL
    assert one(NAME, empty, empty) == NULL_LEVEL
    assert one(NAME, present, {}) == NULL_LEVEL


def test_lists_take_the_best_level_over_all_value_pairs() -> None:
    email = Comparison("email", ("email",), (Exact(), EditDistance(1)))
    a = {"email": ["a@x.com", "shared@y.com"]}
    assert one(email, a, {"email": ["c@z.com", "shared@y.com"]}) == 0
    assert one(email, a, {"email": ["zzz@q.org", "a@x.con"]}) == 1
    assert one(email, a, {"email": "someone@else.org"}) == 2
    assert one(email, a, {"email": []}) == NULL_LEVEL


def test_dates() -> None:
    dob = Comparison(
        "dob",
        ("dob",),
        (Exact(), DateTransposed(), EditDistance(1), DateWithin(31), YearWithin(1)),
    )
    base = {"dob": "1980-03-04"}
    cases = {
        "1980-03-04": 0,
        "19800304": 3,  # the same day written otherwise: not exact, but 0 days apart
        "1980-04-03": 1,
        "1980-03-05": 2,
        "1980-03-28": 3,
        "1981-06-20": 4,
        "1990-03-04": 2,
        "1975-01-01": 5,
        "not a date": 5,
    }
    for other, level in cases.items():
        assert one(dob, base, {"dob": other}) == level, other
    # A day equal to its month cannot be a transposition.
    assert one(dob, {"dob": "1980-05-05"}, {"dob": "1980-05-05"}) == 0


def test_parse_date_accepts_iso_and_compact_forms() -> None:
    assert parse_date("1980-03-04") == (1980, 3, 4, 722878)
    assert parse_date("19800304") == parse_date("1980/03/04") == parse_date("1980-03-04")
    assert parse_date("1980-02-30") is None
    assert parse_date("03/04/1980") is None


def test_transposition_compares_parsed_dates() -> None:
    dob = Comparison("dob", ("dob",), (DateTransposed(),))
    assert one(dob, {"dob": "19800304"}, {"dob": "1980-04-03"}) == 0
    assert one(dob, {"dob": "1980-03-04"}, {"dob": "1981-04-03"}) == 1


@pytest.mark.parametrize(
    ("algorithm", "a", "b", "same"),
    [
        ("metaphone", "Smith", "Smyth", True),
        ("metaphone", "Smith", "Jones", False),
        ("nysiis", "MacDonald", "McDonald", True),
        ("nysiis", "Phillips", "Filips", True),
        ("soundex", "Robert", "Rupert", True),
        ("soundex", "Robert", "Roberta", True),
        ("soundex", "Robert", "Albert", False),
    ],
)
def test_phonetic(algorithm: str, a: str, b: str, same: bool) -> None:
    comparison = Comparison("name", ("name",), (Phonetic(algorithm),))  # type: ignore[arg-type]
    assert one(comparison, {"name": a}, {"name": b}) == (0 if same else 1)


def test_unknown_phonetic_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match="phonetic"):
        Phonetic("caverphone")  # type: ignore[arg-type]


def test_token_set_ignores_word_order_and_punctuation() -> None:
    address = Comparison("address", ("address",), (Exact(), TokenSet(0.9)))
    a = {"address": "12 hope rd|kingston 6|st andrew|jm"}
    assert one(address, a, {"address": "hope rd 12|kingston 6|st andrew|jm"}) == 1
    assert one(address, a, {"address": "40 king st|kingston|kingston|jm"}) == 2


def test_numeric_distance() -> None:
    amount = Comparison(
        "amount", ("amount",), (Exact(), NumericWithin(absolute=5), NumericWithin(relative=0.1))
    )
    assert one(amount, {"amount": "100"}, {"amount": "104.5"}) == 1
    assert one(amount, {"amount": "1,000"}, {"amount": "1090"}) == 2
    assert one(amount, {"amount": "100"}, {"amount": "200"}) == 3
    assert one(amount, {"amount": "abc"}, {"amount": "100"}) == 3
    with pytest.raises(ValueError):
        NumericWithin()


def test_a_level_may_read_another_field() -> None:
    location = Comparison("location", ("city", "parish"), (Exact(), Exact(field="parish")))
    a = {"city": "Half Way Tree", "parish": "St Andrew"}
    assert one(location, a, {"city": "half way tree", "parish": "St Andrew"}) == 0
    assert one(location, a, {"city": "Constant Spring", "parish": "st andrew"}) == 1
    assert one(location, a, {"parish": "St Andrew"}) == 1  # city missing on one side
    assert one(location, a, {"city": "Mandeville", "parish": "Manchester"}) == 2
    assert one(location, a, {}) == NULL_LEVEL
    assert location.labels == ["exact", "exact (parish)", "else"]


def test_unless_present_defers_to_the_split_name() -> None:
    names = {c.name: i for i, c in enumerate(PERSON_SPEC.comparisons)}
    full = {"given_name": "Mary", "family_name": "Brown", "name_folded": "mary brown"}
    only_full = {"name_folded": "mary brown"}
    vectors, _ = PERSON_SPEC.compare_records([(full, full), (full, only_full)])
    assert vectors.levels[0, names["full_name"]] == NULL_LEVEL
    assert vectors.levels[0, names["given_name"]] == 0
    assert vectors.levels[1, names["full_name"]] == 0
    assert vectors.levels[1, names["given_name"]] == NULL_LEVEL


def test_person_spec_vector() -> None:
    a: Record = {
        "given_name": "Robert",
        "family_name": "Campbell",
        "dob": "1980-03-04",
        "email": ["bob@example.com", "rc@work.jm"],
        "phone": ["+18765551234"],
        "city": "Kingston",
        "parish": "Kingston",
        "source": "crm",
    }
    b: Record = {
        "given_name": "Bob",
        "family_name": "Cambell",
        "dob": "1980-04-03",
        "email": ["rc@work.jm"],
        "phone": "+18765551235",
        "parish": "kingston",
        "source": "qbo",
    }
    vectors, _ = PERSON_SPEC.compare_records([(a, b)])
    got = dict(zip(PERSON_SPEC.names, vectors.levels[0].tolist(), strict=True))
    assert vectors.levels.dtype == np.int8
    assert got == {
        "given_name": 1,  # nickname
        "family_name": 1,  # jaro-winkler >= 0.92
        "full_name": NULL_LEVEL,
        "dob": 1,  # transposed
        "email": 0,
        "phone": 1,  # one digit apart
        "address": NULL_LEVEL,
        "location": 1,  # same parish, city missing on one side
        "website": NULL_LEVEL,
        "company": NULL_LEVEL,
        "handle": NULL_LEVEL,
        "follows_employer": NULL_LEVEL,
        "username": NULL_LEVEL,
        "handle_name": NULL_LEVEL,
        "source": 1,  # two sources: "else"
    }


def test_a_profile_that_follows_the_business_the_other_record_works_at() -> None:
    def person(key: str, **row: object) -> ResolutionRecord:
        return ResolutionRecord.from_row({"key": key, "kind": "person", **row})

    crm = person("crm:1", given_name="Dionne", family_name="Shaw", employers=["graham computers"])
    follower = person("ig:1", handles=["instagram:iamdionne11852"],
                      followed=["graham computers", "ackee tree cafe"])  # fmt: skip
    elsewhere = person("ig:2", handles=["instagram:dionne_s"], followed=["ackee tree cafe"])
    colleague = person("crm:2", given_name="Dionne", family_name="Shaw",
                       employers=["graham computers"])  # fmt: skip
    assert follower.values["employer"] == ["f:ackee tree cafe", "f:graham computers"]
    business = ResolutionRecord.from_row(
        {"key": "crm:org:1", "kind": "business", "company_key": "graham computers",
         "followed": ["ackee tree cafe"]}
    )  # fmt: skip
    assert business.values["employer"] == []  # a business's follows say nothing of its staff
    pairs = [(crm.values, r.values) for r in (follower, elsewhere, colleague)]
    vectors, _ = PERSON_SPEC.compare_records(pairs)
    column = vectors.levels[:, PERSON_SPEC.names.index("follows_employer")].tolist()
    # follows the employer; follows another business only; both work there (the company
    # comparison weighs that)
    assert column == [0, 2, 1]


def test_a_handle_that_spells_the_name_of_a_record_without_one() -> None:
    named = ResolutionRecord.from_row(
        {
            "key": "crm:1",
            "given_name": "Shamar",
            "family_name": "Maxwell",
            "name_folded": "shamar maxwell",
        }
    )
    assert named.values["spelled"] == ["n:shamarm", "n:shamarmaxwell"]
    nameless = ResolutionRecord.from_row(
        {"key": "ig:1", "handles": ["instagram:shamar.maxwell.1399"]}
    )
    initial = ResolutionRecord.from_row({"key": "ig:2", "handles": ["instagram:shamar_m88"]})
    other = ResolutionRecord.from_row({"key": "ig:3", "handles": ["instagram:iamshamar1399"]})
    # A profile that shows a name is compared by its name: the handle adds nothing.
    shown = ResolutionRecord.from_row(
        {"key": "ig:4", "given_name": "Shamar", "family_name": "Maxwell",
         "handles": ["instagram:shamar.maxwell.1399"]}
    )  # fmt: skip
    pairs = [(named.values, r.values) for r in (nameless, initial, other, shown)]
    vectors, _ = PERSON_SPEC.compare_records(pairs)
    column = vectors.levels[:, PERSON_SPEC.names.index("handle_name")].tolist()
    assert column == [0, 0, 2, NULL_LEVEL]  # spelled, spelled, spells another name, not asked
    assert "psp:shamarmaxwell" in block_keys(named) and "psp:shamarmaxwell" in block_keys(nameless)


def test_business_spec_reads_the_business_fields() -> None:
    assert set(BUSINESS_SPEC.fields) == {
        "name_folded",
        "company_key",
        "email",
        "phone",
        "address",
        "city",
        "parish",
        "website",
        "handle",
    }
    a: Record = {"name_folded": "island grill ltd", "website": ["islandgrill.com"]}
    b: Record = {"name_folded": "ltd island grill", "website": ["islandgrill.com"]}
    vectors, _ = BUSINESS_SPEC.compare_records([(a, b)])
    assert vectors.levels[0, BUSINESS_SPEC.names.index("name")] == 3  # token set
    assert vectors.levels[0, BUSINESS_SPEC.names.index("website")] == 0
    keyed: Record = {"name_folded": "island grill company limited", "company_key": "island grill"}
    same_key: Record = {"name_folded": "island grill ltd", "company_key": "island grill"}
    vectors, _ = BUSINESS_SPEC.compare_records([(keyed, same_key)])
    assert vectors.levels[0, BUSINESS_SPEC.names.index("name")] == 0  # the company key
    typo: Record = {"name_folded": "hope road rrealty", "company_key": "hope road rrealty"}
    right: Record = {"name_folded": "hope road realty ltd", "company_key": "hope road realty"}
    vectors, _ = BUSINESS_SPEC.compare_records([(typo, right)])
    assert vectors.levels[0, BUSINESS_SPEC.names.index("name")] == 2  # company key, 1 edit


def test_table_compare_over_index_arrays() -> None:
    records: list[Record] = [
        {"given_name": "Ann"},
        {"given_name": "Anne"},
        {"given_name": None},
        {"given_name": "Zed"},
    ]
    table = RecordTable.from_records(records, ["given_name"])
    spec = ComparisonSpec("t", (Comparison("g", ("given_name",), (Exact(), JaroWinkler(0.9))),))
    levels = spec.vectors(table, [0, 0, 0, 1], [1, 2, 3, 1])
    assert levels.shape == (4, 1)
    assert levels[:, 0].tolist() == [1, NULL_LEVEL, 2, 0]
    with pytest.raises(IndexError):
        spec.vectors(table, [0], [4])
    with pytest.raises(ValueError):
        spec.vectors(table, [0, 1], [1])


def test_from_columns_accepts_nan_and_numbers() -> None:
    pandas = pytest.importorskip("pandas")
    cells = ["a", float("nan"), 7, ("b", "c"), pandas.NA, np.int64(3), None]
    table = RecordTable.from_columns({"x": cells})
    assert [table.values("x", i) for i in range(len(cells))] == [
        ["a"],
        [],
        ["7"],
        ["b", "c"],
        [],
        ["3"],
        [],
    ]


def test_term_frequencies_of_exact_matches() -> None:
    surnames = ["smith"] * 6 + ["brown"] * 2 + ["zylberstein", "zylberstein"]
    table = RecordTable.from_columns({"family_name": surnames})
    spec = ComparisonSpec(
        "t", (Comparison("family", ("family_name",), (Exact(),), term_frequency=True),)
    )
    vectors = spec.compare(table, [0, 6, 8, 0], [1, 7, 9, 8])
    assert vectors.tf["family"][:3].tolist() == pytest.approx([0.6, 0.2, 0.2])
    assert np.isnan(vectors.tf["family"][3])  # not an exact match
    stored = TermFrequencies.from_table(table, ["family_name"], min_count=3)
    assert stored.frequencies == {"family_name": {"smith": 0.6}}
    assert stored.per_value(table, "family_name")[[0, 8]].tolist() == [0.6, 0.1]


def test_term_frequency_of_a_list_is_the_rarest_shared_value() -> None:
    table = RecordTable.from_columns(
        {"email": [["common@x.com", "rare@y.com"], ["common@x.com", "rare@y.com"], "common@x.com"]}
    )
    spec = ComparisonSpec("t", (Comparison("email", ("email",), (Exact(),), term_frequency=True),))
    vectors = spec.compare(table, [0, 0], [1, 2])
    assert vectors.tf["email"].tolist() == pytest.approx([0.4, 0.6])


def test_term_frequency_of_a_crossing_is_the_names_not_the_handles() -> None:
    # Three records named "kemar brown", one "tajay ashby"; two handles spell those names.
    spelled = [["n:kemarbrown"]] * 3 + [["n:tajayashby"], ["h:kemarbrown"], ["h:tajayashby"]]
    table = RecordTable.from_columns({"spelled": spelled})
    spec = ComparisonSpec(
        "t",
        (Comparison("handle_name", ("spelled",), (Crossed(),), term_frequency=True),),
    )
    vectors = spec.compare(table, [4, 5, 0], [0, 3, 1])
    # The handle's side is one person's; the name's frequency is what the crossing is worth.
    assert vectors.tf["handle_name"][:2].tolist() == pytest.approx([3 / 6, 1 / 6])
    assert np.isnan(vectors.tf["handle_name"][2])  # same tag: not a crossing
    # Crossings by similarity or by a shared number alone are not adjusted.
    loose = Comparison(
        "u", ("spelled",), (Crossed(threshold=0.9), Crossed(min_digits=2)), term_frequency=True
    )
    assert loose.tf_levels() == []
    assert PERSON_SPEC.comparisons[PERSON_SPEC.names.index("handle_name")].tf_levels() == [0]


def test_spec_round_trips_through_a_dict() -> None:
    for spec in (PERSON_SPEC, BUSINESS_SPEC):
        again = ComparisonSpec.from_dict(spec.to_dict())
        assert again == spec
        assert again.to_dict() == spec.to_dict()


def test_level_from_dict_refuses_unknown_kinds_and_settings() -> None:
    assert level_from_dict({"kind": "jaro_winkler", "threshold": 0.8}) == JaroWinkler(0.8)
    assert level_from_dict({"kind": "exact", "field": "parish"}) == Exact(field="parish")
    with pytest.raises(ValueError, match="unknown level kind"):
        level_from_dict({"kind": "telepathy"})
    with pytest.raises(ValueError, match="unknown settings"):
        level_from_dict({"kind": "exact", "fuzzy": True})


def test_labels_end_with_else() -> None:
    levels: tuple[Level, ...] = (Exact(), JaroWinkler(0.92), Swapped("family_name"))
    comparison = Comparison("g", ("given_name",), levels)
    assert comparison.labels == [
        "exact",
        "jaro-winkler >= 0.92",
        "swapped with family_name",
        "else",
    ]
    assert comparison.n_levels == 4
    assert comparison.reads == ("given_name", "family_name")


def test_spec_refuses_duplicate_names() -> None:
    comparison = Comparison("g", ("given_name",), (Exact(),))
    with pytest.raises(ValueError, match="duplicate"):
        ComparisonSpec("t", (comparison, comparison))


def test_crossed_user_names_match_handles_to_email_users_only() -> None:
    from resolvers.records import usernames

    instagram = {"handle": ["instagram:tamara.mullings.13"]}
    crm = {"email": ["TamaraMullings13@gmail.com", "info@shop.jm"]}
    other_crm = {"email": ["tamaramullings13@yahoo.com"]}
    near = {"email": ["tamaramulling13@gmail.com"]}
    wrong_number = {"email": ["tamaramullings31@gmail.com"]}
    same_number = {"email": ["tmullings13@gmail.com"]}
    people = (instagram, crm, other_crm, near, wrong_number, same_number)
    records = [{"username": usernames(r)} for r in people]
    assert records[1]["username"] == ["e:tamaramullings13"]  # role mailboxes are not user names
    # Nor is a work email's user part: the employer's scheme ("tmullings"), not a choice.
    assert usernames({"email": ["tamara.mullings13@islandtours.com.jm"]}) == []
    spec = ComparisonSpec("u", (PERSON_SPEC.comparisons[PERSON_SPEC.names.index("username")],))
    table = RecordTable.from_records(records, spec.fields)
    levels = spec.vectors(table, [0, 1, 0, 0, 0], [1, 2, 3, 4, 5])[:, 0].tolist()
    # handle = email user: exact; two emails: not this comparison's business; a letter
    # dropped: close; another number: no match; other letters, one number: the number.
    assert levels == [0, 3, 1, 4, 2]


def test_similarity_scores_each_distinct_value_pair_once_to_the_same_result() -> None:
    from rapidfuzz.distance import JaroWinkler as JaroWinklerDistance

    from resolvers.comparisons import _cpdist, _expand, _similarity

    names = ["Andre", "Andrew", "andrew ", "Bob", "Robert", "Róbert", None, "Ann"]
    table = RecordTable.from_records([{"g": n} for n in names * 40], ["g"])
    rng = np.random.default_rng(3)
    pairs = _expand(
        table, "g", rng.integers(0, len(table), 2000), rng.integers(0, len(table), 2000)
    )
    scorer = JaroWinklerDistance.normalized_similarity
    folded = table.folded("g")
    want = _cpdist(folded[pairs.a], folded[pairs.b], scorer, 0.0)
    assert len(set(zip(folded[pairs.a], folded[pairs.b], strict=True))) < 100  # repeats
    assert np.array_equal(_similarity(pairs, scorer, 0.0), want)

"""The parts of relationship mapping that need no store: referral names, derived
connections, scores and the ranking of warm-intro paths."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import networkx as nx
import pytest

from resolvers.relations.derive import (
    Shared,
    attendance_strength,
    colleague_strength,
    derive_co_attendance,
    derive_colleagues,
    derive_follows,
    derive_people_links,
    noisy_or,
)
from resolvers.relations.intros import warm_intros
from resolvers.relations.names import (
    NameIndex,
    Person,
    Referral,
    name_key,
    parse_referral,
)
from resolvers.relations.scores import (
    betweenness,
    networkx_scores,
    number_communities,
    scale,
    store_scores,
)


def person(pid: str, given: str, family: str, parish: str = "", owner: str = "") -> Person:
    return Person(
        pid,
        frozenset({name_key(given, family)}),
        frozenset({parish} if parish else set()),
        frozenset({owner} if owner else set()),
    )


def referral(text: str, customer: str = "X", parish: str = "", owner: str = "") -> Referral:
    return Referral(
        "crm:1",
        text,
        customer,
        frozenset({parish} if parish else set()),
        frozenset({owner} if owner else set()),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Liz Campbel", ("liz", "campbel")),
        ("Campbell, Liz", ("liz", "campbell")),
        ("E. Campbell", ("e", "campbell")),
        ("  José  María  Müller ", ("jose", "muller")),
        ("Campbell", None),
        ("", None),
    ],
)
def test_parse_referral(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_referral(text) == expected


def test_name_key_uses_the_first_given_and_last_family_word() -> None:
    assert name_key("Mary Ann", "De Souza") == ("mary", "souza")
    assert name_key(None, "Brown") == ("", "brown")


PEOPLE = [
    person("A", "Elizabeth", "Campbell", "st. andrew", "rep 1"),
    person("B", "Robert", "Blackwood", "hanover", "rep 2"),
    person("C", "Robert", "Blackwood", "trelawny", "rep 3"),
    person("D", "Jason", "Forbes"),
    person("E", "Janet", "Forbes"),
]


@pytest.mark.parametrize(
    ("text", "status", "referrer", "tier"),
    [
        ("Elizabeth Campbell", "linked", "A", "exact"),
        ("Liz Campbell", "linked", "A", "nickname"),
        ("Elizabeth Campbel", "linked", "A", "typo"),
        ("Elizabeth Cambpell", "linked", "A", "typo"),  # a transposition
        ("E. Campbell", "linked", "A", "initial"),
        ("J. Forbes", "ambiguous", None, "initial"),  # Jason or Janet
        ("Robert Blackwood", "ambiguous", None, "exact"),  # two equally good namesakes
        ("Nobody Known", "unmatched", None, None),
        ("Cher", "unmatched", None, None),
    ],
)
def test_referral_tiers(text: str, status: str, referrer: str | None, tier: str | None) -> None:
    match = NameIndex(PEOPLE).match(referral(text))
    assert (match.status, match.referrer, match.tier) == (status, referrer, tier)
    if status == "linked":
        assert 0 < match.strength <= 1


def test_exact_beats_nickname_and_strengths_fall_by_tier() -> None:
    index = NameIndex([*PEOPLE, person("F", "Liz", "Campbell")])
    assert index.match(referral("Liz Campbell")).referrer == "F"  # exact, not A by nickname
    strengths = [index.match(referral(t)).strength
                 for t in ("Elizabeth Campbell", "Elizabeth Campbel", "E. Campbell")]  # fmt: skip
    assert strengths == sorted(strengths, reverse=True)


def test_namesakes_are_separated_by_parish_or_rep_of_the_referred_customer() -> None:
    index = NameIndex(PEOPLE)
    by_parish = index.match(referral("Robert Blackwood", parish="trelawny"))
    assert (by_parish.status, by_parish.referrer, by_parish.context) == ("linked", "C", ("parish",))
    by_owner = index.match(referral("Robert Blackwood", owner="rep 2"))
    assert (by_owner.referrer, by_owner.context) == ("B", ("owner",))
    assert by_owner.strength < index.match(referral("Elizabeth Campbell")).strength
    tie = index.match(referral("Robert Blackwood", parish="trelawny", owner="rep 2"))
    assert tie.status == "ambiguous" and tie.candidates == ("B", "C")
    off = NameIndex(PEOPLE, use_context=False).match(
        referral("Robert Blackwood", parish="trelawny")
    )
    assert off.status == "ambiguous"


def test_a_customer_never_refers_itself() -> None:
    index = NameIndex(PEOPLE)
    assert index.match(referral("Elizabeth Campbell", customer="A")).status == "self"
    # The other namesake is then the only candidate.
    assert index.match(referral("Robert Blackwood", customer="B")).referrer == "C"


FAMILIES = {
    "h1": frozenset({"reid"}),
    "h2": frozenset({"reid"}),
    "k1": frozenset({"gordon"}),
    "k2": frozenset({"scott"}),
}


def test_household_needs_an_address_and_a_surname_and_is_not_also_knows() -> None:
    shared = [
        Shared("LOCATED_AT", "addr-1", 2, ("h1", "h2")),
        Shared("HAS_PHONE", "+18769260001", 2, ("h1", "h2")),
        Shared("LOCATED_AT", "addr-2", 2, ("k1", "k2")),  # same address, other surnames
        Shared("HAS_EMAIL", "home@example.jm", 2, ("k1", "k2")),
    ]
    derived = derive_people_links(shared, FAMILIES, hub_limit=5, address_hub_limit=8)
    by_type = {(e.type, e.a, e.b): e for e in derived.edges}
    assert set(by_type) == {("HOUSEHOLD", "h1", "h2"), ("KNOWS", "k1", "k2")}
    household = by_type[("HOUSEHOLD", "h1", "h2")]
    assert household.evidence == ("address:addr-1", "surname:reid", "phone:+18769260001")
    assert household.strength == 0.95  # address + surname + a shared phone
    knows = by_type[("KNOWS", "k1", "k2")]
    assert knows.evidence == ("email:home@example.jm",) and knows.source == "derived"


def test_hubs_and_businesses_make_no_connections() -> None:
    people = tuple(f"p{i}" for i in range(6))
    shared = [
        Shared("HAS_PHONE", "+18769265500", 6, people),  # six customers: a hub
        Shared("HAS_EMAIL", "info@firm.jm", 3, ("p1",)),  # one person and two businesses
        Shared("LOCATED_AT", "tower", 9, people),  # an address block
    ]
    derived = derive_people_links(shared, {}, hub_limit=5, address_hub_limit=8)
    assert derived.edges == []
    assert derived.hubs == {"phone": 1, "address": 1}


def test_knows_strength_grows_with_evidence_and_falls_with_sharing() -> None:
    one = derive_people_links([Shared("HAS_PHONE", "1", 2, ("a", "b"))], {}, hub_limit=5,
                              address_hub_limit=8).edges[0]  # fmt: skip
    crowded = derive_people_links([Shared("HAS_PHONE", "1", 5, ("a", "b"))], {}, hub_limit=5,
                                  address_hub_limit=8).edges[0]  # fmt: skip
    two = derive_people_links(
        [Shared("HAS_PHONE", "1", 2, ("a", "b")), Shared("HAS_EMAIL", "e", 2, ("a", "b"))],
        {}, hub_limit=5, address_hub_limit=8,
    ).edges[0]  # fmt: skip
    assert crowded.strength < one.strength < two.strength <= 0.95
    assert two.evidence == ("email:e", "phone:1")
    assert noisy_or([]) == 0.0


def test_colleagues_within_a_business_and_large_employers_skipped() -> None:
    derived = derive_colleagues(
        [("B1", "Small Ltd", ["x", "y", "z"]), ("B2", "Huge Ltd", [f"s{i}" for i in range(60)])],
        max_staff=50,
    )
    assert [(e.a, e.b) for e in derived.edges] == [("x", "y"), ("x", "z"), ("y", "z")]
    assert derived.large_employers == 1
    assert all(e.evidence == ("employer:B1 Small Ltd",) for e in derived.edges)
    assert colleague_strength(2) > colleague_strength(5) > colleague_strength(50) > 0


def test_influence_flows_to_referrers_and_communities_are_numbered_by_size() -> None:
    edges = [("REFERRED", "boss", "r1"), ("REFERRED", "boss", "r2"), ("REFERRED", "boss", "r3"),
             ("KNOWS", "x", "y")]  # fmt: skip
    influence, community = networkx_scores(edges)
    assert influence["boss"] > 2 * influence["r1"]  # the referrer, not the referred
    assert max(influence.values()) == 1.0
    assert community["boss"] == community["r1"] == 0 and community["x"] == community["y"] == 1
    assert networkx_scores([]) == ({}, {})
    assert scale({"a": 0.0}) == {"a": 0.0}
    assert number_communities({"a": 7, "b": 7, "c": 3}) == {"a": 0, "b": 0, "c": 1}


class FakeStore:
    """Returns canned warm_intros rows: ranking and filtering are what is tested here."""

    backend = "fake"

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.calls: list[dict[str, Any]] = []

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        assert name == "relations/warm_intros"
        self.calls.append(params or {})
        return self.rows


def _row(ids: list[str], strengths: list[float | None], status: str = "active") -> dict[str, Any]:
    return {
        "customers": [{"id": i, "name": i, "kind": "person", "status": status} for i in ids],
        "edges": [{"type": "KNOWS", "a": a, "b": b, "strength": s, "evidence": [], "source": "derived"}
                  for (a, b), s in zip(pairwise(ids), strengths, strict=True)],
    }  # fmt: skip


def test_warm_intros_rank_fewest_hops_then_the_strongest_weakest_link() -> None:
    store = FakeStore([
        _row(["a", "m", "n", "t"], [0.9, 0.9, 0.9]),
        _row(["b", "w", "t"], [0.9, 0.3]),
        _row(["a", "s", "t"], [0.6, 0.7]),
        _row(["a", "s", "t"], [0.6, 0.7]),  # the same path twice
        _row(["c", "gone", "t"], [0.9, 0.9], status="merged"),
    ])  # fmt: skip
    paths = warm_intros(store, ["a", "b", "c", "t"], "t")  # type: ignore[arg-type]
    assert [p.ids for p in paths] == [["a", "s", "t"], ["b", "w", "t"], ["a", "m", "n", "t"]]
    assert paths[0].min_strength == 0.6 and paths[0].hops == 2
    assert store.calls[0]["from"] == ["a", "b", "c"]  # the target is not its own intro
    with pytest.raises(ValueError):
        warm_intros(store, ["a"], "t", max_hops=7)  # type: ignore[arg-type]


class EdgeStore:
    """A store without graph algorithms: scores come from networkx over its edges."""

    backend = "neo4j"

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        assert name == "relations/algorithm_edges"
        return [
            {"type": "REFERRED", "a": "boss", "b": "r1"},
            {"type": "REFERRED", "a": "boss", "b": "r2"},
            {"type": "KNOWS", "a": "r2", "b": "r3"},
        ]


def test_stores_without_algorithms_get_networkx_scores() -> None:
    influence, community = store_scores(EdgeStore())  # type: ignore[arg-type]
    assert influence.keys() == community.keys() == {"boss", "r1", "r2", "r3"}
    assert influence["boss"] == 1.0 and influence["r1"] < 1.0
    assert len(set(community.values())) == 1


def test_co_attendance_links_everyone_at_a_small_event_and_skips_big_ones() -> None:
    derived = derive_co_attendance(
        [
            ("E1", "Breakfast", ["x", "y", "z", "x"]),  # x's two records attended
            ("E2", None, ["x", "y"]),
            ("E3", "Trade expo", [f"v{i}" for i in range(31)]),
            ("E4", "Alone", ["w"]),
        ],
        max_attendees=30,
    )
    by_pair = {(e.a, e.b): e for e in derived.edges}
    assert set(by_pair) == {("x", "y"), ("x", "z"), ("y", "z")}
    assert derived.large_events == 1
    assert by_pair[("x", "z")].evidence == ("event:E1 Breakfast",)
    assert by_pair[("x", "z")].strength == attendance_strength(3)
    both = by_pair[("x", "y")]
    assert both.evidence == ("event:E1 Breakfast", "event:E2")
    assert both.strength == noisy_or([attendance_strength(3), attendance_strength(2)])
    assert all(e.type == "CO_ATTENDED" and e.source == "derived" for e in derived.edges)
    assert attendance_strength(2) > attendance_strength(6) > attendance_strength(30) > 0


def test_follows_keep_their_direction_and_mutual_ones_are_stronger() -> None:
    edges = derive_follows([
        ("a", "instagram:bee", "b"),  # a follows b ...
        ("b", "instagram:ay", "a"),  # ... and back
        ("a", "instagram:cee", "c"),  # one way
        ("c", "instagram:cee2", "c"),  # its own second account
    ])  # fmt: skip
    by_pair = {(e.a, e.b): e for e in edges}
    assert set(by_pair) == {("a", "b"), ("b", "a"), ("a", "c")}
    assert by_pair[("a", "b")].evidence == ("follows:instagram:bee", "mutual")
    assert by_pair[("b", "a")].evidence == ("follows:instagram:ay", "mutual")
    one_way = by_pair[("a", "c")]
    assert one_way.evidence == ("follows:instagram:cee",)
    assert one_way.strength < by_pair[("a", "b")].strength == by_pair[("b", "a")].strength


def test_betweenness_on_graphs_whose_answer_is_known() -> None:
    path = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")]  # raw: b 3, c 4, d 3
    assert betweenness(path) == {"a": 0.0, "b": 0.75, "c": 1.0, "d": 0.75, "e": 0.0}
    # A star (centre 3 pairs) beside a three-path (middle 1 pair) and a lone pair.
    star = [("hub", "l1"), ("hub", "l2"), ("l3", "hub"), ("p", "q"), ("q", "r"), ("s", "t")]
    scores = betweenness(star)
    assert scores["hub"] == 1.0 and scores["q"] == round(1 / 3, 6)
    assert {k for k, v in scores.items() if v == 0} == {"l1", "l2", "l3", "p", "r", "s", "t"}
    assert betweenness([]) == {}


def test_betweenness_is_exact_up_to_the_sample_size_and_seeded_beyond() -> None:
    graph = nx.connected_watts_strogatz_graph(60, 4, 0.2, seed=3)
    edges = [(f"n{a}", f"n{b}") for a, b in graph.edges]
    exact = scale({f"n{k}": v for k, v in
                   nx.betweenness_centrality(graph, normalized=False).items()})  # fmt: skip
    assert betweenness(edges, samples=60) == exact
    sampled = betweenness(edges, samples=20)
    assert sampled == betweenness(list(reversed(edges)), samples=20)  # same seed, same answer
    assert sampled != exact and set(sampled) == set(exact)
    top = sorted(exact, key=lambda k: exact[k], reverse=True)[:5]
    assert sum(sampled[k] for k in top) / 5 > sum(sampled.values()) / len(sampled)

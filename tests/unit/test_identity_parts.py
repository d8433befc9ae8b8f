"""The graph-free parts of identity resolution: blocking, hubs, the chaining guard,
survivorship and the evaluation arithmetic."""

from __future__ import annotations

from resolvers.blocking import HubReport, block_keys, candidate_pairs, group_records, hub_limits
from resolvers.clustering import components, guard
from resolvers.config import Hubs, Rule, Survivorship
from resolvers.evaluation import evaluate
from resolvers.golden import golden_fields
from resolvers.records import ResolutionRecord


def record(key: str, kind: str = "person", source: str = "crm", at: int = 1, name: str | None = None,
           **values: object) -> ResolutionRecord:  # fmt: skip
    row = {"key": key, "kind": kind, "source": source, "ingested_at": at, "name": name, **values}
    return ResolutionRecord.from_row(row)


def test_block_keys_survive_nicknames_typos_and_case() -> None:
    robert = record("a", given_name="Robert", family_name="Campbell", name_folded="robert campbell",
                    parish="St. Andrew", emails=["rob.campbell@gmail.com"])  # fmt: skip
    bob = record("b", given_name="bob", family_name="Cambell", name_folded="bob cambell")
    shared = set(block_keys(robert)) & set(block_keys(bob))
    assert shared == {"pn:C514|r"}  # the sound of the family name, the canonical initial
    assert "pel:rob.campbell" in block_keys(robert)


def test_businesses_block_by_company_key_whatever_the_city_and_the_ampersand() -> None:
    # A business named in a CRM contact's row has no city; the directory spells "&".
    contact_org = record("crm:org:x", kind="business", name_folded="jarrett and sons cleaning",
                         company_key="jarrett and sons cleaning")  # fmt: skip
    listed = record("directory:1", kind="business", name_folded="jarrett sons cleaning ltd",
                    company_key="jarrett and sons cleaning", city="falmouth")  # fmt: skip
    shared = set(block_keys(contact_org)) & set(block_keys(listed))
    assert "bcc:jarrett and sons cleaning|" in shared and "bn:J630|a" in shared


def test_a_business_with_a_typo_in_its_first_word_still_blocks_with_its_spelling() -> None:
    typo = record("crm:org:hraris insurance brokers", kind="business",
                  company_key="hraris insurance brokers")  # fmt: skip
    right = record("qbo:7", kind="business", company_key="harris insurance brokers")
    two_words = record("qbo:8", kind="business", company_key="harris brokers")
    shared = set(block_keys(typo)) & set(block_keys(right))
    assert shared == {"bnr:h|insurance brokers"}  # the sound of "hraris" is H662, not H620
    assert not [k for k in block_keys(two_words) if k.startswith("bnr:")]  # too coarse


def test_a_business_with_a_typo_in_a_later_word_blocks_with_its_spelling() -> None:
    typo = record("crm:org:dixon nad sons guest house", kind="business",
                  company_key="dixon nad sons guest house")  # fmt: skip
    right = record("sheets:org:dixon and sons guest house", kind="business",
                   company_key="dixon and sons guest house")  # fmt: skip
    assert set(block_keys(typo)) & set(block_keys(right)) == {"bnd:dixon sons guest house"}
    other = record("qbo:9", kind="business", company_key="dixon and sons hardware")
    assert not set(block_keys(other)) & set(block_keys(right)) - {"bn:D250|a"}


def test_a_two_word_business_with_a_typo_in_either_word_blocks_with_its_spelling() -> None:
    def keys(company: str) -> set[str]:
        return set(block_keys(record(f"x:{company}", kind="business", company_key=company)))

    assert "bnd:island" in keys("island bakery") & keys("island abkery")
    assert "bnd2:catering|f" in keys("falmouth catering") & keys("falmouh catering")
    assert "bnd:coe" not in keys("coe fashion")  # a first word under 4 letters is too coarse


def test_a_name_is_spelled_as_handles_spell_it_formal_and_without_accents() -> None:
    from resolvers.records import spellings

    sam = spellings({"given_name": "sam", "family_name": "haughton"})
    assert {"n:samhaughton", "n:samh", "n:samuelhaughton", "n:samanthahaughton"} <= set(sam)
    assert "n:samuelh" not in sam  # a formal name with an initial blocks hundreds at 1M
    assert "n:chloejackson" in spellings({"given_name": "chloé", "family_name": "jackson"})
    handle = record("instagram:katherinebailey_13471", source="instagram",
                    handles=["instagram:katherinebailey_13471"])  # fmt: skip
    crm = record("crm:1", given_name="Kathy", family_name="Bailey")
    assert "psp:katherinebailey" in set(block_keys(handle)) & set(block_keys(crm))


def test_a_family_initial_takes_the_family_name_its_own_handle_spells() -> None:
    def profile(handle: str, given: str = "Claudette", family: str = "H.") -> ResolutionRecord:
        return record(f"instagram:{handle}", source="instagram", given_name=given,
                      family_name=family, handles=[f"instagram:{handle}"])  # fmt: skip

    for handle in ("claudette.hall.37386", "claudettehall_37386", "Claudette_Hall"):
        assert profile(handle).values["family_name"] == "hall", handle
    crm = record("crm:1", given_name="Claudette", family_name="Hall", parish="Kingston")
    assert "pn:H400|c" in set(block_keys(profile("claudette.hall.37386"))) & set(block_keys(crm))
    # The handle says no more than the initial, or spells another name: it stays.
    for handle in ("claudette_h37386", "iamclaudette37386", "claudette.jones.12", "claudettehx"):
        assert profile(handle).values["family_name"] == "h.", handle
    assert profile("claudette.hall.3", family="Hall").values["family_name"] == "hall"
    assert profile("chloe.brown.12", given="Chloé", family="B").values["family_name"] == "brown"
    assert profile("shanice.ivey", given="Shan", family="I.").values["family_name"] == "i."


def test_a_record_with_only_a_family_name_blocks_by_its_number_and_that_initial() -> None:
    family_only = record("crm:1", family_name="Russell", emails=["russellzoe15572@gmail.com"])
    named = record("instagram:iamzoe15572", source="instagram", given_name="Zoe",
                   family_name="Russell", handles=["instagram:iamzoe15572"])  # fmt: skip
    assert "pud:15572|fr" in set(block_keys(family_only)) & set(block_keys(named))


def test_a_profile_without_a_name_blocks_by_its_number_and_its_handles_initial() -> None:
    handle_only = record("instagram:iamjoelle737", source="instagram",
                         handles=["instagram:iamjoelle737"])  # fmt: skip
    full = record("qbo:1403", source="qbo", given_name="Joelle", family_name="Barrett",
                  emails=["barrett.joelle737@yahoo.com"])  # fmt: skip
    assert "pud:737|j" in set(block_keys(handle_only)) & set(block_keys(full))
    assert "pud:737|i" in block_keys(handle_only)  # the prefix may be a name's start
    theresa = record("instagram:theresa_77", source="instagram", handles=["instagram:theresa_77"])
    assert {"pud:77|t", "pud:77|r"} <= set(block_keys(theresa))


def test_records_derived_from_a_company_cell_draw_no_u_pairs() -> None:
    from resolvers.identity import _u_group

    assert _u_group(record("crm:51", source="crm")) == "crm"
    typo, right = (
        record("crm:org:yard phamacy", "business"),
        record("crm:org:yard pharmacy", "business"),
    )
    assert _u_group(typo) != _u_group(right)  # one per spelling: never assumed different


def test_role_mailboxes_and_short_local_parts_are_not_blocking_keys() -> None:
    keys = block_keys(record("a", emails=["info@acme.com.jm", "jo@x.com", "sales@acme.com.jm"]))
    assert not [k for k in keys if k.startswith("pel:")]


def test_persons_and_businesses_never_share_a_block() -> None:
    person = record("p", given_name="Blue", family_name="Mountain", name_folded="blue mountain")
    business = record(
        "b", kind="business", name_folded="blue mountain", company_key="blue mountain"
    )
    assert not set(block_keys(person)) & set(block_keys(business))


def _switchboard_and_families() -> list[ResolutionRecord]:
    records = [
        record(f"s{i}", family_name=name, given_name="x", phones=["+18769260000"])
        for i, name in enumerate(["brown", "smith", "chen", "williams", "reid", "patel", "grant"])
    ]
    for family in range(20):  # the same person seen by two sources: one phone, one surname
        for source in ("crm", "qbo"):
            records.append(record(f"{source}{family}", family_name=f"fam{family}", given_name="y",
                                  phones=[f"+1876555{family:04d}"]))  # fmt: skip
    return records


def test_hub_limit_is_learnt_from_name_disagreement() -> None:
    records = _switchboard_and_families()
    groups = group_records(records, [[] for _ in records])
    report = hub_limits(records, groups, Hubs())
    assert report.limits["phone"] < 7 <= Hubs().max_group
    assert report.hubs["phone"] == 1
    assert report.largest["phone"] == ("person|+18769260000", 7)
    pairs = candidate_pairs(records, groups, report, Hubs(block_limit=100))
    keys = {(records[i].key, records[j].key) for i, j in pairs.tolist()}
    assert ("crm3", "qbo3") in keys
    assert not [p for p in keys if p[0].startswith("s")]  # the switchboard glues no one


def test_a_common_name_run_together_generates_no_pairs_a_rare_one_does() -> None:
    # Profiles without a display name share only the name their handles spell.
    common = [record(f"ig:{i}", handles=[f"instagram:john.brown.{i}"]) for i in range(12)]
    rare = [record("crm:rare", given_name="Shamar", family_name="Maxwell"),
            record("ig:rare", handles=["instagram:shamar.maxwell.1399"])]  # fmt: skip
    records = common + rare
    groups = group_records(records, [block_keys(r) for r in records])
    assert len(groups[("block", "psp:johnbrown")]) == 12
    pairs = candidate_pairs(records, groups, HubReport(), Hubs(spelled_limit=10))
    keys = {(records[i].key, records[j].key) for i, j in pairs.tolist()}
    assert keys == {("crm:rare", "ig:rare")}
    assert len(candidate_pairs(records, groups, HubReport(), Hubs(spelled_limit=12))) == 67
    assert HubReport().caps(Hubs(spelled_limit=10))["spelled"] == 10


def test_guard_cuts_the_weakest_link_between_contradicting_records() -> None:
    # a - b strongly, b - c weakly (chained through b), c - d strongly; a and d contradict.
    links = [("a", "b", 0.99), ("b", "c", 0.96), ("c", "d", 0.995)]
    bad = {("a", "d"): 0.0001}

    def contradictions(members: object) -> list[tuple[str, str, float]]:
        inside = set(members)  # type: ignore[call-overload]
        return [(x, y, p) for (x, y), p in bad.items() if x in inside and y in inside]

    parts, splits = guard(["a", "b", "c", "d"], links, contradictions)
    assert parts == [["a", "b"], ["c", "d"]]
    assert len(splits) == 1
    assert splits[0].cut == ("b", "c") and splits[0].cut_score == 0.96
    assert "a and d are not the same" in splits[0].reason()


def test_guard_leaves_consistent_clusters_alone() -> None:
    parts, splits = guard(["a", "b", "c"], [("a", "b", 0.99), ("b", "c", 0.97)], lambda m: [])
    assert parts == [["a", "b", "c"]] and splits == []


def test_components_include_singletons() -> None:
    assert components(["a", "b", "c", "d"], [("a", "b", 0.99)]) == [["a", "b"], ["c"], ["d"]]


def test_survivorship_rules() -> None:
    rules = Survivorship()
    records = [
        record("crm:1", source="crm", at=10, name="Bob Campbell", given_name="Bob", family_name="Campbell",
               dob="1980-02-03", emails=["bob@x.com"], addresses=["old|kingston"], phones=["+18765550001"],
               owner="Andre Brown"),
        record("qbo:1", source="qbo", at=5, name="Robert Campbell", given_name="Robert", family_name="Campbel",
               dob="1980-02-03", emails=["bob@x.com", "rc@work.jm"], addresses=["new|kingston"]),
        record("instagram:1", source="instagram", at=20, name="R Campbell", dob="1980-03-02",
               addresses=["newest|kingston"]),
        record("sheets:1", source="sheets", at=30, name="Bob Campbell", rep="Keisha  Grant",
               city="St. Ann's Bay"),
    ]  # fmt: skip
    golden = golden_fields(records, rules)
    assert golden["city"] == "St. Ann's Bay"  # compared folded, shown capitalised
    assert golden["name"] == "Robert Campbell"  # longest
    assert golden["given_name"] == "Robert"
    assert golden["family_name"] == "Campbel"  # most trusted source (qbo) wins
    assert golden["dob"] == "1980-02-03"  # most frequent
    assert golden["email"] == "bob@x.com"
    assert golden["address"] == "newest|kingston"  # most recent
    assert golden["emails"] == ["bob@x.com", "rc@work.jm"]
    assert golden["record_count"] == 4
    assert golden["sources"] == ["crm", "instagram", "qbo", "sheets"]
    assert 0 < golden["completeness"] < 1
    assert rules.rules["address"] is Rule.RECENT
    # The account owner: CRM's `owner` outranks the sheets lead list's `rep` (trust order).
    assert golden["owner"] == "Andre Brown"
    assert "owner" not in rules.completeness_fields["person"]


def test_owner_comes_from_crm_owner_or_sheets_rep() -> None:
    assert record("crm:1", owner=" Andre  Brown ").owner == "Andre Brown"
    assert record("sheets:1", source="sheets", rep="Keisha Grant").owner == "Keisha Grant"
    assert record("qbo:1", source="qbo").owner is None
    lead = record("sheets:2", source="sheets", rep="Keisha Grant")
    assert golden_fields([lead], Survivorship())["owner"] == "Keisha Grant"


def test_a_record_knows_it_was_deleted_in_the_system_of_record() -> None:
    assert record("sor:1", source="sor", deleted=True).deleted is True
    assert record("sor:1", source="sor", deleted=False).deleted is False
    assert record("sor:1", source="sor").deleted is False  # never deleted: no property


def test_a_customer_may_be_retired() -> None:
    from graph.model import CustomerNode

    props = {"id": "C1", "kind": "person", "created_at": 1, "updated_at": 2, "completeness": 0.0}
    assert CustomerNode(**props, status="retired").status == "retired"


def test_search_text_folds_names_and_lists_every_way_to_find_the_customer() -> None:
    records = [
        record("crm:1", name="José Müller", given_name="José", family_name="Müller",
               emails=["Jose.Muller@Example.com"], phones=["+18765550001"], city="Kingston",
               employers=["acme trading"]),
        record("sheets:1", source="sheets", name="Joe Muller", phones=["+18765550001"]),
    ]  # fmt: skip
    text = golden_fields(records, Survivorship())["search_text"]
    assert text == text.lower() and "é" not in text and "ü" not in text
    words = text.split()
    for expected in ("jose", "muller", "joe", "jose.muller@example.com", "+18765550001",
                     "5550001", "acme", "trading", "kingston"):  # fmt: skip
        assert expected in words, expected
    assert words.count("5550001") == 1  # each distinct value once
    assert "search_text" not in golden_fields([record("x:1")], Survivorship())


def test_golden_record_of_an_empty_record() -> None:
    golden = golden_fields([record("x:1")], Survivorship())
    assert golden["completeness"] == 0.0 and golden["record_count"] == 1 and "name" not in golden


def test_evaluation_counts_pairs_and_exact_clusters() -> None:
    truth = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 3}
    predicted = {"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Z", "unknown": "Q"}
    result = evaluate(predicted, truth)
    # true pairs: ab ac bc (3); predicted: ab, cd (2); correct: ab (1)
    assert result["pairwise"] == {"precision": 0.5, "recall": 0.33333, "f1": 0.4}
    assert result["records"] == 5 and result["entities"] == 3 and result["clusters"] == 3
    assert result["cluster"]["precision"] == round(1 / 3, 5)  # only {e} is exact


def test_minted_ids_are_unique_and_time_ordered_even_within_a_millisecond() -> None:
    from resolvers.identity import new_id

    ids = [new_id("D") for _ in range(50_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)

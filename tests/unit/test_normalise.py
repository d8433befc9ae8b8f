"""Unit tests for ingest.normalise: exact outputs, blanks, and malformed values."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest

from ingest import normalise as n
from ingest.model import AddressEvidence
from ingest.normalise import CompanyName, InvalidValue, PersonName


def raises_naming(value: str, *fragments: str) -> Any:
    """pytest.raises(InvalidValue) whose message names `value` (and the fragments)."""
    pattern = re.escape(repr(value)) + ".*" + ".*".join(re.escape(f) for f in fragments)
    return pytest.raises(InvalidValue, match=pattern)


# --------------------------------------------------------------------------------------
# Blank / absent input
# --------------------------------------------------------------------------------------

BLANK_CALLS: list[tuple[str, Callable[[Any], Any], Any]] = [
    ("phone_e164", n.phone_e164, None),
    ("email", n.email, None),
    ("person_name", lambda v: n.person_name(v), None),
    ("company_name", n.company_name, None),
    ("parish", n.parish, None),
    ("address", lambda v: n.address(v, v, v, v, v, v), None),
    ("website_domain", n.website_domain, None),
    ("handle", lambda v: n.handle("instagram", v), None),
    ("iso_date", n.iso_date, None),
    ("money", n.money, None),
    ("phones", n.phones, []),
]


@pytest.mark.parametrize("blank", [None, "", "   ", "\t\n", "N/A", "null", "-", "none"])
@pytest.mark.parametrize(("name", "fn", "expected"), BLANK_CALLS, ids=[c[0] for c in BLANK_CALLS])
def test_blank_and_placeholder_input_gives_nothing(
    name: str, fn: Callable[[Any], Any], expected: Any, blank: str | None
) -> None:
    assert fn(blank) == expected


def test_person_name_all_parts_blank() -> None:
    assert n.person_name() is None
    assert n.person_name(full=" ", given="", family=None) is None


def test_invalid_value_is_a_value_error() -> None:
    assert issubclass(InvalidValue, ValueError)


# --------------------------------------------------------------------------------------
# fold
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O'Connor", "oconnor"),
        ("O’Connor", "oconnor"),
        ("Mary-Jane", "mary jane"),
        ("José  Núñez", "jose nunez"),
        ("  ROBERT   Brown ", "robert brown"),
        ("P.O. Box 12", "po box 12"),
        ("J.R. Smith", "jr smith"),
        ("J.Brown", "j brown"),
        ("St.Andrew", "st andrew"),
        ("Blue Mountain Coffee Co. Ltd.", "blue mountain coffee co ltd"),
        ("Smith & Sons!", "smith sons"),
        ("Ærø", "aero"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert n.fold(text) == expected


# --------------------------------------------------------------------------------------
# Phones
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("876-555-1234", "+18765551234"),
        ("(876) 555 1234", "+18765551234"),
        ("876.555.1234", "+18765551234"),
        ("8765551234", "+18765551234"),
        ("555-1234", "+18765551234"),
        ("5551234", "+18765551234"),
        ("+1 876 555 1234", "+18765551234"),
        ("1-876-555-1234", "+18765551234"),
        ("1 (876) 555-1234", "+18765551234"),
        ("18765551234", "+18765551234"),
        ("876-555-1234 x123", "+18765551234"),
        ("876-555-1234 ext. 12", "+18765551234"),
        ("876-555-1234 Ext 4", "+18765551234"),
        ("658-555-1234", "+16585551234"),
        ("  876 555 1234  ", "+18765551234"),
        ("8765551234.0", "+18765551234"),  # a number that went through a spreadsheet
        ("+1 (305) 555-0123", "+13055550123"),
        ("305-555-0123", "+13055550123"),
        ("+44 20 7946 0958", "+442079460958"),
        ("011 44 20 7946 0958", "+442079460958"),
        ("tel: 876 555 1234", "+18765551234"),
    ],
)
def test_phone_e164(raw: str, expected: str) -> None:
    assert n.phone_e164(raw) == expected


def test_phone_e164_other_region() -> None:
    assert n.phone_e164("020 7946 0958", region="GB") == "+442079460958"
    # 7-digit local numbers get 876 only for Jamaica.
    with raises_naming("555-1234", "local number"):
        n.phone_e164("555-1234", region="US")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("abc", "not a phone number"),
        ("call me", "not a phone number"),
        ("12", "too short"),
        ("876-555-12345", "too long"),
        ("876 555 123456789", "too long"),
        ("876 055 1234", "impossible North American number"),
        ("176 555 1234", "impossible North American number"),
        ("+876 555 1234", ""),
    ],
)
def test_phone_e164_rejects_impossible_numbers(raw: str, problem: str) -> None:
    with raises_naming(raw, problem):
        n.phone_e164(raw)


LOOKUP_SAMPLES = [
    "876-555-1234", "(876) 555 1234", "555-1234", "+1 876 555 1234", "1-876-555-1234",
    "876-555-1234 x123", "876-555-1234 ext. 12", "658 555 1234", "8765551234",
    "1 658 555 9999", "876 255 0000", "+1876-999-1234", "876-555-1234 #22",
    "+1 (305) 555-0123", "305.555.0123", "+44 20 7946 0958", "011 44 20 7946 0958",
    "876 055 1234", "12345", "+876 555 1234", "8765551234.0", "1-800-FLOWERS",
    "tel: 876 555 1234", "00 44 20 7946 0958",
]  # fmt: skip


@pytest.mark.parametrize("raw", LOOKUP_SAMPLES)
def test_phone_shortcuts_agree_with_phonenumbers_on_the_raw_text(raw: str) -> None:
    # The hand-written Jamaican path and the digits-keyed cache give exactly what one
    # library parse of the untouched text gives.
    n._phone_cached.cache_clear()
    unspread = raw[:-2] if raw.endswith(".0") else raw  # the spreadsheet ".0" goes first
    direct = n._phone_cached.__wrapped__(unspread, "JM")
    assert n._phone_lookup(raw, "JM") == direct


def test_jamaican_numbers_skip_the_library() -> None:
    n._phone_cached.cache_clear()
    for raw in ["876-555-1234", "555-1234", "+1 876 555 1234", "1 (658) 555-0000 x7"]:
        assert n._phone_lookup(raw, "JM")[1]
    assert n._phone_cached.cache_info().misses == 0


def test_differently_formatted_numbers_share_a_cache_entry() -> None:
    n._phone_cached.cache_clear()
    for raw in ["+1 (305) 555-0123", "+1-305-555-0123", "+1 305 555 0123 ext 4"]:
        assert n.phone_e164(raw) == "+13055550123"
    assert n._phone_cached.cache_info().currsize == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("876-555-1234 / 876-555-9876", ["+18765551234", "+18765559876"]),
        ("876-555-1234; 876-555-9876", ["+18765551234", "+18765559876"]),
        ("876-555-1234, 555-9876", ["+18765551234", "+18765559876"]),
        ("876-555-1234 or 876-555-9876", ["+18765551234", "+18765559876"]),
        (
            "876-555-1234 | 876 555 9876 & 658-555-0000",
            ["+18765551234", "+18765559876", "+16585550000"],
        ),
        ("876-555-1234 / (876) 555-1234 / 555-1234", ["+18765551234"]),
        ("876-555-1234", ["+18765551234"]),
        ("876-555-1234 / ", ["+18765551234"]),
        ("876-555-1234 / N/A", ["+18765551234"]),
    ],
)
def test_phones(raw: str, expected: list[str]) -> None:
    assert n.phones(raw) == expected


def test_phones_names_the_bad_part() -> None:
    with pytest.raises(InvalidValue, match=r"^'abc': not a phone number.*in phone field") as exc:
        n.phones("876-555-1234 / abc")
    assert "876-555-1234 / abc" in str(exc.value)


# --------------------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jane.Doe@Example.com", "jane.doe@example.com"),
        ("  jane@example.com  ", "jane@example.com"),
        ('"jane@example.com"', "jane@example.com"),
        ("<jane@example.com>", "jane@example.com"),
        ("Jane Doe <Jane@Example.com>", "jane@example.com"),
        ("mailto:jane@example.com", "jane@example.com"),
        ("MAILTO:jane@example.com", "jane@example.com"),
        ("jane@example.com.", "jane@example.com"),
        ("jane@example.com,", "jane@example.com"),
        ("jane@example.com;", "jane@example.com"),
        ("'jane@example.com';", "jane@example.com"),
        ("jane.doe@company.com.jm", "jane.doe@company.com.jm"),
        # Gmail: dots and +tags ignored, googlemail is gmail
        ("Bob.Smith@gmail.com", "bobsmith@gmail.com"),
        ("b.o.b.smith+shop@gmail.com", "bobsmith@gmail.com"),
        ("bob.smith@googlemail.com", "bobsmith@gmail.com"),
        ("Bob <Bob.Smith+x@GoogleMail.com>", "bobsmith@gmail.com"),
        # Providers that ignore +tags: tag removed, dots kept
        ("a.b+x@hotmail.com", "a.b@hotmail.com"),
        ("a.b+x@outlook.com", "a.b@outlook.com"),
        ("a.b+x@live.com", "a.b@live.com"),
        ("a.b+x@icloud.com", "a.b@icloud.com"),
        ("a.b+x@protonmail.com", "a.b@protonmail.com"),
        ("a.b+x@proton.me", "a.b@proton.me"),
        # Providers where + or - matters: untouched
        ("a.b+x@yahoo.com", "a.b+x@yahoo.com"),
        ("a.b-x@yahoo.com", "a.b-x@yahoo.com"),
        ("a.b+x@cwjamaica.com", "a.b+x@cwjamaica.com"),
        ("a.b@hotmail.com", "a.b@hotmail.com"),
    ],
)
def test_email(raw: str, expected: str) -> None:
    assert n.email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("no at sign", "exactly one '@'"),
        ("a@@b.com", "exactly one '@'"),
        ("a@b.com c@d.com", "exactly one '@'"),
        ("a b@c.com", "spaces"),
        ("a@b", "bad domain"),
        ("a@b..com", "bad domain"),
        ("a@-b.com", "bad domain"),
        ("a@b.c", "bad domain"),
        ("@b.com", "bad local part"),
        ("a..b@c.com", "bad local part"),
        ("+tag@gmail.com", "empty mailbox"),
        ("<>", "no address"),
    ],
)
def test_email_rejects_malformed(raw: str, problem: str) -> None:
    with raises_naming(raw, problem):
        n.email(raw)


# --------------------------------------------------------------------------------------
# Person names
# --------------------------------------------------------------------------------------


def pn(full: str, given: str | None, family: str | None, title: str | None, folded: str) -> Any:
    return PersonName(full=full, given=given, family=family, title=title, folded=folded)


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("ROBERT BROWN", pn("Robert Brown", "Robert", "Brown", None, "robert brown")),
        ("robert brown", pn("Robert Brown", "Robert", "Brown", None, "robert brown")),
        ("  Robert    Brown ", pn("Robert Brown", "Robert", "Brown", None, "robert brown")),
        ("Brown, Robert", pn("Robert Brown", "Robert", "Brown", None, "robert brown")),
        ("BROWN, ROBERT A.", pn("Robert A. Brown", "Robert A.", "Brown", None, "robert a brown")),
        (
            "Robert Anthony Brown",
            pn("Robert Anthony Brown", "Robert Anthony", "Brown", None, "robert anthony brown"),
        ),
        (
            "Dr. Robert McDonald",
            pn("Robert McDonald", "Robert", "McDonald", "Dr.", "robert mcdonald"),
        ),
        (
            "dr robert mcdonald",
            pn("Robert McDonald", "Robert", "McDonald", "Dr.", "robert mcdonald"),
        ),
        (
            "MR ROBERT MCDONALD JR",
            pn("Robert McDonald Jr.", "Robert", "McDonald Jr.", "Mr.", "robert mcdonald jr"),
        ),
        (
            "Robert Brown, Jr.",
            pn("Robert Brown Jr.", "Robert", "Brown Jr.", None, "robert brown jr"),
        ),
        (
            "Brown Jr., Robert",
            pn("Robert Brown Jr.", "Robert", "Brown Jr.", None, "robert brown jr"),
        ),
        (
            "Brown, Robert, Sr",
            pn("Robert Brown Sr.", "Robert", "Brown Sr.", None, "robert brown sr"),
        ),
        ("John Smith III", pn("John Smith III", "John", "Smith III", None, "john smith iii")),
        (
            "Rev Dr John Smith II",
            pn("John Smith II", "John", "Smith II", "Rev. Dr.", "john smith ii"),
        ),
        ("Robert Brown, JP", pn("Robert Brown", "Robert", "Brown", None, "robert brown")),
        (
            "The Hon. Portia Simpson-Miller",
            pn(
                "Portia Simpson-Miller", "Portia", "Simpson-Miller", "Hon.", "portia simpson miller"
            ),
        ),
        (
            "Mrs. Sharon Brown-Williams",
            pn(
                "Sharon Brown-Williams", "Sharon", "Brown-Williams", "Mrs.", "sharon brown williams"
            ),
        ),
        ("Ms Jones", pn("Jones", None, "Jones", "Ms.", "jones")),
        ("Miss Brown", pn("Brown", None, "Brown", "Miss", "brown")),
        ("Prof. Ann Lee", pn("Ann Lee", "Ann", "Lee", "Prof.", "ann lee")),
        ("Sir Lee Jones", pn("Lee Jones", "Lee", "Jones", "Sir", "lee jones")),
        ("Madonna", pn("Madonna", "Madonna", None, None, "madonna")),
        ("mary o'brien", pn("Mary O'Brien", "Mary", "O'Brien", None, "mary obrien")),
        ("MARY O’BRIEN", pn("Mary O'Brien", "Mary", "O'Brien", None, "mary obrien")),
        (
            "jean-luc d'angelo",
            pn("Jean-Luc D'Angelo", "Jean-Luc", "D'Angelo", None, "jean luc dangelo"),
        ),
        (
            "ludwig van der berg",
            pn("Ludwig van der Berg", "Ludwig", "van der Berg", None, "ludwig van der berg"),
        ),
        (
            "ANTHONY DA COSTA",
            pn("Anthony da Costa", "Anthony", "da Costa", None, "anthony da costa"),
        ),
        (
            "Anthony Da Costa",
            pn("Anthony Da Costa", "Anthony", "Da Costa", None, "anthony da costa"),
        ),
        (
            "DeShawn MacKenzie",
            pn("DeShawn MacKenzie", "DeShawn", "MacKenzie", None, "deshawn mackenzie"),
        ),
        ("ANGUS MACDONALD", pn("Angus MacDonald", "Angus", "MacDonald", None, "angus macdonald")),
        ("JOHN MACHADO", pn("John Machado", "John", "Machado", None, "john machado")),
        ("MARK MACK", pn("Mark Mack", "Mark", "Mack", None, "mark mack")),
        ("José Núñez", pn("José Núñez", "José", "Núñez", None, "jose nunez")),
        ("JOSÉ NÚÑEZ", pn("José Núñez", "José", "Núñez", None, "jose nunez")),
        (
            "Hon. P.J. Patterson, ON",
            pn("P.J. Patterson", "P.J.", "Patterson", "Hon.", "pj patterson"),
        ),
    ],
)
def test_person_name_from_full(full: str, expected: PersonName) -> None:
    assert n.person_name(full) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"given": "ROBERT", "family": "BROWN"},
            pn("Robert Brown", "Robert", "Brown", None, "robert brown"),
        ),
        (
            {"given": "dr robert", "family": "brown jr"},
            pn("Robert Brown Jr.", "Robert", "Brown Jr.", "Dr.", "robert brown jr"),
        ),
        ({"given": "Mr", "family": "BROWN"}, pn("Brown", None, "Brown", "Mr.", "brown")),
        ({"given": "Robert"}, pn("Robert", "Robert", None, None, "robert")),
        ({"family": "brown"}, pn("Brown", None, "Brown", None, "brown")),
        (
            {"given": "Mary Ann", "family": "Van Dyke"},
            pn("Mary Ann Van Dyke", "Mary Ann", "Van Dyke", None, "mary ann van dyke"),
        ),
        # given/family win over full; a title in full is still picked up
        (
            {"full": "Mr Bob Brown", "given": "Robert", "family": "Brown"},
            pn("Robert Brown", "Robert", "Brown", "Mr.", "robert brown"),
        ),
        (
            {"full": "Rob3rt", "given": "Robert", "family": "Brown"},
            pn("Robert Brown", "Robert", "Brown", None, "robert brown"),
        ),
        (
            {"full": "Robert Brown", "given": " ", "family": ""},
            pn("Robert Brown", "Robert", "Brown", None, "robert brown"),
        ),
    ],
)
def test_person_name_from_parts(kwargs: dict[str, str], expected: PersonName) -> None:
    assert n.person_name(**kwargs) == expected


@pytest.mark.parametrize("full", ["Dr.", "Mr Mrs", "mr"])
def test_person_name_title_alone_is_no_name(full: str) -> None:
    assert n.person_name(full) is None
    assert n.person_name(given=full) is None


@pytest.mark.parametrize(
    ("kwargs", "bad", "problem"),
    [
        ({"full": "Robert Brown 2"}, "Robert Brown 2", "digits or '@'"),
        ({"full": "876-555-1234"}, "876-555-1234", "digits or '@'"),
        ({"full": "bob@example.com"}, "bob@example.com", "digits or '@'"),
        ({"given": "Rob3rt", "family": "Brown"}, "Rob3rt", "digits or '@'"),
        ({"given": "Robert", "family": "brown@x.com"}, "brown@x.com", "digits or '@'"),
        ({"full": "x" * 201}, "x" * 201, "longer than 200"),
        ({"full": "!!! ???"}, "!!! ???", "no letters"),
    ],
)
def test_person_name_rejects(kwargs: dict[str, str], bad: str, problem: str) -> None:
    with raises_naming(bad, problem):
        n.person_name(**kwargs)


def test_person_name_200_characters_is_accepted() -> None:
    name = "A" * 100 + " " + "B" * 99
    result = n.person_name(name)
    assert result is not None
    assert result.family == "B" + "b" * 98


# --------------------------------------------------------------------------------------
# Company names
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "display", "key"),
    [
        (
            "The Blue Mountain Coffee Co. Ltd.",
            "The Blue Mountain Coffee Co. Ltd.",
            "blue mountain coffee",
        ),
        (
            "Blue Mountain Coffee Company Limited",
            "Blue Mountain Coffee Company Limited",
            "blue mountain coffee",
        ),
        ("BLUE MOUNTAIN COFFEE CO LTD", "Blue Mountain Coffee Co Ltd", "blue mountain coffee"),
        ("GRACE KENNEDY (JA) LTD", "Grace Kennedy (JA) Ltd", "grace kennedy"),
        ("Digicel Jamaica Limited", "Digicel Jamaica Limited", "digicel jamaica"),
        ("Brown & Co.", "Brown & Co.", "brown"),
        ("Brown and Company", "Brown and Company", "brown"),
        ("joe's bar & grill", "Joe's Bar & Grill", "joes bar and grill"),
        (
            "THE BANK OF NOVA SCOTIA JAMAICA LTD",
            "The Bank of Nova Scotia Jamaica Ltd",
            "bank of nova scotia jamaica",
        ),
        ("ABC Hardware L.L.C.", "ABC Hardware L.L.C.", "abc hardware"),
        ("Acme Inc", "Acme Inc", "acme"),
        ("Acme Incorporated", "Acme Incorporated", "acme"),
        ("Acme Corp.", "Acme Corp.", "acme"),
        ("Acme Corporation PLC", "Acme Corporation PLC", "acme"),
        ("acme llc", "Acme LLC", "acme"),
        ("  Café   Blue  ", "Café Blue", "cafe blue"),
        ("The Company Ltd", "The Company Ltd", "company ltd"),  # nothing but suffixes
        ("The", "The", "the"),
        ("iCool Solutions", "iCool Solutions", "icool solutions"),
    ],
)
def test_company_name(raw: str, display: str, key: str) -> None:
    assert n.company_name(raw) == CompanyName(display=display, key=key)


@pytest.mark.parametrize(
    ("raw", "problem"), [("!!!", "no letters or digits"), ("A" * 301, "longer than 300")]
)
def test_company_name_rejects(raw: str, problem: str) -> None:
    with raises_naming(raw, problem):
        n.company_name(raw)


# --------------------------------------------------------------------------------------
# Parishes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("St Andrew", "St. Andrew"),
        ("st. andrew", "St. Andrew"),
        ("Saint Andrew", "St. Andrew"),
        ("St.Andrew", "St. Andrew"),
        ("ST ANDREW", "St. Andrew"),
        ("St. Andrew Parish", "St. Andrew"),
        ("Parish of St. Mary", "St. Mary"),
        ("St Elizabeth, Jamaica W.I.", "St. Elizabeth"),
        ("St. Bess", "St. Elizabeth"),
        ("Kingston", "Kingston"),
        ("Kgn", "Kingston"),
        ("KINGSTON 10", "St. Andrew"),
        ("Kgn 5", "St. Andrew"),
        ("Kingston 2, Jamaica", "Kingston"),
        ("St. Cathrine", "St. Catherine"),
        ("St Catherine", "St. Catherine"),
        ("Westmorland", "Westmoreland"),
        ("Trelawney", "Trelawny"),
        ("Clarendon", "Clarendon"),
        ("portland", "Portland"),
        ("Mobay", "St. James"),
        ("Mo Bay", "St. James"),
        ("Montego Bay", "St. James"),
        ("Mandeville", "Manchester"),
        ("Mandevile", "Manchester"),
        ("May Pen", "Clarendon"),
        ("Spanish Town", "St. Catherine"),
        ("Portmore", "St. Catherine"),
        ("Ocho Rios", "St. Ann"),
        ("St. Ann's Bay", "St. Ann"),
        ("Negril", "Westmoreland"),
        ("Savanna-la-Mar", "Westmoreland"),
        ("Sav-la-Mar", "Westmoreland"),
        ("Port Antonio", "Portland"),
        ("Morant Bay", "St. Thomas"),
        ("Falmouth", "Trelawny"),
        ("Lucea", "Hanover"),
        ("Black River", "St. Elizabeth"),
        ("Port Maria", "St. Mary"),
        ("Half Way Tree", "St. Andrew"),
        ("Halfway Tree", "St. Andrew"),
        ("New Kingston", "St. Andrew"),
    ],
)
def test_parish(raw: str, expected: str) -> None:
    assert n.parish(raw) == expected
    assert expected in n.PARISHES


@pytest.mark.parametrize(
    "raw",
    [
        "KSA",
        "Kingston & St. Andrew",
        "Kingston and St Andrew",
        "Jamaica",
        "xyz",
        "Bull Bay",
        "12 Hope Road",
        "Kingston 99",
        "?",
    ],
)
def test_parish_unknown_or_ambiguous_is_none(raw: str) -> None:
    assert n.parish(raw) is None


@pytest.mark.parametrize("name", n.PARISHES)
def test_every_canonical_parish_maps_to_itself(name: str) -> None:
    assert n.parish(name) == name
    assert n.parish(name.upper()) == name
    assert n.parish(name.replace("St. ", "Saint ")) == name


def test_kingston_zone_table_covers_zones_1_to_20() -> None:
    assert sorted(n.KINGSTON_ZONE_PARISH) == list(range(1, 21))
    assert set(n.KINGSTON_ZONE_PARISH.values()) == {"Kingston", "St. Andrew"}
    assert set(n.TOWN_PARISH.values()) <= set(n.PARISHES)


# --------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------

HOPE_ROAD_KEY = "12 hope road|kingston 6|st andrew|jm"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"line1": "12 Hope Rd, Kgn 6"},
        {"line1": "12 Hope Road", "city": "Kingston 6"},
        {"line1": "12 HOPE ROAD", "city": "KGN6"},
        {"line1": "12 hope rd.", "city": "Kingston", "postal": "6"},
        {"line1": "12 Hope Rd", "postal": "Kingston 6"},
        {"line1": "12 Hope Rd", "line2": "Kingston 6, Jamaica"},
        {"line1": "12 Hope Road, Kingston 6, St. Andrew, Jamaica"},
        {"line1": "#12 Hope Rd", "city": "Kingston 6, Jamaica", "country": "Jamaica"},
        {"line1": "No. 12 Hope Rd", "city": "Kgn 6", "parish_raw": "St Andrew", "country": "JA"},
    ],
)
def test_address_spellings_share_a_key(kwargs: dict[str, str]) -> None:
    result = n.address(**kwargs)
    assert result is not None
    assert result.key == HOPE_ROAD_KEY
    assert (result.city, result.parish, result.postal_zone, result.country) == (
        "Kingston",
        "St. Andrew",
        "Kingston 6",
        "JM",
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"line1": "12 Hope Rd, Kgn 6"},
            AddressEvidence(
                key=HOPE_ROAD_KEY,
                line1="12 Hope Rd",
                city="Kingston",
                parish="St. Andrew",
                postal_zone="Kingston 6",
            ),
        ),
        (
            {"line1": "12 KING ST", "city": "KINGSTON", "parish_raw": "kingston"},
            AddressEvidence(
                key="12 king street|kingston|kingston|jm",
                line1="12 King St",
                city="Kingston",
                parish="Kingston",
            ),
        ),
        (
            {"line1": "5 Duke Street", "city": "Kingston 1"},
            AddressEvidence(
                key="5 duke street|kingston 1|kingston|jm",
                line1="5 Duke Street",
                city="Kingston",
                parish="Kingston",
                postal_zone="Kingston 1",
            ),
        ),
        (
            {"line1": "12 St Lucia Ave", "city": "Kingston 5"},
            AddressEvidence(
                key="12 st lucia avenue|kingston 5|st andrew|jm",
                line1="12 St Lucia Ave",
                city="Kingston",
                parish="St. Andrew",
                postal_zone="Kingston 5",
            ),
        ),
        (
            {"line1": "P.O. Box 123", "city": "Montego Bay"},
            AddressEvidence(
                key="po box 123|montego bay|st james|jm",
                line1="P.O. Box 123",
                city="Montego Bay",
                parish="St. James",
            ),
        ),
        (
            {"line1": "p o box 123", "city": "mobay", "parish_raw": "St James"},
            AddressEvidence(
                key="po box 123|montego bay|st james|jm",
                line1="P O Box 123",
                city="Montego Bay",
                parish="St. James",
            ),
        ),
        (
            {
                "line1": "Lot 5, Bogue Heights",
                "line2": "Apt 4 B",
                "city": "Montego Bay, St. James",
                "country": "Jamaica",
            },
            AddressEvidence(
                key="lot 5 bogue heights|montego bay|st james|jm",
                line1="Lot 5, Bogue Heights",
                line2="Apt 4 B",
                city="Montego Bay",
                parish="St. James",
            ),
        ),
        (
            {"line1": "12 Main St, Savanna-la-Mar, Westmoreland, Jamaica"},
            AddressEvidence(
                key="12 main street|savanna la mar|westmoreland|jm",
                line1="12 Main St",
                city="Savanna-la-Mar",
                parish="Westmoreland",
            ),
        ),
        (
            {"line1": "3 Manor Park Plaza", "city": "Kingston 10, Hope Pastures"},
            AddressEvidence(
                key="3 manor park plaza|kingston 10|st andrew|jm",
                line1="3 Manor Park Plaza",
                line2="Hope Pastures",
                city="Kingston",
                parish="St. Andrew",
                postal_zone="Kingston 10",
            ),
        ),
        (
            {"line1": "1 Main Rd", "city": "Bull Bay", "parish_raw": "St. Andrew"},
            AddressEvidence(
                key="1 main road|bull bay|st andrew|jm",
                line1="1 Main Rd",
                city="Bull Bay",
                parish="St. Andrew",
            ),
        ),
        (
            {"line1": "1 Main Rd", "city": "Somewhere", "parish_raw": "junk"},
            AddressEvidence(key="1 main road|somewhere||jm", line1="1 Main Rd", city="Somewhere"),
        ),
        (
            {"city": "Mandeville"},
            AddressEvidence(
                key="|mandeville|manchester|jm", city="Mandeville", parish="Manchester"
            ),
        ),
        (
            {"parish_raw": "St. Ann"},
            AddressEvidence(key="||st ann|jm", parish="St. Ann"),
        ),
        (
            {
                "line1": "5 Main St",
                "city": "Miami",
                "parish_raw": "FL",
                "postal": "33101",
                "country": "USA",
            },
            AddressEvidence(
                key="5 main street|miami|fl|us",
                line1="5 Main St",
                city="Miami",
                postal_zone="33101",
                country="US",
            ),
        ),
        (
            {"line1": "10 Downing St", "city": "London", "country": "United Kingdom"},
            AddressEvidence(
                key="10 downing street|london||gb",
                line1="10 Downing St",
                city="London",
                country="GB",
            ),
        ),
        (
            {"line1": "1 Rue X", "city": "Paris", "country": "fr"},
            AddressEvidence(key="1 rue x|paris||fr", line1="1 Rue X", city="Paris", country="FR"),
        ),
    ],
)
def test_address(kwargs: dict[str, str], expected: AddressEvidence) -> None:
    assert n.address(**kwargs) == expected


@pytest.mark.parametrize(
    ("city", "country"),
    [("Kingston", "Canada"), ("Portland", "US"), ("Manchester", "UK"), ("Kingston 10", "CA")],
)
def test_foreign_address_gets_no_jamaican_parish(city: str, country: str) -> None:
    result = n.address("1 Main St", city=city, country=country)
    assert result is not None
    assert (result.city, result.parish, result.postal_zone) == (city, None, None)
    assert result.country != "JM"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("12 Hope Rd", "12 Hope Road"),
        ("12 Lady Musgrave Ave", "12 lady musgrave avenue"),
        ("4 Beverly Dr", "4 Beverly Drive"),
        ("4 Paddington Terr", "4 Paddington Terrace"),
        ("4 Acadia Cres", "4 Acadia Crescent"),
        ("4 Oaklands Ln", "4 Oaklands Lane"),
        ("4 Red Hills Blvd", "4 Red Hills Boulevard"),
        ("4 King St", "4 King Street"),
        ("4 St. Lucia Ave", "4 Saint Lucia Avenue"),
        ("P.O. Box 12", "PO Box 12"),
        ("P O Box 12", "Post Office Box 12"),
        ("12A Hope Rd", "12 A Hope Road"),
        ("#12 Hope Rd", "12 Hope Rd"),
    ],
)
def test_address_key_normalises_street_words(a: str, b: str) -> None:
    ka = n.address(a, city="Kingston 6")
    kb = n.address(b, city="Kingston 6")
    assert ka is not None and kb is not None
    assert ka.key == kb.key


@pytest.mark.parametrize(
    ("line1", "expected"),
    [
        ("12A 1ST AVENUE (REAR)", "12A 1st Avenue (Rear)"),
        ("LOT 5 ,  BOGUE HEIGHTS,", "Lot 5, Bogue Heights"),
        ("SHOP 3 OF THE MALL", "Shop 3 of the Mall"),
        ("p.o. box 55", "P.O. Box 55"),
        ("12 McGregor Street", "12 McGregor Street"),  # mixed case kept as given
    ],
)
def test_address_line_display(line1: str, expected: str) -> None:
    result = n.address(line1, city="Mandeville")
    assert result is not None
    assert result.line1 == expected


def test_address_key_keeps_different_addresses_apart() -> None:
    keys = {
        a.key
        for a in (
            n.address("12 Hope Rd", city="Kingston 6"),
            n.address("14 Hope Rd", city="Kingston 6"),
            n.address("12 Hope Rd", city="Kingston 10"),
            n.address("12 Hope Rd", city="Mandeville"),
        )
        if a is not None
    }
    assert len(keys) == 4


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"line2": "Apt 4"}, {"country": "Jamaica"}, {"line1": " ", "city": "N/A"}],
)
def test_address_without_a_place_is_none(kwargs: dict[str, str]) -> None:
    assert n.address(**kwargs) is None


@pytest.mark.parametrize(
    ("kwargs", "bad", "problem"),
    [
        ({"city": "Kingston 25"}, "Kingston 25", "zone 25 does not exist"),
        ({"line1": "1 Main St, Kgn 0"}, "1 Main St, Kgn 0", "zone 0 does not exist"),
        ({"line1": "bob@example.com"}, "bob@example.com", "contains '@'"),
        ({"line1": "x" * 301}, "x" * 301, "longer than 300"),
    ],
)
def test_address_rejects(kwargs: dict[str, str], bad: str, problem: str) -> None:
    with raises_naming(bad, problem):
        n.address(**kwargs)


# --------------------------------------------------------------------------------------
# Websites and handles
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Example.com/path?x", "example.com"),
        ("http://example.com", "example.com"),
        ("example.com.jm", "example.com.jm"),
        ("WWW.SHOP.COM.JM:8080/", "shop.com.jm"),
        ("www2.example.org/", "example.org"),
        ("//example.org", "example.org"),
        ("https://user:pw@example.com/", "example.com"),
        ("shop.example.com", "shop.example.com"),
        ("bob.wixsite.com/shop", "bob.wixsite.com"),
        ("example.com.", "example.com"),
        # shared hosts say nothing about whose site it is
        ("https://www.facebook.com/bobshop", None),
        ("m.facebook.com/bobshop", None),
        ("instagram.com/bob", None),
        ("gmail.com", None),
    ],
)
def test_website_domain(raw: str, expected: str | None) -> None:
    assert n.website_domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("example", "no dot"),
        ("exa mple.com", "spaces"),
        ("bob@example.com", "looks like an email"),
        ("http://[::1", "not a URL"),
        ("192.168.0.1", "not a valid domain"),
        ("exam_ple.com", "not a valid domain"),
        ("https:///path", "no host name"),
    ],
)
def test_website_domain_rejects(raw: str, problem: str) -> None:
    with raises_naming(raw, problem):
        n.website_domain(raw)


@pytest.mark.parametrize(
    ("platform", "raw", "expected"),
    [
        ("instagram", "@Bob_Jamaica", "bob_jamaica"),
        ("instagram", "bob_jamaica", "bob_jamaica"),
        ("Instagram", "instagram.com/bob_jamaica/", "bob_jamaica"),
        ("instagram", "https://www.instagram.com/bob_jamaica?hl=en", "bob_jamaica"),
        ("instagram", "http://instagram.com/Bob.Jamaica/#", "bob.jamaica"),
        ("tiktok", "https://www.tiktok.com/@bob.ja", "bob.ja"),
        ("twitter", "x.com/BobJ", "bobj"),
        ("twitter", "https://twitter.com/BobJ/status/123", "bobj"),
        ("facebook", "https://facebook.com/profile.php?id=100012345", "100012345"),
        ("facebook", "facebook.com/BobShop", "bobshop"),
        ("linkedin", "https://www.linkedin.com/in/bob-brown-123/", "bob-brown-123"),
        ("linkedin", "linkedin.com/company/acme-ja", "acme-ja"),
        ("youtube", "https://www.youtube.com/@Bob-Cooks", "bob-cooks"),
        ("whatsapp", "https://wa.me/18765551234", "+18765551234"),
        ("WhatsApp", "876-555-1234", "+18765551234"),
    ],
)
def test_handle(platform: str, raw: str, expected: str) -> None:
    assert n.handle(platform, raw) == expected


@pytest.mark.parametrize(
    ("platform", "raw", "problem"),
    [
        ("instagram", "bob brown", "contains spaces"),
        ("instagram", "bob-brown", "characters other than"),
        ("instagram", "bob!", "characters other than"),
        ("instagram", "@", "empty handle"),
        ("instagram", "https://instagram.com/", "no handle"),
        ("whatsapp", "call me", "not a phone number"),
    ],
)
def test_handle_rejects(platform: str, raw: str, problem: str) -> None:
    with raises_naming(raw, problem):
        n.handle(platform, raw)


# --------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024-3-5", "2024-03-05"),
        ("2024/03/05", "2024-03-05"),
        ("20240305", "2024-03-05"),
        ("05/03/2024", "2024-03-05"),  # day first
        ("5/3/2024", "2024-03-05"),
        ("05-03-2024", "2024-03-05"),
        ("05.03.2024", "2024-03-05"),
        ("31/12/1999", "1999-12-31"),
        ("29/02/2024", "2024-02-29"),
        ("5 Mar 2024", "2024-03-05"),
        ("05 March 2024", "2024-03-05"),
        ("5-Mar-2024", "2024-03-05"),
        ("5th March 2024", "2024-03-05"),
        ("March 5, 2024", "2024-03-05"),
        ("Mar 5 2024", "2024-03-05"),
        ("Sept 5, 2024", "2024-09-05"),
        ("Tue 5 Mar 2024", "2024-03-05"),
        ("2024-03-05T10:11:12Z", "2024-03-05"),
        ("2024-03-05T10:11:12.123456+00:00", "2024-03-05"),
        ("2024-03-05 10:11:12", "2024-03-05"),
        ("05/03/2024 10:30 AM", "2024-03-05"),
        ("1900-01-01", "1900-01-01"),
        ("2100-12-31", "2100-12-31"),
    ],
)
def test_iso_date(raw: str, expected: str) -> None:
    assert n.iso_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("garbage", "not a recognised date"),
        ("2024-13-01", "impossible date"),
        ("13/13/2024", "impossible date"),
        ("31/02/2024", "impossible date"),
        ("29/02/2023", "impossible date"),
        ("12/25/2024", "day-first"),  # US month-first is not guessed
        ("1899-12-31", "year 1899 is outside 1900..2100"),
        ("01/01/2101", "year 2101 is outside"),
        ("05/03/24", "not a recognised date"),  # two-digit years are not guessed
        ("Smarch 5, 2024", "not a recognised date"),
    ],
)
def test_iso_date_rejects(raw: str, problem: str) -> None:
    with raises_naming(raw, problem):
        n.iso_date(raw)


# --------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("J$1,234.50", 1234.5),
        ("JMD 1,234.50", 1234.5),
        ("JMD$ 5", 5.0),
        ("$1,234", 1234.0),
        ("1234.5", 1234.5),
        ("1,234,567.89", 1234567.89),
        (".5", 0.5),
        ("0", 0.0),
        ("1,234.50 JMD", 1234.5),
        (" J$ 1,234.50 ", 1234.5),
        ("(500.00)", -500.0),
        ("(J$ 1,000)", -1000.0),
        ("-J$500", -500.0),
        ("J$-500", -500.0),
        ("-1,234.50", -1234.5),
        ("+12", 12.0),
        (1234, 1234.0),
        (12.75, 12.75),
        (-3, -3.0),
    ],
)
def test_money(raw: str | float | int, expected: float) -> None:
    result = n.money(raw)
    assert isinstance(result, float)
    assert result == expected


def test_money_nan_is_missing() -> None:
    assert n.money(math.nan) is None


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("abc", "not an amount"),
        ("$", "not an amount"),
        ("12 34", "not an amount"),
        ("1,23,4", "not an amount"),
        ("1.234,50", "not an amount"),
        ("12.3.4", "not an amount"),
        ("US$100", "foreign currency"),
        ("USD 100", "foreign currency"),
        ("£100", "foreign currency"),
        (True, "boolean"),
        (math.inf, "infinite"),
    ],
)
def test_money_rejects(raw: str | float | bool, problem: str) -> None:
    with raises_naming(raw, problem):  # type: ignore[arg-type]
        n.money(raw)


# --------------------------------------------------------------------------------------
# Purity and caching
# --------------------------------------------------------------------------------------


def test_cached_results_are_immutable_and_stable() -> None:
    first = n.person_name("ROBERT BROWN")
    again = n.person_name("ROBERT BROWN")
    assert first == again
    with pytest.raises(AttributeError):
        first.full = "x"  # type: ignore[misc, union-attr]
    address = n.address("12 Hope Rd", city="Kgn 6")
    assert address is not None
    with pytest.raises(ValueError):
        address.city = "x"  # type: ignore[misc]
    assert n.address("12 Hope Rd", city="Kgn 6") == address


def test_errors_are_raised_every_time() -> None:
    # errors are cached as messages, never as a returned value
    for _ in range(3):
        with raises_naming("abc", "not a phone number"):
            n.phone_e164("abc")
        with raises_naming("a@b", "bad domain"):
            n.email("a@b")

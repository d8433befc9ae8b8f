"""Normalisation of identifiers and names, with well-kept libraries where one exists.

Every function is pure, fast (hot path of ingest: cache what is expensive), and returns
None / empty for input that carries no usable value rather than raising; a value that is
present but malformed raises `InvalidValue` with a message that names what is wrong.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat
from rapidfuzz import fuzz, process
from unidecode import unidecode

from ingest.model import AddressEvidence

DEFAULT_REGION = "JM"

# The 14 parishes of Jamaica, canonical spelling.
PARISHES: tuple[str, ...] = (
    "Kingston",
    "St. Andrew",
    "St. Thomas",
    "Portland",
    "St. Mary",
    "St. Ann",
    "Trelawny",
    "St. James",
    "Hanover",
    "Westmoreland",
    "St. Elizabeth",
    "Manchester",
    "Clarendon",
    "St. Catherine",
)


class InvalidValue(ValueError):
    """A present but malformed value; the message names the value and the problem."""


@dataclass(frozen=True, slots=True)
class PersonName:
    full: str  # display form, "Robert Brown"
    given: str | None
    family: str | None
    title: str | None  # "Dr.", "Mr.", ...
    folded: str  # accent-folded, lower-case, "robert brown", for matching


@dataclass(frozen=True, slots=True)
class CompanyName:
    display: str  # "Blue Mountain Coffee Co. Ltd" as given, tidied
    key: str  # folded, legal suffixes and punctuation removed: "blue mountain coffee"


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------

# Whole-field values that exports use for "nothing here"; treated like a blank field.
# (Bare "na" is deliberately absent: it is also a real surname.)
# fmt: off
_PLACEHOLDERS: frozenset[str] = frozenset(
    {"n/a", "n.a.", "n/a.", "none", "null", "nil", "nan", "-", "--", "---", "?", "unknown",
     "tbd", "not provided", "not available", "#n/a"}
)
# fmt: on

_WS = re.compile(r"\s+")


def _clean(raw: str | None) -> str | None:
    """Whitespace-collapsed text, or None for absent, blank and placeholder values."""
    if raw is None:
        return None
    text = " ".join(raw.split())
    if not text or (len(text) <= 15 and text.lower() in _PLACEHOLDERS):
        return None
    return text


def _fail(value: object, problem: str) -> InvalidValue:
    return InvalidValue(f"{value!r}: {problem}")


# --------------------------------------------------------------------------------------
# fold
# --------------------------------------------------------------------------------------

_FOLD_APOSTROPHE = re.compile(r"['`\u2018\u2019\u02bc]")
# A dot that ends a one-letter abbreviation ("p.o.", "j.r.") disappears so the letters
# join ("po", "jr"); any other dot ("st.andrew", "co.") separates like a space.
_FOLD_INITIAL_DOT = re.compile(r"(?<=\b[a-z])\.(?=[a-z]\b|[^a-z0-9]|$)")
_FOLD_OTHER = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Matching form: ASCII (unidecode), lower-case, apostrophes dropped, other
    punctuation (hyphens included) turned into single spaces. "O'Connor" -> "oconnor",
    "Mary-Jane" -> "mary jane", "José" -> "jose"."""
    if not text.isascii():
        text = unidecode(text)
    text = _FOLD_APOSTROPHE.sub("", text.lower())
    text = _FOLD_INITIAL_DOT.sub("", text)
    return _FOLD_OTHER.sub(" ", text).strip()


# --------------------------------------------------------------------------------------
# Phones
# --------------------------------------------------------------------------------------

_JM_AREA_CODE = "876"  # 7-digit local numbers in old Jamaican exports are 876 numbers
_SPREADSHEET_FLOAT = re.compile(r"^\+?\d{7,15}\.0$")  # 8765551234.0 from a spreadsheet
_HAS_DIGIT = re.compile(r"\d")
_PHONE_NA = re.compile(r"\bn/a\b", re.IGNORECASE)  # "N/A" in a list; "/" splits numbers
_PHONE_SPLIT = re.compile(r"\s*(?:[/;,|\n]|\bor\b|\band\b|&)\s*", re.IGNORECASE)

_REASONS = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.ValidationResult.TOO_SHORT: "too short to be a phone number",
    phonenumbers.ValidationResult.TOO_LONG: "too long to be a phone number",
    phonenumbers.ValidationResult.INVALID_LENGTH: "wrong length for a phone number",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "a local number without area code",
}


@lru_cache(maxsize=1 << 17)
def _phone_cached(text: str, region: str) -> tuple[str, bool]:
    """(E.164, True) or (problem, False): errors are cached as well as results."""
    if not _HAS_DIGIT.search(text):
        return "not a phone number (no digits)", False
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return "not a phone number", False
    reason = phonenumbers.is_possible_number_with_reason(number)
    if (
        reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY
        and region == "JM"
        and number.country_code == 1
        and len(str(number.national_number)) == 7
    ):
        number = PhoneNumber(
            country_code=1, national_number=int(_JM_AREA_CODE + str(number.national_number))
        )
        reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return _REASONS.get(reason, "not a possible phone number"), False
    if number.country_code == 1:
        # NANP: area code and exchange never start with 0 or 1. The library's
        # possibility check is length-only, so reject these here; 555 exchanges pass.
        national = str(number.national_number)
        if national[0] in "01" or national[3] in "01":
            return "impossible North American number (area code or exchange starts 0/1)", False
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), True


_JM_AREA_CODES: frozenset[str] = frozenset({"876", "658"})
_PHONE_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*\d{1,6}\s*$", re.IGNORECASE)
_PHONE_PLAIN = re.compile(r"^\+?[\d\s().\-]+$")
_NON_DIGITS = re.compile(r"\D+")


def _phone_lookup(text: str, region: str) -> tuple[str, bool]:
    """(E.164, True) or (problem, False) for one stripped, non-blank number.

    Plainly written Jamaican numbers (the common case) are converted here without the
    library; they come formatted in many ways, so a cache on the raw text would miss.
    Other plainly written numbers are looked up by their digits, so "+1 (305) 555-0123"
    and "+1-305-555-0123" share one cached library parse. The result is the library's.
    """
    if _SPREADSHEET_FLOAT.match(text):
        text = text[:-2]
    body = _PHONE_EXTENSION.sub("", text)
    if not _PHONE_PLAIN.match(body):
        return _phone_cached(text, region)
    digits = _NON_DIGITS.sub("", body)
    plus = body.startswith("+")
    if region == "JM":
        if plus:
            national = digits[1:] if len(digits) == 11 and digits[0] == "1" else ""
        elif len(digits) in (10, 7):
            national = digits if len(digits) == 10 else _JM_AREA_CODE + digits
        elif len(digits) == 11 and digits[0] == "1":
            national = digits[1:]
        else:
            national = ""
        if len(national) == 10 and national[:3] in _JM_AREA_CODES and national[3] not in "01":
            return "+1" + national, True
    return _phone_cached(("+" if plus else "") + digits, region)


def phone_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form ("+18765551234"); extensions are dropped, Jamaican 7-digit local
    numbers get area code 876. Possible (not strictly valid) numbers are accepted."""
    text = _clean(raw)
    if text is None:
        return None
    value, ok = _phone_lookup(text, region)
    if not ok:
        raise _fail(raw, value)
    return value


def phones(raw: str | None, region: str = DEFAULT_REGION) -> list[str]:
    """All numbers in a field holding several ("876-555-1234 / 876-555-9876"),
    de-duplicated, in order of appearance."""
    text = _clean(raw)
    if text is None:
        return []
    out: list[str] = []
    for part in _PHONE_SPLIT.split(_PHONE_NA.sub("", text)):
        if _clean(part) is None:
            continue
        part = part.strip()
        value, ok = _phone_lookup(part, region)
        if not ok:
            raise _fail(part, f"{value} (in phone field {raw!r})")
        if value not in out:
            out.append(value)
    return out


# --------------------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------------------

_EMAIL_ANGLE = re.compile(r"<([^<>]*)>")
_EMAIL_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
_EMAIL_JUNK = " \t\"'<>()[]{},;:."
_EMAIL_LOCAL = re.compile(r"^[^\s@<>()\[\],;:\"\\]+$")
_EMAIL_DOMAIN = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)
_EMAIL_DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
# Providers that deliver "user+tag@" to "user@" (sub-addressing). Yahoo's "-" disposable
# addresses are separate identities, so Yahoo is not here.
# fmt: off
_PLUS_TAG_DOMAINS: frozenset[str] = frozenset(
    {"gmail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "icloud.com", "me.com",
     "mac.com", "protonmail.com", "protonmail.ch", "proton.me", "pm.me"}
)
# fmt: on


@lru_cache(maxsize=1 << 16)
def _email_cached(text: str) -> tuple[str, bool]:
    found = _EMAIL_ANGLE.search(text)
    if found:
        text = found.group(1)
    text = text.strip(_EMAIL_JUNK)
    text = _EMAIL_MAILTO.sub("", text).strip(_EMAIL_JUNK).lower()
    if not text:
        return "no address", False
    if text.count("@") != 1:
        return "email must contain exactly one '@'", False
    if any(c.isspace() for c in text):
        return "email contains spaces", False
    local, domain = text.split("@")
    if not local or not _EMAIL_LOCAL.match(local) or ".." in local:
        return "bad local part in email", False
    if not _EMAIL_DOMAIN.match(domain):
        return "bad domain in email", False
    domain = _EMAIL_DOMAIN_ALIASES.get(domain, domain)
    if domain in _PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
        if domain == "gmail.com":
            local = local.replace(".", "")
        if not local:
            return "empty mailbox once the +tag is removed", False
    return f"{local}@{domain}", True


def email(raw: str | None) -> str | None:
    """Canonical matching form: lower-case; for Gmail dots and "+tag" removed and
    googlemail.com -> gmail.com; "+tag" removed for other providers that ignore it."""
    text = _clean(raw)
    if text is None:
        return None
    value, ok = _email_cached(text)
    if not ok:
        raise _fail(raw, value)
    return value


# --------------------------------------------------------------------------------------
# Word casing shared by names, companies and addresses
# --------------------------------------------------------------------------------------

_MAC_EXCEPTIONS: frozenset[str] = frozenset(
    {"machado", "macklin", "mackintosh", "macaulay", "mackenzie", "mackinnon"}
)
_ORDINAL_WORD = re.compile(r"^\d+(?:st|nd|rd|th)\W*$", re.IGNORECASE)
_INITIALISM = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]?\.?$")  # "J.", "P.O."


def _cap_piece(piece: str, surname_rules: bool) -> str:
    """Capitalise one hyphen-free piece ("o'brien" -> "O'Brien", "joe's" -> "Joe's")."""
    if not piece:
        return piece
    if "'" in piece:
        head, _, tail = piece.partition("'")
        if len(head) == 1 and len(tail) > 1:  # O'Brien, D'Angelo
            return head.upper() + "'" + _cap_piece(tail, surname_rules)
        return head.capitalize() + "'" + tail.lower()
    low = piece.lower()
    if surname_rules:
        if low.startswith("mc") and len(low) > 3:
            return "Mc" + low[2:].capitalize()
        if low.startswith("mac") and len(low) > 6 and low not in _MAC_EXCEPTIONS:
            return "Mac" + low[3:].capitalize()
    return low.capitalize()


def _cap_word(word: str, surname_rules: bool = False) -> str:
    if _INITIALISM.match(word):
        return word.upper()
    if word[:1].isdigit():  # "12A", "1st"
        return word.lower() if _ORDINAL_WORD.match(word) else word.upper()
    if not word[:1].isalpha():  # "(rear)", '"bob'
        core = word.lstrip("\"'([{")
        lead = word[: len(word) - len(core)]
        return lead + _cap_word(core, surname_rules) if core else word
    return "-".join(_cap_piece(p, surname_rules) for p in word.split("-"))


def _single_case(text: str) -> bool:
    """True when the text's letters are all upper-case or all lower-case."""
    return text.isupper() or text.islower()


def _tidy_title_case(text: str, small: frozenset[str], keep_upper: frozenset[str]) -> str:
    """Collapse whitespace; title-case text that arrived ALL CAPS or all lower."""
    text = text.replace("\u2019", "'")
    if not _single_case(text):
        return text
    words = text.split(" ")
    out: list[str] = []
    for i, word in enumerate(words):
        low = word.lower()
        bare = low.strip("().,")
        if bare in keep_upper:
            out.append(word.upper())
        elif i > 0 and low in small:
            out.append(low)
        else:
            out.append(_cap_word(word))
    return " ".join(out)


# --------------------------------------------------------------------------------------
# Person names
# --------------------------------------------------------------------------------------

_MAX_NAME = 200
# fmt: off
_TITLES: dict[str, str] = {
    "mr": "Mr.", "mister": "Mr.", "mrs": "Mrs.", "ms": "Ms.", "miss": "Miss", "mx": "Mx.",
    "dr": "Dr.", "doctor": "Dr.", "prof": "Prof.", "professor": "Prof.",
    "rev": "Rev.", "revd": "Rev.", "reverend": "Rev.",
    "hon": "Hon.", "honourable": "Hon.", "honorable": "Hon.", "sir": "Sir",
}
_SUFFIXES: dict[str, str] = {
    "jr": "Jr.", "jnr": "Jr.", "sr": "Sr.", "snr": "Sr.", "ii": "II", "iii": "III", "iv": "IV",
}
# Post-nominal letters accepted (and dropped) after a comma: "Robert Brown, JP".
_POST_NOMINALS: frozenset[str] = frozenset(
    {"phd", "md", "esq", "jp", "cd", "od", "oj", "on", "obe", "mbe", "cbe", "msc", "bsc", "mba",
     "cpa", "rn", "dds"}
)
# Lower-case particles that stay with the family name: "Ludwig van der Berg".
_PARTICLES: frozenset[str] = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "dos",
     "das", "ten", "ter"}
)
# fmt: on
_BAD_NAME_CHARS = re.compile(r"[\d@]")


def _name_key(token: str) -> str:
    return token.lower().strip(".")


def _check_name(value: str, raw: str | None) -> None:
    if len(value) > _MAX_NAME:
        raise _fail(raw, f"name longer than {_MAX_NAME} characters")
    if _BAD_NAME_CHARS.search(value):
        raise _fail(raw, "name contains digits or '@' (a phone or email in the name column?)")
    if not any(c.isalpha() for c in value):
        raise _fail(raw, "name has no letters")


def _only_titles(text: str) -> bool:
    return all(_name_key(t) in _TITLES for t in _tokens(text))


def _take_titles(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Leading titles (as long as a name token remains after them), and the rest."""
    titles: list[str] = []
    i = 0
    while i < len(tokens) - 1:
        key = _name_key(tokens[i])
        if key == "the" and _name_key(tokens[i + 1]) in _TITLES and i + 2 < len(tokens):
            i += 1
            continue
        if key not in _TITLES:
            break
        titles.append(_TITLES[key])
        i += 1
    return titles, tokens[i:]


def _take_suffixes(tokens: list[str]) -> tuple[list[str], list[str]]:
    """The rest, and trailing generational suffixes (keeping at least one token)."""
    end = len(tokens)
    while end > 1 and _name_key(tokens[end - 1]) in _SUFFIXES:
        end -= 1
    return tokens[:end], [_SUFFIXES[_name_key(t)] for t in tokens[end:]]


def _case_name_tokens(tokens: list[str], first_overall: bool) -> list[str]:
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if not _single_case(tok):
            out.append(tok)  # already mixed case: the source knows best ("McDonald")
        elif (i > 0 or not first_overall) and tok.lower() in _PARTICLES:
            out.append(tok.lower())
        else:
            out.append(_cap_word(tok, surname_rules=True))
    return out


def _split_family(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Given tokens and family tokens: the last token plus lower-case-able particles."""
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1].lower() in _PARTICLES:
        start -= 1
    return tokens[:start], tokens[start:]


def _tokens(text: str) -> list[str]:
    text = text.replace(",", " ").replace("\u2019", "'").replace("`", "'")
    return [t for t in text.split(" ") if t]


@lru_cache(maxsize=1 << 16)
def _person_cached(full: str | None, given: str | None, family: str | None) -> PersonName | None:
    titles: list[str] = []
    suffixes: list[str] = []
    if given is not None or family is not None:
        g = _tokens(given or "")
        f = _tokens(family or "")
        if given is not None and _only_titles(given):  # given="Mr", family="Brown"
            titles, g = [_TITLES[_name_key(t)] for t in g], []
        elif g:
            titles, g = _take_titles(g)
        if not titles and full is not None:
            titles, _ = _take_titles(_tokens(full))
        if g:
            g, suffixes = _take_suffixes(g)
        if f:
            f, more = _take_suffixes(f)
            suffixes += more
        given_toks, family_toks = g, f
    elif full is not None:
        parts = [p.strip() for p in full.split(",")]
        parts = [p for p in parts if p]
        # Trailing comma parts made only of suffixes / post-nominals: "Brown, Robert, Jr."
        while len(parts) > 1:
            words = [_name_key(t) for t in parts[-1].split(" ")]
            if not all(w in _SUFFIXES or w in _POST_NOMINALS for w in words):
                break
            suffixes = [_SUFFIXES[w] for w in words if w in _SUFFIXES] + suffixes
            parts.pop()
        if len(parts) >= 2:  # "Brown, Robert": family first
            family_part, given_part = parts[0], " ".join(parts[1:])
            titles, given_toks = _take_titles(_tokens(given_part))
            given_toks, more = _take_suffixes(given_toks)
            f_titles, family_toks = _take_titles(_tokens(family_part))
            titles = titles or f_titles
            family_toks, more2 = _take_suffixes(family_toks)
            suffixes = more2 + more + suffixes
        else:
            titles, toks = _take_titles(_tokens(parts[0]))
            toks, more = _take_suffixes(toks)
            suffixes = more + suffixes
            if len(toks) == 1:
                # One word: with a title it is a surname ("Mrs. Brown"), else a given name.
                given_toks, family_toks = ([], toks) if titles else (toks, [])
            else:
                given_toks, family_toks = _split_family(toks)
    else:
        return None
    # A title alone ("Dr."), or a title and a suffix, carries no name.
    if not given_toks and not family_toks:
        return None
    given_out = " ".join(_case_name_tokens(given_toks, True)) or None
    family_words = _case_name_tokens(family_toks, not given_toks) + suffixes
    family_out = " ".join(family_words) or None
    display = " ".join(p for p in (given_out, family_out) if p)
    return PersonName(
        full=display,
        given=given_out,
        family=family_out,
        title=" ".join(titles) or None,
        folded=fold(display),
    )


def person_name(
    full: str | None = None, given: str | None = None, family: str | None = None
) -> PersonName | None:
    """A tidy person name. Given/family are used when provided, else `full` is split
    ("Brown, Robert" is family-first). Titles move to `title`, suffixes stay at the end
    of `family`, ALL CAPS / all lower input is re-cased, mixed case is kept."""
    f, g, fam = _clean(full), _clean(given), _clean(family)
    if g is not None or fam is not None:
        for value, raw in ((g, given), (fam, family)):
            if value is not None:
                _check_name(value, raw)
        return _person_cached(f, g, fam)
    if f is None or (len(f) <= 32 and _only_titles(f)):  # "Dr." alone names nobody
        return None
    _check_name(f, full)
    return _person_cached(f, None, None)


# --------------------------------------------------------------------------------------
# Company names
# --------------------------------------------------------------------------------------

_MAX_COMPANY = 300
# fmt: off
_COMPANY_SMALL: frozenset[str] = frozenset(
    {"of", "and", "the", "for", "in", "on", "at", "a", "an", "to", "by", "&"}
)
# fmt: on
_COMPANY_UPPER: frozenset[str] = frozenset({"llc", "plc", "ja", "usa", "uk", "llp", "lp", "jm"})
# fmt: off
_LEGAL_SUFFIXES: frozenset[str] = frozenset(
    {"ltd", "limited", "co", "company", "inc", "incorporated", "llc", "plc", "corp",
     "corporation", "ja", "llp", "lp"}
)
# fmt: on
_AMPERSAND = re.compile(r"\s*&\s*")


@lru_cache(maxsize=1 << 15)
def _company_cached(text: str) -> CompanyName:
    display = _tidy_title_case(text, _COMPANY_SMALL, _COMPANY_UPPER)
    tokens = fold(_AMPERSAND.sub(" and ", text)).split(" ")
    if len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    kept = list(tokens)
    while kept and kept[-1] in _LEGAL_SUFFIXES:
        removed = kept.pop()
        if removed in ("co", "company") and kept and kept[-1] == "and":
            kept.pop()  # "& Co."
    key = " ".join(kept or tokens)
    return CompanyName(display=display, key=key)


def company_name(raw: str | None) -> CompanyName | None:
    """Tidy display name and matching key: "The Blue Mountain Coffee Co. Ltd." ->
    key "blue mountain coffee" (legal suffixes, leading "the", punctuation removed)."""
    text = _clean(raw)
    if text is None:
        return None
    if len(text) > _MAX_COMPANY:
        raise _fail(raw, f"company name longer than {_MAX_COMPANY} characters")
    if not any(c.isalnum() for c in text):
        raise _fail(raw, "company name has no letters or digits")
    return _company_cached(text)


# --------------------------------------------------------------------------------------
# Parishes and places
# --------------------------------------------------------------------------------------

# Kingston postal zones: which parish each lies in (roughly; zones straddle boundaries).
KINGSTON_ZONE_PARISH: dict[int, str] = {
    **{n: "Kingston" for n in (1, 2, 3, 4, 12, 13, 14, 15, 16, 17, 18)},
    **{n: "St. Andrew" for n in (5, 6, 7, 8, 9, 10, 11, 19, 20)},
}

# Major towns and districts -> parish. Keys are in `_place_key` form.
# fmt: off
TOWN_PARISH: dict[str, str] = {
    "montego bay": "St. James", "mobay": "St. James", "mo bay": "St. James",
    "mandeville": "Manchester", "christiana": "Manchester",
    "may pen": "Clarendon", "chapelton": "Clarendon", "frankfield": "Clarendon",
    "spanish town": "St. Catherine", "portmore": "St. Catherine",
    "old harbour": "St. Catherine", "linstead": "St. Catherine", "bog walk": "St. Catherine",
    "ocho rios": "St. Ann", "st anns bay": "St. Ann", "browns town": "St. Ann",
    "runaway bay": "St. Ann", "discovery bay": "St. Ann",
    "negril": "Westmoreland", "savanna la mar": "Westmoreland", "sav la mar": "Westmoreland",
    "savlamar": "Westmoreland",
    "port antonio": "Portland", "buff bay": "Portland",
    "morant bay": "St. Thomas", "yallahs": "St. Thomas",
    "falmouth": "Trelawny", "duncans": "Trelawny",
    "lucea": "Hanover",
    "black river": "St. Elizabeth", "santa cruz": "St. Elizabeth", "junction": "St. Elizabeth",
    "port maria": "St. Mary", "annotto bay": "St. Mary", "oracabessa": "St. Mary",
    "highgate": "St. Mary",
    "half way tree": "St. Andrew", "halfway tree": "St. Andrew", "hwt": "St. Andrew",
    "new kingston": "St. Andrew", "constant spring": "St. Andrew", "liguanea": "St. Andrew",
    "papine": "St. Andrew", "stony hill": "St. Andrew", "red hills": "St. Andrew",
    "downtown kingston": "Kingston",
}

# Display form of town spellings that differ from the canonical name.
_TOWN_DISPLAY: dict[str, str] = {
    "mobay": "Montego Bay", "mo bay": "Montego Bay",
    "savanna la mar": "Savanna-la-Mar", "sav la mar": "Savanna-la-Mar",
    "savlamar": "Savanna-la-Mar", "st anns bay": "St. Ann's Bay", "browns town": "Brown's Town",
    "half way tree": "Half Way Tree", "halfway tree": "Half Way Tree", "hwt": "Half Way Tree",
    "kingston": "Kingston", "kgn": "Kingston", "kgs": "Kingston",
}

_PARISH_ALIASES: dict[str, str] = {
    **{p.lower().replace(".", ""): p for p in PARISHES},
    "kgn": "Kingston", "kgs": "Kingston",
    "standrew": "St. Andrew", "st andrews": "St. Andrew",
    "st marys": "St. Mary", "st anns": "St. Ann", "st anne": "St. Ann",
    "trelawney": "Trelawny", "westmorland": "Westmoreland",
    "st bess": "St. Elizabeth", "st catherines": "St. Catherine",
}
# fmt: on
_AMBIGUOUS_PLACES: frozenset[str] = frozenset(
    {"ksa", "kingston and st andrew", "kingston st andrew", "corporate area", "jamaica"}
)
_PLACE_LOOKUP: dict[str, str] = {**TOWN_PARISH, **_PARISH_ALIASES}
# Fuzzy matching (typos) only against parish spellings and long town names: short town
# names are too close to other places ("Bull Bay" is not "Buff Bay").
_FUZZY_CHOICES: tuple[str, ...] = tuple(
    k for k in _PLACE_LOOKUP if k in _PARISH_ALIASES or len(k) >= 9
)
_KINGSTON_KEYS: frozenset[str] = frozenset({"kingston", "kgn", "kgs"})
_FUZZY_CUTOFF = 85

_PLACE_SAINT = re.compile(r"\bsaint\b")
_PLACE_TRAILER = re.compile(r"(?:\s+(?:parish|jamaica|ja|jm|w i|wi|west indies))+$")
_PLACE_LEADER = re.compile(r"^(?:the\s+)?parish\s+of\s+")
_ZONE = re.compile(r"^(?:kingston|kgn|kgs|kng)\s*(?:no\s*)?(\d{1,3})$")


@lru_cache(maxsize=1 << 14)
def _place_key(text: str) -> str:
    """Lower-case, ASCII, punctuation-free form of a place name: "St.Andrew" ->
    "st andrew", "Savanna-la-Mar" -> "savanna la mar", "Saint Ann's Bay" -> "st anns bay"."""
    if not text.isascii():
        text = unidecode(text)
    text = _FOLD_APOSTROPHE.sub("", text.lower()).replace("&", " and ")
    text = _FOLD_OTHER.sub(" ", text).strip()
    text = _PLACE_SAINT.sub("st", text)
    text = _PLACE_LEADER.sub("", text)
    return _PLACE_TRAILER.sub("", text)


def _zone_number(key: str) -> int | None:
    found = _ZONE.match(key)
    return int(found.group(1)) if found else None


@lru_cache(maxsize=1 << 14)
def _parish_cached(text: str, fuzzy: bool) -> str | None:
    key = _place_key(text)
    if not key or key in _AMBIGUOUS_PLACES:
        return None
    zone = _zone_number(key)
    if zone is not None:
        return KINGSTON_ZONE_PARISH.get(zone)
    hit = _PLACE_LOOKUP.get(key)
    if hit is not None or not fuzzy or len(key) < 5:
        return hit
    best = process.extractOne(key, _FUZZY_CHOICES, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
    return _PLACE_LOOKUP[best[0]] if best else None


def parish(raw: str | None) -> str | None:
    """One of `PARISHES` from free text ("st. andrew", "Saint Andrew", "KGN", "Mobay",
    "Kingston 10", typos such as "St. Cathrine"); None when unknown, ambiguous ("KSA")
    or blank: a parish column is often junk, so this never raises."""
    text = _clean(raw)
    return None if text is None else _parish_cached(text, True)


# --------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------

_MAX_ADDRESS_LINE = 300
# fmt: off
_COUNTRIES: dict[str, str] = {
    "jamaica": "JM", "ja": "JM", "jm": "JM", "jam": "JM", "wi": "JM", "w i": "JM",
    "jamaica wi": "JM", "jamaica w i": "JM", "west indies": "JM",
    "usa": "US", "us": "US", "united states": "US", "united states of america": "US",
    "uk": "GB", "gb": "GB", "united kingdom": "GB", "great britain": "GB", "england": "GB",
    "canada": "CA",
}
# fmt: on
_ADDRESS_SMALL: frozenset[str] = frozenset({"of", "and", "the", "on", "at"})
_ADDRESS_UPPER: frozenset[str] = frozenset({"po", "p.o.", "hwt", "ja", "wi", "w.i."})
# fmt: off
_STREET_WORDS: dict[str, str] = {
    "rd": "road", "ave": "avenue", "av": "avenue", "avenue": "avenue",
    "dr": "drive", "drv": "drive", "dve": "drive", "blvd": "boulevard", "ln": "lane",
    "cres": "crescent", "cresc": "crescent", "ter": "terrace", "terr": "terrace",
    "cl": "close", "pl": "place", "hts": "heights", "gdns": "gardens", "gdn": "gardens",
    "pk": "park", "ct": "court", "mt": "mount", "hwy": "highway", "pkwy": "parkway",
    "sq": "square", "apartment": "apt", "ste": "suite", "bldg": "building",
    "mdws": "meadows", "dist": "district", "saint": "st",
}
# After "st", these say it is "Saint" (St. Lucia Avenue), not "Street".
_SAINT_NAMES: frozenset[str] = frozenset(
    {"andrew", "james", "ann", "anns", "mary", "marys", "thomas", "elizabeth", "catherine",
     "jago", "lucia", "john", "johns", "joseph", "josephs", "peter", "paul", "george",
     "michael", "luke", "mark", "matthew", "vincent", "kitts", "clair", "helen", "lawrence"}
)
# fmt: on
_PO_BOX = re.compile(r"\b(?:p\s*\.?\s*o\s*\.?|post\s+office)\s*box\b")
_NUMBER_SIGN = re.compile(r"(?:#|\bno\.?)\s*(?=\d)")


@lru_cache(maxsize=1 << 16)
def _street_key(line: str) -> str:
    """Matching form of a street line: folded, street-type abbreviations expanded."""
    text = line.lower()
    if not text.isascii():
        text = unidecode(text)
    text = _PO_BOX.sub(" pobox ", text)
    text = _NUMBER_SIGN.sub(" ", text)
    text = _FOLD_APOSTROPHE.sub("", text)
    tokens = _FOLD_OTHER.sub(" ", text).split()
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if tok == "st":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            saint = i == 0 or tokens[i - 1][:1].isdigit() or nxt in _SAINT_NAMES
            tok = "st" if saint else "street"
        else:
            tok = _STREET_WORDS.get(tok, tok)
        if tok == "pobox":
            tok = "po box"
        elif len(tok) == 1 and tok.isalpha() and out and out[-1].isdigit():
            out[-1] += tok  # "12 A" -> "12a"
            continue
        out.append(tok)
    return " ".join(out)


_COMMAS = re.compile(r"\s*,[\s,]*")


def _tidy_line(text: str) -> str:
    if "," in text:
        text = _COMMAS.sub(", ", text).strip(" ,")
    return _tidy_title_case(text, _ADDRESS_SMALL, _ADDRESS_UPPER)


def _country(text: str) -> str:
    return _COUNTRIES.get(_place_key(text)) or text.upper()


@dataclass(slots=True)
class _Place:
    """What the place-like parts of an address have told us so far."""

    city: str | None = None
    zone: int | None = None
    parish: str | None = None
    country: str | None = None


def _classify(part: str, place: _Place, raw: str | None) -> bool:
    """Absorb a comma part that names a zone, parish, town or country into `place`.
    Returns True when the part was a place (and so can leave an address line)."""
    key = _place_key(part)
    if not key:
        return True
    if key in _COUNTRIES:
        place.country = place.country or _COUNTRIES[key]
        return True
    zone = _zone_number(key)
    if zone is not None:
        if zone not in KINGSTON_ZONE_PARISH:
            raise _fail(raw, f"Kingston postal zone {zone} does not exist (1-20)")
        place.zone = place.zone or zone
        return True
    if key in _AMBIGUOUS_PLACES:
        return True
    hit = _PLACE_LOOKUP.get(key)
    if hit is None:
        return False
    if key in TOWN_PARISH or key in _KINGSTON_KEYS:
        # A town: its parish is inferred at the end, after any explicit parish or zone.
        town = _TOWN_DISPLAY.get(key) or _tidy_line(part)
        if place.city is None:
            place.city = town
            return True
        return _place_key(place.city) == _place_key(town)
    place.parish = place.parish or hit
    return True


def _peel(line: str | None, place: _Place, keep_first: bool) -> str | None:
    """Move trailing place parts ("..., Kgn 6, Jamaica") out of an address line."""
    if line is None:
        return None
    parts = [p for p in (p.strip() for p in line.split(",")) if p]
    floor = 1 if keep_first else 0
    while len(parts) > floor and _classify(parts[-1], place, line):
        parts.pop()
    return _tidy_line(", ".join(parts)) if parts else None


def _foreign_address(
    line1: str | None,
    line2: str | None,
    city: str | None,
    region: str | None,
    postal: str | None,
    country_code: str,
) -> AddressEvidence | None:
    """Outside Jamaica: tidy only. Parish stays None (the region only joins the key),
    since Jamaican town names recur abroad (Kingston ON, Portland OR, Manchester UK)."""
    if line1 is None and city is None and region is None and postal is None:
        return None
    line1_out = _tidy_line(line1) if line1 else None
    city_out = _tidy_line(city) if city else None
    key = "|".join(
        (
            _street_key(line1_out) if line1_out else "",
            fold(city_out) if city_out else "",
            fold(region) if region else "",
            country_code.lower(),
        )
    )
    return AddressEvidence(
        key=key,
        line1=line1_out,
        line2=_tidy_line(line2) if line2 else None,
        city=city_out,
        parish=None,
        postal_zone=postal.upper() if postal else None,
        country=country_code,
    )


@lru_cache(maxsize=1 << 16)
def _address_cached(
    line1: str | None,
    line2: str | None,
    city: str | None,
    parish_raw: str | None,
    postal: str | None,
    country: str | None,
) -> AddressEvidence | None:
    country_code = _country(country) if country is not None else None
    if country_code is not None and country_code != "JM":
        return _foreign_address(line1, line2, city, parish_raw, postal, country_code)
    place = _Place()
    if parish_raw is not None:
        if _zone_number(_place_key(parish_raw)) is not None:
            _classify(parish_raw, place, parish_raw)
        else:
            place.parish = _parish_cached(parish_raw, True)
    postal_text: str | None = None
    if postal is not None:
        pkey = _place_key(postal)
        if pkey.isdigit() and city is not None and _place_key(city) in _KINGSTON_KEYS:
            pkey = f"kingston {pkey}"
        if _zone_number(pkey) is not None or pkey in _COUNTRIES:
            _classify(pkey, place, postal)
        elif pkey:
            postal_text = postal.upper()
    extra: list[str] = []  # parts of the city field that are not a place we know
    if city is not None:
        for part in (p.strip() for p in city.split(",")):
            if part and not _classify(part, place, city):
                extra.append(part)
        if extra and place.city is None and place.zone is None:
            place.city, extra = _tidy_line(", ".join(extra)), []
    line2_out = _peel(line2, place, keep_first=False)
    if extra:  # "Kingston 10, Hope Pastures": keep the district with the lines
        line2_out = _tidy_line(", ".join([*([line2_out] if line2_out else []), *extra]))
    line1_out = _peel(line1, place, keep_first=True)
    if place.zone is not None:
        place.city = "Kingston"
        place.parish = place.parish or KINGSTON_ZONE_PARISH[place.zone]
    if place.parish is None and place.city is not None:
        place.parish = _parish_cached(place.city, True)
    postal_zone = f"Kingston {place.zone}" if place.zone is not None else postal_text
    if line1_out is None and place.city is None and place.parish is None and postal_zone is None:
        return None
    country_code = country_code or place.country or "JM"
    where = postal_zone if place.zone is not None else place.city
    key = "|".join(
        (
            _street_key(line1_out) if line1_out else "",
            fold(where) if where else "",
            fold(place.parish) if place.parish else "",
            country_code.lower(),
        )
    )
    return AddressEvidence(
        key=key,
        line1=line1_out,
        line2=line2_out,
        city=place.city,
        parish=place.parish,
        postal_zone=postal_zone,
        country=country_code,
    )


def address(
    line1: str | None = None,
    line2: str | None = None,
    city: str | None = None,
    parish_raw: str | None = None,
    postal: str | None = None,
    country: str | None = None,
) -> AddressEvidence | None:
    """A cleaned address. Kingston postal zones ("Kgn 10", "KINGSTON 10, Jamaica") in
    any field become city "Kingston" + postal_zone "Kingston 10" and imply the parish;
    trailing place parts of the lines are moved out. `key` = street|zone-or-city|parish|
    country in matching form. None when line1, city, parish and postal are all blank.
    With a country other than Jamaica nothing Jamaican is inferred and parish is None."""
    cleaned = tuple(_clean(v) for v in (line1, line2, city, parish_raw, postal, country))
    for value, raw in zip(cleaned[:5], (line1, line2, city, parish_raw, postal), strict=True):
        if value is not None:
            if len(value) > _MAX_ADDRESS_LINE:
                raise _fail(raw, f"address part longer than {_MAX_ADDRESS_LINE} characters")
            if "@" in value:
                raise _fail(raw, "address part contains '@' (an email in the wrong column?)")
    l1, l2, c, p, pc, co = cleaned
    return _address_cached(l1, l2, c, p, pc, co)


# --------------------------------------------------------------------------------------
# Web
# --------------------------------------------------------------------------------------

_HOST_LABELS = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)
_WWW = re.compile(r"^www\d*\.")
# Hosts that say nothing about whose website it is: social profiles, link shorteners,
# mail providers typed into a website column. They give None, not a shared domain.
# fmt: off
_SHARED_HOSTS: frozenset[str] = frozenset(
    {"facebook.com", "fb.com", "fb.me", "instagram.com", "twitter.com", "x.com", "tiktok.com",
     "youtube.com", "youtu.be", "linkedin.com", "wa.me", "whatsapp.com", "linktr.ee",
     "google.com", "goo.gl", "bit.ly", "gmail.com", "yahoo.com", "hotmail.com",
     "outlook.com"}
)
# fmt: on


@lru_cache(maxsize=1 << 14)
def _website_cached(text: str) -> tuple[str | None, str | None]:
    """(domain, None) or (None, problem); (None, None) for a shared host."""
    if " " in text:
        return None, "website contains spaces"
    if "@" in text and "://" not in text:
        return None, "looks like an email, not a website"
    url = text if "://" in text else "http://" + text.lstrip("/")
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None, "not a URL"
    if not host:
        return None, "no host name in URL"
    host = _WWW.sub("", host.rstrip("."))
    if "." not in host:
        return None, "website domain has no dot"
    if not _HOST_LABELS.match(host):
        return None, "not a valid domain name"
    labels = host.split(".")
    for i in range(len(labels) - 1):
        if ".".join(labels[i:]) in _SHARED_HOSTS:
            return None, None
    return host, None


def website_domain(raw: str | None) -> str | None:
    """Bare lower-case host without "www.": "https://www.Example.com/path?x" ->
    "example.com". Social-media / shortener / webmail hosts give None."""
    text = _clean(raw)
    if text is None:
        return None
    domain, problem = _website_cached(text)
    if problem is not None:
        raise _fail(raw, problem)
    return domain


_HANDLE_CHARS = re.compile(r"^[a-z0-9._]+$")
_HANDLE_CHARS_DASH = re.compile(r"^[a-z0-9._-]+$")
_DASH_PLATFORMS: frozenset[str] = frozenset({"linkedin", "youtube"})
# URL path segments that come before the handle itself.
_HANDLE_PREFIXES: frozenset[str] = frozenset({"in", "company", "user", "c", "pg", "people"})
_URL_LIKE = re.compile(r"^(?:https?://|www\.)|^[a-z0-9-]+(?:\.[a-z0-9-]+)+/", re.IGNORECASE)


def handle(platform: str, raw: str | None) -> str | None:
    """The bare handle from "@Bob_Jamaica" or a profile URL: "bob_jamaica". For
    platform "whatsapp" the handle is a phone number and comes back in E.164."""
    text = _clean(raw)
    if text is None:
        return None
    plat = platform.strip().lower()
    value = text
    if _URL_LIKE.match(text):
        url = text if "://" in text else "https://" + text
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise _fail(raw, "not a profile URL") from exc
        segments = [s for s in parts.path.split("/") if s]
        if segments and segments[0] == "profile.php":
            ids = parse_qs(parts.query).get("id")
            segments = ids[:1] if ids else []
        while len(segments) > 1 and segments[0].lower() in _HANDLE_PREFIXES:
            segments = segments[1:]
        if not segments:
            raise _fail(raw, "profile URL has no handle in it")
        value = segments[0]
    if plat == "whatsapp":
        return phone_e164(value)
    value = value.lower().lstrip("@")
    if not value:
        raise _fail(raw, "empty handle")
    if any(c.isspace() for c in value):
        raise _fail(raw, "handle contains spaces")
    allowed = _HANDLE_CHARS_DASH if plat in _DASH_PLATFORMS else _HANDLE_CHARS
    if not allowed.match(value):
        raise _fail(raw, "handle has characters other than letters, digits, '.' and '_'")
    return value


# --------------------------------------------------------------------------------------
# Dates and money
# --------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}.*)?$")
_ISO_STAMP = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})[T ]\d{1,2}:\d{2}")  # matches _ISO_DATE
_YMD_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TRAILING_TIME = re.compile(r"\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?$", re.I)
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b", re.IGNORECASE)
_SEPT = re.compile(r"\bsept\b", re.IGNORECASE)
# fmt: off
_DATE_FORMATS: tuple[str, ...] = (
    "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y", "%d-%B-%Y", "%d/%b/%Y",
    "%a %d %b %Y", "%A %d %B %Y", "%a %b %d %Y", "%A %B %d %Y",
)
# fmt: on
_MIN_YEAR, _MAX_YEAR = 1900, 2100


@lru_cache(maxsize=1 << 15)
def _date_cached(text: str) -> tuple[str, bool]:
    text = _TRAILING_TIME.sub("", text)
    ymd: tuple[int, int, int] | None = None
    for pattern, order in (
        (_ISO_DATE, (0, 1, 2)),
        (_YMD_SLASH, (0, 1, 2)),
        (_DMY, (2, 1, 0)),
        (_COMPACT, (0, 1, 2)),
    ):
        found = pattern.match(text)
        if found:
            groups = found.groups()
            ymd = (int(groups[order[0]]), int(groups[order[1]]), int(groups[order[2]]))
            break
    if ymd is None:
        words = _SEPT.sub("Sep", _ORDINAL.sub("", text.replace(",", " ")))
        words = _WS.sub(" ", words).strip()
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(words, fmt)
            except ValueError:
                continue
            ymd = (parsed.year, parsed.month, parsed.day)
            break
    if ymd is None:
        return "not a recognised date (expected e.g. 2024-03-05, 05/03/2024, 5 Mar 2024)", False
    year, month, day = ymd
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return f"year {year} is outside {_MIN_YEAR}..{_MAX_YEAR}", False
    try:
        return date(year, month, day).isoformat(), True
    except ValueError as exc:
        how = " read day-first, dd/mm/yyyy" if _DMY.match(text) else ""
        return f"impossible date ({exc}{';' if how else ''}{how})", False


def iso_date(raw: str | None) -> str | None:
    """ISO "YYYY-MM-DD" from ISO dates/timestamps, day-first numeric dates (05/03/2024)
    and dates with month names; the date part of a timestamp is taken as written."""
    text = _clean(raw)
    if text is None:
        return None
    # An ISO timestamp reads as its date part alone: look that up, not the unique stamp.
    stamp = _ISO_STAMP.match(text)
    value, ok = _date_cached(stamp.group(1) if stamp else text)
    if not ok:
        raise _fail(raw, value)
    return value


_MONEY_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
_MONEY_PREFIX = re.compile(r"^(?:j\$|ja\$|jm\$|jmd\s*\$?|\$)", re.IGNORECASE)
_MONEY_SUFFIX = re.compile(r"(?:jmd|j\$)$", re.IGNORECASE)
_MONEY_FOREIGN = re.compile(r"(?:us\$|usd|cad|can\$|gbp|eur|£|€|ttd|tt\$|bbd|bds\$)", re.IGNORECASE)


def money(raw: str | float | int | None) -> float | None:
    """A Jamaican-dollar amount as float: "J$1,234.50" / "JMD 1,234.50" -> 1234.5,
    "(500.00)" -> -500.0. Amounts marked in another currency raise."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise _fail(raw, "a boolean is not an amount")
    if isinstance(raw, int | float):
        value = float(raw)
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise _fail(raw, "amount is infinite")
        return value
    text = _clean(raw)
    if text is None:
        return None
    if _MONEY_FOREIGN.search(text):
        raise _fail(raw, "amount is in a foreign currency")
    body = text
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    if body.startswith("-"):
        negative, body = not negative, body[1:].strip()
    body = _MONEY_SUFFIX.sub("", _MONEY_PREFIX.sub("", body).strip()).strip()
    if body.startswith("-"):
        negative, body = not negative, body[1:].strip()
    if not body or not any(c.isdigit() for c in body) or not _MONEY_NUMBER.match(body):
        raise _fail(raw, "not an amount of money")
    value = float(body.replace(",", ""))
    return -value if negative else value

"""The graph's own customer and business names, for finding and resolving mentions.

A name becomes a pattern only where it is specific enough to find in free text: a
person needs a given and a family name ("Jon Brown", never "Brown" alone); a business
of one word needs four letters, its own capitalisation, and not to be an ordinary word
("Digicel" yes, "Shop" no). Looking a found name up gives the customer ids that bear
it; several ids mean the name is ambiguous and the mention is not resolved by name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS

from ingest.normalise import InvalidValue, company_name, fold
from ml.notes.lexicon import NOT_NAME_WORDS, ORG_HEADS, PLACE_SPELLINGS, TITLES

PERSON = "PERSON"
ORG = "ORG"


@lru_cache(maxsize=1 << 16)
def person_key(text: str) -> str:
    """Matching form of a person's name: folded, titles and middle names dropped
    ("Mrs. Jane A. Brown" -> "jane brown")."""
    words = [w for w in fold(text).split() if w not in TITLES]
    if len(words) > 2:
        words = [words[0], words[-1]]
    return " ".join(words)


@lru_cache(maxsize=1 << 16)
def business_key(text: str) -> str:
    """Matching form of a business name: ingest's company key ("The Coral Cove Co.
    Ltd." -> "coral cove")."""
    try:
        name = company_name(text)
    except InvalidValue:
        return ""
    return name.key if name else ""


@dataclass
class Gazetteer:
    """Names -> customer ids, and the pattern texts the rules look for."""

    people: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    businesses: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    person_patterns: set[str] = field(default_factory=set)  # matched case-insensitively
    business_patterns: set[str] = field(default_factory=set)  # matched case-insensitively
    business_words: set[str] = field(default_factory=set)  # one word, matched as written

    def add_person(self, customer_id: str, name: str | None) -> None:
        if not name:
            return
        key = person_key(name)
        words = key.split()
        if len(words) < 2 or any(len(w) < 2 for w in words) or any(c.isdigit() for c in key):
            return
        self.people[key].add(customer_id)
        self.person_patterns.add(" ".join(name.split()))
        self.person_patterns.add(" ".join(name.split()).lower())
        self.person_patterns.add(key)

    def add_business(self, customer_id: str, name: str | None) -> None:
        if not name:
            return
        key = business_key(name)
        if len(key) < 3:
            return
        self.businesses[key].add(customer_id)
        words = key.split()
        display = " ".join(name.split())
        if len(words) > 1:
            # lower-case too: "ltd." splits where "Ltd." does not, so the spellings differ
            self.business_patterns.update((display, display.lower(), key))
        elif _specific_word(display):
            self.business_words.add(display)

    def lookup(self, label: str, text: str) -> set[str]:
        """Customer ids bearing this name (empty: unknown)."""
        if label == PERSON:
            return set(self.people.get(person_key(text), ()))
        if label == ORG:
            return set(self.businesses.get(business_key(text), ()))
        return set()

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]]) -> Gazetteer:
        """Rows of `notes/customer_names`: {id, kind: person|business, names: [...]}."""
        gazetteer = cls()
        for row in rows:
            add = gazetteer.add_business if row.get("kind") == "business" else gazetteer.add_person
            for name in row.get("names") or ():
                if isinstance(name, str):
                    add(str(row["id"]), name)
        return gazetteer

    def __len__(self) -> int:
        return len(self.people) + len(self.businesses)


def _specific_word(word: str) -> bool:
    lower = word.lower()
    return (
        len(word) >= 4
        and word[:1].isupper()
        and word.isalpha()
        and lower not in STOP_WORDS
        and lower not in NOT_NAME_WORDS
        and lower not in ORG_HEADS
        and lower not in PLACE_SPELLINGS
    )

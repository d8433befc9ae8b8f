"""Sentiment of a note: VADER's lexicon and its main rules, in one pass over the words.

VADER (the `vaderSentiment` package) supplies the valence of ~7,500 words, the
negations, the boosters ("very", "slightly") and the normalisation of the sum to -1..1;
the words of customer service its general lexicon lacks ("refund", "overcharged",
"late") are added, and words whose general valence means nothing in a sales note
("credit" account, phone "number") are neutral. Its own `polarity_scores` is not used: it lower-cases the whole note
again for every sentiment word (quadratic: a 12,000-character note took seconds, and
the notes benchmark spent half its time there). The rules applied here, as VADER
applies them: a booster up to three words before a sentiment word strengthens it (less
with distance), a negation up to three words before flips and damps it (x -0.74), and
after a "but" the words weigh 1.5 and before it 0.5. Not carried over: VADER's capitals,
"!" and idiom adjustments. The usual cut-offs (±0.05) give the label.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import (  # type: ignore[import-untyped]
    BOOSTER_DICT,
    N_SCALAR,
    NEGATE,
    SentimentIntensityAnalyzer,
    normalize,
)

POSITIVE = "positive"
NEGATIVE = "negative"
NEUTRAL = "neutral"
THRESHOLD = 0.05

# Valences on VADER's scale (-4..4) for words its general lexicon has not.
SERVICE_WORDS: dict[str, float] = {
    "refund": -1.2, "refunds": -1.2, "overcharged": -2.0, "late": -1.0, "slow": -1.2,
    "expensive": -0.8, "pricey": -0.6, "leaving": -0.8, "switching": -1.0, "competitor": -0.5,
    "unresolved": -1.5, "escalated": -1.3, "faulty": -2.0, "defective": -2.0, "overdue": -1.2,
    "chargeback": -2.0, "dispute": -1.5, "disputed": -1.5, "ignored": -1.5, "shortchanged": -2.0,
    "loyal": 2.1, "renewed": 1.2, "prompt": 1.2, "reorder": 1.0, "reordered": 1.0,
    "grateful": 2.0,
    # General-English valences that mean nothing in a sales note: a credit account, a
    # phone number, a referral (a fact, not a feeling).
    "credit": 0.0, "number": 0.0, "account": 0.0, "balance": 0.0, "referral": 0.0,
    "referrals": 0.0, "interest": 0.0, "interested": 0.0, "order": 0.0, "free": 0.0,
}  # fmt: skip
_NEGATIONS = frozenset(NEGATE) | {"n't", "not", "no", "never", "nobody", "nothing", "without"}
_DISTANCE_DAMPING = (1.0, 0.95, 0.9)  # a booster one, two, three words away
_WORDS = re.compile(r"[\w'’]+")


@dataclass(frozen=True)
class Sentiment:
    label: str  # positive | negative | neutral
    score: float  # -1..1, VADER's compound scale


class SentimentScorer:
    def __init__(self) -> None:
        self.lexicon: dict[str, float] = {
            **SentimentIntensityAnalyzer().lexicon,
            **SERVICE_WORDS,
        }

    def score(self, text: str) -> Sentiment:
        return self.score_words(_WORDS.findall(text.lower()))

    def score_words(self, words: Sequence[str]) -> Sentiment:
        """`words`: the note's words, lower-cased, in order (punctuation may be there)."""
        lexicon = self.lexicon
        total = 0.0
        but = -1
        valences: list[tuple[int, float]] = []
        for i, word in enumerate(words):
            if word == "but" and but < 0:
                but = i
            valence = lexicon.get(word)
            if valence is None or word in BOOSTER_DICT or word in _NEGATIONS:
                continue
            for k in (1, 2, 3):
                if i < k:
                    break
                before = words[i - k]
                boost = BOOSTER_DICT.get(before)
                if boost is not None:
                    valence += (boost if valence > 0 else -boost) * _DISTANCE_DAMPING[k - 1]
                if before in _NEGATIONS:
                    valence *= N_SCALAR
                    break
            valences.append((i, valence))
        for i, valence in valences:
            if but >= 0:
                valence *= 0.5 if i < but else 1.5
            total += valence
        compound = float(normalize(total)) if valences else 0.0
        if compound >= THRESHOLD:
            return Sentiment(POSITIVE, compound)
        if compound <= -THRESHOLD:
            return Sentiment(NEGATIVE, compound)
        return Sentiment(NEUTRAL, compound)

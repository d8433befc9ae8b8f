"""Synthetic interaction notes with labels, for measuring the notes pipeline.

SYNTHETIC: these notes are made up by the process below, not written by people. They
measure whether the pipeline finds what was planted, under the variation planted; a
real rep's notes are messier, and figures on them will be lower.

The generating process (seeded, so a seed gives the same notes every time):

1. A directory of known customers, the stand-in for the graph: `people` person names
   (a given name from the demo generator's male and female lists, a family name from its
   surnames) and `businesses` business names (the demo generator's shapes: adjective +
   noun + trade, place + trade, surname's + trade; a legal suffix half the time). The
   gazetteer is built from it, as the job builds it from the graph's customers.
2. Strangers: people and businesses drawn the same way but not in the directory (what a
   note mentions that the graph does not know yet). One stranger business in four has
   no trade or legal word at all ("Coral Breeze"): only a statistical model can find it.
3. Each note has one to three sentences from templates (a call, a visit, a delivery, a
   contact update, a referral), with slots filled by a person (known 60%), a business
   (known 60%, its legal suffix dropped half the time), a place (a parish or town as
   people write it, "St Andrew", "Mobay"; one in ten a place ingest does not know), a
   phone in one of nine Jamaican formats, an email. A person is written in full, or as
   a title and family name ("Mrs. Campbell") one time in five. A referral sentence names
   who referred the note's customer, whom the customer referred, or both.
4. A sentiment sentence from a positive, negative or neutral pool (or none: neutral).
5. Noise: 10% of notes lower-cased; 4% in Spanish or French (phone and email kept);
   1% empty, 0.5% None, 0.5% very long (a note repeated past 12,000 characters).

Labels: each planted span (PERSON, ORG, PLACE, PHONE, EMAIL) with its character offsets
and whether it is a known name; each referral (referrer and referred text, None for
the note's own customer); the sentiment pool; the language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from unidecode import unidecode

from ingest.demo_data import (
    ADJECTIVES,
    FEMALE_NAMES,
    MALE_NAMES,
    NOUNS,
    SURNAMES,
    TRADES,
)
from ml.notes.gazetteer import Gazetteer

PERSON, ORG, PLACE, PHONE, EMAIL = "PERSON", "ORG", "PLACE", "PHONE", "EMAIL"

# Places as people write them (ingest knows these), and some it does not.
KNOWN_PLACES = (
    "Kingston", "St. Andrew", "St Andrew", "Saint Andrew", "St. Catherine", "St Catherine",
    "Clarendon", "Manchester", "St. Elizabeth", "Westmoreland", "Hanover", "St. James",
    "Trelawny", "St. Ann", "St Ann", "St. Mary", "Portland", "St. Thomas", "Montego Bay",
    "Mobay", "Mandeville", "May Pen", "Spanish Town", "Portmore", "Old Harbour", "Linstead",
    "Ocho Rios", "Negril", "Savanna-la-Mar", "Port Antonio", "Morant Bay", "Falmouth",
    "Lucea", "Black River", "Santa Cruz", "Port Maria", "Half Way Tree", "New Kingston",
    "Constant Spring", "Liguanea", "Papine", "Brown's Town", "Runaway Bay", "Christiana",
)  # fmt: skip
OTHER_PLACES = ("Treasure Beach", "Irish Town", "Bull Bay", "Boston Bay", "Lluidas Vale",
                "Alligator Pond", "Hellshire", "Gordon Town")  # fmt: skip
TITLES = ("Mr.", "Mrs.", "Ms.", "Miss", "Dr.", "Pastor", "Mr", "Mrs")
LEGAL = ("Ltd", "Limited", "Co. Ltd.", "Ltd.", "Company Limited")
BARE_WORDS = ("Breeze", "Vibes", "Corner", "Spot", "Link", "Place", "Hub", "Nest", "Express")
_EXCHANGES = tuple(range(300, 500)) + tuple(range(501, 600)) + tuple(range(800, 900))
_LANDLINES = tuple(range(920, 990))

# Templates: {P} person, {B} business, {L} place, {T} phone, {E} email.
NEUTRAL = (
    "Called {P} about the invoice.", "Visited {B} in {L}.", "Met {P} at {B}.",
    "Spoke with {P} from {B} about the order.", "Dropped off samples at {B}, {L}.",
    "Delivery to {B} in {L} set for Friday.", "{P} is the new manager at {B}.",
    "New number for {P}: {T}.", "Send the quote to {E}.", "Reach her on {T} or {E}.",
    "WhatsApp {T} after 5.", "Follow up with {P} next week.",
    "{P} wants 20 bags of cement delivered to {L}.", "Quoted {B} for the new shelving.",
    "{P} moved the office to {L}.", "Left a voicemail for {P} on {T}.",
    "Price list emailed to {E}.", "{B} asked for a credit account.",
    "Meeting with {P} and {P} at {B} on Tuesday.", "Invoice 4471 sent to {B}.",
)  # fmt: skip
POSITIVE = (
    "Very happy with the last delivery.", "Says our service is excellent.",
    "Pleased with the quote, will order again.", "Great to work with, always pays on time.",
    "Thanked us for the quick turnaround.", "Loves the new product line.",
)  # fmt: skip
NEGATIVE = (
    "Angry about the late delivery.", "Complained that the invoice was wrong.",
    "Not happy with the prices, threatening to switch.",
    "Delivery arrived damaged, wants a refund.", "Disappointed with the service again.",
    "Frustrated that nobody called back.",
)  # fmt: skip
# (template, referrer slot, referred slot); "-" is the note's own customer.
REFERRALS = (
    ("Referred by {P}.", "P", "-"), ("She was referred by {P}.", "P", "-"),
    ("Referred by her cousin {P}.", "P", "-"), ("Referral from {P} at {B}.", "P", "-"),
    ("Heard about us from {P}.", "P", "-"), ("Recommended by {B}.", "B", "-"),
    ("{P} referred her to us.", "P", "-"), ("Introduced me to {P}.", "-", "P"),
    ("She introduced me to her neighbour {P}.", "-", "P"), ("Will refer {P} next month.", "-", "P"),
    ("Passed our number to {P}.", "-", "P"), ("{P} introduced me to {P}.", "P", "P"),
)  # fmt: skip
FOREIGN = (
    ("es", "Llamé al cliente, quiere una cotización para el pedido de la próxima semana."),
    ("es", "La entrega llegó tarde y el cliente no está contento con el precio."),
    ("es", "Hablé con la dueña de la tienda, nos va a llamar el lunes."),
    ("fr", "Le client a appelé pour une commande, il veut un devis avant vendredi."),
    ("fr", "La livraison est arrivée en retard, elle n'est pas contente du prix."),
    ("fr", "J'ai parlé avec le propriétaire, il nous rappelle la semaine prochaine."),
)


@dataclass(frozen=True)
class GoldSpan:
    label: str
    start: int
    end: int
    text: str
    known: bool = False  # a name the directory (the gazetteer) holds


@dataclass(frozen=True)
class GoldReferral:
    referrer: str | None  # text of the name; None: the note's own customer
    referred: str | None


@dataclass(frozen=True)
class LabelledNote:
    text: str | None
    spans: tuple[GoldSpan, ...] = ()
    referrals: tuple[GoldReferral, ...] = ()
    sentiment: str = "neutral"
    language: str = "en"
    kind: str = "plain"  # plain | lower | foreign | empty | none | long


@dataclass
class Directory:
    """The known customers: what the gazetteer holds (ids P…/B… by position)."""

    people: list[str] = field(default_factory=list)
    businesses: list[str] = field(default_factory=list)

    def gazetteer(self) -> Gazetteer:
        gazetteer = Gazetteer()
        for i, name in enumerate(self.people):
            gazetteer.add_person(f"P{i:06d}", name)
        for i, name in enumerate(self.businesses):
            gazetteer.add_business(f"B{i:06d}", name)
        return gazetteer


class _Writer:
    """Builds one note, recording where each planted value lands."""

    def __init__(self) -> None:
        self.text = ""
        self.spans: list[GoldSpan] = []

    def add(self, piece: str, label: str | None = None, known: bool = False) -> None:
        if label is not None:
            self.spans.append(GoldSpan(label, len(self.text), len(self.text) + len(piece), piece,
                                       known))  # fmt: skip
        self.text += piece


class NoteGenerator:
    def __init__(self, seed: int = 7, people: int = 2_000, businesses: int = 400) -> None:
        self.rng = Random(seed)
        self.directory = Directory()
        seen: set[str] = set()
        while len(self.directory.people) < people:
            name = self._person_name()
            if name not in seen:
                seen.add(name)
                self.directory.people.append(name)
        while len(self.directory.businesses) < businesses:
            name = self._business_name(bare=False)
            if name.lower() not in seen:
                seen.add(name.lower())
                self.directory.businesses.append(name)
        self._known = seen

    # -- names ---------------------------------------------------------------------
    def _person_name(self) -> str:
        rng = self.rng
        given = rng.choice(MALE_NAMES if rng.random() < 0.5 else FEMALE_NAMES)
        return f"{given} {rng.choice(SURNAMES)}"

    def _business_name(self, *, bare: bool) -> str:
        rng = self.rng
        if bare:
            return f"{rng.choice(ADJECTIVES)} {rng.choice(BARE_WORDS)}"
        roll = rng.random()
        trade = rng.choice(TRADES)
        if roll < 0.4:
            name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {trade}"
        elif roll < 0.7:
            name = f"{rng.choice(ADJECTIVES)} {trade}"
        else:
            name = f"{rng.choice(SURNAMES)}'s {trade}"
        if rng.random() < 0.5:
            name = f"{name} {rng.choice(LEGAL)}"
        return name

    def _stranger_person(self) -> str:
        while True:
            name = self._person_name()
            if name not in self._known:
                return name

    def _stranger_business(self) -> str:
        while True:
            name = self._business_name(bare=self.rng.random() < 0.25)
            if name.lower() not in self._known:
                return name

    def _person(self) -> tuple[str, bool, str]:
        """(text as written, known, full name)."""
        rng = self.rng
        known = rng.random() < 0.6
        full = rng.choice(self.directory.people) if known else self._stranger_person()
        return full, known, full

    def _business(self) -> tuple[str, bool]:
        rng = self.rng
        known = rng.random() < 0.6
        name = rng.choice(self.directory.businesses) if known else self._stranger_business()
        if known and rng.random() < 0.5:
            for suffix in sorted(LEGAL, key=len, reverse=True):
                if name.endswith(" " + suffix):
                    name = name[: -len(suffix) - 1]
                    break
        return name, known

    def _phone(self) -> str:
        rng = self.rng
        exchange = rng.choice(_EXCHANGES if rng.random() < 0.7 else _LANDLINES)
        line = f"{rng.randrange(10_000):04d}"
        area = rng.choice(("876", "876", "876", "658"))
        return rng.choice((
            f"{area}-{exchange}-{line}", f"({area}) {exchange}-{line}", f"{area}.{exchange}.{line}",
            f"{area} {exchange} {line}", f"+1 {area} {exchange} {line}", f"1-{area}-{exchange}-{line}",
            f"{area}{exchange}{line}", f"{exchange}-{line}", f"+1 ({area}) {exchange}-{line}",
        ))  # fmt: skip

    def _email(self) -> str:
        rng = self.rng
        given = unidecode(rng.choice(MALE_NAMES + FEMALE_NAMES)).lower()  # "renée" -> "renee"
        family = rng.choice(SURNAMES).lower().replace("'", "").replace(" ", "")
        domain = rng.choice(("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "cwjamaica.com",
                             "flowja.com", "example.com.jm"))  # fmt: skip
        return rng.choice((f"{given}.{family}@{domain}", f"{given[0]}{family}{rng.randrange(99)}@{domain}",
                           f"{given}_{family}@{domain}"))  # fmt: skip

    # -- notes ---------------------------------------------------------------------
    def _fill(self, note: _Writer, template: str) -> dict[str, list[str | None]]:
        """Write a template, planting a value per slot; the texts planted, per slot."""
        rng = self.rng
        planted: dict[str, list[str | None]] = {"P": [], "B": []}
        rest = template
        while rest:
            at = rest.find("{")
            if at < 0:
                note.add(rest)
                break
            note.add(rest[:at])
            slot, rest = rest[at + 1], rest[at + 3 :]
            if slot == "P":
                text, known, _ = self._person()
                if rng.random() < 0.2:
                    family = text.split()[-1]
                    note.add(f"{rng.choice(TITLES)} ")
                    note.add(family, PERSON, False)
                    planted["P"].append(family)
                else:
                    note.add(text, PERSON, known)
                    planted["P"].append(text)
            elif slot == "B":
                name, known = self._business()
                note.add(name, ORG, known)
                planted["B"].append(name)
            elif slot == "L":
                place = rng.choice(OTHER_PLACES if rng.random() < 0.1 else KNOWN_PLACES)
                note.add(place, PLACE)
            elif slot == "T":
                note.add(self._phone(), PHONE)
            elif slot == "E":
                note.add(self._email(), EMAIL)
        return planted

    def note(self) -> LabelledNote:
        rng = self.rng
        roll = rng.random()
        if roll < 0.01:
            return LabelledNote(rng.choice(("", "   ", "\n")), kind="empty", language="unknown")
        if roll < 0.015:
            return LabelledNote(None, kind="none", language="unknown")
        if roll < 0.055:
            return self._foreign()
        note = _Writer()
        referrals: list[GoldReferral] = []
        sentences = rng.choice((1, 2, 2, 3))
        referral_at = rng.randrange(sentences) if rng.random() < 0.3 else -1
        for i in range(sentences):
            if note.text:
                note.add(" ")
            if i == referral_at:
                template, referrer, referred = rng.choice(REFERRALS)
                planted = self._fill(note, template)
                people = list(planted["P"])
                texts: dict[str, str | None] = {"-": None}
                if referrer == "P":
                    texts["referrer"] = people.pop(0)
                elif referrer == "B":
                    texts["referrer"] = planted["B"][0]
                if referred == "P":
                    texts["referred"] = people.pop(0)
                referrals.append(GoldReferral(texts.get("referrer"), texts.get("referred")))
            else:
                self._fill(note, rng.choice(NEUTRAL))
        sentiment = rng.choice(("positive", "negative", "neutral", "neutral"))
        if sentiment != "neutral":
            note.add(" " + rng.choice(POSITIVE if sentiment == "positive" else NEGATIVE))
        text, kind = note.text, "plain"
        if rng.random() < 0.005:
            repeated = (text + " ") * (12_000 // (len(text) + 1) + 1)
            return LabelledNote(repeated, (), (), sentiment, "en", "long")
        if rng.random() < 0.1:
            text, kind = text.lower(), "lower"
            spans = tuple(
                GoldSpan(s.label, s.start, s.end, text[s.start : s.end], s.known)
                for s in note.spans
            )
            lowered = tuple(
                GoldReferral(r.referrer.lower() if r.referrer else None,
                             r.referred.lower() if r.referred else None)
                for r in referrals
            )  # fmt: skip
            return LabelledNote(text, spans, lowered, sentiment, "en", kind)
        return LabelledNote(text, tuple(note.spans), tuple(referrals), sentiment, "en", kind)

    def _foreign(self) -> LabelledNote:
        rng = self.rng
        language, sentence = rng.choice(FOREIGN)
        note = _Writer()
        note.add(sentence)
        if rng.random() < 0.5:
            note.add(" Tel: ")
            note.add(self._phone(), PHONE)
        return LabelledNote(note.text, tuple(note.spans), (), "neutral", language, "foreign")

    def notes(self, n: int) -> list[LabelledNote]:
        return [self.note() for _ in range(n)]


def generate_notes(
    n: int, *, seed: int = 7, people: int = 2_000, businesses: int = 400
) -> tuple[Directory, list[LabelledNote]]:
    """The directory of known customers and `n` labelled notes."""
    if n < 0:
        raise ValueError(f"the number of notes must not be negative, got {n}")
    generator = NoteGenerator(seed, people, businesses)
    return generator.directory, generator.notes(n)

"""Word lists the rules read: Jamaican places, titles, business words, referral phrases.

These are domain knowledge written down once, not learnt: the parishes and towns come
from `ingest.normalise` (the same places ingest recognises), the rest are the words
Jamaican small-business notes use. Everything is lower-case.
"""

from __future__ import annotations

from ingest.normalise import PARISHES, TOWN_PARISH

# Spellings of places as people type them: every parish with and without the dot or
# "Saint", every town ingest knows (its keys are already folded: "mobay", "st anns bay"),
# and the written forms of towns with punctuation. `ingest.normalise.parish` maps each
# to its parish. "junction" and "hwt" are left out: an ordinary word and an initialism.
PLACE_SPELLINGS: frozenset[str] = frozenset(
    {p.lower() for p in PARISHES}
    | {p.lower().replace(".", "") for p in PARISHES}
    | {p.lower().replace("st.", "saint") for p in PARISHES if p.startswith("St.")}
    | {t for t in TOWN_PARISH if t not in {"junction", "hwt"}}
    | {"st. ann's bay", "st ann's bay", "brown's town", "savanna-la-mar", "half-way-tree",
       "montego bay", "mo'bay"}
)  # fmt: skip

# Words before a name that say a person follows ("Mrs. Campbell", "Pastor Lewis").
TITLES: frozenset[str] = frozenset(
    {"mr", "mrs", "ms", "miss", "mister", "missus", "dr", "doc", "pastor", "rev", "reverend",
     "bishop", "sister", "brother", "auntie", "aunty", "aunt", "uncle", "prof", "professor",
     "sir", "lady", "capt", "captain", "sgt", "sergeant", "hon", "nurse", "deacon", "elder",
     "father", "mother", "madam", "mistress", "bredda", "sista", "granny", "cousin"}
)  # fmt: skip

# The last word of a business name: legal forms and trades. A run of capitalised words
# ending in one of these is an organisation ("Coral Cove Hardware", "Brown & Sons Ltd").
LEGAL_WORDS: frozenset[str] = frozenset(
    {"ltd", "limited", "inc", "incorporated", "llc", "co", "company", "corp", "corporation",
     "plc", "group", "holdings", "enterprises", "enterprise", "associates", "partners",
     "sons", "bros", "brothers", "ventures", "industries", "international", "jamaica"}
)  # fmt: skip
TRADE_WORDS: frozenset[str] = frozenset(
    {"hardware", "pharmacy", "supermarket", "wholesale", "wholesales", "bakery", "restaurant",
     "grill", "salon", "barber", "barbershop", "construction", "plumbing", "electrical",
     "printery", "printers", "tours", "rental", "rentals", "insurance", "brokers",
     "accounting", "clinic", "centre", "center", "furniture", "appliances", "fashion",
     "fashions", "boutique", "station", "logistics", "trucking", "supplies", "supply",
     "coffee", "villas", "photography", "events", "catering", "solutions", "services",
     "security", "cleaning", "realty", "motors", "shop", "cookshop", "gym", "optical",
     "school", "academy", "church", "bank", "hotel", "resort", "farms", "market", "store",
     "stores", "studio", "studios", "agency", "garage", "auto", "parts", "nails", "spa",
     "cafe", "bar", "lounge", "distributors", "traders", "trading", "imports", "foods",
     "bakeries", "pharmacies", "dental", "medical", "laboratory", "lab", "media",
     "productions", "consulting", "consultants", "designs", "electronics", "computers",
     "tech", "tyres", "tires", "pub", "diner", "kitchen", "grocery", "variety", "mart",
     "depot", "cambio", "jewellers", "jewelers", "funeral", "home"}
)  # fmt: skip
ORG_HEADS: frozenset[str] = LEGAL_WORDS | TRADE_WORDS
# Joiners allowed inside a business name ("Bar & Grill", "Brown's Hardware").
ORG_JOINERS: frozenset[str] = frozenset({"&", "and", "'s", "’s"})

# Capitalised words that start a sentence in a note without being part of a name: a run
# of capitalised words is cut after these ("Called Island Hardware" -> "Island Hardware").
NOT_NAME_WORDS: frozenset[str] = frozenset(
    {"called", "call", "met", "meet", "meeting", "visited", "visit", "spoke", "speak",
     "emailed", "email", "sent", "send", "said", "says", "told", "tell", "asked", "ask",
     "went", "left", "follow", "followed", "quoted", "quote", "delivered", "deliver",
     "dropped", "picked", "phoned", "texted", "whatsapp", "whatsapped", "messaged",
     "received", "confirmed", "paid", "ordered", "order", "invoice", "invoiced", "booked",
     "contacted", "contact", "reached", "tried", "waiting", "wants", "needs", "owner",
     "manager", "client", "customer", "lead", "new", "old", "our", "per", "via",
     "thanks", "thank", "great", "good", "happy", "unhappy", "angry", "upset", "pleased",
     "complained", "complaint", "referred", "introduced", "recommended", "today",
     "yesterday", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday",
     "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july",
     "august", "september", "october", "november", "december", "re", "fyi", "note", "notes",
     "also", "still", "just", "will", "please", "urgent", "promised", "came", "come",
     "saw", "see", "had", "has", "have", "was", "is", "are", "were", "she", "he", "they",
     "we", "i", "her", "his", "their", "the", "a", "an", "at", "in", "on", "from", "for",
     "to", "with", "and", "but", "not", "no", "yes", "ok", "okay", "after", "before",
     "when", "if", "then", "next", "first", "last", "both", "mentioned", "knows", "know",
     "works", "work", "owns", "runs", "friend", "neighbour", "neighbor", "wife", "husband",
     "son", "daughter", "colleague", "boss", "partner", "number", "phone", "tel", "cell",
     "mobile", "ig", "instagram", "facebook", "hi", "hello", "dear", "mention",
     "spoken", "bought", "buys", "buy", "purchased", "returned", "cancelled", "canceled",
     "hope", "hoping", "looking", "interested", "price", "prices", "samples",
     "sample", "bulk", "follow-up", "followup", "update", "updated", "check", "checked"}
)  # fmt: skip

# Referral phrases (lower-case token sequences). "in": the person named next to the
# phrase referred the note's customer ("referred by Jane Brown"); "out": the note's
# customer referred the person named ("introduced me to Jane Brown"). The side says
# where the name stands: "after" the phrase or "before" it.
REFERRAL_PHRASES: tuple[tuple[str, str, str, float], ...] = (
    # (phrase, direction, side, confidence of the phrase itself)
    ("referred by", "in", "after", 0.9),
    ("was referred by", "in", "after", 0.9),
    ("referral from", "in", "after", 0.85),
    ("a referral from", "in", "after", 0.85),
    ("recommended by", "in", "after", 0.8),
    ("sent by", "in", "after", 0.6),
    ("sent over by", "in", "after", 0.7),
    ("introduced by", "in", "after", 0.85),
    ("heard about us from", "in", "after", 0.75),
    ("heard of us from", "in", "after", 0.75),
    ("got our number from", "in", "after", 0.7),
    ("through a referral from", "in", "after", 0.85),
    ("on the recommendation of", "in", "after", 0.8),
    ("referred her", "in", "before", 0.85),
    ("referred him", "in", "before", 0.85),
    ("referred them", "in", "before", 0.85),
    ("referred us", "in", "before", 0.6),
    ("recommended us", "in", "before", 0.6),
    ("sent her", "in", "before", 0.55),
    ("sent him", "in", "before", 0.55),
    ("introduced her", "in", "before", 0.8),
    ("introduced him", "in", "before", 0.8),
    ("introduced me to", "out", "after", 0.8),
    ("introduced us to", "out", "after", 0.8),
    ("referred me to", "out", "after", 0.55),
    ("is referring", "out", "after", 0.7),
    ("will refer", "out", "after", 0.6),
    ("wants to refer", "out", "after", 0.6),
    ("referred her friend", "out", "after", 0.85),
    ("referred his friend", "out", "after", 0.85),
    ("referred her cousin", "out", "after", 0.85),
    ("referred his cousin", "out", "after", 0.85),
    ("referred her sister", "out", "after", 0.85),
    ("referred his brother", "out", "after", 0.85),
    ("referred her colleague", "out", "after", 0.85),
    ("referred his colleague", "out", "after", 0.85),
    ("referred a friend", "out", "after", 0.8),
    ("brought in", "out", "after", 0.6),
    ("passed our number to", "out", "after", 0.75),
    ("gave our number to", "out", "after", 0.75),
    ("recommended us to", "out", "after", 0.8),
)
# Words that may stand between a referral phrase and the name ("referred by her cousin
# Jane", "referred by Mrs. Brown", "introduced me to the owner of Island Hardware").
REFERRAL_FILLERS: frozenset[str] = frozenset(
    {"her", "his", "their", "my", "our", "a", "the", "friend", "cousin", "sister", "brother",
     "aunt", "uncle", "neighbour", "neighbor", "colleague", "coworker", "co-worker", "boss",
     "pastor", "mother", "father", "mom", "dad", "son", "daughter", "wife", "husband",
     "partner", "customer", "client", "owner", "manager", "of", "at", "from", "mr", "mrs",
     "ms", "miss", "dr", ".", ",", ":", "-", "longtime", "long-time", "old", "good",
     "best", "church", "sistren", "bredren", "workmate", "to", "us"}
)  # fmt: skip

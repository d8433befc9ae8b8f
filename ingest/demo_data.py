"""A realistic, messy, multi-source demo data set for the eight source profiles.

`generate(out_dir, people)` writes, streaming (rows are written as they are made; only the
businesses, a small pool of earlier people for referrals and the set of derived business
keys stay in memory), deterministically for a seed:

    file                   profile            what
    directory.json         directory          business directory listings (JSON array)
    qbo_customers.json     qbo-customers      QuickBooks customers, persons and businesses
    crm_contacts.csv       crm-contacts       CRM contacts (persons, their Company)
    sheets_leads.csv       sheets-leads       a sales team's Google-Sheets lead list
    instagram.jsonl        instagram          Instagram profiles, business and personal
    qbo_transactions.json  qbo-transactions   QBO invoices and sales receipts
    interactions.csv       interactions       calls, visits, WhatsApps... on CRM/sheet/QBO rows
    transactions.csv       transactions       point-of-sale / bank payments on any record
    truth.jsonl            -                  the answer key (below)
    manifest.json          -                  files in ingest order, profile, row counts, rates,
                                              the share of people who have a namesake

`manifest.json` lists the files in the order to ingest them: record files first, then
the activity files whose rows hang off those records.

The world
    People live in households (1-5 people, 60% of them sharing a surname, all sharing a
    street address, many a landline); 55% work at one of ~people/6 businesses (skewed:
    a few employ many), each with a legal-suffix habit ("Ltd", "Limited", "Co. Ltd.",
    none), an office landline, often a web site with info@ / first.last@ mail, a
    directory listing, an Instagram account, a QuickBooks customer account. Names are
    Jamaican (given names with occasional accents and hyphens, common surnames, and a
    long tail of coined given names and rarer surnames: `namesake_share`, below), with
    the nicknames people go by (Bob/Robert, Liz/Elizabeth, Jim/James, ...). All emails and
    handles are unique per person / business by construction (a per-entity number), and
    phone numbers are drawn without replacement from valid Jamaican mobile / landline
    ranges (unique up to ~4M mobiles and 1.3M landlines), so every shared identifier in
    the data is a shared identifier in the world: household landlines and emails, office
    phones, info@ mailboxes. Street addresses are drawn from ~1M per town, so two
    households share one only rarely (as in an apartment block).

Where each entity appears (rates per entity)
    person:   CRM 62% (+4% a duplicate CRM contact), QuickBooks 28%, sheet 26%, Instagram
              18% (30% have a handle, 60% of those are listed); everyone is in at least
              one source.
    business: directory 65%, QuickBooks (as a business customer) 35%, Instagram 40%,
              sheet (business-only lead) 12%, at least one; and, as the derived
              "<source>:org:<company key>" records of the profiles, wherever an employee's
              CRM / QuickBooks / sheet row names the company.
    About 1.8 record rows per person (2.1 with the derived business records); ~0.9
    interactions and ~1.1 transactions (QBO invoices / sales receipts + POS) per person.

Defects (not errors: the row is fine, the value is just not the clean truth). Counted
per file in the manifest as `defect_rows`: about 25% of record rows carry at least one
(QuickBooks ~17%, CRM ~24%, Instagram ~21%, directory ~26%, sheet ~40%); activity rows
vary only in format (date and amount styles, type spellings):
    names:   the nickname 25% of rows where the person has one (10% in QuickBooks), a
             typo (swap / drop / double a letter) 4% of given and 2% of family names,
             "Family, Given" 15% where a sheet holds the name in one cell (5% of QuickBooks
             display names), ALL CAPS or all lower 2-10%, accents dropped 50%, an initial
             only 2%, the given name missing 1% (CRM)
    phones:  an old number 25% of rows for the 20% of people who changed numbers; the
             home landline or office number instead of the mobile; eleven formats
             ("876-555-1234", "(876) 555 1234", "5551234", "+1 876 555 1234", ...);
             missing 15%
    emails:  missing 20%, work vs personal, the shared household mailbox 15% (8% of
             multi-person households have one), the company's info@ 8% of CRM rows of
             employees, upper-cased or Gmail dots moved 5%, a one-letter typo 1%
    company: suffix and case variants always, "&" / "and", "The ...", a typo 3%
    address: abbreviations (Rd / Road, Ave / Avenue, ...), Kingston postal zones written
             "Kingston 6" / "Kgn 6" / "Kingston", missing parts
    referrals: 7% of CRM contacts carry "Referred By" with an earlier person's name, as
             written by a human (nickname 15%, typo 15%, initial 10%)

Genuinely bad rows (the profiles must quarantine them): 2% of every record file, 1% of
every activity file (`BAD_RATE_RECORDS`, `BAD_RATE_ACTIVITIES`), e.g. email "bob at
gmail", phone "n/a call me" / "876-55-123", a row with no name and no identifier, a
field of 1,500 characters, an impossible date, a lead without its id, an invoice
without a customer, amount "see receipt", an unknown interaction type. They count in
the manifest as `bad_rows` (each file's profile refuses exactly those); those that still
have an id are in truth.jsonl with "bad": true. Activities hang only off good records.

truth.jsonl
    {"type": "record", "key": "crm:51000012", "entity": "P0000042", "kind": "person"}
        one for every row of a record file that has an id ("bad": true when planted bad);
    {"type": "record", "key": "crm:org:blue mountain coffee", "entity": "B000007",
     "kind": "business", "derived": true}
        once per derived business record (the key computed with `ingest.normalise`);
    {"type": "referral", "referrer": "P0000012", "referred": "P0000042",
     "record": "crm:51000012", "written_as": "Liz Campbel"}
        the true referral behind each "Referred By".
    {"type": "lifecycle", "entity": "P0000042", "kind": "person", "joined": "2021-03-04",
     "churned": "2023-05-01", "first_purchase": "2021-09-30", "churn_hazard": 0.31,
     "purchase_pace": 2.72, "covariates": {"referred": true, "employed": false, ...}}
        the customer lifecycle behind an entity's activity dates (below), once per entity
        that has any activity, written just before its first activity row.

Customer lifecycle (synthetic: a documented generating process, not observed behaviour)
    So that churn, lead and value models have something true to find, the dates of an
    entity's interactions and transactions follow a lifecycle drawn from a random stream
    of its own (`Random(f"{seed}:lifecycle")`): every other value, and the number of
    activities, comes from the main stream exactly as before, so every record file is
    byte-identical to what the generator wrote without lifecycles; only the dates in
    interactions.csv, transactions.csv and qbo_transactions.json (and the truth lines)
    depend on it. The process, per entity, drawn at its first activity:
        joined       uniform over the activity window (2020-02-09 .. 2025-06-30)
        churn        after an exponential time with hazard (per year)
                         base (person 0.45, business 0.25)
                         * exp(sum of CHURN_EFFECTS over the covariates that hold)
                         * a lognormal frailty (sigma 0.5, unobserved)
                     referred by someone -0.9 (log hazard ratio), works at a business
                     -0.4, lives with others -0.3, has a social handle -0.3; a churn
                     after the window's end means still active
        activity     interactions uniform over [joined, churned or window end]
        purchases    transactions uniform over [first purchase, same end], where the
                     first purchase comes at the share u ** pace of that span
                     (u uniform, pace = exp(sum of PURCHASE_EFFECTS): referred +1.0,
                     lives with others +0.4, works at a business +0.3; a higher pace
                     buys sooner)
    The covariates are those known when the entity's first activity is written (a
    person's "referred" is their first CRM row naming a referrer). Whether an entity
    buys at all, and how much, is unchanged (main stream): only when.

Events and follows (streams of their own, like the lifecycle, so that every other record
file, and every ordinary interaction row, is what it was without them)
    events       interactions.csv's event_id / event_name columns: "ATT-..." attendance
                 rows (type Meeting, outcome Attended) of person records at group
                 meetings (3-6 attendees), breakfasts and workshops (8-20), seminars
                 (15-40) and trade expos (60-500); a record that has had an activity
                 attends one of the 8 open events with 0.4, if its date lies in that
                 person's lifecycle (ATTEND_RATE, EVENT_KINDS)
    follows      instagram.jsonl's person rows carry "follows", a list of handles:
                 housemates, the employer's account, a few recent or older listed
                 people; some follow back (FOLLOW_MEAN); the rows differ from those
                 written without follows by that list only
"""

from __future__ import annotations

import bisect
import csv
import math
import shutil
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from random import Random
from typing import IO, TYPE_CHECKING, Any, TypeVar

import orjson

from ingest import normalise

if TYPE_CHECKING:  # types only: generating data needs no graph
    from graph.store import GraphStore
    from ingest.pipeline import IngestSummary
    from ingest.quarantine import Quarantine

T = TypeVar("T")

BAD_RATE_RECORDS = 0.02
BAD_RATE_ACTIVITIES = 0.01
PEOPLE_PER_BUSINESS = 6

# Ingest order: records before the activities that hang off them.
FILES: tuple[tuple[str, str, str], ...] = (
    ("directory.json", "directory", "records"),
    ("qbo_customers.json", "qbo-customers", "records"),
    ("crm_contacts.csv", "crm-contacts", "records"),
    ("sheets_leads.csv", "sheets-leads", "records"),
    ("instagram.jsonl", "instagram", "records"),
    ("qbo_transactions.json", "qbo-transactions", "activities"),
    ("interactions.csv", "interactions", "activities"),
    ("transactions.csv", "transactions", "activities"),
)

CRM_HEADER = (
    "Contact ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Mobile Phone",
    "Company",
    "Job Title",
    "Street Address",
    "City",
    "Parish",
    "Lead Status",
    "Segment",
    "Referred By",
    "Date of Birth",
    "Created Date",
    "Contact Owner",
)
SHEETS_HEADER = (
    "Lead ID",
    "Name",
    "Business",
    "Phone #",
    "Email",
    "Town/Parish",
    "Instagram",
    "Notes",
    "Rep",
    "Status",
    "Date Added",
)
INTERACTIONS_HEADER = (
    "interaction_id",
    "record_source",
    "record_id",
    "type",
    "occurred_at",
    "rep",
    "subject",
    "notes",
    "outcome",
    "event_id",
    "event_name",
)
TRANSACTIONS_HEADER = (
    "txn_id",
    "record_source",
    "record_id",
    "date",
    "amount",
    "currency",
    "channel",
    "description",
)

# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------

MALE_NAMES = (
    "Andre",
    "Andrew",
    "Anthony",
    "Brian",
    "Carl",
    "Christopher",
    "Clive",
    "Courtney",
    "Damion",
    "Delroy",
    "Dwayne",
    "Everton",
    "Fitzroy",
    "Garfield",
    "Horace",
    "Jermaine",
    "Kevin",
    "Kirk",
    "Leroy",
    "Marlon",
    "Michael",
    "Neville",
    "O'Neil",
    "Omar",
    "Orville",
    "Patrick",
    "Ricardo",
    "Robert",
    "Rohan",
    "Romaine",
    "Ryan",
    "Shane",
    "Shawn",
    "Tyrone",
    "Wayne",
    "Winston",
    "William",
    "James",
    "Richard",
    "Joseph",
    "Kemar",
    "Kemoy",
    "Tajay",
    "Odane",
    "Jevaughn",
    "Shamar",
    "Akeem",
    "Nicholas",
    "Dale",
    "Devon",
    "Donovan",
    "Errol",
    "Lloyd",
    "Desmond",
    "Glenroy",
    "Hopeton",
    "Lascelles",
    "Alexander",
    "Daniel",
    "David",
    "Samuel",
    "Matthew",
    "Jason",
    "Mark",
    "Paul",
    "Peter",
    "Stephen",
    "Trevor",
    "Junior",
    "Oshane",
    "Rushane",
    "Jahmari",
    "Khalil",
    "Rajesh",
    "Wei",
    "José",
    "André",
)
FEMALE_NAMES = (
    "Abigail",
    "Alicia",
    "Andrea",
    "Annmarie",
    "Camille",
    "Carlene",
    "Charmaine",
    "Claudette",
    "Deborah",
    "Donna",
    "Elizabeth",
    "Georgia",
    "Hyacinth",
    "Janet",
    "Jodi-Ann",
    "Kadian",
    "Kerry-Ann",
    "Keisha",
    "Latoya",
    "Marcia",
    "Melissa",
    "Monique",
    "Nadine",
    "Natalie",
    "Nicole",
    "Paulette",
    "Rochelle",
    "Sabrina",
    "Shanique",
    "Sherika",
    "Simone",
    "Stacy-Ann",
    "Tanisha",
    "Tashana",
    "Tamara",
    "Yanique",
    "Kimberley",
    "Katherine",
    "Sandra",
    "Patricia",
    "Beverley",
    "Marsha",
    "Jennifer",
    "Margaret",
    "Samantha",
    "Susan",
    "Karen",
    "Sharon",
    "Joan",
    "Angela",
    "Christine",
    "Petrina",
    "Sasha-Kay",
    "Shantel",
    "Tiffany",
    "Britney",
    "Chevelle",
    "Dionne",
    "Grace",
    "Ruth",
    "Victoria",
    "Alexandra",
    "Renée",
    "Zoë",
    "Chloé",
    "Joëlle",
    "Mei-Ling",
    "Priya",
)
SURNAMES = (
    "Brown",
    "Williams",
    "Campbell",
    "Smith",
    "Johnson",
    "Thompson",
    "Clarke",
    "Gordon",
    "Morgan",
    "Reid",
    "Robinson",
    "Lewis",
    "Walker",
    "Wright",
    "Henry",
    "Grant",
    "Allen",
    "Edwards",
    "Bailey",
    "Stewart",
    "Francis",
    "Graham",
    "Palmer",
    "Powell",
    "Anderson",
    "Davis",
    "Miller",
    "Harris",
    "Scott",
    "Bennett",
    "Ellis",
    "Gayle",
    "Hylton",
    "McKenzie",
    "McLean",
    "Simpson",
    "Spence",
    "Taylor",
    "Green",
    "Richards",
    "Samuels",
    "Barrett",
    "Blake",
    "Chin",
    "Lee",
    "Mahfood",
    "Issa",
    "Hendrickson",
    "Wong",
    "Chen",
    "Lyn",
    "Chung",
    "Ramdial",
    "Persaud",
    "Bogle",
    "Dixon",
    "Ferguson",
    "Forbes",
    "Hall",
    "Hamilton",
    "Jarrett",
    "Lindo",
    "Murray",
    "Nelson",
    "O'Connor",
    "Pinnock",
    "Rowe",
    "Salmon",
    "Shaw",
    "Sinclair",
    "Tulloch",
    "Vassell",
    "Whyte",
    "Wilson",
    "Young",
    "Bryan",
    "Cunningham",
    "Dennis",
    "Ebanks",
    "Fong",
    "Goulbourne",
    "Haughton",
    "Ivey",
    "Kerr",
    "Lawrence",
    "Maxwell",
    "Nembhard",
    "Ormsby",
    "Pryce",
    "Quallo",
    "Rattray",
    "Stephenson",
    "Tomlinson",
    "Usher",
    "Vernon",
    "Watson",
    "Beckford",
    "Chambers",
    "Daley",
    "Facey",
    "Gooden",
    "Hinds",
    "Jackson",
    "Lamont",
    "McFarlane",
    "Mitchell",
    "Neil",
    "Peart",
    "Russell",
    "Shirley",
    "Townsend",
    "Witter",
    "Ashman",
    "Mullings",
    "Sterling",
    "Coke",
    "DaCosta",
    "de Souza",
    "Hew",
    "Lue",
    "Ramsay",
    "Wynter",
)

# The lists above are the common head of the names. Real name frequencies have a long
# tail (in the UK electoral roll ~42% of surnames occur once; the US census counted six
# million surnames, four million of them held by one person), and Jamaica coins given
# names freely (Shanique, Kevaughn, Tashana). Without a tail every full name of the lists
# was held by ~16 of 266,667 people, so namesakes, not the data's defects, decided what
# resolution could find at scale. People's names are drawn from the head with weights
# falling with rank (Brown ~2.5% of people) or, with the tail's share, from names built
# from the parts below: still far fewer distinct names than a real population has
# (`namesake_share` in the manifest says how many people share their full name).
SURNAME_PARTS = (
    (
        "Ash", "Black", "Brad", "Bridge", "Brook", "Bur", "Cald", "Carl", "Chad", "Chester",
        "Cole", "Crom", "Dal", "Dun", "Fair", "Farn", "Good", "Hart", "Hather", "Hol",
        "Kings", "Lang", "Lin", "Mar", "Mid", "Mor", "New", "Nor", "Pem", "Red", "Rother",
        "Shel", "Stan", "Sut", "Thorn", "Wal", "Wel", "West", "Whit", "Wood", "Wor", "Yar",
    ),
    (
        "ton", "ley", "field", "wood", "well", "worth", "ham", "by", "ford", "more",
        "stone", "dale", "ridge", "land", "wick", "croft", "combe", "shaw", "bury", "hill",
    ),
)  # fmt: skip
MAC_SURNAMES = tuple(
    "Mc" + rest
    for rest in (
        "Farlane", "Intosh", "Gregor", "Allister", "Donald", "Cormack", "Dermott", "Laughlin",
        "Pherson", "Namara", "Guire", "Carthy", "Grath", "Bride", "Cann", "Coy", "Daniel",
        "Dowell", "Fadden", "Gill", "Kay", "Leod", "Millan", "Nally", "Neil", "Queen", "Rae",
        "Tavish",
    )
)  # fmt: skip
MALE_NAME_PARTS = (
    (
        "Ke", "Ja", "Ro", "Sha", "Da", "Ru", "O", "Je", "Dwa", "Ta", "Ki", "A", "Ty", "De",
        "Tre", "Ji", "Ma", "Ka", "Le", "Jo", "Ra", "Tra", "Dar", "Shan", "Jhe",
    ),
    (
        "mar", "vaughn", "maine", "jay", "vian", "moy", "shane", "dane", "neil", "roy", "ron",
        "keem", "reke", "quan", "von", "mari", "rick", "dre", "vaun", "rone", "shawn",
        "wayne", "lano",
    ),
)  # fmt: skip
FEMALE_NAME_PARTS = (
    (
        "Sha", "Ta", "Ki", "Ke", "La", "Ja", "Shan", "Ka", "Ni", "Tri", "Mo", "Shau", "Ker",
        "Tra", "Sa", "Ro", "Da", "Ash", "Tash", "Me", "Cha", "Ay", "Bri", "Jo", "Re",
    ),
    (
        "nique", "shana", "moya", "nisha", "isha", "toya", "nelle", "tel", "dian", "meka",
        "neka", "nice", "lene", "ana", "lia", "resha", "nae", "quel", "mika", "nika", "rika",
    ),
)  # fmt: skip
SURNAME_TAIL_SHARE = 0.4
GIVEN_NAME_TAIL_SHARE = 0.45
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "James": ("Jim", "Jimmy"),
    "Katherine": ("Kate", "Kathy"),
    "Michael": ("Mike",),
    "Richard": ("Rick", "Ricky"),
    "Anthony": ("Tony",),
    "Christopher": ("Chris",),
    "Patricia": ("Pat", "Patty"),
    "Andrew": ("Andy", "Drew"),
    "Nicholas": ("Nick",),
    "Joseph": ("Joe",),
    "Deborah": ("Debbie", "Deb"),
    "Kimberley": ("Kim",),
    "Abigail": ("Abby",),
    "Alexander": ("Alex",),
    "Samantha": ("Sam",),
    "Jennifer": ("Jen", "Jenny"),
    "Margaret": ("Maggie", "Peggy"),
    "Sandra": ("Sandy",),
    "Beverley": ("Bev",),
    "Donovan": ("Don",),
    "Daniel": ("Dan", "Danny"),
    "Samuel": ("Sam",),
    "Matthew": ("Matt",),
    "Stephen": ("Steve",),
    "Susan": ("Sue",),
    "Christine": ("Chris",),
    "Victoria": ("Vicky",),
    "Alexandra": ("Alex",),
    "Ricardo": ("Ricky",),
    "Natalie": ("Nat",),
    "Nicole": ("Nikki",),
    "Rochelle": ("Shelly",),
    "Tamara": ("Tammy",),
    "David": ("Dave",),
    "Peter": ("Pete",),
}
TRADES = (
    "Hardware",
    "Auto Parts",
    "Pharmacy",
    "Supermarket",
    "Wholesale",
    "Bakery",
    "Jerk Centre",
    "Restaurant",
    "Bar & Grill",
    "Beauty Salon",
    "Barber Shop",
    "Beauty Supplies",
    "Construction",
    "Plumbing Services",
    "Electrical Services",
    "Printery",
    "Tours",
    "Car Rental",
    "Insurance Brokers",
    "Accounting Services",
    "Dental Clinic",
    "Medical Centre",
    "Furniture",
    "Appliances",
    "Fashion",
    "Boutique",
    "Service Station",
    "Logistics",
    "Trucking",
    "Farm Supplies",
    "Coffee",
    "Guest House",
    "Villas",
    "Photography",
    "Events",
    "Catering",
    "Tech Solutions",
    "Computer Services",
    "Security Services",
    "Cleaning Services",
    "Realty",
    "Motors",
    "Tyre Shop",
    "Cookshop",
    "Patty Shop",
    "Gym",
    "Learning Centre",
    "Optical",
    "Garden Centre",
    "Hair & Nails",
)
CATEGORY = {t: t.replace("&", "and") for t in TRADES}
PLACES = (
    "Blue Mountain",
    "Montego Bay",
    "Ocho Rios",
    "Negril",
    "Portmore",
    "Half Way Tree",
    "Liguanea",
    "Mandeville",
    "Port Antonio",
    "Runaway Bay",
    "Savanna-la-Mar",
    "Spanish Town",
    "May Pen",
    "Falmouth",
    "Lucea",
    "Morant Bay",
    "Black River",
    "Treasure Beach",
    "Discovery Bay",
    "Yallahs",
    "Constant Spring",
    "New Kingston",
    "Cross Roads",
    "Papine",
    "Hope Road",
    "Boston",
    "Irish Town",
    "Linstead",
    "Old Harbour",
    "Christiana",
)
ADJECTIVES = (
    "Island",
    "Caribbean",
    "Yard",
    "Irie",
    "Tropical",
    "Sunshine",
    "Royal",
    "Golden",
    "Coral",
    "Emerald",
    "Sunrise",
    "Reggae",
    "Paradise",
    "Lion Heart",
    "Zion",
    "Rising Star",
    "One Love",
    "Ital",
    "Big Yard",
    "Front Line",
)
NOUNS = (
    "Palm",
    "Breeze",
    "Doctor Bird",
    "Ackee",
    "Mango",
    "Lignum Vitae",
    "Star",
    "Cove",
    "Ridge",
    "Harbour",
    "Spice",
    "Hummingbird",
    "Bamboo",
    "Breadfruit",
    "Pimento",
    "Sorrel",
    "Coconut",
    "Hibiscus",
)
LEGAL_SUFFIXES = ("Ltd", "Limited", "Co. Ltd.", "Ltd.", "Company Limited", "")
SUFFIX_WEIGHTS = (25, 25, 10, 10, 5, 25)

# (town, parish, uses Kingston postal zones)
TOWNS: tuple[tuple[str, str, bool], ...] = (
    ("Kingston", "Kingston", True),
    ("Kingston", "St. Andrew", True),
    ("Half Way Tree", "St. Andrew", False),
    ("Constant Spring", "St. Andrew", False),
    ("Portmore", "St. Catherine", False),
    ("Spanish Town", "St. Catherine", False),
    ("Old Harbour", "St. Catherine", False),
    ("Linstead", "St. Catherine", False),
    ("Montego Bay", "St. James", False),
    ("Mandeville", "Manchester", False),
    ("May Pen", "Clarendon", False),
    ("Ocho Rios", "St. Ann", False),
    ("St. Ann's Bay", "St. Ann", False),
    ("Negril", "Westmoreland", False),
    ("Savanna-la-Mar", "Westmoreland", False),
    ("Port Antonio", "Portland", False),
    ("Morant Bay", "St. Thomas", False),
    ("Falmouth", "Trelawny", False),
    ("Lucea", "Hanover", False),
    ("Black River", "St. Elizabeth", False),
    ("Santa Cruz", "St. Elizabeth", False),
    ("Port Maria", "St. Mary", False),
    ("Annotto Bay", "St. Mary", False),
    ("Christiana", "Manchester", False),
)
TOWN_WEIGHTS = (10, 14, 5, 4, 9, 7, 3, 2, 9, 5, 5, 4, 2, 3, 2, 2, 2, 2, 1, 2, 2, 1, 1, 1)
KINGSTON_ZONES = {
    "Kingston": (1, 2, 3, 4, 12, 13, 14, 15, 16),
    "St. Andrew": (5, 6, 8, 10, 11, 19, 20),
}
STREET_NAMES = (
    "Hope",
    "Constant Spring",
    "Barbican",
    "Molynes",
    "Red Hills",
    "Washington",
    "Waltham Park",
    "Hagley Park",
    "Mountain View",
    "Old Hope",
    "Lady Musgrave",
    "Trafalgar",
    "Knutsford",
    "Oxford",
    "Dominica",
    "Seymour",
    "Paddington",
    "Arnold",
    "Windward",
    "Spanish Town",
    "Main",
    "Church",
    "King",
    "Queen",
    "Market",
    "Gloucester",
    "Union",
    "Orange",
    "Barnett",
    "Sunset",
    "Hibiscus",
    "Palm",
    "Mahogany",
    "Poinciana",
    "Cedar",
    "Breadnut",
    "Jasmine",
    "Ocean",
    "Harbour",
    "Beechwood",
    "Eastwood Park",
    "Lyndhurst",
    "Mannings Hill",
)
STREET_QUALIFIERS = (
    "Old",
    "New",
    "Upper",
    "Lower",
    "East",
    "West",
    "North",
    "South",
    "Little",
    "Greater",
)
STREET_TYPES = (
    ("Road", "Rd"),
    ("Avenue", "Ave"),
    ("Drive", "Dr"),
    ("Street", "St"),
    ("Lane", "Ln"),
    ("Close", "Cl"),
    ("Crescent", "Cres"),
    ("Terrace", "Ter"),
)
PERSONAL_DOMAINS = (
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "cwjamaica.com",
)
PERSONAL_DOMAIN_WEIGHTS = (55, 20, 10, 5, 5, 5)
JOB_TITLES = (
    "Owner",
    "Director",
    "Manager",
    "Operations Manager",
    "Accountant",
    "Office Manager",
    "Sales Rep",
    "Purchasing Officer",
    "Supervisor",
    "Clerk",
    "CEO",
    "Administrator",
    "Procurement Manager",
    "Financial Controller",
)
REPS = (
    "Kemar Lewis",
    "Shanique Brown",
    "Omar Thompson",
    "Tashana Reid",
    "Damion Clarke",
    "Nadine Walker",
    "Ricardo Chin",
    "Alicia Gordon",
)
LEAD_STATUSES = (
    "New",
    "Open",
    "In Progress",
    "Open Deal",
    "Unqualified",
    "Attempted to Contact",
    "Connected",
    "Customer",
)
SEGMENTS = ("SMB", "Retail", "Wholesale", "Hospitality", "Professional", "Individual", "")
SHEET_STATUSES = (
    "Hot",
    "hot",
    "Warm",
    "warm",
    "Cold",
    "Follow up",
    "Called",
    "Not interested",
    "Closed",
    "",
)
SHEET_NOTES = (
    "met at expo",
    "wants price list",
    "call back Tuesday",
    "referred by client",
    "interested in bulk order",
    "asked for samples",
    "no answer",
    "left voicemail",
    "send quote",
    "WhatsApp only",
    "",
    "",
    "",
    "",
)
ITEMS: tuple[tuple[str, float], ...] = (
    ("Blue Mountain Coffee 1lb", 4800.0),
    ("Jerk Seasoning 10oz", 950.0),
    ("Consultation", 7500.0),
    ("Delivery", 1500.0),
    ("Cement Bag 42.5kg", 1650.0),
    ("Zinc Sheet 10ft", 3900.0),
    ("Paint 1gal", 6200.0),
    ("Tyre 195/65R15", 14500.0),
    ("Oil Change", 6500.0),
    ("Haircut", 1500.0),
    ("Gel Manicure", 4500.0),
    ("Catering (per head)", 2800.0),
    ("Photography Session", 25000.0),
    ("Laptop Repair", 9000.0),
    ("Printer Ink", 5200.0),
    ("Office Chair", 18500.0),
    ("Patties (dozen)", 3000.0),
    ("Bulla Cake (case)", 2400.0),
    ("Tour Package", 12000.0),
    ("Car Rental (day)", 8500.0),
    ("Security Guard (shift)", 9800.0),
    ("Cleaning Service", 11000.0),
    ("Insurance Premium", 22000.0),
    ("Rum Punch (case)", 16800.0),
)
_ITEM_IDS = {name: str(i) for i, (name, _) in enumerate(ITEMS, start=1)}
POS_CHANNELS = ("card", "Card", "cash", "Cash", "bank transfer", "Lynk", "debit card", "cheque")
INTERACTION_TYPES = (
    ("call", "Call", "Phone Call", "call"),
    ("whatsapp", "WhatsApp", "WA"),
    ("email", "Email", "E-mail"),
    ("visit", "Visit", "In person", "site visit"),
    ("meeting", "Meeting", "Zoom"),
)
INTERACTION_TYPE_WEIGHTS = (35, 25, 15, 15, 10)
SUBJECTS = (
    "Follow-up",
    "Price enquiry",
    "Quote sent",
    "Delivery issue",
    "Payment reminder",
    "New order",
    "Intro call",
    "Product demo",
    "Complaint",
    "Renewal",
    "",
)
OUTCOMES = ("Follow-up", "Won", "Lost", "No answer", "Left message", "Scheduled", "Quoted", "")
BIOS = (
    "Kingston based",
    "Living my best life",
    "God first",
    "Proud Jamaican",
    "Foodie | Traveller",
    "Entrepreneur",
    "Nurse",
    "Teacher",
    "Photographer",
    "DJ",
    "Lawyer",
    "Engineer",
    "Blessed & highly favoured",
    "UWI alumni",
    "",
)
BIOS_FEMALE = (*BIOS, "Mom of 2", "Wife | Mother | Believer", "Nail tech")
BIOS_MALE = (*BIOS, "Dad | Husband | Coach", "Football fanatic", "Selector")

MOBILE_EXCHANGES = tuple(range(300, 500)) + tuple(range(501, 600)) + tuple(range(800, 900))
LANDLINE_EXCHANGES = tuple(range(920, 990)) + tuple(range(710, 770))


# --------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    out_dir: Path
    people: int
    businesses: int
    seed: int
    rows: dict[str, int] = field(default_factory=dict)  # file -> rows written
    bad_rows: dict[str, int] = field(default_factory=dict)  # file -> planted bad rows
    defect_rows: dict[str, int] = field(default_factory=dict)  # file -> rows with a defect
    records: int = 0  # rows of the record files (persons and businesses)
    activities: int = 0  # rows of the activity files
    derived_records: int = 0  # "org:" business records the profiles derive
    referrals: int = 0
    namesake_share: float = 0.0  # of people, those whose full name another person has too
    seconds: float = 0.0

    @property
    def total_records(self) -> int:
        return self.records


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


class _Weighted:
    """Fast weighted choice from a fixed table."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        running = 0.0
        cum: list[float] = []
        for w in weights:
            running += w
            cum.append(running)
        self.cum = cum
        self.total = running

    def pick(self, rng: Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


_TOWN = _Weighted(TOWNS, TOWN_WEIGHTS)
_SUFFIX = _Weighted(LEGAL_SUFFIXES, SUFFIX_WEIGHTS)
_PERSONAL_DOMAIN = _Weighted(PERSONAL_DOMAINS, PERSONAL_DOMAIN_WEIGHTS)
_HOUSEHOLD_SIZE = _Weighted((1, 2, 3, 4, 5), (40, 25, 18, 12, 5))
_ITYPE = _Weighted(INTERACTION_TYPES, INTERACTION_TYPE_WEIGHTS)
_FEW = _Weighted((0, 1, 2, 3, 4), (45, 30, 15, 7, 3))
_QBO_TXNS = _Weighted((0, 1, 2, 3, 4, 5), (28, 30, 20, 12, 6, 4))


def _name_pool(head: Sequence[str], tail: Sequence[str], tail_share: float, q: int) -> _Weighted:
    """The head's names weighted 1 / (rank + q) (Zipf-Mandelbrot), then the tail's names
    (those not already in the head), each as likely as the others, `tail_share` of them all."""
    known = {name.casefold() for name in head}
    rest = [name for name in dict.fromkeys(tail) if name.casefold() not in known]
    head_weights = [1 / (rank + q) for rank in range(1, len(head) + 1)]
    scale = (1 - tail_share) / sum(head_weights)
    weights = [w * scale for w in head_weights] + [tail_share / len(rest)] * len(rest)
    return _Weighted((*head, *rest), weights)


def _compounds(parts: tuple[Sequence[str], Sequence[str]]) -> list[str]:
    return [first + second for first in parts[0] for second in parts[1]]


_SURNAME = _name_pool(
    SURNAMES, _compounds(SURNAME_PARTS) + list(MAC_SURNAMES), SURNAME_TAIL_SHARE, 8
)
_MALE_NAME = _name_pool(MALE_NAMES, _compounds(MALE_NAME_PARTS), GIVEN_NAME_TAIL_SHARE, 10)
_FEMALE_NAME = _name_pool(FEMALE_NAMES, _compounds(FEMALE_NAME_PARTS), GIVEN_NAME_TAIL_SHARE, 10)

_D2016 = date(2016, 1, 1).toordinal()
_D2025 = date(2025, 6, 30).toordinal()
_ACTIVITY_FROM = _D2016 + 1500  # activity dates fall in [_ACTIVITY_FROM, _D2025]
_DOB_FROM = date(1950, 1, 1).toordinal()
_DOB_TO = date(2006, 12, 31).toordinal()
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def _rr(rng: Random, start: int, stop: int | None = None) -> int:
    """randrange(start, stop) without its argument checking (the hot path calls it a lot)."""
    if stop is None:
        return int(rng.random() * start)
    return start + int(rng.random() * (stop - start))


@lru_cache(maxsize=1 << 14)
def _slug(text: str) -> str:
    return "".join(ch for ch in normalise.fold(text) if ch in _ALNUM)


def _typo(rng: Random, text: str) -> str:
    """One human slip: swap two neighbours, drop or double a letter (not the first)."""
    if len(text) < 4:
        return text
    i = _rr(rng, 1, len(text) - 1)
    roll = rng.random()
    if roll < 0.4 and text[i].isalpha() and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if not text[i].isalpha():
        return text
    if roll < 0.75:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def _strip_accents(text: str) -> str:
    return text.translate(_ACCENTS) if not text.isascii() else text


_ACCENTS = str.maketrans("éèëêáàäíïóöúüçÉÈËÁÀÍÓÚÇ", "eeeeaaaiioouucEEEAAIOUC")


def _pick(rng: Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


class _Numbers:
    """Jamaican phone numbers drawn without replacement: a keyed Feistel permutation of
    0..2^k-1 (cycle-walked into the range), so consecutive draws look unrelated."""

    def __init__(self, rng: Random, exchanges: Sequence[int]) -> None:
        self.exchanges = tuple(exchanges)
        self.size = len(self.exchanges) * 10_000
        bits = max(2, (self.size - 1).bit_length())
        bits += bits % 2
        self.half = bits // 2
        self.mask = (1 << self.half) - 1
        self.keys = tuple(rng.getrandbits(32) for _ in range(4))
        self.next = 0

    def _permute(self, n: int) -> int:
        half, mask = self.half, self.mask
        left, right = n >> half, n & mask
        for key in self.keys:
            left, right = right, left ^ (((right * 0x9E3779B1) ^ key) * 0x85EBCA6B >> 7 & mask)
        return (left << half) | right

    def take(self) -> str:
        """The next number, ten digits ("876" + exchange + line); after `size` draws the
        sequence starts over (more numbers than the ranges hold)."""
        n = self.next % self.size
        self.next += 1
        n = self._permute(n)
        while n >= self.size:
            n = self._permute(n)
        exchange, line = divmod(n, 10_000)
        return f"876{self.exchanges[exchange]}{line:04d}"


def _fmt_phone(rng: Random, digits: str) -> str:
    """A ten-digit 876 number the way people write it."""
    a, b, c = digits[:3], digits[3:6], digits[6:]
    roll = rng.random()
    if roll < 0.30:
        return f"{a}-{b}-{c}"
    if roll < 0.45:
        return f"({a}) {b}-{c}"
    if roll < 0.53:
        return f"({a}) {b} {c}"
    if roll < 0.63:
        return f"{a} {b} {c}"
    if roll < 0.75:
        return digits
    if roll < 0.83:
        return f"+1 {a} {b} {c}"
    if roll < 0.87:
        return f"+1 ({a}) {b}-{c}"
    if roll < 0.91:
        return f"1-{a}-{b}-{c}"
    if roll < 0.94:
        return f"{b}-{c}"
    if roll < 0.97:
        return f"{b}{c}"
    return f"{a}.{b}.{c}"


def _fmt_date(rng: Random, ordinal: int, style: str) -> str:
    d = date.fromordinal(ordinal)
    if style == "iso":
        return d.isoformat()
    roll = rng.random()
    if style == "human":
        if roll < 0.45:
            return f"{d.day}/{d.month}/{d.year}"
        if roll < 0.75:
            return f"{d.strftime('%b')} {d.day}, {d.year}"
        if roll < 0.9:
            return d.isoformat()
        return f"{d.day} {d.strftime('%B')} {d.year}"
    # dmy or iso
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if roll < 0.5 else d.isoformat()


# --------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------


class _Address:
    __slots__ = ("number", "parish", "street", "street_type", "town", "zone")

    def __init__(self, rng: Random) -> None:
        town, parish, zoned = _TOWN.pick(rng)
        self.town: str = town
        self.parish: str = parish
        self.zone: int = _pick(rng, KINGSTON_ZONES[parish]) if zoned else 0
        self.number = _rr(rng, 1, 400)
        street = _pick(rng, STREET_NAMES)
        if rng.random() < 0.5:
            street = f"{_pick(rng, STREET_QUALIFIERS)} {street}"
        self.street = street
        self.street_type = _pick(rng, STREET_TYPES)

    def line1(self, rng: Random) -> str:
        full, short = self.street_type
        kind = short if rng.random() < 0.5 else full
        if kind == short and rng.random() < 0.1:
            kind += "."
        lot = f"Lot {self.number}" if rng.random() < 0.03 else str(self.number)
        return f"{lot} {self.street} {kind}"

    def city(self, rng: Random) -> str:
        if self.zone:
            roll = rng.random()
            if roll < 0.6:
                return f"Kingston {self.zone}"
            if roll < 0.8:
                return f"Kgn {self.zone}"
            return "Kingston"
        return self.town

    def parish_text(self, rng: Random) -> str:
        roll = rng.random()
        if roll < 0.8:
            return self.parish
        if roll < 0.85:
            return self.parish.replace("St. ", "St ")
        if roll < 0.9:
            return self.parish.replace("St. ", "Saint ")
        return self.parish.upper() if roll < 0.95 else ""


class _Business:
    __slots__ = (
        "address",
        "category",
        "domain",
        "email",
        "handle",
        "id",
        "index",
        "mobile",
        "name",
        "phone",
        "suffix",
    )

    def __init__(
        self,
        index: int,
        name: str,
        trade: str,
        rng: Random,
        numbers: _Numbers,
        mobiles: _Numbers,
        slugs: set[str],
    ) -> None:
        self.index = index
        self.id = f"B{index:06d}"
        self.name = name
        self.suffix = _SUFFIX.pick(rng)
        self.category = CATEGORY[trade]
        self.address = _Address(rng)
        self.phone = numbers.take()
        self.mobile = mobiles.take() if rng.random() < 0.3 else None
        slug = _slug(name)
        if slug in slugs:
            slug = f"{slug}{index}"
        slugs.add(slug)
        roll = rng.random()
        self.domain = (
            f"{slug}.com.jm"
            if roll < 0.2
            else f"{slug}.com"
            if roll < 0.4
            else f"{slug}ja.com"
            if roll < 0.45
            else None
        )
        if self.domain is not None:
            self.email: str | None = (
                f"info@{self.domain}" if rng.random() < 0.75 else f"sales@{self.domain}"
            )
        elif rng.random() < 0.6:
            self.email = f"{slug}{_pick(rng, ('', 'ja', '876', 'jm'))}@gmail.com"
        else:
            self.email = None
        self.handle = (
            f"{slug}{_pick(rng, ('', '', '_ja', 'ja', '876', '_jm'))}"
            if rng.random() < 0.5
            else None
        )

    def display(self, rng: Random, suffix_habit: float = 0.7) -> str:
        """The company as one source writes it: suffix, case, '&' variants, typos."""
        name = self.name
        if rng.random() < 0.15 and " & " in name:
            name = name.replace(" & ", " and ")
        if rng.random() < 0.03:
            name = _typo(rng, name)
        suffix = self.suffix if rng.random() < suffix_habit else _SUFFIX.pick(rng)
        text = f"{name} {suffix}".strip()
        roll = rng.random()
        if roll < 0.06:
            return text.upper()
        if roll < 0.09:
            return text.lower()
        if roll < 0.12:
            return "The " + text
        return text


# Customer lifecycle (see the module docstring): churns per year before the effects,
# log hazard ratios, and the log effects on the pace of the first purchase.
CHURN_BASE_HAZARD = {"person": 0.45, "business": 0.25}
CHURN_EFFECTS = {"referred": -0.9, "employed": -0.4, "household": -0.3, "social": -0.3}
CHURN_FRAILTY_SIGMA = 0.5
PURCHASE_EFFECTS = {"referred": 1.0, "household": 0.4, "employed": 0.3}


class _Lifecycle:
    """When one entity's activities happen: from `joined` to `ends` (its churn, or the
    window's end), purchases from `first_purchase` on."""

    __slots__ = ("ends", "first_purchase", "joined", "truth")
    truth: dict[str, Any]

    def __init__(self, rng: Random, entity: str, kind: str, covariates: dict[str, bool]) -> None:
        self.joined = _rr(rng, _ACTIVITY_FROM, _D2025 + 1)
        log_hazard = sum(CHURN_EFFECTS.get(k, 0.0) for k, on in covariates.items() if on)
        hazard = CHURN_BASE_HAZARD[kind] * math.exp(log_hazard)
        hazard *= rng.lognormvariate(0.0, CHURN_FRAILTY_SIGMA)
        churn = self.joined + int(rng.expovariate(hazard) * 365.25)
        self.ends = min(churn, _D2025)
        pace = math.exp(sum(PURCHASE_EFFECTS.get(k, 0.0) for k, on in covariates.items() if on))
        self.first_purchase = self.joined + int((self.ends - self.joined) * rng.random() ** pace)
        self.truth = {
            "type": "lifecycle",
            "entity": entity,
            "kind": kind,
            "joined": date.fromordinal(self.joined).isoformat(),
            "churned": date.fromordinal(churn).isoformat() if churn <= _D2025 else None,
            "first_purchase": date.fromordinal(self.first_purchase).isoformat(),
            "churn_hazard": round(hazard, 4),
            "purchase_pace": round(pace, 4),
            "covariates": dict(covariates),
        }

    def interaction_date(self, rng: Random) -> date:
        return date.fromordinal(_rr(rng, self.joined, self.ends + 1))

    def transaction_date(self, rng: Random) -> date:
        return date.fromordinal(_rr(rng, self.first_purchase, self.ends + 1))


# Group events (their own random stream `Random(f"{seed}:events")`): a person's record
# attends one of the events open at the time with ATTEND_RATE per record that has had an
# activity, and only events dated inside that person's lifecycle. An event closes when it
# reaches its size and a new one of a kind drawn by EVENT_KINDS' weights takes its place.
ATTEND_RATE = 0.4
OPEN_EVENTS = 8
# (name, weight, fewest, most attendees)
EVENT_KINDS: tuple[tuple[str, int, int, int], ...] = (
    ("Group meeting", 55, 3, 6),
    ("Customer breakfast", 15, 8, 20),
    ("Product workshop", 15, 8, 20),
    ("Business seminar", 10, 15, 40),
    ("Trade expo", 5, 60, 500),
)
_EVENT_KIND = _Weighted(EVENT_KINDS, [k[1] for k in EVENT_KINDS])


class _Event:
    __slots__ = ("attendees", "day", "id", "name", "size")

    def __init__(self, rng: Random, seq: int) -> None:
        kind, _, fewest, most = _EVENT_KIND.pick(rng)
        town = _pick(rng, TOWNS)[0]
        self.id = f"EVT-{seq:06d}"
        self.day = _rr(rng, _ACTIVITY_FROM, _D2025 + 1)
        self.name = f"{kind}, {town}, {date.fromordinal(self.day).year}"
        self.size = _rr(rng, fewest, most + 1)
        self.attendees = 0


# Instagram follows (their own random stream `Random(f"{seed}:follows")`): a listed
# person follows listed housemates (0.7 each; followed back 0.7), the employer's account
# (0.5) and a few others (exponential, mean FOLLOW_MEAN, at most FOLLOW_MOST), half of
# them among the last FOLLOW_WINDOW listed people (followed back 0.4), half among an
# older pool. Person rows wait in that window so a later follower's follow-back can still
# be added; they are written in their original order, so instagram.jsonl differs from
# the file without follows only by the rows' "follows" lists.
FOLLOW_MEAN = 2.0
FOLLOW_MOST = 8
FOLLOW_WINDOW = 300
FOLLOW_POOL = 2000


class _Listed:
    """A person's Instagram row waiting to be written."""

    __slots__ = ("follows", "handle", "row")

    def __init__(self, handle: str, row: dict[str, Any]) -> None:
        self.handle = handle
        self.row = row
        self.follows: list[str] = []

    def follow(self, handle: str) -> None:
        if handle != self.handle and handle not in self.follows:
            self.follows.append(handle)


class _Person:
    __slots__ = (
        "address",
        "business",
        "dob",
        "email",
        "family",
        "female",
        "given",
        "handle",
        "household_email",
        "id",
        "index",
        "landline",
        "mobile",
        "old_mobile",
        "work_email",
    )

    def __init__(
        self, index: int, address: _Address, landline: str | None, household_email: str | None
    ) -> None:
        self.index = index
        self.id = f"P{index:07d}"
        self.address = address
        self.landline = landline
        self.household_email = household_email
        self.female = False
        self.given = ""
        self.family = ""
        self.mobile = ""
        self.old_mobile: str | None = None
        self.dob = 0  # date ordinal, 0 = unknown
        self.email: str | None = None
        self.business: _Business | None = None
        self.work_email: str | None = None
        self.handle: str | None = None


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------


class _JsonArray:
    """Streams the items of a JSON array into a file opened elsewhere."""

    def __init__(self, out: IO[bytes], indent: bytes = b"  ") -> None:
        self.out = out
        self.first = True
        self.indent = indent
        self.count = 0

    def add(self, item: Any) -> None:
        self.out.write((b"\n" if self.first else b",\n") + self.indent + orjson.dumps(item))
        self.first = False
        self.count += 1


class _Files:
    def __init__(self, out_dir: Path) -> None:
        self.dir = out_dir
        self.crm_f = open(out_dir / "crm_contacts.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.sheets_f = open(out_dir / "sheets_leads.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.inter_f = open(out_dir / "interactions.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.pos_f = open(out_dir / "transactions.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.crm = csv.writer(self.crm_f)
        self.sheets = csv.writer(self.sheets_f)
        self.inter = csv.writer(self.inter_f)
        self.pos = csv.writer(self.pos_f)
        self.crm.writerow(CRM_HEADER)
        self.sheets.writerow(SHEETS_HEADER)
        self.inter.writerow(INTERACTIONS_HEADER)
        self.pos.writerow(TRANSACTIONS_HEADER)

        self.directory_f = open(out_dir / "directory.json", "wb")  # noqa: SIM115
        self.directory_f.write(b"[")
        self.directory = _JsonArray(self.directory_f, b"")
        self.customers_f = open(out_dir / "qbo_customers.json", "wb")  # noqa: SIM115
        self.customers_f.write(b'{"QueryResponse": {"Customer": [')
        self.customers = _JsonArray(self.customers_f, b"  ")
        self.invoices_f = open(out_dir / "qbo_transactions.json", "wb")  # noqa: SIM115
        self.invoices_f.write(b'{"QueryResponse": {"Invoice": [')
        self.invoices = _JsonArray(self.invoices_f, b"  ")
        self.receipts_path = out_dir / ".qbo_salesreceipts.part"
        self.receipts_f = open(self.receipts_path, "wb")  # noqa: SIM115
        self.receipts = _JsonArray(self.receipts_f, b"  ")
        self.instagram_f = open(out_dir / "instagram.jsonl", "wb")  # noqa: SIM115
        self.truth_f = open(out_dir / "truth.jsonl", "wb")  # noqa: SIM115

    def close(self, stamp: str) -> None:
        for f in (
            self.crm_f,
            self.sheets_f,
            self.inter_f,
            self.pos_f,
            self.instagram_f,
            self.truth_f,
        ):
            f.close()
        self.directory_f.write(b"\n]\n")
        self.directory_f.close()
        self.customers_f.write(b'\n]}, "time": ' + orjson.dumps(stamp) + b"}\n")
        self.customers_f.close()
        self.receipts_f.close()
        self.invoices_f.write(b'\n], "SalesReceipt": [')
        with open(self.receipts_path, "rb") as part:
            shutil.copyfileobj(part, self.invoices_f, 1 << 20)
        self.invoices_f.write(b'\n]}, "time": ' + orjson.dumps(stamp) + b"}\n")
        self.invoices_f.close()
        self.receipts_path.unlink()

    def abort(self) -> None:
        for f in (
            self.crm_f,
            self.sheets_f,
            self.inter_f,
            self.pos_f,
            self.instagram_f,
            self.truth_f,
            self.directory_f,
            self.customers_f,
            self.invoices_f,
            self.receipts_f,
        ):
            f.close()
        self.receipts_path.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _company_key(text: str) -> str | None:
    try:
        name = normalise.company_name(text)
    except normalise.InvalidValue:
        return None
    return name.key if name is not None and name.key else None


class _Generator:
    def __init__(
        self, out_dir: Path, people: int, seed: int, progress: Callable[[int], None] | None
    ) -> None:
        self.rng = Random(seed)
        # The lifecycle stream: never the main one, so record files do not depend on it.
        self.life_rng = Random(f"{seed}:lifecycle")
        # Events and follows: streams of their own too (see ATTEND_RATE, FOLLOW_MEAN).
        self.event_rng = Random(f"{seed}:events")
        self.follow_rng = Random(f"{seed}:follows")
        self.events: list[_Event] = []
        self.event_seq = 0
        self.attendance_seq = 0
        self.listed: deque[_Listed] = deque()  # person rows waiting (FOLLOW_WINDOW)
        self.housemates: list[_Listed] = []  # the current household's listed people
        self.follow_pool: list[str] = []  # handles of older listed people
        self.business_handles: set[str] = set()  # businesses listed on Instagram
        self.subject: tuple[str, str, dict[str, bool]] | None = None  # id, kind, covariates
        self.life: _Lifecycle | None = None
        self.household_size = 1  # of the person being written
        self.seed = seed
        self.people = people
        self.progress = progress
        self.files = _Files(out_dir)
        self.mobiles = _Numbers(self.rng, MOBILE_EXCHANGES)
        self.landlines = _Numbers(self.rng, LANDLINE_EXCHANGES)
        self.businesses: list[_Business] = []
        self.derived: set[str] = set()
        self.referral_pool: list[tuple[str, str, str]] = []  # (id, given, family)
        self.full_names: Counter[tuple[str, str]] = Counter()  # for namesake_share
        self.summary = DemoSummary(out_dir=out_dir, people=people, businesses=0, seed=seed)
        self.rows = dict.fromkeys((f for f, _, _ in FILES), 0)
        self.bad = dict.fromkeys((f for f, _, _ in FILES), 0)
        self.defects = dict.fromkeys((f for f, _, _ in FILES), 0)
        self.crm_seq = 0
        self.lead_seq = 0
        self.qbo_seq = 0
        self.invoice_seq = 0
        self.receipt_seq = 0
        self.doc_seq = 1000
        self.listing_seq = 0
        self.interaction_seq = 0
        self.pos_seq = 0
        self.referrals = 0

    # ---- truth ------------------------------------------------------------------------

    def truth(self, key: str, entity: str, kind: str, bad: bool = False) -> None:
        line: dict[str, Any] = {"type": "record", "key": key, "entity": entity, "kind": kind}
        if bad:
            line["bad"] = True
        self.files.truth_f.write(orjson.dumps(line) + b"\n")

    def derived_truth(self, source: str, company: str, biz: _Business) -> None:
        key = _company_key(company)
        if key is None:
            return
        full = f"{source}:org:{key}"
        if full in self.derived:
            return
        self.derived.add(full)
        self.files.truth_f.write(
            orjson.dumps(
                {
                    "type": "record",
                    "key": full,
                    "entity": biz.id,
                    "kind": "business",
                    "derived": True,
                }
            )
            + b"\n"
        )

    # ---- lifecycle ----------------------------------------------------------------------

    def begin_entity(self, entity: str, kind: str, **covariates: bool) -> None:
        """The entity whose rows come next; its lifecycle is drawn at its first activity."""
        self.subject = (entity, kind, covariates)
        self.life = None

    def activity_date(self, transaction: bool) -> date:
        """The date of the current entity's next activity, from the lifecycle stream."""
        if self.life is None:
            assert self.subject is not None, "an activity outside any entity"
            entity, kind, covariates = self.subject
            self.life = _Lifecycle(self.life_rng, entity, kind, covariates)
            self.files.truth_f.write(orjson.dumps(self.life.truth) + b"\n")
        if transaction:
            return self.life.transaction_date(self.life_rng)
        return self.life.interaction_date(self.life_rng)

    # ---- people's values as sources write them ------------------------------------------

    def given_as_written(self, p: _Person, nickname_rate: float) -> tuple[str, bool]:
        rng = self.rng
        given = p.given
        defect = False
        nicks = NICKNAMES.get(given)
        if nicks and rng.random() < nickname_rate:
            given = _pick(rng, nicks)
            defect = True
        if not given.isascii() and rng.random() < 0.5:
            given = _strip_accents(given)
        if rng.random() < 0.04:
            given = _typo(rng, given)
            defect = True
        return given, defect

    def family_as_written(self, p: _Person) -> tuple[str, bool]:
        if self.rng.random() < 0.02:
            return _typo(self.rng, p.family), True
        return p.family, False

    def full_name(
        self, p: _Person, nickname_rate: float, swap_rate: float, case_rate: float
    ) -> tuple[str, bool]:
        rng = self.rng
        given, d1 = self.given_as_written(p, nickname_rate)
        family, d2 = self.family_as_written(p)
        defect = d1 or d2
        roll = rng.random()
        if roll < swap_rate:
            text = f"{family}, {given}"
            defect = True
        elif roll < swap_rate + 0.02:
            text = f"{given[0]}. {family}"
            defect = True
        else:
            text = f"{given} {family}"
        roll = rng.random()
        if roll < case_rate:
            text = text.upper()
            defect = True
        elif roll < case_rate * 2:
            text = text.lower()
            defect = True
        return text, defect

    def phone_as_written(self, p: _Person, landline_ok: bool = True) -> tuple[str, bool]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            return "", False
        if p.old_mobile and rng.random() < 0.25:
            return _fmt_phone(rng, p.old_mobile), True
        if landline_ok and p.landline and rng.random() < 0.15:
            return _fmt_phone(rng, p.landline), False
        return _fmt_phone(rng, p.mobile), False

    def email_as_written(self, p: _Person, prefer_work: bool) -> tuple[str, bool]:
        rng = self.rng
        if rng.random() < 0.2:
            return "", False
        candidates: list[str] = []
        if prefer_work and p.work_email:
            candidates.append(p.work_email)
        if p.email:
            candidates.append(p.email)
        if not prefer_work and p.work_email:
            candidates.append(p.work_email)
        if p.household_email and rng.random() < 0.15:
            return p.household_email, True
        if p.business is not None and prefer_work and rng.random() < 0.08:
            shared = p.business.email
            if shared:
                return shared, True
        if not candidates:
            return "", False
        address = candidates[0]
        roll = rng.random()
        if roll < 0.03:
            return address.upper() if rng.random() < 0.5 else address.capitalize(), True
        if roll < 0.05 and address.endswith("@gmail.com"):
            local = address.split("@")[0].replace(".", "")
            cut = _rr(rng, 1, len(local)) if len(local) > 1 else 1
            return f"{local[:cut]}.{local[cut:]}@gmail.com", True
        if roll < 0.06:
            local, _, domain = address.partition("@")
            return f"{_typo(rng, local)}@{domain}", True
        return address, False

    # ---- bad values ---------------------------------------------------------------------

    BAD_PHONES = ("n/a call me", "876-55-123", "call me", "555-12", "ask for Tanya", "8765")
    BAD_EMAILS = (
        "bob at gmail",
        "no email",
        "jdoe@",
        "@gmail.com",
        "marlon@@yahoo.com",
        "see notes",
    )

    def long_text(self) -> str:
        return ("Customer called again about the order; " * 40)[:1500]

    # ---- businesses ---------------------------------------------------------------------

    def make_businesses(self) -> None:
        rng = self.rng
        count = max(3, round(self.people / PEOPLE_PER_BUSINESS))
        seen: set[str] = set()
        slugs: set[str] = set()
        all_given = MALE_NAMES + FEMALE_NAMES
        for index in range(1, count + 1):
            for _attempt in range(8):
                trade = _pick(rng, TRADES)
                roll = rng.random()
                if roll < 0.2:
                    name = f"{_pick(rng, PLACES)} {trade}"
                elif roll < 0.4:
                    owner = _pick(rng, SURNAMES)
                    name = f"{owner}' {trade}" if owner.endswith("s") else f"{owner}'s {trade}"
                elif roll < 0.5:
                    name = f"{_pick(rng, SURNAMES)} & Sons {trade}"
                elif roll < 0.7:
                    name = f"{_pick(rng, ADJECTIVES)} {_pick(rng, NOUNS)} {trade}"
                elif roll < 0.8:
                    name = f"{_pick(rng, ADJECTIVES)} {trade}"
                else:
                    name = f"{_strip_accents(_pick(rng, all_given))} {_pick(rng, SURNAMES)} {trade}"
                key = normalise.fold(name)
                if key not in seen:
                    break
            else:
                name = f"{name} {index}"
                key = normalise.fold(name)
            seen.add(key)
            self.businesses.append(
                _Business(index, name, trade, rng, self.landlines, self.mobiles, slugs)
            )
        self.summary.businesses = count

    def write_businesses(self) -> None:
        rng = self.rng
        for biz in self.businesses:
            self.begin_entity(biz.id, "business")
            placed = False
            if rng.random() < 0.65:
                self.directory_row(biz)
                placed = True
            if rng.random() < 0.35:
                self.qbo_business_row(biz)
                placed = True
            if biz.handle and rng.random() < 0.8:
                self.instagram_business_row(biz)
                placed = True
            if rng.random() < 0.12:
                self.sheets_business_row(biz)
                placed = True
            if not placed:
                self.directory_row(biz)

    def directory_row(self, biz: _Business) -> None:
        rng = self.rng
        self.listing_seq += 1
        listing_id: int | str = 100000 + self.listing_seq
        if rng.random() < 0.3:
            listing_id = f"YP-{listing_id}"
        bad = rng.random() < BAD_RATE_RECORDS
        defect = False
        name = biz.display(rng, 0.85)
        if name != f"{biz.name} {biz.suffix}".strip():
            defect = True
        phones = [_fmt_phone(rng, biz.phone)]
        if biz.mobile and rng.random() < 0.5:
            phones.append(_fmt_phone(rng, biz.mobile))
        addr = biz.address
        row: dict[str, Any] = {
            "listingId": listing_id,
            "businessName": name,
            "categories": [biz.category] + (["Services"] if rng.random() < 0.2 else []),
            "phones": phones,
        }
        if biz.email and rng.random() < 0.5:
            row["email"] = biz.email
        if biz.domain and rng.random() < 0.8:
            row["website"] = _pick(rng, ("http://www.", "https://", "www.", "")) + biz.domain
        address: dict[str, str] = {"city": addr.city(rng), "parish": addr.parish_text(rng)}
        if rng.random() < 0.85:
            address["street"] = addr.line1(rng)
        row["address"] = address
        if rng.random() < 0.6:
            row["rating"] = round(rng.uniform(2.5, 5.0), 1)
            row["reviewCount"] = _rr(rng, 1, 400)
        if rng.random() < 0.7:
            row["hours"] = (
                {"Mon-Fri": "8:00-17:00", "Sat": "9:00-14:00"}
                if rng.random() < 0.6
                else "Mon-Sat 8am-6pm"
            )
        if bad:
            kind = rng.random()
            if kind < 0.4:
                row["phones"] = [_pick(rng, self.BAD_PHONES)]
            elif kind < 0.7:
                row["email"] = _pick(rng, self.BAD_EMAILS)
            elif kind < 0.85:
                for k in ("businessName", "phones", "email", "website"):
                    row.pop(k, None)
            else:
                row["description"] = self.long_text()
        self.files.directory.add(row)
        self.count("directory.json", bad, defect)
        self.truth(f"directory:{listing_id}", biz.id, "business", bad)

    def qbo_business_row(self, biz: _Business) -> None:
        rng = self.rng
        self.qbo_seq += 1
        qid = str(self.qbo_seq)
        bad = rng.random() < BAD_RATE_RECORDS
        name = biz.display(rng, 0.9)
        addr = biz.address
        row: dict[str, Any] = {
            "Id": qid,
            "SyncToken": "0",
            "DisplayName": name,
            "CompanyName": name,
            "PrintOnCheckName": name,
            "PrimaryPhone": {"FreeFormNumber": _fmt_phone(rng, biz.phone)},
            "BillAddr": {
                "Id": str(self.qbo_seq + 5000),
                "Line1": addr.line1(rng),
                "City": addr.city(rng),
                "CountrySubDivisionCode": addr.parish_text(rng),
                "Country": "Jamaica",
            },
            "Balance": round(rng.random() * 50000, 2) if rng.random() < 0.3 else 0,
            "CurrencyRef": {"value": "JMD", "name": "Jamaican Dollar"},
            "Active": rng.random() < 0.95,
            "Taxable": True,
            "MetaData": self.qbo_meta(),
        }
        if biz.email:
            row["PrimaryEmailAddr"] = {"Address": biz.email}
        if biz.domain and rng.random() < 0.6:
            row["WebAddr"] = {"URI": f"https://www.{biz.domain}"}
        if bad:
            self.make_qbo_bad(row)
        self.files.customers.add(row)
        self.count("qbo_customers.json", bad, name != f"{biz.name} {biz.suffix}".strip())
        self.truth(f"qbo:{qid}", biz.id, "business", bad)
        if not bad:
            self.qbo_transactions(qid, name)

    def make_qbo_bad(self, row: dict[str, Any]) -> None:
        rng = self.rng
        kind = rng.random()
        if kind < 0.45:
            row["PrimaryEmailAddr"] = {"Address": _pick(rng, self.BAD_EMAILS)}
        elif kind < 0.8:
            row["PrimaryPhone"] = {"FreeFormNumber": _pick(rng, self.BAD_PHONES)}
        else:
            row["Notes"] = self.long_text()

    def qbo_meta(self) -> dict[str, str]:
        d = date.fromordinal(_rr(self.rng, _D2016, _D2025))
        h, m = _rr(self.rng, 8, 18), _rr(self.rng, 60)
        return {
            "CreateTime": f"{d.isoformat()}T{h:02d}:{m:02d}:00-05:00",
            "LastUpdatedTime": f"{(d + timedelta(days=_rr(self.rng, 0, 400))).isoformat()}"
            f"T{h:02d}:{m:02d}:00-05:00",
        }

    def instagram_business_row(self, biz: _Business) -> None:
        rng = self.rng
        assert biz.handle is not None
        bad = rng.random() < BAD_RATE_RECORDS
        town = biz.address.town
        row: dict[str, Any] = {
            "username": biz.handle if rng.random() < 0.9 else "@" + biz.handle,
            "full_name": biz.name + (" 🇯🇲" if rng.random() < 0.1 else ""),
            "biography": f"{biz.category} in {town} | Open Mon-Sat"
            + (" | DM to order" if rng.random() < 0.4 else ""),
            "business_category_name": biz.category,
            "follower_count": int(rng.paretovariate(1.2) * 300),
            "following_count": _rr(rng, 50, 2000),
            "city_name": town,
            "is_business_account": True,
        }
        roll = rng.random()
        if biz.domain and roll < 0.6:
            row["external_url"] = f"https://{biz.domain}"
        elif roll < 0.8:
            row["external_url"] = f"https://linktr.ee/{biz.handle}"
        elif roll < 0.9:
            row["external_url"] = f"https://wa.me/1{biz.mobile or biz.phone}"
        if biz.email and rng.random() < 0.6:
            row["business_email"] = biz.email
        if rng.random() < 0.6:
            number = biz.mobile or biz.phone
            if rng.random() < 0.5:
                row["business_phone_number"] = number
                row["public_phone_country_code"] = "1"
            else:
                row["business_phone_number"] = _fmt_phone(rng, number)
        if bad:
            kind = rng.random()
            if kind < 0.5:
                row["business_email"] = _pick(rng, self.BAD_EMAILS)
            elif kind < 0.8:
                row["business_phone_number"] = _pick(rng, self.BAD_PHONES)
                row.pop("public_phone_country_code", None)
            else:
                row["biography"] = self.long_text()
        self.files.instagram_f.write(orjson.dumps(row) + b"\n")
        self.count("instagram.jsonl", bad, False)
        self.truth(f"instagram:{biz.handle}", biz.id, "business", bad)
        if not bad:
            self.business_handles.add(biz.handle)
        if not bad:
            self.pos_transactions("instagram", biz.handle, 0.25)

    def sheets_business_row(self, biz: _Business) -> None:
        rng = self.rng
        self.lead_seq += 1
        lead_id = f"L-{self.lead_seq:05d}"
        bad = rng.random() < BAD_RATE_RECORDS
        name = biz.display(rng, 0.3)
        phone = _fmt_phone(rng, biz.mobile or biz.phone) if rng.random() < 0.8 else ""
        addr = biz.address
        location = (
            addr.town
            if rng.random() < 0.6
            else (addr.parish if rng.random() < 0.5 else f"{addr.town}, {addr.parish}")
        )
        row = [
            lead_id,
            "",
            name,
            phone,
            (biz.email or "") if rng.random() < 0.5 else "",
            location,
            ("@" + biz.handle) if biz.handle and rng.random() < 0.5 else "",
            _pick(rng, SHEET_NOTES),
            _pick(rng, REPS).split()[0],
            _pick(rng, SHEET_STATUSES),
            self.sheet_date(),
        ]
        if bad:
            self.make_sheet_bad(row)
        self.files.sheets.writerow(row)
        self.count("sheets_leads.csv", bad, name != f"{biz.name} {biz.suffix}".strip())
        if row[0]:
            self.truth(f"sheets:{lead_id}", biz.id, "business", bad)
        if not bad:
            self.interactions("sheets", lead_id, _Weighted((0, 1, 2), (60, 30, 10)))

    def sheet_date(self) -> str:
        if self.rng.random() < 0.2:
            return ""
        return _fmt_date(self.rng, _rr(self.rng, _D2016 + 2500, _D2025), "human")

    def make_sheet_bad(self, row: list[str]) -> None:
        rng = self.rng
        kind = rng.random()
        if kind < 0.3:
            row[3] = _pick(rng, self.BAD_PHONES)
        elif kind < 0.55:
            row[4] = _pick(rng, self.BAD_EMAILS)
        elif kind < 0.8:
            row[1] = row[2] = row[3] = row[4] = row[6] = ""
            row[7] = _pick(rng, ("call back", "??", "from expo", "ask Omar"))
        elif kind < 0.9:
            row[0] = ""
        else:
            row[7] = self.long_text()

    # ---- people -------------------------------------------------------------------------

    def write_people(self) -> None:
        rng = self.rng
        n = 0
        household = 0
        step = max(1, self.people // 100)
        reported = 0
        nb = len(self.businesses)
        while n < self.people:
            household += 1
            size = min(_HOUSEHOLD_SIZE.pick(rng), self.people - n)
            self.housemates = []
            address = _Address(rng)
            shared_family = _SURNAME.pick(rng)
            landline = self.landlines.take() if rng.random() < (0.6 if size > 1 else 0.25) else None
            household_email = None
            if size > 1 and rng.random() < 0.08:
                household_email = (
                    f"the{_slug(shared_family)}s{household}@{_PERSONAL_DOMAIN.pick(rng)}"
                )
            for _member in range(size):
                self.household_size = size
                n += 1
                p = _Person(n, address, landline, household_email)
                p.female = rng.random() < 0.52
                p.given = (_FEMALE_NAME if p.female else _MALE_NAME).pick(rng)
                p.family = shared_family if rng.random() < 0.6 else _SURNAME.pick(rng)
                self.full_names[p.given, p.family] += 1
                p.mobile = self.mobiles.take()
                p.old_mobile = self.mobiles.take() if rng.random() < 0.2 else None
                p.dob = _rr(rng, _DOB_FROM, _DOB_TO) if rng.random() < 0.6 else 0
                g, f = _slug(p.given), _slug(p.family)
                if rng.random() < 0.8:
                    pattern = rng.random()
                    local = (
                        f"{g}.{f}{n}"
                        if pattern < 0.35
                        else f"{g}{f}{n}"
                        if pattern < 0.6
                        else f"{g[0]}{f}{n}"
                        if pattern < 0.8
                        else f"{f}.{g}{n}"
                        if pattern < 0.9
                        else f"{g}_{f}{n}"
                    )
                    p.email = f"{local}@{_PERSONAL_DOMAIN.pick(rng)}"
                if rng.random() < 0.55:
                    biz = self.businesses[int(nb * rng.random() ** 1.6)]
                    p.business = biz
                    if biz.domain and rng.random() < 0.6:
                        p.work_email = (
                            f"{g}.{f}@{biz.domain}"
                            if rng.random() < 0.6
                            else f"{g[0]}{f}@{biz.domain}"
                        )
                if rng.random() < 0.3:
                    pattern = rng.random()
                    p.handle = (
                        f"{g}_{f[0]}{n}"
                        if pattern < 0.3
                        else f"{g}.{f}.{n}"
                        if pattern < 0.6
                        else f"iam{g}{n}"
                        if pattern < 0.75
                        else f"{g}{f}_{n}"
                    )
                self.write_person(p)
                if len(self.referral_pool) < 2000:
                    self.referral_pool.append((p.id, p.given, p.family))
                else:
                    self.referral_pool[int(rng.random() * 2000)] = (p.id, p.given, p.family)
            if self.progress is not None and n - reported >= step:
                self.progress(n - reported)
                reported = n
        if self.progress is not None and n > reported:
            self.progress(n - reported)

    def write_person(self, p: _Person) -> None:
        rng = self.rng
        self.begin_entity(
            p.id, "person", referred=False, employed=p.business is not None,
            household=self.household_size > 1, social=p.handle is not None,
        )  # fmt: skip
        in_crm = rng.random() < 0.62
        in_qbo = rng.random() < 0.28
        in_sheets = rng.random() < 0.26
        in_instagram = p.handle is not None and rng.random() < 0.6
        if not (in_crm or in_qbo or in_sheets or in_instagram):
            in_crm = True
        if in_crm:
            self.crm_row(p)
            if rng.random() < 0.04:
                self.crm_row(p)
        if in_qbo:
            self.qbo_person_row(p)
        if in_sheets:
            self.sheets_person_row(p)
        if in_instagram:
            self.instagram_person_row(p)

    def crm_row(self, p: _Person) -> None:
        rng = self.rng
        self.crm_seq += 1
        cid = str(51000000 + self.crm_seq)
        bad = rng.random() < BAD_RATE_RECORDS
        given, d1 = self.given_as_written(p, 0.25)
        family, d2 = self.family_as_written(p)
        defect = d1 or d2
        roll = rng.random()
        if roll < 0.02:
            given, family = given.upper(), family.upper()
            defect = True
        elif roll < 0.03:
            given = ""  # only the surname was taken down
            defect = True
        email, d3 = self.email_as_written(p, prefer_work=p.business is not None)
        phone = ""
        mobile = ""
        if p.business is not None and rng.random() < 0.4:
            phone = _fmt_phone(rng, p.business.phone)
        elif p.landline and rng.random() < 0.3:
            phone = _fmt_phone(rng, p.landline)
        mobile, d4 = self.phone_as_written(p, landline_ok=False)
        defect = defect or d3 or d4
        company = p.business.display(rng) if p.business is not None else ""
        addr = p.address
        street = addr.line1(rng) if rng.random() < 0.6 else ""
        city = addr.city(rng) if rng.random() < 0.7 else ""
        parish = addr.parish_text(rng) if rng.random() < 0.7 else ""
        referred = ""
        referral: tuple[str, str] | None = None
        if self.referral_pool and rng.random() < 0.07:
            rid, rgiven, rfamily = _pick(rng, self.referral_pool)
            if rid != p.id:
                roll = rng.random()
                if roll < 0.15 and rgiven in NICKNAMES:
                    referred = f"{_pick(rng, NICKNAMES[rgiven])} {rfamily}"
                elif roll < 0.3:
                    referred = f"{rgiven} {_typo(rng, rfamily)}"
                elif roll < 0.4:
                    referred = f"{rgiven[0]}. {rfamily}"
                else:
                    referred = f"{rgiven} {rfamily}"
                referral = (rid, referred)
        row = [
            cid,
            given,
            family,
            email,
            phone,
            mobile,
            company,
            _pick(rng, JOB_TITLES) if p.business is not None and rng.random() < 0.7 else "",
            street,
            city,
            parish,
            _pick(rng, LEAD_STATUSES),
            _pick(rng, SEGMENTS),
            referred,
            _fmt_date(rng, p.dob, "dmy") if p.dob and rng.random() < 0.5 else "",
            self.crm_created(),
            _pick(rng, REPS),
        ]
        if bad:
            kind = rng.random()
            if kind < 0.3:
                row[3] = _pick(rng, self.BAD_EMAILS)
            elif kind < 0.55:
                row[5] = _pick(rng, self.BAD_PHONES)
            elif kind < 0.75:
                row[1] = row[2] = row[3] = row[4] = row[5] = ""
            elif kind < 0.85:
                row[14] = _pick(rng, ("31/02/1985", "00/00/0000", "sometime in 1970s"))
            else:
                row[7] = self.long_text()
        self.files.crm.writerow(row)
        self.count("crm_contacts.csv", bad, defect)
        self.truth(f"crm:{cid}", p.id, "person", bad)
        if bad:
            return
        if referral is not None:
            self.referrals += 1
            if self.subject is not None and self.life is None:  # not yet drawn: it counts
                self.subject[2]["referred"] = True
            self.files.truth_f.write(
                orjson.dumps(
                    {
                        "type": "referral",
                        "referrer": referral[0],
                        "referred": p.id,
                        "record": f"crm:{cid}",
                        "written_as": referral[1],
                    }
                )
                + b"\n"
            )
        if p.business is not None and company:
            self.derived_truth("crm", company, p.business)
        self.interactions("crm", cid, _FEW)
        self.pos_transactions("crm", cid, 0.3)

    def crm_created(self) -> str:
        d = date.fromordinal(_rr(self.rng, _D2016, _D2025))
        return f"{d.isoformat()} {_rr(self.rng, 8, 18):02d}:{_rr(self.rng, 60):02d}"

    def qbo_person_row(self, p: _Person) -> None:
        rng = self.rng
        self.qbo_seq += 1
        qid = str(self.qbo_seq)
        bad = rng.random() < BAD_RATE_RECORDS
        given, d1 = self.given_as_written(p, 0.1)
        family, d2 = self.family_as_written(p)
        display = f"{given} {family}" if rng.random() > 0.05 else f"{family}, {given}"
        email, d3 = self.email_as_written(p, prefer_work=False)
        mobile, d4 = self.phone_as_written(p)
        row: dict[str, Any] = {
            "Id": qid,
            "SyncToken": str(_rr(rng, 0, 4)),
            "DisplayName": display,
            "GivenName": given,
            "FamilyName": family,
            "PrintOnCheckName": f"{given} {family}",
            "Balance": round(rng.random() * 30000, 2) if rng.random() < 0.25 else 0,
            "CurrencyRef": {"value": "JMD" if rng.random() < 0.95 else "USD"},
            "Active": rng.random() < 0.93,
            "Taxable": False,
            "MetaData": self.qbo_meta(),
        }
        if rng.random() < 0.1:
            row["Title"] = (
                "Mrs." if p.female and rng.random() < 0.5 else ("Ms." if p.female else "Mr.")
            )
        if email:
            row["PrimaryEmailAddr"] = {"Address": email}
        if mobile:
            row["Mobile" if rng.random() < 0.6 else "PrimaryPhone"] = {"FreeFormNumber": mobile}
        if p.landline and rng.random() < 0.2:
            row["AlternatePhone"] = {"FreeFormNumber": _fmt_phone(rng, p.landline)}
        company = ""
        if p.business is not None and rng.random() < 0.45:
            company = p.business.display(rng)
            row["CompanyName"] = company
        if rng.random() < 0.7:
            addr = p.address
            row["BillAddr"] = {
                "Line1": addr.line1(rng),
                "City": addr.city(rng),
                "CountrySubDivisionCode": addr.parish_text(rng),
                "Country": "Jamaica" if rng.random() < 0.7 else "JM",
            }
        if bad:
            self.make_qbo_bad(row)
        self.files.customers.add(row)
        self.count("qbo_customers.json", bad, d1 or d2 or d3 or d4)
        self.truth(f"qbo:{qid}", p.id, "person", bad)
        if bad:
            return
        if company and p.business is not None:
            self.derived_truth("qbo", company, p.business)
        self.qbo_transactions(qid, display)
        if rng.random() < 0.1:
            self.interactions("qbo", qid, _Weighted((1, 2), (80, 20)))

    def sheets_person_row(self, p: _Person) -> None:
        rng = self.rng
        self.lead_seq += 1
        lead_id = f"L-{self.lead_seq:05d}"
        bad = rng.random() < BAD_RATE_RECORDS
        name, d1 = self.full_name(p, 0.25, 0.15, 0.04)
        phone, d2 = self.phone_as_written(p)
        if phone and p.old_mobile and rng.random() < 0.05:
            phone = f"{phone} / {_fmt_phone(rng, p.mobile)}"
        email, d3 = self.email_as_written(p, prefer_work=False)
        business = ""
        if p.business is not None and rng.random() < 0.5:
            business = p.business.display(rng, 0.4)
        addr = p.address
        roll = rng.random()
        location = (
            ""
            if roll < 0.2
            else addr.town
            if roll < 0.6
            else addr.parish
            if roll < 0.8
            else f"{addr.town}, {addr.parish}"
        )
        handle = ""
        if p.handle and rng.random() < 0.4:
            handle = (
                "@" + p.handle if rng.random() < 0.6 else f"https://www.instagram.com/{p.handle}/"
            )
        row = [
            lead_id,
            name,
            business,
            phone,
            email,
            location,
            handle,
            _pick(rng, SHEET_NOTES),
            _pick(rng, REPS).split()[0],
            _pick(rng, SHEET_STATUSES),
            self.sheet_date(),
        ]
        if bad:
            self.make_sheet_bad(row)
        self.files.sheets.writerow(row)
        self.count("sheets_leads.csv", bad, d1 or d2 or d3)
        if row[0]:
            self.truth(f"sheets:{lead_id}", p.id, "person", bad)
        if bad:
            return
        if business and p.business is not None:
            self.derived_truth("sheets", business, p.business)
        self.interactions("sheets", lead_id, _Weighted((0, 1, 2), (60, 30, 10)))
        self.pos_transactions("sheets", lead_id, 0.15)

    def instagram_person_row(self, p: _Person) -> None:
        rng = self.rng
        assert p.handle is not None
        bad = rng.random() < BAD_RATE_RECORDS
        roll = rng.random()
        defect = False
        if roll < 0.6:
            name, defect = self.full_name(p, 0.3, 0.0, 0.05)
        elif roll < 0.75:
            given, defect = self.given_as_written(p, 0.3)
            name = f"{given} {p.family[0]}."
            defect = True
        elif roll < 0.85:
            name = f"{p.given} {p.family} ✨"
        else:
            name = ""
        row: dict[str, Any] = {
            "username": p.handle,
            "full_name": name,
            "biography": _pick(rng, BIOS_FEMALE if p.female else BIOS_MALE),
            "follower_count": int(rng.paretovariate(1.5) * 100),
            "following_count": _rr(rng, 20, 3000),
            "is_business_account": False,
        }
        if rng.random() < 0.05:  # a creator account showing contact details
            if p.email:
                row["business_email"] = p.email
            row["business_phone_number"] = _fmt_phone(rng, p.mobile)
        if bad:
            kind = rng.random()
            if kind < 0.5:
                row["business_email"] = _pick(rng, self.BAD_EMAILS)
            elif kind < 0.75:
                row["username"] = _pick(rng, ("", "my page", "n/a"))
            else:
                row["biography"] = self.long_text()
        self.list_person(p, row, good=not bad and row["username"] == p.handle)
        self.count("instagram.jsonl", bad, defect)
        if row["username"] == p.handle:
            self.truth(f"instagram:{p.handle}", p.id, "person", bad)

    # ---- follows (the follows stream) ----------------------------------------------------

    def list_person(self, p: _Person, row: dict[str, Any], good: bool) -> None:
        """Queue a person's Instagram row; a good one follows and is followed (FOLLOW_MEAN)."""
        entry = _Listed(p.handle if good and p.handle else "", row)
        rng = self.follow_rng
        if entry.handle:
            for mate in self.housemates:
                if rng.random() < 0.7:
                    entry.follow(mate.handle)
                    if rng.random() < 0.7:
                        mate.follow(entry.handle)
            biz = p.business
            if biz is not None and biz.handle in self.business_handles and rng.random() < 0.5:
                entry.follow(biz.handle)
            for _ in range(min(FOLLOW_MOST, int(rng.expovariate(1 / FOLLOW_MEAN)))):
                if self.listed and rng.random() < 0.5:
                    other = self.listed[int(rng.random() * len(self.listed))]
                    if other.handle:
                        entry.follow(other.handle)
                        if rng.random() < 0.4:
                            other.follow(entry.handle)
                elif self.follow_pool:
                    entry.follow(self.follow_pool[int(rng.random() * len(self.follow_pool))])
            self.housemates.append(entry)
        self.listed.append(entry)
        while len(self.listed) > FOLLOW_WINDOW:
            self.write_listed(self.listed.popleft())

    def write_listed(self, entry: _Listed) -> None:
        if entry.follows:
            entry.row["follows"] = [
                "@" + h if self.follow_rng.random() < 0.1 else h for h in entry.follows
            ]
        self.files.instagram_f.write(orjson.dumps(entry.row) + b"\n")
        if not entry.handle:
            return
        if len(self.follow_pool) < FOLLOW_POOL:
            self.follow_pool.append(entry.handle)
        else:
            self.follow_pool[int(self.follow_rng.random() * FOLLOW_POOL)] = entry.handle

    # ---- events (the events stream) -----------------------------------------------------

    def attend_event(self, source: str, record_id: str) -> None:
        """Perhaps one attendance of the current person's record at an open event (ATTEND_RATE)."""
        if self.life is None or self.subject is None or self.subject[1] != "person":
            return  # no activity yet: drawing a lifecycle here would move every later date
        rng = self.event_rng
        if rng.random() >= ATTEND_RATE:
            return
        while len(self.events) < OPEN_EVENTS:
            self.event_seq += 1
            self.events.append(_Event(rng, self.event_seq))
        for _ in range(5):  # a few tries for an event inside the person's lifecycle
            slot = int(rng.random() * len(self.events))
            event = self.events[slot]
            if self.life.joined <= event.day <= self.life.ends:
                break
        else:
            return
        self.attendance_seq += 1
        when = date.fromordinal(event.day).isoformat()
        self.files.inter.writerow(
            [f"ATT-{self.attendance_seq:08d}", source, record_id, "Meeting", when,
             _pick(rng, REPS), "Event attendance", "", "Attended", event.id, event.name]
        )  # fmt: skip
        self.count("interactions.csv", False, False)
        event.attendees += 1
        if event.attendees >= event.size:
            self.event_seq += 1
            self.events[slot] = _Event(rng, self.event_seq)

    # ---- activities ---------------------------------------------------------------------

    def interactions(self, source: str, record_id: str, how_many: _Weighted) -> None:
        rng = self.rng
        for _ in range(how_many.pick(rng)):
            self.interaction_seq += 1
            iid = f"INT-{self.interaction_seq:08d}"
            spellings = _ITYPE.pick(rng)
            kind = spellings[0] if rng.random() < 0.7 else _pick(rng, spellings)
            _rr(rng, _ACTIVITY_FROM, _D2025)  # the date it once was: keeps the main stream aligned
            d = self.activity_date(transaction=False)
            h, m = _rr(rng, 8, 19), _rr(rng, 60)
            roll = rng.random()
            when = (
                f"{d.isoformat()} {h:02d}:{m:02d}"
                if roll < 0.5
                else f"{d.isoformat()}T{h:02d}:{m:02d}:00"
                if roll < 0.8
                else f"{d.day:02d}/{d.month:02d}/{d.year} {h % 12 or 12}:{m:02d} "
                f"{'AM' if h < 12 else 'PM'}"
            )
            row = [
                iid,
                source,
                record_id,
                kind,
                when,
                _pick(rng, REPS),
                _pick(rng, SUBJECTS),
                "",
                _pick(rng, OUTCOMES),
                "",  # event_id: only attendances (below) name an event
                "",
            ]
            bad = rng.random() < BAD_RATE_ACTIVITIES
            if bad:
                roll = rng.random()
                if roll < 0.35:
                    row[4] = _pick(rng, ("sometime last week", "yesterday", "31/02/2024"))
                elif roll < 0.7:
                    row[2] = ""
                else:
                    row[3] = _pick(rng, ("fax", "telegram", "carrier pigeon"))
            self.files.inter.writerow(row)
            self.count("interactions.csv", bad, False)
        self.attend_event(record_id=record_id, source=source)

    def pos_transactions(self, source: str, record_id: str, rate: float) -> None:
        rng = self.rng
        if rng.random() >= rate:
            return
        for _ in range(1 + int(rng.random() * 3)):
            self.pos_seq += 1
            amount = round(rng.lognormvariate(8.3, 1.0), 2)
            roll = rng.random()
            if roll < 0.03:
                amount = -amount
            _rr(rng, _ACTIVITY_FROM, _D2025)  # the date it once was: keeps the main stream aligned
            d = self.activity_date(transaction=True)
            currency = "" if rng.random() < 0.3 else ("JMD" if rng.random() < 0.95 else "USD")
            if currency == "USD":
                amount = round(amount / 155, 2)
            roll = rng.random()
            amount_text = (
                f"{amount:.2f}"
                if roll < 0.6
                else f"{amount:,.2f}"
                if roll < 0.8
                else f"J${amount:,.2f}"
                if currency != "USD"
                else f"{amount:.2f}"
            )
            if amount < 0 and rng.random() < 0.5:
                amount_text = f"({-amount:,.2f})"
            row = [
                f"POS-{self.pos_seq:08d}",
                source,
                record_id,
                d.isoformat() if rng.random() < 0.7 else f"{d.day:02d}/{d.month:02d}/{d.year}",
                amount_text,
                currency,
                _pick(rng, POS_CHANNELS),
                _pick(rng, ITEMS)[0] if rng.random() < 0.7 else "",
            ]
            bad = rng.random() < BAD_RATE_ACTIVITIES
            if bad:
                row[4] = _pick(rng, ("see receipt", "TBD", "", "abc"))
            self.files.pos.writerow(row)
            self.count("transactions.csv", bad, False)

    def qbo_transactions(self, customer_id: str, customer_name: str) -> None:
        rng = self.rng
        for _ in range(_QBO_TXNS.pick(rng)):
            invoice = rng.random() < 0.6
            lines: list[dict[str, Any]] = []
            total = 0.0
            for n in range(1, 2 + int(rng.random() * 3)):
                item, price = _pick(rng, ITEMS)
                qty = 1 + int(rng.random() * 4)
                amount = round(price * qty, 2)
                total += amount
                lines.append(
                    {
                        "Id": str(n),
                        "LineNum": n,
                        "Amount": amount,
                        "Description": item,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {
                            "ItemRef": {"value": _ITEM_IDS[item], "name": item},
                            "Qty": qty,
                            "UnitPrice": price,
                        },
                    }
                )
            total = round(total, 2)
            lines.append(
                {"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
            )
            _rr(rng, _ACTIVITY_FROM, _D2025)  # the date it once was: keeps the main stream aligned
            d = self.activity_date(transaction=True)
            self.doc_seq += 1
            row: dict[str, Any] = {
                "DocNumber": str(self.doc_seq),
                "SyncToken": "0",
                "TxnDate": d.isoformat(),
                "CurrencyRef": {"value": "JMD", "name": "Jamaican Dollar"},
                "CustomerRef": {"value": customer_id, "name": customer_name},
                "Line": lines,
                "TotalAmt": total,
            }
            if rng.random() < 0.15:
                row["PrivateNote"] = _pick(
                    rng, ("Deliver before noon", "Paid by cheque", "Call before delivery", "Net 30")
                )
            bad = rng.random() < BAD_RATE_ACTIVITIES
            if bad:
                del row["CustomerRef"]  # a walk-in sale with no customer
            if invoice:
                self.invoice_seq += 1
                row["Id"] = str(self.invoice_seq)
                row["DueDate"] = (d + timedelta(days=30)).isoformat()
                paid = rng.random()
                row["Balance"] = 0 if paid < 0.7 else (total if paid < 0.9 else round(total / 2, 2))
                self.files.invoices.add(row)
            else:
                self.receipt_seq += 1
                row["Id"] = str(self.receipt_seq)
                row["Balance"] = 0
                row["PaymentMethodRef"] = {
                    "value": "1",
                    "name": _pick(rng, ("Cash", "Visa", "MasterCard")),
                }
                row["DepositToAccountRef"] = {"value": "4", "name": "Undeposited Funds"}
                self.files.receipts.add(row)
            self.count("qbo_transactions.json", bad, False)

    # ---- bookkeeping --------------------------------------------------------------------

    def count(self, file: str, bad: bool, defect: bool) -> None:
        self.rows[file] += 1
        if bad:
            self.bad[file] += 1
        elif defect:
            self.defects[file] += 1

    def run(self) -> DemoSummary:
        started = time.perf_counter()
        try:
            self.make_businesses()
            self.write_businesses()
            self.write_people()
            while self.listed:
                self.write_listed(self.listed.popleft())
        except BaseException:
            self.files.abort()
            raise
        self.files.close("2025-07-01T09:00:00.000-05:00")
        s = self.summary
        s.rows = dict(self.rows)
        s.bad_rows = dict(self.bad)
        s.defect_rows = dict(self.defects)
        s.records = sum(self.rows[f] for f, _, part in FILES if part == "records")
        s.activities = sum(self.rows[f] for f, _, part in FILES if part == "activities")
        s.derived_records = len(self.derived)
        s.referrals = self.referrals
        shared = sum(n for n in self.full_names.values() if n > 1)
        s.namesake_share = round(shared / max(1, s.people), 4)
        s.seconds = round(time.perf_counter() - started, 3)
        self.write_manifest()
        return s

    def write_manifest(self) -> None:
        s = self.summary
        manifest = {
            "generator": "ingest.demo_data",
            "seed": s.seed,
            "people": s.people,
            "businesses": s.businesses,
            "records": s.records,
            "derived_records": s.derived_records,
            "activities": s.activities,
            "referrals": s.referrals,
            "namesake_share": s.namesake_share,
            "truth": "truth.jsonl",
            "rates": {
                "bad_rows_records": BAD_RATE_RECORDS,
                "bad_rows_activities": BAD_RATE_ACTIVITIES,
            },
            "files": [
                {
                    "file": name,
                    "profile": profile,
                    "part": part,
                    "rows": self.rows[name],
                    "bad_rows": self.bad[name],
                    "defect_rows": self.defects[name],
                }
                for name, profile, part in FILES
            ],
        }
        (s.out_dir / "manifest.json").write_bytes(
            orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n"
        )


def generate(
    out_dir: Path,
    people: int,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Write the demo data set for `people` people into `out_dir` (created if needed).

    Deterministic for a seed. `progress` is called about a hundred times with the number
    of people written since its last call (the calls add up to `people`), so it can feed a
    progress bar's `advance`.
    """
    if people < 1:
        raise ValueError("people must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return _Generator(out_dir, people, seed, progress).run()


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """The manifest of a generated data set."""
    data = orjson.loads((Path(out_dir) / "manifest.json").read_bytes())
    if not isinstance(data, dict):
        raise ValueError("manifest.json is not an object")
    return data


def ingest_demo(
    out_dir: Path, store: GraphStore, quarantine: Quarantine, **options: Any
) -> list[IngestSummary]:
    """Ingest every file of a generated data set with its profile, in manifest order."""
    from ingest.pipeline import ingest_file  # the generator alone needs no graph

    folder = Path(out_dir)
    return [
        ingest_file(folder / entry["file"], entry["profile"], store, quarantine, **options)
        for entry in read_manifest(folder)["files"]
    ]


__all__ = ["FILES", "DemoSummary", "generate", "ingest_demo", "read_manifest"]


def read_truth(path: Path) -> dict[str, str]:
    """The answer key of a data set: record key -> true entity, planted bad rows left out
    (they are quarantined, never in the graph)."""
    truth: dict[str, str] = {}
    with path.open("rb") as lines:
        for line in lines:
            entry = orjson.loads(line)
            if entry.get("type") == "record" and not entry.get("bad"):
                truth[entry["key"]] = entry["entity"]
    return truth

"""Candidates: which pairs of records are worth scoring at all.

Records that share an identifier node (email, phone, address, handle, website) are
candidates; so are records that share a blocking key, for matches with no identifier in
common: a phonetic name code, the name within a parish, a person's company within a
city, a business's company key, the local part of an email. Blocking keys are written to the graph as `BlockKey` nodes, so an
arriving record finds its candidates exactly as the full run does: through shared nodes.

Identifiers shared by many unrelated records (an office switchboard, info@company, a
family mailbox) are hubs: they stay evidence in scoring, where their commonness weighs
them down, but generate no candidate pairs. The limit per identifier kind is learnt from
the data (`hub_limits`).
"""

from __future__ import annotations

import functools
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import jellyfish
import numpy as np

from resolvers.config import Hubs
from resolvers.nicknames import canonical_given
from resolvers.records import ROLE_MAILBOXES, ResolutionRecord

IDENTIFIER_KINDS = ("email", "phone", "address", "handle", "website")
SPELLED = "psp:"  # the blocking keys of a person's name run together, as a handle spells it
# A business's web domains, its staff's work-email domains among them, as blocking keys:
# a domain that is a value, not a Website node, still finds candidates incrementally.
# Capped as websites are, so a full run pairs nothing it did not pair through them.
DOMAIN = "bw:"


def phonetic(text: str | None) -> str:
    """Soundex of the letters: coarse on purpose, so dropped or doubled letters
    ("Cambell", "Campbel") still share the code of "Campbell"."""
    if not text:
        return ""
    letters = "".join(ch for ch in text.lower() if "a" <= ch <= "z")
    return jellyfish.soundex(letters) if letters else ""


def block_keys(record: ResolutionRecord) -> list[str]:
    """The blocking keys of one record (kind-prefixed: persons never block with businesses)."""
    v = record.values
    keys: set[str] = set()
    prefix = "p" if record.kind == "person" else "b"
    folded = _str(v.get("name_folded"))
    parish = _str(v.get("parish"))
    city = _str(v.get("city"))
    company = _str(v.get("company_key"))
    if record.kind == "person":
        family = phonetic(_str(v.get("family_name")))
        given = _str(v.get("given_name"))
        if family and given:
            keys.add(f"{prefix}n:{family}|{_initial_of(given)}")
        if folded and parish:
            keys.add(f"{prefix}np:{folded}|{parish.lower()}")
        if company and city:
            keys.add(f"{prefix}cc:{company}|{city}")
    else:
        # By the company key where there is one: it spells "&" / "and" and the legal
        # suffixes one way, where the folded name keeps what each source wrote.
        words = (company or folded or "").split()
        if words:
            # The first word by sound and the second by its initial: "Blue Mountain Coffee".
            keys.add(f"{prefix}n:{phonetic(words[0])}|{words[1][:1] if len(words) > 1 else ''}")
        if len(words) >= 3:
            # A typo in the first word ("Hraris Insurance Brokers"): its initial and the rest.
            keys.add(f"{prefix}nr:{words[0][:1]}|{' '.join(words[1:])}")
            # A typo in another word ("Dixon Nad Sons Guest House", "Graham's oCmputer
            # Services"): the name without that word, for each word after the first.
            for i in range(1, len(words)):
                keys.add(f"{prefix}nd:{' '.join(words[:i] + words[i + 1 :])}")
        elif len(words) == 2:
            # Two words, one mistyped ("Island aBkery", "Falmouh Catering"): the first word
            # (4+ letters) alone, and the second with the first's initial.
            if len(words[0]) >= 4:
                keys.add(f"{prefix}nd:{words[0]}")
            keys.add(f"{prefix}nd2:{words[1]}|{words[0][:1]}")
        if company:
            # The company alone: a business named in a contact's row has no city.
            keys.add(f"{prefix}cc:{company}|")
        keys.update(DOMAIN + domain for domain in _list(v.get("website")))
    for email in _list(v.get("email")):
        local = email.split("@", 1)[0]
        if len(local) >= 4 and local not in ROLE_MAILBOXES:
            keys.add(f"{prefix}el:{local}")
    # A handle and an email user name that are one user name ("tamara.mullings.13").
    initial = _initial_of(v.get("given_name")) if record.kind == "person" else ""
    family_initial = (_str(v.get("family_name")) or "")[:1] if record.kind == "person" else ""
    for name in _list(v.get("username")):
        keys.add(f"{prefix}un:{name[2:]}")
        # Or that carry one number under different letters ("iamsharon10" and
        # "sharon_johnson10"), with the given name's initial to keep the block small. A
        # profile with no name of its own takes the initial its handle starts with, less
        # a prefix people put before their name ("iamjoelle737": "j", and "i" in case).
        number = "".join(ch for ch in name[2:] if ch.isdigit())
        if len(number) < 2 or record.kind != "person":
            continue
        for first in [initial] if initial else _handle_initials(name):
            keys.add(f"{prefix}ud:{number}|{first}")
        # And with the family name's initial, for a record that has only that one.
        if family_initial:
            keys.add(f"{prefix}ud:{number}|f{family_initial}")
    # A handle spelling a name, for profiles without one ("shamar.maxwell.1399"); only
    # persons have spellings.
    for spelled in _list(v.get("spelled")):
        keys.add(SPELLED + spelled[2:])
    return sorted(keys)


# What people put before their name in a handle: "iamjoelle", "its_kemar", "therealtash".
HANDLE_PREFIXES = ("iam", "its", "the", "real", "official")


def _handle_initials(username: str) -> list[str]:
    """The initials a user name (tagged "h:" / "e:") may start a given name with: its
    first letter, and the first after a prefix such as "iam" (both: "theresa" is a name)."""
    letters = "".join(ch for ch in username[2:] if ch.isalpha())
    initials = {letters[:1]} if letters else set()
    rest = letters
    for _ in range(2):  # "therealtash"
        prefix = next((p for p in HANDLE_PREFIXES if rest.startswith(p)), "")
        rest = rest[len(prefix) :]
        if prefix and rest:
            initials.add(rest[:1])
    return sorted(initials)


def _initial_of(given: object) -> str:
    """The canonical given name's initial ("Bob" -> "r"); "" without one."""

    text = _str(given)
    return canonical_given(text)[:1] if text else ""


@dataclass
class HubReport:
    """What hub detection found, per identifier kind: the learnt limit and the hubs."""

    limits: dict[str, int] = field(default_factory=dict)
    hubs: dict[str, int] = field(default_factory=dict)  # kind -> number of hub identifiers
    largest: dict[str, tuple[str, int]] = field(default_factory=dict)
    skipped_blocks: int = 0

    def caps(self, hubs: Hubs) -> dict[str, int]:
        """The `$caps` parameter of `resolve/attach_candidates`."""
        return {
            **{k: self.limits.get(k, hubs.block_limit) for k in IDENTIFIER_KINDS},
            "block": hubs.block_limit,
            "spelled": hubs.spelled_limit,
        }


def hub_limits(
    records: Sequence[ResolutionRecord], groups: dict[tuple[str, str], list[int]], hubs: Hubs
) -> HubReport:
    """Learn, per identifier kind, the group size from which sharing it stops meaning
    "same entity": the smallest size s at which, over all groups of size >= s, fewer than
    `hubs.agreement` of the sampled record pairs agree on the name."""
    rng = random.Random(7)
    report = HubReport()
    by_kind: dict[str, list[tuple[int, float, str]]] = defaultdict(list)
    for (kind, value), members in groups.items():
        if kind == "block" or len(members) < 2:
            continue
        by_kind[kind].append((len(members), _name_agreement(records, members, rng), value))
    for kind in IDENTIFIER_KINDS:
        stats = sorted(by_kind.get(kind, []))
        by_size: dict[int, list[float]] = defaultdict(list)
        for size, agreement, _ in stats:
            by_size[size].append(agreement)
        # From the largest size down, the agreement over all groups at least this big;
        # the limit sits just below the smallest size from which it stays under the bar.
        limit = hubs.max_group
        agree_sum, seen = 0.0, 0
        for size in sorted(by_size, reverse=True):
            agree_sum += sum(by_size[size])
            seen += len(by_size[size])
            if agree_sum / seen >= hubs.agreement:
                break
            if size >= hubs.min_limit:
                limit = min(limit, size - 1)
        report.limits[kind] = max(limit, hubs.min_limit - 1)
        hub_groups = [(size, value) for size, _, value in stats if size > report.limits[kind]]
        report.hubs[kind] = len(hub_groups)
        if hub_groups:
            size, value = max(hub_groups)
            report.largest[kind] = (value, size)
    return report


def _name_agreement(
    records: Sequence[ResolutionRecord], members: list[int], rng: random.Random
) -> float:
    sample = members if len(members) <= 12 else rng.sample(members, 12)
    names = [_name_code(records[i]) for i in sample]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :] if a and b]
    if not pairs:
        return 1.0
    return sum(a == b for a, b in pairs) / len(pairs)


def _name_code(record: ResolutionRecord) -> str:
    v = record.values
    if record.kind == "person":
        return phonetic(_str(v.get("family_name")) or _str(v.get("name_folded")))
    return _str(v.get("company_key")) or phonetic(_str(v.get("name_folded")))


def group_records(
    records: Sequence[ResolutionRecord], blocks: Sequence[list[str]]
) -> dict[tuple[str, str], list[int]]:
    """Record indices per shared node: ("email", value), ..., ("block", key)."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, record in enumerate(records):
        for kind, value in record.identifiers():
            groups[(kind, f"{record.kind}|{value}")].append(i)
        for key in blocks[i]:
            groups[("block", key)].append(i)
    return groups


def candidate_pairs(
    records: Sequence[ResolutionRecord],
    groups: dict[tuple[str, str], list[int]],
    report: HubReport,
    hubs: Hubs,
) -> np.ndarray:
    """Unique index pairs (i < j), shape (n, 2), from every group within its limit."""
    chunks: list[np.ndarray] = []
    for (kind, value), members in groups.items():
        size = len(members)
        if size < 2:
            continue
        if kind != "block":
            limit = report.limits.get(kind, hubs.block_limit)
        elif value.startswith(DOMAIN):
            limit = report.limits.get("website", hubs.block_limit)
        elif value.startswith(SPELLED):
            limit = hubs.spelled_limit
        else:
            limit = hubs.block_limit
        if size > limit:
            report.skipped_blocks += kind == "block"
            continue
        idx = np.asarray(members, dtype=np.int64)
        left, right = _triu(size)
        chunks.append(np.stack([idx[left], idx[right]], axis=1))
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks)
    pairs.sort(axis=1)
    # Same-kind pairs only: identifier groups are kind-prefixed, blocks too. Each pair as
    # one number i * n + j: unique on those sorts one column, not rows (as axis=0 does),
    # and gives the same order.
    n = len(records)
    codes = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def _triu(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of positions in a group of `size`: kept for the small sizes most of a
    million groups have (the arrays grow with the square of the size)."""
    return _small_triu(size) if size <= 64 else np.triu_indices(size, k=1)


@functools.cache
def _small_triu(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(size, k=1)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: object) -> list[str]:
    return [v for v in value if v] if isinstance(value, list) else []

"""Comparison vectors: how alike two records are, field by field, as small integers.

A record is a flat mapping of cleaned fields (`Record`); a field holds a string, a list
of strings (several emails, phones, addresses) or nothing. A `Comparison` reads one or
more fields and puts a pair of records on one of its ordered `Level`s, strongest first:
level 0 is the first level whose test passes, the last index ("else") means "present on
both sides but nothing matched", and `NULL_LEVEL` (-1) means no evidence (a field missing
on either side) and weighs nothing. For list fields the pair takes the best level over
all pairs of values, so two people sharing one of three emails sit on "exact".

Level kinds: `Exact`, `JaroWinkler`, `EditDistance`, `TokenSet`, `Phonetic`
(metaphone / NYSIIS / soundex), `Nickname`, `Initial`, `DateTransposed`, `DateWithin`,
`YearWithin`, `NumericWithin` and `Swapped` (given <-> family name, or any two fields).
Any level may read another field than its comparison's own (`Exact(field="parish")`
under a city comparison). Dates are ISO 'yyyy-mm-dd' (or 'yyyymmdd').

Records are compared in bulk through a `RecordTable` (columnar, values folded to
lower-case ascii once per distinct value) and two index arrays naming the pairs::

    table = RecordTable.from_records(records, PERSON_SPEC.fields)
    vectors = PERSON_SPEC.compare(table, left, right)
    vectors.levels        # int8, shape (n_pairs, n_comparisons)
    vectors.tf            # per term-frequency comparison, the frequency behind exact hits

Specs, comparisons and levels are frozen dataclasses that round-trip through
`to_dict` / `from_dict`, so a model stores the spec it was trained with.

Per-pair work is vectorised: string similarities go through `rapidfuzz.process.cpdist`,
everything else through numpy on per-value codes, and each level only looks at the
pairs that no stronger level took. `TermFrequencies` gives, for comparisons marked
`term_frequency=True`, how common the value behind an exact match is, so a model can
weigh "both are Smith" below "both are Zylberstein".

`PERSON_SPEC` and `BUSINESS_SPEC` are the defaults for the service's records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

import jellyfish
import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, Levenshtein
from rapidfuzz.distance import JaroWinkler as JaroWinklerDistance
from rapidfuzz.process import cpdist
from rapidfuzz.utils import default_process
from unidecode import unidecode

from resolvers.nicknames import nickname_groups

FieldValue = str | list[str] | None
Record = Mapping[str, FieldValue]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
LevelArray = npt.NDArray[np.int8]
ObjectArray = npt.NDArray[np.object_]
# A column of cells for `RecordTable`: a list, a numpy array, a pandas Series' values.
Column = Sequence[object] | npt.NDArray[Any]

NULL_LEVEL = -1
ELSE_LABEL = "else"

_T = TypeVar("_T")


def fold(text: str) -> str:
    """Lower-case ascii with single spaces: 'José  Müller' -> 'jose muller'."""
    return " ".join(unidecode(text).lower().split())


def _values_of(value: object) -> list[str]:
    """The non-empty strings a field holds; None, NaN, '' and [] hold none."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        return [text] if text else []
    if isinstance(value, float):
        return [] if math.isnan(value) else [repr(value)]
    if isinstance(value, int):
        return [str(value)]
    if isinstance(value, Iterable):
        return [v for item in value for v in _values_of(item)]
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return []
    return [str(value)]


def _factorize(values: Sequence[str]) -> tuple[IntArray, list[str]]:
    """Codes 0..k-1 per value, and the k distinct values in order of first sight."""
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values)
    )
    return codes, list(index)


@dataclass
class _Column:
    raw: list[str]  # flat values of all records, record after record
    offsets: IntArray  # record r holds raw[offsets[r]:offsets[r + 1]]
    counts: IntArray  # values per record


class RecordTable:
    """Records stored by column for bulk comparison; pairs name rows by position.

    Values are folded (`fold`) once per distinct value; codes, phonetic keys, parsed
    dates and the like are derived lazily per field and cached on the table.
    """

    def __init__(self, columns: Mapping[str, Column], size: int) -> None:
        self.size = size
        self._columns: dict[str, _Column] = {}
        self._cache: dict[tuple[str, str], Any] = {}
        for name, cells in columns.items():
            if len(cells) != size:
                raise ValueError(f"column {name!r} has {len(cells)} values for {size} records")
            raw: list[str] = []
            per_record = [0] * size
            for row, cell in enumerate(cells):
                # The common cases (a string, none, a list of strings) without the general walk.
                if type(cell) is str:
                    text = cell.strip()
                    if text:
                        raw.append(text)
                        per_record[row] = 1
                    continue
                if cell is None:
                    continue
                if type(cell) is list:
                    try:
                        found = [t for t in map(str.strip, cell) if t]
                    except TypeError:  # not all strings
                        found = _values_of(cell)
                else:
                    found = _values_of(cell)
                raw.extend(found)
                per_record[row] = len(found)
            counts = np.asarray(per_record, dtype=np.int64)
            offsets = np.zeros(size + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            self._columns[name] = _Column(raw, offsets, counts)

    @classmethod
    def from_records(cls, records: Sequence[Record], fields: Iterable[str]) -> RecordTable:
        """A table of `fields` from mapping records; a missing key is a missing value."""
        return cls({name: [r.get(name) for r in records] for name in fields}, len(records))

    @classmethod
    def from_columns(cls, columns: Mapping[str, Column]) -> RecordTable:
        """A table from equal-length columns (lists, numpy arrays, pandas Series values)."""
        sizes = {len(cells) for cells in columns.values()}
        if len(sizes) > 1:
            raise ValueError(f"columns of different lengths: {sorted(sizes)}")
        return cls(columns, sizes.pop() if sizes else 0)

    def __len__(self) -> int:
        return self.size

    def has(self, name: str) -> bool:
        return name in self._columns

    def values(self, name: str, row: int) -> list[str]:
        """The raw values of one record's field (empty when missing)."""
        column = self._column(name)
        return column.raw[column.offsets[row] : column.offsets[row + 1]]

    def _column(self, name: str) -> _Column:
        column = self._columns.get(name)
        if column is None:
            # A field no record has: every record misses it.
            column = _Column([], np.zeros(self.size + 1, np.int64), np.zeros(self.size, np.int64))
            self._columns[name] = column
        return column

    def counts(self, name: str) -> IntArray:
        return self._column(name).counts

    def offsets(self, name: str) -> IntArray:
        return self._column(name).offsets

    def cached(self, name: str, key: str, make: Callable[[], _T]) -> _T:
        slot = (name, key)
        if slot not in self._cache:
            self._cache[slot] = make()
        value: _T = self._cache[slot]
        return value

    def codes(self, name: str) -> tuple[IntArray, list[str]]:
        """Per flat value, the code of its folded form; and the distinct folded forms."""

        def make() -> tuple[IntArray, list[str]]:
            raw_codes, raw_uniques = _factorize(self._column(name).raw)
            folded_codes, folded = _factorize([fold(v) for v in raw_uniques])
            return folded_codes[raw_codes], folded

        return self.cached(name, "codes", make)

    def folded(self, name: str) -> ObjectArray:
        """Per flat value, its folded string."""

        def make() -> ObjectArray:
            codes, uniques = self.codes(name)
            return np.asarray([*uniques, ""], dtype=object)[codes]

        return self.cached(name, "folded", make)

    def derived(self, name: str, key: str, make_one: Callable[[str], _T]) -> list[_T]:
        """`make_one` applied once per distinct folded value, in code order."""
        return self.cached(name, key, lambda: [make_one(v) for v in self.codes(name)[1]])

    def key_codes(self, name: str, key: str, make_key: Callable[[str], str]) -> IntArray:
        """Per flat value, a code of `make_key(folded value)`; -1 where the key is empty."""

        def make() -> IntArray:
            keys = self.derived(name, key, make_key)
            key_codes, key_uniques = _factorize(keys)
            lookup = np.where(np.asarray([k == "" for k in key_uniques] + [True]), -1, 0)
            per_unique = np.where(lookup[key_codes] < 0, -1, key_codes)
            return per_unique[self.codes(name)[0]]

        return self.cached(name, "keycodes:" + key, make)

    def first_folded(self, name: str) -> ObjectArray:
        """Per record, the folded first value of a field ('' when missing)."""

        def make() -> ObjectArray:
            column = self._column(name)
            folded = np.append(self.folded(name), "")
            where = np.where(column.counts > 0, column.offsets[:-1], len(folded) - 1)
            return folded[where]

        return self.cached(name, "first", make)


@dataclass(frozen=True)
class ValuePairs:
    """What a `Level` tests: value pairs of one field for a batch of record pairs.

    Lists are expanded (every value of one side against every value of the other);
    `a` and `b` index the field's flat values in the table, `owner` the record pair.
    """

    table: RecordTable
    field: str
    owner: IntArray  # which record pair (position in the batch) each value pair belongs to
    rec_a: IntArray
    rec_b: IntArray
    a: IntArray  # flat value index, left side
    b: IntArray


def _expand(table: RecordTable, name: str, rec_a: IntArray, rec_b: IntArray) -> ValuePairs:
    counts, offsets = table.counts(name), table.offsets(name)
    ca, cb = counts[rec_a], counts[rec_b]
    if int(ca.max(initial=0)) <= 1 and int(cb.max(initial=0)) <= 1:
        owner = np.flatnonzero((ca > 0) & (cb > 0))
        a, b = offsets[rec_a[owner]], offsets[rec_b[owner]]
    else:
        per_pair = ca * cb
        owner = np.repeat(np.arange(len(rec_a), dtype=np.int64), per_pair)
        starts = np.cumsum(per_pair) - per_pair
        k = np.arange(len(owner), dtype=np.int64) - starts[owner]
        width = cb[owner]
        a = offsets[rec_a[owner]] + k // width
        b = offsets[rec_b[owner]] + k % width
    return ValuePairs(table, name, owner, rec_a[owner], rec_b[owner], a, b)


# ---------------------------------------------------------------------------------- levels


@dataclass(frozen=True)
class Level(ABC):
    """One test in a comparison's ladder; `field` None reads the comparison's field."""

    kind: ClassVar[str]
    field: str | None = dataclasses.field(default=None, kw_only=True)

    @abstractmethod
    def test(self, pairs: ValuePairs) -> BoolArray:
        """Whether each value pair passes."""

    @property
    @abstractmethod
    def description(self) -> str:
        """What the level means, without the field."""

    @property
    def label(self) -> str:
        return self.description if self.field is None else f"{self.description} ({self.field})"

    def to_dict(self) -> dict[str, Any]:
        data = {"kind": self.kind, **dataclasses.asdict(self)}
        if data["field"] is None:
            del data["field"]
        return data


# Below this many value pairs `cpdist` runs on the calling thread: starting its thread
# pool costs milliseconds, more than a few thousand comparisons (an arriving record's
# candidates) take.
PARALLEL_FROM = 20_000


def _cpdist(
    a: ObjectArray, b: ObjectArray, scorer: Callable[..., float], cutoff: float
) -> npt.NDArray[Any]:
    workers = -1 if len(a) >= PARALLEL_FROM else 1
    result: npt.NDArray[Any] = cpdist(a, b, scorer=scorer, score_cutoff=cutoff, workers=workers)
    return result


def _similarity(
    pairs: ValuePairs,
    scorer: Callable[..., float],
    cutoff: float,
    strings: ObjectArray | None = None,
) -> npt.NDArray[Any]:
    """`scorer` of each value pair (element-wise; all cores for many); `strings` default
    to folded."""
    if strings is None:
        strings = pairs.table.folded(pairs.field)
    if len(pairs.a) == 0:
        return np.zeros(0)
    # Candidate pairs repeat value pairs ("andre" / "andrew" in every block of Andrews):
    # score each distinct pair of folded values once. `strings` derive from the folded
    # value, so its code stands for them.
    codes = pairs.table.codes(pairs.field)[0]
    key = codes[pairs.a] * (int(codes.max()) + 1) + codes[pairs.b]
    distinct, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if len(distinct) > 0.8 * len(key):
        return _cpdist(strings[pairs.a], strings[pairs.b], scorer, cutoff)
    scores = _cpdist(strings[pairs.a[first]], strings[pairs.b[first]], scorer, cutoff)
    spread: npt.NDArray[Any] = scores[inverse.reshape(-1)]
    return spread


@dataclass(frozen=True)
class Exact(Level):
    """Equal after folding (case, accents and spacing ignored)."""

    kind: ClassVar[str] = "exact"

    def test(self, pairs: ValuePairs) -> BoolArray:
        codes = pairs.table.codes(pairs.field)[0]
        result: BoolArray = codes[pairs.a] == codes[pairs.b]
        return result

    @property
    def description(self) -> str:
        return "exact"


@dataclass(frozen=True)
class JaroWinkler(Level):
    """Jaro-Winkler similarity (0..1) at or above `threshold`."""

    kind: ClassVar[str] = "jaro_winkler"
    threshold: float = 0.9

    def test(self, pairs: ValuePairs) -> BoolArray:
        scores = _similarity(pairs, JaroWinklerDistance.normalized_similarity, self.threshold)
        result: BoolArray = scores >= self.threshold
        return result

    @property
    def description(self) -> str:
        return f"jaro-winkler >= {self.threshold:g}"


@dataclass(frozen=True)
class EditDistance(Level):
    """At most `max_distance` edits (Damerau-Levenshtein: swaps of neighbours count one)."""

    kind: ClassVar[str] = "edit_distance"
    max_distance: int = 1
    transpositions: bool = True

    def test(self, pairs: ValuePairs) -> BoolArray:
        scorer = DamerauLevenshtein.distance if self.transpositions else Levenshtein.distance
        distances = _similarity(pairs, scorer, self.max_distance)
        result: BoolArray = distances <= self.max_distance
        return result

    @property
    def description(self) -> str:
        name = "damerau-levenshtein" if self.transpositions else "levenshtein"
        return f"{name} <= {self.max_distance}"


@dataclass(frozen=True)
class TokenSet(Level):
    """Token-set similarity (0..1, word order and repeats ignored) at or above `threshold`.

    Punctuation splits words, so address keys like '12 hope rd|kingston 6' compare by word.
    """

    kind: ClassVar[str] = "token_set"
    threshold: float = 0.9

    def test(self, pairs: ValuePairs) -> BoolArray:
        cutoff = self.threshold * 100.0
        table = pairs.table

        def make() -> ObjectArray:
            # rapidfuzz's processor (punctuation to spaces) once per distinct value.
            words = table.derived(pairs.field, "words", default_process)
            return np.asarray([*words, ""], dtype=object)[table.codes(pairs.field)[0]]

        words = table.cached(pairs.field, "words-array", make)
        scores = _similarity(pairs, fuzz.token_set_ratio, cutoff, words)
        result: BoolArray = scores >= cutoff
        return result

    @property
    def description(self) -> str:
        return f"token set >= {self.threshold:g}"


PhoneticAlgorithm = Literal["metaphone", "nysiis", "soundex"]
_PHONETIC: dict[str, Callable[[str], str]] = {
    "metaphone": jellyfish.metaphone,
    "nysiis": jellyfish.nysiis,
    "soundex": jellyfish.soundex,
}


def _phonetic_key(algorithm: str, text: str) -> str:
    encode = _PHONETIC[algorithm]
    # Word by word: the encoders are meant for single names.
    words = ["".join(ch for ch in word if ch.isalpha()) for word in text.split()]
    return " ".join(encode(word) for word in words if word)


@dataclass(frozen=True)
class Phonetic(Level):
    """The same phonetic code (metaphone, NYSIIS or soundex), word by word."""

    kind: ClassVar[str] = "phonetic"
    algorithm: PhoneticAlgorithm = "metaphone"

    def __post_init__(self) -> None:
        if self.algorithm not in _PHONETIC:
            raise ValueError(f"unknown phonetic algorithm {self.algorithm!r}")

    def test(self, pairs: ValuePairs) -> BoolArray:
        algorithm = self.algorithm
        codes = pairs.table.key_codes(
            pairs.field, f"phonetic:{algorithm}", lambda text: _phonetic_key(algorithm, text)
        )
        ca, cb = codes[pairs.a], codes[pairs.b]
        result: BoolArray = (ca == cb) & (ca >= 0)
        return result

    @property
    def description(self) -> str:
        return f"same {self.algorithm}"


@dataclass(frozen=True)
class Nickname(Level):
    """Given names of one nickname group (Bob / Robert, Peggy / Margaret)."""

    kind: ClassVar[str] = "nickname"

    def test(self, pairs: ValuePairs) -> BoolArray:
        table = pairs.table

        def make() -> npt.NDArray[np.int32]:
            groups = table.derived(pairs.field, "nickname", nickname_groups)
            width = max((len(g) for g in groups), default=0) or 1
            grid = np.full((len(groups) + 1, width), -1, dtype=np.int32)
            for row, found in enumerate(groups):
                grid[row, : len(found)] = sorted(found)
            return grid[table.codes(pairs.field)[0]]

        grid = table.cached(pairs.field, "nickname-grid", make)
        ga, gb = grid[pairs.a], grid[pairs.b]
        same = (ga[:, :, None] == gb[:, None, :]) & (ga[:, :, None] >= 0)
        result: BoolArray = same.any(axis=(1, 2))
        return result

    @property
    def description(self) -> str:
        return "nickname"


def _initial(text: str) -> tuple[str, bool]:
    letters = text.replace(".", "").strip()
    return (letters[:1], len(letters) == 1)


@dataclass(frozen=True)
class Initial(Level):
    """One side is a lone initial ('J', 'J.') and the other starts with it ('John')."""

    kind: ClassVar[str] = "initial"

    def test(self, pairs: ValuePairs) -> BoolArray:
        table = pairs.table

        def make() -> tuple[IntArray, BoolArray]:
            found = table.derived(pairs.field, "initial", _initial)
            first_codes, _ = _factorize([letter for letter, _ in found])
            lone = np.asarray([is_lone for _, is_lone in found] + [False], dtype=np.bool_)
            codes = table.codes(pairs.field)[0]
            return np.append(first_codes, -1)[codes], lone[codes]

        first, lone = table.cached(pairs.field, "initial-arrays", make)
        result: BoolArray = (first[pairs.a] == first[pairs.b]) & (lone[pairs.a] | lone[pairs.b])
        return result

    @property
    def description(self) -> str:
        return "initial"


def parse_date(text: str) -> tuple[int, int, int, int] | None:
    """(year, month, day, day number) of 'yyyy-mm-dd', 'yyyymmdd' or 'yyyy/mm/dd'; else None."""
    digits = text[:10].replace("-", "").replace("/", "")
    if len(digits) != 8 or not digits.isdigit():
        return None
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    try:
        ordinal = dt.date(year, month, day).toordinal()
    except ValueError:
        return None
    return year, month, day, ordinal


def _date_arrays(pairs: ValuePairs) -> npt.NDArray[np.int64]:
    """Per flat value (year, month, day, day number); -1 everywhere for a bad date."""
    table = pairs.table

    def make() -> npt.NDArray[np.int64]:
        parsed = table.derived(pairs.field, "date", parse_date)
        grid = np.full((len(parsed) + 1, 4), -1, dtype=np.int64)
        for row, found in enumerate(parsed):
            if found is not None:
                grid[row] = found
        return grid[table.codes(pairs.field)[0]]

    return table.cached(pairs.field, "date-grid", make)


@dataclass(frozen=True)
class DateTransposed(Level):
    """Same year, day and month swapped (2001-03-04 / 2001-04-03): a US/UK mix-up."""

    kind: ClassVar[str] = "date_transposed"

    def test(self, pairs: ValuePairs) -> BoolArray:
        grid = _date_arrays(pairs)
        da, db = grid[pairs.a], grid[pairs.b]
        result: BoolArray = (
            (da[:, 0] >= 0)
            & (da[:, 0] == db[:, 0])
            & (da[:, 1] == db[:, 2])
            & (da[:, 2] == db[:, 1])
            & (da[:, 1] != da[:, 2])
        )
        return result

    @property
    def description(self) -> str:
        return "day/month transposed"


@dataclass(frozen=True)
class DateWithin(Level):
    """Valid dates at most `days` apart."""

    kind: ClassVar[str] = "date_within"
    days: int = 31

    def test(self, pairs: ValuePairs) -> BoolArray:
        grid = _date_arrays(pairs)
        oa, ob = grid[pairs.a, 3], grid[pairs.b, 3]
        result: BoolArray = (oa >= 0) & (ob >= 0) & (np.abs(oa - ob) <= self.days)
        return result

    @property
    def description(self) -> str:
        return f"within {self.days} days"


@dataclass(frozen=True)
class YearWithin(Level):
    """Valid dates whose years differ by at most `years` (0: the same year)."""

    kind: ClassVar[str] = "year_within"
    years: int = 1

    def test(self, pairs: ValuePairs) -> BoolArray:
        grid = _date_arrays(pairs)
        ya, yb = grid[pairs.a, 0], grid[pairs.b, 0]
        result: BoolArray = (ya >= 0) & (yb >= 0) & (np.abs(ya - yb) <= self.years)
        return result

    @property
    def description(self) -> str:
        return "same year" if self.years == 0 else f"years within {self.years}"


def _number(text: str) -> float:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return math.nan


@dataclass(frozen=True)
class NumericWithin(Level):
    """Numbers at most `absolute` apart, or within `relative` of the larger one."""

    kind: ClassVar[str] = "numeric_within"
    absolute: float | None = None
    relative: float | None = None

    def __post_init__(self) -> None:
        if self.absolute is None and self.relative is None:
            raise ValueError("NumericWithin needs absolute or relative")

    def test(self, pairs: ValuePairs) -> BoolArray:
        table = pairs.table

        def make() -> FloatArray:
            numbers = np.asarray([*table.derived(pairs.field, "number", _number), math.nan])
            return numbers[table.codes(pairs.field)[0]]

        numbers = table.cached(pairs.field, "number-array", make)
        na, nb = numbers[pairs.a], numbers[pairs.b]
        gap = np.abs(na - nb)
        result = np.zeros(len(na), dtype=np.bool_)
        if self.absolute is not None:
            result |= gap <= self.absolute
        if self.relative is not None:
            result |= gap <= self.relative * np.maximum(np.abs(na), np.abs(nb))
        return result

    @property
    def description(self) -> str:
        parts = []
        if self.absolute is not None:
            parts.append(f"within {self.absolute:g}")
        if self.relative is not None:
            parts.append(f"within {self.relative:.0%}")
        return " or ".join(parts)


@dataclass(frozen=True)
class Swapped(Level):
    """Two fields swapped: this field of each record matches `other` of the other one.

    The classic case is given and family name written the wrong way round; address
    lines in the wrong columns are another. `threshold` 1.0 asks for equality after
    folding, lower values for Jaro-Winkler on both crossings (a typo on top of a swap).
    Of a list field, `other` contributes its first value.
    """

    kind: ClassVar[str] = "swapped"
    other: str = "family_name"
    threshold: float = 1.0

    def test(self, pairs: ValuePairs) -> BoolArray:
        table = pairs.table
        own = table.folded(pairs.field)
        other = table.first_folded(self.other)
        a_own, b_own = own[pairs.a], own[pairs.b]
        a_other, b_other = other[pairs.rec_a], other[pairs.rec_b]
        present = (a_other != "") & (b_other != "")
        if self.threshold >= 1.0:
            result: BoolArray = present & (a_own == b_other) & (b_own == a_other)
            return result
        hit = np.zeros(len(a_own), dtype=np.bool_)
        todo = np.flatnonzero(present)
        if len(todo):
            scorer = JaroWinklerDistance.normalized_similarity
            cut = self.threshold
            one = _cpdist(a_own[todo], b_other[todo], scorer, cut)
            todo = todo[one >= cut]
            two = _cpdist(b_own[todo], a_other[todo], scorer, cut)
            hit[todo] = two >= cut
        return hit

    @property
    def description(self) -> str:
        how = "" if self.threshold >= 1.0 else f" (jaro-winkler >= {self.threshold:g})"
        return f"swapped with {self.other}{how}"


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


@dataclass(frozen=True)
class Crossed(Level):
    """Values tagged by where they come from ("h:" a social handle, "e:" an email's
    user part) match across tags: one record's handle is the other's email user name
    ("tamara.mullings.13" and "tamaramullings13@gmail.com"). Same-tag value pairs are
    the business of the email and handle comparisons; `CrossedNone` takes them.
    """

    kind: ClassVar[str] = "crossed"
    threshold: float = 1.0
    # With `min_digits`, the level asks only for the same number of at least that many
    # digits, whatever the letters ("jevaughn_j74" / "jjohnson74"): people carry their
    # number (a birth year, a lucky number) from one platform to the next.
    min_digits: int = 0

    def test(self, pairs: ValuePairs) -> BoolArray:
        folded = pairs.table.folded(pairs.field)
        a, b = folded[pairs.a], folded[pairs.b]
        tag_a = np.asarray([v[:2] for v in a], dtype=object)
        tag_b = np.asarray([v[:2] for v in b], dtype=object)
        crossed = tag_a != tag_b
        hit = np.zeros(len(a), dtype=np.bool_)
        todo = np.flatnonzero(crossed)
        if not len(todo):
            return hit
        body_a = np.asarray([v[2:] for v in a[todo]], dtype=object)
        body_b = np.asarray([v[2:] for v in b[todo]], dtype=object)
        if self.min_digits:
            hit[todo] = np.asarray(
                [
                    len(d) >= self.min_digits and d == _digits(y)
                    for d, y in zip(map(_digits, body_a), body_b, strict=True)
                ],
                dtype=np.bool_,
            )
        elif self.threshold >= 1.0:
            hit[todo] = body_a == body_b
        else:
            # Letters may differ a little ("jodiannw" / "jodiannwilliams"); the number a
            # person added to make the name theirs may not (133 is not 708).
            same_digits = np.asarray(
                [_digits(x) == _digits(y) for x, y in zip(body_a, body_b, strict=True)],
                dtype=np.bool_,
            )
            scorer = JaroWinklerDistance.normalized_similarity
            similarity = _cpdist(body_a, body_b, scorer, self.threshold)
            hit[todo] = same_digits & (similarity >= self.threshold)
        return hit

    @property
    def description(self) -> str:
        if self.min_digits:
            return "crossed same number"
        how = "exact" if self.threshold >= 1.0 else f"jaro-winkler >= {self.threshold:g}"
        return f"crossed {how}"


@dataclass(frozen=True)
class CrossedNone(Level):
    """Only same-tag values to compare (emails on both sides, or handles): no evidence
    here, which training learns as a weight near zero."""

    kind: ClassVar[str] = "crossed_none"

    def test(self, pairs: ValuePairs) -> BoolArray:
        folded = pairs.table.folded(pairs.field)
        same: BoolArray = np.asarray(
            [x[:2] == y[:2] for x, y in zip(folded[pairs.a], folded[pairs.b], strict=True)],
            dtype=np.bool_,
        )
        return same

    @property
    def description(self) -> str:
        return "nothing to cross"


_LEVEL_KINDS: dict[str, type[Level]] = {
    cls.kind: cls
    for cls in (
        Exact,
        JaroWinkler,
        EditDistance,
        TokenSet,
        Phonetic,
        Nickname,
        Initial,
        DateTransposed,
        DateWithin,
        YearWithin,
        NumericWithin,
        Swapped,
        Crossed,
        CrossedNone,
    )
}


def level_from_dict(data: Mapping[str, Any]) -> Level:
    """The level `Level.to_dict` wrote."""
    values = dict(data)
    cls = _LEVEL_KINDS.get(values.pop("kind", ""))
    if cls is None:
        raise ValueError(f"unknown level kind in {dict(data)!r}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)} for level kind {cls.kind!r}")
    level: Level = cls(**values)
    return level


# -------------------------------------------------------------------------- term frequency


@dataclass
class TermFrequencies:
    """How common each folded value of some fields is: the u of an exact match on it.

    Only values seen at least `min_count` times are kept (the rest, and values never
    seen, get `floor`, the frequency of a value seen once), so the table stays small
    enough to store with a model.
    """

    frequencies: dict[str, dict[str, float]]
    floor: dict[str, float]

    @classmethod
    def from_table(
        cls, table: RecordTable, names: Iterable[str], min_count: int = 2
    ) -> TermFrequencies:
        frequencies: dict[str, dict[str, float]] = {}
        floor: dict[str, float] = {}
        for name in names:
            codes, uniques = table.codes(name)
            total = len(codes)
            counts = np.bincount(codes, minlength=len(uniques))
            keep = np.flatnonzero(counts >= min_count)
            frequencies[name] = {uniques[i]: float(counts[i]) / total for i in keep}
            floor[name] = 1.0 / max(total, 1)
        return cls(frequencies, floor)

    def per_value(self, table: RecordTable, name: str) -> FloatArray:
        """The frequency of each flat value of `name` in `table`."""
        known = self.frequencies.get(name, {})
        low = self.floor.get(name, 1.0)
        codes, uniques = table.codes(name)
        per_unique = np.asarray([known.get(v, low) for v in uniques] + [low], dtype=np.float64)
        return per_unique[codes]

    def to_dict(self) -> dict[str, Any]:
        return {"frequencies": self.frequencies, "floor": self.floor}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TermFrequencies:
        return cls(
            {k: {v: float(f) for v, f in d.items()} for k, d in data["frequencies"].items()},
            {k: float(v) for k, v in data["floor"].items()},
        )


# ----------------------------------------------------------------------------- comparisons


@dataclass(frozen=True)
class Comparison:
    """A named ladder of levels over `fields` (the first one is the comparison's own).

    The pair is null (no evidence) unless at least one of `fields` has values on both
    sides, or when both records have every field of `unless_present` (another
    comparison weighs those, so this one would count the same evidence twice).
    `term_frequency` marks the exact levels on the own field for frequency adjustment.
    `across_sources` marks a comparison whose levels only arise between sources (a
    handle against an email's user name): its u is drawn from pairs across all records,
    since pairs inside one source never reach those levels and would make them look
    impossibly rare for non-matches. `context` marks a comparison that says how likely
    a pair is before its values are looked at (two records of one source), not whether
    they agree: its weight never counts as evidence against a pair (`Scorer.contradicted`).
    """

    name: str
    fields: tuple[str, ...]
    levels: tuple[Level, ...]
    term_frequency: bool = False
    unless_present: tuple[str, ...] = ()
    across_sources: bool = False
    context: bool = False

    def __post_init__(self) -> None:
        if not self.fields:
            raise ValueError(f"comparison {self.name!r} reads no field")
        if not self.levels:
            raise ValueError(f"comparison {self.name!r} has no level")
        if len(self.levels) > 100:
            raise ValueError(f"comparison {self.name!r} has too many levels for int8")

    @property
    def field(self) -> str:
        return self.fields[0]

    @property
    def n_levels(self) -> int:
        """Levels including the final 'else'."""
        return len(self.levels) + 1

    @property
    def labels(self) -> list[str]:
        return [level.label for level in self.levels] + [ELSE_LABEL]

    @property
    def reads(self) -> tuple[str, ...]:
        """Every field the comparison looks at."""
        names = list(self.fields) + list(self.unless_present)
        for level in self.levels:
            if level.field is not None:
                names.append(level.field)
            if isinstance(level, Swapped):
                names.append(level.other)
        return tuple(dict.fromkeys(names))

    def tf_levels(self) -> list[int]:
        """Indices of the levels whose match weight is adjusted by term frequency: the
        exact ones on the own field, exact crossings included (a handle spelling a name
        is as telling as the name is rare)."""
        if not self.term_frequency:
            return []
        return [
            i
            for i, level in enumerate(self.levels)
            if level.field in (None, self.field)
            and (
                isinstance(level, Exact)
                or (isinstance(level, Crossed) and level.threshold >= 1.0 and not level.min_digits)
            )
        ]

    def compare(
        self,
        table: RecordTable,
        rec_a: IntArray,
        rec_b: IntArray,
        term_frequencies: TermFrequencies | None = None,
    ) -> tuple[LevelArray, FloatArray | None]:
        """Levels of each pair, and the frequency behind exact hits (None: no frequencies).

        Frequencies come only for a `term_frequency` comparison given `term_frequencies`.
        """
        n = len(rec_a)
        present = np.zeros(n, dtype=np.bool_)
        for name in self.fields:
            counts = table.counts(name)
            present |= (counts[rec_a] > 0) & (counts[rec_b] > 0)
        if self.unless_present:
            both_full = np.ones(n, dtype=np.bool_)
            for name in self.unless_present:
                counts = table.counts(name)
                both_full &= (counts[rec_a] > 0) & (counts[rec_b] > 0)
            present &= ~both_full
        levels = np.full(n, NULL_LEVEL, dtype=np.int8)
        levels[present] = len(self.levels)
        tf: FloatArray | None = None
        tf_levels = set(self.tf_levels())
        if tf_levels and term_frequencies is not None:
            tf = np.full(n, np.nan)
        undecided = np.flatnonzero(present)
        for index, level in enumerate(self.levels):
            if len(undecided) == 0:
                break
            name = level.field or self.field
            pairs = _expand(table, name, rec_a[undecided], rec_b[undecided])
            passed = level.test(pairs)
            hit = np.zeros(len(undecided), dtype=np.bool_)
            hit[pairs.owner[passed]] = True
            if tf is not None and term_frequencies is not None and index in tf_levels:
                per_value = term_frequencies.per_value(table, name)
                best = np.full(len(undecided), np.inf)
                # With lists, the rarest of the shared values speaks for the pair; of a
                # crossed pair ("n:" a name, "h:" a handle spelling it), the more common
                # side's value: the name, as a handle is one person's.
                frequency = np.maximum(per_value[pairs.a[passed]], per_value[pairs.b[passed]])
                np.minimum.at(best, pairs.owner[passed], frequency)
                tf[undecided[hit]] = best[hit]
            levels[undecided[hit]] = index
            undecided = undecided[~hit]
        return levels, tf

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "fields": list(self.fields),
            "levels": [level.to_dict() for level in self.levels],
        }
        if self.term_frequency:
            data["term_frequency"] = True
        if self.unless_present:
            data["unless_present"] = list(self.unless_present)
        if self.across_sources:
            data["across_sources"] = True
        if self.context:
            data["context"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comparison:
        return cls(
            name=str(data["name"]),
            fields=tuple(data["fields"]),
            levels=tuple(level_from_dict(level) for level in data["levels"]),
            term_frequency=bool(data.get("term_frequency", False)),
            unless_present=tuple(data.get("unless_present", ())),
            across_sources=bool(data.get("across_sources", False)),
            context=bool(data.get("context", False)),
        )


@dataclass(frozen=True)
class ComparisonVectors:
    """The comparison vectors of a batch of pairs.

    `levels[p, c]` is pair p's level on comparison c (`NULL_LEVEL` for no evidence);
    `tf[name][p]` is the frequency of the value behind an exact match on a
    term-frequency comparison, NaN where the pair is not on such a level.
    """

    levels: LevelArray
    tf: dict[str, FloatArray]

    def __len__(self) -> int:
        return int(self.levels.shape[0])

    def take(self, rows: IntArray | BoolArray) -> ComparisonVectors:
        """The vectors of some pairs only."""
        return ComparisonVectors(self.levels[rows], {k: v[rows] for k, v in self.tf.items()})


def _as_index(values: Sequence[int] | npt.ArrayLike) -> IntArray:
    array = np.asarray(values, dtype=np.int64)
    if array.ndim != 1:
        raise ValueError("pair indices must be one-dimensional")
    return array


@dataclass(frozen=True)
class ComparisonSpec:
    """An ordered set of comparisons: the columns of a comparison vector."""

    name: str
    comparisons: tuple[Comparison, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.comparisons]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate comparison names in spec {self.name!r}: {names}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.comparisons]

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field any comparison reads."""
        return tuple(dict.fromkeys(f for c in self.comparisons for f in c.reads))

    @property
    def tf_fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.comparisons if c.term_frequency)

    def compare(
        self,
        table: RecordTable,
        left: Sequence[int] | npt.ArrayLike,
        right: Sequence[int] | npt.ArrayLike,
        *,
        term_frequencies: TermFrequencies | None = None,
        with_tf: bool = True,
    ) -> ComparisonVectors:
        """Comparison vectors of the pairs (left[p], right[p]) of `table`'s rows.

        Without `term_frequencies`, frequencies come from `table` itself; `with_tf`
        False skips them (training and u sampling need only the levels).
        """
        rec_a, rec_b = _as_index(left), _as_index(right)
        if len(rec_a) != len(rec_b):
            raise ValueError(f"{len(rec_a)} left indices for {len(rec_b)} right ones")
        if len(rec_a) and (
            min(rec_a.min(), rec_b.min()) < 0 or max(rec_a.max(), rec_b.max()) >= len(table)
        ):
            raise IndexError(f"pair index outside the table of {len(table)} records")
        if not with_tf:
            term_frequencies = None
        elif term_frequencies is None and self.tf_fields:
            term_frequencies = TermFrequencies.from_table(table, self.tf_fields)
        levels = np.empty((len(rec_a), len(self.comparisons)), dtype=np.int8)
        tf: dict[str, FloatArray] = {}
        for column, comparison in enumerate(self.comparisons):
            levels[:, column], found = comparison.compare(table, rec_a, rec_b, term_frequencies)
            if found is not None:
                tf[comparison.name] = found
        return ComparisonVectors(levels, tf)

    def vectors(
        self,
        table: RecordTable,
        left: Sequence[int] | npt.ArrayLike,
        right: Sequence[int] | npt.ArrayLike,
    ) -> LevelArray:
        """Only the int8 levels, shape (n_pairs, n_comparisons)."""
        return self.compare(table, left, right, with_tf=False).levels

    def compare_records(
        self,
        pairs: Sequence[tuple[Record, Record]],
        *,
        term_frequencies: TermFrequencies | None = None,
    ) -> tuple[ComparisonVectors, RecordTable]:
        """Vectors of pairs given as records; the table holds a0, b0, a1, b1, ...

        Term frequencies come only from `term_frequencies` (a handful of records says
        nothing about how common a name is).
        """
        flat = [record for pair in pairs for record in pair]
        table = RecordTable.from_records(flat, self.fields)
        left = np.arange(0, len(flat), 2, dtype=np.int64)
        vectors = self.compare(
            table,
            left,
            left + 1,
            term_frequencies=term_frequencies,
            with_tf=term_frequencies is not None,
        )
        return vectors, table

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "comparisons": [c.to_dict() for c in self.comparisons]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ComparisonSpec:
        return cls(str(data["name"]), tuple(Comparison.from_dict(c) for c in data["comparisons"]))


# ------------------------------------------------------------------- the service's specs

_CONTACT_COMPARISONS = (
    Comparison("email", ("email",), (Exact(), EditDistance(1))),
    Comparison("phone", ("phone",), (Exact(), EditDistance(1))),
    Comparison("address", ("address",), (Exact(), TokenSet(0.9))),
    Comparison(
        "location", ("city", "parish"), (Exact(), Exact(field="parish")), term_frequency=True
    ),
    Comparison("website", ("website",), (Exact(),)),
)

PERSON_SPEC = ComparisonSpec(
    "person",
    (
        Comparison(
            "given_name",
            ("given_name",),
            (
                Exact(),
                Nickname(),
                JaroWinkler(0.92),
                Swapped(other="family_name", threshold=0.88),
                Initial(),
                JaroWinkler(0.8),
            ),
            term_frequency=True,
        ),
        Comparison(
            "family_name",
            ("family_name",),
            (
                Exact(),
                JaroWinkler(0.92),
                Phonetic("metaphone"),
                Swapped(other="given_name", threshold=0.88),
                # "Carlene N.": a family name written as its initial.
                Initial(),
                JaroWinkler(0.8),
            ),
            term_frequency=True,
        ),
        # The full name speaks only where the split name is missing on a side.
        Comparison(
            "full_name",
            ("name_folded",),
            (Exact(), TokenSet(0.9), JaroWinkler(0.9), TokenSet(0.7)),
            term_frequency=True,
            unless_present=("given_name", "family_name"),
        ),
        Comparison(
            "dob",
            ("dob",),
            (Exact(), DateTransposed(), EditDistance(1), DateWithin(366)),
        ),
        *_CONTACT_COMPARISONS,
        Comparison("company", ("company_key",), (Exact(), TokenSet(0.9))),
        Comparison("handle", ("handle",), (Exact(),)),
        # A social profile follows the business the other record works at.
        Comparison(
            "follows_employer", ("employer",), (Crossed(), CrossedNone()), across_sources=True
        ),
        # People reuse a user name: an Instagram handle is often the email's user part.
        Comparison(
            "username",
            ("username",),
            (Crossed(), Crossed(threshold=0.92), Crossed(min_digits=2), CrossedNone()),
            across_sources=True,
        ),
        # A handle that spells the other record's name ("shamar.maxwell.1399" and Shamar
        # Maxwell), where one side has no name of its own to compare: a profile without
        # a display name is otherwise only a handle.
        Comparison(
            "handle_name",
            ("spelled",),
            (Crossed(), CrossedNone()),
            term_frequency=True,
            unless_present=("given_name", "family_name"),
            across_sources=True,
        ),
        # One source seldom holds a person twice (a CRM's duplicates are a few in a
        # hundred), where two sources share many of their customers: a pair inside one
        # source starts less likely. EM learns by how much (m); u counts all pairs.
        Comparison("source", ("source",), (Exact(),), across_sources=True, context=True),
    ),
)

BUSINESS_SPEC = ComparisonSpec(
    "business",
    (
        Comparison(
            "name",
            ("name_folded",),
            # The company key drops suffixes and spelling variants ("Ltd", "&"): two
            # businesses of one country rarely share it.
            # A company key one edit away is the same name mistyped ("Hope Road
            # Rrealty"), which a similarity over the whole name ranks with namesakes.
            (
                Exact(field="company_key"),
                Exact(),
                EditDistance(1, field="company_key"),
                TokenSet(0.9),
                JaroWinkler(0.9),
                TokenSet(0.7),
            ),
            term_frequency=True,
        ),
        *_CONTACT_COMPARISONS,
        Comparison("handle", ("handle",), (Exact(),)),
    ),
)

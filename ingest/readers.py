"""File readers: CSV, XLSX, JSON and JSONL into raw rows with their location.

A reader yields `RawRow`s; a row it cannot make sense of (broken quoting, wrong field
count, a JSON line that does not parse) is yielded with `problem` set, so the pipeline
quarantines it with the rest. A problem with the whole file (missing, empty, unreadable
encoding, missing required columns, not a JSON document of the expected shape) raises
`SourceFileError` naming the file and what is wrong.
"""

from __future__ import annotations

import codecs
import csv
import gc
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any, TextIO

from ingest.columns import snake_header
from ingest.profiles.base import SourceProfile

MAX_FIELD_CHARS = 100_000  # csv's own limit is 128 KiB; a longer field is quarantined, not fatal
csv.field_size_limit(sys.maxsize)


class SourceFileError(ValueError):
    """The file as a whole cannot be ingested; the message names the file and why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(slots=True)
class RawRow:
    line: int  # 1-based line (CSV/JSONL), row (XLSX) or array index + 1 (JSON)
    data: dict[str, Any]
    problem: str | None = None  # set when the reader already knows the row is unusable


def detect_encoding(path: Path) -> str:
    """utf-8 (with or without BOM), utf-16 with BOM, else cp1252, else latin-1.

    A file with NUL bytes and no UTF-16 BOM is binary (or BOM-less UTF-16): refused.
    """
    with path.open("rb") as handle:
        head = handle.read(65536)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if b"\x00" in head:
            raise SourceFileError(
                path, "unreadable encoding: the file holds NUL bytes (binary, or UTF-16 "
                "without a byte-order mark); save it as UTF-8 CSV"
            )  # fmt: skip
        handle.seek(0)
        for encoding in ("utf-8-sig", "cp1252"):
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
                return encoding
            except UnicodeDecodeError:
                handle.seek(0)
    return "latin-1"


def read_rows(path: Path, profile: SourceProfile) -> Iterator[RawRow]:
    """The raw rows of `path`, by its suffix: .csv/.tsv, .xlsx, .json, .jsonl/.ndjson."""
    if not path.exists():
        raise SourceFileError(path, "no such file")
    if path.is_dir():
        raise SourceFileError(path, "is a folder; give a file")
    if path.stat().st_size == 0:
        raise SourceFileError(path, "empty file")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv", ".txt"}:
        return _read_csv(path, profile)
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path, profile)
    if suffix == ".json":
        return _read_json(path, profile)
    if suffix in {".jsonl", ".ndjson"}:
        return _read_jsonl(path)
    raise SourceFileError(
        path, f"unknown file type {suffix!r}: expected .csv, .xlsx, .json or .jsonl"
    )


def _check_header(path: Path, header: list[str], profile: SourceProfile) -> list[str]:
    names = [snake_header(h) for h in header]
    if not any(names):
        raise SourceFileError(path, "the first row is not a header (no column names)")
    present = set(names)
    missing = sorted(c for c in profile.required_columns if not profile.accepted_names(c) & present)
    if missing:
        raise SourceFileError(
            path,
            f"missing required column(s) {', '.join(missing)} for source profile "
            f"{profile.name!r}; the file has: {', '.join(n for n in names if n) or 'none'}",
        )
    return names


def _read_csv(path: Path, profile: SourceProfile) -> Iterator[RawRow]:
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as handle:
        sample = handle.read(65536)
        handle.seek(0)
        delimiter = (
            "\t" if path.suffix.lower() == ".tsv" or sample.count("\t") > sample.count(",") else ","
        )
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise SourceFileError(path, "empty file") from None
        except csv.Error as exc:
            raise SourceFileError(path, f"the header row is not valid CSV: {exc}") from None
        names = _check_header(path, header, profile)
        width = len(names)
        start = reader.line_num + 1
        data_rows = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                # Broken quoting: skip to the next line and carry on; the bad span is kept.
                yield RawRow(start, {"_raw": f"(lines {start}-{reader.line_num})"},
                             f"broken CSV quoting: {exc}")  # fmt: skip
                data_rows += 1
                start = reader.line_num + 1
                continue
            line, start = start, reader.line_num + 1
            if not fields or all(not f.strip() for f in fields):
                continue  # blank line
            data_rows += 1
            row = dict(zip(names, fields, strict=False))
            if len(fields) != width:
                spans = f" (the record spans lines {line}-{start - 1})" if start - 1 > line else ""
                yield RawRow(line, {**row, "_extra": fields[width:]},
                             f"row has {len(fields)} fields, the header has {width}{spans}; "
                             "probably broken quoting")  # fmt: skip
                continue
            if start - 1 > line and _holds_a_row(fields, delimiter, width):
                yield RawRow(line, row, f"a quoted field spans lines {line}-{start - 1} and holds "
                             "what looks like a whole row: probably broken quoting (a stray quote)")  # fmt: skip
                continue
            long = next((n for n, f in row.items() if len(f) > MAX_FIELD_CHARS), None)
            if long is not None:
                yield RawRow(line, {k: v[:200] for k, v in row.items()},
                             f"field {long!r} is {len(row[long])} characters long "
                             f"(limit {MAX_FIELD_CHARS})")  # fmt: skip
                continue
            yield RawRow(line, row)
        if data_rows == 0:
            raise SourceFileError(path, "the file has a header but no data rows")


def _holds_a_row(fields: list[str], delimiter: str, width: int) -> bool:
    """A line inside a multi-line field that splits into a full row: a swallowed row."""
    return width > 2 and any(
        line.count(delimiter) >= width - 1
        for field in fields if "\n" in field
        for line in field.splitlines()[1:]
    )  # fmt: skip


def _read_xlsx(path: Path, profile: SourceProfile) -> Iterator[RawRow]:
    from openpyxl import load_workbook

    try:
        # data_only: a formula cell gives the value Excel last computed, not its formula;
        # the second view shows the formulas, to catch those saved without a value.
        book = load_workbook(path, read_only=True, data_only=True)
        formulas_book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a corrupt file
        raise SourceFileError(path, f"not a readable XLSX workbook: {exc}") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        formula_rows = formulas_book.worksheets[0].iter_rows(values_only=True)
        next(formula_rows, None)
        header = next(rows, None)
        if header is None:
            raise SourceFileError(path, "empty workbook (the first sheet has no rows)")
        names = _check_header(path, ["" if h is None else str(h) for h in header], profile)
        data_rows = 0
        for number, (values, formula_values) in enumerate(zip_longest(rows, formula_rows), start=2):
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            data_rows += 1
            row = {n: _cell_text(v) for n, v in zip(names, values, strict=False) if n}
            formula = next(
                (n for n, v, f in zip(names, values, formula_values or (), strict=False)
                 if v is None and isinstance(f, str) and f.startswith("=")),
                None,
            )  # fmt: skip
            if formula is not None:
                # No cached value was saved with the workbook: we cannot know what it shows.
                yield RawRow(number, row, f"cell {formula!r} holds a formula with no saved "
                             "value; open and save the file in Excel, or export values")  # fmt: skip
                continue
            yield RawRow(number, row)
        if data_rows == 0:
            raise SourceFileError(path, "the workbook has a header but no data rows")
    finally:
        book.close()
        formulas_book.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers and ids typed as numbers
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _load_json(handle: TextIO) -> Any:
    """`json.load` with the cyclic GC paused: a parsed document holds no cycles, and the
    collections its millions of new containers would set off cost three times the parse."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return json.load(handle)
    finally:
        if was_enabled:
            gc.enable()


def _read_json(path: Path, profile: SourceProfile) -> Iterator[RawRow]:
    encoding = detect_encoding(path)
    try:
        with path.open("r", encoding=encoding) as handle:
            document = _load_json(handle)
    except json.JSONDecodeError as exc:
        raise SourceFileError(
            path, f"not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    try:
        rows: list[Any] = list(profile.rows_from_json(document))
    except ValueError as exc:
        raise SourceFileError(path, f"{exc} (source profile {profile.name!r})") from None
    del document  # only the rows are needed from here on
    if not rows:
        raise SourceFileError(path, "the document holds no rows")
    for index in range(1, len(rows) + 1):
        # Let go of each row once it is handed on, so memory falls as the file is read.
        item, rows[index - 1] = rows[index - 1], None
        if isinstance(item, dict):
            yield RawRow(index, item)
        else:
            yield RawRow(
                index, {"_raw": item}, f"row {index} is a {type(item).__name__}, not an object"
            )


def _read_jsonl(path: Path) -> Iterator[RawRow]:
    encoding = detect_encoding(path)
    data_rows = 0
    with path.open("r", encoding=encoding) as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            data_rows += 1
            try:
                item = json.loads(text)
            except json.JSONDecodeError as exc:
                yield RawRow(
                    number,
                    {"_raw": text[:2000]},
                    f"not valid JSON: {exc.msg} at column {exc.colno}",
                )
                continue
            if not isinstance(item, dict):
                yield RawRow(
                    number, {"_raw": item}, f"line holds a {type(item).__name__}, not an object"
                )
                continue
            yield RawRow(number, item)
    if data_rows == 0:
        raise SourceFileError(path, "the file holds only blank lines")

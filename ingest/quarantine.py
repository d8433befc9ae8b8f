"""The quarantine: every row that could not be ingested, with where it came from and why.

Entries live in `<home>/quarantine/entries.jsonl` (append-only); entries that a replay
took care of are listed in `resolved.jsonl`. Nothing is ever dropped: a row that fails
again on replay comes back as a new entry with its new reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class QuarantineEntry:
    id: str  # "<run id>:<n>"
    run_id: str
    file: str
    line: int
    profile: str
    stage: str  # "read" (the file's own text is broken), "validate", "link", "duplicate"
    reason: str
    row: dict[str, Any] = field(default_factory=dict)
    at: str = ""

    @property
    def replayable(self) -> bool:
        # A row the reader could not split into fields needs the file fixed, not a replay.
        return self.stage != "read"


class Quarantine:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.entries_path = directory / "entries.jsonl"
        self.resolved_path = directory / "resolved.jsonl"

    def add_many(self, entries: Iterable[QuarantineEntry]) -> int:
        entries = list(entries)
        if not entries:
            return 0
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.entries_path.open("a", encoding="utf-8") as handle:
            for entry in entries:
                handle.write(json.dumps(asdict(entry), ensure_ascii=False, default=str) + "\n")
        return len(entries)

    def resolve(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if not ids:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.resolved_path.open("a", encoding="utf-8") as handle:
            for entry_id in ids:
                handle.write(json.dumps({"id": entry_id}) + "\n")

    def _resolved(self) -> set[str]:
        if not self.resolved_path.exists():
            return set()
        with self.resolved_path.open(encoding="utf-8") as handle:
            return {json.loads(line)["id"] for line in handle if line.strip()}

    def all(self) -> Iterator[QuarantineEntry]:
        if not self.entries_path.exists():
            return
        with self.entries_path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield QuarantineEntry(**json.loads(line))

    def pending(
        self, *, profile: str | None = None, file: str | None = None
    ) -> list[QuarantineEntry]:
        resolved = self._resolved()
        return [
            e
            for e in self.all()
            if e.id not in resolved
            and (profile is None or e.profile == profile)
            and (file is None or Path(e.file).name == Path(file).name or e.file == file)
        ]

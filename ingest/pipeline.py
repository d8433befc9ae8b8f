"""The ingest pipeline: raw rows -> validated, normalised, hashed evidence -> graph.

Parsing, validation, normalisation, hashing and parameter encoding run in worker
processes (`ParseWorkers` running `prepare_chunk`); the parent reads the file, looks keys
up, decides new / updated / unchanged, and hands ready-made batches to a writer thread,
so the graph server writes one batch while the parent sorts out the next.

Each row ends in exactly one bucket: new, updated, unchanged or quarantined; the summary
checks that they add up to the rows read.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from pydantic import ValidationError

from graph.customer_activity import refresh_activity
from graph.encoding import row_encoder
from graph.store import GraphStore
from ingest.model import ActivityKind, ActivityRecord, EvidenceRecord, RecordKind, SourceItem
from ingest.normalise import InvalidValue
from ingest.profiles import get_profile
from ingest.profiles.base import RowRejected, SourceProfile
from ingest.quarantine import Quarantine, QuarantineEntry
from ingest.readers import RawRow, read_rows

log = logging.getLogger(__name__)

CHUNK_ROWS = 1_000  # rows per worker task
INLINE_ROWS = 5_000  # smaller inputs are prepared in-process: workers cost more than they save
# Cyclic GC thresholds while ingesting (see _work and ingest_rows): collect after
# 50,000 new containers instead of 700, and the oldest generation hardly ever.
GC_THRESHOLDS = (50_000, 20, 100)
# Write statements (a batch makes one to four) that may be queued behind the one the
# graph server is running. Within a file no statement depends on a look-up of another
# batch's keys, and the run waits for every write before it ends.
WRITES_AHEAD = 4

# Graph label of each item, and the statements that look up / create / replace it.
STATEMENTS: dict[str, tuple[str, str, str]] = {
    "Record": ("ingest/lookup_records", "ingest/create_records", "ingest/upsert_records"),
    "Interaction": (
        "ingest/lookup_interactions",
        "ingest/create_interactions",
        "ingest/upsert_interactions",
    ),
    "Transaction": (
        "ingest/lookup_transactions",
        "ingest/create_transactions",
        "ingest/upsert_transactions",
    ),
}


class Prepared(NamedTuple):
    """One item ready to write: its identity, content hash and encoded parameters."""

    label: str  # "Record" | "Interaction" | "Transaction"
    key: str
    hash: str
    derived: bool
    business: bool
    record_key: str | None  # the Record an activity hangs off
    encoded: Any


class Refused(NamedTuple):
    """Why a row yields nothing to write, and the stage that found it."""

    reason: str
    stage: str


# What a worker sends back for one row: its items, why it was refused, or None for a row
# the reader had already refused (the parent kept the raw rows and knows why).
Outcome = list[Prepared] | Refused | None


@dataclass(slots=True)
class PreparedRow:
    line: int
    raw: dict[str, Any]
    items: list[Prepared]
    problem: str | None = None
    stage: str = "validate"

    @property
    def primary(self) -> Prepared:
        return next(i for i in self.items if not i.derived)

    @classmethod
    def of(cls, raw: RawRow, outcome: Outcome) -> PreparedRow:
        if raw.problem is not None:
            return cls(raw.line, raw.data, [], raw.problem, stage="read")
        if isinstance(outcome, Refused):
            return cls(raw.line, raw.data, [], outcome.reason, outcome.stage)
        return cls(raw.line, raw.data, outcome or [])


@dataclass
class IngestSummary:
    origin: str
    profile: str
    run_id: str
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    derived_written: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        return self.rows == self.new + self.updated + self.unchanged + self.quarantined

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin, "profile": self.profile, "run_id": self.run_id,
            "rows": self.rows, "new": self.new, "updated": self.updated,
            "unchanged": self.unchanged, "quarantined": self.quarantined,
            "derived_written": self.derived_written, "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second), "top_reasons": dict(self.reasons.most_common(5)),
        }  # fmt: skip


# -- the worker side ---------------------------------------------------------------


def content_hash(row: dict[str, Any]) -> str:
    """Hash of everything a graph row says (before `hash` and `ingested_at` are set)."""
    payload = orjson.dumps(row, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def graph_row(item: SourceItem) -> dict[str, Any]:
    """The parameter map the ingest statements take for one item (hash not yet set)."""
    props: dict[str, Any] = {k: v for k, v in item.fields.items() if v is not None and v != []}
    props.update(key=item.key, source=item.source, source_id=item.source_id, kind=item.kind.value)
    if isinstance(item, ActivityRecord):
        return {"record_key": item.record_key, "props": props}
    return {
        "props": props,
        "emails": item.emails,
        "phones": item.phones,
        # = model_dump(exclude_none=True) of these flat models, at a fraction of its cost
        "addresses": [{k: v for k, v in vars(a).items() if v is not None} for a in item.addresses],
        "handles": [{"key": h.key, "platform": h.platform, "value": h.value} for h in item.handles],
        "websites": item.websites,
        "works_at": [item.works_at] if item.works_at else [],
    }


def _label(item: SourceItem) -> str:
    if isinstance(item, EvidenceRecord):
        return "Record"
    return "Interaction" if item.kind is ActivityKind.INTERACTION else "Transaction"


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = []
        for error in exc.errors()[:3]:
            where = ".".join(str(p) for p in error["loc"]) or "row"
            parts.append(f"{where}: {error['msg']}")
        return "; ".join(parts)
    return str(exc)


def prepare_row(
    profile: SourceProfile,
    data: dict[str, Any],
    encode: Callable[[dict[str, Any]], Any],
    ingested_at: int,
) -> list[Prepared] | Refused:
    try:
        items = profile.to_items(profile.parse(data))
        if not items or all(getattr(i, "derived", False) for i in items):
            raise RowRejected("the row yields no record of its own")
    except (ValidationError, RowRejected, InvalidValue, ValueError) as exc:
        return Refused(_reason(exc), "validate")
    prepared = []
    for item in items:
        row = graph_row(item)
        digest = content_hash(row)
        row["props"].update(hash=digest, ingested_at=ingested_at)
        prepared.append(Prepared(
            label=_label(item), key=item.key, hash=digest,
            derived=isinstance(item, EvidenceRecord) and item.derived,
            business=isinstance(item, EvidenceRecord) and item.kind is RecordKind.BUSINESS,
            record_key=item.record_key if isinstance(item, ActivityRecord) else None,
            encoded=encode(row),
        ))  # fmt: skip
    return prepared


# One chunk for a worker: profile name, graph backend, ingested_at, the rows' data (None
# for a row the reader refused).
Task = tuple[str, str, int, list[dict[str, Any] | None]]


def prepare_chunk(args: Task) -> list[Outcome]:
    """The outcome of each row of a chunk; a row given as None (the reader refused it)
    comes back as None. Only outcomes travel back: the parent still has the raw rows."""
    profile_name, backend, ingested_at, rows = args
    profile, encode = get_profile(profile_name), row_encoder(backend)
    return [None if data is None else prepare_row(profile, data, encode, ingested_at)
            for data in rows]  # fmt: skip


class ParseWorkers:
    """Forked processes that run `prepare_chunk`, one pipe each.

    A feeder thread reads the tasks and deals them round-robin, at most `window` ahead
    of what the caller has taken back, so memory stays flat however large the input;
    iterating gives each task's outcomes in the order read. (multiprocessing.Pool does
    the same with three threads, one of which spins while results wait to be read.)
    An error of the input (the reader's) or of a worker is raised where its task would be.
    """

    def __init__(self, count: int, tasks: Iterator[Task], window: int) -> None:
        context = (
            multiprocessing.get_context("forkserver")
            if _hosts_jvm()
            else multiprocessing.get_context("fork")
        )
        self.pipes: list[Connection] = []
        self.processes: list[BaseProcess] = []
        for _ in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(target=_work, args=(theirs,), daemon=True)
            process.start()
            theirs.close()
            self.pipes.append(ours)
            self.processes.append(process)
        self.window = threading.Semaphore(window)
        self.sent: queue.SimpleQueue[int | BaseException | None] = queue.SimpleQueue()
        self.closed = False
        self.feeder = threading.Thread(target=self._feed, args=(tasks,), daemon=True)
        self.feeder.start()

    def _feed(self, tasks: Iterator[Task]) -> None:
        try:
            for n, task in enumerate(tasks):
                self.window.acquire()
                if self.closed:
                    return
                self.pipes[n % len(self.pipes)].send(task)
                self.sent.put(n % len(self.pipes))
            self.sent.put(None)
        except BaseException as exc:  # handed to the reading thread, which raises it
            self.sent.put(exc)

    def __iter__(self) -> Iterator[list[Outcome]]:
        while (worker := self.sent.get()) is not None:
            if isinstance(worker, BaseException):
                raise worker
            try:
                outcome = self.pipes[worker].recv()
            except EOFError:
                code = self.processes[worker].exitcode
                raise RuntimeError(f"a parse worker died (exit code {code})") from None
            if isinstance(outcome, BaseException):
                raise outcome
            self.window.release()
            yield outcome

    def close(self) -> None:
        self.closed = True
        self.window.release()  # a feeder waiting for room sees `closed` and stops
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():  # deaf to SIGTERM (see _start_method): no more asking
                process.kill()
                process.join()
        for pipe in self.pipes:
            pipe.close()
        self.feeder.join(timeout=5)


def _hosts_jvm() -> bool:
    """Workers are forked: they inherit the imported profiles and touch no sockets of
    ours. Not when this process hosts a JVM (Debezium's embedded engine, as in the test
    suite): a forked copy of a running JVM keeps its signal handlers but none of its
    threads, and hangs instead of exiting; forkserver starts them from a clean process."""
    jpype = sys.modules.get("jpype")
    return bool(jpype is not None and jpype.isJVMStarted())


def _work(pipe: Connection) -> None:
    """A parse worker's loop: tasks in, outcomes (or the error a task raised) out.

    Everything a worker inherited from the parent lives as long as it does: frozen, the
    cyclic GC never walks it again (nor dirties its shared pages). A row's objects die
    young and hold no cycles, so collecting after every 700 new containers (the default)
    cost a tenth of the worker's time for next to nothing."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    while True:
        try:
            task = pipe.recv()
        except EOFError:  # the parent is gone
            return
        try:
            outcome: list[Outcome] | BaseException = prepare_chunk(task)
        except Exception as exc:
            outcome = exc
        pipe.send(outcome)


# -- the writer side ---------------------------------------------------------------


class Ingestor:
    """Writes prepared rows to the graph in batches and keeps the run's counts."""

    def __init__(self, store: GraphStore, quarantine: Quarantine, summary: IngestSummary,
                 origin: str, batch_size: int, writer: Executor | None = None) -> None:  # fmt: skip
        self.store, self.quarantine, self.summary = store, quarantine, summary
        self.origin, self.batch_size = origin, batch_size
        # Writes go through `writer` (one thread) when given, so that the graph server
        # writes one batch while this thread reads, looks up and sorts the next.
        self.writer = writer
        self.writes: deque[Future[None]] = deque()
        self.first_line: dict[str, int] = {}  # primary key -> line, to catch duplicates
        self.derived_hashes: dict[str, str] = {}  # derived key -> hash written this run
        self.pending: list[PreparedRow] = []
        self._quarantined: list[QuarantineEntry] = []
        self.replayed_ids: list[str] = []
        # The records whose customers' first purchase or last activity the run may move
        # (graph.customer_activity): those written activity hangs off, now and before.
        self.dated: set[str] = set()
        self.was_on: dict[str, str] = {}  # existing activity key -> its record, a batch

    def add(self, row: PreparedRow, entry_id: str | None = None) -> None:
        self.summary.rows += 1
        if row.problem is not None:
            self._reject(row, row.problem, row.stage)
        else:
            key = row.primary.key
            first = self.first_line.get(key)
            if first is not None:
                self._reject(row, f"duplicate key {key}: the same record is at line {first} "
                             "of this file", "duplicate")  # fmt: skip
            else:
                self.first_line[key] = row.line
                self.pending.append(row)
        if entry_id is not None:
            self.replayed_ids.append(entry_id)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def _reject(self, row: PreparedRow, reason: str, stage: str) -> None:
        self.summary.quarantined += 1
        self.summary.reasons[_reason_kind(reason)] += 1
        n = self.summary.quarantined
        self._quarantined.append(QuarantineEntry(
            id=f"{self.summary.run_id}:{n}", run_id=self.summary.run_id, file=self.origin,
            line=row.line, profile=self.summary.profile, stage=stage, reason=reason,
            row=row.raw, at=datetime.now(UTC).isoformat(timespec="seconds"),
        ))  # fmt: skip

    def flush(self) -> None:
        rows, self.pending = self.pending, []
        if rows:
            self._write(rows)
        self.quarantine.add_many(self._quarantined)
        self._quarantined = []
        if self.replayed_ids:
            self.wait()  # an entry is resolved only once its row is in the graph
            self.quarantine.resolve(self.replayed_ids)
            self.replayed_ids = []

    def wait(self) -> None:
        """Wait for the writes sent so far; raises what a failed one raised."""
        while self.writes:
            self.writes.popleft().result()

    def _lookup(self, label: str, keys: Iterable[str]) -> dict[str, str]:
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}
        rows = self.store.run(STATEMENTS[label][0], {"keys": keys})
        if label != "Record":
            self.was_on.update((r["key"], r["record_key"]) for r in rows if r["record_key"])
        return {r["key"]: r["hash"] for r in rows}

    def _write(self, rows: list[PreparedRow]) -> None:
        by_label: dict[str, list[str]] = {}
        for row in rows:
            for item in row.items:
                # A derived record written earlier in this run needs no look-up: the hash
                # it has now is in derived_hashes.
                if not (item.derived and item.key in self.derived_hashes):
                    by_label.setdefault(item.label, []).append(item.key)
        existing = {label: self._lookup(label, keys) for label, keys in by_label.items()}
        record_keys = [i.record_key for r in rows for i in r.items if i.record_key]
        known_records = set(self._lookup("Record", record_keys)) if record_keys else set()

        create: dict[str, list[Prepared]] = {label: [] for label in STATEMENTS}
        upsert: dict[str, list[Prepared]] = {label: [] for label in STATEMENTS}
        derived: dict[str, Prepared] = {}
        for row in rows:
            primary = row.primary
            if primary.record_key is not None and primary.record_key not in known_records:
                self._reject(row, f"unknown record {primary.record_key}: ingest that source "
                             "first, then run `c360 quarantine replay`", "link")  # fmt: skip
                continue
            for item in row.items:
                if item.derived:
                    before = self.derived_hashes.get(item.key) or existing["Record"].get(item.key)
                    if before != item.hash and item.key not in derived:
                        derived[item.key] = item
            old = existing[primary.label].get(primary.key)
            if old is None:
                self.summary.new += 1
                create[primary.label].append(primary)
            elif old != primary.hash:
                self.summary.updated += 1
                upsert[primary.label].append(primary)
                if primary.key in self.was_on:
                    self.dated.add(self.was_on[primary.key])
            else:
                self.summary.unchanged += 1
            if old != primary.hash and primary.record_key is not None:
                self.dated.add(primary.record_key)
        self.was_on.clear()

        # Derived businesses first, so WORKS_AT finds them; businesses before persons.
        if derived:
            self._send("ingest/upsert_records", list(derived.values()))
            self.derived_hashes.update((k, p.hash) for k, p in derived.items())
            self.summary.derived_written += len(derived)
        for label, (_, create_name, upsert_name) in STATEMENTS.items():
            new = sorted(create[label], key=lambda p: not p.business)
            if new:
                self._send(create_name, new)
            if upsert[label]:
                self._send(upsert_name, sorted(upsert[label], key=lambda p: not p.business))

    def _send(self, name: str, items: list[Prepared]) -> None:
        encoded = [p.encoded for p in items]
        if self.writer is None:
            self.store.write_encoded(name, encoded)
            return
        self.writes.append(self.writer.submit(self.store.write_encoded, name, encoded))
        while len(self.writes) > WRITES_AHEAD:
            self.writes.popleft().result()


def _reason_kind(reason: str) -> str:
    """A short reason class for the summary: the text before the first colon or detail."""
    head = reason.split(":", 1)[0]
    return head if len(head) <= 60 else head[:57] + "..."


def _chunks(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def new_run_id() -> str:
    return (
        datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        + f"-{os.getpid()}-{time.monotonic_ns() % 100_000}"
    )


def ingest_rows(
    rows: Iterable[RawRow],
    profile_name: str,
    store: GraphStore,
    quarantine: Quarantine,
    *,
    origin: str,
    batch_size: int = 2_000,
    workers: int | None = None,
    size_hint: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    entry_ids: Iterable[str] | None = None,
) -> IngestSummary:
    """Ingest raw rows with the named profile; returns the run's summary.

    `entry_ids` (replay) pairs each row with the quarantine entry it came from; those
    entries are marked resolved (a row that fails again is quarantined afresh).
    """
    profile = get_profile(profile_name)
    started = time.perf_counter()
    summary = IngestSummary(origin=origin, profile=profile.name, run_id=new_run_id())
    ingested_at = int(time.time() * 1000)
    ids = iter(entry_ids) if entry_ids is not None else None
    # Workers parse while the graph server writes.
    workers = workers if workers is not None else max(1, os.cpu_count() or 1)
    in_flight: deque[list[RawRow]] = deque()  # the raw rows of the chunks sent, in order

    def tasks() -> Iterator[Task]:
        for chunk in _chunks(iter(rows), CHUNK_ROWS):
            in_flight.append(chunk)
            data = [None if raw.problem is not None else raw.data for raw in chunk]
            yield profile.name, store.backend, ingested_at, data

    # The parent makes objects as fast as the workers send rows, while it may hold a whole
    # JSON document: with the default thresholds, full collections walking that document
    # took a third of its time. Its objects hold no cycles either.
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-writer")
    ingestor = Ingestor(store, quarantine, summary, origin, batch_size, writer)
    pool = None
    try:
        prepared: Iterable[list[Outcome]]
        if workers > 0 and (size_hint is None or size_hint > INLINE_ROWS):
            prepared = pool = ParseWorkers(workers, tasks(), window=max(4, 4 * workers))
        else:
            prepared = map(prepare_chunk, tasks())
        for outcomes in prepared:
            chunk = in_flight.popleft()
            for raw, outcome in zip(chunk, outcomes, strict=True):
                ingestor.add(PreparedRow.of(raw, outcome), next(ids) if ids is not None else None)
            if on_progress is not None:
                on_progress(len(chunk))
        ingestor.flush()
        ingestor.wait()
        refresh_activity(store, keys=ingestor.dated)
    finally:
        gc.set_threshold(*thresholds)
        writer.shutdown()
        if pool is not None:
            pool.close()
    summary.seconds = time.perf_counter() - started
    if not summary.balanced:  # a bug, not bad input: say so loudly
        raise AssertionError(f"ingest counts do not add up: {summary.as_dict()}")
    log.info("ingest done", extra={"summary": summary.as_dict()})
    return summary


def ingest_file(path: Path, profile_name: str, store: GraphStore, quarantine: Quarantine,
                **options: Any) -> IngestSummary:  # fmt: skip
    profile = get_profile(profile_name)
    options.setdefault("size_hint", _estimate_rows(path))
    summary = ingest_rows(read_rows(path, profile), profile.name, store, quarantine,
                          origin=str(path), **options)  # fmt: skip
    store.settle()  # a file is a bulk job: later single writes stay fast
    return summary


def _estimate_rows(path: Path) -> int:
    try:
        return max(1, path.stat().st_size // 150)
    except OSError:
        return 0


def replay(store: GraphStore, quarantine: Quarantine, *, profile: str | None = None,
           file: str | None = None, **options: Any) -> list[IngestSummary]:  # fmt: skip
    """Run every pending, replayable quarantine entry through its profile again."""
    groups: dict[tuple[str, str], list[QuarantineEntry]] = {}
    for entry in quarantine.pending(profile=profile, file=file):
        if entry.replayable:
            groups.setdefault((entry.profile, entry.file), []).append(entry)
    summaries = []
    for (profile_name, origin), entries in groups.items():
        summaries.append(ingest_rows(
            (RawRow(e.line, e.row) for e in entries), profile_name, store, quarantine,
            origin=origin, workers=0, entry_ids=[e.id for e in entries], **options,
        ))  # fmt: skip
    if summaries:
        store.settle()
    return summaries

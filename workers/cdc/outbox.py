"""The outbox relay: change events a SQLite system of record wrote -> the bus.

`SystemOfRecord` writes each change's Debezium event into the `outbox` table in the
change's own transaction (`ingest.sor.envelope`). The relay reads the unsent rows in `id`
order, publishes them on the bus with their topic and key (the in-process `MemoryBus` by
default, Kafka when configured), flushes, and only then marks them sent: a relay that dies
between publishing and marking publishes the same rows again when it restarts
(at-least-once), which the apply side absorbs (every graph write is guarded by the row
version and the event's position, so a replay changes nothing).

Marking takes SQLite's one write lock, which the service's own writes may hold most of
the time under load (waiting for it took seconds here), so a running relay does not wait
for it: it reads past the rows it has published, and a marker thread of its own marks
them in bulk. A crash republishes at most the rows published but not yet marked.

Two relays on one outbox (two API processes on one SQLite file) may both publish a row:
duplicates again, absorbed the same way. Sent rows are kept for a day for tracing; a running
relay removes older ones (`prune`) once an hour.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, func, select

from ingest.sor.db import SystemOfRecord
from ingest.sor.schema import outbox, utcnow
from workers.bus.port import EventBus

log = logging.getLogger(__name__)

H_OUTBOX_ID = "c360.outbox_id"  # the outbox row a message came from
H_CAPTURED_AT = "c360.captured_at"  # epoch ms when it was published (as capture sets it)
DEFAULT_BATCH = 500
DEFAULT_POLL_S = 0.5  # between looks at an idle outbox; a write in-process wakes it at once
KEEP_SENT = timedelta(days=1)
MARK_EVERY_S = 0.25  # the marker's pace
PRUNE_EVERY_S = 3600.0  # the marker removes rows sent more than KEEP_SENT ago


@dataclass
class RelayStats:
    published: int = 0  # messages handed to the bus (a replay counts again)
    batches: int = 0
    last_id: int | None = None  # the highest outbox id marked sent
    errors: int = 0  # relay passes that failed (and will be retried)


class OutboxRelay:
    """Relays the outbox of `sor` to `bus`: `relay_once()` for one pass, `run()` until
    `stop()`, or `start()` / `stop()` on a thread of its own."""

    def __init__(
        self,
        sor: SystemOfRecord,
        bus: EventBus,
        *,
        batch_size: int = DEFAULT_BATCH,
        poll_interval_s: float = DEFAULT_POLL_S,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.sor = sor
        self.engine: Engine = sor.engine
        self.bus = bus
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.stats = RelayStats()
        self._unmarked: list[int] = []  # published and flushed, not yet marked sent
        self._cursor: int | None = None  # the last id published (reads go past it)
        self._marks = threading.Lock()
        self._marked = threading.Event()  # rows wait for the marker thread
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._marker: threading.Thread | None = None
        sor.on_outbox.append(self.wake)

    # -- one pass ----------------------------------------------------------------------
    def pending(self) -> int:
        """Rows not yet marked sent."""
        with self.engine.connect() as conn:
            query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            return int(conn.execute(query).scalar_one())

    def relay_once(self, *, mark: bool = True) -> int:
        """Publish the oldest unsent rows (at most one batch) and flush; then mark them
        sent (with `mark=False`, later, by `mark()`). Returns how many were relayed."""
        rows = self.sor.outbox_unsent(self.batch_size, after=self._cursor)
        if not rows:
            return 0
        now = str(int(time.time() * 1000))
        self.bus.ensure_topics(sorted({row["topic"] for row in rows}))
        for row in rows:
            value = row["value"].encode() if row["value"] else None
            headers = {H_OUTBOX_ID: str(row["id"]), H_CAPTURED_AT: now}
            self.bus.publish(row["topic"], row["message_key"], value, headers)
        self.bus.flush()  # on the bus before the rows are marked: a crash here replays
        with self._marks:
            self._unmarked.extend(int(row["id"]) for row in rows)
        self._cursor = int(rows[-1]["id"])
        self.stats.published += len(rows)
        self.stats.batches += 1
        if mark:
            self.mark()
        return len(rows)

    def mark(self) -> None:
        """Mark every row published so far as sent."""
        with self._marks:
            ids, self._unmarked = self._unmarked, []
        if not ids:
            return
        try:
            self._mark_sent(ids)
        except BaseException:
            with self._marks:  # still to be marked (and, after a crash, republished)
                self._unmarked[:0] = ids
            raise
        self.stats.last_id = ids[-1]

    def _mark_sent(self, ids: list[int]) -> None:
        self.sor.outbox_mark_sent(ids)

    def drain(self) -> int:
        """Relay until nothing is pending, marking in bulk; returns how many were relayed."""
        total = 0
        while True:
            got = self.relay_once(mark=False)
            total += got
            if len(self._unmarked) >= self.batch_size or got < self.batch_size:
                self.mark()
            if got < self.batch_size:
                return total

    def prune(self, older_than: timedelta = KEEP_SENT) -> int:
        """Remove rows sent before `older_than` ago; returns how many."""
        return self.sor.outbox_prune(utcnow() - older_than)

    # -- running -----------------------------------------------------------------------
    def wake(self) -> None:
        """A write committed outbox rows: relay now rather than at the next poll."""
        self._wake.set()

    def run(self, stop: Callable[[], bool] | None = None) -> None:
        """Relay until `stop()` (or the callable) says so. A failing pass (the database or
        the bus briefly unavailable) is logged and retried; nothing is marked sent
        that the bus did not take."""
        while not (self._stop.is_set() or (stop is not None and stop())):
            self._wake.clear()
            try:
                if self.relay_once(mark=False):
                    self._marked.set()
                    continue
            except Exception:
                self.stats.errors += 1
                log.exception("outbox relay pass failed; retrying")
            self._wake.wait(self.poll_interval_s)

    def _mark_forever(self) -> None:
        pruned_at = time.monotonic()
        while not self._stop.is_set():
            self._marked.wait(self.poll_interval_s)
            self._stop.wait(MARK_EVERY_S)  # marks in bulk: each one takes the write lock
            self._marked.clear()
            try:
                self.mark()
                if time.monotonic() - pruned_at > PRUNE_EVERY_S:
                    pruned_at = time.monotonic()
                    self.prune()
            except Exception:
                self.stats.errors += 1
                log.exception("marking relayed outbox rows failed; retrying")

    def start(self) -> OutboxRelay:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="outbox-relay", daemon=True)
        self._thread.start()
        self._marker = threading.Thread(
            target=self._mark_forever, name="outbox-marker", daemon=True
        )
        self._marker.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._marked.set()
        for thread in (self._thread, self._marker):
            if thread is not None:
                thread.join(timeout_s)
        self._thread = self._marker = None
        self.mark()  # what the bus has is marked before the relay goes
        if self.wake in self.sor.on_outbox:
            self.sor.on_outbox.remove(self.wake)

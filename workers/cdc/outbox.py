"""The outbox relay: change events a SQLite system of record wrote -> the bus.

`SystemOfRecord` writes each change's Debezium event into the `outbox` table in the
change's own transaction (`ingest.sor.envelope`). The relay reads the unsent rows in `id`
order, publishes them on the bus with their topic and key (the in-process `MemoryBus` by
default, Kafka when configured), flushes, and only then marks them sent: a relay that dies
between publishing and marking publishes the same rows again when it restarts
(at-least-once), which the apply side absorbs (every graph write is guarded by the row
version and the event's position, so a replay changes nothing).

Two relays on one outbox (two API processes on one SQLite file) may both publish a row:
duplicates again, absorbed the same way. Sent rows are kept for a while for tracing and
removed by `prune`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, func, select, update

from ingest.sor.db import SystemOfRecord
from ingest.sor.schema import outbox, utcnow
from workers.bus.port import EventBus

log = logging.getLogger(__name__)

H_OUTBOX_ID = "c360.outbox_id"  # the outbox row a message came from
H_CAPTURED_AT = "c360.captured_at"  # epoch ms when it was published (as capture sets it)
DEFAULT_BATCH = 500
DEFAULT_POLL_S = 0.5  # between looks at an idle outbox; a write in-process wakes it at once
KEEP_SENT = timedelta(days=1)


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
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        sor.on_outbox.append(self.wake)

    # -- one pass ----------------------------------------------------------------------
    def pending(self) -> int:
        """Rows not yet marked sent."""
        with self.engine.connect() as conn:
            query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            return int(conn.execute(query).scalar_one())

    def relay_once(self) -> int:
        """Publish the oldest unsent rows (at most one batch), flush, mark them sent.
        Returns how many were relayed."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outbox.c.id, outbox.c.topic, outbox.c.message_key, outbox.c.value)
                .where(outbox.c.sent_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.batch_size)
            ).all()
        if not rows:
            return 0
        now = str(int(time.time() * 1000))
        topics = sorted({row.topic for row in rows})
        self.bus.ensure_topics(topics)
        for row in rows:
            value = row.value.encode() if row.value else None
            headers = {H_OUTBOX_ID: str(row.id), H_CAPTURED_AT: now}
            self.bus.publish(row.topic, row.message_key, value, headers)
        self.bus.flush()  # on the bus before the rows are marked: a crash here replays
        self._mark_sent([row.id for row in rows])
        self.stats.published += len(rows)
        self.stats.batches += 1
        self.stats.last_id = max(row.id for row in rows)
        return len(rows)

    def _mark_sent(self, ids: Sequence[int]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=utcnow()))

    def drain(self) -> int:
        """Relay until nothing is pending; returns how many were relayed."""
        total = 0
        while True:
            got = self.relay_once()
            total += got
            if got < self.batch_size:
                return total

    def prune(self, older_than: timedelta = KEEP_SENT) -> int:
        """Remove rows sent before `older_than` ago; returns how many."""
        cutoff = utcnow() - older_than
        with self.engine.begin() as conn:
            gone = conn.execute(
                delete(outbox).where(outbox.c.sent_at.is_not(None), outbox.c.sent_at < cutoff)
            )
        return int(gone.rowcount or 0)

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
                if self.drain():
                    continue
            except Exception:
                self.stats.errors += 1
                log.exception("outbox relay pass failed; retrying")
            self._wake.wait(self.poll_interval_s)

    def start(self) -> OutboxRelay:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="outbox-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        if self.wake in self.sor.on_outbox:
            self.sor.on_outbox.remove(self.wake)

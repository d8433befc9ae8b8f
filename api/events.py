"""Event fan-out over a Redis stream: what GraphQL subscriptions and webhooks listen to.

Every API process publishes to, and reads from, one Redis stream (the embedded FalkorDB
server is a Redis server too). A stream rather than pub/sub because a stream keeps
history: a reconnecting client resumes from the last event id it saw, and a subscriber
that fell behind catches up from the stream instead of holding events in memory.

One reader task per process (`EventHub.start`) reads the stream and hands each event to
the in-process subscribers whose (kind, key) match. The reader never waits on a
subscriber: each has a bounded buffer; when it is full the buffer is dropped and that
subscriber re-reads what it missed from the stream itself (coalesced), so a slow
subscriber costs only itself. Bursts of changes to one key are coalesced into the latest
event with a count (`Event.coalesced`) for the kinds where only the latest state matters.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from workers.event_kinds import CUSTOMER_CHANGED

log = logging.getLogger("c360.events")

STREAM = "c360:events"

# Kinds whose events describe the latest state of their key, so a burst can be coalesced
# into its last event; an alert or an interaction is a fact of its own and never is.
COALESCED_KINDS: frozenset[str] = frozenset({CUSTOMER_CHANGED})

_READ_COUNT = 1000  # stream entries per XREAD / XRANGE page
_BLOCK_MS = 2000  # how long one XREAD waits for new entries


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def parse_id(event_id: str) -> tuple[int, int]:
    """A stream id "ms-seq" as a tuple that compares in stream order."""
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def raise_if_cancelled() -> None:
    """Re-raise a cancellation that was swallowed. redis-py sends a command inside
    `asyncio.wait_for` when a socket timeout is set, and Python 3.11's `wait_for` loses a
    cancellation that arrives just as the command completes (cpython#86296); call this
    after such an await so that a cancelled task (a closed subscription) still stops."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


@dataclass(frozen=True)
class Event:
    """One event: `id` is its stream entry id ("ms-seq", increasing), `key` what
    subscribers filter on (a customer id, a rep id), `at` when it was published (epoch ms),
    `coalesced` how many events of the same key this one stands for (it is the latest)."""

    id: str
    kind: str
    key: str
    at: int
    data: dict[str, Any] = field(default_factory=dict)
    coalesced: int = 1

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "kind": self.kind,
                "key": self.key,
                "at": self.at,
                "data": self.data,
                "coalesced": self.coalesced,
            },
            separators=(",", ":"),
            default=str,
        )

    @classmethod
    def from_fields(cls, event_id: bytes | str, fields: Mapping[Any, Any]) -> Event:
        """Build an Event from a stream entry as redis-py returns it (bytes or str)."""
        text = {_text(k): _text(v) for k, v in fields.items()}
        data = json.loads(text["data"]) if text.get("data") else {}
        if not isinstance(data, dict):
            raise ValueError(f"event data must be a JSON object, got {type(data).__name__}")
        return cls(
            id=_text(event_id),
            kind=text.get("kind", ""),
            key=text.get("key", ""),
            at=int(text.get("at", "0")),
            data=data,
        )


def parse_entries(entries: Iterable[Any]) -> list[Event]:
    """Stream entries as Events; an entry that is not one (written by something else)
    is logged and skipped rather than stopping whoever reads the stream."""
    events: list[Event] = []
    for entry_id, fields in entries:
        try:
            events.append(Event.from_fields(entry_id, fields or {}))
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning(
                json.dumps(
                    {"event": "events.malformed_entry", "id": _text(entry_id), "error": str(exc)}
                )
            )
    return events


def _fields(kind: str, key: str, data: Mapping[str, Any]) -> dict[str, str | int]:
    if not kind:
        raise ValueError("an event needs a kind")
    return {
        "kind": kind,
        "key": str(key),
        "at": _now_ms(),
        "data": json.dumps(data, separators=(",", ":"), default=str),
    }


def publish_sync(
    client: redis.Redis,
    kind: str,
    key: str,
    data: Mapping[str, Any],
    *,
    stream: str = STREAM,
    maxlen: int = 100_000,
) -> str:
    """Publish from synchronous code (the command line, workers); returns the event id."""
    return publish_many_sync(client, [(kind, key, data)], stream=stream, maxlen=maxlen)[0]


def publish_many_sync(
    client: redis.Redis,
    events: Iterable[tuple[str, str, Mapping[str, Any]]],
    *,
    stream: str = STREAM,
    maxlen: int = 100_000,
) -> list[str]:
    """Publish (kind, key, data) events in order in one round trip; their event ids."""
    fields = [_fields(kind, key, data) for kind, key, data in events]  # all checked first
    pipe = client.pipeline(transaction=False)
    for f in fields:
        pipe.xadd(stream, f, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
    return [_text(entry) for entry in pipe.execute()] if fields else []


@dataclass
class _Pending:
    event: Event
    count: int
    due: float  # loop time at which it may be handed over


class _Subscriber:
    """What the reader knows of one subscription: its filter and its bounded buffer.

    The buffer is ordered by event id (a merged entry moves to the end, since its event is
    now the newest), so the ids handed to the consumer always increase and "resume after
    the last id seen" loses nothing."""

    def __init__(self, kind: str, key: str | None, limit: int, coalesce_s: float) -> None:
        self.kind = kind
        self.key = key
        self.limit = limit
        # Events of a coalesced kind share one slot per key: a newer one replaces the
        # undelivered older one (counted), within the window or whenever the consumer is
        # behind, even with a window of 0.
        self.merge = kind in COALESCED_KINDS
        self.coalesce_s = coalesce_s if self.merge else 0.0
        self.buffer: OrderedDict[str, _Pending] = OrderedDict()
        self.overflowed = False
        self.wake = asyncio.Event()
        # Where the stream stood when it subscribed: everything after it reaches this
        # subscriber, live or (after an overflow) re-read. None until the hub starts.
        self.origin: str | None = None

    def offer(self, event: Event, now: float, now_ms: int) -> None:
        """Called by the reader; never blocks."""
        if self.overflowed:
            return  # the consumer re-reads everything after its last id from the stream
        slot = event.key if self.merge else event.id
        pending = self.buffer.pop(slot, None)
        if pending is not None:
            pending.event = event
            pending.count += event.coalesced
            self.buffer[slot] = pending
        elif len(self.buffer) >= self.limit:
            self.buffer.clear()
            self.overflowed = True
        else:
            # The window starts when the event was published, not when it reached us, so a
            # reader running late does not add the whole window on top; never longer than it.
            lateness = max(0.0, (now_ms - event.at) / 1000)
            wait = max(0.0, min(self.coalesce_s, self.coalesce_s - lateness))
            self.buffer[slot] = _Pending(event, event.coalesced, now + wait)
        self.wake.set()


class EventHub:
    """Publish events to the stream and fan them out to this process's subscribers."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        stream: str = STREAM,
        maxlen: int = 100_000,
        coalesce_ms: int = 50,
        queue_size: int = 256,
        on_count: Callable[[int], object] | None = None,
    ) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.client = client
        self.stream = stream
        self.maxlen = maxlen
        self.coalesce_ms = coalesce_ms
        self.queue_size = queue_size
        self.reader_name = f"c360-events-reader:{stream}"
        self._subs: dict[tuple[str, str | None], set[_Subscriber]] = {}
        self._task: asyncio.Task[None] | None = None
        self._reader: aioredis.Redis | None = None
        self._last_id = "0-0"
        self._stopping = False
        self.reconnects = 0
        # Told this process's number of subscribers whenever it changes (a metrics gauge).
        self.on_count = on_count
        self._subscribers = 0

    # -- publishing ------------------------------------------------------------------

    async def publish(self, kind: str, key: str, data: Mapping[str, Any] | None = None) -> str:
        """Append one event to the stream (trimmed to about `maxlen`); returns its id."""
        event_id = await self.client.xadd(
            self.stream,
            _fields(kind, key, data or {}),  # type: ignore[arg-type]
            maxlen=self.maxlen,
            approximate=True,
        )
        return _text(event_id)

    # -- the reader ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def last_id(self) -> str:
        """The id of the last stream entry the reader dispatched."""
        return self._last_id

    @property
    def subscriber_count(self) -> int:
        return self._subscribers

    async def start(self) -> None:
        """Start this process's one reader, from the end of the stream as it is now."""
        if self.running:
            return
        self._reader = self._reader_client()
        latest: Any = await self.client.xrevrange(self.stream, count=1)
        self._last_id = _text(latest[0][0]) if latest else "0-0"
        for subs in self._subs.values():
            for sub in subs:
                if sub.origin is None:
                    sub.origin = self._last_id
        self._task = asyncio.create_task(self._read_forever(self._reader), name=self.reader_name)

    async def stop(self) -> None:
        """Stop the reader and close its connection; subscriptions stay registered (they
        get live events again after another `start`)."""
        self._stopping = True
        task, self._task = self._task, None
        reader, self._reader = self._reader, None
        if reader is not None:
            # A cancelled blocking read may wait out its BLOCK time; a closed socket does not.
            await reader.connection_pool.disconnect()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                async with asyncio.timeout(5.0):
                    await task
        if reader is not None:
            await reader.aclose(close_connection_pool=True)
        self._stopping = False
        raise_if_cancelled()

    def _reader_client(self) -> aioredis.Redis:
        """A connection of the reader's own (its XREAD blocks), named so operators can see
        it, and without redis-py's silent retries: the reader reconnects itself, from the
        last id it saw, and logs that it did."""
        pool = self.client.connection_pool
        kwargs = {
            k: v
            for k, v in pool.connection_kwargs.items()
            if not k.startswith(("maint_notifications", "orig_"))
        }
        timeout = kwargs.get("socket_timeout")
        kwargs.update(
            client_name=self.reader_name,
            retry=Retry(NoBackoff(), 0),
            retry_on_error=[],
            socket_timeout=None if timeout is None else max(timeout, _BLOCK_MS / 1000 + 5),
        )
        return aioredis.Redis(
            connection_pool=aioredis.ConnectionPool(
                connection_class=pool.connection_class, max_connections=2, **kwargs
            )
        )

    async def _read_forever(self, reader: aioredis.Redis) -> None:
        failures = 0
        while not self._stopping:
            try:
                reply: Any = await reader.xread(
                    {self.stream: self._last_id}, count=_READ_COUNT, block=_BLOCK_MS
                )
                raise_if_cancelled()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                if self._stopping:
                    return
                failures += 1
                self.reconnects += 1
                delay = min(5.0, 0.05 * 2 ** min(failures, 7))
                log.warning(
                    json.dumps(
                        {
                            "event": "events.reader.reconnect",
                            "stream": self.stream,
                            "last_id": self._last_id,
                            "attempt": failures,
                            "retry_in_s": delay,
                            "error": f"{type(exc).__name__}: {exc}",
                        }
                    )
                )
                await asyncio.sleep(delay)
                continue
            except Exception:  # a bug must not silently end fan-out for the process
                log.exception(json.dumps({"event": "events.reader.error", "stream": self.stream}))
                await asyncio.sleep(1.0)
                continue
            if failures:
                log.info(
                    json.dumps(
                        {
                            "event": "events.reader.reconnected",
                            "stream": self.stream,
                            "last_id": self._last_id,
                            "after_attempts": failures,
                        }
                    )
                )
                failures = 0
            for entries in _stream_entries(reply):
                if entries:
                    self.dispatch(parse_entries(entries))
                    self._last_id = _text(entries[-1][0])

    def dispatch(self, events: Iterable[Event]) -> None:
        """Hand events (in stream order) to the matching subscribers; never blocks."""
        now = asyncio.get_running_loop().time()
        now_ms = _now_ms()
        for event in events:
            self._last_id = event.id
            for filt in ((event.kind, event.key), (event.kind, None)):
                for sub in self._subs.get(filt, ()):
                    sub.offer(event, now, now_ms)

    # -- subscribing -----------------------------------------------------------------

    def subscribe(
        self, kind: str, key: str | None = None, after: str | None = None
    ) -> AsyncIterator[Event]:
        """Events of `kind` for `key` (None: every key), live from now on; with `after`,
        first those after that id still in the stream. Ids increase; nothing is skipped
        or repeated across the switch from history to live. Registration happens here,
        not at the first `anext`, so nothing published after this call is missed."""
        if after is not None:
            parse_id(after)  # refuse a malformed id now, not in the middle of a stream
        sub = _Subscriber(kind, key, self.queue_size, self.coalesce_ms / 1000)
        sub.origin = self._last_id if self.running else None
        self._subs.setdefault((kind, key), set()).add(sub)
        self._count(+1)
        events = self._iterate(sub, after)
        weakref.finalize(events, self._unsubscribe, sub)  # never iterated, then dropped
        return events

    def _unsubscribe(self, sub: _Subscriber) -> None:
        subs = self._subs.get((sub.kind, sub.key))
        if subs is not None and sub in subs:
            subs.discard(sub)
            if not subs:
                del self._subs[(sub.kind, sub.key)]
            self._count(-1)

    def _count(self, change: int) -> None:
        self._subscribers += change
        if self.on_count is not None:
            self.on_count(self._subscribers)

    async def _iterate(self, sub: _Subscriber, after: str | None) -> AsyncIterator[Event]:
        loop = asyncio.get_running_loop()
        # `cursor`: the stream position up to which every matching event has been handed
        # over (or coalesced into one that was); buffered events at or before it are
        # already delivered and are skipped.
        cursor = after if after is not None else sub.origin
        replay = after is not None
        try:
            while True:
                if replay or sub.overflowed:
                    replay = sub.overflowed = False
                    scan = [cursor or sub.origin or "0-0"]
                    async for event in self._history(sub, scan):
                        yield event
                    cursor = scan[0]
                    continue
                if sub.buffer:
                    slot, head = next(iter(sub.buffer.items()))
                    wait: float | None = head.due - loop.time()
                    if wait is not None and wait <= 0:
                        del sub.buffer[slot]
                        if cursor is not None and parse_id(head.event.id) <= parse_id(cursor):
                            continue
                        cursor = head.event.id
                        event = head.event
                        if head.count != event.coalesced:
                            event = replace(event, coalesced=head.count)
                        yield event
                        continue
                else:
                    wait = None
                sub.wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await sub.wake.wait()
        finally:
            self._unsubscribe(sub)

    async def _history(self, sub: _Subscriber, scan: list[str]) -> AsyncIterator[Event]:
        """Matching events after `scan[0]` read from the stream page by page (a page's
        events of a coalesced kind merged per key: latest wins, counted); `scan[0]` is
        moved along to the last entry read, matching or not."""
        while True:
            page: Any = await self.client.xrange(self.stream, min=f"({scan[0]}", count=_READ_COUNT)
            raise_if_cancelled()
            if not page:
                return
            matched = [
                e
                for e in parse_entries(page)
                if e.kind == sub.kind and (sub.key is None or e.key == sub.key)
            ]
            for event in _coalesce(matched, sub.kind in COALESCED_KINDS):
                yield event
            scan[0] = _text(page[-1][0])
            if len(page) < _READ_COUNT:
                return


def _stream_entries(reply: Any) -> list[Any]:
    """The entry lists of an XREAD reply: a list of [stream, entries] (RESP2) or a dict
    stream -> entries (RESP3)."""
    if not reply:
        return []
    if isinstance(reply, dict):
        return [wrapped[0] for wrapped in reply.values() if wrapped]
    return [entries for _stream, entries in reply]


def _coalesce(events: Sequence[Event], merge: bool) -> Sequence[Event]:
    """Keep the latest event of each key, counting what it stands for, in stream order."""
    if not merge:
        return events
    latest: dict[str, tuple[Event, int]] = {}
    for event in events:
        previous = latest.pop(event.key, None)
        latest[event.key] = (event, event.coalesced + (previous[1] if previous else 0))
    return [e if n == e.coalesced else replace(e, coalesced=n) for e, n in latest.values()]

"""The `EventBus` port: keyed events, consumer groups, at-least-once delivery, a DLQ.

Both adapters (in-process `MemoryBus`, Kafka `KafkaBus`) promise the same things:

- per-key order: every event with one key goes to one partition of its topic, and a
  partition is read in order by one member of a group at a time;
- consumer groups: a group remembers, per partition, the offset after the last message it
  committed; a new member of the group starts there (a new group at the beginning);
- at-least-once: offsets are committed only after the handler returned, so a consumer that
  dies or closes without committing leaves its messages to be delivered again;
- a message whose handler raises goes alone to `<topic>.dlq` (same key and value, the
  error and the original topic/partition/offset in its headers) and the rest flow on.

The delivery loop (`drive`) is written once here over the small `Subscription` interface,
so both adapters run exactly the same commit and dead-letter logic.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, TypeAlias, runtime_checkable

import orjson

log = logging.getLogger(__name__)

DLQ_SUFFIX = ".dlq"
# Headers a dead letter carries (values are UTF-8 text).
H_ERROR = "dlq.error"  # "ExceptionType: message"
H_ERROR_TYPE = "dlq.error.type"  # the exception's qualified class name
H_TRACE = "dlq.error.trace"  # the last lines of the traceback
H_TOPIC = "dlq.topic"
H_PARTITION = "dlq.partition"
H_OFFSET = "dlq.offset"
H_GROUP = "dlq.group"
H_AT = "dlq.at"  # epoch milliseconds when it was dead-lettered

MAX_KEPT_DEAD_LETTERS = 1000  # ConsumeStats keeps the first ones; the DLQ has them all

Value: TypeAlias = bytes | str | Mapping[str, Any] | None
Headers: TypeAlias = Mapping[str, str | bytes]


class BusError(RuntimeError):
    """The bus could not do what was asked (a delivery failed, the broker is unreachable)."""


@dataclass(frozen=True, slots=True)
class Message:
    """One event. `partition`/`offset` are set on consumed messages, -1 on new ones.

    `value` is bytes (None for a tombstone); `json()` decodes it. Headers are text keys
    with byte values, as Kafka has them; `header()` reads one as text.
    """

    topic: str
    key: str
    value: bytes | None
    headers: Mapping[str, bytes] = field(default_factory=dict)
    partition: int = -1
    offset: int = -1
    timestamp_ms: int | None = None

    def json(self) -> Any:
        return None if self.value is None else orjson.loads(self.value)

    def header(self, name: str) -> str | None:
        raw = self.headers.get(name)
        return None if raw is None else raw.decode("utf-8", errors="replace")


def encode_value(value: Value) -> bytes | None:
    """bytes as they are, str as UTF-8, a mapping as JSON; None stays a tombstone."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def encode_headers(headers: Headers | None) -> dict[str, bytes]:
    if not headers:
        return {}
    return {k: v if isinstance(v, bytes) else v.encode() for k, v in headers.items()}


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


@runtime_checkable
class Subscription(Protocol):
    """One member of a consumer group: poll, handle, commit; close without commit = redeliver."""

    group: str

    def poll(self, max_messages: int = 500, timeout_s: float = 1.0) -> list[Message]:
        """Up to `max_messages` in partition order; waits up to `timeout_s` for the first."""
        ...

    def commit(self, messages: Iterable[Message]) -> None:
        """Commit, per partition, the offset after the last of `messages` (synchronously)."""
        ...

    def lag(self) -> dict[tuple[str, int], int]:
        """Messages not yet polled, per assigned (topic, partition)."""
        ...

    def close(self) -> None:
        """Leave the group. Nothing is committed: what was polled and not committed is
        delivered again to the next member."""
        ...

    def __enter__(self) -> Subscription: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


Handler: TypeAlias = Callable[[Message], object]
BatchHandler: TypeAlias = Callable[[Sequence[Message]], object]


@dataclass
class ConsumeStats:
    """What one `consume` call did."""

    handled: int = 0
    dead_lettered: int = 0
    batches: int = 0
    dead_letters: list[Message] = field(default_factory=list)  # the first originals


@runtime_checkable
class EventBus(Protocol):
    """Publish keyed events; consume them in consumer groups. See the module docstring."""

    def publish(self, topic: str, key: str, value: Value, headers: Headers | None = None) -> None:
        """Queue one event; `flush` waits until everything queued is stored."""
        ...

    def flush(self, timeout_s: float = 10.0) -> None:
        """Wait until every published event is stored; raise BusError if one failed."""
        ...

    def ensure_topics(self, topics: Iterable[str], partitions: int | None = None) -> None:
        """Create the topics that do not exist yet (publish and subscribe do it too)."""
        ...

    def subscribe(self, topics: Sequence[str], group: str) -> Subscription:
        """Join `group` on `topics` (the iterator API: poll, commit, close)."""
        ...

    def consume(
        self,
        topics: Sequence[str],
        group: str,
        handler: Handler,
        *,
        max_messages: int | None = None,
        timeout_s: float | None = None,
        idle_timeout_s: float | None = None,
        stop: Callable[[], bool] | None = None,
        retry_on: tuple[type[BaseException], ...] = (),
    ) -> ConsumeStats:
        """Run `handler` on each message, commit after it, dead-letter what raises."""
        ...

    def consume_batches(
        self,
        topics: Sequence[str],
        group: str,
        handler: BatchHandler,
        *,
        batch_size: int = 500,
        max_messages: int | None = None,
        timeout_s: float | None = None,
        idle_timeout_s: float | None = None,
        stop: Callable[[], bool] | None = None,
        retry_on: tuple[type[BaseException], ...] = (),
        on_idle: Callable[[], None] | None = None,
    ) -> ConsumeStats:
        """Like `consume`, a batch at a time; a failing batch is retried message by message
        so only the messages that fail alone are dead-lettered. `on_idle` runs whenever a
        poll finds nothing waiting (a handler's deferred work)."""
        ...

    def close(self) -> None: ...


class BusBase:
    """What both adapters share: `consume`/`consume_batches` over `subscribe` and `publish`."""

    def publish(self, topic: str, key: str, value: Value, headers: Headers | None = None) -> None:
        raise NotImplementedError

    def flush(self, timeout_s: float = 10.0) -> None:
        raise NotImplementedError

    def subscribe(self, topics: Sequence[str], group: str) -> Subscription:
        raise NotImplementedError

    def consume(
        self,
        topics: Sequence[str],
        group: str,
        handler: Handler,
        *,
        max_messages: int | None = None,
        timeout_s: float | None = None,
        idle_timeout_s: float | None = None,
        stop: Callable[[], bool] | None = None,
        retry_on: tuple[type[BaseException], ...] = (),
    ) -> ConsumeStats:
        def each(batch: Sequence[Message]) -> None:
            for message in batch:
                handler(message)

        with self.subscribe(topics, group) as sub:
            return drive(
                self, sub, each, batch_size=1, max_messages=max_messages,
                timeout_s=timeout_s, idle_timeout_s=idle_timeout_s, stop=stop,
                retry_on=retry_on,
            )  # fmt: skip

    def consume_batches(
        self,
        topics: Sequence[str],
        group: str,
        handler: BatchHandler,
        *,
        batch_size: int = 500,
        max_messages: int | None = None,
        timeout_s: float | None = None,
        idle_timeout_s: float | None = None,
        stop: Callable[[], bool] | None = None,
        retry_on: tuple[type[BaseException], ...] = (),
        on_idle: Callable[[], None] | None = None,
    ) -> ConsumeStats:
        with self.subscribe(topics, group) as sub:
            return drive(
                self, sub, handler, batch_size=batch_size, max_messages=max_messages,
                timeout_s=timeout_s, idle_timeout_s=idle_timeout_s, stop=stop,
                retry_on=retry_on, on_idle=on_idle,
            )  # fmt: skip


def dead_letter(
    bus: EventBus | BusBase, message: Message, error: BaseException, group: str
) -> None:
    """Publish `message` alone to `<topic>.dlq` with the reason and where it came from."""
    trace = "".join(traceback.format_exception(error)[-3:])[-2000:]
    headers: dict[str, str | bytes] = dict(message.headers)
    headers.update(
        {
            H_ERROR: f"{type(error).__name__}: {error}"[:2000],
            H_ERROR_TYPE: f"{type(error).__module__}.{type(error).__qualname__}",
            H_TRACE: trace,
            H_TOPIC: message.topic,
            H_PARTITION: str(message.partition),
            H_OFFSET: str(message.offset),
            H_GROUP: group,
            H_AT: str(int(time.time() * 1000)),
        }
    )
    bus.publish(dlq_topic(message.topic), message.key, message.value, headers)


def drive(
    bus: EventBus | BusBase,
    sub: Subscription,
    handler: BatchHandler,
    *,
    batch_size: int = 500,
    max_messages: int | None = None,
    timeout_s: float | None = None,
    idle_timeout_s: float | None = None,
    stop: Callable[[], bool] | None = None,
    retry_on: tuple[type[BaseException], ...] = (),
    retry_backoff_s: float = 0.5,
    on_idle: Callable[[], None] | None = None,
) -> ConsumeStats:
    """The delivery loop: poll, handle, dead-letter failures one by one, flush, commit.

    Stops after `max_messages` (never polls more than that), after `timeout_s` in all,
    after `idle_timeout_s` without a message, or when `stop()` says so; with none of them
    it runs until `stop` or forever. An error in `retry_on` (say, the graph store is down)
    is no poison: the batch is retried with backoff, uncommitted, until it succeeds or the
    loop stops, so order holds and nothing is lost. `on_idle()` runs after each poll that
    finds nothing.
    """
    stats = ConsumeStats()
    started = time.monotonic()
    last_message = started

    def stopping() -> bool:
        if stop is not None and stop():
            return True
        return timeout_s is not None and time.monotonic() - started >= timeout_s

    def idle() -> bool:
        return idle_timeout_s is not None and time.monotonic() - last_message >= idle_timeout_s

    while not stopping() and not idle():
        want = batch_size
        if max_messages is not None:
            want = min(want, max_messages - stats.handled - stats.dead_lettered)
            if want <= 0:
                break
        wait = 0.2 if (stop is not None or timeout_s or idle_timeout_s) else 1.0
        batch = sub.poll(want, wait)
        if not batch:
            if on_idle is not None:
                on_idle()
            continue
        last_message = time.monotonic()
        if not _handle(bus, sub.group, batch, handler, stats, retry_on, retry_backoff_s,
                       stopping):  # fmt: skip
            break  # told to stop while retrying: nothing of this batch committed
        sub.commit(batch)
        stats.batches += 1
    return stats


def _handle(
    bus: EventBus | BusBase,
    group: str,
    batch: list[Message],
    handler: BatchHandler,
    stats: ConsumeStats,
    retry_on: tuple[type[BaseException], ...],
    backoff_s: float,
    out_of_time: Callable[[], bool],
) -> bool:
    """Handle one polled batch; False when the loop must stop without committing it."""
    delay = backoff_s
    while True:
        try:
            handler(batch)
            stats.handled += len(batch)
            return True
        except retry_on as error:
            log.warning("retrying a batch of %d after %r", len(batch), error)
            if out_of_time():
                return False
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
        except Exception as error:
            if len(batch) == 1:
                log.warning(
                    "dead-lettering %s[%d]@%d: %r",
                    batch[0].topic, batch[0].partition, batch[0].offset, error,
                )  # fmt: skip
                dead_letter(bus, batch[0], error, group)
                bus.flush()  # stored before its offset is committed
                stats.dead_lettered += 1
                if len(stats.dead_letters) < MAX_KEPT_DEAD_LETTERS:
                    stats.dead_letters.append(batch[0])
                return True
            break
    # The batch failed: find the poison message(s) by handling each alone, in order.
    for message in batch:
        if not _handle(bus, group, [message], handler, stats, retry_on, backoff_s, out_of_time):
            return False
    return True

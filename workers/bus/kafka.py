"""The Kafka `EventBus` over confluent-kafka (librdkafka): production and scale-out.

- Producer: idempotent (`enable.idempotence`, `acks=all`), so a retried send is stored
  once and per-partition order survives retries; keys are hashed with murmur2 like the
  Java clients (Debezium), so a key lands on the same partition whoever produced it.
  A send the broker answers DUPLICATE_SEQUENCE_NUMBER (librdkafka reports it delivered,
  without an offset) is sent again before `flush` returns: tansu 0.6 can give that
  answer for a batch it never stored (its producer sequence is saved before the batch,
  and a broker killed between the two keeps the one without the other). At-least-once.
- Consumers: `enable.auto.commit=false`; offsets are committed synchronously after the
  handler returned (`Subscription.commit`), so a crash redelivers instead of losing.
  Defaults join a group in ~2 s instead of librdkafka's ~23 s (session 3 s, heartbeat
  0.5 s, fetch wait 10 ms); any of them can be overridden through `consumer_config`.
- Topics are created through the AdminClient when missing (publish and subscribe check
  once per topic per bus).

Settings come in as arguments; nothing here reads the environment.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka import Message as KafkaMessage
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from workers.bus.port import (
    BusBase,
    BusError,
    Headers,
    Message,
    Value,
    encode_headers,
    encode_value,
)

log = logging.getLogger(__name__)

DEFAULT_PARTITIONS = 4
# Commit errors meaning the partitions now belong to another member of the group.
_LOST_PARTITIONS = frozenset(
    {
        KafkaError.REBALANCE_IN_PROGRESS,
        KafkaError.ILLEGAL_GENERATION,
        KafkaError.UNKNOWN_MEMBER_ID,
        KafkaError._ASSIGNMENT_LOST,
        KafkaError._NO_OFFSET,
    }
)


# One produced message, kept until the broker has confirmed it with an offset.
@dataclass(frozen=True, slots=True)
class _Outgoing:
    topic: str
    key: bytes
    value: bytes | None
    headers: list[tuple[str, str | bytes | None]]


PRODUCER_DEFAULTS: dict[str, Any] = {
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,  # a little batching; produce -> consume stays ~10 ms
    "partitioner": "murmur2_random",  # the Java clients' partitioner
}
CONSUMER_DEFAULTS: dict[str, Any] = {
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "auto.offset.reset": "earliest",  # a new group reads everything there is
    "session.timeout.ms": 3000,
    "heartbeat.interval.ms": 500,
    "fetch.wait.max.ms": 10,
    "isolation.level": "read_committed",
}


class KafkaBus(BusBase):
    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "c360",
        partitions: int = DEFAULT_PARTITIONS,
        replication_factor: int = 1,
        producer_config: Mapping[str, Any] | None = None,
        consumer_config: Mapping[str, Any] | None = None,
        admin_timeout_s: float = 10.0,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.partitions = partitions
        self.replication_factor = replication_factor
        self.admin_timeout_s = admin_timeout_s
        base: dict[str, Any] = {"bootstrap.servers": bootstrap_servers, "client.id": client_id}
        self._consumer_config = {**base, **CONSUMER_DEFAULTS, **(consumer_config or {})}
        self._producer = Producer({**base, **PRODUCER_DEFAULTS, **(producer_config or {})})
        self._admin = AdminClient(base)
        self._known: set[str] = set()
        self._lock = threading.Lock()
        self._errors: list[str] = []
        # Partitions where a send came back "delivered" without an offset (see the module
        # docstring), and what was reported on them since: sent again by `flush`.
        self._unconfirmed: set[tuple[str, int]] = set()
        self._resend: list[_Outgoing] = []
        self.resent = 0  # messages sent again (tests, logs)

    # -- topics --------------------------------------------------------------------
    def ensure_topics(self, topics: Iterable[str], partitions: int | None = None) -> None:
        wanted = [t for t in dict.fromkeys(topics) if t not in self._known]
        if not wanted:
            return
        try:
            existing = set(self._admin.list_topics(timeout=self.admin_timeout_s).topics)
        except KafkaException as error:
            raise BusError(f"cannot list topics on {self.bootstrap_servers}: {error}") from error
        missing = [t for t in wanted if t not in existing]
        if missing:
            futures = self._admin.create_topics(
                [
                    NewTopic(t, partitions or self.partitions, self.replication_factor)
                    for t in missing
                ],
                operation_timeout=self.admin_timeout_s,
                request_timeout=self.admin_timeout_s,
            )
            for topic, future in futures.items():
                try:
                    future.result()
                except KafkaException as error:
                    if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                        raise BusError(f"cannot create topic {topic}: {error}") from error
        with self._lock:
            self._known.update(wanted)

    # -- producing -----------------------------------------------------------------
    def publish(self, topic: str, key: str, value: Value, headers: Headers | None = None) -> None:
        if topic not in self._known:
            self.ensure_topics([topic])
        body = encode_value(value)
        meta: list[tuple[str, str | bytes | None]] = list(encode_headers(headers).items())
        self._produce(_Outgoing(topic, key.encode(), body, meta))
        self._producer.poll(0)

    def _produce(self, out: _Outgoing) -> None:
        def delivered(error: KafkaError | None, message: KafkaMessage) -> None:
            self._delivered(error, message, out)

        while True:
            try:
                self._producer.produce(
                    out.topic, value=out.value, key=out.key, headers=out.headers,
                    on_delivery=delivered,
                )  # fmt: skip
                return
            except BufferError:  # the local queue is full: let deliveries drain it
                self._producer.poll(0.05)

    def _delivered(self, error: KafkaError | None, message: KafkaMessage, out: _Outgoing) -> None:
        with self._lock:
            if error is not None:
                self._errors.append(f"{message.topic()}[{message.key()!r}]: {error}")
                return
            tp = (out.topic, message.partition() or 0)
            offset = message.offset()
            # No offset: a DUPLICATE_SEQUENCE_NUMBER answer, which librdkafka takes as
            # delivered. The rest of that batch is reported with made-up offsets (-1 + its
            # index), so everything reported on the partition until `flush` returns is
            # sent again; a copy the broker did keep is a duplicate, which apply absorbs.
            if offset is None or offset < 0:
                self._unconfirmed.add(tp)
            if tp in self._unconfirmed:
                self._resend.append(out)

    def flush(self, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        left = self._producer.flush(timeout_s)
        while not left:
            with self._lock:
                resend, self._resend = self._resend, []
                self._unconfirmed.clear()
            if not resend:
                break
            log.warning(
                "%d event(s) acknowledged as duplicates without an offset (a broker restart); "
                "sending them again", len(resend),
            )  # fmt: skip
            self.resent += len(resend)
            for out in resend:
                self._produce(out)
            left = self._producer.flush(max(deadline - time.monotonic(), 0.0))
        with self._lock:
            errors, self._errors = self._errors, []
        if errors:
            raise BusError(f"{len(errors)} event(s) not delivered; first: {errors[0]}")
        if left:
            raise BusError(f"{left} event(s) still not delivered after {timeout_s}s")

    # -- consuming -----------------------------------------------------------------
    def subscribe(self, topics: Sequence[str], group: str) -> KafkaSubscription:
        self.ensure_topics(topics)
        return KafkaSubscription(self._consumer_config, list(topics), group)

    def committed(self, group: str, topic: str) -> dict[int, int]:
        """The group's committed offsets on `topic`, per partition (lag, tests)."""
        consumer = Consumer({**self._consumer_config, "group.id": group})
        try:
            meta = consumer.list_topics(topic, timeout=self.admin_timeout_s).topics[topic]
            parts = [TopicPartition(topic, p) for p in meta.partitions]
            got = consumer.committed(parts, timeout=self.admin_timeout_s)
            return {tp.partition: tp.offset for tp in got if tp.offset >= 0}
        finally:
            consumer.close()

    def close(self) -> None:
        self.flush()


class KafkaSubscription:
    """One consumer in a group. `poll` waits for the first message then takes what is
    already fetched (librdkafka's batch call would wait for a full batch)."""

    def __init__(self, config: Mapping[str, Any], topics: list[str], group: str) -> None:
        self.group = group
        self.topics = topics
        self._consumer = Consumer({**config, "group.id": group})
        self._consumer.subscribe(topics)
        self._closed = False
        self._last_warning = 0.0

    def poll(self, max_messages: int = 500, timeout_s: float = 1.0) -> list[Message]:
        if self._closed:
            raise BusError("the subscription is closed")
        first = self._consumer.poll(timeout_s)
        if first is None:
            return []
        raw = [first]
        if max_messages > 1:
            raw += self._consumer.consume(max_messages - 1, 0)
        out: list[Message] = []
        for m in raw:
            error = m.error()
            if error is not None:
                if error.fatal():
                    raise BusError(f"fatal consumer error in group {self.group}: {error}")
                # librdkafka recovers from the rest by itself (a broker restarting, a
                # rebalance); say so once in a while and keep polling.
                if error.code() != KafkaError._PARTITION_EOF:
                    self._warn(f"consumer error in group {self.group}: {error}")
                continue
            out.append(_message(m))
        return out

    def commit(self, messages: Iterable[Message]) -> None:
        last: dict[tuple[str, int], int] = {}
        for m in messages:
            tp = (m.topic, m.partition)
            last[tp] = max(last.get(tp, -1), m.offset + 1)
        if not last:
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in last.items()]
        deadline = time.monotonic() + 30
        while True:
            try:
                self._consumer.commit(offsets=offsets, asynchronous=False)
                return
            except KafkaException as error:
                kerr = error.args[0]
                if kerr.code() in _LOST_PARTITIONS:
                    # The partitions moved to another member, which starts from the last
                    # commit: these messages are delivered again there (at-least-once).
                    log.warning(
                        "commit in group %s skipped after a rebalance: %s", self.group, kerr
                    )
                    return
                if not kerr.retriable() or time.monotonic() > deadline:
                    raise BusError(f"commit failed in group {self.group}: {kerr}") from error
                time.sleep(0.1)

    def lag(self) -> dict[tuple[str, int], int]:
        """Messages not yet polled, per assigned partition (a metrics gauge)."""
        out: dict[tuple[str, int], int] = {}
        for tp in self._consumer.position(self._consumer.assignment()):
            _, high = self._consumer.get_watermark_offsets(tp, timeout=5)
            position = tp.offset
            if position < 0:  # nothing polled yet: count from the committed offset
                (committed,) = self._consumer.committed([tp], timeout=5)
                position = max(committed.offset, 0)
            out[(tp.topic, tp.partition)] = max(high - position, 0)
        return out

    def _warn(self, text: str) -> None:
        now = time.monotonic()
        if now - self._last_warning >= 10:
            self._last_warning = now
            log.warning(text)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._consumer.close()

    def __enter__(self) -> KafkaSubscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _message(m: KafkaMessage) -> Message:
    key = m.key()
    raw = m.headers() or []
    pairs = raw.items() if isinstance(raw, dict) else raw
    kind, ts = m.timestamp()
    return Message(
        topic=m.topic() or "",
        key=key.decode() if isinstance(key, bytes) else (key or ""),
        value=m.value(),
        headers={k: v.encode() if isinstance(v, str) else (v or b"") for k, v in pairs},
        partition=m.partition() or 0,
        offset=m.offset() or 0,
        timestamp_ms=ts if kind != 0 else None,
    )

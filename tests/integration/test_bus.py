"""One suite, both `EventBus` adapters: in-process and Kafka (a real tansu broker).

Every test uses topics and groups of its own, so tests share the session's broker
without seeing each other's events.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Sequence

import pytest

from tests.integration import bus_fixtures
from workers.bus import (
    H_ERROR,
    H_ERROR_TYPE,
    H_GROUP,
    H_OFFSET,
    H_PARTITION,
    H_TOPIC,
    EventBus,
    Message,
    Subscription,
    dlq_topic,
)
from workers.bus.broker import BrokerError, TansuBroker

bus = bus_fixtures.bus  # parametrized: memory, kafka
tansu_broker = bus_fixtures.tansu_broker  # one broker per session

WAIT_S = 30.0  # how long to wait for messages that must come (joins take ~2 s on Kafka)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def poll_n(sub: Subscription, n: int, wait_s: float = WAIT_S) -> list[Message]:
    """Exactly `n` messages (fails if fewer come within `wait_s`)."""
    got: list[Message] = []
    deadline = time.monotonic() + wait_s
    while len(got) < n and time.monotonic() < deadline:
        got += sub.poll(n - len(got), 0.5)
    assert len(got) == n, f"got {len(got)} of {n} messages"
    return got


def test_round_trip(bus: EventBus) -> None:
    topic = _name("rt")
    bus.publish(topic, "c-1", {"id": "c-1", "amount": 12.5}, headers={"source": "crm"})
    bus.publish(topic, "c-2", b"\x00raw", headers={"bin": b"\x01\x02"})
    bus.publish(topic, "c-1", None)  # a tombstone
    bus.flush()
    with bus.subscribe([topic], _name("g")) as sub:
        got = poll_n(sub, 3)
        sub.commit(got)
    by_key = defaultdict(list)
    for m in got:
        assert m.topic == topic and m.partition >= 0 and m.offset >= 0
        by_key[m.key].append(m)
    first, tombstone = by_key["c-1"]
    assert first.json() == {"id": "c-1", "amount": 12.5}
    assert first.header("source") == "crm"
    assert tombstone.value is None and tombstone.json() is None
    assert tombstone.partition == first.partition and tombstone.offset > first.offset
    (raw,) = by_key["c-2"]
    assert raw.value == b"\x00raw" and raw.headers["bin"] == b"\x01\x02"


def test_per_key_order_across_many_keys(bus: EventBus) -> None:
    topic, keys, per_key = _name("order"), 60, 25
    for seq in range(per_key):
        for k in range(keys):
            bus.publish(topic, f"key-{k}", {"seq": seq})
    bus.flush()
    seen: dict[str, list[int]] = defaultdict(list)
    partitions: dict[str, set[int]] = defaultdict(set)

    def handle(m: Message) -> None:
        seen[m.key].append(m.json()["seq"])
        partitions[m.key].add(m.partition)

    stats = bus.consume([topic], _name("g"), handle, max_messages=keys * per_key, timeout_s=WAIT_S)
    assert stats.handled == keys * per_key and stats.dead_lettered == 0
    assert all(seq == list(range(per_key)) for seq in seen.values())
    assert len(seen) == keys and all(len(p) == 1 for p in partitions.values())
    assert len({p for ps in partitions.values() for p in ps}) > 1  # keys spread out


def test_group_resumes_after_committed_offsets(bus: EventBus) -> None:
    topic, group = _name("resume"), _name("g")
    for i in range(10):
        bus.publish(topic, f"k{i % 4}", {"i": i})
    bus.flush()
    first: list[int] = []
    stats = bus.consume(
        [topic], group, lambda m: first.append(m.json()["i"]), max_messages=10, timeout_s=WAIT_S
    )
    assert stats.handled == 10 and sorted(first) == list(range(10))
    for i in range(10, 15):
        bus.publish(topic, f"k{i % 4}", {"i": i})
    bus.flush()
    # A new member of the group gets only what came after the commit: an old message
    # would come first in its partition, so it would be among these five.
    second: list[int] = []
    bus.consume(
        [topic], group, lambda m: second.append(m.json()["i"]), max_messages=5, timeout_s=WAIT_S
    )
    assert sorted(second) == list(range(10, 15))
    # Another group is independent and starts from the beginning.
    with bus.subscribe([topic], _name("other")) as sub:
        assert sorted(m.json()["i"] for m in poll_n(sub, 15)) == list(range(15))


def test_failing_handler_dead_letters_that_message_alone(bus: EventBus) -> None:
    topic, group = _name("dlq"), _name("g")
    for i in range(12):
        bus.publish(topic, f"k{i % 3}", {"i": i}, headers={"trace": f"t{i}"})
    bus.flush()
    handled: list[int] = []

    def handle(m: Message) -> None:
        if m.json()["i"] == 7:
            raise ValueError("poison: amount is not a number")
        handled.append(m.json()["i"])

    stats = bus.consume([topic], group, handle, max_messages=12, timeout_s=WAIT_S)
    assert stats.handled == 11 and stats.dead_lettered == 1
    assert sorted(handled) == [i for i in range(12) if i != 7]
    (original,) = stats.dead_letters
    with bus.subscribe([dlq_topic(topic)], _name("dlq-reader")) as sub:
        (letter,) = poll_n(sub, 1)
        assert sub.poll(10, 0.5) == []  # alone: nothing else went there
    assert letter.key == original.key and letter.json() == {"i": 7}
    assert letter.header(H_ERROR) == "ValueError: poison: amount is not a number"
    assert letter.header(H_ERROR_TYPE) == "builtins.ValueError"
    assert letter.header(H_TOPIC) == topic and letter.header(H_GROUP) == group
    assert letter.header(H_PARTITION) == str(original.partition)
    assert letter.header(H_OFFSET) == str(original.offset)
    assert letter.header("trace") == "t7"  # the original headers stay
    # The poison message was committed with the rest: the group has nothing left.
    bus.publish(topic, "k0", {"i": 99})
    bus.flush()
    rest: list[int] = []
    bus.consume(
        [topic], group, lambda m: rest.append(m.json()["i"]), max_messages=1, timeout_s=WAIT_S
    )
    assert rest == [99]


def test_failing_batch_is_retried_one_by_one(bus: EventBus) -> None:
    """A batch handler that fails puts only the failing message in the DLQ."""
    topic = _name("batch")
    for i in range(30):
        bus.publish(topic, f"k{i % 5}", {"i": i})
    bus.flush()
    applied: set[int] = set()
    calls: list[int] = []

    def apply(batch: Sequence[Message]) -> None:
        calls.append(len(batch))
        values = [m.json()["i"] for m in batch]
        if 13 in values:
            raise KeyError("no such customer")
        applied.update(values)

    stats = bus.consume_batches(
        [topic], _name("g"), apply, batch_size=30, max_messages=30, timeout_s=WAIT_S
    )
    assert stats.handled == 29 and stats.dead_lettered == 1
    assert applied == set(range(30)) - {13}
    assert [m.json()["i"] for m in stats.dead_letters] == [13]


class Unavailable(Exception):
    """Stands for a store that is down for a moment."""


def test_transient_errors_are_retried_not_dead_lettered(bus: EventBus) -> None:
    topic = _name("retry")
    for i in range(3):
        bus.publish(topic, "k", {"i": i})
    bus.flush()
    attempts: list[int] = []

    def handle(m: Message) -> None:
        attempts.append(m.json()["i"])
        if attempts.count(1) == 1 and m.json()["i"] == 1:
            raise Unavailable("graph store restarting")

    stats = bus.consume(
        [topic], _name("g"), handle, max_messages=3, timeout_s=WAIT_S, retry_on=(Unavailable,)
    )
    assert stats.handled == 3 and stats.dead_lettered == 0
    assert attempts == [0, 1, 1, 2]  # order held: 2 waited for 1


def test_uncommitted_messages_are_redelivered(bus: EventBus) -> None:
    topic, group = _name("redeliver"), _name("g")
    for i in range(8):
        bus.publish(topic, f"k{i % 3}", {"i": i})
    bus.flush()
    sub = bus.subscribe([topic], group)
    polled = poll_n(sub, 8)
    bus.publish(topic, "k1", {"i": 8})
    bus.publish(topic, "k2", {"i": 9})
    bus.flush()
    # tansu reports a partition's high watermark as its last batch's base offset + 1, so
    # over tansu the lag is only known to be positive (Kafka and the memory bus say 2).
    deadline = time.monotonic() + WAIT_S
    while sum(sub.lag().values()) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert 0 < sum(sub.lag().values()) <= 2
    sub.commit([m for m in polled if m.json()["i"] < 3 and m.key == "k0"])  # i = 0 only
    sub.close()  # the rest were handled (maybe) but never committed
    with bus.subscribe([topic], group) as again:
        redelivered = poll_n(again, 9)
        assert again.poll(10, 0.5) == []
    assert sorted(m.json()["i"] for m in redelivered) == list(range(1, 10))


def test_stopped_consumer_returns(bus: EventBus) -> None:
    """consume without messages comes back when its time is up, committing nothing."""
    started = time.monotonic()
    stats = bus.consume([_name("empty")], _name("g"), lambda m: None, idle_timeout_s=1.0)
    assert stats.handled == 0 and time.monotonic() - started < WAIT_S


def test_dead_broker_is_reported_with_its_log() -> None:
    broker = TansuBroker()
    broker.start()
    assert broker.process is not None
    broker.process.kill()
    broker.process.wait()
    with pytest.raises(BrokerError, match="exited with code"):
        broker.check_alive()
    assert "tansu" in broker.log_tail()
    broker.close()

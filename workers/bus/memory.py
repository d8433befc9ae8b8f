"""The in-process `EventBus`: the embedded default, no broker to run.

It keeps Kafka's shape so that code written against it behaves the same on Kafka: topics
of N partitions (a key's partition is a stable hash of it), append-only logs with offsets,
consumer groups that commit the next offset per partition, and partitions shared among
the live members of a group (a member that leaves hands its partitions, from the
committed offset, to the others). Everything lives in memory and is gone with the process.
Thread-safe: one lock and one condition guard all of it.
"""

from __future__ import annotations

import itertools
import threading
import time
import zlib
from collections.abc import Iterable, Sequence
from types import TracebackType

from workers.bus.port import (
    BusBase,
    BusError,
    Headers,
    Message,
    Value,
    encode_headers,
    encode_value,
)

DEFAULT_PARTITIONS = 4
_member_ids = itertools.count(1)


def partition_for(key: str, partitions: int) -> int:
    """Stable across processes (Python's hash() is salted per process)."""
    return zlib.crc32(key.encode()) % partitions


class _Group:
    def __init__(self) -> None:
        self.committed: dict[tuple[str, int], int] = {}
        self.members: dict[int, MemorySubscription] = {}
        self.generation = 0


class MemoryBus(BusBase):
    def __init__(self, partitions: int = DEFAULT_PARTITIONS) -> None:
        self.partitions = partitions
        self._logs: dict[str, list[list[Message]]] = {}
        self._groups: dict[str, _Group] = {}
        self._cond = threading.Condition(threading.RLock())
        self._closed = False

    # -- producing -----------------------------------------------------------------
    def ensure_topics(self, topics: Iterable[str], partitions: int | None = None) -> None:
        with self._cond:
            for topic in topics:
                self._topic(topic, partitions)

    def publish(self, topic: str, key: str, value: Value, headers: Headers | None = None) -> None:
        if self._closed:
            raise BusError("the bus is closed")
        body, meta = encode_value(value), encode_headers(headers)
        with self._cond:
            log = self._topic(topic)
            p = partition_for(key, len(log))
            log[p].append(Message(topic, key, body, meta, p, len(log[p]), int(time.time() * 1000)))
            self._cond.notify_all()

    def flush(self, timeout_s: float = 10.0) -> None:
        """Publishing is synchronous here: nothing is ever in flight."""

    # -- consuming -----------------------------------------------------------------
    def subscribe(self, topics: Sequence[str], group: str) -> MemorySubscription:
        with self._cond:
            for topic in topics:
                self._topic(topic)
            sub = MemorySubscription(self, list(topics), group)
            g = self._groups.setdefault(group, _Group())
            g.members[sub.member_id] = sub
            g.generation += 1
            self._cond.notify_all()
            return sub

    def committed(self, group: str, topic: str) -> dict[int, int]:
        """The group's committed offsets on `topic`, per partition (for tests and lag)."""
        with self._cond:
            g = self._groups.get(group)
            if g is None:
                return {}
            return {p: o for (t, p), o in g.committed.items() if t == topic}

    def end_offsets(self, topic: str) -> dict[int, int]:
        with self._cond:
            return {p: len(part) for p, part in enumerate(self._logs.get(topic, []))}

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- internals (called with the lock held) -------------------------------------
    def _topic(self, topic: str, partitions: int | None = None) -> list[list[Message]]:
        log = self._logs.get(topic)
        if log is None:
            log = self._logs[topic] = [[] for _ in range(partitions or self.partitions)]
        return log

    def _assignment(self, sub: MemorySubscription) -> list[tuple[str, int]]:
        """Partitions of the member's topics dealt round-robin among the group's members
        subscribed to each topic, in join order."""
        g = self._groups[sub.group]
        mine: list[tuple[str, int]] = []
        for topic in sub.topics:
            members = sorted(m for m, s in g.members.items() if topic in s.topics)
            for p in range(len(self._logs[topic])):
                if members[p % len(members)] == sub.member_id:
                    mine.append((topic, p))
        return mine

    def _leave(self, sub: MemorySubscription) -> None:
        with self._cond:
            g = self._groups.get(sub.group)
            if g is not None and g.members.pop(sub.member_id, None) is not None:
                g.generation += 1
                self._cond.notify_all()


class MemorySubscription:
    """One member of a group. Positions start at the group's committed offsets and are
    re-read from them whenever the group's membership changes (a rebalance)."""

    def __init__(self, bus: MemoryBus, topics: list[str], group: str) -> None:
        self.bus = bus
        self.topics = topics
        self.group = group
        self.member_id = next(_member_ids)
        self._generation = -1
        self._positions: dict[tuple[str, int], int] = {}
        self._closed = False

    def poll(self, max_messages: int = 500, timeout_s: float = 1.0) -> list[Message]:
        deadline = time.monotonic() + timeout_s
        cond = self.bus._cond
        with cond:
            while True:
                if self._closed or self.bus._closed:
                    raise BusError("the subscription is closed")
                self._rebalance_if_needed()
                out = self._take(max_messages)
                left = deadline - time.monotonic()
                if out or left <= 0:
                    return out
                cond.wait(left)

    def commit(self, messages: Iterable[Message]) -> None:
        last: dict[tuple[str, int], int] = {}
        for m in messages:
            tp = (m.topic, m.partition)
            last[tp] = max(last.get(tp, -1), m.offset + 1)
        with self.bus._cond:
            if self._closed:
                raise BusError("the subscription is closed")
            g = self.bus._groups[self.group]
            for tp, offset in last.items():
                g.committed[tp] = max(g.committed.get(tp, 0), offset)

    def lag(self) -> dict[tuple[str, int], int]:
        """Messages not yet polled, per assigned partition (a metrics gauge)."""
        with self.bus._cond:
            self._rebalance_if_needed()
            return {
                tp: len(self.bus._logs[tp[0]][tp[1]]) - position
                for tp, position in self._positions.items()
            }

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.bus._leave(self)

    def __enter__(self) -> MemorySubscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _rebalance_if_needed(self) -> None:
        g = self.bus._groups[self.group]
        if g.generation == self._generation:
            return
        self._generation = g.generation
        self._positions = {tp: g.committed.get(tp, 0) for tp in self.bus._assignment(self)}

    def _take(self, limit: int) -> list[Message]:
        out: list[Message] = []
        for tp, position in self._positions.items():
            if len(out) >= limit:
                break
            part = self.bus._logs[tp[0]][tp[1]]
            chunk = part[position : position + limit - len(out)]
            if chunk:
                out.extend(chunk)
                self._positions[tp] = position + len(chunk)
        return out

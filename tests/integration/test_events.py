"""The event hub against the real embedded server (FalkorDB is a Redis server too).

Each test has a stream of its own; two hubs on one stream stand for two API processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest
import redis
import redis.asyncio as aioredis

from api.app import redis_client
from api.events import Event, EventHub, parse_id, publish_many_sync, publish_sync
from graph.embedded import ServerInfo
from workers.event_kinds import ALERT_RAISED, CUSTOMER_CHANGED, INTERACTION_RECORDED

pytestmark = pytest.mark.falkordb

T = TypeVar("T")
WAIT_S = 15.0  # how long to wait for an event that must come (a loaded machine is slow)


def _stream() -> str:
    return f"test:events:{uuid.uuid4().hex[:10]}"


def run(server: ServerInfo, body: Callable[[aioredis.Redis, str], Coroutine[Any, Any, T]]) -> T:
    """Run `body(client, stream)` in a fresh loop, deleting the stream afterwards."""

    async def main() -> T:
        client = aioredis.Redis(port=server.port)
        stream = _stream()
        try:
            return await body(client, stream)
        finally:
            await client.delete(stream)
            await client.aclose()

    return asyncio.run(main())


async def take(events: AsyncIterator[Event], n: int, timeout: float = WAIT_S) -> list[Event]:
    got: list[Event] = []
    async with asyncio.timeout(timeout):
        while len(got) < n:
            got.append(await anext(events))
    return got


async def nothing_more(events: AsyncIterator[Event], within: float = 0.5) -> bool:
    """True when no further event arrives within `within` seconds."""
    try:
        async with asyncio.timeout(within):
            await anext(events)
    except TimeoutError:
        return True
    return False


async def until(check: Callable[[], Awaitable[bool]], timeout: float = WAIT_S) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


def test_subscribers_get_their_key_only(falkordb_server: ServerInfo) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream, coalesce_ms=0)
        await hub.start()
        try:
            c1 = hub.subscribe(ALERT_RAISED, "rep1")
            c2 = hub.subscribe(ALERT_RAISED, "rep2")
            first = await hub.publish(ALERT_RAISED, "rep1", {"n": 1})
            await hub.publish(ALERT_RAISED, "rep2", {"n": 2})
            await hub.publish(INTERACTION_RECORDED, "rep1", {"n": 3})
            (got,) = await take(c1, 1)
            assert (got.id, got.kind, got.key, got.data, got.coalesced) == (
                first,
                ALERT_RAISED,
                "rep1",
                {"n": 1},
                1,
            )
            assert got.at > 0
            assert [e.data["n"] for e in await take(c2, 1)] == [2]
            assert await nothing_more(c1)
            assert Event(**{**got.__dict__}) == got
            assert '"kind":"alert.raised"' in got.to_json()
        finally:
            await hub.stop()

    run(falkordb_server, body)


def test_key_none_gets_every_key_of_its_kind(falkordb_server: ServerInfo) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream, coalesce_ms=0)
        await hub.start()
        try:
            every = hub.subscribe(ALERT_RAISED)
            for rep in ("a", "b", "c"):
                await hub.publish(ALERT_RAISED, rep, {})
            await hub.publish(CUSTOMER_CHANGED, "C1", {})
            assert [e.key for e in await take(every, 3)] == ["a", "b", "c"]
            assert await nothing_more(every)
        finally:
            await hub.stop()

    run(falkordb_server, body)


def test_two_hubs_on_one_stream_both_deliver(falkordb_server: ServerInfo) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        other = aioredis.Redis(port=falkordb_server.port)
        one = EventHub(client, stream=stream, coalesce_ms=0)
        two = EventHub(other, stream=stream, coalesce_ms=0)
        await one.start()
        await two.start()
        try:
            on_one = one.subscribe(ALERT_RAISED, "r")
            on_two = two.subscribe(ALERT_RAISED, "r")
            a = await one.publish(ALERT_RAISED, "r", {"from": "one"})
            b = await two.publish(ALERT_RAISED, "r", {"from": "two"})
            assert [e.id for e in await take(on_one, 2)] == [a, b]
            assert [e.id for e in await take(on_two, 2)] == [a, b]
        finally:
            await one.stop()
            await two.stop()
            await other.aclose()

    run(falkordb_server, body)


def test_resume_after_an_id_without_gap_or_duplicate(falkordb_server: ServerInfo) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream, coalesce_ms=0)
        await hub.start()
        try:
            ids = [await hub.publish(ALERT_RAISED, "r", {"n": n}) for n in range(5)]
            resumed = hub.subscribe(ALERT_RAISED, "r", after=ids[1])
            # Published after subscribing but before the history is read: must come once.
            ids.append(await hub.publish(ALERT_RAISED, "r", {"n": 5}))
            got = await take(resumed, 4)
            ids.append(await hub.publish(ALERT_RAISED, "r", {"n": 6}))
            got += await take(resumed, 1)
            assert [e.id for e in got] == ids[2:]
            assert [e.data["n"] for e in got] == [2, 3, 4, 5, 6]
            assert await nothing_more(resumed)
            # Resuming from the newest id gives only what comes next.
            tail = hub.subscribe(ALERT_RAISED, "r", after=ids[-1])
            last = await hub.publish(ALERT_RAISED, "r", {"n": 7})
            assert [e.id for e in await take(tail, 1)] == [last]
        finally:
            await hub.stop()

    run(falkordb_server, body)


def test_a_burst_to_one_customer_is_coalesced(falkordb_server: ServerInfo) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream, coalesce_ms=500)
        await hub.start()
        try:
            c1 = hub.subscribe(CUSTOMER_CHANGED, "C1")
            every = hub.subscribe(CUSTOMER_CHANGED)
            alerts = hub.subscribe(ALERT_RAISED, "C1")
            pipe = client.pipeline(transaction=False)
            for n in range(20):
                pipe.xadd(
                    stream,
                    {
                        "kind": CUSTOMER_CHANGED,
                        "key": "C1",
                        "at": hub_now(),
                        "data": f'{{"n": {n}}}',
                    },
                )
            pipe.xadd(
                stream, {"kind": CUSTOMER_CHANGED, "key": "C2", "at": hub_now(), "data": "{}"}
            )
            for n in range(3):
                pipe.xadd(
                    stream,
                    {"kind": ALERT_RAISED, "key": "C1", "at": hub_now(), "data": f'{{"n": {n}}}'},
                )
            ids = [i.decode() for i in await pipe.execute()]
            (merged,) = await take(c1, 1)
            assert (merged.id, merged.data, merged.coalesced) == (ids[19], {"n": 19}, 20)
            assert await nothing_more(c1)
            both = await take(every, 2)
            assert [(e.key, e.coalesced) for e in both] == [("C1", 20), ("C2", 1)]
            # Alerts are facts of their own: never coalesced.
            assert [e.data["n"] for e in await take(alerts, 3)] == [0, 1, 2]
            # A resumed subscriber gets the history coalesced too.
            late = hub.subscribe(CUSTOMER_CHANGED, "C1", after="0-0")
            (replayed,) = await take(late, 1)
            assert (replayed.id, replayed.coalesced) == (ids[19], 20)
        finally:
            await hub.stop()

    run(falkordb_server, body)


def hub_now() -> int:
    import time

    return time.time_ns() // 1_000_000


def test_a_slow_subscriber_does_not_hold_up_a_fast_one(falkordb_server: ServerInfo) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream, coalesce_ms=0, queue_size=8)
        await hub.start()
        try:
            slow = hub.subscribe(ALERT_RAISED, "r")
            fast = hub.subscribe(ALERT_RAISED, "r")
            ids = [await hub.publish(ALERT_RAISED, "r", {"n": n}) for n in range(100)]
            # The fast one gets everything while the slow one has not read a thing.
            assert [e.id for e in await take(fast, 100)] == ids
            # The slow one's buffer overflowed; it catches up from the stream, losing nothing.
            got = await take(slow, 30)
            more = [await hub.publish(ALERT_RAISED, "r", {"n": n}) for n in range(100, 110)]
            got += await take(slow, 80)
            assert [e.id for e in got] == ids + more
            assert [e.id for e in await take(fast, 10)] == more
        finally:
            await hub.stop()

    run(falkordb_server, body)


def test_an_overflowing_slow_subscriber_gets_changes_coalesced(
    falkordb_server: ServerInfo,
) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream, coalesce_ms=0, queue_size=4)
        await hub.start()
        try:
            slow = hub.subscribe(CUSTOMER_CHANGED)
            ids = []
            for n in range(40):
                ids.append(await hub.publish(CUSTOMER_CHANGED, f"C{n % 10}", {"n": n}))
            await until(lambda: _true(hub.last_id == ids[-1]))
            got = await take(slow, 10)
            # Ids increase, every customer's latest change is there, and counts add up.
            assert [parse_id(e.id) for e in got] == sorted(parse_id(e.id) for e in got)
            latest = {e.key: e.data["n"] for e in got}
            assert latest == {f"C{k}": 30 + k for k in range(10)}
            assert sum(e.coalesced for e in got) <= 40
        finally:
            await hub.stop()

    run(falkordb_server, body)


async def _true(value: bool) -> bool:
    return value


def test_reader_reconnects_and_continues_from_the_last_id(
    falkordb_server: ServerInfo, caplog: pytest.LogCaptureFixture
) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream, coalesce_ms=0)
        await hub.start()
        try:
            events = hub.subscribe(ALERT_RAISED, "r")
            before = await hub.publish(ALERT_RAISED, "r", {"n": 0})
            assert [e.id for e in await take(events, 1)] == [before]
            readers = [c for c in await client.client_list() if c.get("name") == hub.reader_name]
            assert len(readers) == 1
            await client.client_kill_filter(_id=readers[0]["id"])
            during = [await hub.publish(ALERT_RAISED, "r", {"n": n}) for n in (1, 2)]
            assert [e.id for e in await take(events, 2)] == during
            assert hub.reconnects >= 1
            after = await hub.publish(ALERT_RAISED, "r", {"n": 3})
            assert [e.id for e in await take(events, 1)] == [after]
            assert await nothing_more(events)
        finally:
            await hub.stop()

    with caplog.at_level(logging.INFO, logger="c360.events"):
        run(falkordb_server, body)
    messages = [r.getMessage() for r in caplog.records if r.name == "c360.events"]
    assert any('"event": "events.reader.reconnect"' in m for m in messages), messages


def test_subscriptions_clean_up_when_closed_or_cancelled(falkordb_server: ServerInfo) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        told: list[int] = []  # what the metrics gauge is told
        hub = EventHub(client, stream=stream, coalesce_ms=0, on_count=told.append)
        await hub.start()
        try:
            closed = hub.subscribe(ALERT_RAISED, "r")
            await hub.publish(ALERT_RAISED, "r", {})
            await take(closed, 1)
            assert hub.subscriber_count == 1
            await closed.aclose()  # type: ignore[attr-defined]
            assert hub.subscriber_count == 0

            async def consume() -> None:
                async for _ in hub.subscribe(ALERT_RAISED, "r"):
                    pass

            task = asyncio.create_task(consume())
            await until(lambda: _true(hub.subscriber_count == 1))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert hub.subscriber_count == 0

            never_iterated = hub.subscribe(CUSTOMER_CHANGED, "C1")
            assert hub.subscriber_count == 1
            del never_iterated
            assert hub.subscriber_count == 0
            assert told == [1, 0, 1, 0, 1, 0]
        finally:
            await hub.stop()
        assert not hub.running

    run(falkordb_server, body)


@contextlib.asynccontextmanager
async def _hub_and_sync_client(
    client: aioredis.Redis, stream: str, server: ServerInfo
) -> AsyncIterator[tuple[EventHub, redis.Redis]]:
    """A started hub on `stream` and a synchronous client, as a worker publishes with."""
    hub = EventHub(client, stream=stream, coalesce_ms=0)
    await hub.start()
    sync_client = redis.Redis(port=server.port)
    try:
        yield hub, sync_client
    finally:
        sync_client.close()
        await hub.stop()


def test_publish_sync_reaches_async_subscribers(falkordb_server: ServerInfo) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        async with _hub_and_sync_client(client, stream, falkordb_server) as (hub, sync_client):
            events = hub.subscribe(INTERACTION_RECORDED, "C9")
            event_id = await asyncio.to_thread(
                publish_sync,
                sync_client,
                INTERACTION_RECORDED,
                "C9",
                {"note": "call"},
                stream=stream,
            )
            (got,) = await take(events, 1)
            assert (got.id, got.data) == (event_id, {"note": "call"})
            with pytest.raises(ValueError, match="kind"):
                publish_sync(sync_client, "", "C9", {}, stream=stream)

    run(falkordb_server, body)


def test_publish_many_sync_publishes_in_order_in_one_call(falkordb_server: ServerInfo) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        async with _hub_and_sync_client(client, stream, falkordb_server) as (hub, sync_client):
            events = hub.subscribe(INTERACTION_RECORDED, "C7")
            published = [(INTERACTION_RECORDED, "C7", {"n": n}) for n in range(5)]
            ids = await asyncio.to_thread(publish_many_sync, sync_client, published, stream=stream)
            got = await take(events, 5)
            assert [(e.id, e.data) for e in got] == [(i, {"n": n}) for n, i in enumerate(ids)]
            assert ids == sorted(ids)
            # One bad event refuses the whole call before anything is published.
            with pytest.raises(ValueError, match="kind"):
                publish_many_sync(
                    sync_client, [(INTERACTION_RECORDED, "C7", {}), ("", "C7", {})], stream=stream
                )
            assert await client.xlen(stream) == 5
            assert publish_many_sync(sync_client, [], stream=stream) == []

    run(falkordb_server, body)


def test_a_storm_of_resuming_subscribers_all_get_their_history(
    falkordb_server: ServerInfo,
) -> None:
    """150 subscribers resuming at once (as after an API restart) each read the stream's
    history over the API's client: none may be refused a connection (redis-py's default
    pool refused 50 of them)."""

    async def main() -> None:
        client = redis_client(f"redis://127.0.0.1:{falkordb_server.port}/0", wait_s=WAIT_S)
        stream = _stream()
        hub = EventHub(client, stream=stream, coalesce_ms=0)
        await hub.start()
        try:
            first = await hub.publish(ALERT_RAISED, "r", {"n": 0})
            resumed = [hub.subscribe(ALERT_RAISED, "r", after="0-0") for _ in range(150)]
            got = await asyncio.gather(*(take(events, 1) for events in resumed))
            assert [[e.id for e in events] for events in got] == [[first]] * 150
        finally:
            await hub.stop()
            await client.delete(stream)
            await client.aclose()

    asyncio.run(main())


def test_a_malformed_resume_id_is_refused(falkordb_server: ServerInfo) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream)
        with pytest.raises(ValueError):
            hub.subscribe(ALERT_RAISED, "r", after="yesterday")

    run(falkordb_server, body)


def test_an_entry_that_is_not_an_event_is_skipped(falkordb_server: ServerInfo) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream, coalesce_ms=0)
        await hub.start()
        try:
            live = hub.subscribe(ALERT_RAISED, "r")
            start = await hub.publish(ALERT_RAISED, "elsewhere", {})
            await client.xadd(stream, {"kind": ALERT_RAISED, "key": "r", "at": "soon", "data": "{"})
            await client.xadd(stream, {"kind": ALERT_RAISED, "key": "r", "data": "[1]"})
            good = await hub.publish(ALERT_RAISED, "r", {"ok": True})
            assert [e.id for e in await take(live, 1)] == [good]
            replayed = hub.subscribe(ALERT_RAISED, "r", after=start)
            assert [e.id for e in await take(replayed, 1)] == [good]
        finally:
            await hub.stop()

    run(falkordb_server, body)


def test_without_a_window_changes_merge_only_while_the_consumer_is_behind(
    falkordb_server: ServerInfo,
) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream, coalesce_ms=0)
        await hub.start()
        try:
            behind = hub.subscribe(CUSTOMER_CHANGED, "C1")
            ids = [await hub.publish(CUSTOMER_CHANGED, "C1", {"n": n}) for n in range(5)]
            await until(lambda: _true(hub.last_id == ids[-1]))
            (merged,) = await take(behind, 1)
            assert (merged.id, merged.coalesced) == (ids[-1], 5)
            one = await hub.publish(CUSTOMER_CHANGED, "C1", {"n": 5})
            assert [(e.id, e.coalesced) for e in await take(behind, 1)] == [(one, 1)]
        finally:
            await hub.stop()

    run(falkordb_server, body)

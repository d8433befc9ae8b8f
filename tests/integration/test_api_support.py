"""api.audit and api.limits against a real Redis: the embedded FalkorDB server is one.

Each test uses keys of its own (a uuid prefix), so tests share the session's server
without seeing each other's streams or buckets. The rate limiter gets an injected clock
wherever refill is checked, so no test waits for tokens to come back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from api.audit import AUDIT_LOGGER, AuditLog
from api.auth import Principal, Role
from api.autopipeline import AutoPipeline
from api.limits import RateLimited, RateLimiter
from graph.embedded import ServerInfo, free_port

pytestmark = pytest.mark.falkordb

ANN = Principal(sub="ann", roles=frozenset({Role.REP}), territory=("Kingston",))
SAM = Principal(sub="sam", roles=frozenset({Role.STEWARD, Role.ANALYST}))


def unique(kind: str) -> str:
    return f"test:{kind}:{uuid.uuid4().hex[:12]}"


def run(
    server: ServerInfo,
    body: Callable[[aioredis.Redis], Awaitable[None]],
    *,
    decode_responses: bool = False,
) -> None:
    """Run `body` with a client of its own in a fresh event loop (no pytest-asyncio)."""

    async def main() -> None:
        client = aioredis.Redis(port=server.port, decode_responses=decode_responses)
        try:
            await body(client)
        finally:
            await client.aclose()

    asyncio.run(main())


def run_unreachable(body: Callable[[aioredis.Redis], Awaitable[None]]) -> None:
    """`run`, with a client of a port nobody listens on that fails at once (redis-py's
    default retries with back-off for seconds)."""

    async def main() -> None:
        client = aioredis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
        try:
            await body(client)
        finally:
            await client.aclose()

    asyncio.run(main())


class FakeClock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


# --- auto-pipelining --------------------------------------------------------------------


def test_concurrent_commands_share_round_trips_and_keep_their_replies(
    falkordb_server: ServerInfo,
) -> None:
    key = unique("ap")

    async def body(client: aioredis.Redis) -> None:
        pipeline = AutoPipeline.of(client)
        assert AutoPipeline.of(client) is pipeline  # one per client: audit and limits share it
        replies = await asyncio.gather(*(pipeline.send("INCRBY", key, i) for i in range(1, 101)))
        assert replies == [i * (i + 1) // 2 for i in range(1, 101)]  # run in the order sent
        assert pipeline.round_trips < 10  # queued in one turn of the loop: one write, not 100
        alone = pipeline.round_trips
        assert await pipeline.send("GET", key) == b"5050"
        assert pipeline.round_trips == alone + 1

    run(falkordb_server, body)


def test_an_error_reaches_only_its_own_command(falkordb_server: ServerInfo) -> None:
    key = unique("ap")

    async def body(client: aioredis.Redis) -> None:
        pipeline = AutoPipeline.of(client)
        await client.set(key, "text")
        ok, wrong, after = await asyncio.gather(
            pipeline.send("GET", key),
            pipeline.send("INCR", key),  # not an integer
            pipeline.send("STRLEN", key),
            return_exceptions=True,
        )
        assert ok == b"text" and after == 4
        assert isinstance(wrong, aioredis.ResponseError) and "not an integer" in str(wrong)

    run(falkordb_server, body)


def test_a_dropped_connection_is_retried_once_and_no_server_fails_every_waiter(
    falkordb_server: ServerInfo,
) -> None:
    key = unique("ap")

    async def body(client: aioredis.Redis) -> None:
        pipeline = AutoPipeline.of(client)
        assert await pipeline.send("SET", key, "1")
        pooled = await pipeline.send("CLIENT", "ID")  # the connection it goes back to the pool with
        other = aioredis.Redis(port=falkordb_server.port)
        try:
            assert await other.client_kill_filter(_id=pooled) == 1
        finally:
            await other.aclose()
        assert await pipeline.send("GET", key) == b"1"  # on a fresh connection from the pool
        assert await pipeline.send("CLIENT", "ID") != pooled

    run(falkordb_server, body)

    async def nobody_listening(client: aioredis.Redis) -> None:
        futures = [AutoPipeline.of(client).send("PING") for _ in range(3)]
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        assert all(isinstance(o, aioredis.ConnectionError) for o in outcomes), outcomes

    run_unreachable(nobody_listening)


# --- audit ----------------------------------------------------------------------------


@pytest.mark.parametrize("decode_responses", [False, True])
def test_audit_entries_round_trip(falkordb_server: ServerInfo, decode_responses: bool) -> None:
    stream = unique("audit")

    async def body(client: aioredis.Redis) -> None:
        audit = AuditLog(client, stream=stream)
        first = await audit.record(ANN, "pii.read", "cust-1", fields=["email", "phone"])
        second = await audit.record(
            SAM, "decision.merge", "cust-2", detail={"into": "cust-3", "reason": "same person"}
        )
        entries = await audit.recent()
        assert [e["id"] for e in entries] == [second, first]  # newest first
        merge, read = entries
        assert read["sub"] == "ann" and read["roles"] == ["rep"]
        assert read["action"] == "pii.read" and read["target"] == "cust-1"
        assert read["fields"] == ["email", "phone"] and read["detail"] is None
        assert isinstance(read["at"], int) and read["at"] > 1_600_000_000_000
        assert merge["roles"] == ["analyst", "steward"] and merge["fields"] == []
        assert merge["detail"] == {"into": "cust-3", "reason": "same person"}

    run(falkordb_server, body, decode_responses=decode_responses)


def test_audit_filters_and_limit(falkordb_server: ServerInfo) -> None:
    stream = unique("audit")

    async def body(client: aioredis.Redis) -> None:
        audit = AuditLog(client, stream=stream)
        await audit.record(SAM, "decision.split", "cust-9")  # the oldest, behind many reads
        for i in range(700):  # more than one page of the filtered scan
            await audit.record(ANN if i % 2 else SAM, "pii.read", f"cust-{i}", fields=["dob"])
        splits = await audit.recent(action="decision.split")
        assert [e["target"] for e in splits] == ["cust-9"]
        anns = await audit.recent(limit=5, sub="ann")
        assert [e["target"] for e in anns] == [f"cust-{i}" for i in (699, 697, 695, 693, 691)]
        assert len(await audit.recent(limit=1000, sub="ann", action="pii.read")) == 350
        assert await audit.recent(sub="nobody") == []
        assert len(await audit.recent(limit=3)) == 3
        assert await audit.recent(limit=0) == []
        assert await AuditLog(client, stream=unique("empty")).recent() == []

    run(falkordb_server, body)


def test_audit_stream_is_trimmed(falkordb_server: ServerInfo) -> None:
    stream = unique("audit")

    async def body(client: aioredis.Redis) -> None:
        audit = AuditLog(client, stream=stream, maxlen=10)
        for i in range(400):
            await audit.record(ANN, "pii.read", f"cust-{i}")
        # approximate trimming drops whole stream nodes (100 entries each by default)
        assert await client.xlen(stream) < 400
        assert (await audit.recent(limit=1))[0]["target"] == "cust-399"

    run(falkordb_server, body)


def test_audit_logs_one_json_line(
    falkordb_server: ServerInfo, caplog: pytest.LogCaptureFixture
) -> None:
    stream = unique("audit")
    entry_id: list[str] = []

    async def body(client: aioredis.Redis) -> None:
        entry_id.append(
            await AuditLog(client, stream=stream).record(ANN, "pii.read", "cust-1", ["email"])
        )

    with caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        run(falkordb_server, body)
    lines = [r.getMessage() for r in caplog.records if r.name == AUDIT_LOGGER]
    assert len(lines) == 1 and "\n" not in lines[0]
    logged: dict[str, Any] = json.loads(lines[0])
    assert logged["id"] == entry_id[0]
    assert logged["sub"] == "ann" and logged["action"] == "pii.read"
    assert logged["target"] == "cust-1" and logged["fields"] == ["email"]


def test_audit_without_waiting_is_stored_and_logged_or_said_to_be_lost(
    falkordb_server: ServerInfo, caplog: pytest.LogCaptureFixture
) -> None:
    """`record_soon` (a request's PII reads) returns at once; the entry is stored and
    logged with its id, and an entry Redis could not take is logged as an error."""
    stream = unique("audit")

    async def body(client: aioredis.Redis) -> None:
        audit = AuditLog(client, stream=stream)
        pipeline = AutoPipeline.of(client)
        sent = pipeline.round_trips
        audit.record_soon(ANN, "pii.read", "cust-7", ["email"], detail={"customers": 1})
        assert pipeline.round_trips == sent  # queued, not sent yet: the caller did not wait
        await pipeline.send("PING")  # queued after it: the entry is in
        await asyncio.sleep(0)  # its log line is written by a callback in the same turn
        [entry] = await audit.recent()
        assert entry["target"] == "cust-7" and entry["detail"] == {"customers": 1}
        logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == AUDIT_LOGGER]
        assert [line["id"] for line in logged] == [entry["id"]]

    async def nobody_listening(client: aioredis.Redis) -> None:
        AuditLog(client, stream=stream).record_soon(SAM, "pii.read", "cust-8", ["dob"])
        with pytest.raises(aioredis.ConnectionError):
            await AutoPipeline.of(client).send("PING")  # fails the same way, after it
        await asyncio.sleep(0)  # the entry's error line is written by a callback

    with caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        run(falkordb_server, body)
        caplog.clear()
        run_unreachable(nobody_listening)
    [lost] = [r for r in caplog.records if r.name == AUDIT_LOGGER]
    assert lost.levelno == logging.ERROR and "not stored" in lost.getMessage()
    assert '"target": "cust-8"' in lost.getMessage()


# --- rate limits ----------------------------------------------------------------------


def test_the_limiter_loads_its_script_again_after_a_flush(falkordb_server: ServerInfo) -> None:
    """A restarted (or flushed) Redis has no scripts: the first hit loads it again."""
    prefix = unique("rl")

    async def body(client: aioredis.Redis) -> None:
        limiter = RateLimiter(client, per_minute=60, burst=2, prefix=prefix, clock=FakeClock())
        assert (await limiter.hit("c")).remaining == 1
        await client.script_flush()
        assert (await limiter.hit("c")).remaining == 0
        assert not (await limiter.hit("c")).allowed

    run(falkordb_server, body)


def test_buckets_are_not_written_to_the_aof(falkordb_server: ServerInfo) -> None:
    """A bucket lives in Redis for every API process to share, but not in its AOF: an
    API call is not a write to persist (the graph server's AOF in the default set-up)."""
    prefix = unique("rl")

    async def body(client: aioredis.Redis) -> None:
        limiter = RateLimiter(client, per_minute=60, burst=50, prefix=prefix, clock=FakeClock())
        assert (await limiter.hit("c")).allowed  # the script is loaded (that is logged)
        before = (await client.info("persistence"))["aof_current_size"]
        for _ in range(20):
            assert (await limiter.hit("c")).allowed
        assert float(await client.hget(limiter.key("c"), "tokens")) == 29  # kept in Redis
        assert (await client.info("persistence"))["aof_current_size"] == before
        await client.set(unique("written"), "x")  # while a plain write is logged
        assert (await client.info("persistence"))["aof_current_size"] > before

    run(falkordb_server, body)


def test_burst_then_refused(falkordb_server: ServerInfo) -> None:
    prefix = unique("rl")

    async def body(client: aioredis.Redis) -> None:
        limiter = RateLimiter(client, per_minute=60, burst=3, prefix=prefix, clock=FakeClock())
        decisions = [await limiter.hit("c1") for _ in range(4)]
        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert [d.remaining for d in decisions] == [2, 1, 0, 0]
        assert decisions[0].retry_after_s == 0
        assert decisions[3].retry_after_s == pytest.approx(1.0)  # 60/min: one token a second
        assert (await limiter.hit("c2")).allowed  # another client has its own bucket
        assert 0 < await client.pttl(limiter.key("c1")) <= 4_000  # buckets expire once full

    run(falkordb_server, body)


def test_refill_over_time(falkordb_server: ServerInfo) -> None:
    prefix = unique("rl")

    async def body(client: aioredis.Redis) -> None:
        clock = FakeClock()
        limiter = RateLimiter(client, per_minute=60, burst=3, prefix=prefix, clock=clock)
        for _ in range(3):
            assert (await limiter.hit("c")).allowed
        assert not (await limiter.hit("c")).allowed
        clock.t += 0.5
        refused = await limiter.hit("c")
        assert not refused.allowed and refused.retry_after_s == pytest.approx(0.5)
        clock.t += 0.5
        assert (await limiter.hit("c")).allowed
        assert not (await limiter.hit("c")).allowed
        clock.t += 600  # a long pause refills to the burst, no further
        assert [(await limiter.hit("c")).allowed for _ in range(4)] == [True, True, True, False]

    run(falkordb_server, body)


def test_limit_is_shared_between_processes(falkordb_server: ServerInfo) -> None:
    """Two clients and two limiters (as two API processes would have) spend one bucket."""
    prefix = unique("rl")

    async def main() -> None:
        first = aioredis.Redis(port=falkordb_server.port)
        second = aioredis.Redis(port=falkordb_server.port, decode_responses=True)
        clock = FakeClock()
        try:
            a = RateLimiter(first, per_minute=60, burst=10, prefix=prefix, clock=clock)
            b = RateLimiter(second, per_minute=60, burst=10, prefix=prefix, clock=clock)
            alternating = [await (a if i % 2 else b).hit("shared") for i in range(6)]
            assert all(d.allowed for d in alternating)
            assert [d.remaining for d in alternating] == [9, 8, 7, 6, 5, 4]
            # concurrent hits from both: the script is atomic, so exactly 4 more get through
            burst = await asyncio.gather(*((a if i % 2 else b).hit("shared") for i in range(40)))
            assert sum(d.allowed for d in burst) == 4
            clock.t += 2
            assert (await a.hit("shared")).allowed and (await b.hit("shared")).allowed
            assert not (await a.hit("shared")).allowed
        finally:
            await first.aclose()
            await second.aclose()

    asyncio.run(main())


def test_server_clock_refills(falkordb_server: ServerInfo) -> None:
    """Without an injected clock the bucket runs on the Redis server's time."""
    prefix = unique("rl")

    async def body(client: aioredis.Redis) -> None:
        limiter = RateLimiter(client, per_minute=60_000, burst=2, prefix=prefix)  # 1 per ms
        results = [await limiter.hit("c") for _ in range(2)]
        assert all(d.allowed for d in results)
        for _ in range(50):  # tokens come back within milliseconds; no timing asserted
            await asyncio.sleep(0.005)
            if (await limiter.hit("c")).allowed:
                break
        else:
            pytest.fail("no token came back on the server clock")

    run(falkordb_server, body)


def test_cost_and_check(falkordb_server: ServerInfo) -> None:
    prefix = unique("rl")

    async def body(client: aioredis.Redis) -> None:
        limiter = RateLimiter(client, per_minute=120, burst=5, prefix=prefix, clock=FakeClock())
        assert (await limiter.hit("c", cost=3)).remaining == 2
        refused = await limiter.hit("c", cost=3)
        assert not refused.allowed and refused.remaining == 2
        assert refused.retry_after_s == pytest.approx(0.5)  # 2/s, one token short
        assert (await limiter.check("c", cost=2)).remaining == 0
        with pytest.raises(RateLimited) as e:
            await limiter.check("c")
        assert e.value.retry_after_s == pytest.approx(0.5) and e.value.code == "RATE_LIMITED"
        for bad in (0, 6):
            with pytest.raises(ValueError):
                await limiter.hit("c", cost=bad)

    run(falkordb_server, body)


def test_limiter_arguments() -> None:
    client = aioredis.Redis()  # never connected: register_script only keeps the text
    assert RateLimiter(client, per_minute=30).burst == 30
    with pytest.raises(ValueError):
        RateLimiter(client, per_minute=0)
    with pytest.raises(ValueError):
        RateLimiter(client, per_minute=10, burst=0)

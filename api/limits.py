"""Per-client rate limits shared by every API process: a token bucket kept in Redis.

The bucket is read, refilled, charged and written by one Lua script, so a hit is atomic:
two API processes (or two hundred) charging the same client cannot both spend the last
token. The script's call goes out with the other requests' in one pipeline
(`api.autopipeline`), still one script run per hit, in the order the hits came. Time
comes from the Redis server's clock unless a clock is injected, so processes on machines
with skewed clocks still agree.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError
from redis.typing import EncodableT

from api.autopipeline import AutoPipeline

__all__ = ["RateDecision", "RateLimited", "RateLimiter"]

# KEYS[1] the bucket (a hash: tokens, ts)
# ARGV: capacity, refill per millisecond, cost, now in ms ("" = the server's clock)
# The buckets are not written to the AOF (nor to replicas): they are state of the moment,
# a restart that forgets them only gives each client a full bucket, and every API call
# writing its bucket to the AOF (of the graph server, in the default set-up) made the
# whole graph's AOF rewrite come around sooner.
_TOKEN_BUCKET = """
redis.set_repl(redis.REPL_NONE)
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
  ts = now
end
local allowed = 0
local wait_ms = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait_ms = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
return {allowed, tostring(tokens), tostring(wait_ms)}
"""


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    remaining: int  # whole requests left in the bucket after this one
    retry_after_s: float  # 0 when allowed; otherwise when `cost` tokens will be there


class RateLimited(Exception):
    """A refused request; the API answers 429 with a Retry-After header."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after_s: float, message: str | None = None) -> None:
        super().__init__(message or f"rate limit exceeded; retry after {retry_after_s:.1f}s")
        self.retry_after_s = retry_after_s


class RateLimiter:
    """A token bucket per client id: `burst` tokens, refilled at `per_minute` per minute."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        per_minute: int,
        burst: int | None = None,
        prefix: str = "c360:rl",
        clock: Callable[[], float] | None = None,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        if burst is not None and burst <= 0:
            raise ValueError("burst must be positive")
        self.client = client
        self.per_minute = per_minute
        self.burst = burst if burst is not None else per_minute
        self.prefix = prefix
        self._clock = clock  # seconds; None: the Redis server's clock (shared by all processes)
        self._script = client.register_script(_TOKEN_BUCKET)
        self._pipeline = AutoPipeline.of(client)

    def key(self, client_id: str) -> str:
        return f"{self.prefix}:{client_id}"

    async def hit(self, client_id: str, cost: int = 1) -> RateDecision:
        """Charge `cost` tokens to `client_id` if it has them; one script run in Redis."""
        if not 1 <= cost <= self.burst:
            raise ValueError(f"cost must be between 1 and the burst ({self.burst})")
        now = "" if self._clock is None else str(int(self._clock() * 1000))
        key = self.key(client_id)
        args: list[EncodableT] = [self.burst, self.per_minute / 60_000, cost, now]
        try:
            reply = await self._pipeline.send("EVALSHA", self._script.sha, 1, key, *args)
        except NoScriptError:  # a restarted or flushed server: redis-py loads it and runs it
            reply = await cast(Awaitable[list[Any]], self._script(keys=[key], args=args))
        allowed, tokens, wait_ms = reply
        remaining = math.floor(float(tokens))
        return RateDecision(
            allowed=bool(int(allowed)),
            remaining=max(0, remaining),
            retry_after_s=float(wait_ms) / 1000,
        )

    async def check(self, client_id: str, cost: int = 1) -> RateDecision:
        """`hit`, raising `RateLimited` when refused: for call sites that just stop."""
        decision = await self.hit(client_id, cost)
        if not decision.allowed:
            raise RateLimited(decision.retry_after_s)
        return decision

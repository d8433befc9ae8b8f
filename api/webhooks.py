"""Webhooks: integrators register a URL and event kinds; c360 POSTs each matching event,
signed, retried with backoff, with a delivery status they can query.

Registrations are `(:Webhook)` nodes in the graph (statements in `cypher/webhooks/`).
Deliveries read the event stream of `api.events` through one Redis consumer group, so
any number of API processes share the work and each event is handled by one of them;
a delivery's id is "<event id>:<webhook id>" and is created at most once, so an event
read twice (a process died before acknowledging it) is still delivered once per webhook.
Attempts are scheduled in a Redis sorted set (delivery id -> when it is due), so retries
survive a restart and never wait behind new events; status lives in a Redis hash per
delivery (kept `status_ttl_s`), indexed per webhook. Delivery is at least once: a
receiver deduplicates on `X-C360-Event-Id`.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import hashlib
import hmac
import json
import logging
import os
import random
import secrets
import socket
import time
import uuid
from collections import Counter
from collections.abc import Collection, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import redis
import redis.asyncio as aioredis

from api.events import STREAM, parse_entries, raise_if_cancelled
from graph.store import GraphStore
from workers.event_kinds import EVENT_KINDS

log = logging.getLogger("c360.webhooks")

GROUP = "c360-webhooks"
STATUSES = ("pending", "retrying", "delivered", "failed")
SIGNATURE_HEADER = "X-C360-Signature"

# Create a delivery unless it exists: the hash (with its TTL), its place in the webhook's
# index (capped) and its due time. Idempotent, so an event handled twice is sent once.
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[4]) - 1)
redis.call('EXPIRE', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5])
return 1
"""

# Take up to ARGV[3] deliveries due by ARGV[1], leasing them until ARGV[2]: another process
# takes one again only if this one died mid-attempt.
_CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
"""


class WebhookError(ValueError):
    """A registration that cannot be accepted (bad URL, unknown event kind, ...)."""


class WebhookNotFound(LookupError):
    pass


def sign(secret: str, timestamp: str | int, body: bytes | str) -> str:
    """The `X-C360-Signature` value: HMAC-SHA256 of "<timestamp>.<body>" with the secret."""
    raw = body.encode() if isinstance(body, str) else body
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes | str,
    header: str,
    *,
    max_age_s: float | None = None,
    now: float | None = None,
) -> bool:
    """For integrators: is `header` (X-C360-Signature) right for this timestamp
    (X-C360-Timestamp, epoch seconds) and raw body? Constant-time; with `max_age_s`, an
    older timestamp (a replayed request) is refused too."""
    if max_age_s is not None:
        try:
            age = (time.time() if now is None else now) - int(timestamp)
        except ValueError:
            return False
        if abs(age) > max_age_s:
            return False
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), header.strip().encode())


def check_url(url: str) -> str:
    """An http(s) URL with a host, or a WebhookError saying what is wrong with it."""
    text = url.strip() if isinstance(url, str) else ""
    if not text or len(text) > 2048 or any(c.isspace() for c in text):
        raise WebhookError(
            f"webhook URL must be an http(s) URL of at most 2048 characters: {url!r}"
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError as exc:
        raise WebhookError(f"webhook URL {url!r} is malformed: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"webhook URL must be http:// or https:// with a host, got {url!r}")
    return text


def check_kinds(kinds: Collection[str], known: Collection[str] = EVENT_KINDS) -> list[str]:
    """Known event kinds, deduplicated and sorted, at least one."""
    if isinstance(kinds, str):
        kinds = [kinds]
    if not kinds:
        raise WebhookError(
            f"a webhook needs at least one event kind; known: {', '.join(sorted(known))}"
        )
    unknown = sorted({k for k in kinds if k not in known})
    if unknown:
        raise WebhookError(
            f"unknown event kind(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}"
        )
    return sorted(set(kinds))


@dataclass(frozen=True)
class _Hook:
    id: str
    url: str
    kinds: frozenset[str]
    secret: str
    created_at: int


@dataclass
class _Job:
    delivery_id: str
    webhook_id: str
    body: bytes
    event_id: str
    kind: str
    attempts: int


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class Webhooks:
    """Registrations (in the graph) and the delivery loop (over Redis)."""

    def __init__(
        self,
        store: GraphStore,
        client: aioredis.Redis,
        hub_stream: str = STREAM,
        *,
        http: httpx.AsyncClient | None = None,
        max_attempts: int = 8,
        base_delay_s: float = 1.0,
        max_delay_s: float = 300.0,
        timeout_s: float = 5.0,
        concurrency: int = 32,
        per_webhook: int = 4,
        status_ttl_s: int = 7 * 86_400,
        history: int = 1000,
        refresh_s: float = 5.0,
        group: str = GROUP,
        consumer: str | None = None,
        kinds: Collection[str] = EVENT_KINDS,
    ) -> None:
        if max_attempts < 1 or concurrency < 1 or per_webhook < 1:
            raise ValueError("max_attempts, concurrency and per_webhook must be at least 1")
        self.store = store
        self.client = client
        self.stream = hub_stream
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.timeout_s = timeout_s
        self.concurrency = concurrency
        self.per_webhook = per_webhook
        self.status_ttl_s = status_ttl_s
        self.history = history
        self.refresh_s = refresh_s
        self.group = group
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.kinds = frozenset(kinds)
        self.prefix = f"{hub_stream}:webhooks"
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,
        )
        self._create = client.register_script(_CREATE)
        self._claim = client.register_script(_CLAIM)
        self._group_ready = False
        self._hooks: dict[str, _Hook] = {}
        self._hooks_at = -1e18
        self._version: Any = None
        self._in_flight: Counter[str] = Counter()
        self._slots = asyncio.Semaphore(concurrency)
        self._stopping = False
        self._last_reclaim = 0.0

    # -- registrations ---------------------------------------------------------------

    async def register(
        self, url: str, kinds: Collection[str], actor: str, secret: str | None = None
    ) -> dict[str, Any]:
        """Register a webhook; the answer holds its secret, which is never shown again."""
        url = check_url(url)
        kind_list = check_kinds(kinds, self.kinds)
        if secret is not None and len(secret) < 16:
            raise WebhookError("a webhook secret needs at least 16 characters")
        webhook = {
            "id": f"W{uuid.uuid4().hex[:20].upper()}",
            "url": url,
            "kinds": kind_list,
            "secret": secret or secrets.token_urlsafe(32),
            "active": True,
            "created_at": _now_ms(),
            "created_by": actor,
        }
        await self._ensure_group()  # events from now on are kept for it
        await asyncio.to_thread(self.store.run, "webhooks/create", dict(webhook))
        await self._changed()
        return webhook

    async def update(
        self,
        webhook_id: str,
        *,
        active: bool | None = None,
        kinds: Collection[str] | None = None,
        url: str | None = None,
        actor: str = "system",
    ) -> dict[str, Any]:
        params = {
            "id": webhook_id,
            "active": active,
            "kinds": None if kinds is None else check_kinds(kinds, self.kinds),
            "url": None if url is None else check_url(url),
            "updated_at": _now_ms(),
            "updated_by": actor,
        }
        rows = await asyncio.to_thread(self.store.run, "webhooks/update", params)
        await self._changed()
        if not rows:
            raise WebhookNotFound(f"no webhook {webhook_id!r}")
        return _clean(rows[0]["webhook"])

    async def delete(self, webhook_id: str) -> bool:
        rows = await asyncio.to_thread(self.store.run, "webhooks/delete", {"id": webhook_id})
        await self._changed()
        return bool(rows and rows[0]["deleted"])

    async def list(self) -> builtins.list[dict[str, Any]]:
        rows = await asyncio.to_thread(self.store.run, "webhooks/list", {})
        return [_clean(r["webhook"]) for r in rows]

    async def get(self, webhook_id: str) -> dict[str, Any] | None:
        rows = await asyncio.to_thread(self.store.run, "webhooks/get", {"id": webhook_id})
        return _clean(rows[0]["webhook"]) if rows else None

    async def deliveries(self, webhook_id: str, limit: int = 50) -> builtins.list[dict[str, Any]]:
        """The webhook's latest deliveries, newest first (kept `status_ttl_s`)."""
        ids: Any = await self.client.zrevrange(self._index_key(webhook_id), 0, max(1, limit) - 1)
        if not ids:
            return []
        pipe = self.client.pipeline(transaction=False)
        for delivery_id in ids:
            pipe.hgetall(self._delivery_key(_text(delivery_id)))
        found: builtins.list[dict[str, Any]] = []
        expired = []
        for delivery_id, raw in zip(ids, await pipe.execute(), strict=True):
            if raw:
                found.append(_delivery({_text(k): _text(v) for k, v in raw.items()}))
            else:
                expired.append(delivery_id)
        if expired:
            await self.client.zrem(self._index_key(webhook_id), *expired)
        return found

    # -- the delivery loop -----------------------------------------------------------

    async def run_once(self, *, block_ms: int = 0) -> int:
        """One pass: take the retries that are due and the new events (waiting up to
        `block_ms` for some), make the attempts and wait for them. Returns how many."""
        jobs = await self._collect(self.concurrency, block_ms)
        if jobs:
            await asyncio.gather(*[self._start(job) for job in jobs])
        return len(jobs)

    async def run_forever(self, *, poll_ms: int = 1000) -> None:
        """Deliver until `stop()` (or cancellation). Attempts run as tasks, at most
        `concurrency` at once and `per_webhook` per webhook, so a slow or dead endpoint
        holds up only its own deliveries."""
        self._stopping = False
        tasks: set[asyncio.Task[None]] = set()
        failures = 0
        try:
            while not self._stopping:
                free = self.concurrency - len(tasks)
                if free <= 0:
                    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    jobs = await self._collect(free, await self._block_for(poll_ms))
                    failures = 0
                except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                    failures += 1
                    delay = min(10.0, 0.1 * 2 ** min(failures, 7))
                    log.warning(
                        json.dumps(
                            {
                                "event": "webhooks.redis_error",
                                "error": f"{type(exc).__name__}: {exc}",
                                "retry_in_s": delay,
                            }
                        )
                    )
                    await asyncio.sleep(delay)
                    continue
                for job in jobs:
                    task = asyncio.create_task(self._start(job))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                raise_if_cancelled()
        except asyncio.CancelledError:
            # Shutting down: attempts cut short keep their lease and are retried after it.
            for task in tasks:
                task.cancel()
            raise
        finally:
            if tasks:
                _done, pending = await asyncio.wait(tasks, timeout=self.timeout_s + 1)
                for task in pending:
                    task.cancel()

    def stop(self) -> None:
        """Ask `run_forever` to return (after its current read, at most `poll_ms`)."""
        self._stopping = True

    async def aclose(self) -> None:
        self.stop()
        if self._own_http:
            await self._http.aclose()

    async def _block_for(self, poll_ms: int) -> int:
        """Wait for new events no longer than until the next retry is due."""
        head: Any = await self.client.zrange(self._due_key(), 0, 0, withscores=True)
        if not head:
            return poll_ms
        return int(max(0, min(poll_ms, float(head[0][1]) - _now_ms())))

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self.client.xgroup_create(self.stream, self.group, id="$", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def _collect(self, capacity: int, block_ms: int) -> builtins.list[_Job]:
        await self._ensure_group()
        hooks = await self._active_hooks()
        taken: Counter[str] = Counter()  # jobs per webhook in this batch
        jobs = await self._claim_due(capacity, hooks, taken)
        if len(jobs) < capacity:
            entries = await self._reclaim_stale()
            try:
                reply: Any = await self.client.xreadgroup(
                    self.group,
                    self.consumer,
                    {self.stream: ">"},
                    count=capacity - len(jobs),
                    block=block_ms if block_ms > 0 and not jobs and not entries else None,
                )
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                self._group_ready = False  # the stream was deleted; start again
                return jobs
            if isinstance(reply, dict):
                reply = [[k, v[0]] for k, v in reply.items() if v]
            for _stream, new in reply or ():
                entries.extend(new)
            if entries:
                hooks = await self._active_hooks()
                jobs += await self._fan_out(entries, hooks, taken)
        return jobs

    async def _reclaim_stale(self) -> builtins.list[Any]:
        """Events another process read but never acknowledged (it died): take them over."""
        now = time.monotonic()
        if now - self._last_reclaim < 30:
            return []
        self._last_reclaim = now
        reply: Any = await self.client.xautoclaim(
            self.stream, self.group, self.consumer, min_idle_time=60_000, count=100
        )
        return [e for e in (reply[1] if reply and len(reply) > 1 else []) if e and e[1]]

    async def _fan_out(
        self, entries: builtins.list[Any], hooks: Mapping[str, _Hook], taken: Counter[str]
    ) -> builtins.list[_Job]:
        """Create a delivery per matching active webhook, then acknowledge the events."""
        now = _now_ms()
        lease = now + self._lease_ms()
        candidates: builtins.list[tuple[_Job, bool]] = []
        pipe = self.client.pipeline(transaction=False)
        for event in parse_entries(entries):
            body = event.to_json().encode()
            for hook in hooks.values():
                if event.kind not in hook.kinds or event.at < hook.created_at:
                    continue  # a webhook gets the events raised after it was registered
                delivery_id = f"{event.id}:{hook.id}"
                mine = self._in_flight[hook.id] + taken[hook.id] < self.per_webhook
                if mine:
                    taken[hook.id] += 1
                candidates.append((_Job(delivery_id, hook.id, body, event.id, event.kind, 0), mine))
                fields_out = {
                    "id": delivery_id,
                    "webhook_id": hook.id,
                    "event_id": event.id,
                    "kind": event.kind,
                    "key": event.key,
                    "at": event.at,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                    "next_attempt_at": now,
                    "body": body,
                }
                await self._create(
                    keys=[
                        self._delivery_key(delivery_id),
                        self._index_key(hook.id),
                        self._due_key(),
                    ],
                    args=[
                        self.status_ttl_s,
                        now,
                        lease if mine else now,
                        self.history,
                        delivery_id,
                        *_flat(fields_out),
                    ],
                    client=pipe,
                )
        created = await pipe.execute() if candidates else []
        jobs: builtins.list[_Job] = []
        for (job, mine), new in zip(candidates, created, strict=True):
            if mine and new:
                jobs.append(job)
            elif mine:
                taken[job.webhook_id] -= 1  # handled before (the event was read twice)
        await self.client.xack(self.stream, self.group, *[e[0] for e in entries])
        return jobs

    async def _claim_due(
        self, capacity: int, hooks: Mapping[str, _Hook], taken: Counter[str]
    ) -> builtins.list[_Job]:
        now = _now_ms()
        ids: Any = await self._claim(
            keys=[self._due_key()], args=[now, now + self._lease_ms(), capacity]
        )
        if not ids:
            return []
        pipe = self.client.pipeline(transaction=False)
        for delivery_id in ids:
            pipe.hgetall(self._delivery_key(_text(delivery_id)))
        jobs: builtins.list[_Job] = []
        later = now + 250
        for delivery_id, raw in zip(map(_text, ids), await pipe.execute(), strict=True):
            fields = {_text(k): v for k, v in raw.items()}
            status = _text(fields.get("status", b""))
            if not fields or status in ("delivered", "failed"):
                await self.client.zrem(self._due_key(), delivery_id)  # expired or done
                continue
            webhook_id = _text(fields["webhook_id"])
            if webhook_id not in hooks:
                await self._finish(
                    delivery_id,
                    webhook_id,
                    status="failed",
                    attempts=int(fields.get("attempts", 0)),
                    code=None,
                    error="webhook inactive or removed",
                    due=None,
                )
                continue
            if self._in_flight[webhook_id] + taken[webhook_id] >= self.per_webhook:
                await self.client.zadd(self._due_key(), {delivery_id: later})
                continue
            taken[webhook_id] += 1
            body = fields["body"]
            jobs.append(
                _Job(
                    delivery_id,
                    webhook_id,
                    body if isinstance(body, bytes) else str(body).encode(),
                    _text(fields.get("event_id", b"")),
                    _text(fields.get("kind", b"")),
                    int(fields.get("attempts", 0)),
                )
            )
        return jobs

    def _start(self, job: _Job) -> Coroutine[Any, Any, None]:
        """Count the job against its webhook's share now, before it runs."""
        self._in_flight[job.webhook_id] += 1
        return self._attempt(job)

    async def _attempt(self, job: _Job) -> None:
        try:
            async with self._slots:
                await self._attempt_now(job)
        finally:
            self._in_flight[job.webhook_id] -= 1
            if self._in_flight[job.webhook_id] <= 0:
                del self._in_flight[job.webhook_id]

    async def _attempt_now(self, job: _Job) -> None:
        hook = self._hooks.get(job.webhook_id)
        if hook is None:
            await self._finish(
                job.delivery_id,
                job.webhook_id,
                status="failed",
                attempts=job.attempts,
                code=None,
                error="webhook inactive or removed",
                due=None,
            )
            return
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "c360-webhooks/1",
            "X-C360-Event-Id": job.event_id,
            "X-C360-Event-Kind": job.kind,
            "X-C360-Delivery-Id": job.delivery_id,
            "X-C360-Timestamp": timestamp,
            SIGNATURE_HEADER: sign(hook.secret, timestamp, job.body),
        }
        code: int | None = None
        error: str | None = None
        retry_after: float | None = None
        try:
            response = await self._http.post(
                hook.url, content=job.body, headers=headers, timeout=self.timeout_s
            )
            code = response.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
                retry_after = _retry_after(response.headers.get("Retry-After"))
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        attempts = job.attempts + 1
        if error is None:
            await self._finish(
                job.delivery_id,
                job.webhook_id,
                status="delivered",
                attempts=attempts,
                code=code,
                error=None,
                due=None,
            )
        elif attempts >= self.max_attempts:
            log.warning(
                json.dumps(
                    {
                        "event": "webhooks.delivery_failed",
                        "delivery": job.delivery_id,
                        "url": hook.url,
                        "attempts": attempts,
                        "error": error,
                    }
                )
            )
            await self._finish(
                job.delivery_id,
                job.webhook_id,
                status="failed",
                attempts=attempts,
                code=code,
                error=error,
                due=None,
            )
        else:
            delay = self.backoff_s(attempts, retry_after)
            await self._finish(
                job.delivery_id,
                job.webhook_id,
                status="retrying",
                attempts=attempts,
                code=code,
                error=error,
                due=_now_ms() + int(delay * 1000),
            )

    def backoff_s(self, attempts: int, retry_after: float | None = None) -> float:
        """Exponential, with jitter (half to all of it) so that retries of one outage do
        not arrive together; a receiver's Retry-After is honoured up to `max_delay_s`."""
        delay: float = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempts - 1))
        delay = delay / 2 + random.uniform(0, delay / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay_s))
        return delay

    async def _finish(
        self,
        delivery_id: str,
        webhook_id: str,
        *,
        status: str,
        attempts: int,
        code: int | None,
        error: str | None,
        due: int | None,
    ) -> None:
        now = _now_ms()
        key = self._delivery_key(delivery_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(
            key,
            mapping={
                "status": status,
                "attempts": attempts,
                "last_status_code": "" if code is None else code,
                "last_error": error or "",
                "next_attempt_at": "" if due is None else due,
                "updated_at": now,
            },
        )
        pipe.expire(key, self.status_ttl_s)
        if due is None:
            pipe.zrem(self._due_key(), delivery_id)
        else:
            pipe.zadd(self._due_key(), {delivery_id: due})
        await pipe.execute()

    async def _active_hooks(self) -> dict[str, _Hook]:
        """The active webhooks, re-read from the graph when a registration changed (a
        version counter in Redis, read after the events are, so an event published
        after a change is matched against it) and at least every `refresh_s`."""
        version: Any = await self.client.get(self._version_key())
        now = time.monotonic()
        if version != self._version or now - self._hooks_at >= self.refresh_s:
            rows = await asyncio.to_thread(self.store.run, "webhooks/active", {})
            self._hooks = {
                r["id"]: _Hook(
                    id=r["id"],
                    url=r["url"],
                    kinds=frozenset(r["kinds"] or ()),
                    secret=r["secret"],
                    created_at=int(r["created_at"] or 0),
                )
                for r in rows
            }
            self._hooks_at = now
            self._version = version
        return self._hooks

    def _lease_ms(self) -> int:
        return int(max(60.0, 4 * self.timeout_s) * 1000)

    def _version_key(self) -> str:
        return f"{self.prefix}:version"

    async def _changed(self) -> None:
        """Tell every process to re-read the registrations before its next batch."""
        self._hooks_at = -1e18
        await self.client.incr(self._version_key())

    def _due_key(self) -> str:
        return f"{self.prefix}:due"

    def _delivery_key(self, delivery_id: str) -> str:
        return f"{self.prefix}:d:{delivery_id}"

    def _index_key(self, webhook_id: str) -> str:
        return f"{self.prefix}:w:{webhook_id}"


def _clean(webhook: Mapping[str, Any]) -> dict[str, Any]:
    """A registration as callers see it: never the secret."""
    out = {k: v for k, v in webhook.items() if k != "secret"}
    out["kinds"] = list(out.get("kinds") or [])
    return out


def _flat(fields: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    for name, value in fields.items():
        out += [name, value]
    return out


def _delivery(raw: Mapping[str, str]) -> dict[str, Any]:
    def number(name: str) -> int | None:
        value = raw.get(name, "")
        return int(value) if value else None

    return {
        "id": raw.get("id", ""),
        "webhook_id": raw.get("webhook_id", ""),
        "event_id": raw.get("event_id", ""),
        "kind": raw.get("kind", ""),
        "key": raw.get("key", ""),
        "at": number("at"),
        "status": raw.get("status", ""),
        "attempts": number("attempts") or 0,
        "last_status_code": number("last_status_code"),
        "last_error": raw.get("last_error") or None,
        "next_attempt_at": number("next_attempt_at")
        if raw.get("status") in ("pending", "retrying")
        else None,
        "created_at": number("created_at"),
        "updated_at": number("updated_at"),
    }


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    return None  # an HTTP date: ignored, the backoff applies

"""Webhooks against real servers: registrations in the embedded graph, deliveries over
the embedded server's Redis, POSTs to a real HTTP receiver on a free port."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import pytest
import redis.asyncio as aioredis

from api.events import EventHub, parse_id
from api.webhooks import WebhookError, WebhookNotFound, Webhooks, sign, verify_signature
from graph.embedded import ServerInfo
from graph.falkordb_store import FalkorDBStore
from workers.event_kinds import ALERT_RAISED, CUSTOMER_CHANGED

pytestmark = pytest.mark.falkordb

T = TypeVar("T")
WAIT_S = 20.0


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A real HTTP endpoint: records every POST; answers `fail_status` to the first
    `fail_first` of them (-1: to all); holds requests while `hold` is set."""

    fail_first: int = 0
    fail_status: int = 500
    requests: list[Received] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    n = len(receiver.requests)
                    receiver.requests.append(Received(dict(self.headers), body, time.monotonic()))
                while receiver.hold.is_set():
                    time.sleep(0.01)
                failing = receiver.fail_first < 0 or n < receiver.fail_first
                self.send_response(receiver.fail_status if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.hold.clear()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def event_ids(self) -> list[str]:
        return [r.headers["X-C360-Event-Id"] for r in self.requests]


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def make(**kwargs: Any) -> Receiver:
        receiver = Receiver(**kwargs).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


def run(
    server: ServerInfo,
    body: Callable[[aioredis.Redis, str], Coroutine[Any, Any, T]],
) -> T:
    """Run `body(client, stream)` in a fresh loop; the stream and its keys go afterwards."""

    async def main() -> T:
        client = aioredis.Redis(port=server.port)
        stream = f"test:webhooks:{uuid.uuid4().hex[:10]}"
        try:
            return await body(client, stream)
        finally:
            keys = [k async for k in client.scan_iter(match=f"{stream}*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()

    return asyncio.run(main())


async def pump(hooks: Webhooks, done: Callable[[], bool], timeout: float = WAIT_S) -> None:
    """Run delivery passes until `done()`."""
    async with asyncio.timeout(timeout):
        while not done():
            await hooks.run_once(block_ms=50)


async def wait_for(done: Callable[[], bool], timeout: float = WAIT_S) -> None:
    async with asyncio.timeout(timeout):
        while not done():
            await asyncio.sleep(0.02)


def test_registration_is_validated_and_the_secret_shown_once(
    falkordb_server: ServerInfo, falkordb_store: FalkorDBStore
) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        hooks = Webhooks(falkordb_store, client, stream)
        try:
            for bad in ("ftp://example.com/x", "not a url", "http://", "", "https://exa mple.com/"):
                with pytest.raises(WebhookError, match="URL"):
                    await hooks.register(bad, [CUSTOMER_CHANGED], "admin")
            with pytest.raises(
                WebhookError,
                match=r"unknown event kind\(s\) 'customer\.deleted'; known: alert\.raised, customer\.changed",
            ):
                await hooks.register("https://example.com/h", ["customer.deleted"], "admin")
            with pytest.raises(WebhookError, match="at least one event kind"):
                await hooks.register("https://example.com/h", [], "admin")
            with pytest.raises(WebhookError, match="16 characters"):
                await hooks.register(
                    "https://example.com/h", [ALERT_RAISED], "admin", secret="short"
                )
            assert await hooks.list() == []

            made = await hooks.register(
                "https://example.com/h", [CUSTOMER_CHANGED, ALERT_RAISED, ALERT_RAISED], "ann"
            )
            assert len(made["secret"]) >= 32 and made["active"] is True
            assert made["kinds"] == [ALERT_RAISED, CUSTOMER_CHANGED]
            stored = await hooks.get(made["id"])
            assert stored is not None and "secret" not in stored
            assert {k: stored[k] for k in ("id", "url", "kinds", "active", "created_by")} == {
                "id": made["id"],
                "url": "https://example.com/h",
                "kinds": [ALERT_RAISED, CUSTOMER_CHANGED],
                "active": True,
                "created_by": "ann",
            }
            assert [w["id"] for w in await hooks.list()] == [made["id"]]
            assert all("secret" not in w for w in await hooks.list())

            changed = await hooks.update(
                made["id"], active=False, kinds=[ALERT_RAISED], actor="bob"
            )
            assert (changed["active"], changed["kinds"], changed["url"]) == (
                False,
                [ALERT_RAISED],
                "https://example.com/h",
            )
            assert changed["updated_by"] == "bob" and "secret" not in changed
            with pytest.raises(WebhookError, match="unknown event kind"):
                await hooks.update(made["id"], kinds=["nope"])
            with pytest.raises(WebhookError, match="URL"):
                await hooks.update(made["id"], url="javascript:alert(1)")
            with pytest.raises(WebhookNotFound):
                await hooks.update("W-none", active=True)
            assert await hooks.get("W-none") is None
            assert await hooks.delete(made["id"]) is True
            assert await hooks.list() == []
        finally:
            await hooks.aclose()

    run(falkordb_server, body)


def test_deliveries_are_signed_and_queryable(
    falkordb_server: ServerInfo,
    falkordb_store: FalkorDBStore,
    receivers: Callable[..., Receiver],
) -> None:
    receiver = receivers()

    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream)
        hooks = Webhooks(falkordb_store, client, stream)
        try:
            hook = await hooks.register(receiver.url, [CUSTOMER_CHANGED], "integrator")
            first = await hub.publish(CUSTOMER_CHANGED, "C1", {"fields": ["name"]})
            await hub.publish(ALERT_RAISED, "rep1", {"rule": "churn"})  # not its kind
            second = await hub.publish(CUSTOMER_CHANGED, "C2", {"fields": ["email"]})
            await pump(hooks, lambda: len(receiver.requests) >= 2)
            await hooks.run_once(block_ms=100)
            # Each event exactly once. Not in order: a webhook gets up to `per_webhook`
            # deliveries at once, so they may arrive in either order.
            received = sorted(
                receiver.requests, key=lambda r: parse_id(r.headers["X-C360-Event-Id"])
            )
            assert [r.headers["X-C360-Event-Id"] for r in received] == [first, second]
            for request, (event_id, key) in zip(
                received, [(first, "C1"), (second, "C2")], strict=True
            ):
                headers = request.headers
                assert headers["X-C360-Event-Kind"] == CUSTOMER_CHANGED
                assert headers["Content-Type"] == "application/json"
                timestamp = headers["X-C360-Timestamp"]
                signature = headers["X-C360-Signature"]
                assert signature.startswith("sha256=")
                assert verify_signature(
                    hook["secret"], timestamp, request.body, signature, max_age_s=300
                )
                assert not verify_signature("x" * 32, timestamp, request.body, signature)
                assert not verify_signature(
                    hook["secret"], timestamp, request.body + b" ", signature
                )
                assert not verify_signature(
                    hook["secret"],
                    timestamp,
                    request.body,
                    signature,
                    max_age_s=300,
                    now=int(timestamp) + 3600,
                )
                sent = json.loads(request.body)
                assert (sent["id"], sent["kind"], sent["key"]) == (event_id, CUSTOMER_CHANGED, key)

            deliveries = await hooks.deliveries(hook["id"])
            assert [d["event_id"] for d in deliveries] == [second, first]  # newest first
            for d in deliveries:
                assert d["status"] == "delivered"
                assert d["attempts"] == 1
                assert d["last_status_code"] == 200
                assert d["last_error"] is None and d["next_attempt_at"] is None
                assert d["kind"] == CUSTOMER_CHANGED and d["webhook_id"] == hook["id"]
                assert d["at"] > 0
            assert len(await hooks.deliveries(hook["id"], limit=1)) == 1
            assert await hooks.deliveries("W-none") == []
        finally:
            await hooks.aclose()

    run(falkordb_server, body)


def test_failures_are_retried_with_backoff_until_delivered(
    falkordb_server: ServerInfo,
    falkordb_store: FalkorDBStore,
    receivers: Callable[..., Receiver],
) -> None:
    receiver = receivers(fail_first=2, fail_status=503)

    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream)
        hooks = Webhooks(falkordb_store, client, stream, base_delay_s=0.2, max_attempts=5)
        try:
            hook = await hooks.register(receiver.url, [ALERT_RAISED], "integrator")
            event_id = await hub.publish(ALERT_RAISED, "rep1", {"rule": "churn"})
            await pump(hooks, lambda: len(receiver.requests) >= 1)
            (retrying,) = await hooks.deliveries(hook["id"])
            assert retrying["status"] == "retrying"
            assert (retrying["attempts"], retrying["last_status_code"]) == (1, 503)
            assert retrying["last_error"] == "HTTP 503"
            assert retrying["next_attempt_at"] >= retrying["updated_at"]
            await pump(hooks, lambda: len(receiver.requests) >= 3)
            (done,) = await hooks.deliveries(hook["id"])
            assert (done["status"], done["attempts"], done["last_status_code"]) == (
                "delivered",
                3,
                200,
            )
            assert receiver.event_ids() == [event_id] * 3
            # Backoff: at least half the nominal delay (0.2 s, then 0.4 s) between attempts.
            times = [r.at for r in receiver.requests]
            assert times[1] - times[0] >= 0.1
            assert times[2] - times[1] >= 0.2
            # The same event, signed afresh each time.
            assert all(
                verify_signature(
                    hook["secret"],
                    r.headers["X-C360-Timestamp"],
                    r.body,
                    r.headers["X-C360-Signature"],
                )
                for r in receiver.requests
            )
        finally:
            await hooks.aclose()

    run(falkordb_server, body)


def test_a_delivery_fails_after_max_attempts(
    falkordb_server: ServerInfo,
    falkordb_store: FalkorDBStore,
    receivers: Callable[..., Receiver],
) -> None:
    receiver = receivers(fail_first=-1)

    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream)
        hooks = Webhooks(falkordb_store, client, stream, base_delay_s=0.05, max_attempts=3)
        try:
            hook = await hooks.register(receiver.url, [CUSTOMER_CHANGED], "integrator")
            await hub.publish(CUSTOMER_CHANGED, "C1", {})

            async def failed() -> bool:
                found = await hooks.deliveries(hook["id"])
                return bool(found) and found[0]["status"] == "failed"

            async with asyncio.timeout(WAIT_S):
                while not await failed():
                    await hooks.run_once(block_ms=50)
            (gone,) = await hooks.deliveries(hook["id"])
            assert (gone["attempts"], gone["last_status_code"], gone["last_error"]) == (
                3,
                500,
                "HTTP 500",
            )
            assert gone["next_attempt_at"] is None
            for _ in range(5):
                await hooks.run_once(block_ms=20)
            assert len(receiver.requests) == 3
        finally:
            await hooks.aclose()

    run(falkordb_server, body)


def test_an_unreachable_endpoint_is_retried_then_failed(
    falkordb_server: ServerInfo, falkordb_store: FalkorDBStore
) -> None:
    async def body(client: aioredis.Redis, stream: str) -> None:
        closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        port = closed.server_address[1]
        closed.server_close()  # nobody listens there now
        hub = EventHub(client, stream=stream)
        hooks = Webhooks(
            falkordb_store, client, stream, base_delay_s=0.05, max_attempts=2, timeout_s=2
        )
        try:
            hook = await hooks.register(f"http://127.0.0.1:{port}/gone", [CUSTOMER_CHANGED], "i")
            await hub.publish(CUSTOMER_CHANGED, "C1", {})
            status: dict[str, Any] = {}

            async def settled() -> bool:
                found = await hooks.deliveries(hook["id"])
                status.update(found[0] if found else {})
                return status.get("status") == "failed"

            seen_retrying = False
            async with asyncio.timeout(WAIT_S):
                while not await settled():
                    seen_retrying |= status.get("status") == "retrying"
                    await hooks.run_once(block_ms=50)
            assert seen_retrying
            assert status["attempts"] == 2 and status["last_status_code"] is None
            assert "Connect" in status["last_error"]
        finally:
            await hooks.aclose()

    run(falkordb_server, body)


def test_inactive_and_other_kind_webhooks_receive_nothing(
    falkordb_server: ServerInfo,
    falkordb_store: FalkorDBStore,
    receivers: Callable[..., Receiver],
) -> None:
    inactive, other_kind, control = receivers(), receivers(), receivers()

    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream)
        hooks = Webhooks(falkordb_store, client, stream)
        try:
            off = await hooks.register(inactive.url, [CUSTOMER_CHANGED], "i")
            await hooks.update(off["id"], active=False)
            alerts_only = await hooks.register(other_kind.url, [ALERT_RAISED], "i")
            await hooks.register(control.url, [CUSTOMER_CHANGED], "i")
            await hub.publish(CUSTOMER_CHANGED, "C1", {})
            await pump(hooks, lambda: len(control.requests) >= 1)
            for _ in range(3):
                await hooks.run_once(block_ms=30)
            assert inactive.requests == [] and other_kind.requests == []
            assert await hooks.deliveries(off["id"]) == []
            assert await hooks.deliveries(alerts_only["id"]) == []
            # Active again: later events reach it.
            await hooks.update(off["id"], active=True)
            later = await hub.publish(CUSTOMER_CHANGED, "C2", {})
            await pump(hooks, lambda: len(inactive.requests) >= 1)
            assert inactive.event_ids() == [later]
        finally:
            await hooks.aclose()

    run(falkordb_server, body)


def test_two_processes_deliver_each_event_once_per_webhook(
    falkordb_server: ServerInfo,
    falkordb_store: FalkorDBStore,
    receivers: Callable[..., Receiver],
) -> None:
    one_r, two_r = receivers(), receivers()

    async def body(client: aioredis.Redis, stream: str) -> None:
        other = aioredis.Redis(port=falkordb_server.port)
        hub = EventHub(client, stream=stream)
        one = Webhooks(falkordb_store, client, stream, concurrency=4)
        two = Webhooks(falkordb_store, other, stream, concurrency=4)
        try:
            await one.register(one_r.url, [CUSTOMER_CHANGED], "i")
            await one.register(two_r.url, [CUSTOMER_CHANGED], "i")
            ids = [await hub.publish(CUSTOMER_CHANGED, f"C{n}", {"n": n}) for n in range(30)]

            def done() -> bool:
                return len(one_r.requests) >= 30 and len(two_r.requests) >= 30

            await asyncio.gather(pump(one, done), pump(two, done))
            for _ in range(3):
                await asyncio.gather(one.run_once(block_ms=30), two.run_once(block_ms=30))
            assert sorted(one_r.event_ids()) == sorted(ids)
            assert sorted(two_r.event_ids()) == sorted(ids)
        finally:
            await one.aclose()
            await two.aclose()
            await other.aclose()

    run(falkordb_server, body)


def test_scheduled_retries_survive_a_restart(
    falkordb_server: ServerInfo,
    falkordb_store: FalkorDBStore,
    receivers: Callable[..., Receiver],
) -> None:
    receiver = receivers(fail_first=1)

    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream)
        before = Webhooks(falkordb_store, client, stream, base_delay_s=0.3)
        hook = await before.register(receiver.url, [CUSTOMER_CHANGED], "i")
        event_id = await hub.publish(CUSTOMER_CHANGED, "C1", {})
        await pump(before, lambda: len(receiver.requests) >= 1)
        await before.aclose()  # the process goes away with a retry scheduled

        after = Webhooks(falkordb_store, client, stream, base_delay_s=0.3)
        try:
            await pump(after, lambda: len(receiver.requests) >= 2)
            assert receiver.event_ids() == [event_id, event_id]
            (done,) = await after.deliveries(hook["id"])
            assert (done["status"], done["attempts"]) == ("delivered", 2)
        finally:
            await after.aclose()

    run(falkordb_server, body)


def test_a_hanging_endpoint_does_not_hold_up_others(
    falkordb_server: ServerInfo,
    falkordb_store: FalkorDBStore,
    receivers: Callable[..., Receiver],
) -> None:
    slow, fast = receivers(), receivers()
    slow.hold.set()  # it accepts requests and answers none until released

    async def body(client: aioredis.Redis, stream: str) -> None:
        hub = EventHub(client, stream=stream)
        hooks = Webhooks(falkordb_store, client, stream, concurrency=4, per_webhook=2, timeout_s=60)
        try:
            await hooks.register(slow.url, [CUSTOMER_CHANGED], "i")
            await hooks.register(fast.url, [CUSTOMER_CHANGED], "i")
            loop = asyncio.create_task(hooks.run_forever(poll_ms=50))
            ids = [await hub.publish(CUSTOMER_CHANGED, f"C{n}", {}) for n in range(12)]
            await wait_for(lambda: len(fast.requests) >= 12)
            assert sorted(fast.event_ids()) == sorted(ids)
            assert len(slow.requests) <= 2  # at most per_webhook attempts held by it
            slow.hold.clear()
            await wait_for(lambda: len(slow.requests) >= 12)
            assert sorted(slow.event_ids()) == sorted(ids)
            hooks.stop()
            await asyncio.wait_for(loop, WAIT_S)
        finally:
            slow.hold.clear()
            await hooks.aclose()

    run(falkordb_server, body)


def test_sign_matches_the_documented_scheme() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k" * 16, b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("k" * 16, 1700000000, b"{}") == f"sha256={expected}"
    assert verify_signature("k" * 16, "1700000000", "{}", f"sha256={expected}")
    assert not verify_signature("k" * 16, "1700000000", "{}", "sha256=00")
    assert not verify_signature("k" * 16, "soon", "{}", f"sha256={expected}", max_age_s=10)


def test_a_registration_made_elsewhere_is_matched_from_the_next_event_on(
    falkordb_server: ServerInfo,
    falkordb_store: FalkorDBStore,
    receivers: Callable[..., Receiver],
) -> None:
    receiver = receivers()

    async def body(client: aioredis.Redis, stream: str) -> None:
        other = aioredis.Redis(port=falkordb_server.port)
        hub = EventHub(client, stream=stream)
        api = Webhooks(falkordb_store, client, stream)  # where the registration is made
        worker = Webhooks(falkordb_store, other, stream, refresh_s=3600)  # caches for long
        try:
            await hub.publish(CUSTOMER_CHANGED, "C0", {})
            await worker.run_once()  # it has read the (empty) registrations now
            hook = await api.register(receiver.url, [CUSTOMER_CHANGED], "i")
            event_id = await hub.publish(CUSTOMER_CHANGED, "C1", {})
            await pump(worker, lambda: len(receiver.requests) >= 1)
            assert receiver.event_ids() == [event_id]
            await api.update(hook["id"], active=False)
            await hub.publish(CUSTOMER_CHANGED, "C2", {})
            for _ in range(3):
                await worker.run_once(block_ms=30)
            assert receiver.event_ids() == [event_id]
        finally:
            await api.aclose()
            await worker.aclose()
            await other.aclose()

    run(falkordb_server, body)

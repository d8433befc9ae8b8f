"""Auto-pipelining: small Redis commands from concurrent requests share one round trip.

Every GraphQL request costs the API two small Redis commands, the rate-limit script before
it runs and, for a read of personal data, an audit XADD after. Sent one by one through
redis-py, each paid a pooled connection, its arguments packed in Python, a write, a read,
and a wake-up of this process and of the Redis server's main thread (in the embedded
set-up also the graph server's): together a quarter of the API's CPU per 360 view. Here
a command is queued with a future; one sender task writes whatever has queued in one
write, packed by hiredis's C packer, and hands the replies back in order. Redis still runs
the commands one by one in the order they were queued, so nothing about their meaning
changes. Idle, a command goes out alone on the next turn of the event loop: batching adds
no wait. (redis-py has no auto-pipelining of its own; ioredis and Lettuce have.)
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import redis.asyncio as aioredis
from hiredis import pack_command
from redis.exceptions import ResponseError
from redis.typing import EncodableT

__all__ = ["AutoPipeline"]

_Queued = tuple[tuple[EncodableT, ...], asyncio.Future[Any]]


class AutoPipeline:
    """Queue commands with `send`; one task at a time sends the queue in one write."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self.round_trips = 0  # writes sent, each with every command queued by then
        self._queue: list[_Queued] = []
        self._sender: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, client: aioredis.Redis) -> AutoPipeline:
        """The one pipeline of `client`, shared by everything that sends through it."""
        pipeline = _of_client.get(client)
        if pipeline is None:
            pipeline = _of_client[client] = cls(client)
        return pipeline

    def send(self, *command: EncodableT) -> asyncio.Future[Any]:
        """Queue one command ("XADD", key, ...); its future gets the reply (undecoded
        unless the client decodes), the error Redis answered, or the connection's error."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append((command, future))
        sender = self._sender
        if sender is None or sender.done() or sender.get_loop() is not loop:
            self._sender = loop.create_task(self._send_queued())
        return future

    async def _send_queued(self) -> None:
        batch: list[_Queued] = []
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                self.round_trips += 1
                commands = [command for command, _ in batch]
                try:
                    try:
                        replies = await self._round_trip(commands)
                    except (OSError, aioredis.ConnectionError, aioredis.TimeoutError):
                        # A pooled connection the server dropped while idle (a restart, its
                        # idle timeout) fails on first use. redis-py retries its own commands
                        # then, and so does this, once, on a fresh connection: a command the
                        # server did run is run twice (a token charged or an audit entry
                        # written twice), none is lost.
                        replies = await self._round_trip(commands)
                except (OSError, aioredis.RedisError) as exc:
                    _fail(batch, exc)  # every waiter hears why
                    continue
                for (_, future), reply in zip(batch, replies, strict=True):
                    if future.done():  # its waiter was cancelled
                        continue
                    if isinstance(reply, Exception):
                        future.set_exception(reply)
                    else:
                        future.set_result(reply)
                batch = []
        except BaseException as exc:  # cancelled (the app stopping): no waiter hangs
            _fail(batch + self._queue, aioredis.ConnectionError(f"sender stopped: {exc!r}"))
            self._queue = []
            raise

    async def _round_trip(self, commands: list[tuple[EncodableT, ...]]) -> list[Any]:
        pool = self.client.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            await connection.send_packed_command(
                b"".join([pack_command(command) for command in commands]),  # type: ignore[arg-type]
                check_health=False,
            )
            replies: list[Any] = []
            for _ in commands:
                try:
                    replies.append(await connection.read_response())
                except ResponseError as exc:  # this command's error; the rest still come
                    replies.append(exc)
            return replies
        except BaseException:
            await connection.disconnect(nowait=True)  # never reuse a half-read connection
            raise
        finally:
            await pool.release(connection)


_of_client: weakref.WeakKeyDictionary[aioredis.Redis, AutoPipeline] = weakref.WeakKeyDictionary()


def _fail(batch: list[_Queued], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)

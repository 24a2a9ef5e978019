"""Redis Streams through redis.asyncio: pipelined XADD with approximate
MAXLEN, consumer groups, XACK after success, XAUTOCLAIM of what dead
consumers left pending, dead-letter after too many deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any

import structlog

from svcforge.messaging import _headers as h
from svcforge.messaging._broker import Broker, Delivery, Route, Sender, Subscription
from svcforge.messaging._metrics import CountTally
from svcforge.messaging._redis_consumer import StreamConsumer
from svcforge.messaging._redis_wire import (
    Xadd,
    decode_entry,
    encode_entry,
    entry_headers,
    redis_route,
)
from svcforge.messaging._settings import RedisSettings
from svcforge.messaging._spec import RedisRoute
from svcforge.settings._secret import describe

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisBroker", "decode_entry", "encode_entry", "entry_headers"]

_log = structlog.get_logger("svcforge.redis")

_Queued = tuple[bytes, CountTally | None, "asyncio.Future[Any]"]
"""A packed XADD, the tally counting it once added, its future."""


def _raw_reply(response: Any, **options: Any) -> Any:
    return response


def _client(settings: RedisSettings) -> Redis:
    """The data path's client: a pool that, when all ``max_connections``
    are busy, waits for one (up to ``socket_timeout_s``) rather than fail."""
    try:
        from redis.asyncio import BlockingConnectionPool, Redis
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError(
            "Redis channels need redis: pip install 'svcforge[redis]'"
        ) from None
    pool = BlockingConnectionPool.from_url(
        settings.url,
        max_connections=settings.max_connections,
        timeout=settings.socket_timeout_s,
        socket_timeout=settings.socket_timeout_s,
        socket_connect_timeout=settings.socket_timeout_s,
        decode_responses=False,
    )
    client: Redis = Redis(connection_pool=pool)
    return client


def _health_client(settings: RedisSettings) -> Redis:
    """One connection of the health checks' own: a flood of probes never
    takes a connection of the data path."""
    from redis.asyncio import Redis

    client: Redis = Redis.from_url(
        settings.url,
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
        single_connection_client=True,
        decode_responses=False,
    )
    return client


class RedisBroker(Broker):
    """Publishes with XADD, batched: concurrent ``send`` calls share one
    pipeline round trip (up to ``pipeline_size`` entries).  Consumers read
    with XREADGROUP, run the handlers one entry at a time (stream order) and
    XACK after each read batch; every ``claim_interval_ms`` they XAUTOCLAIM
    entries idle for ``claim_idle_ms`` in other consumers' pending lists."""

    name = "redis"

    def __init__(self, settings: RedisSettings | None = None) -> None:
        self.settings = settings or RedisSettings()
        self.consumer_name = self.settings.consumer_name or (
            f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        )
        self._client: Redis | None = None
        self._reader: Redis | None = None
        self._health: Redis | None = None
        self._subs: list[Subscription] = []
        self._consumers: list[StreamConsumer] = []
        self._queue: list[_Queued] = []
        self._writing = False
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._started = False

    def stream(self, name: str) -> str:
        return self.settings.name_prefix + name

    def destination(self, name: str) -> str:
        return self.settings.name_prefix + name

    @property
    def client(self) -> Redis:
        if self._client is None:
            raise RuntimeError("the Redis broker is not started")
        return self._client

    @property
    def reader(self) -> Redis:
        """A client on the same connections whose XREADGROUP replies are left
        as Redis sent them (see ``StreamConsumer._read``)."""
        if self._reader is None:
            raise RuntimeError("the Redis broker is not started")
        return self._reader

    # -- Broker -------------------------------------------------------------------

    def subscribe(self, subscription: Subscription) -> None:
        redis_route(subscription.route)
        if self._started:
            raise RuntimeError("subscribe channels before the broker starts")
        self._subs.append(subscription)

    async def start(self) -> None:
        if self._started:
            return
        self._client = _client(self.settings)
        self._health = _health_client(self.settings)
        await self._client.ping()
        # The consumers' XREADGROUP replies, as Redis sends them: entries'
        # fields stay flat lists (no dict per entry), on the same pool.
        reader = type(self._client)(connection_pool=self._client.connection_pool)
        reader.set_response_callback("XREADGROUP", _raw_reply)
        self._reader = reader
        self._wake = asyncio.Event()
        self._flusher = asyncio.create_task(self._flush_loop(), name="redis-publisher")
        for sub in self._subs:
            consumer = StreamConsumer(self, sub)
            self._consumers.append(consumer)  # stopped by stop(), even half-started
            await consumer.start()
        self._started = True

    async def stop(self, timeout: float = 10.0) -> None:
        consumers, self._consumers = self._consumers, []
        await asyncio.gather(*(c.stop(timeout) for c in consumers))
        if self._flusher is not None:
            # Let queued XADDs go out before closing.
            deadline = time.monotonic() + timeout
            while (self._queue or self._writing) and time.monotonic() < deadline:
                self._wake.set()
                await asyncio.sleep(0.01)
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        for _, _, fut in self._queue:
            if not fut.done():
                fut.set_exception(ConnectionError("redis broker stopped"))
        self._queue.clear()
        for client in (self._client, self._health):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
                    await client.connection_pool.aclose()
        self._client = self._reader = self._health = None
        self._started = False

    async def send(
        self, route: Route, key: bytes | None, value: bytes, headers: h.Headers
    ) -> asyncio.Future[Any]:
        r = redis_route(route)
        xadd = Xadd(self.stream(r.stream), r.maxlen or self.settings.maxlen, [])
        return self._enqueue(xadd.command(key, value, headers), None)

    def sender(self, route: Route, headers: h.Headers, published: CountTally) -> Sender:
        """The channel's XADD prefix and constant header fields are packed
        once; the publisher task counts in ``published`` what Redis added."""
        r = redis_route(route)
        xadd = Xadd(self.stream(r.stream), r.maxlen or self.settings.maxlen, headers)
        command, enqueue = xadd.command, self._enqueue

        async def send(
            key: bytes | None, value: bytes, extra: h.Headers
        ) -> asyncio.Future[Any]:
            return enqueue(command(key, value, extra), published)

        return send

    def _enqueue(
        self, command: bytes, published: CountTally | None
    ) -> asyncio.Future[Any]:
        if self._flusher is None:
            raise RuntimeError("the Redis broker is not started")
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((command, published, fut))
        if not self._wake.is_set():
            self._wake.set()
        return fut

    async def check(self) -> str | None:
        """Ready: Redis answers (on the health check's own connection) and
        every consumer runs and can read its group."""
        health = self._health
        if health is None or not self._started:
            return "redis not connected"
        try:
            await asyncio.wait_for(health.ping(), 2.0)
            for c in self._consumers:
                found = c.problem() or await self._group_problem(health, c)
                if found is not None:
                    return found
        except Exception as exc:
            return f"redis unreachable: {describe(exc)}"
        return None

    async def _group_problem(self, health: Redis, c: StreamConsumer) -> str | None:
        from redis.exceptions import ResponseError

        missing = f"group {c.group} of stream {c.stream} is missing"
        if c.group_missing:
            return missing
        try:
            groups = await asyncio.wait_for(health.xinfo_groups(c.stream), 2.0)
        except ResponseError as exc:
            if "no such key" in str(exc):
                return missing
            raise
        names = {g.get("name") for g in groups}
        if c.group not in names and c.group.encode() not in names:
            return missing
        return None

    def problem(self) -> str | None:
        for c in self._consumers:
            found = c.problem()
            if found is not None:
                return found
        return None

    # -- internals -------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        """Write what ``send`` queued: up to ``pipeline_size`` XADDs per round
        trip, on one connection of the client's pool."""
        size = self.settings.pipeline_size
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                queued, self._queue = self._queue, []
                self._writing = True
                try:
                    for i in range(0, len(queued), size):
                        await self._write(queued[i : i + size])
                except BaseException:
                    for _, _, fut in queued:
                        if not fut.done():
                            fut.set_exception(ConnectionError("redis broker stopped"))
                    raise
                finally:
                    self._writing = False

    async def _write(self, batch: list[_Queued]) -> None:
        try:
            replies = await self._round_trip(
                b"".join([c for c, _, _ in batch]), len(batch)
            )
        except asyncio.CancelledError:
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_exception(ConnectionError("redis broker stopped"))
            raise
        except Exception as exc:
            self.troubles += 1
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, published, fut), reply in zip(batch, replies, strict=True):
            if isinstance(reply, Exception):
                if not fut.done():
                    fut.set_exception(reply)
                continue
            if published is not None:
                published.n += 1
            if not fut.done():
                fut.set_result(reply)

    async def _round_trip(self, commands: bytes, count: int) -> list[Any]:
        """Send packed ``commands`` and read their ``count`` replies (an error
        reply is returned, not raised), as redis-py's pipelines do, retrying
        as the connection's ``retry`` says."""
        from redis.exceptions import ResponseError

        pool: Any = self.client.connection_pool
        try:
            acquiring = pool.get_connection()
        except TypeError:  # redis-py before 5.3 wants the command's name
            acquiring = pool.get_connection("XADD")
        conn = await acquiring
        timeout = self.settings.socket_timeout_s

        async def attempt() -> list[Any]:
            await conn.send_packed_command(commands)
            replies: list[Any] = []
            # One deadline for the whole batch instead of a timer per reply.
            async with asyncio.timeout(timeout):
                for _ in range(count):
                    try:
                        replies.append(await conn.read_response(timeout=math.inf))
                    except ResponseError as exc:
                        replies.append(exc)
            return replies

        async def failed(error: Exception) -> None:
            await conn.disconnect()

        try:
            result: list[Any] = await conn.retry.call_with_retry(attempt, failed)
            return result
        except BaseException:
            # Replies may be left unread: the connection is out of step.
            await conn.disconnect()
            raise
        finally:
            await pool.release(conn)

    async def dead_letter(
        self, route: RedisRoute, d: Delivery, headers: h.Headers
    ) -> None:
        await self.client.xadd(
            self.stream(route.dead_letter),
            encode_entry(d.key, d.value, headers),
            maxlen=route.maxlen or self.settings.maxlen,
            approximate=True,
        )

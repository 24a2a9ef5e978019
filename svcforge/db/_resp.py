"""One pipelined connection to Redis for the repository cache.

Why not ``redis.asyncio``: measured on loopback (``bench/repository.py``), one
awaited GET through it costs more than the PostgreSQL lookup by primary key
it would save (its connection pool, per-connection lock and reply machinery
run on every command); coredis was slower still.  The cache needs four
commands and no pub/sub, cluster or pooling, so it talks RESP itself over
one connection: requests are written as they come and replies matched to
them in order, parsed by ``hiredis`` (the C parser ``redis[hiredis]``
installs).  Concurrent callers share the connection without waiting for
each other.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import Any, cast
from urllib.parse import unquote, urlsplit

__all__ = ["RedisConnection", "RedisReplyError"]


class RedisReplyError(RuntimeError):
    """Redis answered a command with an error."""


class _Protocol(asyncio.Protocol):
    """Replies matched to requests in order.  One timer per connection, not
    one per request (``asyncio.timeout`` per command cost a quarter of a
    cache hit): when the oldest request waited ``timeout_s``, every waiting
    request fails with ``TimeoutError`` and the connection is dropped."""

    def __init__(self, timeout_s: float) -> None:
        import hiredis

        self.timeout_s = timeout_s
        self.loop = asyncio.get_running_loop()
        self.reader = hiredis.Reader()
        self.reply_error: type[BaseException] = hiredis.ReplyError
        self.waiting: deque[tuple[asyncio.Future[Any], float]] = deque()
        self.transport: asyncio.Transport | None = None
        self.lost: BaseException | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, data: bytes) -> asyncio.Future[Any]:
        loop = self.loop
        waiter = loop.create_future()
        self.waiting.append((waiter, loop.time() + self.timeout_s))
        assert self.transport is not None
        self.transport.write(data)
        if self.timer is None:
            self.timer = loop.call_later(self.timeout_s, self._watch)
        return waiter

    def _watch(self) -> None:
        self.timer = None
        if not self.waiting:
            return
        deadline = self.waiting[0][1]
        if deadline > self.loop.time():
            self.timer = self.loop.call_at(deadline, self._watch)
            return
        self._fail(TimeoutError(f"Redis did not answer in {self.timeout_s:g} s"))
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            waiter = self.waiting.popleft()[0]
            if waiter.done():  # its caller was cancelled
                continue
            if isinstance(reply, self.reply_error):
                waiter.set_exception(RedisReplyError(str(reply)))
            else:
                waiter.set_result(reply)

    def _fail(self, exc: BaseException) -> None:
        if self.lost is None:
            self.lost = exc
        while self.waiting:
            waiter = self.waiting.popleft()[0]
            if not waiter.done():
                waiter.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self._fail(ConnectionError(f"Redis: {exc or 'connection closed'}"))


class RedisConnection:
    """``await conn.call(b"GET", key)``: one command, its reply (``bytes``,
    ``int``, ``None``, a list), ``RedisReplyError`` for an error reply,
    ``ConnectionError``/``TimeoutError`` when Redis cannot be reached.  It
    (re)connects on first use and after the connection was lost; ``url`` is
    ``redis://[user:password@]host[:port][/db]`` or ``rediss://`` (TLS)."""

    def __init__(self, url: str, *, timeout_s: float = 2.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError("a Redis URL starts with redis:// or rediss://")
        self._host = parts.hostname or "localhost"
        self._port = parts.port or 6379
        self._tls = parts.scheme == "rediss"
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        path = parts.path.strip("/")
        self._db = int(path) if path else 0
        self.timeout_s = timeout_s
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None
        import hiredis

        self._pack = hiredis.pack_command

    async def call(self, *args: bytes | str | int) -> Any:
        protocol = self._protocol
        if protocol is None or protocol.lost is not None:
            protocol = await self._connect()
        return await protocol.send(self._pack(cast(Any, args)))

    async def _connect(self) -> _Protocol:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            protocol = self._protocol
            if protocol is not None and protocol.lost is None:
                return protocol
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(self.timeout_s):
                _, protocol = await loop.create_connection(
                    lambda: _Protocol(self.timeout_s),
                    self._host,
                    self._port,
                    ssl=ssl.create_default_context() if self._tls else None,
                )
                hello: list[tuple[bytes | str | int, ...]] = []
                if self._password is not None:
                    user = (self._user,) if self._user else ()
                    hello.append(("AUTH", *user, self._password))
                if self._db:
                    hello.append(("SELECT", self._db))
                for command in hello:
                    await protocol.send(self._pack(cast(Any, command)))
            self._protocol = protocol
            return protocol

    async def close(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()

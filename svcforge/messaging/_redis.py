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
from svcforge.messaging._context import MessageContext
from svcforge.messaging._metrics import CountTally
from svcforge.messaging._settings import RedisSettings
from svcforge.messaging._spec import RedisRoute

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisBroker", "decode_entry", "encode_entry", "entry_headers"]

_log = structlog.get_logger("svcforge.redis")

VALUE = b"value"
KEY = b"key"
HEADER = b"h:"


_Queued = tuple[bytes, CountTally | None, "asyncio.Future[Any]"]
"""A packed XADD, the tally counting it once added, its future."""


def encode_entry(key: bytes | None, value: bytes, headers: h.Headers) -> dict[Any, Any]:
    """A record as stream entry fields: ``value``, ``key`` and ``h:<name>``."""
    fields: dict[Any, Any] = {VALUE: value}
    if key is not None:
        fields[KEY] = key
    for name, v in headers:
        fields[HEADER + name.encode()] = v
    return fields


def decode_entry(fields: dict[bytes, bytes]) -> tuple[bytes | None, bytes, h.Headers]:
    headers = [
        (k[2:].decode("utf-8", "replace"), v)
        for k, v in fields.items()
        if k.startswith(HEADER)
    ]
    return fields.get(KEY), fields.get(VALUE, b""), headers


_names: dict[bytes, str] = {}


def _header_name(field: bytes) -> str:
    name = _names.get(field)
    if name is None:
        name = field[2:].decode("utf-8", "replace")
        if len(_names) < 10_000:
            _names[field] = name
    return name


def entry_headers(fields: dict[bytes, bytes]) -> h.Headers:
    """The ``h:<name>`` fields of a stream entry, as headers."""
    return [(_header_name(k), v) for k, v in fields.items() if k.startswith(HEADER)]


# Commands are written in the Redis protocol here, not by redis-py's command
# packer (pure Python, about a microsecond per argument): a channel's XADD
# prefix and constant header fields are packed once.
_CRLF = b"\r\n"
_fields: dict[str, bytes] = {}


def _bulk(data: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(data), data)


def _header_field(name: str) -> bytes:
    """``h:<name>`` as a bulk string."""
    packed = _fields.get(name)
    if packed is None:
        packed = _bulk(HEADER + name.encode())
        if len(_fields) < 10_000:
            _fields[name] = packed
    return packed


_VALUE = _bulk(VALUE)
_KEY = _bulk(KEY)


class _Xadd:
    """XADD of one stream with its MAXLEN, and headers every entry carries,
    packed once; ``command`` adds an entry's value, key and other headers."""

    __slots__ = ("_args", "_prefix", "_static")

    def __init__(self, stream: str, maxlen: int, headers: h.Headers) -> None:
        words = [b"XADD", stream.encode(), b"MAXLEN", b"~", str(maxlen).encode(), b"*"]
        self._prefix = b"".join(map(_bulk, words))
        self._static = b"".join(_header_field(n) + _bulk(v) for n, v in headers)
        self._args = len(words) + 2 * len(headers)

    def command(self, key: bytes | None, value: bytes, headers: h.Headers) -> bytes:
        # Fields: value, key, the constant headers, then the entry's own
        # (the order ``encode_entry`` gives).
        args = self._args + 2 + 2 * len(headers)
        parts = [b"*%d\r\n" % (args + 2 if key is not None else args), self._prefix]
        parts += (_VALUE, b"$%d\r\n" % len(value), value, _CRLF)
        if key is not None:
            parts += (_KEY, b"$%d\r\n" % len(key), key, _CRLF)
        parts.append(self._static)
        for name, v in headers:
            parts += (_header_field(name), b"$%d\r\n" % len(v), v, _CRLF)
        return b"".join(parts)


def flat_headers(fields: list[bytes]) -> h.Headers:
    """The ``h:<name>`` fields of a stream entry as Redis sends them (a flat
    list of names and values), as headers."""
    return [
        (_header_name(k), v)
        for k, v in zip(fields[::2], fields[1::2], strict=False)
        if k.startswith(HEADER)
    ]


def _value_key(fields: list[bytes]) -> tuple[bytes, bytes | None]:
    """The value and key of a stream entry's flat field list (looked up where
    ``encode_entry`` puts them first)."""
    if fields[0] == VALUE:
        if len(fields) > 3 and fields[2] == KEY:
            return fields[1], fields[3]
        if KEY not in fields[2::2]:
            return fields[1], None
    found = dict(zip(fields[::2], fields[1::2], strict=False))
    return found.get(VALUE, b""), found.get(KEY)


def _raw_reply(response: Any, **options: Any) -> Any:
    return response


def _route(route: Route) -> RedisRoute:
    if not isinstance(route, RedisRoute):
        raise TypeError(f"the Redis broker cannot serve {route!r}")
    return route


def _client(settings: RedisSettings) -> Redis:
    try:
        from redis.asyncio import Redis
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError(
            "Redis channels need redis: pip install 'svcforge[redis]'"
        ) from None
    client: Redis = Redis.from_url(
        settings.url,
        socket_timeout=settings.socket_timeout_s,
        socket_connect_timeout=settings.socket_timeout_s,
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
        self._subs: list[Subscription] = []
        self._consumers: list[_StreamConsumer] = []
        self._queue: list[_Queued] = []
        self._writing = False
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._started = False

    def stream(self, name: str) -> str:
        return self.settings.name_prefix + name

    @property
    def client(self) -> Redis:
        if self._client is None:
            raise RuntimeError("the Redis broker is not started")
        return self._client

    @property
    def reader(self) -> Redis:
        """A client on the same connections whose XREADGROUP replies are left
        as Redis sent them (see ``_StreamConsumer._read``)."""
        if self._reader is None:
            raise RuntimeError("the Redis broker is not started")
        return self._reader

    # -- Broker -------------------------------------------------------------------

    def subscribe(self, subscription: Subscription) -> None:
        _route(subscription.route)
        if self._started:
            raise RuntimeError("subscribe channels before the broker starts")
        self._subs.append(subscription)

    async def start(self) -> None:
        if self._started:
            return
        self._client = _client(self.settings)
        await self._client.ping()
        # The consumers' XREADGROUP replies, as Redis sends them: entries'
        # fields stay flat lists (no dict per entry), on the same pool.
        reader = type(self._client)(connection_pool=self._client.connection_pool)
        reader.set_response_callback("XREADGROUP", _raw_reply)
        self._reader = reader
        self._wake = asyncio.Event()
        self._flusher = asyncio.create_task(self._flush_loop(), name="redis-publisher")
        for sub in self._subs:
            consumer = _StreamConsumer(self, sub)
            await consumer.start()
            self._consumers.append(consumer)
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
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
            self._client = self._reader = None
        self._started = False

    async def send(
        self, route: Route, key: bytes | None, value: bytes, headers: h.Headers
    ) -> asyncio.Future[Any]:
        r = _route(route)
        xadd = _Xadd(self.stream(r.stream), r.maxlen or self.settings.maxlen, [])
        return self._enqueue(xadd.command(key, value, headers), None)

    def sender(self, route: Route, headers: h.Headers, published: CountTally) -> Sender:
        """The channel's XADD prefix and constant header fields are packed
        once; the publisher task counts in ``published`` what Redis added."""
        r = _route(route)
        xadd = _Xadd(self.stream(r.stream), r.maxlen or self.settings.maxlen, headers)
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
        if self._client is None:
            return "redis not connected"
        try:
            await asyncio.wait_for(self._client.ping(), 2.0)
        except Exception as exc:
            return f"redis unreachable: {exc!r}"
        return None

    def problem(self) -> str | None:
        for c in self._consumers:
            if c.error is not None:
                return f"consumer of {c.stream} failed: {c.error!r}"
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


class _StreamConsumer:
    def __init__(self, broker: RedisBroker, sub: Subscription) -> None:
        self.broker = broker
        self.sub = sub
        self.route = _route(sub.route)
        self.stream = broker.stream(self.route.stream)
        self.group = broker.stream(sub.group)
        self.dispatcher = sub.dispatcher
        self.task: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        self._stopping = False
        self._reading = False

        async def dead_letter(d: Delivery, headers: h.Headers) -> None:
            await broker.dead_letter(self.route, d, headers)

        self.dispatcher.dead_letter = dead_letter

    async def start(self) -> None:
        from redis.exceptions import ResponseError

        try:
            # "0": a new group reads the stream from its start, like Kafka's
            # earliest; creating an existing group is not an error.
            await self.broker.client.xgroup_create(
                self.stream, self.group, id="0", mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self.task = asyncio.create_task(
            self._run(), name=f"redis-consumer:{self.stream}"
        )

    async def stop(self, timeout: float) -> None:
        self._stopping = True
        task = self.task
        if task is None:
            return
        if self._reading:
            # Blocked in XREADGROUP: nothing in flight; entries it may still
            # receive stay pending and are claimed later.
            task.cancel()
        done, _ = await asyncio.wait([task], timeout=timeout)
        if not done:
            _log.warning(
                "handlers did not finish in time; cancelling", stream=self.stream
            )
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        _log.info("consumer stopped", stream=self.stream)

    async def _run(self) -> None:
        s = self.broker.settings
        client = self.broker.client
        me = self.broker.consumer_name
        claim_every = s.claim_interval_ms / 1000
        next_claim = time.monotonic()
        backoff = 0.1
        history = True  # first our own pending entries (a stable consumer name)
        try:
            while not self._stopping:
                try:
                    if history:
                        entries = await self._read(client, "0", 0)
                        history = bool(entries)
                        if entries:
                            await self._process(entries, pending=True)
                        continue
                    if time.monotonic() >= next_claim:
                        next_claim = time.monotonic() + claim_every
                        await self._claim(client)
                        await self._report_lag(client)
                    self._reading = True
                    try:
                        entries = await self._read(client, ">", s.block_ms)
                    finally:
                        self._reading = False
                    if entries:
                        await self._process(entries, pending=False)
                    backoff = 0.1
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if self._stopping:
                        break
                    _log.warning(
                        "redis consumer error; retrying",
                        stream=self.stream,
                        consumer=me,
                        error=repr(exc),
                        retry_in_s=backoff,
                    )
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # pragma: no cover - defensive
            self.error = exc
            raise

    async def _read(self, client: Redis, start: str, block: int) -> list[Any]:
        """Up to ``read_count`` entries: ``[id, fields]``, the fields a flat
        list (or None: deleted while pending)."""
        reply: Any = await self.broker.reader.xreadgroup(
            self.group,
            self.broker.consumer_name,
            {self.stream: start},
            count=self.broker.settings.read_count,
            block=block if block else None,
        )
        if not reply:
            return []
        if isinstance(reply, dict):  # RESP3: a map of stream to entries
            entries: list[Any] = next(iter(reply.values()))
        else:
            entries = reply[0][1]
        return entries

    async def _claim(self, client: Redis) -> None:
        s = self.broker.settings
        start = "0-0"
        while not self._stopping:
            reply = await client.xautoclaim(
                self.stream,
                self.group,
                self.broker.consumer_name,
                min_idle_time=s.claim_idle_ms,
                start_id=start,
                count=s.read_count,
            )
            # Redis 7 replies [next, entries, deleted], Redis 6.2 [next, entries].
            start, entries = reply[0], reply[1]
            if entries:
                _log.info(
                    "claimed pending entries of another consumer",
                    stream=self.stream,
                    count=len(entries),
                )
                await self._process(entries, pending=True)
            if start in (b"0-0", "0-0"):
                return

    async def _report_lag(self, client: Redis) -> None:
        with contextlib.suppress(Exception):
            for g in await client.xinfo_groups(self.stream):
                name = g.get("name")
                if (
                    name in (self.group, self.group.encode())
                    and g.get("lag") is not None
                ):
                    self.dispatcher.metrics.lag("", float(g["lag"]))

    async def _deliveries(self, client: Redis, ids: list[bytes]) -> dict[bytes, int]:
        rows: Any = await client.xpending_range(
            self.stream,
            self.group,
            min=ids[0],
            max=ids[-1],
            count=len(ids) + 100,
            consumername=self.broker.consumer_name,
        )
        return {r["message_id"]: int(r["times_delivered"]) for r in rows}

    async def _process(self, entries: list[Any], *, pending: bool) -> None:
        """Handle ``entries`` (``[id, fields]``, the fields a dict or Redis's
        flat list) in stream order, then XACK the handled ones at once."""
        client = self.broker.client
        counts: dict[bytes, int] = {}
        if pending:
            counts = await self._deliveries(client, [e[0] for e in entries])
        done: list[bytes] = []
        dispatch = self.dispatcher.dispatch
        channel, transport = self.dispatcher.name, self.dispatcher.transport
        stream = self.stream
        try:
            for entry_id, fields in entries:
                if self._stopping:
                    break
                if not fields:  # deleted (trimmed) while pending
                    done.append(entry_id)
                    continue
                if type(fields) is list:
                    unpack: Any = flat_headers
                    value, key = _value_key(fields)
                else:
                    unpack = entry_headers
                    value, key = fields.get(VALUE, b""), fields.get(KEY)
                await dispatch(
                    value,
                    MessageContext(
                        channel,
                        transport,
                        stream,
                        None,
                        None,
                        entry_id.decode(),
                        key,
                        None,
                        counts.get(entry_id, 1) if counts else 1,
                        raw_headers=fields,
                        unpack=unpack,
                    ),
                )
                done.append(entry_id)
        finally:
            self.dispatcher.flush_metrics()
            if done:
                # Acknowledge only what was handled (or dead-lettered); the
                # rest stays pending and is delivered again.
                await asyncio.shield(client.xack(self.stream, self.group, *done))

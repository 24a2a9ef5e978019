"""A Redis stream consumer: one per subscribed channel, in its group."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

import structlog

from svcforge.messaging import _headers as h
from svcforge.messaging._broker import Delivery, Subscription
from svcforge.messaging._context import MessageContext
from svcforge.messaging._redis_wire import (
    KEY,
    VALUE,
    entry_headers,
    flat_headers,
    redis_route,
    value_key,
)
from svcforge.settings._secret import describe

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from svcforge.messaging._redis import RedisBroker

__all__ = ["StreamConsumer"]


def _no_group(exc: Exception) -> bool:
    return str(exc).startswith("NOGROUP")


_log = structlog.get_logger("svcforge.redis")


class StreamConsumer:
    def __init__(self, broker: RedisBroker, sub: Subscription) -> None:
        self.broker = broker
        self.sub = sub
        self.route = redis_route(sub.route)
        self.stream = broker.stream(self.route.stream)
        self.group = broker.stream(sub.group)
        self.dispatcher = sub.dispatcher
        self.task: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        self._stopping = False
        self._reading = False
        self._history = True
        self._next_claim = 0.0
        self.group_missing = False
        """Whether the last read found no group (until it is made again)."""
        s = broker.settings
        self.dispatcher.dead_letter_attempts = s.dead_letter_attempts
        self.dispatcher.debug_payloads = s.debug_payloads

        async def dead_letter(d: Delivery, headers: h.Headers) -> None:
            await broker.dead_letter(self.route, d, headers)

        self.dispatcher.dead_letter = dead_letter

    async def start(self) -> None:
        await self.create_group()
        self.task = asyncio.create_task(
            self._run(), name=f"redis-consumer:{self.stream}"
        )

    async def create_group(self) -> None:
        """Create the group (and the stream) unless it exists, reading from
        ``RedisSettings.start``: ``0`` (earliest) like Kafka's earliest."""
        from redis.exceptions import ResponseError

        start = "0" if self.broker.settings.start == "earliest" else "$"
        try:
            await self.broker.client.xgroup_create(
                self.stream, self.group, id=start, mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self.group_missing = False

    def problem(self) -> str | None:
        """Why this consumer no longer consumes (None while it does)."""
        if self.error is not None:
            return f"consumer of {self.stream} failed: {describe(self.error)}"
        task = self.task
        if task is not None and task.done() and not self._stopping:
            return f"consumer of {self.stream} stopped"
        return None

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
        backoff = 0.1
        self._history = True  # first our own pending entries (stable name)
        try:
            while not self._stopping:
                try:
                    await self._step()
                    backoff = 0.1
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if self._stopping:
                        break
                    self.broker.troubles += 1
                    if _no_group(exc):
                        await self._group_lost(exc)
                        continue
                    _log.warning(
                        "redis consumer error; retrying",
                        stream=self.stream,
                        consumer=self.broker.consumer_name,
                        error=describe(exc),
                        retry_in_s=backoff,
                    )
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
        except asyncio.CancelledError:
            if not self._stopping:
                self.error = asyncio.CancelledError("consumer task cancelled")
            raise
        except BaseException as exc:
            self.error = exc
            _log.error(
                "consumer failed",
                stream=self.stream,
                error=describe(exc),
                exc_info=True,
            )
            raise

    async def _step(self) -> None:
        """One read (pending history first, claims when due), and its
        processing."""
        s = self.broker.settings
        client = self.broker.client
        if self._history:
            entries = await self._read(client, "0", 0)
            self._history = bool(entries)
            if entries:
                await self._process(entries, pending=True)
            return
        if time.monotonic() >= self._next_claim:
            self._next_claim = time.monotonic() + s.claim_interval_ms / 1000
            await self._claim(client)
            await self._report_lag(client)
        self._reading = True
        try:
            entries = await self._read(client, ">", s.block_ms)
        finally:
            self._reading = False
        if entries:
            await self._process(entries, pending=False)

    async def _group_lost(self, exc: Exception) -> None:
        """The server lost the group (restarted without its data, or the
        stream was deleted): make it again and carry on."""
        self.group_missing = True
        _log.warning(
            "consumer group missing on the server; creating it again. Messages "
            "may have been lost on the server (restarted without its data?)",
            stream=self.stream,
            group=self.group,
            start=self.broker.settings.start,
            error=describe(exc),
        )
        try:
            await self.create_group()
        except Exception as again:
            _log.warning(
                "could not create the consumer group; retrying",
                stream=self.stream,
                group=self.group,
                error=describe(again),
            )
            await asyncio.sleep(0.5)
            return
        self._history = True

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
        batched = self.dispatcher.batched
        held: list[tuple[bytes | None, MessageContext]] = []
        held_ids: list[bytes] = []
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
                    value, key = value_key(fields)
                else:
                    unpack = entry_headers
                    value, key = fields.get(VALUE), fields.get(KEY)
                ctx = MessageContext(
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
                )
                if batched:
                    held.append((value, ctx))
                    held_ids.append(entry_id)
                    continue
                await dispatch(value, ctx)
                done.append(entry_id)
            if held:
                await self.dispatcher.dispatch_batch(held)
                done += held_ids
        finally:
            self.dispatcher.flush_metrics()
            if done:
                # Acknowledge only what was handled (or dead-lettered); the
                # rest stays pending and is delivered again.
                await asyncio.shield(client.xack(self.stream, self.group, *done))

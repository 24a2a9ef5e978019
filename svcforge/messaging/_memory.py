"""An in-memory broker with the behaviour of the real ones (groups, offsets,
at-least-once, retries, dead letters) for fast unit tests and demos."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from svcforge.messaging import _headers as h
from svcforge.messaging._broker import Broker, Delivery, Route, Subscription
from svcforge.messaging._context import MessageContext
from svcforge.messaging._spec import KafkaRoute, Transport

__all__ = ["InMemoryBroker", "StoredMessage"]


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A record as the in-memory broker keeps it."""

    offset: int
    key: bytes | None
    value: bytes | None
    headers: h.Headers

    def header(self, name: str) -> str | None:
        return h.text(dict(self.headers), name)


def _name(route: Route) -> str:
    # Kafka topics and Redis streams live apart, as they would on real servers.
    if isinstance(route, KafkaRoute):
        return f"kafka:{route.topic}"
    return f"redis:{route.stream}"


_BATCH = 500


def _delivery(name: str, record: StoredMessage) -> Delivery:
    return Delivery(
        name.partition(":")[2],
        record.value,
        record.key,
        record.headers,
        partition=0,
        offset=record.offset,
    )


def _context(sub: Subscription, name: str, record: StoredMessage) -> MessageContext:
    d = sub.dispatcher
    return MessageContext(
        d.name,
        d.transport,
        name.partition(":")[2],
        0,
        record.offset,
        None,
        record.key,
        None,
        raw_headers=record.headers,
    )


def _dead_letter_name(route: Route) -> str:
    kind = "kafka" if isinstance(route, KafkaRoute) else "redis"
    return f"{kind}:{route.dead_letter}"


class InMemoryBroker(Broker):
    """Topics and streams are lists in memory, one partition each; every
    consumer group keeps its own offset.  Serves any transport, so one
    instance stands in for Kafka and Redis at once.

    ``await broker.drain()`` returns once every consumer has handled
    everything published so far (including retries and dead letters).
    """

    name = "memory"

    def __init__(self) -> None:
        self._logs: dict[str, list[StoredMessage]] = {}
        self._offsets: dict[tuple[str, str], int] = {}
        self._subs: list[Subscription] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._changed: asyncio.Event | None = None
        self._running = False
        self._busy = 0
        self._error: BaseException | None = None

    # -- inspection, for tests -------------------------------------------------

    def messages(
        self, name: str, transport: Transport = "kafka"
    ) -> list[StoredMessage]:
        """Everything published to a topic (or a stream), oldest first."""
        return list(self._logs.get(f"{transport}:{name}", ()))

    def committed(self, name: str, group: str, transport: Transport = "kafka") -> int:
        """The next offset ``group`` will read in a topic (or a stream)."""
        return self._offsets.get((f"{transport}:{name}", group), 0)

    # -- Broker ---------------------------------------------------------------------

    async def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._changed = asyncio.Event()
        for sub in self._subs:
            self._tasks.append(asyncio.create_task(self._consume(sub)))

    async def stop(self, timeout: float = 10.0) -> None:
        self._running = False
        if self._changed is not None:
            self._changed.set()
        tasks, self._tasks = self._tasks, []
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=timeout)
            for t in late:
                t.cancel()
            for t in late:
                with contextlib.suppress(asyncio.CancelledError):
                    await t

    async def send(
        self, route: Route, key: bytes | None, value: bytes, headers: h.Headers
    ) -> asyncio.Future[Any]:
        self._append(_name(route), key, value, headers)
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def subscribe(self, subscription: Subscription) -> None:
        self._subs.append(subscription)
        if self._running:
            self._tasks.append(asyncio.create_task(self._consume(subscription)))

    async def check(self) -> str | None:
        return None if self._running else "in-memory broker not started"

    def problem(self) -> str | None:
        return None if self._error is None else repr(self._error)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every consumer caught up with everything published."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._behind():
            if self._error is not None:
                raise RuntimeError("an in-memory consumer failed") from self._error
            if loop.time() > deadline:
                raise TimeoutError("in-memory consumers did not catch up")
            await asyncio.sleep(0.001)

    # -- internals ------------------------------------------------------------------

    def _append(
        self, name: str, key: bytes | None, value: bytes | None, headers: h.Headers
    ) -> None:
        log = self._logs.setdefault(name, [])
        log.append(StoredMessage(len(log), key, value, list(headers)))
        if self._changed is not None:
            self._changed.set()

    def _behind(self) -> bool:
        if self._busy:
            return True
        for sub in self._subs:
            name = _name(sub.route)
            if self._offsets.get((name, sub.group), 0) < len(self._logs.get(name, ())):
                return True
        return False

    async def _consume(self, sub: Subscription) -> None:
        name = _name(sub.route)
        dlq = _dead_letter_name(sub.route)

        async def dead_letter(d: Delivery, headers: h.Headers) -> None:
            self._append(dlq, d.key, d.value, headers)

        sub.dispatcher.dead_letter = dead_letter
        changed = self._changed
        assert changed is not None
        try:
            while self._running:
                log = self._logs.get(name, [])
                offset = self._offsets.get((name, sub.group), 0)
                if offset >= len(log):
                    changed.clear()
                    await changed.wait()
                    continue
                # A batch handler gets what is there (up to a fetch's worth),
                # a message handler one record at a time.
                batch: Sequence[StoredMessage] = (
                    log[offset : offset + _BATCH] if sub.dispatcher.batched else ()
                )
                self._busy += 1
                try:
                    if batch:
                        await sub.dispatcher.dispatch_batch(
                            [(r.value, _context(sub, name, r)) for r in batch]
                        )
                    else:
                        batch = (log[offset],)
                        await sub.dispatcher(_delivery(name, log[offset]))
                    # Commit only after the handler (or the dead letter) is done.
                    self._offsets[(name, sub.group)] = offset + len(batch)
                finally:
                    self._busy -= 1
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._error = exc
            raise

"""Typed channels and the ``Messaging`` hub that binds them to brokers."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from svcforge.messaging import _headers as h
from svcforge.messaging._batch import BatchDispatcher, BatchHandler
from svcforge.messaging._broker import Broker, Handler, Sender, Subscription
from svcforge.messaging._context import current_message
from svcforge.messaging._dispatch import Dispatcher, TombstoneHandler
from svcforge.messaging._memory import InMemoryBroker
from svcforge.messaging._metrics import MessagingMetrics
from svcforge.messaging._spec import ChannelSpec, Transport

__all__ = ["Channel", "ConsumeChannel", "Messaging", "PublishChannel"]

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


class Guard(Protocol):
    """What guards publishing (a ``svcforge.resilience.Policy``)."""

    @property
    def name(self) -> str: ...

    async def call(self, fn: Callable[..., Awaitable[R]], *args: Any) -> R: ...


class Messaging:
    """The brokers of a service, by transport, and the channels' metrics.

    ``Messaging(kafka=KafkaBroker(settings), redis=RedisBroker(settings))`` for
    real servers; ``Messaging.in_memory()`` runs every channel on one in-memory
    broker (unit tests, demos: no server needed).
    """

    def __init__(
        self,
        *,
        kafka: Broker | None = None,
        redis: Broker | None = None,
        metrics: MessagingMetrics | None = None,
    ) -> None:
        self._brokers: dict[Transport, Broker] = {}
        if kafka is not None:
            self._brokers["kafka"] = kafka
        if redis is not None:
            self._brokers["redis"] = redis
        self.metrics = metrics if metrics is not None else MessagingMetrics()
        self._started = False
        self._dispatchers: dict[tuple[str, Transport], Dispatcher[Any]] = {}

    @classmethod
    def in_memory(cls, metrics: MessagingMetrics | None = None) -> Messaging:
        broker = InMemoryBroker()
        return cls(kafka=broker, redis=broker, metrics=metrics)

    @property
    def brokers(self) -> Mapping[Transport, Broker]:
        return self._brokers

    def _unique(self) -> list[Broker]:
        seen: list[Broker] = []
        for b in self._brokers.values():
            if all(b is not s for s in seen):
                seen.append(b)
        return seen

    def broker(self, transport: Transport) -> Broker:
        try:
            return self._brokers[transport]
        except KeyError:
            raise LookupError(
                f"no {transport} broker: pass {transport}=... to Messaging"
            ) from None

    @property
    def started(self) -> bool:
        return self._started

    async def start(self) -> None:
        for b in self._unique():
            await b.start()
        self._started = True

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop consumers (finishing in-flight handlers), flush producers, close."""
        self._started = False
        brokers = self._unique()
        await asyncio.gather(*(b.stop(timeout) for b in brokers))

    async def drain(self, timeout: float = 10.0) -> None:
        """In-memory brokers only: wait until consumers caught up."""
        for b in self._unique():
            if isinstance(b, InMemoryBroker):
                await b.drain(timeout)

    async def check(self) -> dict[str, str | None]:
        """Per broker: None when connected with every consumer in its group,
        else the problem."""
        brokers = self._unique()
        found = await asyncio.gather(*(b.check() for b in brokers))
        return {b.name: p for b, p in zip(brokers, found, strict=True)}

    def troubles(self) -> int:
        """Errors met by the brokers' consumers and publishers so far."""
        return sum(b.troubles for b in self._unique())

    def problems(self) -> dict[str, str]:
        return {b.name: p for b in self._unique() if (p := b.problem()) is not None}

    def subscribe(self, spec: ChannelSpec[M], handler: Handler[M]) -> None:
        transport = self._consumed(spec)
        dispatcher = Dispatcher(
            spec, handler, transport, self.metrics.channel(spec.name, transport)
        )
        self._register(spec, transport, dispatcher)

    def subscribe_batch(self, spec: ChannelSpec[M], handler: BatchHandler[M]) -> None:
        """Consume ``spec`` with a handler of whole fetched batches."""
        transport = self._consumed(spec)
        dispatcher = BatchDispatcher(
            spec, handler, transport, self.metrics.channel(spec.name, transport)
        )
        self._register(spec, transport, dispatcher)

    def _consumed(self, spec: ChannelSpec[M]) -> Transport:
        transport = spec.consume_from
        if transport is None:
            raise ValueError(f"channel {spec.name} is not consumed by this service")
        if (spec.name, transport) in self._dispatchers:
            raise ValueError(
                f"channel {spec.name} has a handler on {transport} already"
            )
        return transport

    def _register(
        self, spec: ChannelSpec[M], transport: Transport, dispatcher: Dispatcher[M]
    ) -> None:
        route = spec.route(transport)
        assert route is not None and spec.group is not None
        self.broker(transport).subscribe(Subscription(dispatcher, route, spec.group))
        self._dispatchers[spec.name, transport] = dispatcher

    def on_tombstone(self, spec: ChannelSpec[M], handler: TombstoneHandler) -> None:
        """Records of ``spec`` without a value go to ``handler`` instead of
        the dead-letter target (register the message handler first)."""
        transport = spec.consume_from
        dispatcher = (
            None if transport is None else self._dispatchers.get((spec.name, transport))
        )
        if dispatcher is None:
            raise ValueError(f"channel {spec.name}: register its handler first")
        dispatcher.tombstone = handler

    async def __aenter__(self) -> Messaging:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


class _Bound(Generic[M]):
    __slots__ = ("messaging", "spec")

    def __init__(self, spec: ChannelSpec[M], messaging: Messaging) -> None:
        self.spec = spec
        self.messaging = messaging

    @property
    def name(self) -> str:
        return self.spec.name


class PublishChannel(_Bound[M]):
    """A channel this service publishes: ``await channel.publish(message)``."""

    __slots__ = ("_encode", "_guards", "_headers", "_key", "_model", "_senders")

    def __init__(self, spec: ChannelSpec[M], messaging: Messaging) -> None:
        super().__init__(spec, messaging)
        self._model = spec.model
        self._encode = spec.codec.encode
        self._key = spec.key
        # The headers every message of the channel carries, made once.
        headers: h.Headers = [
            (h.MESSAGE_TYPE, spec.message_type.encode()),
            (h.CONTENT_TYPE, spec.content_type.encode()),
        ]
        if spec.schema_id is not None:
            headers.append((h.SCHEMA_ID, spec.schema_id.encode()))
        self._headers = headers
        for t in spec.transports:
            broker = messaging.brokers.get(t)
            route = spec.route(t)
            if broker is not None and route is not None:
                broker.declare(route)
        # Bound to the brokers at the first send (a missing broker is an
        # error then, not while the channels are declared).
        self._senders: list[Sender] | None = None
        self._guards: tuple[Guard, ...] = ()

    def guard(self, policy: Guard) -> None:
        """Publish under ``policy`` (a ``svcforge.resilience.Policy``): its
        rate limit, breaker, bulkhead, timeout and retries apply to each
        ``publish`` (hand-over and acknowledgement) and ``send`` (hand-over).
        A policy guarded first is applied outermost."""
        self._guards = (*self._guards, policy)

    @property
    def guards(self) -> tuple[Guard, ...]:
        """The policies publishing runs under, outermost first."""
        return self._guards

    def _bind(self) -> list[Sender]:
        spec, messaging = self.spec, self.messaging
        senders = []
        for t in spec.transports:
            route = spec.route(t)
            assert route is not None
            published = messaging.metrics.channel(spec.name, t).published_tally
            senders.append(messaging.broker(t).sender(route, self._headers, published))
        self._senders = senders
        return senders

    async def publish(
        self, message: M, *, headers: Mapping[str, str | bytes] | None = None
    ) -> None:
        """Send ``message`` and wait until every broker of the channel
        acknowledged it (Kafka: ``acks=all``)."""
        if self._guards:
            await self._guarded(self._publish, message, headers)
        else:
            await (await self._send(message, headers))

    async def _publish(
        self, message: M, headers: Mapping[str, str | bytes] | None
    ) -> None:
        await (await self._send(message, headers))

    async def _guarded(self, fn: Callable[..., Awaitable[R]], *args: Any) -> R:
        call = fn
        for guard in reversed(self._guards):
            call = functools.partial(guard.call, call)
        return await call(*args)

    async def send(
        self, message: M, *, headers: Mapping[str, str | bytes] | None = None
    ) -> asyncio.Future[Any]:
        """Hand ``message`` to the brokers' batches and return at once; the
        returned future resolves when they acknowledged it.  For throughput:
        send many, then gather the futures."""
        if self._guards:
            return await self._guarded(self._send, message, headers)
        return await self._send(message, headers)

    async def _send(
        self, message: M, headers: Mapping[str, str | bytes] | None
    ) -> asyncio.Future[Any]:
        key, value, extra = self.record(message, headers=headers)
        senders = self._senders or self._bind()
        if len(senders) == 1:
            return await senders[0](key, value, extra)
        futures = [await send(key, value, extra) for send in senders]
        return asyncio.ensure_future(_all(futures))

    def record(
        self, message: M, *, headers: Mapping[str, str | bytes] | None = None
    ) -> tuple[bytes | None, bytes, h.Headers]:
        """The key, value and per-message headers ``send`` puts on the wire
        for ``message`` (the channel's own headers are added when sent): what
        the outbox stages."""
        if not isinstance(message, self._model):
            raise TypeError(
                f"channel {self.spec.name} carries {self._model.__name__}, "
                f"not {type(message).__name__}"
            )
        value = self._encode(message)
        key = self._key(message).encode() if self._key is not None else None
        # Continue the trace of the caller (``current_trace``) or of the
        # message being handled; else start one.
        trace = h.current_trace.get()
        if trace is None:
            handling = current_message.get()
            if handling is not None:
                trace = handling.trace
        if trace is None:
            extra = [(h.PRODUCED_AT, h.now_ms()), (h.TRACEPARENT, h.new_traceparent())]
        else:
            trace = trace.child()
            extra = [
                (h.PRODUCED_AT, h.now_ms()),
                (h.TRACEPARENT, trace.traceparent.encode()),
            ]
            if trace.state:
                extra.append((h.TRACESTATE, trace.state.encode()))
        if headers:
            extra += [
                (k, v.encode() if isinstance(v, str) else v) for k, v in headers.items()
            ]
        return key, value, extra

    async def send_record(
        self, key: bytes | None, value: bytes, headers: h.Headers
    ) -> asyncio.Future[Any]:
        """Hand a record made by ``record`` (staged by the outbox, say) to the
        brokers; the future resolves when they acknowledged it."""
        senders = self._senders or self._bind()
        if len(senders) == 1:
            return await senders[0](key, value, headers)
        futures = [await send(key, value, headers) for send in senders]
        return asyncio.ensure_future(_all(futures))


async def _all(futures: list[asyncio.Future[Any]]) -> None:
    await asyncio.gather(*futures)


class ConsumeChannel(_Bound[M]):
    """A channel this service consumes: register one handler."""

    __slots__ = ()

    def handler(self, fn: Handler[M]) -> Handler[M]:
        """Register ``fn`` (usable as a decorator).  It runs for every message,
        with retries; the message is acknowledged once it returned."""
        self.messaging.subscribe(self.spec, fn)
        return fn

    def batch_handler(self, fn: BatchHandler[M]) -> BatchHandler[M]:
        """Register ``fn`` for whole fetched batches (usable as a decorator):
        ``async def fn(messages, contexts) -> None``, acknowledged once it
        returned.  When it keeps failing, the batch's messages are handled
        one at a time (with retries), so that only a failing one is
        dead-lettered."""
        self.messaging.subscribe_batch(self.spec, fn)
        return fn

    def tombstones(self, fn: TombstoneHandler) -> TombstoneHandler:
        """Register ``fn`` for records without a value (Kafka tombstones:
        ``ctx.key`` says what was deleted); without one they are
        dead-lettered with the reason ``tombstone``."""
        self.messaging.on_tombstone(self.spec, fn)
        return fn


class Channel(PublishChannel[M], ConsumeChannel[M]):
    """A channel this service both publishes and consumes."""

    __slots__ = ()

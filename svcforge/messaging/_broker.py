"""The transport-neutral parts every broker shares: a delivered record, the
consumer processing of one record, and the ``Broker`` interface."""

from __future__ import annotations

import abc
import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import structlog
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    stop_after_attempt,
    wait_exponential_jitter,
)

from svcforge._codec import AvroCodec, DecodeError, UnknownSchemaError
from svcforge._framing import FramingError
from svcforge.messaging import _headers as h
from svcforge.messaging._context import MessageContext, current_message
from svcforge.messaging._metrics import ChannelMetrics, CountTally
from svcforge.messaging._spec import ChannelSpec, KafkaRoute, RedisRoute, Transport

__all__ = ["Broker", "Delivery", "Dispatcher", "Handler", "Sender"]

M = TypeVar("M", bound=BaseModel)

Handler = Callable[[M, MessageContext], Awaitable[None]]
"""``async def handle(message: OrderPlaced, ctx: MessageContext) -> None``"""

Route = KafkaRoute | RedisRoute

_log = structlog.get_logger("svcforge.messaging")


@dataclass(slots=True)
class Delivery:
    """One record as a transport delivered it."""

    source: str
    """The topic or stream, as named on the broker."""
    value: bytes
    key: bytes | None
    headers: h.Headers
    partition: int | None = None
    offset: int | None = None
    entry_id: str | None = None
    """The Redis stream entry id."""
    deliveries: int = 1
    """How often the broker delivered it (Redis counts; Kafka does not)."""

    def source_headers(self) -> h.Headers:
        if self.entry_id is not None:
            return [
                (h.SOURCE_STREAM, self.source.encode()),
                (h.SOURCE_ID, self.entry_id.encode()),
            ]
        return [
            (h.SOURCE_TOPIC, self.source.encode()),
            (h.SOURCE_PARTITION, str(self.partition).encode()),
            (h.SOURCE_OFFSET, str(self.offset).encode()),
        ]


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a record is dead-lettered."""

    reason: str
    """``handler-failed``, ``wrong-message-type``, ``unknown-schema``,
    ``decode-error`` or ``max-deliveries``."""
    error_type: str
    message: str
    attempts: int = 0


DeadLetterSink = Callable[[Delivery, h.Headers], Awaitable[None]]

Sender = Callable[[bytes | None, bytes, h.Headers], Awaitable["asyncio.Future[Any]"]]
"""``await sender(key, value, headers)``: one channel's records to one route
(see ``Broker.sender``); the future resolves once the broker acknowledged."""


class Dispatcher(Generic[M]):
    """Runs one channel's handler on delivered records: decode and check the
    type, run the handler with retries, dead-letter what keeps failing.  The
    broker acks or commits a record once ``dispatch`` (or ``__call__``)
    returned.

    Per message it costs a ``MessageContext`` (headers parsed only when
    asked for), one ``ContextVar.set`` (the structlog processor
    ``add_message_fields`` reads the channel, partition and offset from it)
    and additions to the channel's metric tallies; the broker pushes those to
    prometheus once per batch (``flush_metrics``), a scrape at any time."""

    def __init__(
        self,
        spec: ChannelSpec[M],
        handler: Handler[M],
        transport: Transport,
        metrics: ChannelMetrics,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.handler = handler
        self.transport = transport
        self.metrics = metrics
        self.dead_letter: DeadLetterSink | None = None
        self._decode = spec.codec.decode
        self._avro = isinstance(spec.codec, AvroCodec)
        policy = spec.retry
        self._attempts = policy.attempts
        self._max_deliveries = policy.max_deliveries
        backoff = policy.backoff_ms / 1000
        self._wait = wait_exponential_jitter(
            multiplier=backoff, max=policy.max_backoff_ms / 1000, jitter=backoff
        )
        self._consumed = metrics.consumed_tally
        self._durations = metrics.duration_tally
        self._observe = metrics.duration_tally.observe

    def flush_metrics(self) -> None:
        """Push the counts of the messages handled so far to prometheus."""
        self._consumed.flush()
        self._durations.flush()

    async def __call__(self, d: Delivery) -> None:
        await self.dispatch(
            d.value,
            MessageContext(
                self.name,
                self.transport,
                d.source,
                d.partition,
                d.offset,
                d.entry_id,
                d.key,
                None,
                d.deliveries,
                raw_headers=d.headers,
            ),
        )

    async def dispatch(self, value: bytes, ctx: MessageContext) -> None:
        """Handle one record (``ctx`` says where it came from)."""
        if ctx.deliveries > self._max_deliveries:
            await self._reject(
                value,
                ctx,
                Rejection(
                    "max-deliveries",
                    "MaxDeliveries",
                    f"delivered {ctx.deliveries} times, more than the "
                    f"{self._max_deliveries} allowed",
                ),
            )
            return
        if self._avro:
            # The framing names the writer schema: the codec tells another
            # message type (or garbage) apart without looking at headers.
            try:
                message = self._decode(value)
            except (DecodeError, ValidationError, ValueError, TypeError) as exc:
                await self._reject(value, ctx, self._undecodable(exc))
                return
        else:
            decoded = self._decode_json(value, ctx)
            if isinstance(decoded, Rejection):
                await self._reject(value, ctx, decoded)
                return
            message = decoded
        token = current_message.set(ctx)
        try:
            start = time.perf_counter()
            try:
                await self.handler(message, ctx)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.metrics.failed.inc()
                failure = await self._retry(message, ctx, exc)
            else:
                self._observe(time.perf_counter() - start)
                self._consumed.n += 1
                return
        finally:
            current_message.reset(token)
        if failure is not None:
            await self._reject(value, ctx, failure)

    def _decode_json(self, value: bytes, ctx: MessageContext) -> M | Rejection:
        expected = self.spec.message_type
        sent = ctx.headers.get(h.MESSAGE_TYPE)
        if sent is not None and sent.decode("utf-8", "replace") != expected:
            return Rejection(
                "wrong-message-type",
                "WrongMessageType",
                f"got {sent.decode('utf-8', 'replace')}, expected {expected}",
            )
        try:
            return self._decode(value)
        except (DecodeError, ValidationError, ValueError, TypeError) as exc:
            return self._undecodable(exc)

    def _undecodable(self, exc: Exception) -> Rejection:
        expected = self.spec.message_type
        if isinstance(exc, UnknownSchemaError):
            catalog = self.spec.catalog
            name = catalog.name(exc.key) if catalog is not None else None
            if name is not None:
                return Rejection(
                    "wrong-message-type",
                    "WrongMessageType",
                    f"got {name} (schema {exc.key.hex()}), expected {expected}",
                )
            return Rejection(
                "unknown-schema",
                type(exc).__name__,
                f"schema {exc.key.hex()} is not one this service knows; "
                f"expected {expected}",
            )
        if isinstance(exc, FramingError):
            return Rejection("unknown-schema", type(exc).__name__, str(exc))
        return Rejection("decode-error", type(exc).__name__, str(exc))

    async def _retry(
        self, message: M, ctx: MessageContext, first: Exception
    ) -> Rejection | None:
        """The first attempt already failed: tenacity runs the rest, with
        exponential backoff and jitter.  Its attempt 1 replays that failure,
        so that the attempt count and the waits are tenacity's own."""
        if self._attempts == 1:
            return _failed(first, 1)
        pending: list[Exception] = [first]
        metrics = self.metrics

        async def attempt() -> None:
            if pending:
                raise pending.pop()
            ctx.attempt += 1
            metrics.retried.inc()
            start = time.perf_counter()
            try:
                await self.handler(message, ctx)
            except Exception:
                metrics.failed.inc()
                raise
            self._observe(time.perf_counter() - start)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            _log.warning(
                "handler failed, retrying",
                attempt=state.attempt_number,
                of=self._attempts,
                wait_s=round(state.upcoming_sleep, 3),
                error=repr(exc),
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            reraise=True,
            before_sleep=before_sleep,
        )
        try:
            await retrying(attempt)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return _failed(exc, ctx.attempt)
        self._consumed.n += 1
        return None

    async def _reject(
        self, value: bytes, ctx: MessageContext, rejection: Rejection
    ) -> None:
        if self.dead_letter is None:
            raise RuntimeError(f"channel {self.spec.name}: no dead-letter sink")
        d = Delivery(
            ctx.source,
            value,
            ctx.key,
            ctx.header_list(),
            partition=ctx.partition,
            offset=ctx.offset,
            entry_id=ctx.entry_id,
            deliveries=ctx.deliveries,
        )
        headers = [
            *d.headers,
            (h.ERROR_REASON, rejection.reason.encode()),
            (h.ERROR_TYPE, rejection.error_type.encode()),
            (h.ERROR_MESSAGE, rejection.message[:2000].encode("utf-8", "replace")),
            (h.ERROR_ATTEMPTS, str(rejection.attempts).encode()),
            (h.SOURCE_CHANNEL, self.spec.name.encode()),
            *d.source_headers(),
            (h.DEAD_LETTERED_AT, h.now_ms()),
        ]
        await self.dead_letter(d, headers)
        self.metrics.dead_lettered(rejection.reason)
        _log.error(
            "message dead-lettered",
            channel=self.spec.name,
            transport=self.transport,
            reason=rejection.reason,
            error_type=rejection.error_type,
            error=rejection.message,
            attempts=rejection.attempts,
            source=d.source,
            partition=d.partition,
            offset=d.offset,
            entry_id=d.entry_id,
        )


def _failed(exc: Exception, attempts: int) -> Rejection:
    return Rejection("handler-failed", type(exc).__name__, str(exc), attempts)


@dataclass
class Subscription:
    """A dispatcher registered with a broker, and where it reads."""

    dispatcher: Dispatcher[Any]
    route: Route
    group: str
    extra: dict[str, Any] = field(default_factory=dict)


class Broker(abc.ABC):
    """One connection to a transport, shared by every channel on it."""

    name: str = "broker"

    @abc.abstractmethod
    async def start(self) -> None:
        """Connect, create what is missing, start the consumers."""

    @abc.abstractmethod
    async def stop(self, timeout: float = 10.0) -> None:
        """Stop fetching, let in-flight handlers finish (up to ``timeout``
        seconds), commit or ack what they finished, close the connections."""

    @abc.abstractmethod
    async def send(
        self, route: Route, key: bytes | None, value: bytes, headers: h.Headers
    ) -> asyncio.Future[Any]:
        """Hand one record to the transport; the future resolves once the
        broker acknowledged it."""

    def sender(self, route: Route, headers: h.Headers, published: CountTally) -> Sender:
        """What a publishing channel calls per record: ``send`` to ``route``
        with ``headers`` (the channel's own, the same on every record) ahead
        of the record's, counting in ``published`` what the broker
        acknowledged.  Brokers override it to prepare the constant parts
        once per channel."""
        static = list(headers)
        watch = published.watch

        async def send(
            key: bytes | None, value: bytes, extra: h.Headers
        ) -> asyncio.Future[Any]:
            fut = await self.send(route, key, value, static + extra)
            watch(fut)
            return fut

        return send

    def declare(self, route: Route) -> None:  # noqa: B027 - optional hook
        """A channel publishes to ``route`` (brokers may create it at start)."""

    @abc.abstractmethod
    def subscribe(self, subscription: Subscription) -> None:
        """Consume ``subscription.route`` in ``subscription.group``; the
        consumer starts with the broker."""

    @abc.abstractmethod
    async def check(self) -> str | None:
        """None when the connection works, else why not (for readiness)."""

    def problem(self) -> str | None:
        """A consumer that stopped on an unexpected error (for liveness)."""
        return None

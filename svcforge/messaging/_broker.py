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
from svcforge.messaging._metrics import ChannelMetrics
from svcforge.messaging._spec import ChannelSpec, KafkaRoute, RedisRoute, Transport

__all__ = ["Broker", "Delivery", "Dispatcher", "Handler"]

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


class Dispatcher(Generic[M]):
    """Runs one channel's handler on delivered records: decode and check the
    type, run the handler with retries, dead-letter what keeps failing.  The
    broker acks or commits a record once ``__call__`` returned."""

    def __init__(
        self,
        spec: ChannelSpec[M],
        handler: Handler[M],
        transport: Transport,
        metrics: ChannelMetrics,
    ) -> None:
        self.spec = spec
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
        self._inc_consumed = metrics.consumed.inc
        self._observe = metrics.duration.observe

    async def __call__(self, d: Delivery) -> None:
        headers = dict(d.headers)
        if d.deliveries > self._max_deliveries:
            await self._reject(
                d,
                Rejection(
                    "max-deliveries",
                    "MaxDeliveries",
                    f"delivered {d.deliveries} times, more than the "
                    f"{self._max_deliveries} allowed",
                ),
            )
            return
        decoded = self._decode_or_reject(d, headers)
        if isinstance(decoded, Rejection):
            await self._reject(d, decoded)
            return
        ctx = MessageContext(
            channel=self.spec.name,
            transport=self.transport,
            source=d.source,
            partition=d.partition,
            offset=d.offset,
            entry_id=d.entry_id,
            key=d.key,
            headers=headers,
            deliveries=d.deliveries,
        )
        token = current_message.set(ctx)
        try:
            failure = await self._run(decoded, ctx)
        finally:
            current_message.reset(token)
        if failure is not None:
            await self._reject(d, failure)

    def _decode_or_reject(
        self, d: Delivery, headers: dict[str, bytes]
    ) -> M | Rejection:
        expected = self.spec.message_type
        if not self._avro:
            sent = headers.get(h.MESSAGE_TYPE)
            if sent is not None and sent.decode("utf-8", "replace") != expected:
                return Rejection(
                    "wrong-message-type",
                    "WrongMessageType",
                    f"got {sent.decode('utf-8', 'replace')}, expected {expected}",
                )
        try:
            return self._decode(d.value)
        except UnknownSchemaError as exc:
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
        except FramingError as exc:
            return Rejection("unknown-schema", type(exc).__name__, str(exc))
        except (DecodeError, ValidationError, ValueError, TypeError) as exc:
            return Rejection("decode-error", type(exc).__name__, str(exc))

    async def _run(self, message: M, ctx: MessageContext) -> Rejection | None:
        start = time.perf_counter()
        try:
            await self.handler(message, ctx)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.metrics.failed.inc()
            return await self._retry(message, ctx, exc)
        self._observe(time.perf_counter() - start)
        self._inc_consumed()
        return None

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
        self._inc_consumed()
        return None

    async def _reject(self, d: Delivery, rejection: Rejection) -> None:
        if self.dead_letter is None:
            raise RuntimeError(f"channel {self.spec.name}: no dead-letter sink")
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

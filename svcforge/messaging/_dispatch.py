"""The consumer processing of one record, transport-neutral: decode and check
the type, run the handler with retries, dead-letter what keeps failing, and
never let one record stop its partition or stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
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
from svcforge.messaging._broker import DeadLetterSink, Delivery, Handler, Rejection
from svcforge.messaging._context import MessageContext, current_message
from svcforge.messaging._metrics import ChannelMetrics
from svcforge.messaging._spec import ChannelSpec, Transport
from svcforge.settings._secret import describe, scrub
from svcforge.tracing._switch import SpanHooks, current_span, switch

__all__ = ["Dispatcher", "TombstoneHandler", "shutting_down"]

M = TypeVar("M", bound=BaseModel)

TombstoneHandler = Callable[[MessageContext], Awaitable[None]]
"""``async def deleted(ctx: MessageContext) -> None``: a record without a
value (a Kafka tombstone), by its key ``ctx.key``."""

_log = structlog.get_logger("svcforge.messaging")

_DEBUG_BYTES = 256
# Room left in a producer request besides the value and the headers (record
# batch and record overhead, with margin).
_RECORD_OVERHEAD = 4096


def shutting_down() -> bool:
    """Whether the running task is being cancelled: a ``CancelledError`` is
    then the consumer's own shutdown, not a handler's failure."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class HandlerCancelled(Exception):
    """A handler raised ``CancelledError`` while its consumer was not being
    stopped (it awaited something cancelled elsewhere): a failed run."""

    def __init__(self) -> None:
        super().__init__("the handler raised CancelledError")


class Dispatcher(Generic[M]):
    """Runs one channel's handler on delivered records: decode and check the
    type, run the handler with retries, dead-letter what keeps failing.  The
    broker acks or commits a record once ``dispatch`` (or ``__call__``)
    returned, which it always does unless the consumer itself is cancelled:
    a record that cannot even be dead-lettered after ``dead_letter_attempts``
    tries is skipped (an ERROR log and ``svcforge_messages_skipped_total``).

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
        self.tombstone: TombstoneHandler | None = None
        # Set by the broker from its settings.
        self.dead_letter_limit: int | None = None
        """Most bytes of a dead-letter record (None: no limit)."""
        self.dead_letter_attempts = 5
        self.dead_letter_backoff_s = 0.2
        self.debug_payloads = False
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
        self._latency = metrics.latency_tally.observe

    batched = False
    """Whether the broker hands it whole batches (``dispatch_batch``)."""

    def flush_metrics(self) -> None:
        """Push the counts of the messages handled so far to prometheus."""
        self.metrics.flush()

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

    async def dispatch(self, value: bytes | None, ctx: MessageContext) -> None:
        """Handle one record (``ctx`` says where it came from)."""
        hooks = switch.hooks
        if hooks is not None:
            await self._dispatch_traced(hooks, value, ctx)
            return
        message = await self.admit(value, ctx)
        if message is not None:
            self.observe_latency(ctx)
            await self.handle(message, ctx, value)

    async def _dispatch_traced(
        self, hooks: SpanHooks, value: bytes | None, ctx: MessageContext
    ) -> None:
        """``dispatch`` in a CONSUMER span, the child of the context the
        record carries, current while the handler runs."""
        with current_span(hooks, self.start_span(hooks, ctx)):
            message = await self.admit(value, ctx)
            if message is not None:
                self.observe_latency(ctx)
                await self.handle(message, ctx, value)

    def start_span(self, hooks: SpanHooks, ctx: MessageContext) -> Any:
        """The CONSUMER span of one record."""
        return hooks.start_process(self.transport, self.name, self.spec.group, ctx)

    async def admit(self, value: bytes | None, ctx: MessageContext) -> M | None:
        """The record's message, decoded and of the channel's type; None when
        the record was dealt with already (dead-lettered, or a tombstone)."""
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
            return None
        if value is None:
            await self._tombstone(ctx)
            return None
        if self._avro:
            # The framing names the writer schema: the codec tells another
            # message type (or garbage) apart without looking at headers.
            try:
                return self._decode(value)
            except (DecodeError, ValidationError, ValueError, TypeError) as exc:
                await self._reject(value, ctx, self._undecodable(exc))
                return None
        decoded = self._decode_json(value, ctx)
        if isinstance(decoded, Rejection):
            await self._reject(value, ctx, decoded)
            return None
        return decoded

    async def dispatch_batch(
        self, records: Sequence[tuple[bytes | None, MessageContext]]
    ) -> None:
        """Handle the records of one fetch in order (a ``BatchDispatcher``
        hands them to its handler at once)."""
        for value, ctx in records:
            await self.dispatch(value, ctx)

    def observe_latency(self, ctx: MessageContext) -> None:
        """From publishing (the ``produced-at`` header) to now."""
        raw = ctx.headers.get(h.PRODUCED_AT)
        if raw is not None and raw.isdigit():
            self._latency(max(0.0, time.time() - int(raw) / 1000))

    async def handle(
        self, message: M, ctx: MessageContext, value: bytes | None
    ) -> None:
        """Run the handler on ``message``, with retries; dead-letter it when
        every attempt failed."""
        token = current_message.set(ctx)
        try:
            start = time.perf_counter()
            try:
                await self.handler(message, ctx)
            except (Exception, asyncio.CancelledError) as exc:
                if isinstance(exc, asyncio.CancelledError) and shutting_down():
                    raise
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

    async def _tombstone(self, ctx: MessageContext) -> None:
        handler = self.tombstone
        if handler is None:
            await self._reject(
                None,
                ctx,
                Rejection("tombstone", "Tombstone", "a record without a value"),
            )
            return
        token = current_message.set(ctx)
        try:
            await handler(ctx)
        except (Exception, asyncio.CancelledError) as exc:
            if isinstance(exc, asyncio.CancelledError) and shutting_down():
                raise
            self.metrics.failed.inc()
            await self._reject(None, ctx, _failed(exc, 1))
        else:
            self._consumed.n += 1
        finally:
            current_message.reset(token)

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
        if isinstance(exc, ValidationError) and not self.debug_payloads:
            # Its text quotes the input: the payload, maybe personal data.
            text = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)
            )
            return Rejection("decode-error", "ValidationError", text)
        return Rejection("decode-error", type(exc).__name__, str(exc))

    async def _retry(
        self, message: M, ctx: MessageContext, first: BaseException
    ) -> Rejection | None:
        """The first attempt already failed: tenacity runs the rest, with
        exponential backoff and jitter.  Its attempt 1 replays that failure,
        so that the attempt count and the waits are tenacity's own."""
        if isinstance(first, asyncio.CancelledError):
            first = HandlerCancelled()
        assert isinstance(first, Exception)
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
            except asyncio.CancelledError:
                metrics.failed.inc()
                if shutting_down():
                    raise
                raise HandlerCancelled() from None
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
                error=describe(exc) if exc is not None else None,
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            reraise=True,
            before_sleep=before_sleep,
        )
        try:
            await retrying(attempt)
        except Exception as exc:
            return _failed(exc, ctx.attempt)
        self._consumed.n += 1
        return None

    async def _reject(
        self, value: bytes | None, ctx: MessageContext, rejection: Rejection
    ) -> None:
        """Dead-letter the record, in at most ``dead_letter_attempts`` tries;
        then skip it.  A record too big for the dead-letter target goes
        truncated, its original size in a header."""
        sink = self.dead_letter
        if sink is None:
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
            (
                h.ERROR_MESSAGE,
                scrub(rejection.message)[:2000].encode("utf-8", "replace"),
            ),
            (h.ERROR_ATTEMPTS, str(rejection.attempts).encode()),
            (h.SOURCE_CHANNEL, self.spec.name.encode()),
            *d.source_headers(),
            (h.DEAD_LETTERED_AT, h.now_ms()),
        ]
        size = len(value) if value is not None else 0
        keep = self._room(headers)
        if value is not None and keep is not None and size > keep:
            d.value = value[:keep]
            headers += [(h.ORIGINAL_SIZE, str(size).encode()), (h.TRUNCATED, b"true")]
        hooks = switch.hooks
        if hooks is not None:
            hooks.fail_current(rejection.reason, scrub(rejection.message))
        error = await self._send_dead_letter(sink, d, headers)
        fields: dict[str, Any] = {
            "channel": self.spec.name,
            "transport": self.transport,
            "reason": rejection.reason,
            "error_type": rejection.error_type,
            "error": scrub(rejection.message),
            "attempts": rejection.attempts,
            "source": d.source,
            "partition": d.partition,
            "offset": d.offset,
            "entry_id": d.entry_id,
            "size": size,
        }
        if self.debug_payloads and value is not None:
            fields["payload"] = value[:_DEBUG_BYTES].hex()
        if error is None:
            self.metrics.dead_lettered(rejection.reason)
            _log.error("message dead-lettered", **fields)
            return
        self.metrics.skipped(rejection.reason)
        _log.error(
            "message skipped: it could not be dead-lettered",
            dead_letter_error=describe(error),
            dead_letter_attempts=self.dead_letter_attempts,
            **fields,
        )

    def _room(self, headers: h.Headers) -> int | None:
        limit = self.dead_letter_limit
        if limit is None:
            return None
        used = sum(len(k) + len(v) + 16 for k, v in headers) + _RECORD_OVERHEAD
        return max(0, limit - used)

    async def _send_dead_letter(
        self, sink: DeadLetterSink, d: Delivery, headers: h.Headers
    ) -> Exception | None:
        """None once sent, else the last error."""
        error: Exception | None = None
        wait = self.dead_letter_backoff_s
        for attempt in range(1, self.dead_letter_attempts + 1):
            try:
                await sink(d, headers)
                return None
            except Exception as exc:
                error = exc
                if "TooLarge" in type(exc).__name__ and d.value:
                    # The target refused the size: keep only the headers.
                    d.value = b""
                    if not any(k == h.TRUNCATED for k, _ in headers):
                        headers += [(h.TRUNCATED, b"true")]
                if attempt == self.dead_letter_attempts:
                    break
                _log.warning(
                    "dead-lettering failed; retrying",
                    channel=self.spec.name,
                    attempt=attempt,
                    of=self.dead_letter_attempts,
                    error=describe(exc),
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, 5.0)
        return error


def _failed(exc: BaseException, attempts: int) -> Rejection:
    if isinstance(exc, HandlerCancelled):
        return Rejection("handler-failed", "CancelledError", str(exc), attempts)
    return Rejection("handler-failed", type(exc).__name__, str(exc), attempts)

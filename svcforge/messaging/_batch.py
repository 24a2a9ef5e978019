"""Batch handlers: a channel's messages handed over a fetched batch at a
time (what consume -> store writes in one transaction).

The broker acknowledges the batch once ``dispatch_batch`` returned, as it
acknowledges a record once ``dispatch`` returned: at-least-once, and never
before the batch handler finished.  A batch whose handler keeps failing (a
row that violates a constraint, say) is handled again one message at a time,
each with the channel's retries, so that only the failing message goes to the
dead-letter target.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel
from tenacity import AsyncRetrying, stop_after_attempt

from svcforge.messaging._context import MessageContext
from svcforge.messaging._dispatch import Dispatcher, shutting_down
from svcforge.messaging._metrics import ChannelMetrics
from svcforge.messaging._spec import ChannelSpec, Transport
from svcforge.settings._secret import describe
from svcforge.tracing._switch import SpanHooks, current_span, switch

__all__ = ["BatchDispatcher", "BatchHandler"]

M = TypeVar("M", bound=BaseModel)

BatchHandler = Callable[[list[M], list[MessageContext]], Awaitable[None]]
"""``async def handle(messages: list[Trade], contexts: list[MessageContext])
-> None``: the messages of one fetched batch, in order (per partition or
stream), each with its context."""

_log = structlog.get_logger("svcforge.messaging")


class BatchDispatcher(Dispatcher[M]):
    """A ``Dispatcher`` whose handler takes a batch."""

    batched = True

    def __init__(
        self,
        spec: ChannelSpec[M],
        handler: BatchHandler[M],
        transport: Transport,
        metrics: ChannelMetrics,
    ) -> None:
        async def one(message: M, ctx: MessageContext) -> None:
            await handler([message], [ctx])

        super().__init__(spec, one, transport, metrics)
        self.batch_handler = handler

    async def dispatch_batch(
        self, records: Sequence[tuple[bytes | None, MessageContext]]
    ) -> None:
        """Handle the records of one fetch (value, context), in order."""
        hooks = switch.hooks
        if hooks is not None:
            await self._dispatch_batch_traced(hooks, records)
            return
        messages: list[M] = []
        contexts: list[MessageContext] = []
        values: list[bytes] = []
        for value, ctx in records:
            message = await self.admit(value, ctx)
            if message is None:
                continue
            assert value is not None
            self.observe_latency(ctx)
            messages.append(message)
            contexts.append(ctx)
            values.append(value)
        if not messages:
            return
        start = time.perf_counter()
        try:
            await self._run(messages, contexts)
        except (Exception, asyncio.CancelledError) as exc:
            if isinstance(exc, asyncio.CancelledError) and shutting_down():
                raise
            _log.warning(
                "batch handler failed; handling its messages one at a time",
                channel=self.name,
                messages=len(messages),
                error=describe(exc),
            )
            for message, ctx, value in zip(messages, contexts, values, strict=True):
                await self.handle(message, ctx, value)
            return
        self._observe(time.perf_counter() - start)
        self._consumed.n += len(messages)

    async def _dispatch_batch_traced(
        self,
        hooks: SpanHooks,
        records: Sequence[tuple[bytes | None, MessageContext]],
    ) -> None:
        """``dispatch_batch`` with a CONSUMER span per message (the child of
        the context it carries, open until its batch is done) and the batch
        handler in an INTERNAL span linked to them."""
        admitted: list[tuple[M, MessageContext, bytes, Any]] = []
        for value, ctx in records:
            span = self.start_span(hooks, ctx)
            token = hooks.activate(span)
            try:
                message = await self.admit(value, ctx)
            except BaseException as exc:
                hooks.end(span, exc)
                raise
            finally:
                hooks.deactivate(token)
            if message is None:
                hooks.end(span)
                continue
            assert value is not None
            self.observe_latency(ctx)
            admitted.append((message, ctx, value, span))
        if not admitted:
            return
        spans = [a[3] for a in admitted]
        batch = hooks.start_batch(self.transport, admitted[0][1].source, spans)
        token = hooks.activate(batch)
        start = time.perf_counter()
        try:
            await self._run([a[0] for a in admitted], [a[1] for a in admitted])
        except (Exception, asyncio.CancelledError) as exc:
            hooks.deactivate(token)
            hooks.end(batch, exc)
            if isinstance(exc, asyncio.CancelledError) and shutting_down():
                for span in spans:
                    hooks.end(span, exc)
                raise
            _log.warning(
                "batch handler failed; handling its messages one at a time",
                channel=self.name,
                messages=len(admitted),
                error=describe(exc),
            )
            for message, ctx, value, span in admitted:
                await self._handle_in(hooks, span, message, ctx, value)
            return
        hooks.deactivate(token)
        hooks.end(batch)
        for span in spans:
            hooks.end(span)
        self._observe(time.perf_counter() - start)
        self._consumed.n += len(admitted)

    async def _handle_in(
        self, hooks: SpanHooks, span: Any, message: M, ctx: MessageContext, value: bytes
    ) -> None:
        with current_span(hooks, span):
            await self.handle(message, ctx, value)

    async def _run(self, messages: list[M], contexts: list[MessageContext]) -> None:
        """The batch handler, with the channel's retries (each attempt with
        the whole batch)."""
        metrics = self.metrics
        attempt = 0

        async def run() -> None:
            nonlocal attempt
            attempt += 1
            if attempt > 1:
                metrics.retried.inc()
            try:
                await self.batch_handler(messages, contexts)
            except asyncio.CancelledError:
                metrics.failed.inc()
                if shutting_down():
                    raise
                raise RuntimeError("the batch handler raised CancelledError") from None
            except Exception:
                metrics.failed.inc()
                raise

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts), wait=self._wait, reraise=True
        )
        await retrying(run)

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
from typing import TypeVar

import structlog
from pydantic import BaseModel
from tenacity import AsyncRetrying, stop_after_attempt

from svcforge.messaging._context import MessageContext
from svcforge.messaging._dispatch import Dispatcher, shutting_down
from svcforge.messaging._metrics import ChannelMetrics
from svcforge.messaging._spec import ChannelSpec, Transport
from svcforge.settings._secret import describe

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

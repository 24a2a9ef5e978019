"""A Kafka consumer group member: one per subscribed channel."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import structlog

from svcforge.messaging import _headers as h
from svcforge.messaging._broker import Delivery, Subscription
from svcforge.messaging._context import MessageContext
from svcforge.messaging._kafka_support import (
    AIOKafkaConsumer,
    ConsumerRecord,
    TopicPartition,
    aiokafka,
    kafka_route,
    quietly,
)
from svcforge.settings._secret import describe

if TYPE_CHECKING:
    from svcforge.messaging._kafka import KafkaBroker

__all__ = ["KafkaConsumer"]

_log = structlog.get_logger("svcforge.kafka")


class KafkaConsumer:
    """One consumer group member: fetch a batch, run the handlers (one record
    at a time per partition, partitions concurrently up to
    ``max_concurrency``), commit what succeeded, fetch again."""

    def __init__(self, broker: KafkaBroker, sub: Subscription) -> None:
        self.broker = broker
        self.sub = sub
        self.route = kafka_route(sub.route)
        self.topic = broker.topic(self.route.topic)
        self.dispatcher = sub.dispatcher
        self.consumer: AIOKafkaConsumer | None = None
        self.task: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        self._stopping = False
        self._revoked: set[TopicPartition] = set()
        self._done: dict[TopicPartition, int] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._commit_lock = asyncio.Lock()
        self._sem = asyncio.Semaphore(broker.settings.max_concurrency)
        self._in_flight = 0
        self.joined = False
        """Whether the group gave this member its assignment (maybe empty)."""
        self._failures: dict[TopicPartition, tuple[int, int]] = {}
        """Per partition: the offset that failed unexpectedly, and how often."""
        s = broker.settings
        self.dispatcher.dead_letter_limit = s.max_request_size
        self.dispatcher.dead_letter_attempts = s.dead_letter_attempts
        self.dispatcher.debug_payloads = s.debug_payloads

        async def dead_letter(d: Delivery, headers: h.Headers) -> None:
            await broker.dead_letter(self.route, d, headers)

        self.dispatcher.dead_letter = dead_letter

    async def start(self) -> None:
        ak = aiokafka()
        s = self.broker.settings
        self.consumer = consumer = ak.AIOKafkaConsumer(
            **self.broker._common(),
            group_id=self.broker.topic(self.sub.group),
            enable_auto_commit=False,
            auto_offset_reset=s.auto_offset_reset,
            session_timeout_ms=s.session_timeout_ms,
            heartbeat_interval_ms=s.heartbeat_interval_ms,
            max_poll_interval_ms=s.max_poll_interval_ms,
            max_poll_records=s.fetch_max_records,
            fetch_max_wait_ms=s.fetch_max_wait_ms,
            fetch_max_bytes=s.fetch_max_bytes,
            max_partition_fetch_bytes=s.max_partition_fetch_bytes,
        )
        await consumer.start()
        consumer.subscribe([self.topic], listener=_listener(self))
        self.task = asyncio.create_task(
            self._run(), name=f"kafka-consumer:{self.topic}"
        )

    async def stop(self, timeout: float) -> None:
        self._stopping = True
        task = self.task
        if task is not None:
            done, _ = await asyncio.wait([task], timeout=timeout)
            if not done:
                _log.warning(
                    "handlers did not finish in time; cancelling",
                    topic=self.topic,
                    timeout_s=timeout,
                )
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.consumer is not None:
            await quietly(self.consumer.stop())
        _log.info("consumer stopped", topic=self.topic)

    async def _run(self) -> None:
        consumer = self.consumer
        assert consumer is not None
        s = self.broker.settings
        try:
            while not self._stopping:
                batch = await consumer.getmany(
                    timeout_ms=100, max_records=s.fetch_max_records
                )
                if not batch or self._stopping:
                    continue
                self._idle.clear()
                try:
                    if self.dispatcher.batched:
                        await self._batch(batch)
                    elif len(batch) == 1:
                        ((tp, records),) = batch.items()
                        await self._partition(tp, records)
                    else:
                        await asyncio.gather(
                            *(self._partition(tp, recs) for tp, recs in batch.items())
                        )
                    self.dispatcher.flush_metrics()
                    await self.commit()
                finally:
                    self._idle.set()
            await self.commit()
        except asyncio.CancelledError:
            if not self._stopping:
                self.error = asyncio.CancelledError("consumer task cancelled")
            raise
        except BaseException as exc:
            self.broker.troubles += 1
            self.error = exc
            _log.error(
                "consumer failed", topic=self.topic, error=describe(exc), exc_info=True
            )
            raise

    def problem(self) -> str | None:
        """Why this consumer no longer consumes (None while it does)."""
        if self.error is not None:
            return f"consumer of {self.topic} failed: {describe(self.error)}"
        task = self.task
        if task is not None and task.done() and not self._stopping:
            return f"consumer of {self.topic} stopped"
        return None

    def readiness(self) -> str | None:
        """Why this consumer is not ready (None once in its group)."""
        found = self.problem()
        if found is None and not self.joined:
            found = f"consumer of {self.topic} has not joined its group yet"
        return found

    async def _partition(
        self, tp: TopicPartition, records: list[ConsumerRecord]
    ) -> None:
        consumer = self.consumer
        assert consumer is not None
        dispatch = self.dispatcher.dispatch
        channel, transport = self.dispatcher.name, self.dispatcher.transport
        done = -1
        async with self._sem:
            try:
                for r in records:
                    if self._stopping or (self._revoked and tp in self._revoked):
                        return
                    offset = r.offset
                    try:
                        await dispatch(
                            r.value,
                            MessageContext(
                                channel,
                                transport,
                                r.topic,
                                r.partition,
                                offset,
                                None,
                                r.key,
                                None,
                                raw_headers=r.headers,
                            ),
                        )
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        if self._again(tp, offset, exc):
                            consumer.seek(tp, offset)
                            await asyncio.sleep(0.5)
                            return
                    done = offset
            finally:
                # Committed after the batch (or on revocation, once idle):
                # up to the last record whose processing finished.
                if done >= 0:
                    self._done[tp] = done + 1
            highwater = consumer.highwater(tp)
            if highwater is not None and records:
                self.dispatcher.metrics.lag(
                    str(tp.partition), max(0, highwater - records[-1].offset - 1)
                )

    async def _batch(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """A batch handler's turn: every record of the fetch at once (all
        partitions), then the offsets after them."""
        consumer = self.consumer
        assert consumer is not None
        dispatcher = self.dispatcher
        channel, transport = dispatcher.name, dispatcher.transport
        kept = {
            tp: recs
            for tp, recs in batch.items()
            if recs and not (self._revoked and tp in self._revoked)
        }
        if not kept:
            return
        records = [
            (
                r.value,
                MessageContext(
                    channel,
                    transport,
                    r.topic,
                    r.partition,
                    r.offset,
                    None,
                    r.key,
                    None,
                    raw_headers=r.headers,
                ),
            )
            for recs in kept.values()
            for r in recs
        ]
        try:
            await dispatcher.dispatch_batch(records)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            tp, recs = next(iter(kept.items()))
            if self._again(tp, recs[0].offset, exc):
                for tp, recs in kept.items():
                    consumer.seek(tp, recs[0].offset)
                await asyncio.sleep(0.5)
                return
        for tp, recs in kept.items():
            self._done[tp] = recs[-1].offset + 1
            highwater = consumer.highwater(tp)
            if highwater is not None:
                dispatcher.metrics.lag(
                    str(tp.partition), max(0, highwater - recs[-1].offset - 1)
                )

    def _again(self, tp: TopicPartition, offset: int, exc: Exception) -> bool:
        """A record failed outside the dispatcher's own handling (a bug, say):
        read it again, a bounded number of times, then skip it."""
        last, count = self._failures.get(tp, (-1, 0))
        count = count + 1 if last == offset else 1
        limit = self.broker.settings.dead_letter_attempts
        if count < limit:
            self._failures[tp] = (offset, count)
            _log.warning(
                "record not processed; it will be redelivered",
                topic=self.topic,
                partition=tp.partition,
                offset=offset,
                attempt=count,
                of=limit,
                error=describe(exc),
            )
            return True
        self._failures.pop(tp, None)
        self.dispatcher.metrics.skipped("unprocessable")
        _log.error(
            "record skipped after repeated failures",
            topic=self.topic,
            partition=tp.partition,
            offset=offset,
            attempts=count,
            error=describe(exc),
            exc_info=exc,
        )
        return False

    async def commit(self, only: set[TopicPartition] | None = None) -> None:
        """Commit the offsets after the records whose processing finished."""
        consumer = self.consumer
        assert consumer is not None
        async with self._commit_lock:
            if only is None:
                offsets, self._done = self._done, {}
            else:
                offsets = {tp: o for tp, o in self._done.items() if tp in only}
                for tp in offsets:
                    del self._done[tp]
            if not offsets:
                return
            try:
                await consumer.commit(offsets)
            except Exception as exc:
                # A rebalance took the partitions away: their new owner reads
                # from the last committed offset (at-least-once).
                _log.warning(
                    "commit failed; records will be redelivered",
                    topic=self.topic,
                    error=describe(exc),
                )

    async def revoke(self, revoked: set[TopicPartition]) -> None:
        self.broker.troubles += 1  # a rebalance: readiness is checked afresh
        self._revoked = set(revoked)
        await self._idle.wait()
        await self.commit(revoked)

    def assigned(self) -> None:
        self._revoked = set()
        self.joined = True


def _listener(consumer: KafkaConsumer) -> Any:
    """A ``ConsumerRebalanceListener`` (built here: aiokafka is imported
    lazily).  Commits stay safe across rebalances: before partitions are
    taken away, the handlers working on them finish and their offsets are
    committed."""
    base = aiokafka("aiokafka.abc").ConsumerRebalanceListener

    async def on_partitions_revoked(self: Any, revoked: Any) -> None:
        await consumer.revoke(set(revoked))

    async def on_partitions_assigned(self: Any, assigned: Any) -> None:
        consumer.assigned()

    cls = type(
        "SvcforgeRebalanceListener",
        (base,),
        {
            "on_partitions_revoked": on_partitions_revoked,
            "on_partitions_assigned": on_partitions_assigned,
        },
    )
    return cls()

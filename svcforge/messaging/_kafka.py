"""Kafka through aiokafka: one producer per compression, one consumer per
subscribed channel, manual commits after the handlers succeeded."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from typing import Any, TypeAlias

import structlog

from svcforge.messaging import _headers as h
from svcforge.messaging._broker import (
    Broker,
    Delivery,
    Route,
    Sender,
    Subscription,
)
from svcforge.messaging._context import MessageContext
from svcforge.messaging._metrics import CountTally
from svcforge.messaging._settings import KafkaSettings
from svcforge.messaging._spec import KafkaRoute

# aiokafka ships without type information: its objects are ``Any`` here, and
# it is imported by name (at first use) so that mypy never analyses it and an
# install without the kafka extra can still use the other brokers.
AIOKafkaConsumer: TypeAlias = Any
AIOKafkaProducer: TypeAlias = Any
ConsumerRecord: TypeAlias = Any
TopicPartition: TypeAlias = Any

__all__ = ["KafkaBroker"]

_log = structlog.get_logger("svcforge.kafka")


def _aiokafka(module: str = "aiokafka") -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError(
            "Kafka channels need aiokafka: pip install 'svcforge[kafka]'"
        ) from None


def _route(route: Route) -> KafkaRoute:
    if not isinstance(route, KafkaRoute):
        raise TypeError(f"the Kafka broker cannot serve {route!r}")
    return route


async def _quietly(closing: Any) -> None:
    """Close an aiokafka client as well as can be: with the broker gone, its
    background tasks end in errors or in a CancelledError of their own, which
    must not abort the shutdown (a cancellation of ours still propagates)."""
    try:
        await closing
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
    except Exception as exc:
        _log.warning("error while closing a Kafka client", error=repr(exc))


class KafkaBroker(Broker):
    """Producer: ``acks``, idempotence, linger, batch size and compression
    from ``KafkaSettings`` (a channel may pick its own compression).
    Consumers: at-least-once; offsets are committed only for records whose
    handler succeeded (or that went to the dead-letter topic)."""

    name = "kafka"

    def __init__(self, settings: KafkaSettings | None = None) -> None:
        self.settings = settings or KafkaSettings()
        self._producers: dict[str, AIOKafkaProducer] = {}
        self._producer_lock = asyncio.Lock()
        self._topics: dict[str, int | None] = {}
        self._subs: list[Subscription] = []
        self._consumers: list[_Consumer] = []
        self._started = False

    def topic(self, name: str) -> str:
        return self.settings.name_prefix + name

    def _common(self) -> dict[str, Any]:
        s = self.settings
        out: dict[str, Any] = {
            "bootstrap_servers": s.bootstrap_servers,
            "client_id": s.client_id,
            "request_timeout_ms": s.request_timeout_ms,
            "security_protocol": s.security_protocol,
        }
        if s.sasl_mechanism:
            out |= {
                "sasl_mechanism": s.sasl_mechanism,
                "sasl_plain_username": s.sasl_username,
                "sasl_plain_password": (
                    s.sasl_password.get_secret_value() if s.sasl_password else None
                ),
            }
        return out

    # -- Broker -------------------------------------------------------------------

    def declare(self, route: Route) -> None:
        r = _route(route)
        self._topics.setdefault(self.topic(r.topic), r.partitions)

    def subscribe(self, subscription: Subscription) -> None:
        if self._started:
            raise RuntimeError("subscribe channels before the broker starts")
        r = _route(subscription.route)
        self._topics.setdefault(self.topic(r.topic), r.partitions)
        self._topics.setdefault(self.topic(r.dead_letter), r.partitions)
        self._subs.append(subscription)

    async def start(self) -> None:
        if self._started:
            return
        if self.settings.create_topics and self._topics:
            await self._create_topics()
        await self._producer(None)
        for sub in self._subs:
            consumer = _Consumer(self, sub)
            await consumer.start()
            self._consumers.append(consumer)
        self._started = True

    async def stop(self, timeout: float = 10.0) -> None:
        consumers, self._consumers = self._consumers, []
        await asyncio.gather(*(c.stop(timeout) for c in consumers))
        producers, self._producers = self._producers, {}
        for p in producers.values():
            await _quietly(p.stop())  # flushes what is batched
        self._started = False

    async def send(
        self, route: Route, key: bytes | None, value: bytes, headers: h.Headers
    ) -> asyncio.Future[Any]:
        r = _route(route)
        producer = self._producers.get(r.compression or self.settings.compression)
        if producer is None:
            producer = await self._producer(r.compression)
        fut: asyncio.Future[Any] = await producer.send(
            self.settings.name_prefix + r.topic, value, key=key, headers=headers
        )
        return fut

    def sender(self, route: Route, headers: h.Headers, published: CountTally) -> Sender:
        """The topic's name and the producer's key are worked out once per
        channel; a record costs one ``producer.send``."""
        r = _route(route)
        topic = self.topic(r.topic)
        compression = r.compression or self.settings.compression
        static = list(headers)
        watch = published.watch

        async def send(
            key: bytes | None, value: bytes, extra: h.Headers
        ) -> asyncio.Future[Any]:
            producer = self._producers.get(compression)
            if producer is None:
                producer = await self._producer(r.compression)
            fut: asyncio.Future[Any] = await producer.send(
                topic, value, key=key, headers=static + extra
            )
            watch(fut)
            return fut

        return send

    async def check(self) -> str | None:
        producer = self._producers.get(self.settings.compression)
        if producer is None:
            return "kafka not connected"
        try:
            await asyncio.wait_for(producer.client.fetch_all_metadata(), 2.0)
        except Exception as exc:
            return f"kafka unreachable: {exc!r}"
        if not producer.client.cluster.brokers():
            return "kafka: no broker in the cluster metadata"
        return None

    def problem(self) -> str | None:
        for c in self._consumers:
            if c.error is not None:
                return f"consumer of {c.topic} failed: {c.error!r}"
        return None

    # -- internals ---------------------------------------------------------------------

    async def _producer(self, compression: str | None) -> AIOKafkaProducer:
        comp = compression or self.settings.compression
        async with self._producer_lock:
            found = self._producers.get(comp)
            if found is not None:
                return found
            s = self.settings
            producer = _aiokafka().AIOKafkaProducer(
                **self._common(),
                acks=s.acks,
                enable_idempotence=s.enable_idempotence,
                linger_ms=s.linger_ms,
                max_batch_size=s.max_batch_size,
                compression_type=None if comp == "none" else comp,
            )
            await producer.start()
            self._producers[comp] = producer
            started: AIOKafkaProducer = producer
            return started

    async def _create_topics(self) -> None:
        admin_module = _aiokafka("aiokafka.admin")
        NewTopic = admin_module.NewTopic
        admin = admin_module.AIOKafkaAdminClient(**self._common())
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(
                    name,
                    num_partitions=parts or 1,
                    replication_factor=self.settings.replication_factor,
                )
                for name, parts in sorted(self._topics.items())
                if name not in existing
            ]
            if missing:
                # A topic created meanwhile by another process comes back as
                # an error code in the response, not an exception: fine.
                await admin.create_topics(missing)
        finally:
            await admin.close()

    async def dead_letter(
        self, route: KafkaRoute, d: Delivery, headers: h.Headers
    ) -> None:
        producer = await self._producer(route.compression)
        await producer.send_and_wait(
            self.topic(route.dead_letter), d.value, key=d.key, headers=headers
        )


class _Consumer:
    """One consumer group member: fetch a batch, run the handlers (one record
    at a time per partition, partitions concurrently up to
    ``max_concurrency``), commit what succeeded, fetch again."""

    def __init__(self, broker: KafkaBroker, sub: Subscription) -> None:
        self.broker = broker
        self.sub = sub
        self.route = _route(sub.route)
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

        async def dead_letter(d: Delivery, headers: h.Headers) -> None:
            await broker.dead_letter(self.route, d, headers)

        self.dispatcher.dead_letter = dead_letter

    async def start(self) -> None:
        ak = _aiokafka()
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
            await _quietly(self.consumer.stop())
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
                    if len(batch) == 1:
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
            raise
        except Exception as exc:
            self.error = exc
            _log.exception("consumer failed", topic=self.topic)
            raise

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
                    except Exception:
                        # Not handled and not dead-lettered (say the dead-letter
                        # topic is unreachable): read it again from here.
                        _log.exception(
                            "record not processed; it will be redelivered",
                            topic=r.topic,
                            partition=r.partition,
                            offset=offset,
                        )
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
                    error=repr(exc),
                )

    async def revoke(self, revoked: set[TopicPartition]) -> None:
        self._revoked = set(revoked)
        await self._idle.wait()
        await self.commit(revoked)

    def assigned(self) -> None:
        self._revoked = set()


def _listener(consumer: _Consumer) -> Any:
    """A ``ConsumerRebalanceListener`` (built here: aiokafka is imported
    lazily).  Commits stay safe across rebalances: before partitions are
    taken away, the handlers working on them finish and their offsets are
    committed."""
    base = _aiokafka("aiokafka.abc").ConsumerRebalanceListener

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

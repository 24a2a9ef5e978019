"""Kafka through aiokafka: one producer per compression, one consumer per
subscribed channel, manual commits after the handlers succeeded."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from svcforge.messaging import _headers as h
from svcforge.messaging._broker import (
    Broker,
    Delivery,
    Route,
    Sender,
    Subscription,
)
from svcforge.messaging._kafka_consumer import KafkaConsumer
from svcforge.messaging._kafka_support import (
    AIOKafkaProducer,
    aiokafka,
    kafka_route,
    quietly,
)
from svcforge.messaging._metrics import CountTally
from svcforge.messaging._settings import KafkaSettings
from svcforge.messaging._spec import KafkaRoute
from svcforge.settings._secret import describe

__all__ = ["KafkaBroker"]

_log = structlog.get_logger("svcforge.kafka")


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
        self._consumers: list[KafkaConsumer] = []
        self._health: Any = None
        self._started = False

    def topic(self, name: str) -> str:
        return self.settings.name_prefix + name

    def destination(self, name: str) -> str:
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
        r = kafka_route(route)
        self._topics.setdefault(self.topic(r.topic), r.partitions)

    def subscribe(self, subscription: Subscription) -> None:
        if self._started:
            raise RuntimeError("subscribe channels before the broker starts")
        r = kafka_route(subscription.route)
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
            consumer = KafkaConsumer(self, sub)
            self._consumers.append(consumer)  # stopped by stop(), even half-started
            await consumer.start()
        self._started = True

    async def stop(self, timeout: float = 10.0) -> None:
        consumers, self._consumers = self._consumers, []
        await asyncio.gather(*(c.stop(timeout) for c in consumers))
        producers, self._producers = self._producers, {}
        for p in producers.values():
            await quietly(p.stop())  # flushes what is batched
        await self._close_health_client()
        self._started = False

    async def send(
        self, route: Route, key: bytes | None, value: bytes, headers: h.Headers
    ) -> asyncio.Future[Any]:
        r = kafka_route(route)
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
        r = kafka_route(route)
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
        """Ready: the cluster answers (asked on a connection of the health
        check's own, not the producers'), every producer's sender runs, every
        consumer has joined its group and runs."""
        if not self._started:
            return "kafka not connected"
        for comp, producer in self._producers.items():
            sender = getattr(producer, "_sender", None)
            task = getattr(sender, "sender_task", None)
            if task is not None and task.done():
                return f"kafka producer ({comp}) stopped"
        try:
            client = await self._health_client()
            await asyncio.wait_for(client.fetch_all_metadata(), 2.0)
            if not client.cluster.brokers():
                return "kafka: no broker in the cluster metadata"
        except Exception as exc:
            await self._close_health_client()
            return f"kafka unreachable: {describe(exc)}"
        for c in self._consumers:
            found = c.readiness()
            if found is not None:
                return found
        return None

    def problem(self) -> str | None:
        for c in self._consumers:
            found = c.problem()
            if found is not None:
                return found
        return None

    async def _health_client(self) -> Any:
        client = self._health
        if client is None:
            ak = aiokafka("aiokafka.client")
            options = self._common()
            options["request_timeout_ms"] = 2000
            client = ak.AIOKafkaClient(**options)
            await asyncio.wait_for(client.bootstrap(), 2.0)
            self._health = client
        return client

    async def _close_health_client(self) -> None:
        client, self._health = self._health, None
        if client is not None:
            await quietly(client.close())

    # -- internals ---------------------------------------------------------------------

    async def _producer(self, compression: str | None) -> AIOKafkaProducer:
        comp = compression or self.settings.compression
        async with self._producer_lock:
            found = self._producers.get(comp)
            if found is not None:
                return found
            s = self.settings
            producer = aiokafka().AIOKafkaProducer(
                **self._common(),
                acks=s.acks,
                enable_idempotence=s.enable_idempotence,
                linger_ms=s.linger_ms,
                max_batch_size=s.max_batch_size,
                max_request_size=s.max_request_size,
                compression_type=None if comp == "none" else comp,
            )
            try:
                await producer.start()
            except BaseException:
                await quietly(producer.stop())
                raise
            self._producers[comp] = producer
            started: AIOKafkaProducer = producer
            return started

    async def _create_topics(self) -> None:
        admin_module = aiokafka("aiokafka.admin")
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

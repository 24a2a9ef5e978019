"""The transport-neutral parts every broker shares: a delivered record, why a
record is dead-lettered, and the ``Broker`` interface."""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from svcforge.messaging import _headers as h
from svcforge.messaging._context import MessageContext
from svcforge.messaging._metrics import CountTally
from svcforge.messaging._spec import KafkaRoute, RedisRoute

if TYPE_CHECKING:
    from svcforge.messaging._dispatch import Dispatcher

__all__ = [
    "Broker",
    "DeadLetterSink",
    "Delivery",
    "Handler",
    "Rejection",
    "Route",
    "Sender",
    "Subscription",
]

M = TypeVar("M", bound=BaseModel)

Handler = Callable[[M, MessageContext], Awaitable[None]]
"""``async def handle(message: OrderPlaced, ctx: MessageContext) -> None``"""

Route = KafkaRoute | RedisRoute


@dataclass(slots=True)
class Delivery:
    """One record as a transport delivered it."""

    source: str
    """The topic or stream, as named on the broker."""
    value: bytes | None
    """None: a tombstone (a Kafka record without a value)."""
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
    ``decode-error``, ``max-deliveries`` or ``tombstone``."""
    error_type: str
    message: str
    attempts: int = 0


DeadLetterSink = Callable[[Delivery, h.Headers], Awaitable[None]]

Sender = Callable[[bytes | None, bytes, h.Headers], Awaitable["asyncio.Future[Any]"]]
"""``await sender(key, value, headers)``: one channel's records to one route
(see ``Broker.sender``); the future resolves once the broker acknowledged."""


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
    troubles: int = 0
    """Errors its consumers and publishers met so far: a readiness result
    cached before the last one is stale."""

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

    def destination(self, name: str) -> str:
        """The broker's name of a topic or stream (with its name prefix)."""
        return name

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

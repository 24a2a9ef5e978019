"""What a generated ``channels.py`` declares: one ``ChannelSpec`` per channel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel

from svcforge._codec import AvroCodec
from svcforge.messaging._settings import Compression

__all__ = [
    "ChannelSpec",
    "Codec",
    "KafkaRoute",
    "MessageCatalog",
    "RedisRoute",
    "RetryPolicy",
    "Transport",
]

M = TypeVar("M", bound=BaseModel)
Transport = Literal["kafka", "redis"]

AVRO_CONTENT_TYPE = "application/avro"
JSON_CONTENT_TYPE = "application/json"


class Codec(Protocol[M]):
    """What a channel needs of a codec (``AvroCodec`` and ``JsonCodec`` fit)."""

    @property
    def model(self) -> type[M]: ...

    def encode(self, message: M, /) -> bytes: ...

    def decode(self, data: bytes, /) -> M: ...


@dataclass(frozen=True, slots=True)
class KafkaRoute:
    """Where a channel lives on Kafka."""

    topic: str
    dead_letter: str
    partitions: int | None = None
    """Partitions of the topic when svcforge creates it (None: broker default)."""
    compression: Compression | None = None
    """None: the producer's default from ``KafkaSettings``."""


@dataclass(frozen=True, slots=True)
class RedisRoute:
    """Where a channel lives on Redis."""

    stream: str
    dead_letter: str
    maxlen: int | None = None
    """Approximate stream length kept (None: ``RedisSettings.maxlen``)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a failing handler runs before its message is dead-lettered.

    Waits grow exponentially from ``backoff_ms`` (doubling, plus up to
    ``backoff_ms`` of random jitter) and never exceed ``max_backoff_ms``.
    ``max_deliveries`` bounds redeliveries across processes (Redis keeps the
    count): an entry delivered more often, say because it crashes the consumer,
    is dead-lettered without running the handler again.
    """

    attempts: int = 3
    backoff_ms: int = 100
    max_backoff_ms: int = 10_000
    max_deliveries: int = 10

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.backoff_ms < 0 or self.max_backoff_ms < self.backoff_ms:
            raise ValueError("need 0 <= backoff_ms <= max_backoff_ms")
        if self.max_deliveries < 1:
            raise ValueError("max_deliveries must be at least 1")


class MessageCatalog:
    """The message types a service knows, by the schema identification their
    framing puts on the wire, so that a consumer can name what it received."""

    __slots__ = ("_names",)

    def __init__(self, codecs: Mapping[str, object]) -> None:
        names: dict[bytes, str] = {}
        for name, codec in codecs.items():
            if isinstance(codec, AvroCodec):
                names[codec.framing.key] = name
        self._names = names

    def name(self, key: bytes) -> str | None:
        return self._names.get(key)


@dataclass(frozen=True, slots=True)
class ChannelSpec(Generic[M]):
    """One channel: a message type bound to a Kafka topic and/or a Redis stream."""

    name: str
    message_type: str
    """Full name of the message's schema."""
    codec: Codec[M]
    kafka: KafkaRoute | None = None
    redis: RedisRoute | None = None
    key: Callable[[M], str] | None = None
    """The message's key (Kafka partitioning; kept as a field on Redis)."""
    group: str | None = None
    """Consumer group of this service."""
    consume_from: Transport | None = None
    """The transport the service consumes from (None: it only publishes)."""
    publishes: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    catalog: MessageCatalog | None = None

    def __post_init__(self) -> None:
        if self.kafka is None and self.redis is None:
            raise ValueError(f"channel {self.name}: no kafka or redis route")
        if self.consume_from is not None:
            if self.route(self.consume_from) is None:
                raise ValueError(
                    f"channel {self.name}: consumes from {self.consume_from} "
                    "but has no route there"
                )
            if not self.group:
                raise ValueError(f"channel {self.name}: a consumer needs a group")

    @property
    def model(self) -> type[M]:
        return self.codec.model

    @property
    def transports(self) -> tuple[Transport, ...]:
        out: list[Transport] = []
        if self.kafka is not None:
            out.append("kafka")
        if self.redis is not None:
            out.append("redis")
        return tuple(out)

    def route(self, transport: Transport) -> KafkaRoute | RedisRoute | None:
        return self.kafka if transport == "kafka" else self.redis

    @property
    def content_type(self) -> str:
        return (
            AVRO_CONTENT_TYPE
            if isinstance(self.codec, AvroCodec)
            else JSON_CONTENT_TYPE
        )

    @property
    def schema_id(self) -> str | None:
        codec: Any = self.codec
        if isinstance(codec, AvroCodec):
            return codec.framing.key.hex()
        return None

"""Channels: messages bound to Kafka topics and Redis streams."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.ir.base import Span

ChannelTransport = Literal["kafka", "redis"]
Compression = Literal["none", "gzip", "snappy", "lz4", "zstd"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Handler runs before a message is dead-lettered, and the backoff."""

    attempts: int = 3
    backoff_ms: int = 100
    max_backoff_ms: int = 10_000
    max_deliveries: int = 10


@dataclass(frozen=True, slots=True)
class KafkaTarget:
    topic: str
    dead_letter: str
    partitions: int | None = None
    compression: Compression | None = None


@dataclass(frozen=True, slots=True)
class RedisTarget:
    stream: str
    dead_letter: str
    maxlen: int | None = None


@dataclass(frozen=True, slots=True)
class Channel:
    """A message bound to a Kafka topic and/or a Redis stream, declared in
    ``[tool.svcforge.channels.<name>]``."""

    name: str
    py_name: str
    """The attribute of the generated ``Channels`` class."""
    constant: str
    """The module-level ``ChannelSpec`` constant (``TRADES``)."""
    message: str
    """Full name of the message's record."""
    span: Span
    kafka: KafkaTarget | None = None
    redis: RedisTarget | None = None
    key: str | None = None
    """Wire name of the key field."""
    publish: bool = True
    consume: ChannelTransport | None = None
    """The transport this service consumes the channel from, if it does."""
    group: str | None = None
    retry: RetryPolicy = RetryPolicy()
    encoding: Literal["avro", "json"] = "avro"

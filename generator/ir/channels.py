"""Channels: messages bound to Kafka topics and Redis streams, and what a
consumed channel stores (``store = "<table>"``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.ir.base import Span
from generator.ir.policies import Policy

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


StoreConversion = Literal[
    "none", "enum", "enum_value", "str", "naive_utc", "decimal", "float", "json"
]
"""How a field's value becomes its column's: ``none`` as it is; ``enum`` an
Avro enum member to the PostgreSQL enum's own class (``enum_class``);
``enum_value`` an enum member to its label (a text column); ``str`` a UUID to
its text; ``naive_utc`` an aware datetime to naive UTC (a ``timestamp``
column); ``decimal`` an int to ``Decimal``; ``float`` an int to ``float``;
``json`` any value to JSON data (a ``json``/``jsonb`` column)."""

StoreConflict = Literal["ignore", "update"]


@dataclass(frozen=True, slots=True)
class StoreValue:
    """One column of a stored row and the message field that fills it."""

    column: str
    """The column's name."""
    attribute: str
    """The column's attribute in the table's insert class."""
    path: tuple[str, ...]
    """The field's Python attribute in the message, then in each nested
    record it was flattened from (``("venue", "mic")`` for ``venue_mic``)."""
    nullable: tuple[bool, ...]
    """Per step of ``path``: whether that attribute may be None (a None
    before the last step stores NULL)."""
    convert: StoreConversion = "none"
    enum_class: str = ""
    """``convert == "enum"``: the class of the column's enum type."""


@dataclass(frozen=True, slots=True)
class Store:
    """A consumed channel's messages, stored in a table: each fetched batch in
    one transaction, idempotently (``INSERT ... ON CONFLICT``)."""

    table: str
    """The table's qualified name."""
    values: tuple[StoreValue, ...]
    """The columns the message fills, in the table's column order."""
    key: tuple[str, ...]
    """The columns of the primary or unique key the message fills: what makes
    a redelivered message the same row (the ``ON CONFLICT`` target)."""
    on_conflict: StoreConflict
    """``ignore``: a stored row stays as it is; ``update``: it takes the new
    message's values."""
    function: str
    """The generated mapping function (``trades_row``)."""
    span: Span
    """Where ``store`` was written."""


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
    store: Store | None = None
    """``store = "<table>"``: each consumed message is stored as a row."""
    outbox: bool = False
    """``outbox = true``: published through the transactional outbox."""
    policy: Policy | None = None
    """``policy = { ... }``: what guards publishing on it."""

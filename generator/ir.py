"""The one model of a service that front-ends produce and emitters consume.

Small frozen dataclasses, tuples instead of lists, no I/O and no back-references:
named types are referred to by full name through ``Ref``.  Tables, queries,
settings and channels will sit beside ``messages`` in ``Service``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PrimitiveName = Literal[
    "null", "boolean", "int", "long", "float", "double", "bytes", "string"
]
LogicalName = Literal[
    "date",
    "time-millis",
    "time-micros",
    "timestamp-millis",
    "timestamp-micros",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "uuid",
    "decimal",
]


@dataclass(frozen=True, slots=True)
class Span:
    """Where something was declared: a path relative to the service root and a
    1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col}"
        return self.path


@dataclass(frozen=True, slots=True)
class Primitive:
    name: PrimitiveName


@dataclass(frozen=True, slots=True)
class Logical:
    """A logical type over a primitive (``base``) or over a named fixed
    (``fixed``, the full name, for decimals stored in fixed)."""

    name: LogicalName
    base: PrimitiveName | None = None
    fixed: str | None = None
    precision: int = 0
    scale: int = 0


@dataclass(frozen=True, slots=True)
class Array:
    items: Type


@dataclass(frozen=True, slots=True)
class Map:
    values: Type


@dataclass(frozen=True, slots=True)
class Union:
    branches: tuple[Type, ...]

    @property
    def optional(self) -> bool:
        return any(b == NULL for b in self.branches)

    @property
    def non_null(self) -> tuple[Type, ...]:
        return tuple(b for b in self.branches if b != NULL)


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a named type (record, enum or fixed) by full name."""

    fullname: str


Type = Primitive | Logical | Array | Map | Union | Ref

NULL = Primitive("null")


class _Missing:
    """No default was declared (distinct from a declared ``null``)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    """The wire name."""
    py_name: str
    """A valid, unique Python identifier for the attribute."""
    type: Type
    span: Span
    default: JsonValue | _Missing = MISSING
    """The default as written in the schema (Avro JSON encoding)."""
    doc: str = ""
    aliases: tuple[str, ...] = ()
    order: Literal["ascending", "descending", "ignore"] = "ascending"


@dataclass(frozen=True, slots=True)
class Record:
    fullname: str
    py_name: str
    fields: tuple[Field, ...]
    span: Span
    doc: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.fullname.rpartition(".")[2]

    @property
    def namespace(self) -> str:
        return self.fullname.rpartition(".")[0]


@dataclass(frozen=True, slots=True)
class EnumSymbol:
    name: str
    py_name: str


@dataclass(frozen=True, slots=True)
class Enum:
    fullname: str
    py_name: str
    symbols: tuple[EnumSymbol, ...]
    span: Span
    default: str | None = None
    doc: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.fullname.rpartition(".")[2]

    @property
    def namespace(self) -> str:
        return self.fullname.rpartition(".")[0]


@dataclass(frozen=True, slots=True)
class Fixed:
    fullname: str
    py_name: str
    size: int
    span: Span
    logical: Logical | None = None
    doc: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.fullname.rpartition(".")[2]

    @property
    def namespace(self) -> str:
        return self.fullname.rpartition(".")[0]


NamedType = Record | Enum | Fixed


@dataclass(frozen=True, slots=True)
class Message:
    """A top-level record of a message schema file: something sent on the wire."""

    fullname: str
    """The full name of its ``Record``."""
    source: str
    """The schema file, relative to the service root."""
    encoding: Literal["avro", "json"] = "avro"


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    package: str
    named_types: tuple[NamedType, ...] = ()
    """Every named type of every message schema, sorted by full name."""
    messages: tuple[Message, ...] = ()
    """Top-level messages, sorted by full name."""
    sources: tuple[str, ...] = field(default=())
    """Every schema file read, relative to the service root, sorted."""
    channels: tuple[Channel, ...] = ()
    """Channels of ``[tool.svcforge.channels]``, sorted by name."""

    def named(self, fullname: str) -> NamedType:
        for t in self.named_types:
            if t.fullname == fullname:
                return t
        raise KeyError(fullname)

    def record(self, fullname: str) -> Record:
        t = self.named(fullname)
        if not isinstance(t, Record):
            raise KeyError(f"{fullname} is not a record")
        return t


# --- Channels: messages bound to Kafka topics and Redis streams --------------

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

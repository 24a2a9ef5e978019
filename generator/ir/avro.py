"""Messages and the types of their fields (Avro's type system, which JSON
Schema messages are described in too, for channel keys)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.ir.base import MISSING, JsonValue, Missing, Span

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


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    """The wire name."""
    py_name: str
    """A valid, unique Python identifier for the attribute."""
    type: Type
    span: Span
    default: JsonValue | Missing = MISSING
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


MessageKind = Literal["record", "root", "union"]


@dataclass(frozen=True, slots=True)
class Message:
    """What a message schema file sends on the wire.

    ``kind`` says what its model is: ``record``, the record ``fullname``
    (a top-level record); ``root``, a root model holding a value of ``root``
    (a file whose schema is a primitive, array, map or union, named after the
    file); ``union``, a file whose schema is a union of records only: no model
    of its own, its values are instances of the records' models
    (``root.branches``, each a ``Ref``).
    """

    fullname: str
    """The full name of its ``Record``; for a ``root`` or ``union`` message, its
    file's path under ``schemas/messages`` without the suffix, dotted
    (``shop/order_events.avsc`` -> ``shop.order_events``)."""
    source: str
    """The schema file, relative to the service root."""
    py_name: str
    """The model class (``Trade``)."""
    constant: str
    """What the codec constants are named after: ``TRADE_AVRO``, ``TRADE_JSON``,
    ``TRADE_SCHEMA``."""
    example: str
    """The example function (``example_trade``)."""
    encoding: Literal["avro", "json"] = "avro"
    kind: MessageKind = "record"
    root: Type | None = None
    """The schema of a ``root`` or ``union`` message (None for a record)."""
    json: Literal["plain", "avro"] = "plain"
    """How its JSON codec writes it: ``plain`` JSON (wire names as keys), or
    Avro's own JSON encoding (union values wrapped as ``{"<branch>": value}``)
    when plain JSON could not tell some union's branches apart."""
    module: str = "models"
    """The generated module that defines the model class."""

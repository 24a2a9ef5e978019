"""Avro binary encoding of the named and complex types: fixed, enums,
arrays, maps, unions and records (see ``svcforge.avro_binary``, which
re-exports them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

from svcforge._avro_limits import take_items
from svcforge._avro_scalar import (
    Reader,
    Writer,
    read_length,
    read_long,
    read_string,
    write_length,
    write_long,
    write_string,
)

__all__ = [
    "array_reader",
    "array_writer",
    "enum_reader",
    "enum_writer",
    "fixed_reader",
    "fixed_writer",
    "map_reader",
    "map_writer",
    "model_builder",
    "optional_reader",
    "optional_writer",
    "union_reader",
    "union_writer",
]

T = TypeVar("T")
E = TypeVar("E", bound=Enum)
M = TypeVar("M", bound=BaseModel)


# -- named and complex types ---------------------------------------------------


def fixed_writer(size: int) -> Writer[bytes]:
    def write_fixed(out: bytearray, value: bytes) -> None:
        if len(value) != size:
            raise ValueError(f"fixed of {size} bytes, got {len(value)}")
        out += value

    return write_fixed


def fixed_reader(size: int) -> Reader[bytes]:
    def read_fixed(data: bytes, pos: int) -> tuple[bytes, int]:
        end = pos + size
        return data[pos:end], end

    return read_fixed


def enum_writer(*members: E) -> Writer[E]:
    """Writer of an Avro enum whose symbols are ``members``, in schema order.

    A ``str`` enum member is equal to (and hashes as) its symbol, so the plain
    symbol is accepted too."""
    index = {m: bytes(_encoded_long(i)) for i, m in enumerate(members)}

    def write_enum(out: bytearray, value: E) -> None:
        try:
            out += index[value]
        except KeyError:
            raise ValueError(f"{value!r} is not a symbol of the enum") from None

    return write_enum


def enum_reader(*members: E) -> Reader[E]:
    """Reader of an Avro enum whose symbols are ``members``, in schema order."""
    if len(members) <= 64:
        # The index takes one byte: look the byte itself up.
        by_byte = {i << 1: m for i, m in enumerate(members)}

        def read_small_enum(data: bytes, pos: int) -> tuple[E, int]:
            return by_byte[data[pos]], pos + 1

        return read_small_enum
    by_index = dict(enumerate(members))

    def read_enum(data: bytes, pos: int) -> tuple[E, int]:
        i, pos = read_long(data, pos)
        return by_index[i], pos

    return read_enum


def array_writer(item: Writer[T]) -> Writer[list[T]]:
    """One block holding every item, then the empty block that ends it."""

    def write_array(out: bytearray, value: list[T]) -> None:
        if value:
            write_length(out, len(value))
            for x in value:
                item(out, x)
        out.append(0)

    return write_array


def array_reader(item: Reader[T]) -> Reader[list[T]]:
    def read_array(data: bytes, pos: int) -> tuple[list[T], int]:
        items: list[T] = []
        append = items.append
        count, pos = read_long(data, pos)
        while count:
            if count < 0:
                # A negative count is followed by the block's size in bytes.
                count = -count
                _, pos = read_length(data, pos)
            take_items(count, len(items))
            for _ in range(count):
                x, pos = item(data, pos)
                append(x)
            count, pos = read_long(data, pos)
        return items, pos

    return read_array


def map_writer(value: Writer[T]) -> Writer[dict[str, T]]:
    def write_map(out: bytearray, entries: dict[str, T]) -> None:
        if entries:
            write_length(out, len(entries))
            for k, v in entries.items():
                write_string(out, k)
                value(out, v)
        out.append(0)

    return write_map


def map_reader(value: Reader[T]) -> Reader[dict[str, T]]:
    def read_map(data: bytes, pos: int) -> tuple[dict[str, T], int]:
        entries: dict[str, T] = {}
        count, pos = read_long(data, pos)
        while count:
            if count < 0:
                count = -count
                _, pos = read_length(data, pos)
            take_items(count, len(entries))
            for _ in range(count):
                k, pos = read_string(data, pos)
                entries[k], pos = value(data, pos)
            count, pos = read_long(data, pos)
        return entries, pos

    return read_map


def optional_writer(inner: Writer[T], null_index: int) -> Writer[T | None]:
    """Writer of a union of ``null`` (at ``null_index``, 0 or 1) and one
    other type."""
    null, other = (b"\x00", b"\x02") if null_index == 0 else (b"\x02", b"\x00")

    def write_optional(out: bytearray, value: T | None) -> None:
        if value is None:
            out += null
        else:
            out += other
            inner(out, value)

    return write_optional


def optional_reader(inner: Reader[T], null_index: int) -> Reader[T | None]:
    null, other = (0, 2) if null_index == 0 else (2, 0)

    def read_optional(data: bytes, pos: int) -> tuple[T | None, int]:
        b = data[pos]
        if b == null:
            return None, pos + 1
        if b == other:
            return inner(data, pos + 1)
        raise ValueError(f"union index byte {b} out of range")

    return read_optional


def union_writer(*branches: tuple[type[Any], Writer[Any]]) -> Writer[Any]:
    """Writer of a union, given the Python class the model holds for each
    branch, in schema order (the generator only asks for unions whose branches
    have distinct classes).  An instance of a subclass goes to the first
    branch it is an instance of."""
    table = [(cls, bytes(_encoded_long(i)), w) for i, (cls, w) in enumerate(branches)]
    by_class = {cls: (index, w) for cls, index, w in table}

    def write_union(out: bytearray, value: Any) -> None:
        entry = by_class.get(type(value))
        if entry is None:
            entry = next(
                ((index, w) for cls, index, w in table if isinstance(value, cls)),
                None,
            )
            if entry is None:
                raise ValueError(f"{type(value).__name__} is no branch of the union")
        out += entry[0]
        entry[1](out, value)

    return write_union


def union_reader(*branches: Reader[Any]) -> Reader[Any]:
    by_index = dict(enumerate(branches))

    def read_union(data: bytes, pos: int) -> tuple[Any, int]:
        i, pos = read_long(data, pos)
        return by_index[i](data, pos)

    return read_union


def _encoded_long(value: int) -> bytearray:
    out = bytearray()
    write_long(out, value)
    return out


# -- records -------------------------------------------------------------------

_set_attribute = object.__setattr__


def model_builder(model: type[M]) -> Callable[[dict[str, Any]], M]:
    """Turns the decoded fields of a record (by attribute name, with exactly
    the types and within the bounds the model declares) into a model.

    Readers already enforce every constraint the generated models declare, so
    for a plain model the instance is assembled as pydantic's
    ``model_construct`` does, without its per-field bookkeeping (all fields are
    present) and without validating twice.  A model with anything validation
    would run on top (validators, ``model_post_init``, private attributes,
    extra fields, a root model) is validated instead."""
    if not _is_plain(model):
        validate: Callable[[dict[str, Any]], M]
        validate = model.__pydantic_validator__.validate_python
        return validate
    fields_set = set(model.__pydantic_fields__)
    new = model.__new__

    def build(values: dict[str, Any]) -> M:
        m = new(model)
        _set_attribute(m, "__dict__", values)
        _set_attribute(m, "__pydantic_fields_set__", fields_set.copy())
        _set_attribute(m, "__pydantic_extra__", None)
        _set_attribute(m, "__pydantic_private__", None)
        return m

    return build


def _is_plain(model: type[BaseModel]) -> bool:
    decorators = model.__pydantic_decorators__
    return not (
        decorators.validators
        or decorators.field_validators
        or decorators.root_validators
        or decorators.model_validators
        or model.__pydantic_post_init__
        or model.__private_attributes__
        or model.__pydantic_root_model__
        or model.model_config.get("extra") == "allow"
        or any(model.model_config.get(k, v) != v for k, v in _PLAIN_CONFIG.items())
        or any(_has_validator(f.metadata) for f in model.__pydantic_fields__.values())
    )


# Settings under which validation would change or reject what a reader gives
# (their defaults, which the generated models keep).
_PLAIN_CONFIG: dict[str, object] = {
    "use_enum_values": False,
    "allow_inf_nan": True,
    "str_strip_whitespace": False,
    "str_to_lower": False,
    "str_to_upper": False,
    "str_min_length": 0,
    "str_max_length": None,
}


def _has_validator(metadata: Sequence[object]) -> bool:
    """Whether field metadata holds more than declarative constraints (an
    ``AfterValidator`` and the like), which only validation would run."""
    return any(type(m).__module__ == "pydantic.functional_validators" for m in metadata)

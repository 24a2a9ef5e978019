"""Avro binary encoding, one function per type, for the codecs svcforge generates.

A generated codec spells out each record as straight-line calls to these
functions, so that encoding and decoding skip fastavro's interpretation of the
schema at run time:

* a *writer* appends the encoding of one value to a ``bytearray``:
  ``write_x(out, value) -> None``;
* a *reader* decodes one value starting at ``pos`` and returns it with the
  position after it: ``read_x(data, pos) -> (value, pos)``.

Types with parameters (enums, fixed, decimals, arrays, maps, unions) get their
reader and writer from a factory, called once at import.

Readers give back the Python values the generated models hold (enum members,
``Decimal``, aware ``datetime`` for ``timestamp-*``...) and enforce what the
model's validation would: 32- and 64-bit ranges, decimal precision, fixed
sizes.  Malformed input raises ``IndexError`` (past the end), ``KeyError``
(bad enum or union index) or ``ValueError``/``OverflowError``; the codec turns
them into ``DecodeError``.  Lengths are never negative, so positions only move
forward and a payload cut short always ends past ``len(data)``: the codec's
final position check catches what no index error did.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from enum import Enum
from struct import Struct
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel

__all__ = [
    "Reader",
    "Writer",
    "array_reader",
    "array_writer",
    "decimal_reader",
    "decimal_writer",
    "enum_reader",
    "enum_writer",
    "fixed_decimal_reader",
    "fixed_decimal_writer",
    "fixed_reader",
    "fixed_writer",
    "map_reader",
    "map_writer",
    "model_builder",
    "optional_reader",
    "optional_writer",
    "read_boolean",
    "read_bytes",
    "read_date",
    "read_double",
    "read_float",
    "read_int",
    "read_local_timestamp_micros",
    "read_local_timestamp_millis",
    "read_long",
    "read_null",
    "read_string",
    "read_time_micros",
    "read_time_millis",
    "read_timestamp_micros",
    "read_timestamp_millis",
    "read_uuid",
    "union_reader",
    "union_writer",
    "write_boolean",
    "write_bytes",
    "write_date",
    "write_double",
    "write_float",
    "write_int",
    "write_local_timestamp_micros",
    "write_local_timestamp_millis",
    "write_long",
    "write_null",
    "write_string",
    "write_time_micros",
    "write_time_millis",
    "write_timestamp_micros",
    "write_timestamp_millis",
    "write_uuid",
]

T = TypeVar("T")
E = TypeVar("E", bound=Enum)
M = TypeVar("M", bound=BaseModel)

Reader = Callable[[bytes, int], tuple[T, int]]
"""Decodes one value at a position: ``(data, pos) -> (value, next pos)``."""
Writer = Callable[[bytearray, T], None]
"""Appends the encoding of one value: ``(out, value) -> None``."""

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MICRO = timedelta(microseconds=1)
_MILLI = timedelta(milliseconds=1)
_MILLIS_PER_DAY = 86_400_000
_MICROS_PER_DAY = 86_400_000_000
_FLOAT = Struct("<f")
_DOUBLE = Struct("<d")
# Decimals are built from their unscaled integer in a context that can hold
# any of them exactly: the thread's context (28 digits by default, and open to
# changes by the application) would round wider precisions.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


# -- varints -----------------------------------------------------------------


def write_long(out: bytearray, value: int) -> None:
    """Avro ``long`` (and ``int``): zig-zag, then 7 bits a byte, low first."""
    if -64 <= value < 64:
        out.append((value << 1) ^ (value >> 63))
        return
    z = (value << 1) ^ (value >> 63)
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)


write_int = write_long


def _write_length(out: bytearray, n: int) -> None:
    if n < 64:
        out.append(n << 1)
    else:
        write_long(out, n)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The zig-zag varint at ``pos``, of up to 10 bytes (callers check the
    range).  Unrolled: a loop costs a third more on the 8-byte varints of
    today's timestamps."""
    b = data[pos]
    n = b & 0x7F
    if b < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 1
    b = data[pos + 1]
    n |= (b & 0x7F) << 7
    if b < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 2
    b = data[pos + 2]
    n |= (b & 0x7F) << 14
    if b < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 3
    b = data[pos + 3]
    n |= (b & 0x7F) << 21
    if b < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 4
    b = data[pos + 4]
    n |= (b & 0x7F) << 28
    if b < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 5
    b = data[pos + 5]
    n |= (b & 0x7F) << 35
    if b < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 6
    b = data[pos + 6]
    n |= (b & 0x7F) << 42
    if b < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 7
    b = data[pos + 7]
    n |= (b & 0x7F) << 49
    if b < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 8
    b = data[pos + 8]
    n |= (b & 0x7F) << 56
    if b < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 9
    b = data[pos + 9]
    n |= (b & 0x7F) << 63
    if b < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 10
    raise ValueError("varint longer than 10 bytes")


def read_long(data: bytes, pos: int) -> tuple[int, int]:
    b = data[pos]
    if b < 0x80:
        return (b >> 1) ^ -(b & 1), pos + 1
    n, pos = _read_varint(data, pos)
    if not _LONG_MIN <= n <= _LONG_MAX:
        raise ValueError(f"long out of range: {n}")
    return n, pos


def read_int(data: bytes, pos: int) -> tuple[int, int]:
    b = data[pos]
    if b < 0x80:
        return (b >> 1) ^ -(b & 1), pos + 1
    n, pos = _read_varint(data, pos)
    if not _INT_MIN <= n <= _INT_MAX:
        raise ValueError(f"int out of range: {n}")
    return n, pos


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    b = data[pos]
    if b < 0x80:
        if b & 1:
            raise ValueError("negative length")
        return b >> 1, pos + 1
    n, pos = _read_varint(data, pos)
    if n < 0:
        raise ValueError(f"negative length: {n}")
    return n, pos


# -- primitives ----------------------------------------------------------------


def write_null(out: bytearray, value: None) -> None:
    """``null`` takes no bytes."""


def read_null(data: bytes, pos: int) -> tuple[None, int]:
    return None, pos


def write_boolean(out: bytearray, value: bool) -> None:
    out.append(1 if value else 0)


_BOOLEANS = {0: False, 1: True}


def read_boolean(data: bytes, pos: int) -> tuple[bool, int]:
    # Only 0 and 1 are booleans; any other byte is a KeyError.
    return _BOOLEANS[data[pos]], pos + 1


def write_float(out: bytearray, value: float) -> None:
    # A finite value beyond float32's range is an OverflowError, not infinity.
    out += _FLOAT.pack(value)


def read_float(data: bytes, pos: int) -> tuple[float, int]:
    return _FLOAT.unpack_from(data, pos)[0], pos + 4


def write_double(out: bytearray, value: float) -> None:
    out += _DOUBLE.pack(value)


def read_double(data: bytes, pos: int) -> tuple[float, int]:
    return _DOUBLE.unpack_from(data, pos)[0], pos + 8


def write_bytes(out: bytearray, value: bytes) -> None:
    _write_length(out, len(value))
    out += value


def read_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    n, pos = _read_length(data, pos)
    end = pos + n
    return data[pos:end], end


def write_string(out: bytearray, value: str) -> None:
    raw = value.encode()
    _write_length(out, len(raw))
    out += raw


def read_string(data: bytes, pos: int) -> tuple[str, int]:
    b = data[pos]
    if b < 0x80 and not b & 1:
        end = pos + 1 + (b >> 1)
        return data[pos + 1 : end].decode(), end
    n, pos = _read_length(data, pos)
    end = pos + n
    return data[pos:end].decode(), end


# -- logical types -------------------------------------------------------------


def write_uuid(out: bytearray, value: UUID) -> None:
    write_string(out, str(value))


def read_uuid(data: bytes, pos: int) -> tuple[UUID, int]:
    text, pos = read_string(data, pos)
    return UUID(text), pos


def write_date(out: bytearray, value: date) -> None:
    write_long(out, value.toordinal() - _EPOCH_ORDINAL)


def read_date(data: bytes, pos: int) -> tuple[date, int]:
    days, pos = read_int(data, pos)
    return date.fromordinal(days + _EPOCH_ORDINAL), pos


def _micros_of_day(value: time) -> int:
    return (
        (value.hour * 60 + value.minute) * 60 + value.second
    ) * 1_000_000 + value.microsecond


def _time_of_micros(micros: int) -> time:
    seconds, micro = divmod(micros, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return time(hour, minute, second, micro)


def write_time_millis(out: bytearray, value: time) -> None:
    write_long(out, _micros_of_day(value) // 1000)


def read_time_millis(data: bytes, pos: int) -> tuple[time, int]:
    millis, pos = read_int(data, pos)
    if not 0 <= millis < _MILLIS_PER_DAY:
        raise ValueError(f"time-millis out of range: {millis}")
    return _time_of_micros(millis * 1000), pos


def write_time_micros(out: bytearray, value: time) -> None:
    write_long(out, _micros_of_day(value))


def read_time_micros(data: bytes, pos: int) -> tuple[time, int]:
    micros, pos = read_long(data, pos)
    if not 0 <= micros < _MICROS_PER_DAY:
        raise ValueError(f"time-micros out of range: {micros}")
    return _time_of_micros(micros), pos


# Timestamps read any varint: the datetime arithmetic raises OverflowError
# outside years 1-9999, well inside the range of a long.


def write_timestamp_millis(out: bytearray, value: datetime) -> None:
    write_long(out, (value - _EPOCH) // _MILLI)


def read_timestamp_millis(data: bytes, pos: int) -> tuple[datetime, int]:
    n, pos = _read_varint(data, pos)
    return _EPOCH + _MILLI * n, pos


def write_timestamp_micros(out: bytearray, value: datetime) -> None:
    write_long(out, (value - _EPOCH) // _MICRO)


def read_timestamp_micros(data: bytes, pos: int) -> tuple[datetime, int]:
    n, pos = _read_varint(data, pos)
    return _EPOCH + _MICRO * n, pos


def write_local_timestamp_millis(out: bytearray, value: datetime) -> None:
    write_long(out, (value - _EPOCH_NAIVE) // _MILLI)


def read_local_timestamp_millis(data: bytes, pos: int) -> tuple[datetime, int]:
    n, pos = _read_varint(data, pos)
    return _EPOCH_NAIVE + _MILLI * n, pos


def write_local_timestamp_micros(out: bytearray, value: datetime) -> None:
    write_long(out, (value - _EPOCH_NAIVE) // _MICRO)


def read_local_timestamp_micros(data: bytes, pos: int) -> tuple[datetime, int]:
    n, pos = _read_varint(data, pos)
    return _EPOCH_NAIVE + _MICRO * n, pos


def _unscaled(value: Decimal, factor: int) -> int:
    """``value * factor`` (``10**scale``) exactly: a value with more decimal
    places than the scale is an error, never silently rounded."""
    num, den = value.as_integer_ratio()
    unscaled, rest = divmod(num * factor, den)
    if rest:
        raise ValueError(f"{value} has more decimal places than the schema's scale")
    return unscaled


def decimal_writer(precision: int, scale: int) -> Writer[Decimal]:
    """Writer of ``bytes`` with logical type ``decimal`` (two's complement,
    big-endian, as few bytes as the value needs)."""
    factor: int = 10**scale
    bound: int = 10**precision

    def write_decimal(out: bytearray, value: Decimal) -> None:
        n = _unscaled(value, factor)
        if not -bound < n < bound:
            raise ValueError(f"{value} is wider than {precision} digits")
        raw = n.to_bytes((n.bit_length() + 8) >> 3, "big", signed=True)
        _write_length(out, len(raw))
        out += raw

    return write_decimal


def decimal_reader(precision: int, scale: int) -> Reader[Decimal]:
    """Reader of ``bytes`` with logical type ``decimal``: the exponent is
    always ``-scale``, and more than ``precision`` digits is an error."""
    bound = 10**precision
    exponent = -scale

    def read_decimal(data: bytes, pos: int) -> tuple[Decimal, int]:
        b = data[pos]
        if b < 0x80 and not b & 1:
            pos += 1
            end = pos + (b >> 1)
        else:
            n, pos = _read_length(data, pos)
            end = pos + n
        unscaled = int.from_bytes(data[pos:end], "big", signed=True)
        if not -bound < unscaled < bound:
            raise ValueError(f"decimal wider than {precision} digits")
        return Decimal(unscaled).scaleb(exponent, _EXACT), end

    return read_decimal


def fixed_decimal_writer(size: int, precision: int, scale: int) -> Writer[Decimal]:
    """Writer of a ``fixed`` with logical type ``decimal`` (sign-extended to
    ``size`` bytes)."""
    factor: int = 10**scale
    bound: int = 10**precision

    def write_fixed_decimal(out: bytearray, value: Decimal) -> None:
        n = _unscaled(value, factor)
        if not -bound < n < bound:
            raise ValueError(f"{value} is wider than {precision} digits")
        out += n.to_bytes(size, "big", signed=True)

    return write_fixed_decimal


def fixed_decimal_reader(size: int, precision: int, scale: int) -> Reader[Decimal]:
    bound = 10**precision
    exponent = -scale

    def read_fixed_decimal(data: bytes, pos: int) -> tuple[Decimal, int]:
        end = pos + size
        unscaled = int.from_bytes(data[pos:end], "big", signed=True)
        if not -bound < unscaled < bound:
            raise ValueError(f"decimal wider than {precision} digits")
        return Decimal(unscaled).scaleb(exponent, _EXACT), end

    return read_fixed_decimal


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
            _write_length(out, len(value))
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
                _, pos = _read_length(data, pos)
            for _ in range(count):
                x, pos = item(data, pos)
                append(x)
            count, pos = read_long(data, pos)
        return items, pos

    return read_array


def map_writer(value: Writer[T]) -> Writer[dict[str, T]]:
    def write_map(out: bytearray, entries: dict[str, T]) -> None:
        if entries:
            _write_length(out, len(entries))
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
                _, pos = _read_length(data, pos)
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

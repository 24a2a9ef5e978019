"""Avro binary encoding of the primitive and logical types (see
``svcforge.avro_binary``, which re-exports them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from struct import Struct
from typing import TypeVar
from uuid import UUID, SafeUUID

__all__ = [
    "Reader",
    "Writer",
    "decimal_reader",
    "decimal_writer",
    "fixed_decimal_reader",
    "fixed_decimal_writer",
    "read_boolean",
    "read_bytes",
    "read_date",
    "read_double",
    "read_float",
    "read_int",
    "read_length",
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
    "write_boolean",
    "write_bytes",
    "write_date",
    "write_double",
    "write_float",
    "write_int",
    "write_length",
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


def write_length(out: bytearray, n: int) -> None:
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


def read_length(data: bytes, pos: int) -> tuple[int, int]:
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
    write_length(out, len(value))
    out += value


def read_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    n, pos = read_length(data, pos)
    end = pos + n
    return data[pos:end], end


def write_string(out: bytearray, value: str) -> None:
    raw = value.encode()
    write_length(out, len(raw))
    out += raw


def read_string(data: bytes, pos: int) -> tuple[str, int]:
    b = data[pos]
    if b < 0x80 and not b & 1:
        end = pos + 1 + (b >> 1)
        return data[pos + 1 : end].decode(), end
    n, pos = read_length(data, pos)
    end = pos + n
    return data[pos:end].decode(), end


# -- logical types -------------------------------------------------------------


def write_uuid(out: bytearray, value: UUID) -> None:
    write_string(out, str(value))


_new_object = object.__new__
_set_slot = object.__setattr__
_UNKNOWN_SAFETY = SafeUUID.unknown


def read_uuid(data: bytes, pos: int) -> tuple[UUID, int]:
    text, pos = read_string(data, pos)
    if len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-":
        # The canonical form, parsed as ``UUID(text)`` does (the same
        # ``int(hex, 16)``) without its search for other spellings: a third
        # of the cost, and uuids are in most messages.
        value = _new_object(UUID)
        _set_slot(value, "int", int(text.replace("-", ""), 16))
        _set_slot(value, "is_safe", _UNKNOWN_SAFETY)
        return value, pos
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
        write_length(out, len(raw))
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
            n, pos = read_length(data, pos)
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

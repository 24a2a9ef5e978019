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

Arrays and maps check each block's count against ``DecodeLimits`` before
reading any item (``set_decode_limits`` changes them, and so does the
``avro`` group of a service's settings, ``AvroSettings``): a payload cannot
announce more items than the limits allow, whatever their size.
"""

from svcforge._avro_complex import (
    array_reader,
    array_writer,
    enum_reader,
    enum_writer,
    fixed_reader,
    fixed_writer,
    map_reader,
    map_writer,
    model_builder,
    optional_reader,
    optional_writer,
    union_reader,
    union_writer,
)
from svcforge._avro_limits import (
    ITEM_COST,
    AvroSettings,
    DecodeLimits,
    LimitExceeded,
    decode_limits,
    set_decode_limits,
)
from svcforge._avro_scalar import (
    Reader,
    Writer,
    decimal_reader,
    decimal_writer,
    fixed_decimal_reader,
    fixed_decimal_writer,
    read_boolean,
    read_bytes,
    read_date,
    read_double,
    read_float,
    read_int,
    read_local_timestamp_micros,
    read_local_timestamp_millis,
    read_long,
    read_null,
    read_string,
    read_time_micros,
    read_time_millis,
    read_timestamp_micros,
    read_timestamp_millis,
    read_uuid,
    write_boolean,
    write_bytes,
    write_date,
    write_double,
    write_float,
    write_int,
    write_local_timestamp_micros,
    write_local_timestamp_millis,
    write_long,
    write_null,
    write_string,
    write_time_micros,
    write_time_millis,
    write_timestamp_micros,
    write_timestamp_millis,
    write_uuid,
)

__all__ = [
    "ITEM_COST",
    "AvroSettings",
    "DecodeLimits",
    "LimitExceeded",
    "Reader",
    "Writer",
    "array_reader",
    "array_writer",
    "decimal_reader",
    "decimal_writer",
    "decode_limits",
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
    "set_decode_limits",
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

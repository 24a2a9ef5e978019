"""Avro's own JSON encoding (Avro 1.11, "JSON Encoding"), for the messages that
plain JSON would write ambiguously.

Plain JSON writes a union's value as the value alone, so a string and an enum
symbol, or two records with the same fields, come out alike and decoding may
pick another branch.  Avro's JSON encoding wraps every non-null union value as
``{"<branch name>": value}`` (the full name of a named type, else the type's
name) and writes bytes and fixed as strings of code points 0-255; logical types
are written as their underlying type (a date as its day number).

``AvroJsonCodec`` works on top of the message's Avro codec: encoding writes the
Avro binary encoding with the generated writer, which picks each branch from
the value's class, then transcodes those bytes to JSON, walking the schema;
decoding transcodes JSON to Avro binary and reads it with the generated reader.
The branch is therefore never guessed, and both directions are exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel

from svcforge._codec import AvroCodec, DecodeError, JsonCodec
from svcforge.avro_binary import (
    read_boolean,
    read_bytes,
    read_double,
    read_float,
    read_int,
    read_long,
    read_string,
    write_boolean,
    write_bytes,
    write_double,
    write_float,
    write_long,
    write_string,
)

__all__ = ["AvroJsonCodec", "avro_json_transcoder"]

M = TypeVar("M", bound=BaseModel)

ToJson = Callable[[bytes, int], tuple[Any, int]]
"""Reads one Avro binary value at a position and returns its JSON value."""
FromJson = Callable[[bytearray, Any], None]
"""Appends the Avro binary encoding of one JSON value."""

_INT = (-(2**31), 2**31 - 1)
_LONG = (-(2**63), 2**63 - 1)


class AvroJsonError(ValueError):
    """A JSON value is not Avro's JSON encoding of a value of the schema."""


def _bad(expected: str, value: Any) -> AvroJsonError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return AvroJsonError(f"expected {expected}, found {shown}")


# --- primitives ---------------------------------------------------------------


def _read_null(data: bytes, pos: int) -> tuple[None, int]:
    return None, pos


def _write_null(out: bytearray, value: Any) -> None:
    if value is not None:
        raise _bad("null", value)


def _check_int(bounds: tuple[int, int], name: str) -> FromJson:
    lo, hi = bounds

    def write(out: bytearray, value: Any) -> None:
        if type(value) is not int or not lo <= value <= hi:
            raise _bad(f"an {name}", value)
        write_long(out, value)

    return write


def _check_real(write_real: Callable[[bytearray, float], None]) -> FromJson:
    def write(out: bytearray, value: Any) -> None:
        if type(value) not in (int, float):
            raise _bad("a number", value)
        write_real(out, float(value))

    return write


def _write_json_boolean(out: bytearray, value: Any) -> None:
    if type(value) is not bool:
        raise _bad("a boolean", value)
    write_boolean(out, value)


def _write_json_string(out: bytearray, value: Any) -> None:
    if type(value) is not str:
        raise _bad("a string", value)
    write_string(out, value)


def _latin1(value: Any) -> bytes:
    if type(value) is not str:
        raise _bad("a string of code points 0-255", value)
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        raise _bad("a string of code points 0-255", value) from None


def _read_json_bytes(data: bytes, pos: int) -> tuple[str, int]:
    raw, end = read_bytes(data, pos)
    if end > len(data):
        raise IndexError("bytes past the end")
    return raw.decode("latin-1"), end


def _write_json_bytes(out: bytearray, value: Any) -> None:
    write_bytes(out, _latin1(value))


_PRIMITIVES: dict[str, tuple[ToJson, FromJson]] = {
    "null": (_read_null, _write_null),
    "boolean": (read_boolean, _write_json_boolean),
    "int": (read_int, _check_int(_INT, "int")),
    "long": (read_long, _check_int(_LONG, "long")),
    "float": (read_float, _check_real(write_float)),
    "double": (read_double, _check_real(write_double)),
    "bytes": (_read_json_bytes, _write_json_bytes),
    "string": (read_string, _write_json_string),
}


# --- the schema, compiled -----------------------------------------------------


class _Compiler:
    """Turns a schema into a transcoder pair, named types once each (a record
    may refer to itself: references look the pair up when they run)."""

    def __init__(self) -> None:
        self.named: dict[str, tuple[ToJson, FromJson]] = {}

    def compile(self, node: Any, namespace: str) -> tuple[ToJson, FromJson]:
        if isinstance(node, str):
            return self.reference(node, namespace)
        if isinstance(node, list):
            return self.union(node, namespace)
        kind = node["type"]
        if isinstance(kind, dict | list):
            return self.compile(kind, namespace)
        if kind in ("record", "error", "enum", "fixed"):
            return self.define(node, namespace)
        if kind == "array":
            return _array(self.compile(node["items"], namespace))
        if kind == "map":
            return _map(self.compile(node["values"], namespace))
        return self.reference(kind, namespace)

    def reference(self, name: str, namespace: str) -> tuple[ToJson, FromJson]:
        if name in _PRIMITIVES:
            return _PRIMITIVES[name]
        full = name if "." in name or not namespace else f"{namespace}.{name}"
        if full not in self.named and name in self.named:
            full = name
        named = self.named

        def read(data: bytes, pos: int) -> tuple[Any, int]:
            return named[full][0](data, pos)

        def write(out: bytearray, value: Any) -> None:
            named[full][1](out, value)

        return read, write

    def define(self, node: dict[str, Any], namespace: str) -> tuple[ToJson, FromJson]:
        full = fullname(node, namespace)
        inner = full.rpartition(".")[0]
        # Registered before the fields are compiled, for self-references.
        self.named[full] = self.reference(full, "")
        kind = node["type"]
        if kind == "enum":
            pair = _enum(node["symbols"])
        elif kind == "fixed":
            pair = _fixed(node["size"])
        else:
            pair = self.record(node, inner)
        self.named[full] = pair
        return pair

    def record(self, node: dict[str, Any], namespace: str) -> tuple[ToJson, FromJson]:
        fields = []
        for f in node["fields"]:
            read, write = self.compile(f["type"], namespace)
            default = None
            if "default" in f:
                default = self.default_writer(f["type"], f["default"], namespace)
            fields.append(_Field(f["name"], read, write, default))
        return _record(fields)

    def default_writer(
        self, schema: Any, default: Any, namespace: str
    ) -> Callable[[bytearray], None]:
        """Writes a field's default, for a field the JSON object leaves out (a
        union's default is a value of its first branch, unwrapped)."""
        if isinstance(schema, list):
            first = self.compile(schema[0], namespace)[1]

            def write_first(out: bytearray) -> None:
                out.append(0)  # branch 0
                first(out, default)

            return write_first
        write = self.compile(schema, namespace)[1]
        return lambda out: write(out, default)

    def union(self, branches: list[Any], namespace: str) -> tuple[ToJson, FromJson]:
        names = [branch_name(b, namespace) for b in branches]
        pairs = [self.compile(b, namespace) for b in branches]
        return _union(names, pairs)


def fullname(node: Mapping[str, Any], namespace: str) -> str:
    name = str(node["name"])
    if "." in name:
        return name
    ns = node.get("namespace", namespace) or ""
    return f"{ns}.{name}" if ns else name


def branch_name(node: Any, namespace: str) -> str:
    """How Avro's JSON encoding names a union branch: a named type by its full
    name, any other type by its type name (logical types by the underlying)."""
    if isinstance(node, str):
        if node in _PRIMITIVES or "." in node or not namespace:
            return node
        return f"{namespace}.{node}"
    kind = node["type"]
    if isinstance(kind, dict | list):
        return branch_name(kind, namespace)
    if kind in ("record", "error", "enum", "fixed"):
        return fullname(node, namespace)
    if kind in ("array", "map") or kind in _PRIMITIVES:
        return str(kind)
    return branch_name(kind, namespace)


class _Field(NamedTuple):
    name: str
    read: ToJson
    write: FromJson
    default: Callable[[bytearray], None] | None


def _record(fields: list[_Field]) -> tuple[ToJson, FromJson]:
    def read(data: bytes, pos: int) -> tuple[dict[str, Any], int]:
        obj: dict[str, Any] = {}
        for f in fields:
            obj[f.name], pos = f.read(data, pos)
        return obj, pos

    def write(out: bytearray, value: Any) -> None:
        if type(value) is not dict:
            raise _bad("a JSON object", value)
        for f in fields:
            if f.name in value:
                try:
                    f.write(out, value[f.name])
                except AvroJsonError as exc:
                    raise AvroJsonError(f"{f.name}: {exc}") from None
            elif f.default is not None:
                f.default(out)
            else:
                raise AvroJsonError(f"missing field {f.name!r}")

    return read, write


def _enum(symbols: list[str]) -> tuple[ToJson, FromJson]:
    index = {s: i for i, s in enumerate(symbols)}

    def read(data: bytes, pos: int) -> tuple[str, int]:
        i, pos = read_long(data, pos)
        if not 0 <= i < len(symbols):
            raise KeyError(f"enum index {i}")
        return symbols[i], pos

    def write(out: bytearray, value: Any) -> None:
        if type(value) is not str or value not in index:
            raise _bad(f"one of {', '.join(symbols)}", value)
        write_long(out, index[value])

    return read, write


def _fixed(size: int) -> tuple[ToJson, FromJson]:
    def read(data: bytes, pos: int) -> tuple[str, int]:
        end = pos + size
        if end > len(data):
            raise IndexError("fixed past the end")
        return data[pos:end].decode("latin-1"), end

    def write(out: bytearray, value: Any) -> None:
        raw = _latin1(value)
        if len(raw) != size:
            raise _bad(f"a string of {size} code points 0-255", value)
        out += raw

    return read, write


def _blocks(data: bytes, pos: int) -> tuple[int, int]:
    """The item count of the next block (0 at the end) and the position of
    its first item."""
    count, pos = read_long(data, pos)
    if count < 0:
        count = -count
        _, pos = read_long(data, pos)  # the block's size in bytes
    if count > len(data):
        # Every item takes a byte at least, nulls aside: no real payload has
        # more items than bytes, and a forged count must not make us loop.
        raise ValueError(f"block of {count} items in {len(data)} bytes")
    return count, pos


def _array(item: tuple[ToJson, FromJson]) -> tuple[ToJson, FromJson]:
    read_item, write_item = item

    def read(data: bytes, pos: int) -> tuple[list[Any], int]:
        items: list[Any] = []
        count, pos = _blocks(data, pos)
        while count:
            for _ in range(count):
                value, pos = read_item(data, pos)
                items.append(value)
            count, pos = _blocks(data, pos)
        return items, pos

    def write(out: bytearray, value: Any) -> None:
        if type(value) is not list:
            raise _bad("a JSON array", value)
        if value:
            write_long(out, len(value))
            for v in value:
                write_item(out, v)
        out.append(0)

    return read, write


def _map(values: tuple[ToJson, FromJson]) -> tuple[ToJson, FromJson]:
    read_value, write_value = values

    def read(data: bytes, pos: int) -> tuple[dict[str, Any], int]:
        entries: dict[str, Any] = {}
        count, pos = _blocks(data, pos)
        while count:
            for _ in range(count):
                key, pos = read_string(data, pos)
                entries[key], pos = read_value(data, pos)
            count, pos = _blocks(data, pos)
        return entries, pos

    def write(out: bytearray, value: Any) -> None:
        if type(value) is not dict:
            raise _bad("a JSON object", value)
        if value:
            write_long(out, len(value))
            for k, v in value.items():
                write_string(out, k)
                write_value(out, v)
        out.append(0)

    return read, write


def _union(
    names: list[str], pairs: list[tuple[ToJson, FromJson]]
) -> tuple[ToJson, FromJson]:
    null = names.index("null") if "null" in names else None
    by_name = {
        name: (i, pair[1])
        for i, (name, pair) in enumerate(zip(names, pairs, strict=True))
    }

    def read(data: bytes, pos: int) -> tuple[Any, int]:
        i, pos = read_long(data, pos)
        if not 0 <= i < len(pairs):
            raise KeyError(f"union index {i}")
        if i == null:
            return None, pos
        value, pos = pairs[i][0](data, pos)
        return {names[i]: value}, pos

    def write(out: bytearray, value: Any) -> None:
        if value is None and null is not None:
            write_long(out, null)
            return
        if type(value) is not dict or len(value) != 1:
            raise _bad(f"null or an object naming one of {', '.join(names)}", value)
        ((name, inner),) = value.items()
        entry = by_name.get(name)
        if entry is None or entry[0] == null:
            raise _bad(f"one of {', '.join(names)}", name)
        write_long(out, entry[0])
        entry[1](out, inner)

    return read, write


def avro_json_transcoder(schema: Any) -> tuple[ToJson, FromJson]:
    """Transcoders between the Avro binary encoding and Avro's JSON encoding of
    values of ``schema`` (parsed JSON, self-contained)."""
    return _Compiler().compile(schema, "")


# --- the codec ----------------------------------------------------------------


class AvroJsonCodec(JsonCodec[M]):
    """JSON codec writing Avro's JSON encoding, on top of a message's Avro
    codec (whose generated reader and writer do the typing)."""

    __slots__ = ("_avro", "_from_json", "_to_json")

    def __init__(self, avro: AvroCodec[M]) -> None:
        super().__init__(avro.model)
        self._avro = avro
        self._to_json, self._from_json = avro_json_transcoder(avro.schema)

    def encode(self, message: M) -> bytes:
        payload = self._avro.encode_payload(message)
        value, _ = self._to_json(payload, 0)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

    def decode(self, data: bytes | bytearray | str) -> M:
        name = self.model.__name__
        try:
            value = json.loads(data)
            out = bytearray()
            self._from_json(out, value)
        except (ValueError, RecursionError) as exc:
            raise DecodeError(f"bad {name} JSON: {exc}") from exc
        return self._avro.decode_payload(bytes(out))

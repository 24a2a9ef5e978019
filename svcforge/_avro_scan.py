"""A pass over an Avro payload in a writer schema that fastavro will decode
(schema resolution): it reads only lengths and counts, so that the decoding
limits (``svcforge._avro_limits``) hold before fastavro builds anything."""

from __future__ import annotations

from typing import Any

from svcforge._avro_limits import take_items
from svcforge._avro_scalar import read_length, read_long

__all__ = ["scan"]

_FIXED_SIZE = {"null": 0, "boolean": 1, "float": 4, "double": 8}
_VARINT = frozenset({"int", "long"})
_SIZED = frozenset({"bytes", "string"})


def scan(schema: Any, data: bytes | bytearray | memoryview, pos: int) -> int:
    """Walk the value of ``schema`` (as ``fastavro.parse_schema`` gives it)
    at ``pos``; return the position after it.  Raises what the readers raise
    on malformed input, and ``LimitExceeded`` past a limit."""
    named = schema.get("__named_schemas", {}) if isinstance(schema, dict) else {}
    return _Scanner(bytes(data), named).value(schema, pos)


class _Scanner:
    __slots__ = ("data", "named")

    def __init__(self, data: bytes, named: dict[str, Any]) -> None:
        self.data = data
        self.named = named

    def value(self, schema: Any, pos: int) -> int:
        if isinstance(schema, list):
            branch, pos = read_long(self.data, pos)
            return self.value(schema[branch], pos)
        if isinstance(schema, str):
            return self.primitive(schema, pos)
        kind = schema["type"]
        if kind == "record":
            for f in schema["fields"]:
                pos = self.value(f["type"], pos)
            return pos
        if kind == "array":
            return self.blocks(schema["items"], pos, keyed=False)
        if kind == "map":
            return self.blocks(schema["values"], pos, keyed=True)
        if kind == "fixed":
            return self.advance(pos, int(schema["size"]))
        if kind == "enum":
            return read_long(self.data, pos)[1]
        return self.value(kind, pos)

    def primitive(self, name: str, pos: int) -> int:
        size = _FIXED_SIZE.get(name)
        if size is not None:
            return self.advance(pos, size)
        if name in _VARINT:
            return read_long(self.data, pos)[1]
        if name in _SIZED:
            n, pos = read_length(self.data, pos)
            return self.advance(pos, n)
        return self.value(self.named[name], pos)

    def blocks(self, items: Any, pos: int, *, keyed: bool) -> int:
        held = 0
        count, pos = read_long(self.data, pos)
        while count:
            if count < 0:
                count = -count
                _, pos = read_length(self.data, pos)
            take_items(count, held)
            held += count
            for _ in range(count):
                if keyed:
                    pos = self.primitive("string", pos)
                pos = self.value(items, pos)
            count, pos = read_long(self.data, pos)
        return pos

    def advance(self, pos: int, size: int) -> int:
        end = pos + size
        if end > len(self.data):
            raise IndexError("payload cut short")
        return end

"""Wire framings that identify the writer schema of an Avro payload.

Two well-defined specs exist and a channel picks one:

* Avro single-object encoding (``C3 01`` + 8-byte little-endian CRC-64-AVRO
  fingerprint of the schema's Parsing Canonical Form).  Needs no registry: the
  fingerprint is computed from the schema itself, so producer and consumer agree
  without any shared service.  This is svcforge's default.
* Confluent wire format (``00`` + 4-byte big-endian schema id).  What consumers
  built on a Confluent-compatible schema registry expect; the id comes from the
  registry, so the caller supplies it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

__all__ = [
    "SINGLE_OBJECT_MAGIC",
    "ConfluentFraming",
    "Framing",
    "FramingError",
    "SingleObjectFraming",
    "crc64_avro",
]

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
_EMPTY = 0xC15D213AA4D7A795


def _table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        fp = byte
        for _ in range(8):
            fp = (fp >> 1) ^ (_EMPTY & -(fp & 1))
        table.append(fp)
    return tuple(table)


_TABLE = _table()


def crc64_avro(data: bytes) -> bytes:
    """CRC-64-AVRO (Rabin) fingerprint of ``data``, as the 8 little-endian bytes
    the Avro specification writes on the wire."""
    fp = _EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ byte) & 0xFF]
    return fp.to_bytes(8, "little")


class FramingError(ValueError):
    """The bytes do not carry the framing, or name another writer schema."""


class Framing(ABC):
    """How a codec marks the writer schema in front of the Avro payload: a
    framing names its ``magic`` prefix, the ``key`` that identifies the
    schema, and its ``name`` for errors."""

    __slots__ = ("header",)

    header: bytes

    def schema_key(self, data: bytes) -> bytes:
        """The schema identification bytes of a framed message."""
        size = len(self.header)
        start = size - len(self.key)
        if data[:start] != self.magic:
            raise FramingError(
                f"not {self.name}: expected prefix {self.magic.hex()}, "
                f"got {bytes(data[:start]).hex() or 'nothing'}"
            )
        if len(data) < size:
            raise FramingError(f"truncated {self.name} header: {bytes(data).hex()}")
        return bytes(data[start:size])

    @property
    @abstractmethod
    def magic(self) -> bytes: ...

    @property
    @abstractmethod
    def key(self) -> bytes: ...

    @property
    @abstractmethod
    def name(self) -> str: ...


class SingleObjectFraming(Framing):
    """Avro single-object encoding: ``C3 01`` + CRC-64-AVRO fingerprint."""

    __slots__ = ("_fingerprint",)

    def __init__(self, fingerprint: bytes) -> None:
        if len(fingerprint) != 8:
            raise ValueError("a CRC-64-AVRO fingerprint has 8 bytes")
        self._fingerprint = fingerprint
        self.header = SINGLE_OBJECT_MAGIC + fingerprint

    @property
    def magic(self) -> bytes:
        return SINGLE_OBJECT_MAGIC

    @property
    def key(self) -> bytes:
        return self._fingerprint

    @property
    def name(self) -> str:
        return "Avro single-object encoding"


class ConfluentFraming(Framing):
    """Confluent wire format: ``00`` + 4-byte big-endian registry schema id."""

    __slots__ = ("schema_id",)

    def __init__(self, schema_id: int) -> None:
        if not 0 <= schema_id < 2**31:
            raise ValueError(f"schema id out of range: {schema_id}")
        self.schema_id = schema_id
        self.header = b"\x00" + schema_id.to_bytes(4, "big")

    @property
    def magic(self) -> bytes:
        return b"\x00"

    @property
    def key(self) -> bytes:
        return self.schema_id.to_bytes(4, "big")

    @property
    def name(self) -> str:
        return "Confluent wire format"

"""Avro binary readers and writers of the logical types Avro 1.12 added on
top of ``svcforge.avro_binary``'s: ``uuid`` on a ``fixed`` of 16 bytes (the
UUID's 16 bytes, big-endian, as RFC 4122 lays them out)."""

from __future__ import annotations

from uuid import UUID

__all__ = ["read_fixed_uuid", "write_fixed_uuid"]


def write_fixed_uuid(out: bytearray, value: UUID) -> None:
    out += value.bytes


def read_fixed_uuid(data: bytes, pos: int) -> tuple[UUID, int]:
    end = pos + 16
    raw = data[pos:end]
    if len(raw) != 16:
        raise IndexError("uuid past the end")
    return UUID(bytes=raw), end

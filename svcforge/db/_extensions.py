"""Binary codecs for the extension types citext, hstore, ltree and vector.

asyncpg exchanges a type it has no codec for as text, which COPY (binary
only) cannot carry, so ``register_codecs`` sets these wherever the types are
installed.  pgvector's ``vector`` decodes to ``list[float]``, ``hstore`` to
``dict[str, str | None]``, the others to ``str``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["EXTENSION_CODECS", "missing_extensions"]


async def _citext(conn: Any, schema: str) -> None:
    # citext's binary format is text's.
    await conn.set_builtin_type_codec("citext", schema=schema, codec_name="text")


async def _hstore(conn: Any, schema: str) -> None:
    await conn.set_builtin_type_codec(
        "hstore", schema=schema, codec_name="pg_contrib.hstore"
    )


async def _ltree(conn: Any, schema: str) -> None:
    await conn.set_type_codec(
        "ltree",
        encoder=_versioned_text,
        decoder=_unversioned_text,
        schema=schema,
        format="binary",
    )


async def _vector(conn: Any, schema: str) -> None:
    await conn.set_type_codec(
        "vector",
        encoder=_vector_bytes,
        decoder=_vector_floats,
        schema=schema,
        format="binary",
    )


def _versioned_text(value: str) -> bytes:
    return b"\x01" + value.encode()  # ltree's binary format: version 1, text


def _unversioned_text(data: bytes) -> str:
    return data[1:].decode()


def _vector_bytes(value: Sequence[float]) -> bytes:
    # pgvector's binary format: dimensions, an unused int16, then float4s.
    return struct.pack(f">HH{len(value)}f", len(value), 0, *value)


def _vector_floats(data: bytes) -> list[float]:
    (dims,) = struct.unpack_from(">H", data)
    return list(struct.unpack_from(f">{dims}f", data, 4))


EXTENSION_CODECS: dict[str, Callable[[Any, str], Any]] = {
    "citext": _citext,
    "hstore": _hstore,
    "ltree": _ltree,
    "vector": _vector,
}


async def missing_extensions(dsn: str, names: Sequence[str]) -> list[str]:
    """The extensions among ``names`` that the server at ``dsn`` cannot
    create (not installed there): generated tests skip on them."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT name FROM pg_catalog.pg_available_extensions "
            "WHERE name = ANY($1::text[])",
            list(names),
        )
    finally:
        await conn.close()
    available = {r[0] for r in rows}
    return [n for n in names if n not in available]

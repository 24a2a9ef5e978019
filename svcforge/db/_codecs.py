"""The codecs every connection of a ``Database`` gets: json/jsonb as Python
values, the extension types svcforge knows (``_extensions``), and the
service's enum and composite types as their ``StrEnum`` and ``NamedTuple``
classes."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Sequence
from typing import Any

from svcforge.db._extensions import EXTENSION_CODECS
from svcforge.db._types import CompositeType, EnumType

__all__ = ["register_codecs"]


async def register_codecs(
    conn: Any, enums: Sequence[EnumType | CompositeType] = ()
) -> None:
    """json/jsonb as Python values, the extension types citext, hstore,
    ltree and vector where they are installed, and the service's enum and
    composite types as their ``StrEnum`` and ``NamedTuple`` classes.  Types
    that do not exist yet (migrations not applied) are skipped;
    ``Database.migrate`` reconnects afterwards."""
    # Binary format, so that COPY (binary only) carries json values too.
    await conn.set_type_codec(
        "json",
        encoder=_json_bytes,
        decoder=json.loads,
        schema="pg_catalog",
        format="binary",
    )
    await conn.set_type_codec(
        "jsonb",
        encoder=_jsonb_bytes,
        decoder=_jsonb_loads,
        schema="pg_catalog",
        format="binary",
    )
    rows = await conn.fetch(
        "SELECT n.nspname, t.typname, t.typtype = 'b' FROM pg_catalog.pg_type t "
        "JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
        "WHERE t.typtype IN ('e', 'c') OR t.typname = ANY($1::text[])",
        list(EXTENSION_CODECS),
    )
    present = {(r[0], r[1]) for r in rows}
    for schema, name, base in rows:
        if base and name in EXTENSION_CODECS:
            await EXTENSION_CODECS[name](conn, schema)
    for e in enums:
        if (e.schema, e.name) in present:
            await _register(conn, e)


async def _register(conn: Any, e: EnumType | CompositeType) -> None:
    if isinstance(e, CompositeType):
        await conn.set_type_codec(
            e.name,
            encoder=tuple,
            decoder=_composite_decoder(e.python),
            schema=e.schema,
            format="tuple",
        )
    else:
        # An enum's binary format is its label in UTF-8 (COPY needs binary).
        await conn.set_type_codec(
            e.name,
            encoder=_label_bytes,
            decoder=_enum_decoder(e.python),
            schema=e.schema,
            format="binary",
        )


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _jsonb_bytes(value: object) -> bytes:
    return b"\x01" + _json_bytes(value)  # jsonb's binary format: version 1, text


def _jsonb_loads(data: bytes) -> Any:
    return json.loads(data[1:])


def _label_bytes(value: object) -> bytes:
    return str(value).encode()


def _enum_decoder(python: type[enum.StrEnum]) -> Callable[[bytes], enum.StrEnum]:
    def decode(data: bytes) -> enum.StrEnum:
        return python(data.decode())

    return decode


def _composite_decoder(python: type[tuple[Any, ...]]) -> Callable[[Any], Any]:
    def decode(values: Any) -> Any:
        return python(*values)

    return decode

"""Constrained types the generated models use for Avro's sized primitives."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
)

__all__ = [
    "EmailStr",
    "Int32",
    "Int64",
    "JsonSchemaModel",
    "SchemaModel",
    "SchemaRootModel",
    "UniqueList",
]

Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
"""Avro ``int``: a signed 32-bit integer."""

Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
"""Avro ``long``: a signed 64-bit integer."""

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H16 = "[0-9A-Fa-f]{1,4}"
_LS32 = rf"(?:{_H16}:{_H16}|{_IPV4})"
_IPV6 = "|".join(  # RFC 3986's IPv6address, one form per line
    (
        rf"(?:{_H16}:){{6}}{_LS32}",
        rf"::(?:{_H16}:){{5}}{_LS32}",
        rf"(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,1}}{_H16})?::(?:{_H16}:){{3}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
        rf"(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}",
        rf"(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}",
        rf"(?:(?:{_H16}:){{0,6}}{_H16})?::",
    )
)
# RFC 5321's Mailbox, with RFC 6531's UTF-8 (any non-ASCII character) in the
# local part and the domain's labels.  Only the IPv4 and IPv6 address
# literals: no other standardized tag is registered.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]|[^\x00-\x7f]"
_LABEL = r"(?:[A-Za-z0-9]|[^\x00-\x7f])(?:(?:[A-Za-z0-9-]|[^\x00-\x7f]){0,61}(?:[A-Za-z0-9]|[^\x00-\x7f]))?"
_LOCAL = (
    rf"(?:{_ATEXT})+(?:\.(?:{_ATEXT})+)*"
    r'|"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|[^\x00-\x7f]|\\[\x20-\x7e])*"'
)
EMAIL_PATTERN = (
    rf"^(?:{_LOCAL})@(?:{_LABEL}(?:\.{_LABEL})*"
    rf"|\[(?:{_IPV4}|IPv6:(?:{_IPV6}))\])$"
)
"""JSON Schema's ``email`` and ``idn-email`` formats, as one regular
expression (pydantic-core runs it in Rust)."""

EmailStr = Annotated[str, StringConstraints(pattern=EMAIL_PATTERN)]
"""JSON Schema ``format: email`` (and ``idn-email``): the address as written,
checked for RFC 5321/6531 mailbox syntax.  Never normalised, so that JSON
round trips are exact, and cheap: pydantic's ``EmailStr`` (email-validator)
rewrites what it accepts ("Ada <ada@example.com>", surrounding spaces) and
costs more than the rest of a typical message's decoding."""


class SchemaModel(BaseModel):
    """Base of every generated message model.

    Attributes use Python-safe names; the wire names are aliases, used when
    serialising and accepted (like the attribute names) when validating.  Bytes
    travel as base64 in JSON, and NaN/Infinity as JSON constants, so that JSON
    round trips are exact.
    """

    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
        ser_json_inf_nan="constants",
    )


class JsonSchemaModel(SchemaModel):
    """Base of the models generated from JSON Schema: properties the schema
    does not declare are kept (JSON Schema allows them unless
    ``additionalProperties`` is ``false``, and the model then forbids them),
    so that decoding and encoding again loses nothing."""

    model_config = ConfigDict(extra="allow")


T = TypeVar("T")


class SchemaRootModel(RootModel[T]):
    """Base of the model of a message that is no record (a primitive, array,
    map or union schema): its value is ``root``.  JSON as ``SchemaModel``."""

    model_config = ConfigDict(
        ser_json_bytes="base64",
        val_json_bytes="base64",
        ser_json_inf_nan="constants",
    )


def _unique(items: list[T]) -> list[T]:
    seen: list[T] = []
    for item in items:
        if item in seen:
            raise ValueError(f"items must be unique, {item!r} is repeated")
        seen.append(item)
    return items


UniqueList = Annotated[list[T], AfterValidator(_unique)]
"""JSON Schema ``uniqueItems``: a list whose items differ.  A list rather than a
set keeps the order the producer wrote, so encoding is deterministic."""

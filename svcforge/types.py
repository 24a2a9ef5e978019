"""Constrained types the generated models use for Avro's sized primitives."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel

__all__ = [
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

"""What the generated model of a schema can express, and what only the exact
validator can.

``reasons`` names, for one (normalised) schema node, the keywords whose
meaning the model cannot hold (``keywords.EXACT``, and the forms of
``keywords.EXACT_WHEN``).  ``loosened`` is the node as datamodel-code-generator
gets it: those keywords taken out, or widened, so that the model accepts a
superset of what the schema accepts and never refuses a valid instance.  A
message whose reachable schemas have any reason gets the exact validator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic import ValidationError
from pydantic_core import SchemaError, SchemaValidator, core_schema

from generator.frontends.jsonschema.keywords import EXACT

# Keywords the models never see: the exact validator's, and identifiers that
# the bundle made useless (every $ref points inside it).
_DROPPED = frozenset(
    {
        *EXACT,
        "$id",
        "$schema",
        "$anchor",
        "$dynamicAnchor",
        "$recursiveAnchor",
        "$vocabulary",
        "$comment",
    }
)
_SCALARS = ("string", "integer", "number", "boolean")
# Escapes whose Unicode reading (the model's regular expressions) is no
# superset of ECMA-262's ASCII one; patterns with them stay out of the model.
_NARROWER = re.compile(r"\\[DWSbB]")
_WIDER = re.compile(r"\\[dws]|\\p|\(\?[=!<]")


_ASSERTING = frozenset(
    {
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "items",
        "additionalProperties",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "allOf",
        "anyOf",
        "oneOf",
        "format",
        *EXACT,
    }
)


@cache
def model_pattern(pattern: str) -> str:
    """``"typed"`` when the model enforces ``pattern`` as the schema does,
    ``"wider"`` when the model's reading accepts more (the exact validator
    completes it), ``""`` when the model cannot hold it at all."""
    if _NARROWER.search(pattern):
        return ""
    try:
        validator = SchemaValidator(core_schema.str_schema(pattern=pattern))
        validator.validate_python("")
    except SchemaError:
        return ""
    except ValidationError:
        pass
    return "wider" if _WIDER.search(pattern) else "typed"


def reasons(node: Any) -> set[str]:
    """The keywords of one schema node that only the exact validator
    enforces (its subschemas are other nodes)."""
    if node is False:
        return {"false"}
    if not isinstance(node, dict):
        return set()
    out = {k for k in node if k in EXACT}
    return out | {k for k, holds in _FORMS.items() if holds(node)}


def _union_beside_properties(node: dict[str, Any]) -> bool:
    return isinstance(node.get("properties"), dict) and (
        "oneOf" in node or "anyOf" in node
    )


def _union_in_class(node: dict[str, Any]) -> bool:
    """An ``allOf`` part of a class that is a union (left to the validator)."""
    parts = node.get("allOf")
    return (
        isinstance(node.get("properties"), dict) or node.get("type") == "object"
    ) and any(
        isinstance(p, dict) and ("oneOf" in p or "anyOf" in p) and "properties" not in p
        for p in (parts if isinstance(parts, list) else [])
    )


def _one_of(node: dict[str, Any]) -> bool:
    return isinstance(node.get("oneOf"), list) and not isinstance(
        node.get("discriminator"), dict
    )


def _extra_schema(node: dict[str, Any]) -> bool:
    extra = node.get("additionalProperties")
    return isinstance(node.get("properties"), dict) and isinstance(extra, dict)


_TYPE_BOUND = frozenset(
    {
        "additionalProperties",
        "patternProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    }
)
_TYPE_GIVERS = (
    "type",
    "enum",
    "const",
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
    "properties",
)


def _untyped(node: dict[str, Any]) -> bool:
    """Keywords that apply to one type only, in a schema that says no type:
    the model drops them (any value), the schema checks that type's values."""
    return not any(k in node for k in _TYPE_GIVERS) and bool(_TYPE_BOUND & set(node))


def _wide_pattern(node: dict[str, Any]) -> bool:
    pattern = node.get("pattern")
    return isinstance(pattern, str) and model_pattern(pattern) != "typed"


_FORMS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "type": _untyped,
    "oneOf": _one_of,
    "anyOf": lambda n: (
        (_union_beside_properties(n) and "anyOf" in n) or _union_in_class(n)
    ),
    "patternProperties": lambda n: (
        "patternProperties" in n and _pattern_properties(n) != "typed"
    ),
    "additionalProperties": _extra_schema,
    "uniqueItems": lambda n: (
        n.get("uniqueItems") is True and not _scalar_items(n.get("items"))
    ),
    "enum": lambda n: "enum" in n and not _plain_values(n["enum"]),
    "const": lambda n: "const" in n and not _plain_values([n["const"]]),
    "required": lambda n: _unknown_required(n),
    "pattern": _wide_pattern,
    "$ref": lambda n: (
        "$ref" in n and bool(set(n) - {"$ref", "$dynamicRef"} & _ASSERTING)
    ),
    "prefixItems": lambda n: "prefixItems" in n and not closed_tuple(n),
}
"""The keywords of ``keywords.EXACT_WHEN``: whether a node uses one in a
form the model cannot hold."""


def loosened(node: dict[str, Any]) -> dict[str, Any]:
    """A copy of one schema node for datamodel-code-generator: what the model
    would enforce wrongly taken out (subschemas are left to the caller)."""
    out = {k: v for k, v in node.items() if k not in _DROPPED}
    if _union_beside_properties(out):
        # The model is the class of the properties (a union there would make
        # it a RootModel of variants); the branches are checked exactly.
        out.pop("oneOf", None)
        out.pop("anyOf", None)
    if "prefixItems" in node and not closed_tuple(node):
        out.pop("prefixItems", None)
        out["items"] = {}
    if "patternProperties" in out and _pattern_properties(node) != "typed":
        del out["patternProperties"]
        if out.get("additionalProperties") is False:
            del out["additionalProperties"]
    extra = out.get("additionalProperties")
    if isinstance(out.get("properties"), dict) and isinstance(extra, dict):
        del out["additionalProperties"]
    if out.get("uniqueItems") is True and not _scalar_items(out.get("items")):
        del out["uniqueItems"]
    for key in ("enum", "const"):
        values = out.get(key) if key == "enum" else [out.get(key)]
        if key in out and not _plain_values(values):
            del out[key]
            kinds = sorted({_kind(v) for v in values or []})
            out.setdefault("type", kinds if len(kinds) != 1 else kinds[0])
    if isinstance(out.get("required"), list) and _unknown_required(out):
        props = out.get("properties")
        out["required"] = [
            r for r in out["required"] if isinstance(props, dict) and r in props
        ]
    pattern = out.get("pattern")
    if isinstance(pattern, str) and not model_pattern(pattern):
        del out["pattern"]
    if "default" in out and not default_fits(out):
        del out["default"]  # an annotation; a model default must be typed
    return out


# Formats the models type as something other than ``str``: a default
# written as a string would not be a value of the attribute's type.
_TYPED_FORMATS = frozenset(
    {"date-time", "date", "time", "duration", "uuid", "uri", "ipv4", "ipv6"}
)


def default_fits(node: dict[str, Any]) -> bool:
    """Whether a default is a value of the type the model gives the node."""
    return fits(node, node["default"])


def fits(node: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` is of a type the node says, and among its enum or
    const (the annotations ``default`` and ``examples`` need not be)."""
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    kind = _kind(value)
    if kinds and kind not in kinds and not (kind == "integer" and "number" in kinds):
        return False
    if isinstance(node.get("enum"), list) and value not in node["enum"]:
        return False
    if "const" in node and value != node["const"]:
        return False
    branches = [node, *(node.get("oneOf") or []), *(node.get("anyOf") or [])]
    formats = {b.get("format") for b in branches if isinstance(b, dict)}
    return value is None or not formats & _TYPED_FORMATS


def closed_tuple(node: dict[str, Any]) -> bool:
    """``prefixItems`` that a ``tuple[...]`` holds exactly: no item after
    them (``items: false``) and every position present (``minItems``)."""
    prefix = node.get("prefixItems")
    least = node.get("minItems")
    return (
        isinstance(prefix, list)
        and node.get("items") is False
        and isinstance(least, int)
        and not isinstance(least, bool)
        and least >= len(prefix)
        and all(item is not False for item in prefix)
    )


def _pattern_properties(node: dict[str, Any]) -> str:
    """``"typed"`` when the model holds ``patternProperties`` exactly: one
    pattern it reads as the schema does, no ``properties``, nothing else
    allowed."""
    patterns = node.get("patternProperties")
    if not isinstance(patterns, dict) or len(patterns) != 1 or "properties" in node:
        return ""
    if node.get("additionalProperties") is not False:
        return ""
    return model_pattern(next(iter(patterns))) and "typed"


def _scalar_items(items: Any) -> bool:
    """Items that compare in Python as in JSON: one scalar type (``true``
    equals ``1`` in Python) or strings of an enum."""
    if not isinstance(items, dict):
        return False
    if isinstance(items.get("enum"), list):
        return all(isinstance(v, str) for v in items["enum"])
    kind = items.get("type")
    return isinstance(kind, str) and kind in _SCALARS and "$ref" not in items


def _plain_values(values: Any) -> bool:
    """Enum values a ``StrEnum`` or a ``Literal`` holds exactly: strings, or
    numbers, with ``null`` beside them, and no booleans among numbers."""
    if not isinstance(values, list):
        return True
    kinds = {_kind(v) for v in values if v is not None}
    if kinds & {"object", "array"}:
        return False
    return len(kinds - {"integer"} if "number" in kinds else kinds) <= 1


def _kind(value: Any) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "boolean"
        case int():
            return "integer"
        case float():
            return "number"
        case str():
            return "string"
        case list():
            return "array"
    return "object"


def _unknown_required(node: dict[str, Any]) -> bool:
    required = node.get("required")
    if not isinstance(required, list) or not required:
        return False
    props = node.get("properties")
    return not isinstance(props, dict) or any(r not in props for r in required)

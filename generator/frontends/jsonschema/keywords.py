"""The JSON Schema keywords the front-end knows, by what it does with them.

Which keywords hold subschemas (walked: ``SCHEMA``, ``SCHEMA_LIST``,
``SCHEMA_MAP``), which the generated models express (``TYPED``), which only
the exact validator can enforce (``EXACT``), and the annotations.  A keyword
in none of these tables is an annotation too, as the specification says of
unknown keywords.  The README's keyword table is this module.
"""

from __future__ import annotations

from typing import Any

TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")

# Keywords whose value is a schema, a list of schemas, or a map of schemas.
SCHEMA = (
    "additionalProperties",
    "items",
    "additionalItems",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentSchema",
)
SCHEMA_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_MAP = (
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "dependencies",
)
DEFS = ("$defs", "definitions")

TYPED: dict[str, str] = {
    "type": "one type, or a union of types",
    "properties": "attributes of a model class",
    "required": "attributes without a default; optional ones may be MISSING",
    "additionalProperties": "`false`: unknown keys refused; a schema: "
    "`dict[str, T]` (without `properties`)",
    "patternProperties": "`dict[str, T]` with the key pattern (one pattern, "
    "no `properties`, `additionalProperties: false`)",
    "items": "`list[T]`",
    "prefixItems": "`tuple[A, B, ...]` when closed (`items: false`) and "
    "`minItems` is at least its length",
    "enum": "`StrEnum`, `Literal`, or the type of its values",
    "const": "`Literal`",
    "format": "date-time, date, time, duration, uuid, email, uri, ipv4, ipv6... "
    "as their Python types (asserted); other formats are annotations",
    "minLength": "string constraint",
    "maxLength": "string constraint",
    "pattern": "string constraint",
    "minimum": "number constraint",
    "maximum": "number constraint",
    "exclusiveMinimum": "number constraint (draft-04's boolean form too)",
    "exclusiveMaximum": "number constraint (draft-04's boolean form too)",
    "multipleOf": "number constraint",
    "minItems": "array constraint",
    "maxItems": "array constraint",
    "uniqueItems": "`UniqueList[T]` of strings, numbers or enums",
    "allOf": "a class extending the classes it refers to",
    "anyOf": "a union",
    "oneOf": "a union (discriminated with an OpenAPI `discriminator`)",
    "$ref": "the referred class or type (across files, by path or `$id`, "
    "`#` and `$anchor` too)",
    "$defs": "classes and types (`definitions` too)",
}
"""What the generated models make of each keyword they express."""

EXACT: dict[str, str] = {
    "not": "negated schemas",
    "if": "conditional schemas (if/then/else)",
    "then": "conditional schemas (if/then/else)",
    "else": "conditional schemas (if/then/else)",
    "dependentRequired": "dependent requirements",
    "dependentSchemas": "dependent schemas",
    "dependencies": "dependencies (draft-04 to draft-07)",
    "propertyNames": "property name schemas",
    "minProperties": "property counts",
    "maxProperties": "property counts",
    "contains": "contains",
    "minContains": "contains",
    "maxContains": "contains",
    "additionalItems": "tuples (draft-04 to 2019-09)",
    "unevaluatedProperties": "unevaluated properties",
    "unevaluatedItems": "unevaluated items",
    "$dynamicRef": "dynamic references (2020-12)",
    "$recursiveRef": "recursive references (2019-09)",
}
"""Keywords only the exact validator enforces: the model accepts a superset."""

EXACT_WHEN: dict[str, str] = {
    "type": "absent beside keywords of one type (`minLength`, `items`...): "
    "they apply to that type's values only",
    "oneOf": "without a discriminator (a model union accepts several matches), "
    "or beside `properties` (the model is the class of the properties)",
    "anyOf": "beside `properties` (the model is the class of the properties)",
    "patternProperties": "beside `properties`, or with several patterns",
    "additionalProperties": "a schema beside `properties`",
    "uniqueItems": "on objects, arrays or mixed items",
    "enum": "values of mixed types, objects or arrays",
    "const": "an object or an array, or mixed with `enum`",
    "required": "a name that `properties` does not declare",
    "items": "the array form (tuples, draft-04 to 2019-09), unless closed as "
    "`prefixItems` is typed",
    "prefixItems": "open (more items allowed) or with optional positions: a "
    "`list` of the union of its items",
    "pattern": "what the model's regular expressions read otherwise "
    "(`\\d`, `\\w`, look-around...)",
    "$ref": "beside other assertions (2019-09 and 2020-12)",
    "false": "the schema `false`",
}
"""Keywords the models express only in some forms; in the others the exact
validator enforces them."""

ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "example",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
        "discriminator",
    }
)
"""Annotations: docs and examples, never an error (unknown keywords too)."""
CORE = frozenset(
    {
        "$schema",
        "$id",
        "id",
        "$anchor",
        "$dynamicAnchor",
        "$recursiveAnchor",
        "$vocabulary",
    }
)


def describe(value: Any) -> str:
    """A JSON value's kind, as an error message names it."""
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int() | float():
            return f"the number {value!r}"
        case str():
            return f"the string {value!r}"
        case list():
            return "an array"
    return "an object"

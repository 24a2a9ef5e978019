"""The JSON Schema keywords the front-end knows, by what it does with them.

Message schemas (``check``) and config schemas (``config_groups``) both read
this table: which keywords hold subschemas (walked), which constrain values
(checked, then enforced by the generated models), which are annotations, and
which a pydantic model cannot enforce (refused, so that a model never accepts
less than its schema says without anyone noticing).
"""

from __future__ import annotations

from typing import Any

TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")

# Keywords whose value is a schema, a list of schemas, or a map of schemas.
SCHEMA = ("additionalProperties", "items")
SCHEMA_LIST = ("allOf", "anyOf", "oneOf")
SCHEMA_MAP = ("properties", "$defs", "definitions")
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
        "contentEncoding",
        "contentMediaType",
    }
)
VALIDATION = frozenset(
    {
        "type",
        "enum",
        "const",
        "required",
        "format",
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
        "discriminator",
    }
)
ROOT_ONLY = frozenset({"$schema", "$id"})
UNSUPPORTED: dict[str, str] = {
    "not": "negated schemas",
    "if": "conditional schemas (if/then/else)",
    "then": "conditional schemas (if/then/else)",
    "else": "conditional schemas (if/then/else)",
    "dependentRequired": "dependent requirements",
    "dependentSchemas": "dependent schemas",
    "dependencies": "dependencies",
    "patternProperties": "pattern properties",
    "propertyNames": "property name schemas",
    "minProperties": "property counts",
    "maxProperties": "property counts",
    "contains": "contains",
    "minContains": "contains",
    "maxContains": "contains",
    "prefixItems": "tuples",
    "additionalItems": "tuples",
    "unevaluatedProperties": "unevaluated properties",
    "unevaluatedItems": "unevaluated items",
    "$anchor": "anchors (refer by JSON pointer instead)",
    "$dynamicRef": "dynamic references",
    "$dynamicAnchor": "dynamic references",
    "$recursiveRef": "recursive references",
    "$recursiveAnchor": "recursive references",
    "$vocabulary": "custom vocabularies",
    "contentSchema": "content schemas",
}
"""What a pydantic model cannot enforce: keyword -> what it is, as an error
names it."""
KNOWN = (
    ANNOTATIONS
    | VALIDATION
    | ROOT_ONLY
    | set(SCHEMA)
    | set(SCHEMA_LIST)
    | set(SCHEMA_MAP)
    | {"$ref"}
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

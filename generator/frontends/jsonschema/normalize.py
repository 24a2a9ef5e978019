"""Each draft's schemas in one dialect, 2020-12, for the passes that build
models and examples (the exact validator reads the files as written).

What changes, by draft:

* draft-04: ``id`` is ``$id``; a boolean ``exclusiveMinimum``/
  ``exclusiveMaximum`` turns ``minimum``/``maximum`` exclusive.
* drafts 4 to 7: the keywords beside a ``$ref`` are ignored (only docs are
  kept); ``dependencies`` is ``dependentRequired`` (lists of names) and
  ``dependentSchemas`` (schemas); an ``$id`` that is a fragment is an
  ``$anchor``.
* drafts 4 to 2019-09: an array ``items`` is ``prefixItems``, and
  ``additionalItems`` then is ``items``.
* 2019-09: ``$recursiveRef`` refers to where it points statically, and is
  kept as ``$dynamicRef`` so that the message gets the exact validator.
* 2020-12: ``$dynamicRef`` also gets a static ``$ref``, with the same effect.
"""

from __future__ import annotations

from typing import Any

from generator.frontends.jsonschema.drafts import Draft
from generator.frontends.jsonschema.keywords import SCHEMA, SCHEMA_LIST, SCHEMA_MAP

_DOCS = ("title", "description", "$comment")
# Beside a $ref, drafts 4 to 7 ignore every keyword; definitions stay, since
# JSON pointers reach into them whatever the keywords around.
_KEPT_BESIDE_REF = frozenset({"$ref", "$id", "$schema", "definitions", "$defs", *_DOCS})
_OLD = ("4", "6", "7")
_COUNTS = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
)
_SINCE_2019 = frozenset(
    {
        "$anchor",
        "$recursiveRef",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedProperties",
        "unevaluatedItems",
        "minContains",
        "maxContains",
    }
)
_SINCE_2020 = frozenset({"prefixItems", "$dynamicRef", "$dynamicAnchor"})
UNKNOWN_IN: dict[Draft, frozenset[str]] = {
    "4": _SINCE_2019
    | _SINCE_2020
    | {"const", "contains", "propertyNames", "if", "then", "else"},
    "6": _SINCE_2019 | _SINCE_2020 | {"if", "then", "else"},
    "7": _SINCE_2019 | _SINCE_2020,
    "2019-09": _SINCE_2020,
    "2020-12": frozenset({"$recursiveRef", "dependencies"}),
}
"""Keywords that assert something in 2020-12 but are unknown (annotations) in
an earlier draft: moved under ``HELD``, so that normalising does not make
them count, while a JSON pointer to them (``#/definitions/common/if`` in a
draft-06 file, where ``if`` is any unknown keyword) still finds them."""
HELD = "$svcforgeHeld"
"""Where the keywords an earlier draft does not know are kept: no pass reads
it as a schema keyword; ``registry`` follows pointers into it."""


def normalize(value: Any, draft: Draft) -> Any:
    """A copy of the schema ``value`` (a whole file) in the 2020-12 dialect."""
    return _schema(value, draft)


def _schema(node: Any, draft: Draft) -> Any:
    if not isinstance(node, dict):
        return node
    unknown = UNKNOWN_IN[draft]
    out = {k: v for k, v in node.items() if k not in unknown}
    held = {k: v for k, v in node.items() if k in unknown}
    if held:
        out[HELD] = held
    if draft in _OLD:
        _identifiers(out, draft)
        if isinstance(out.get("$ref"), str):
            out = {k: v for k, v in out.items() if k in _KEPT_BESIDE_REF}
        _dependencies(out)
    if draft == "4":
        _exclusive(out, "exclusiveMinimum", "minimum")
        _exclusive(out, "exclusiveMaximum", "maximum")
    _items(out, draft)
    _dynamic(out, draft)
    for key in _COUNTS:
        value = out.get(key)
        if isinstance(value, float) and value.is_integer():
            out[key] = int(value)  # 2.0 is an integer since draft-06
    return _subschemas(out, draft)


def _items(node: dict[str, Any], draft: Draft) -> None:
    """An array ``items`` (tuples, before 2020-12) -> ``prefixItems``."""
    if draft != "2020-12" and isinstance(node.get("items"), list):
        node["prefixItems"] = node.pop("items")
        if "additionalItems" in node:
            node["items"] = node.pop("additionalItems")
    node.pop("additionalItems", None)


def _dynamic(node: dict[str, Any], draft: Draft) -> None:
    """A dynamic reference also refers where it points statically."""
    if draft == "2019-09" and isinstance(node.get("$recursiveRef"), str):
        node["$dynamicRef"] = node.pop("$recursiveRef")
        node.setdefault("$ref", node["$dynamicRef"])
    elif draft == "2020-12" and isinstance(node.get("$dynamicRef"), str):
        node.setdefault("$ref", node["$dynamicRef"])


def _subschemas(node: dict[str, Any], draft: Draft) -> dict[str, Any]:
    for key in SCHEMA:
        if key in node:
            node[key] = _schema(node[key], draft)
    for key in SCHEMA_LIST:
        if isinstance(node.get(key), list):
            node[key] = [_schema(sub, draft) for sub in node[key]]
    for key in SCHEMA_MAP:
        if isinstance(node.get(key), dict):
            node[key] = {name: _schema(sub, draft) for name, sub in node[key].items()}
    return node


def _identifiers(node: dict[str, Any], draft: Draft) -> None:
    """``id`` (draft-04) -> ``$id``; a fragment in it -> ``$anchor``."""
    if draft == "4" and isinstance(node.get("id"), str) and "$id" not in node:
        node["$id"] = node.pop("id")
    ident = node.get("$id")
    if isinstance(ident, str) and "#" in ident:
        base, _, fragment = ident.partition("#")
        if base:
            node["$id"] = base
        else:
            del node["$id"]
        if fragment and not fragment.startswith("/"):
            node.setdefault("$anchor", fragment)


def _dependencies(node: dict[str, Any]) -> None:
    deps = node.pop("dependencies", None)
    if not isinstance(deps, dict):
        return
    required = {k: v for k, v in deps.items() if isinstance(v, list)}
    schemas = {k: v for k, v in deps.items() if not isinstance(v, list)}
    if required:
        node["dependentRequired"] = {**required, **node.get("dependentRequired", {})}
    if schemas:
        node["dependentSchemas"] = {**schemas, **node.get("dependentSchemas", {})}


def _exclusive(node: dict[str, Any], exclusive: str, inclusive: str) -> None:
    flag = node.get(exclusive)
    if not isinstance(flag, bool):
        return
    del node[exclusive]
    if flag and isinstance(node.get(inclusive), int | float):
        node[exclusive] = node.pop(inclusive)

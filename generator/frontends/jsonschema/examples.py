"""A first example instance of each JSON Schema message, for the generated
examples and tests: the schema's own ``examples`` where it gives them, else a
value made from the types, formats, defaults and constraints, following
``$ref`` across files (``regex_example`` for patterns).  The front-end then
checks it against the schema itself and repairs it if need be
(``example_search``); only a required property that recurses forever is
reported here, with the file, position and pointer."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from generator.errors import Diagnostic
from generator.frontends.jsonschema.exactness import fits
from generator.frontends.jsonschema.regex_example import regex_example
from generator.frontends.jsonschema.registry import (
    META,
    Registry,
    Target,
    is_meta,
    meta_registry,
)
from generator.jsonsource import JsonDocument, pointer

FORMAT_EXAMPLES = {
    "date-time": "2024-03-15T09:30:15.250000Z",
    "date": "2024-03-15",
    "time": "09:30:15Z",
    "duration": "PT15M",
    "uuid": "6f1c2a5e-4b7d-4e8a-9c3f-2d1b0a9e8f7c",
    "email": "ada@example.com",
    "idn-email": "ada@example.com",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
}


_MAX_SIZE = 1000


class _Omit:
    """A property that cannot be shown without recursing forever."""


OMIT = _Omit()


@dataclass(slots=True)
class ExampleMaker:
    registry: Registry
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def message(self, doc: JsonDocument) -> Any:
        value = self.value(doc, "", doc.value, "example", ())
        return None if value is OMIT else value

    def fail(self, doc: JsonDocument, ptr: str, message: str) -> None:
        self.diagnostics.append(
            Diagnostic(
                doc.span(ptr),
                f"cannot make an example message: {message} (at {ptr or '/'})",
                'add "examples": [...] to this schema',
            )
        )

    def value(
        self,
        doc: JsonDocument,
        ptr: str,
        node: Any,
        hint: str,
        stack: tuple[tuple[str, str], ...],
    ) -> Any:
        if node is True:
            return hint
        if not isinstance(node, dict):
            return OMIT  # false: nothing fits; a required one is repaired later
        given = _given(node)
        if given is not OMIT:
            return copy.deepcopy(given)
        if isinstance(node.get("enum"), list):
            return next((v for v in node["enum"] if v is not None), None)
        if isinstance(node.get("$ref"), str):
            return self._ref(doc, ptr, node["$ref"], hint, stack)
        if isinstance(node.get("$dynamicRef"), str) and "$ref" not in node:
            return self._ref(doc, ptr, node["$dynamicRef"], hint, stack)
        if isinstance(node.get("allOf"), list):
            return self._all_of(doc, ptr, node, hint, stack)
        for key in ("oneOf", "anyOf"):
            if isinstance(node.get(key), list):
                return self._one_of(doc, pointer(ptr, key), node[key], hint, stack)
        return self._typed(doc, ptr, node, hint, stack)

    def _ref(
        self,
        doc: JsonDocument,
        ptr: str,
        ref: str,
        hint: str,
        stack: tuple[tuple[str, str], ...],
    ) -> Any:
        registry = meta_registry() if is_meta(doc) else self.registry
        target = registry.resolve(doc, ref, ptr)
        if not isinstance(target, Target):
            return None
        if target.doc is META:
            # A part of a meta-schema ("#/properties/title": a string), else
            # the empty schema, valid in every draft.
            part = registry.meta_target(doc, ref, ptr)
            if part is None:
                return {}
            target = part
        here = (target.doc.path, target.ptr)
        if here in stack:
            return OMIT
        return self.value(target.doc, target.ptr, target.node, hint, (*stack, here))

    def _all_of(
        self,
        doc: JsonDocument,
        ptr: str,
        node: dict[str, Any],
        hint: str,
        stack: tuple[tuple[str, str], ...],
    ) -> Any:
        merged: Any = None
        rest = {k: v for k, v in node.items() if k != "allOf"}
        parts = [*enumerate(node["allOf"]), (-1, rest)]
        for i, part in parts:
            where = pointer(pointer(ptr, "allOf"), i) if i >= 0 else ptr
            if i < 0 and not ({"properties", "type"} & set(rest)):
                continue
            value = self.value(doc, where, part, hint, stack)
            if isinstance(merged, dict) and isinstance(value, dict):
                merged = {**merged, **value}
            elif value is not OMIT:
                merged = value
        return merged

    def _one_of(
        self,
        doc: JsonDocument,
        ptr: str,
        branches: list[Any],
        hint: str,
        stack: tuple[tuple[str, str], ...],
    ) -> Any:
        nullable = False
        for i, branch in enumerate(branches):
            if isinstance(branch, dict) and branch.get("type") == "null":
                nullable = True
                continue
            value = self.value(doc, pointer(ptr, i), branch, hint, stack)
            if value is not OMIT:
                return value
        return None if nullable else OMIT

    def _typed(
        self,
        doc: JsonDocument,
        ptr: str,
        node: dict[str, Any],
        hint: str,
        stack: tuple[tuple[str, str], ...],
    ) -> Any:
        kinds = node.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
        kind = next((k for k in kinds if k != "null"), None)
        if kind is None:
            if kinds:
                return None
            kind = _implied_kind(node)
        match kind:
            case "boolean":
                return True
            case "integer":
                return integer_example(node)
            case "number":
                return number_example(node)
            case "string":
                return self._string(doc, ptr, node, hint)
            case "array":
                return self._array(doc, ptr, node, hint, stack)
        return self._object(doc, ptr, node, stack)

    def _string(
        self, doc: JsonDocument, ptr: str, node: dict[str, Any], hint: str
    ) -> str:
        fmt = node.get("format")
        base: str = FORMAT_EXAMPLES.get(fmt, hint) if isinstance(fmt, str) else hint
        # Capped: a longer string is left to the repair, not built here.
        lo: int = min(node.get("minLength", 0), _MAX_SIZE)
        hi: int | None = node.get("maxLength")
        pattern = node.get("pattern")
        candidates = [base, hint, "example", "a", "A", "0", "abc", "ABC", "a1"]
        for candidate in candidates:
            text = candidate + "x" * max(0, lo - len(candidate))
            if hi is not None:
                text = text[:hi]
            if pattern is None or _matches(pattern, text):
                return text
        # The exact validator judges; a miss here is repaired later.
        made = regex_example(pattern) if isinstance(pattern, str) else None
        return made or base

    def _array(
        self,
        doc: JsonDocument,
        ptr: str,
        node: dict[str, Any],
        hint: str,
        stack: tuple[tuple[str, str], ...],
    ) -> list[Any]:
        count = min(max(node.get("minItems", 0), 1), _MAX_SIZE)
        if node.get("maxItems") is not None:
            count = min(count, node["maxItems"])
        prefix = node.get("prefixItems")
        if isinstance(prefix, list) and prefix:
            return self._tuple(doc, ptr, prefix[: max(count, 1)], hint, stack)
        items = node.get("items", True)
        item = self.value(doc, pointer(ptr, "items"), items, hint, stack)
        if item is OMIT or count == 0:
            return []
        values = [copy.deepcopy(item) for _ in range(count)]
        if count > 1 and node.get("uniqueItems"):
            if isinstance(items, dict) and isinstance(items.get("enum"), list):
                values = list(items["enum"][:count])
            elif isinstance(item, str):
                values = [f"{item}{i}" if i else item for i in range(count)]
            elif isinstance(item, int) and not isinstance(item, bool):
                values = [item + i for i in range(count)]
        return values

    def _tuple(
        self,
        doc: JsonDocument,
        ptr: str,
        prefix: list[Any],
        hint: str,
        stack: tuple[tuple[str, str], ...],
    ) -> list[Any]:
        """An example of each position (the repair adds what is missing)."""
        values = []
        for i, sub in enumerate(prefix):
            where = pointer(pointer(ptr, "prefixItems"), i)
            value = self.value(doc, where, sub, hint, stack)
            if value is OMIT:
                break
            values.append(value)
        return values

    def _object(
        self,
        doc: JsonDocument,
        ptr: str,
        node: dict[str, Any],
        stack: tuple[tuple[str, str], ...],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        props = node.get("properties", {})
        for name, sub in props.items() if isinstance(props, dict) else ():
            where = pointer(pointer(ptr, "properties"), name)
            value = self.value(doc, where, sub, name, stack)
            if value is OMIT:
                continue  # recursing forever: the repair may find a way out
            out[name] = value
        extra = node.get("additionalProperties")
        if not props and isinstance(extra, dict):
            where = pointer(ptr, "additionalProperties")
            value = self.value(doc, where, extra, "value", stack)
            if value is not OMIT:
                out["key"] = value
        self._more(doc, ptr, node, stack, out)
        return out

    def _more(
        self,
        doc: JsonDocument,
        ptr: str,
        node: dict[str, Any],
        stack: tuple[tuple[str, str], ...],
        out: dict[str, Any],
    ) -> None:
        """Required names that ``properties`` does not declare, and as many
        more as ``minProperties`` asks, from ``patternProperties``."""
        required = node.get("required")
        for name in required if isinstance(required, list) else ():
            if isinstance(name, str) and name not in out:
                out[name] = self._extra_value(doc, ptr, node, name, stack)
        want = node.get("minProperties")
        patterns = node.get("patternProperties")
        keys = (
            [regex_example(p) for p in patterns] if isinstance(patterns, dict) else []
        )
        for key in [k for k in keys if k] + [f"key{i}" for i in range(8)]:
            if not isinstance(want, int) or len(out) >= min(want, 8):
                return
            if key not in out:
                out[key] = self._extra_value(doc, ptr, node, key, stack)

    def _extra_value(
        self,
        doc: JsonDocument,
        ptr: str,
        node: dict[str, Any],
        key: str,
        stack: tuple[tuple[str, str], ...],
    ) -> Any:
        patterns = node.get("patternProperties")
        for pattern, sub in patterns.items() if isinstance(patterns, dict) else ():
            if _matches(pattern, key):
                where = pointer(pointer(ptr, "patternProperties"), pattern)
                value = self.value(doc, where, sub, key, stack)
                return None if value is OMIT else value
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            where = pointer(ptr, "additionalProperties")
            value = self.value(doc, where, extra, key, stack)
            return None if value is OMIT else value
        return key


def _given(node: dict[str, Any]) -> Any:
    """The value a schema names itself: an example, its const, its default;
    else ``OMIT``.  Examples and defaults are annotations their authors
    sometimes get wrong ("false" for a boolean, a file name for an object):
    one of another type is passed over."""
    examples = node.get("examples")
    for example in examples if isinstance(examples, list) else ():
        if fits(node, example):
            return example
    if "const" in node:
        return node["const"]
    if "default" in node and fits(node, node["default"]):
        return node["default"]
    return OMIT


_KIND_KEYWORDS = (
    (
        "object",
        (
            "properties",
            "required",
            "additionalProperties",
            "patternProperties",
            "minProperties",
            "maxProperties",
            "propertyNames",
        ),
    ),
    (
        "array",
        ("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems"),
    ),
    (
        "number",
        ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
    ),
)


def _implied_kind(node: dict[str, Any]) -> str:
    """The type a schema without ``type`` is about, told by its keywords."""
    for kind, keywords in _KIND_KEYWORDS:
        if any(k in node for k in keywords):
            return kind
    return "string"


def _matches(pattern: Any, text: str) -> bool:
    try:
        return bool(re.search(pattern, text))
    except (re.error, TypeError, RecursionError, OverflowError):
        return False


def integer_example(node: dict[str, Any]) -> int:
    lo = _bound(node, "minimum", "exclusiveMinimum", 1)
    hi = _bound(node, "maximum", "exclusiveMaximum", -1)
    step = node.get("multipleOf")
    value = 7
    if lo is not None and value < lo:
        value = math.ceil(lo)
    if hi is not None and value > hi:
        value = math.floor(hi)
    if isinstance(step, int | float) and step > 0:
        value = int(math.ceil(value / step) * step)
        if hi is not None and value > hi:
            value = int(math.floor(hi / step) * step)
    return value


def number_example(node: dict[str, Any]) -> float | int:
    lo = _bound(node, "minimum", "exclusiveMinimum", 0.25)
    hi = _bound(node, "maximum", "exclusiveMaximum", -0.25)
    step = node.get("multipleOf")
    value = 1.5
    if lo is not None and value < lo:
        value = float(lo)
    if hi is not None and value > hi:
        value = float(hi)
    if isinstance(step, int | float) and step > 0:
        value = math.ceil(value / step) * step
    return value


def _bound(node: dict[str, Any], inclusive: str, exclusive: str, nudge: float) -> Any:
    if isinstance(node.get(exclusive), int | float):
        return node[exclusive] + nudge
    value = node.get(inclusive)
    return value if isinstance(value, int | float) else None


@dataclass(slots=True)
class SchemaValues:
    """Examples of the subschema an error of the exact validator points at
    (its schema path), to repair an instance with (``example_search``)."""

    maker: ExampleMaker
    doc: JsonDocument

    def __call__(self, error: Any) -> Iterator[tuple[list[Any], Any]]:
        path = [str(t) for t in error.schema_path]
        found = self._at(path[:-1])
        if found is None or not path:
            return
        doc, ptr, node = found
        where = list(error.instance_path)
        keyword = path[-1]
        if keyword == "required" and isinstance(node.get("properties"), dict):
            name = getattr(error.kind, "property", None)
            sub = node["properties"].get(name) if isinstance(name, str) else None
            if sub is not None:
                at = pointer(pointer(ptr, "properties"), str(name))
                yield [*where, name], self._value(doc, at, sub, str(name))
            return
        if keyword in ("anyOf", "oneOf") and isinstance(node.get(keyword), list):
            for i, branch in enumerate(node[keyword]):
                at = pointer(pointer(ptr, keyword), i)
                yield where, self._value(doc, at, branch, "example")
        yield where, self._value(doc, ptr, node, "example")

    def _value(self, doc: JsonDocument, ptr: str, node: Any, hint: str) -> Any:
        value = self.maker.value(doc, ptr, node, hint, ())
        return None if value is OMIT else value

    def _at(self, path: list[str]) -> tuple[JsonDocument, str, Any] | None:
        """The node at a schema path: from the message's file, else from
        the first file it is a path of (a path that went through a
        ``$ref`` starts at the referred file)."""
        docs = [self.doc, *self.maker.registry.documents.values()]
        for doc in docs:
            node: Any = doc.value
            ptr = ""
            for token in path:
                if isinstance(node, dict) and token in node:
                    node = node[token]
                elif (
                    isinstance(node, list)
                    and token.isdigit()
                    and int(token) < len(node)
                ):
                    node = node[int(token)]
                else:
                    break
                ptr = pointer(ptr, token)
            else:
                if isinstance(node, dict):
                    return doc, ptr, node
        return None

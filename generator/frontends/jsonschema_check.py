"""Checks of JSON Schema documents before they reach datamodel-code-generator.

datamodel-code-generator reports problems late and without positions, and
silently drops what it cannot express.  So every schema file is walked here
first: each problem becomes a diagnostic with ``file:line:col`` and the JSON
pointer, and keywords a pydantic model could not enforce are rejected rather
than ignored.  ``$ref`` targets are resolved across files (``Registry``).
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from generator.errors import Diagnostic
from generator.jsonsource import JsonDocument, pointer

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
_DRAFTS = {
    DRAFT_2020_12: "2020-12",
    DRAFT_2020_12 + "#": "2020-12",
    "https://json-schema.org/draft/2019-09/schema": "2020-12",
    DRAFT_07: "draft-07",
    DRAFT_07.rstrip("#"): "draft-07",
    "https://json-schema.org/draft-07/schema#": "draft-07",
    "https://json-schema.org/draft-07/schema": "draft-07",
}
TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")

# Keywords whose value is a schema, a list of schemas, or a map of schemas.
_SCHEMA = ("additionalProperties", "items")
_SCHEMA_LIST = ("allOf", "anyOf", "oneOf")
_SCHEMA_MAP = ("properties", "$defs", "definitions")
_ANNOTATIONS = frozenset(
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
_VALIDATION = frozenset(
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
_ROOT_ONLY = frozenset({"$schema", "$id"})
# What a pydantic model cannot enforce: rejected, so that the generated models
# never accept less than the schema says without anyone noticing.
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
_KNOWN = (
    _ANNOTATIONS
    | _VALIDATION
    | _ROOT_ONLY
    | set(_SCHEMA)
    | set(_SCHEMA_LIST)
    | set(_SCHEMA_MAP)
    | {"$ref"}
)
_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COUNT_KEYS = ("minLength", "maxLength", "minItems", "maxItems")


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


@dataclass(frozen=True, slots=True)
class Target:
    """Where a ``$ref`` leads: a document and a JSON pointer into it."""

    doc: JsonDocument
    ptr: str
    node: Any


@dataclass(slots=True)
class Registry:
    """Schema files by path (relative to the service root) and by ``$id``."""

    documents: dict[str, JsonDocument] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, documents: Sequence[JsonDocument]) -> Registry:
        registry = cls()
        for doc in documents:
            registry.documents[doc.path] = doc
            ident = doc.value.get("$id") if isinstance(doc.value, dict) else None
            if isinstance(ident, str) and urlsplit(ident).scheme:
                registry.ids[ident.partition("#")[0]] = doc.path
        return registry

    def resolve(self, doc: JsonDocument, ref: str) -> Target | str:
        """The target of ``ref`` written in ``doc``, or why there is none."""
        location, _, fragment = ref.partition("#")
        path = doc.path
        if location:
            found = self._file(doc, location)
            if found is None:
                if urlsplit(location).scheme in ("http", "https", "urn", "file"):
                    return (
                        f"{location} is not a schema file of this service "
                        "(remote references are not fetched)"
                    )
                return f"no schema file {location!r} next to {doc.path}"
            path = found
        target = self.documents[path]
        fragment = unquote(fragment)
        if fragment and not fragment.startswith("/"):
            return f"{fragment!r} is not a JSON pointer (anchors are not supported)"
        node: Any = target.value
        for token in fragment.split("/")[1:]:
            key = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return f"{target.path} has nothing at {fragment}"
        return Target(target, fragment, node)

    def _file(self, doc: JsonDocument, location: str) -> str | None:
        base = doc.value.get("$id") if isinstance(doc.value, dict) else None
        if isinstance(base, str) and urlsplit(base).scheme:
            absolute = urljoin(base, location)
            if absolute in self.ids:
                return self.ids[absolute]
        if location in self.ids:
            return self.ids[location]
        if urlsplit(location).scheme:
            return None
        rel = posixpath.normpath(posixpath.join(posixpath.dirname(doc.path), location))
        return rel if rel in self.documents else None


def draft_of(doc: JsonDocument) -> str:
    value = doc.value.get("$schema") if isinstance(doc.value, dict) else None
    return _DRAFTS.get(value, "2020-12") if isinstance(value, str) else "2020-12"


@dataclass(slots=True)
class Checker:
    """Walks every schema of a file, collecting diagnostics."""

    registry: Registry
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, doc: JsonDocument, ptr: str, message: str, hint: str = "") -> None:
        where = ptr or "/"
        self.diagnostics.append(
            Diagnostic(doc.span(ptr), f"{message} (at {where})", hint)
        )

    def check_document(self, doc: JsonDocument) -> None:
        if not isinstance(doc.value, dict):
            self.error(
                doc,
                "",
                f"a schema file must hold a JSON object, found {describe(doc.value)}",
            )
            return
        schema = doc.value.get("$schema")
        if schema is not None and schema not in _DRAFTS:
            self.error(
                doc,
                "/$schema",
                f"unsupported $schema {schema!r}",
                f"use {DRAFT_2020_12!r} or {DRAFT_07!r}",
            )
        ident = doc.value.get("$id")
        if ident is not None and not isinstance(ident, str):
            self.error(doc, "/$id", f"$id must be a string, found {describe(ident)}")
        self.schema(doc, "", doc.value, root=True)

    def schema(
        self, doc: JsonDocument, ptr: str, node: Any, root: bool = False
    ) -> None:
        if isinstance(node, bool):
            return
        if not isinstance(node, dict):
            self.error(
                doc, ptr, f"expected a schema (an object), found {describe(node)}"
            )
            return
        for key, value in node.items():
            self.keyword(doc, pointer(ptr, key), key, value, node, root)

    def keyword(
        self,
        doc: JsonDocument,
        ptr: str,
        key: str,
        value: Any,
        node: dict[str, Any],
        root: bool,
    ) -> None:
        if key in UNSUPPORTED:
            self.error(
                doc,
                ptr,
                f"unsupported keyword {key!r}: {UNSUPPORTED[key]} cannot be "
                "expressed by the generated models",
            )
        elif key in _ROOT_ONLY and not root:
            self.error(doc, ptr, f"{key} is only supported at the root of a file")
        elif key in _SCHEMA:
            if key == "items" and isinstance(value, list):
                self.error(doc, ptr, "unsupported keyword 'items' as an array: tuples")
            else:
                self.schema(doc, ptr, value)
        elif key in _SCHEMA_LIST:
            self.schema_list(doc, ptr, key, value)
        elif key in _SCHEMA_MAP:
            if not isinstance(value, dict):
                self.error(
                    doc, ptr, f"{key} must be an object, found {describe(value)}"
                )
                return
            for name, sub in value.items():
                self.schema(doc, pointer(ptr, name), sub)
        elif key == "$ref":
            self.ref(doc, ptr, value)
        elif key in _VALIDATION:
            self.validation(doc, ptr, key, value, node)
        elif key not in _KNOWN and not key.startswith("x-"):
            close = difflib.get_close_matches(key, sorted(_KNOWN), n=1)
            self.error(
                doc,
                ptr,
                f"unknown keyword {key!r}",
                f"did you mean {close[0]!r}?"
                if close
                else "prefix custom annotations with 'x-'",
            )

    def schema_list(self, doc: JsonDocument, ptr: str, key: str, value: Any) -> None:
        if not isinstance(value, list) or not value:
            self.error(doc, ptr, f"{key} must be a non-empty array of schemas")
            return
        for i, sub in enumerate(value):
            self.schema(doc, pointer(ptr, i), sub)

    def ref(self, doc: JsonDocument, ptr: str, value: Any) -> None:
        if not isinstance(value, str):
            self.error(doc, ptr, f"$ref must be a string, found {describe(value)}")
            return
        target = self.registry.resolve(doc, value)
        if isinstance(target, str):
            self.error(doc, ptr, f"unresolvable $ref {value!r}: {target}")

    def validation(
        self, doc: JsonDocument, ptr: str, key: str, value: Any, node: dict[str, Any]
    ) -> None:
        for problem in _validation_problems(key, value):
            self.error(doc, ptr, problem)
        if key == "discriminator" and isinstance(value, dict):
            self.discriminator(doc, ptr, value, node)

    def discriminator(
        self, doc: JsonDocument, ptr: str, value: dict[str, Any], node: dict[str, Any]
    ) -> None:
        prop = value.get("propertyName")
        if not isinstance(prop, str):
            self.error(doc, ptr, "discriminator needs a propertyName (a string)")
            return
        key = "oneOf" if "oneOf" in node else "anyOf" if "anyOf" in node else ""
        if not key or not isinstance(node[key], list):
            self.error(doc, ptr, "a discriminator needs oneOf or anyOf beside it")
            return
        parent = ptr.rpartition("/")[0]
        for i, branch in enumerate(node[key]):
            where = pointer(pointer(parent, key), i)
            problem = self._tag_problem(doc, branch, prop)
            if problem:
                self.error(doc, where, problem)

    def _tag_problem(self, doc: JsonDocument, branch: Any, prop: str) -> str:
        for _, node in self.expand(doc, branch):
            props = node.get("properties") if isinstance(node, dict) else None
            tag = props.get(prop) if isinstance(props, dict) else None
            if isinstance(tag, dict) and (
                "const" in tag
                or (isinstance(tag.get("enum"), list) and len(tag["enum"]) == 1)
            ):
                required = node.get("required")
                if isinstance(required, list) and prop in required:
                    return ""
                return f"the discriminator property {prop!r} must be required"
        return (
            f"each branch of a discriminated union needs a property {prop!r} "
            "with a const value"
        )

    def expand(
        self, doc: JsonDocument, node: Any
    ) -> Iterator[tuple[JsonDocument, Any]]:
        """``node`` with its ``$ref`` followed and its ``allOf`` parts (what a
        discriminator tag may come from)."""
        seen: set[int] = set()
        stack = [(doc, node)]
        while stack:
            d, n = stack.pop()
            if not isinstance(n, dict) or id(n) in seen:
                continue
            seen.add(id(n))
            yield d, n
            ref = n.get("$ref")
            if isinstance(ref, str):
                target = self.registry.resolve(d, ref)
                if isinstance(target, Target):
                    stack.append((target.doc, target.node))
            for part in n.get("allOf", []) if isinstance(n.get("allOf"), list) else []:
                stack.append((d, part))


def _validation_problems(key: str, value: Any) -> list[str]:
    match key:
        case "type":
            kinds = value if isinstance(value, list) else [value]
            bad = [k for k in kinds if k not in TYPES]
            if bad or not kinds:
                return [
                    f"type must be one of {', '.join(TYPES)} (or a list of them), "
                    f"found {describe(bad[0] if bad else value)}"
                ]
        case "enum":
            if not isinstance(value, list) or not value:
                return ["enum must be a non-empty array"]
            if len({type(v) for v in value if v is not None}) > 1:
                return ["enum values must all be strings, or all numbers"]
        case "required":
            if not isinstance(value, list) or not all(
                isinstance(v, str) for v in value
            ):
                return ["required must be an array of property names"]
        case "pattern":
            if not isinstance(value, str):
                return [f"pattern must be a string, found {describe(value)}"]
            try:
                re.compile(value)
            except re.error as exc:
                return [f"pattern {value!r} is not a valid regular expression: {exc}"]
        case "format":
            if not isinstance(value, str):
                return [f"format must be a string, found {describe(value)}"]
        case _ if key in _NUMBER_KEYS or key == "multipleOf":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return [f"{key} must be a number, found {describe(value)}"]
            if key == "multipleOf" and value <= 0:
                return [f"multipleOf must be greater than 0, found {value!r}"]
        case _ if key in _COUNT_KEYS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                return [
                    f"{key} must be a non-negative integer, found {describe(value)}"
                ]
        case "uniqueItems":
            if not isinstance(value, bool):
                return [f"uniqueItems must be a boolean, found {describe(value)}"]
        case "discriminator":
            if not isinstance(value, dict):
                return [f"discriminator must be an object, found {describe(value)}"]
    return []

"""Checks of JSON Schema documents before they reach datamodel-code-generator.

datamodel-code-generator reports problems late and without positions, and
silently drops what it cannot express.  So every schema file is walked here
first: each problem becomes a diagnostic with ``file:line:col`` and the JSON
pointer, keywords a pydantic model could not enforce are rejected rather than
ignored (``keywords``), and every ``$ref`` must resolve (``registry``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from generator.errors import Diagnostic
from generator.frontends.jsonschema.drafts import DRAFT_07, DRAFT_2020_12, DRAFTS
from generator.frontends.jsonschema.keywords import (
    KNOWN,
    ROOT_ONLY,
    SCHEMA,
    SCHEMA_LIST,
    SCHEMA_MAP,
    UNSUPPORTED,
    VALIDATION,
    describe,
)
from generator.frontends.jsonschema.registry import Registry
from generator.frontends.jsonschema.validation import validation_problem
from generator.jsonsource import JsonDocument, pointer


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
        if schema is not None and schema not in DRAFTS:
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
        elif key in ROOT_ONLY and not root:
            self.error(doc, ptr, f"{key} is only supported at the root of a file")
        elif key in SCHEMA:
            if key == "items" and isinstance(value, list):
                self.error(doc, ptr, "unsupported keyword 'items' as an array: tuples")
            else:
                self.schema(doc, ptr, value)
        elif key in SCHEMA_LIST:
            self.schema_list(doc, ptr, key, value)
        elif key in SCHEMA_MAP:
            # Inline rather than in a helper: nested properties cost two frames
            # per level (schema, keyword), which bounds how deep a file can be.
            if not isinstance(value, dict):
                self.error(
                    doc, ptr, f"{key} must be an object, found {describe(value)}"
                )
                return
            for name, sub in value.items():
                self.schema(doc, pointer(ptr, name), sub)
        elif key == "$ref":
            self.ref(doc, ptr, value)
        elif key in VALIDATION:
            self.validation(doc, ptr, key, value, node)
        elif key not in KNOWN and not key.startswith("x-"):
            close = difflib.get_close_matches(key, sorted(KNOWN), n=1)
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
        problem = validation_problem(key, value)
        if problem:
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
        for _, node in self.registry.expand(doc, branch):
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

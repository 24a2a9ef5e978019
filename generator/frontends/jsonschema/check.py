"""Checks of JSON Schema files before anything is built from them.

datamodel-code-generator reports problems late and without positions.  So
every file is checked here first, and each problem becomes a diagnostic with
``file:line:col`` and the JSON pointer: a ``$schema`` that names no supported
draft, JSON nested too deeply, what the draft's meta-schema refuses (with
plainer words for the common mistakes, ``validation``), a ``$ref`` that leads
nowhere (``registry``) and a discriminator without const tags.  Unknown
keywords are annotations: never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.errors import Diagnostic
from generator.frontends.jsonschema.drafts import CANONICAL, declared, parse_draft
from generator.frontends.jsonschema.keywords import describe
from generator.frontends.jsonschema.metaschema import meta_problems
from generator.frontends.jsonschema.registry import Registry
from generator.frontends.jsonschema.validation import validation_problem
from generator.frontends.jsonschema.walk import (
    MAX_DEPTH,
    not_unicode,
    subschemas,
    too_deep,
)
from generator.jsonsource import JsonDocument, pointer

_SUPPORTED = "svcforge reads drafts 4, 6, 7, 2019-09 and 2020-12"


@dataclass(slots=True)
class Checker:
    """Collects the diagnostics of schema files."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, doc: JsonDocument, ptr: str, message: str, hint: str = "") -> None:
        where = ptr or "/"
        self.diagnostics.append(
            Diagnostic(doc.span(ptr), f"{message} (at {where})", hint)
        )

    def check_document(self, doc: JsonDocument) -> bool:
        """Check one file as written; False when nothing more can be made of
        it (the problems are reported)."""
        if not isinstance(doc.value, dict):
            self.error(
                doc,
                "",
                f"a schema file must hold a JSON object, found {describe(doc.value)}",
            )
            return False
        deep = too_deep(doc.value)
        if deep is not None:
            self.error(doc, deep, f"the schema nests more than {MAX_DEPTH} levels")
            return False
        broken = not_unicode(doc.value)
        if broken is not None:
            self.error(doc, broken, "a string holds a lone surrogate (not Unicode)")
            return False
        schema = doc.value.get("$schema")
        if schema is not None and not (isinstance(schema, str) and parse_draft(schema)):
            self.error(
                doc,
                "/$schema",
                f"unknown $schema {schema!r}: {_SUPPORTED}",
                f"use {CANONICAL['2020-12']!r}, or leave $schema out for 2020-12",
            )
            return False
        return self._structure(doc)

    def _structure(self, doc: JsonDocument) -> bool:
        draft = declared(doc.value)
        reported: list[str] = []
        for ptr, node in subschemas(doc.value):
            for key, value in node.items() if isinstance(node, dict) else ():
                problem = validation_problem(key, value, draft)
                if problem:
                    reported.append(pointer(ptr, key))
                    self.error(doc, pointer(ptr, key), problem)
        for ptr, message in meta_problems(doc.value, draft):
            if any(_related(ptr, r) for r in reported):
                continue
            reported.append(ptr)
            self.error(
                doc,
                ptr,
                message,
                f"the draft {draft} meta-schema does not allow it",
            )
        return not reported

    def check_references(self, registry: Registry, doc: JsonDocument) -> None:
        """Every ``$ref`` of a (normalised) file leads somewhere; every
        discriminator has const tags."""
        for ptr, node in subschemas(doc.value):
            if not isinstance(node, dict):
                continue
            ref = node.get("$ref")
            if isinstance(ref, str):
                target = registry.resolve(doc, ref, ptr)
                if isinstance(target, str):
                    self.error(
                        doc,
                        pointer(ptr, "$ref"),
                        f"unresolvable $ref {ref!r}: {target}",
                    )
                elif not isinstance(target.node, dict | bool):
                    self.error(
                        doc,
                        pointer(ptr, "$ref"),
                        f"$ref {ref!r} leads to {describe(target.node)}, "
                        "which is no schema (a schema is an object or a boolean)",
                    )
            if isinstance(node.get("discriminator"), dict):
                self.discriminator(registry, doc, ptr, node)

    def discriminator(
        self, registry: Registry, doc: JsonDocument, ptr: str, node: dict[str, Any]
    ) -> None:
        where = pointer(ptr, "discriminator")
        prop = node["discriminator"].get("propertyName")
        if not isinstance(prop, str):
            self.error(doc, where, "discriminator needs a propertyName (a string)")
            return
        key = "oneOf" if "oneOf" in node else "anyOf" if "anyOf" in node else ""
        if not key or not isinstance(node[key], list):
            self.error(doc, where, "a discriminator needs oneOf or anyOf beside it")
            return
        for i, branch in enumerate(node[key]):
            at = pointer(pointer(ptr, key), i)
            problem = _tag_problem(registry, doc, at, branch, prop)
            if problem:
                self.error(doc, at, problem)


def _related(a: str, b: str) -> bool:
    """One pointer is the other, or inside it."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _tag_problem(
    registry: Registry, doc: JsonDocument, at: str, branch: Any, prop: str
) -> str:
    for _, node in registry.expand(doc, branch, at):
        props = node.get("properties")
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

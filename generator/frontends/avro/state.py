"""What the passes of the Avro front-end share: every named type as written,
the diagnostics collected so far, and where each field default was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator import ir
from generator.errors import Diagnostic
from generator.jsonsource import JsonDocument


@dataclass(slots=True)
class Definition:
    """A named type as written: where, and in which enclosing namespace."""

    doc: JsonDocument
    ptr: str
    node: dict[str, Any]
    fullname: str
    kind: str
    top_level: bool


@dataclass(slots=True)
class FileSchema:
    """A schema file whose schema is no named type nor a list of named type
    definitions (a primitive, array, map or union): a message of its own."""

    doc: JsonDocument
    fullname: str
    """Its path under ``schemas/messages`` without the suffix, dotted."""


@dataclass(slots=True)
class State:
    definitions: dict[str, Definition] = field(default_factory=dict)
    files: list[FileSchema] = field(default_factory=list)
    """Files whose schema is a message of its own, by path."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    """Problems that do not stop generation (an unknown logical type)."""
    default_spans: dict[tuple[str, str], ir.Span] = field(default_factory=dict)
    """Where each field default was written, by record and field name."""

    def error(self, doc: JsonDocument, ptr: str, message: str, hint: str = "") -> None:
        self.diagnostics.append(Diagnostic(doc.span(ptr), message, hint))

    def warn(self, doc: JsonDocument, ptr: str, message: str, hint: str = "") -> None:
        self.warnings.append(Diagnostic(doc.span(ptr), message, hint))


def text(value: Any) -> str | None:
    """``value`` if it is a string: JSON objects and lists are not hashable."""
    return value if isinstance(value, str) else None


def describe(value: Any) -> str:
    """A written JSON value, as a diagnostic names what it found."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    return "an object"

"""JSON documents that remember where each value was written."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from json_source_map import calculate

from generator.errors import Diagnostic, SchemaError
from generator.ir import Span


def pointer(parent: str, key: str | int) -> str:
    """Append one RFC 6901 reference token to a JSON pointer."""
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{parent}/{token}"


@dataclass(frozen=True, slots=True)
class JsonDocument:
    path: str
    """Relative to the service root, as shown in diagnostics."""
    value: Any
    _spans: dict[str, tuple[int, int]]

    def span(self, ptr: str, *, key: bool = False) -> Span:
        """The 1-based position of the value (or its key) at a JSON pointer;
        falls back to the closest enclosing value that has a position."""
        while True:
            entry = self._spans.get(ptr + ("#key" if key else ""))
            if entry is not None:
                return Span(self.path, entry[0], entry[1])
            if not ptr:
                return Span(self.path, 1, 1)
            key = False
            ptr = ptr.rpartition("/")[0]


MAX_DEPTH = 5000
"""Levels of JSON arrays and objects inside one another that a schema file may
have: far more than any schema needs, few enough for the parsers' recursion."""
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(path: str, text: str) -> Diagnostic | None:
    """Where ``text`` first nests deeper than ``MAX_DEPTH``, if it does."""
    depth = 0
    for m in _TOKENS.finditer(text):
        token = m[0]
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, m.start()) + 1
                col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
                return Diagnostic(
                    Span(path, line, col),
                    f"JSON nested more than {MAX_DEPTH} levels deep",
                )
        elif token in "]}":
            depth -= 1
    return None


def load_json(path: str, text: str) -> JsonDocument:
    """Parse ``text``; a syntax error becomes a diagnostic with line and column."""
    deep = _too_deep(path, text)
    if deep is not None:
        raise SchemaError([deep])
    try:
        return _load_json(path, text)
    except RecursionError:
        # Nesting deeper than Python's recursion limit (about a thousand).
        raise SchemaError(
            [Diagnostic(Span(path, 1, 1), "invalid JSON: nested too deeply")]
        ) from None


def _load_json(path: str, text: str) -> JsonDocument:
    try:
        value = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise SchemaError([_syntax_error(path, text, exc)]) from None
    spans: dict[str, tuple[int, int]] = {}
    for ptr, entry in calculate(text).items():
        spans[ptr] = (entry.value_start.line + 1, entry.value_start.column + 1)
        if entry.key_start is not None:
            spans[ptr + "#key"] = (entry.key_start.line + 1, entry.key_start.column + 1)
    doc = JsonDocument(path, value, spans)
    dup = _find_duplicate_key(value)
    if dup is not None:
        key = dup.rpartition("/")[2].replace("~1", "/").replace("~0", "~")
        raise SchemaError(
            [
                Diagnostic(
                    doc.span(dup, key=True), f"invalid JSON: duplicate key {key!r}"
                )
            ]
        )
    # Python's json module accepts NaN and Infinity; JSON (and every other
    # Avro implementation) does not.
    bad = _find_non_finite(value)
    if bad is not None:
        span = doc.span(bad)
        line = text.splitlines()[span.line - 1]
        token = re.match(r"-?[\w.+-]+", line[span.col - 1 :])
        written = token[0] if token else "?"
        message = (
            f"invalid JSON: {written} is not a JSON number"
            if written.lstrip("-") in ("NaN", "Infinity")
            else f"the number {written} is out of the range of a double"
        )
        raise SchemaError([Diagnostic(span, message)])
    return doc


def _find_non_finite(value: Any, ptr: str = "") -> str | None:
    """The pointer of the first NaN or infinite number in ``value``."""
    if isinstance(value, float) and not math.isfinite(value):
        return ptr
    children: Any = ()
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    for k, v in children:
        found = _find_non_finite(v, pointer(ptr, k))
        if found is not None:
            return found
    return None


def _syntax_error(path: str, text: str, exc: json.JSONDecodeError) -> Diagnostic:
    # json reports a trailing comma as a missing value at the bracket after
    # it; point at the comma instead, the usual culprit.
    before = text[: exc.pos].rstrip()
    if before.endswith(",") and text[exc.pos : exc.pos + 1] in ("]", "}"):
        pos = len(before) - 1
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return Diagnostic(
            Span(path, line, col),
            f"invalid JSON: trailing comma before {text[exc.pos]!r}",
        )
    return Diagnostic(Span(path, exc.lineno, exc.colno), f"invalid JSON: {exc.msg}")


class _Pairs(dict[str, Any]):
    """A JSON object that had a duplicate key (kept to locate it later)."""

    duplicate: str = ""


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            marked = _Pairs(out)
            marked.duplicate = key
            out = marked
        out[key] = value
    return out


def _find_duplicate_key(value: Any, ptr: str = "") -> str | None:
    if isinstance(value, _Pairs) and value.duplicate:
        return pointer(ptr, value.duplicate)
    if isinstance(value, dict):
        for k, v in value.items():
            found = _find_duplicate_key(v, pointer(ptr, k))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _find_duplicate_key(v, pointer(ptr, i))
            if found is not None:
                return found
    return None

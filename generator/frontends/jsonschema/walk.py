"""Where a schema's subschemas are: the keywords that hold schemas, by JSON
pointer, so that every pass over a schema (ids and anchors, checks,
normalising, analysis) agrees on what is a schema and what is a value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.frontends.jsonschema.keywords import SCHEMA, SCHEMA_LIST, SCHEMA_MAP
from generator.jsonsource import pointer

MAX_DEPTH = 100
"""How deep a schema file's JSON may nest; deeper is refused (no real schema
comes close, and every pass stays far from Python's recursion limit)."""


def children(node: Any, ptr: str = "") -> Iterator[tuple[str, Any]]:
    """``(pointer, subschema)`` of the schemas directly inside ``node``."""
    if not isinstance(node, dict):
        return
    for key in SCHEMA:
        if key not in node:
            continue
        value = node[key]
        if key == "items" and isinstance(value, list):
            for i, sub in enumerate(value):
                yield pointer(pointer(ptr, key), i), sub
        else:
            yield pointer(ptr, key), value
    for key in SCHEMA_LIST:
        value = node.get(key)
        for i, sub in enumerate(value) if isinstance(value, list) else ():
            yield pointer(pointer(ptr, key), i), sub
    for key in SCHEMA_MAP:
        value = node.get(key)
        for name, sub in value.items() if isinstance(value, dict) else ():
            if key == "dependencies" and isinstance(sub, list):
                continue  # draft-04 to 07: a list of property names
            yield pointer(pointer(ptr, key), name), sub


def subschemas(node: Any, ptr: str = "") -> Iterator[tuple[str, Any]]:
    """``node`` and every schema inside it, depth first, without recursion."""
    stack = [(ptr, node)]
    while stack:
        here, sub = stack.pop()
        yield here, sub
        stack.extend(reversed(list(children(sub, here))))


def too_deep(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """The pointer of the first value nested more than ``limit`` levels deep
    in a JSON value, or None."""
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        ptr, node, depth = stack.pop()
        if depth > limit:
            return ptr
        if isinstance(node, dict):
            stack.extend((pointer(ptr, k), v, depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((pointer(ptr, i), v, depth + 1) for i, v in enumerate(node))
    return None


def not_unicode(value: Any) -> str | None:
    """The pointer of the first string (or key) that is no Unicode text (a
    lone surrogate, which JSON's ``\\ud800`` escapes can spell), or None."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        ptr, node = stack.pop()
        if isinstance(node, str) and not _encodes(node):
            return ptr
        if isinstance(node, dict):
            for k, v in node.items():
                if not _encodes(k):
                    return pointer(ptr, k.encode("utf-8", "replace").decode())
                stack.append((pointer(ptr, k), v))
        elif isinstance(node, list):
            stack.extend((pointer(ptr, i), v) for i, v in enumerate(node))
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

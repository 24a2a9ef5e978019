"""Pass 1: every named type of every file, registered by fullname.

Named types may be referenced from any file, in any order, so all of them are
collected before any reference is resolved.
"""

from __future__ import annotations

import re
from typing import Any

from generator.frontends.avro.names import (
    NAMED_KINDS,
    PRIMITIVES,
    namespace_of,
    qualify,
    valid_fullname,
)
from generator.frontends.avro.state import (
    Definition,
    FileSchema,
    State,
    describe,
    text,
)
from generator.jsonsource import JsonDocument, pointer

MESSAGES_DIR = "schemas/messages/"


def collect_file(state: State, doc: JsonDocument) -> None:
    """Register the named types a file defines.  A file is a named type, a
    list of named type definitions (each record of it a message), or any other
    schema, which is then a message of its own, named after the file."""
    value = doc.value
    if _is_definition(value):
        _collect(state, doc, "", value, "", top_level=True)
    elif isinstance(value, list) and value and all(map(_is_definition, value)):
        for i, node in enumerate(value):
            _collect(state, doc, pointer("", i), node, "", top_level=True)
    else:
        _collect(state, doc, "", value, "")
        state.files.append(FileSchema(doc, file_message_name(doc.path)))


def _is_definition(node: Any) -> bool:
    return isinstance(node, dict) and text(node.get("type")) in NAMED_KINDS


def file_message_name(path: str) -> str:
    """The full name of a file's message: its path under ``schemas/messages``
    without the suffix, dotted, each part a name."""
    rel = path.removeprefix(MESSAGES_DIR).rpartition(".")[0] or path
    parts = [re.sub(r"\W", "_", p, flags=re.ASCII) for p in rel.split("/")]
    return ".".join(f"_{p}" if p[:1].isdigit() else p or "_" for p in parts)


def _collect(
    state: State,
    doc: JsonDocument,
    ptr: str,
    node: Any,
    namespace: str,
    *,
    top_level: bool = False,
) -> None:
    """Walk a type expression, registering named types it defines."""
    # One frame per level of nesting: deep schemas reach Python's recursion
    # limit here first, so no helper sits between the recursive calls.
    if isinstance(node, list):
        for i, branch in enumerate(node):
            _collect(state, doc, pointer(ptr, i), branch, namespace)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if isinstance(kind, str) and kind in NAMED_KINDS:
        fullname = _define(state, doc, ptr, node, namespace, kind, top_level)
        if fullname is None or kind not in ("record", "error"):
            return
        inner_ns = namespace_of(fullname)
        fields = node.get("fields")
        if isinstance(fields, list):
            for i, f in enumerate(fields):
                if isinstance(f, dict) and "type" in f:
                    fptr = pointer(pointer(ptr, "fields"), i)
                    _collect(state, doc, pointer(fptr, "type"), f["type"], inner_ns)
    elif kind == "array" and "items" in node:
        _collect(state, doc, pointer(ptr, "items"), node["items"], namespace)
    elif kind == "map" and "values" in node:
        _collect(state, doc, pointer(ptr, "values"), node["values"], namespace)
    elif isinstance(kind, dict | list):
        _collect(state, doc, pointer(ptr, "type"), kind, namespace)


def _define(
    state: State,
    doc: JsonDocument,
    ptr: str,
    node: dict[str, Any],
    namespace: str,
    kind: str,
    top_level: bool,
) -> str | None:
    """Register one named type; its fullname, or None (reported) when it has
    no valid, new name."""
    name = node.get("name")
    if not isinstance(name, str):
        state.error(
            doc,
            ptr,
            f'{kind} is missing its "name"'
            if name is None
            else f'"name" must be a string, found {describe(name)}',
        )
        return None
    ns = node.get("namespace", namespace)
    if "namespace" in node and not isinstance(ns, str | None):
        state.error(doc, pointer(ptr, "namespace"), '"namespace" must be a string')
        return None
    fullname = qualify(name, ns or "")
    if not valid_fullname(fullname):
        where = (
            pointer(ptr, "namespace")
            if "namespace" in node and "." not in name
            else pointer(ptr, "name")
        )
        state.error(
            doc,
            where,
            f"invalid name {fullname!r}",
            "names are letters, digits and underscores, not starting "
            "with a digit, joined by dots",
        )
        return None
    short = fullname.rpartition(".")[2]
    if short in PRIMITIVES:
        state.error(
            doc,
            pointer(ptr, "name"),
            f"{fullname!r} redefines the primitive type {short!r}",
        )
        return None
    first = state.definitions.get(fullname)
    if first is not None:
        state.error(
            doc,
            pointer(ptr, "name"),
            f"duplicate definition of {fullname!r}",
            f"first defined at {first.doc.span(pointer(first.ptr, 'name'))}",
        )
        return None
    state.definitions[fullname] = Definition(
        doc, ptr, node, fullname, "record" if kind == "error" else kind, top_level
    )
    return fullname

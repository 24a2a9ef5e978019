"""The Avro front-end's passes, in order.

1. ``collect``: every named type of every file, by fullname, so that types may
   be referenced from any file, in any order; files whose schema is no named
   type (a primitive, array, map or union) are messages of their own.
2. ``named`` (with ``resolve`` for type expressions): each definition -> IR,
   and the type of each such file.
3. ``defaults`` and ``cycles``: whole-schema checks over the finished types;
   ``jsonform`` picks each message's JSON encoding.

Every problem is collected with the file, line and column where it was
written, and reported together after the pass that found it.
"""

from __future__ import annotations

from collections.abc import Sequence

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.frontends.avro.collect import collect_file
from generator.frontends.avro.cycles import check_cycles
from generator.frontends.avro.defaults import check_defaults
from generator.frontends.avro.depth import check_depth
from generator.frontends.avro.jsonform import json_encoding
from generator.frontends.avro.named import build_named
from generator.frontends.avro.resolve import resolve_type
from generator.frontends.avro.state import FileSchema, State
from generator.jsonsource import JsonDocument
from generator.naming import class_names, message_names


def parse_avro(
    documents: Sequence[JsonDocument],
    warnings: list[Diagnostic] | None = None,
) -> tuple[tuple[ir.NamedType, ...], tuple[ir.Message, ...]]:
    """Turn parsed ``.avsc`` documents into IR; raise ``SchemaError`` listing
    every problem found.  Warnings go to ``warnings``, errors or not."""
    state = State()
    try:
        return _parse(state, documents)
    finally:
        if warnings is not None:
            warnings.extend(state.warnings)


def _parse(
    state: State, documents: Sequence[JsonDocument]
) -> tuple[tuple[ir.NamedType, ...], tuple[ir.Message, ...]]:
    for doc in sorted(documents, key=lambda d: d.path):
        collect_file(state, doc)
    if state.diagnostics:
        raise SchemaError(state.diagnostics)

    names = class_names([*state.definitions, *(f.fullname for f in state.files)])
    types: dict[str, ir.NamedType] = {}
    for d in state.definitions.values():
        built = build_named(state, d, names[d.fullname])
        if built is not None:
            types[d.fullname] = built
    roots = {f.fullname: _file_root(state, f) for f in state.files}
    if not state.diagnostics:
        check_defaults(state, types)
        check_cycles(state, types)
        spans = {f.fullname: f.doc.span("") for f in state.files}
        check_depth(
            state, types, {n: (t, spans[n]) for n, t in roots.items() if t is not None}
        )
    if state.diagnostics:
        raise SchemaError(state.diagnostics)

    messages = [
        _message(d.fullname, d.doc.path, names[d.fullname], None, types)
        for d in state.definitions.values()
        if d.top_level and d.kind in ("record", "error")
    ]
    messages += [
        _message(f.fullname, f.doc.path, names[f.fullname], roots[f.fullname], types)
        for f in state.files
    ]
    return (
        tuple(sorted(types.values(), key=lambda t: t.fullname)),
        tuple(sorted(messages, key=lambda m: m.fullname)),
    )


def _file_root(state: State, f: FileSchema) -> ir.Type | None:
    """The type of a file that is a message of its own; None (reported) when
    it is invalid or its name is taken by a named type."""
    if f.fullname in state.definitions:
        state.error(
            f.doc,
            "",
            f"the message of this file would be named {f.fullname!r}, "
            "which is also a named type's full name",
            "rename the file",
        )
        return None
    return resolve_type(state, f.doc, "", f.doc.value, "")


def _message(
    fullname: str,
    source: str,
    class_name: str,
    root: ir.Type | None,
    types: dict[str, ir.NamedType],
) -> ir.Message:
    names = message_names(class_name)
    kind: ir.MessageKind = "record"
    if root is not None:
        kind = "union" if _records_only(root, types) else "root"
    # A union message's JSON says which record its value is, like Avro's.
    json = "avro" if kind == "union" else json_encoding(root or ir.Ref(fullname), types)
    return ir.Message(
        fullname,
        source,
        class_name,
        names.constant,
        names.example,
        kind=kind,
        root=root,
        json=json,
    )


def _records_only(t: ir.Type, types: dict[str, ir.NamedType]) -> bool:
    """Whether ``t`` is a union whose branches are all records."""
    return isinstance(t, ir.Union) and all(
        isinstance(b, ir.Ref) and isinstance(types[b.fullname], ir.Record)
        for b in t.branches
    )

"""The Avro front-end's passes, in order.

1. ``collect``: every named type of every file, by fullname, so that types may
   be referenced from any file, in any order.
2. ``named`` (with ``resolve`` for type expressions): each definition -> IR.
3. ``defaults`` and ``cycles``: whole-schema checks over the finished types.

Every problem is collected with the file, line and column where it was
written, and reported together after the pass that found it.
"""

from __future__ import annotations

from collections.abc import Sequence

from generator import ir
from generator.errors import SchemaError
from generator.frontends.avro.collect import collect_file
from generator.frontends.avro.cycles import check_cycles
from generator.frontends.avro.defaults import check_defaults
from generator.frontends.avro.named import build_named
from generator.frontends.avro.state import State
from generator.jsonsource import JsonDocument
from generator.naming import class_names, message_names


def parse_avro(
    documents: Sequence[JsonDocument],
) -> tuple[tuple[ir.NamedType, ...], tuple[ir.Message, ...]]:
    """Turn parsed ``.avsc`` documents into IR; raise ``SchemaError`` listing
    every problem found."""
    state = State()
    for doc in sorted(documents, key=lambda d: d.path):
        collect_file(state, doc)
    if state.diagnostics:
        raise SchemaError(state.diagnostics)

    names = class_names(state.definitions)
    types: dict[str, ir.NamedType] = {}
    for d in state.definitions.values():
        built = build_named(state, d, names[d.fullname])
        if built is not None:
            types[d.fullname] = built
    if not state.diagnostics:
        check_defaults(state, types)
        check_cycles(state, types)
    if state.diagnostics:
        raise SchemaError(state.diagnostics)

    messages = tuple(
        sorted(
            (
                _message(d.fullname, d.doc.path, names[d.fullname])
                for d in state.definitions.values()
                if d.top_level and d.kind in ("record", "error")
            ),
            key=lambda m: m.fullname,
        )
    )
    return tuple(sorted(types.values(), key=lambda t: t.fullname)), messages


def _message(fullname: str, source: str, class_name: str) -> ir.Message:
    names = message_names(class_name)
    return ir.Message(fullname, source, class_name, names.constant, names.example)

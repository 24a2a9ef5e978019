"""Pass 3: how deeply types nest, bounded so that the generated code loads.

A record in a record in a record... is fine for Avro, but the generated code
nests as deep: an example is one constructor call inside another, an array of
arrays is ``list[list[...]]``, and ``svcforge.avro_schema`` rebuilds a
message's schema recursively at import.  Python's parser refuses more than 200
nested brackets in one expression and its interpreter more than 1000 frames, so
a type nested deeper than ``MAX_DEPTH`` levels is refused, where it is
defined, rather than generated into code that cannot be imported.
"""

from __future__ import annotations

from collections.abc import Mapping

from generator import ir
from generator.errors import Diagnostic
from generator.frontends.avro.state import State

MAX_DEPTH = 190
"""Levels of records, arrays, maps and unions inside one another."""
MAX_FIELD_DEPTH = 100
"""Levels of arrays, maps and unions inside one another in one field's type
(one annotation, which pydantic builds recursively, some ten frames a level)."""


def check_depth(
    state: State,
    types: Mapping[str, ir.NamedType],
    roots: Mapping[str, tuple[ir.Type, ir.Span]],
) -> None:
    """Report each record, and each file message (``roots``: type and where
    its file is), whose values nest more than ``MAX_DEPTH`` levels."""
    depths: dict[str, int] = {}
    path: set[str] = set()

    def depth(t: ir.Type) -> int:
        # One frame per level: the generator runs with recursion room (deep).
        match t:
            case ir.Array(inner) | ir.Map(inner):
                return 1 + depth(inner)
            case ir.Union(branches):
                return 1 + max((depth(b) for b in branches), default=0)
            case ir.Ref(fullname):
                named = types.get(fullname)
                if not isinstance(named, ir.Record) or fullname in path:
                    return 0
                if fullname not in depths:
                    path.add(fullname)
                    fields = (depth(f.type) for f in named.fields)
                    depths[fullname] = 1 + max(fields, default=0)
                    path.discard(fullname)
                return depths[fullname]
        return 0

    _check_fields(state, types, roots)
    too_deep = [
        (depth(ir.Ref(name)), name, t.span)
        for name, t in sorted(types.items())
        if isinstance(t, ir.Record)
    ]
    too_deep += [(depth(t), name, span) for name, (t, span) in sorted(roots.items())]
    levels, name, span = max(too_deep, key=lambda d: d[0], default=(0, "", None))
    if levels > MAX_DEPTH and span is not None:
        # The deepest one only: the types inside it are too deep for the same
        # reason.
        state.diagnostics.append(
            Diagnostic(
                span,
                f"{name!r} nests records, arrays, maps and unions {levels} "
                f"levels deep, more than the {MAX_DEPTH} that generated "
                "Python code can hold",
                "flatten the schema: Python refuses more than 200 nested "
                "brackets in an expression",
            )
        )


def _field_depth(t: ir.Type) -> int:
    match t:
        case ir.Array(inner) | ir.Map(inner):
            return 1 + _field_depth(inner)
        case ir.Union(branches):
            return 1 + max((_field_depth(b) for b in branches), default=0)
    return 0


def _check_fields(
    state: State,
    types: Mapping[str, ir.NamedType],
    roots: Mapping[str, tuple[ir.Type, ir.Span]],
) -> None:
    typed = [
        (f.type, f.span, f"field {f.name!r} of {t.fullname!r}")
        for t in types.values()
        if isinstance(t, ir.Record)
        for f in t.fields
    ]
    typed += [(t, span, repr(name)) for name, (t, span) in roots.items()]
    for t, span, what in typed:
        levels = _field_depth(t)
        if levels > MAX_FIELD_DEPTH:
            state.diagnostics.append(
                Diagnostic(
                    span,
                    f"the type of {what} nests arrays, maps and unions {levels} "
                    f"levels deep, more than the {MAX_FIELD_DEPTH} that a "
                    "pydantic annotation can hold",
                    "name an inner part as a record",
                )
            )

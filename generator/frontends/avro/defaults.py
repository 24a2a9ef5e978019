"""Pass 3: every field default is a value of its field's type (Avro 1.11:
a union's default matches its first branch)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from generator import ir
from generator.errors import Diagnostic
from generator.frontends.avro.resolve import union_key
from generator.frontends.avro.state import State, describe

_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
# The values Python's date, time and datetime can hold, as Avro writes them.
_MICROS_PER_DAY = 86_400_000_000
_DAYS = (-719_162, 2_932_896)  # 0001-01-01 .. 9999-12-31
_MICROS = (_DAYS[0] * _MICROS_PER_DAY, (_DAYS[1] + 1) * _MICROS_PER_DAY - 1)


def check_defaults(state: State, types: dict[str, ir.NamedType]) -> None:
    for t in types.values():
        if not isinstance(t, ir.Record):
            continue
        for f in t.fields:
            if f.default is ir.MISSING:
                continue
            problem = default_problem(f.default, f.type, types)
            if problem:
                span = state.default_spans.get((t.fullname, f.name), f.span)
                state.diagnostics.append(
                    Diagnostic(
                        span,
                        f"bad default for field {f.name!r}: {problem}",
                        _union_default_hint(f.default, f.type, types),
                    )
                )


def _union_default_hint(value: Any, t: ir.Type, types: dict[str, ir.NamedType]) -> str:
    """When a union's default fits a later branch: say to list that one first."""
    if not isinstance(t, ir.Union):
        return ""
    for i, branch in enumerate(t.branches[1:], 1):
        if not default_problem(value, branch, types):
            return (
                f"the default matches branch {i} ({union_key(branch)}); list it first"
            )
    return ""


def default_problem(value: Any, t: ir.Type, types: dict[str, ir.NamedType]) -> str:
    """Why ``value`` (as written in JSON) is not a valid default of ``t``, or ''."""
    # Nested arrays and maps recurse here directly, one frame per level.
    match t:
        case ir.Union(branches):
            inner = default_problem(value, branches[0], types)
            return (
                f"{inner} (a union's default must match its first branch)"
                if inner
                else ""
            )
        case ir.Logical():
            return _logical_default_problem(value, t, types)
        case ir.Primitive(name):
            return _primitive_default_problem(value, name)
        case ir.Array(inner) | ir.Map(inner):
            entries = _entries(value, t)
            if isinstance(entries, str):
                return entries
            for label, v in entries:
                p = default_problem(v, inner, types)
                if p:
                    return f"{label}: {p}"
            return ""
        case ir.Ref(fullname):
            return _named_default_problem(value, types[fullname], types)
    return ""


def _entries(value: Any, t: ir.Array | ir.Map) -> list[tuple[str, Any]] | str:
    """The items of an array default or the entries of a map default, each
    with how a diagnostic names it; or why ``value`` is neither."""
    if isinstance(t, ir.Array):
        if not isinstance(value, list):
            return f"expected a JSON array, found {describe(value)}"
        return [(f"item {i}", v) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return f"expected a JSON object, found {describe(value)}"
    return [(f"key {k!r}", v) for k, v in value.items()]


def _logical_default_problem(
    value: Any, t: ir.Logical, types: dict[str, ir.NamedType]
) -> str:
    """Why ``value`` is no default of the underlying type, or else no value of
    the logical type; or ''."""
    base = ir.Ref(t.fixed) if t.fixed else ir.Primitive(t.base or "null")
    return default_problem(value, base, types) or _logical_value_problem(value, t)


def _logical_value_problem(value: Any, t: ir.Logical) -> str:
    """Why a default that suits the underlying type is no value of the logical
    type, or ''."""
    if t.name == "uuid":
        if t.fixed:  # any 16 bytes are a UUID
            return ""
        try:
            uuid.UUID(value)
        except ValueError:
            return f"expected a UUID string, found {describe(value)}"
        return ""
    if t.name == "decimal":
        sign, digits, _ = Decimal(_unscaled(value)).as_tuple()
        if len(digits) > t.precision:
            # Built from its digits: exact, whatever the scale.
            shown = Decimal((sign, digits, -t.scale)) if len(digits) <= 40 else None
            what = f"decimal {shown}" if shown is not None else "the decimal"
            return f"{what} has more than the {t.precision} digits of its precision"
        return ""
    unit = 1000 if t.name.endswith("millis") else 1
    if t.name == "date":
        lo, hi, what = *_DAYS, "a day from 0001-01-01 to 9999-12-31"
    elif t.name.startswith("time-"):
        lo, hi = 0, (_MICROS_PER_DAY - 1) // unit
        what = f"a time of day from 0 to {hi} ({t.name.rpartition('-')[2]})"
    else:
        lo, hi = -(-_MICROS[0] // unit), _MICROS[1] // unit
        what = f"a {t.name} from year 1 to year 9999"
    if not lo <= value <= hi:
        return f"expected {what}, found {describe(value)}"
    return ""


def _unscaled(value: str) -> int:
    """The unscaled integer of a decimal default (its bytes, two's complement,
    big-endian, written as a string of code points 0-255)."""
    raw = value.encode("latin-1")
    return int.from_bytes(raw, "big", signed=True) if raw else 0


def _primitive_default_problem(value: Any, name: str) -> str:
    ok: bool
    if name == "null":
        ok = value is None
    elif name == "boolean":
        ok = isinstance(value, bool)
    elif name in _INT_RANGE:
        lo, hi = _INT_RANGE[name]
        ok = (
            isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
        )
    elif name in ("float", "double"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif name == "string":
        ok = isinstance(value, str)
    else:  # bytes
        ok = isinstance(value, str) and all(ord(c) < 256 for c in value)
    return "" if ok else f"expected {name}, found {describe(value)}"


def _named_default_problem(
    value: Any, t: ir.NamedType, types: dict[str, ir.NamedType]
) -> str:
    if isinstance(t, ir.Enum):
        symbols = [s.name for s in t.symbols]
        if value not in symbols:
            return f"expected one of {', '.join(symbols)}, found {describe(value)}"
        return ""
    if isinstance(t, ir.Fixed):
        if not (
            isinstance(value, str)
            and len(value) == t.size
            and all(ord(c) < 256 for c in value)
        ):
            return f"expected a string of {t.size} bytes for fixed {t.fullname!r}"
        return _logical_value_problem(value, t.logical) if t.logical else ""
    if not isinstance(value, dict):
        return (
            f"expected a JSON object for record {t.fullname!r}, found {describe(value)}"
        )
    for f in t.fields:
        if f.name in value:
            p = default_problem(value[f.name], f.type, types)
            if p:
                return f"{f.name}: {p}"
        elif f.default is ir.MISSING:
            return f"record {t.fullname!r} default lacks field {f.name!r}"
    return ""

"""Result types of the functions named queries may call, by name, from their
typed arguments.  A function not listed here is an error that asks for a cast
of its result: svcforge does not guess."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator import ir
from generator.frontends.sql.queries.context import Context, Ty
from generator.frontends.sql.queries.resolution import (
    BOOL,
    FLOAT8,
    INT4,
    INT8,
    NUMERIC,
    TEXT,
    TIMESTAMPTZ,
)
from generator.frontends.sql.source import SqlError

_FIXED = {
    "now": TIMESTAMPTZ,
    "clock_timestamp": TIMESTAMPTZ,
    "statement_timestamp": TIMESTAMPTZ,
    "transaction_timestamp": TIMESTAMPTZ,
    "gen_random_uuid": ir.SqlType("uuid"),
    "random": FLOAT8,
    "row_number": INT8,
    "rank": INT8,
    "dense_rank": INT8,
}
_SAME_NULLABLE = ("abs", "ceil", "ceiling", "floor", "sign", "trunc")
_TEXT = (
    "lower",
    "upper",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "initcap",
    "concat",
    "left",
    "right",
    "replace",
    "substr",
    "substring",
    "md5",
    "to_char",
    "format",
)
_INT_LENGTH = (
    "length",
    "char_length",
    "octet_length",
    "cardinality",
    "array_length",
    "strpos",
    "position",
)
_JSONB = (
    "jsonb_build_object",
    "jsonb_build_array",
    "to_jsonb",
    "jsonb_agg",
    "jsonb_object_agg",
    "jsonb_set",
    "jsonb_strip_nulls",
)
_AGGREGATES = {
    "sum": {"int2": INT8, "int4": INT8, "int8": NUMERIC},
    "avg": {"float4": FLOAT8, "float8": FLOAT8, "interval": ir.SqlType("interval")},
}
"""The result type by argument type; otherwise sum keeps the argument's type
and avg gives numeric."""


@dataclass(frozen=True, slots=True)
class Call:
    """A function call with its arguments typed."""

    name: str
    args: list[Ty]
    location: int

    @property
    def nullable(self) -> bool:
        """NULL in, NULL out: what most functions do."""
        return any(a.nullable for a in self.args)

    def arg(self, i: int) -> ir.SqlType:
        """The type of argument ``i``, which the result depends on."""
        t = self.args[i].type if i < len(self.args) else None
        if t is None:
            raise SqlError(
                self.location,
                f"cannot tell the type of argument {i + 1} of {self.name}()",
                "add a cast to it",
            )
        return t


def function_name(node: Any) -> str:
    """The name of a called function, refused when it is not a built-in."""
    names = [n.sval for n in node.funcname]
    if len(names) == 2 and names[0] != "pg_catalog":
        raise SqlError(
            node.location,
            f"unsupported function {'.'.join(names)}()",
            "add a cast to its result",
        )
    return str(names[-1]).lower()


def star_call(name: str, location: int) -> Ty:
    """``count(*)``, the one function that takes ``*``."""
    if name != "count":
        raise SqlError(location, f"{name}(*) is not supported")
    return Ty(INT8)


def result_type(ctx: Context, call: Call) -> Ty:
    rule = _RULES.get(call.name)
    if rule is None:
        raise SqlError(
            call.location,
            f"cannot tell the result type of {call.name}()",
            f"add a cast: {call.name}(...)::<type>",
        )
    return rule(ctx, call)


# --- one rule per kind of function: (context, call) -> result type -----------


def _fixed(ctx: Context, call: Call) -> Ty:
    return Ty(_FIXED[call.name])


def _count(ctx: Context, call: Call) -> Ty:
    return Ty(INT8)


def _sum_or_avg(ctx: Context, call: Call) -> Ty:
    t = call.arg(0)
    default = t if call.name == "sum" else NUMERIC
    return Ty(_AGGREGATES[call.name].get(t.name, default), True)


def _first_argument_or_null(ctx: Context, call: Call) -> Ty:
    """Aggregates and window functions that pick one of their inputs, and
    give NULL over no rows."""
    return Ty(call.arg(0), True)


def _bool_aggregate(ctx: Context, call: Call) -> Ty:
    return Ty(BOOL, True)


def _array_agg(ctx: Context, call: Call) -> Ty:
    t = call.arg(0)
    return Ty(t.array(t.dims + 1), True)


def _array_edit(ctx: Context, call: Call) -> Ty:
    """array_append, array_remove, array_prepend, array_cat: the array's type,
    which an untyped other argument takes (as an element or an array)."""
    arr = 1 if call.name == "array_prepend" else 0
    t = call.arg(arr)
    other = call.args[1 - arr] if len(call.args) == 2 else None
    if other is not None:
        want = t if call.name == "array_cat" else t.element.array(t.dims - 1)
        ctx.bind(other, want, call.location)
    return Ty(ir.SqlType(t.name, (), t.dims, t.enum), call.nullable)


def _string_agg(ctx: Context, call: Call) -> Ty:
    for a in call.args:
        ctx.bind(a, TEXT, call.location)
    return Ty(TEXT, True)


def _date_trunc(ctx: Context, call: Call) -> Ty:
    ctx.bind(call.args[0], TEXT, call.location, name="unit")
    return Ty(call.arg(1), call.nullable)


def _date_part(ctx: Context, call: Call) -> Ty:
    """extract (numeric) and date_part (double precision)."""
    ctx.bind(call.args[0], TEXT, call.location, name="field")
    return Ty(NUMERIC if call.name == "extract" else FLOAT8, call.nullable)


def _round(ctx: Context, call: Call) -> Ty:
    t = call.arg(0)
    if len(call.args) == 2:
        ctx.bind(call.args[1], INT4, call.location, name="digits")
        return Ty(NUMERIC, call.nullable)
    return Ty(t if t.name in ("numeric", "float8") else FLOAT8, call.nullable)


def _same_type(ctx: Context, call: Call) -> Ty:
    return Ty(call.arg(0), call.nullable)


def _text(ctx: Context, call: Call) -> Ty:
    for a in call.args:
        if a.type is None:
            ctx.bind(a, TEXT, call.location)
    return Ty(TEXT, call.nullable)


def _int_length(ctx: Context, call: Call) -> Ty:
    """Lengths and positions; an array's length is NULL for an empty array."""
    of_array = call.name in ("array_length", "cardinality")
    return Ty(INT4, True if of_array else call.nullable)


def _jsonb(ctx: Context, call: Call) -> Ty:
    return Ty(ir.SqlType("jsonb"), call.nullable)


Rule = Callable[[Context, Call], Ty]

_RULES: dict[str, Rule] = {
    **dict.fromkeys(_FIXED, _fixed),
    "count": _count,
    **dict.fromkeys(_AGGREGATES, _sum_or_avg),
    **dict.fromkeys(
        ("min", "max", "first_value", "last_value", "lag", "lead", "any_value"),
        _first_argument_or_null,
    ),
    **dict.fromkeys(("bool_and", "bool_or", "every"), _bool_aggregate),
    "array_agg": _array_agg,
    **dict.fromkeys(
        ("array_append", "array_remove", "array_prepend", "array_cat"), _array_edit
    ),
    "string_agg": _string_agg,
    "date_trunc": _date_trunc,
    **dict.fromkeys(("extract", "date_part"), _date_part),
    "round": _round,
    **dict.fromkeys(_SAME_NULLABLE, _same_type),
    **dict.fromkeys(_TEXT, _text),
    **dict.fromkeys(_INT_LENGTH, _int_length),
    **dict.fromkeys(_JSONB, _jsonb),
}

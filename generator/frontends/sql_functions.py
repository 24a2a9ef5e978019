"""Result types of the functions named queries may call.  A function not listed
here is an error that asks for a cast of its result: svcforge does not guess."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator import ir
from generator.frontends.sql_source import SqlError
from generator.frontends.sql_typing import Scope, Ty

if TYPE_CHECKING:
    from generator.frontends.sql_exprs import Expressions

_T = ir.SqlType
_SAME_NULLABLE = frozenset({"abs", "ceil", "ceiling", "floor", "sign", "trunc"})
_TEXT = frozenset(
    {
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
    }
)
_FIXED = {
    "now": _T("timestamptz"),
    "clock_timestamp": _T("timestamptz"),
    "statement_timestamp": _T("timestamptz"),
    "transaction_timestamp": _T("timestamptz"),
    "gen_random_uuid": _T("uuid"),
    "random": _T("float8"),
    "row_number": _T("int8"),
    "rank": _T("int8"),
    "dense_rank": _T("int8"),
}
_INT_LENGTH = frozenset(
    {
        "length",
        "char_length",
        "octet_length",
        "cardinality",
        "array_length",
        "strpos",
        "position",
    }
)
_JSONB = frozenset(
    {
        "jsonb_build_object",
        "jsonb_build_array",
        "to_jsonb",
        "jsonb_agg",
        "jsonb_object_agg",
        "jsonb_set",
        "jsonb_strip_nulls",
    }
)


def call(infer: Expressions, node: Any, scope: Scope) -> Ty:
    names = [n.sval for n in node.funcname]
    name = names[-1].lower()
    if len(names) == 2 and names[0] != "pg_catalog":
        raise SqlError(
            node.location,
            f"unsupported function {'.'.join(names)}()",
            "add a cast to its result",
        )
    if node.agg_star:
        if name != "count":
            raise SqlError(node.location, f"{name}(*) is not supported")
        return Ty(_T("int8"))
    args = [infer.expr(a, scope) for a in node.args or ()]
    if node.agg_filter is not None:
        infer.expect_bool(node.agg_filter, scope)
    for s in node.agg_order or ():
        infer.expr(s.node, scope)
    result = _result(infer, name, args, node)
    if result is None:
        raise SqlError(
            node.location,
            f"cannot tell the result type of {name}()",
            f"add a cast: {name}(...)::<type>",
        )
    return result


def _arg(args: list[Ty], i: int, name: str, node: Any) -> ir.SqlType:
    if i >= len(args) or args[i].type is None:
        raise SqlError(
            node.location,
            f"cannot tell the type of argument {i + 1} of {name}()",
            "add a cast to it",
        )
    t = args[i].type
    assert t is not None
    return t


def _result(infer: Expressions, name: str, args: list[Ty], node: Any) -> Ty | None:
    nullable = any(a.nullable for a in args)
    if name in _FIXED:
        return Ty(_FIXED[name])
    if name == "count":
        return Ty(_T("int8"))
    if name in ("sum", "avg"):
        t = _arg(args, 0, name, node)
        return Ty(_aggregate(name, t), True)
    if name in ("min", "max", "first_value", "last_value", "lag", "lead", "any_value"):
        return Ty(_arg(args, 0, name, node), True)
    if name in ("bool_and", "bool_or", "every"):
        return Ty(_T("bool"), True)
    if name == "array_agg":
        t = _arg(args, 0, name, node)
        return Ty(t.array(t.dims + 1), True)
    if name in ("array_append", "array_remove", "array_prepend", "array_cat"):
        arr = 1 if name == "array_prepend" else 0
        t = _arg(args, arr, name, node)
        other = args[1 - arr] if len(args) == 2 else None
        if other is not None:
            want = t if name == "array_cat" else t.element.array(t.dims - 1)
            infer.bind(other, want, node.location)
        return Ty(ir.SqlType(t.name, (), t.dims, t.enum), nullable)
    if name == "string_agg":
        for a in args:
            infer.bind(a, _T("text"), node.location)
        return Ty(_T("text"), True)
    if name == "date_trunc":
        infer.bind(args[0], _T("text"), node.location, name="unit")
        t = _arg(args, 1, name, node)
        return Ty(t, nullable)
    if name in ("extract", "date_part"):
        infer.bind(args[0], _T("text"), node.location, name="field")
        return Ty(_T("numeric") if name == "extract" else _T("float8"), nullable)
    if name == "round":
        t = _arg(args, 0, name, node)
        if len(args) == 2:
            infer.bind(args[1], _T("int4"), node.location, name="digits")
            return Ty(_T("numeric"), nullable)
        return Ty(t if t.name in ("numeric", "float8") else _T("float8"), nullable)
    if name in _SAME_NULLABLE:
        return Ty(_arg(args, 0, name, node), nullable)
    if name in _TEXT:
        for a in args:
            if a.type is None:
                infer.bind(a, _T("text"), node.location)
        return Ty(_T("text"), nullable)
    if name in _INT_LENGTH:
        return Ty(
            _T("int4"), True if name in ("array_length", "cardinality") else nullable
        )
    if name in _JSONB:
        return Ty(_T("jsonb"), nullable)
    return None


def _aggregate(name: str, t: ir.SqlType) -> ir.SqlType:
    if name == "sum":
        return {"int2": _T("int8"), "int4": _T("int8"), "int8": _T("numeric")}.get(
            t.name, t
        )
    return {
        "float4": _T("float8"),
        "float8": _T("float8"),
        "interval": _T("interval"),
    }.get(t.name, _T("numeric"))

"""PostgreSQL's rules that static query typing follows: the types of
literals, the common type of several expressions, arithmetic result types,
and the names PostgreSQL gives unnamed result columns."""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import MinMaxOp, SQLValueFunctionOp, SubLinkType

from generator import ir
from generator.frontends.sql.queries.context import Ty
from generator.frontends.sql.source import SqlError

BOOL = ir.SqlType("bool")
INT4 = ir.SqlType("int4")
INT8 = ir.SqlType("int8")
NUMERIC = ir.SqlType("numeric")
FLOAT8 = ir.SqlType("float8")
TEXT = ir.SqlType("text")
TIMESTAMP = ir.SqlType("timestamp")
TIMESTAMPTZ = ir.SqlType("timestamptz")
DATE = ir.SqlType("date")
INTERVAL = ir.SqlType("interval")

NUMERIC_RANK = {
    "int2": 0,
    "int4": 1,
    "int8": 2,
    "numeric": 3,
    "float4": 4,
    "float8": 5,
}
COMPARISONS = frozenset({"=", "<>", "!=", "<", ">", "<=", ">="})
STRINGS = frozenset({"text", "varchar", "bpchar"})

SQL_VALUE_FUNCTIONS = {
    SQLValueFunctionOp.SVFOP_CURRENT_DATE: DATE,
    SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP: TIMESTAMPTZ,
    SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP_N: TIMESTAMPTZ,
    SQLValueFunctionOp.SVFOP_LOCALTIMESTAMP: TIMESTAMP,
    SQLValueFunctionOp.SVFOP_LOCALTIMESTAMP_N: TIMESTAMP,
    SQLValueFunctionOp.SVFOP_CURRENT_USER: ir.SqlType("name"),
}

# Date and time arithmetic: (left, operator, right) -> result.
_DATETIME_ARITHMETIC = {
    ("timestamptz", "-", "timestamptz"): INTERVAL,
    ("timestamp", "-", "timestamp"): INTERVAL,
    ("timestamptz", "+", "interval"): TIMESTAMPTZ,
    ("timestamptz", "-", "interval"): TIMESTAMPTZ,
    ("interval", "+", "timestamptz"): TIMESTAMPTZ,
    ("timestamp", "+", "interval"): TIMESTAMP,
    ("timestamp", "-", "interval"): TIMESTAMP,
    ("date", "+", "interval"): TIMESTAMP,
    ("date", "-", "interval"): TIMESTAMP,
    ("date", "-", "date"): INT4,
    ("date", "+", "int4"): DATE,
    ("date", "-", "int4"): DATE,
    ("interval", "+", "interval"): INTERVAL,
    ("interval", "-", "interval"): INTERVAL,
    ("interval", "*", "float8"): INTERVAL,
    ("interval", "*", "int4"): INTERVAL,
    ("interval", "/", "float8"): INTERVAL,
}


def const_type(node: Any) -> Ty:
    if node.isnull:
        return Ty(None, True)
    match node.val:
        case ast.Integer():
            return Ty(INT4)
        case ast.Float():
            text = str(node.val.fval)
            if "." not in text and "e" not in text.lower() and abs(int(text)) >= 2**63:
                return Ty(NUMERIC)
            return Ty(NUMERIC if "." in text or "e" in text.lower() else INT8)
        case ast.Boolean():
            return Ty(BOOL)
        case _:
            return Ty(None)  # 'text' literals take the type of their context


def column_name(ref: Any) -> str:
    last = ref.fields[-1]
    return str(last.sval) if isinstance(last, ast.String) else "*"


def figure_name(node: Any) -> str:
    """The column name PostgreSQL gives an unnamed result (FigureColname)."""
    n: Any = node
    match node:
        case ast.ColumnRef():
            return column_name(node)
        case ast.FuncCall():
            return str(n.funcname[-1].sval)
        case ast.TypeCast():
            inner = figure_name(n.arg)
            if inner != "?column?":
                return inner
            return str(n.typeName.names[-1].sval)
        case ast.CoalesceExpr():
            return "coalesce"
        case ast.MinMaxExpr():
            return "greatest" if n.op == MinMaxOp.IS_GREATEST else "least"
        case ast.CaseExpr():
            return "case"
        case ast.SubLink() if n.subLinkType == SubLinkType.EXISTS_SUBLINK:
            return "exists"
        case ast.SubLink() if n.subLinkType == SubLinkType.ARRAY_SUBLINK:
            return "array"
        case ast.A_ArrayExpr():
            return "array"
        case ast.SQLValueFunction():
            return str(n.op.name).removeprefix("SVFOP_").lower().removesuffix("_n")
    return "?column?"


def unify(a: ir.SqlType, b: ir.SqlType, loc: int | None, what: str) -> ir.SqlType:
    """The common type of two results (UNION, CASE, COALESCE, ARRAY)."""
    if a == b:
        return a
    if a.dims == b.dims == 0:
        if a.name in NUMERIC_RANK and b.name in NUMERIC_RANK:
            return a if NUMERIC_RANK[a.name] >= NUMERIC_RANK[b.name] else b
        if a.name in STRINGS and b.name in STRINGS:
            return TEXT if "text" in (a.name, b.name) else ir.SqlType(a.name)
        if {a.name, b.name} == {"timestamp", "timestamptz"}:
            return TIMESTAMPTZ
    if a.name == b.name and a.enum == b.enum and a.dims == b.dims:
        return ir.SqlType(a.name, (), a.dims, a.enum)
    raise SqlError(
        loc, f"{what} types {a.sql} and {b.sql} cannot be matched", "add casts"
    )


def arithmetic(a: ir.SqlType, b: ir.SqlType, op: str, loc: int | None) -> ir.SqlType:
    if a.name in NUMERIC_RANK and b.name in NUMERIC_RANK and not a.dims and not b.dims:
        if "float4" in (a.name, b.name) and a.name != b.name:
            return FLOAT8  # real has operators only with real and double
        r = max(NUMERIC_RANK[a.name], NUMERIC_RANK[b.name])
        return ir.SqlType(next(n for n, k in NUMERIC_RANK.items() if k == r))
    result = _DATETIME_ARITHMETIC.get((a.name, op, b.name))
    if result is not None:
        return result
    raise SqlError(
        loc, f"cannot tell the type of {a.sql} {op} {b.sql}", "add a cast to the result"
    )

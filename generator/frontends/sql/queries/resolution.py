"""PostgreSQL's rules that static query typing follows: the types of
literals and SQL value functions, the common type of several expressions,
and the names PostgreSQL gives unnamed result columns."""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import MinMaxOp, SQLValueFunctionOp, SubLinkType

from generator import ir
from generator.frontends.sql.queries.context import Ty
from generator.frontends.sql.queries.overloads import NoMatch, Resolver
from generator.frontends.sql.queries.pg_catalog import sql_type, type_key
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

JSONB = ir.SqlType("jsonb")

SQL_VALUE_FUNCTIONS = {
    SQLValueFunctionOp.SVFOP_CURRENT_DATE: DATE,
    SQLValueFunctionOp.SVFOP_CURRENT_TIME: ir.SqlType("timetz"),
    SQLValueFunctionOp.SVFOP_CURRENT_TIME_N: ir.SqlType("timetz"),
    SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP: TIMESTAMPTZ,
    SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP_N: TIMESTAMPTZ,
    SQLValueFunctionOp.SVFOP_LOCALTIME: ir.SqlType("time"),
    SQLValueFunctionOp.SVFOP_LOCALTIME_N: ir.SqlType("time"),
    SQLValueFunctionOp.SVFOP_LOCALTIMESTAMP: TIMESTAMP,
    SQLValueFunctionOp.SVFOP_LOCALTIMESTAMP_N: TIMESTAMP,
    **dict.fromkeys(
        (
            SQLValueFunctionOp.SVFOP_CURRENT_ROLE,
            SQLValueFunctionOp.SVFOP_CURRENT_USER,
            SQLValueFunctionOp.SVFOP_USER,
            SQLValueFunctionOp.SVFOP_SESSION_USER,
            SQLValueFunctionOp.SVFOP_CURRENT_CATALOG,
            SQLValueFunctionOp.SVFOP_CURRENT_SCHEMA,
        ),
        ir.SqlType("name"),
    ),
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


def common(resolver: Resolver, tys: list[Ty], loc: int | None, what: str) -> ir.SqlType:
    """The type several expressions resolve to (UNION, CASE, COALESCE,
    ARRAY[], VALUES): the one they all have (length and precision kept),
    else PostgreSQL's common type."""
    known = [t.type for t in tys if t.type is not None]
    if known and all(k == known[0] for k in known):
        return known[0]
    try:
        key = resolver.common_type(
            [None if t.type is None else type_key(t.type) for t in tys], what
        )
    except NoMatch as exc:
        raise SqlError(loc, exc.message, "add casts") from None
    like = next((k for k in known if type_key(k) == key), None)
    return sql_type(key, like)

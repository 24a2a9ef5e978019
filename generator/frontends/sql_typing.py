"""The small types static query typing works with (a typed expression, a
relation in scope, a parameter, a scope) and PostgreSQL's rules for literal,
operator and result types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pglast import ast
from pglast.enums import MinMaxOp, SQLValueFunctionOp, SubLinkType

from generator import ir
from generator.frontends.sql_source import SqlError

BOOL = ir.SqlType("bool")
INT4 = ir.SqlType("int4")
INT8 = ir.SqlType("int8")
NUMERIC = ir.SqlType("numeric")
FLOAT8 = ir.SqlType("float8")
TEXT = ir.SqlType("text")
TIMESTAMPTZ = ir.SqlType("timestamptz")
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


@dataclass(frozen=True, slots=True)
class Ty:
    """The type of an expression; ``type`` None is not known yet (a bare
    ``$n``, NULL or an untyped string literal), to be fixed by its context."""

    type: ir.SqlType | None
    nullable: bool = False
    param: int = 0
    """The ``$n`` this expression is, bare."""
    column: str = ""
    """The column this expression is, bare (names parameters compared to it)."""


@dataclass
class Rel:
    """A relation in scope: a table, a subquery or a CTE."""

    alias: str
    columns: list[tuple[str, ir.SqlType, bool]]
    table: ir.Table | None = None
    outer: bool = False
    """On the nullable side of an outer join."""


@dataclass
class Param:
    type: ir.SqlType
    nullable: bool
    name: str


@dataclass
class Scope:
    rels: list[Rel] = field(default_factory=list)
    parent: Scope | None = None
    ctes: dict[str, Rel] = field(default_factory=dict)

    def cte(self, name: str) -> Rel | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None


SQL_VALUE_FUNCTIONS = {
    SQLValueFunctionOp.SVFOP_CURRENT_DATE: ir.SqlType("date"),
    SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP: TIMESTAMPTZ,
    SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP_N: TIMESTAMPTZ,
    SQLValueFunctionOp.SVFOP_LOCALTIMESTAMP: ir.SqlType("timestamp"),
    SQLValueFunctionOp.SVFOP_LOCALTIMESTAMP_N: ir.SqlType("timestamp"),
    SQLValueFunctionOp.SVFOP_CURRENT_USER: ir.SqlType("name"),
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


def operand_type(t: ir.SqlType) -> ir.SqlType:
    """The type an unknown operand takes next to ``t``: no length or precision,
    and text for varchar (which has no operators of its own)."""
    name = "text" if t.name == "varchar" else t.name
    return ir.SqlType(name, (), t.dims, t.enum)


def known_type(ty: Ty, loc: int | None) -> ir.SqlType:
    if ty.type is None:
        raise SqlError(loc, "cannot tell the type of this column", "add a cast")
    return ty.type


def location_of(node: Any) -> int | None:
    loc = getattr(node, "location", None)
    return loc if isinstance(loc, int) and loc >= 0 else None


def column_name(ref: Any) -> str:
    last = ref.fields[-1]
    return str(last.sval) if isinstance(last, ast.String) else "*"


def plural(name: str) -> str:
    """The name of a list parameter (``kind = ANY($1)`` -> ``kinds``)."""
    if not name:
        return ""
    if name.endswith("y") and name[-2:-1] not in ("a", "e", "i", "o", "u"):
        return name[:-1] + "ies"
    return name + ("es" if name.endswith(("s", "x", "z", "ch", "sh")) else "s")


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
    pair = (a.name, op, b.name)
    table = {
        ("timestamptz", "-", "timestamptz"): INTERVAL,
        ("timestamp", "-", "timestamp"): INTERVAL,
        ("timestamptz", "+", "interval"): TIMESTAMPTZ,
        ("timestamptz", "-", "interval"): TIMESTAMPTZ,
        ("interval", "+", "timestamptz"): TIMESTAMPTZ,
        ("timestamp", "+", "interval"): ir.SqlType("timestamp"),
        ("timestamp", "-", "interval"): ir.SqlType("timestamp"),
        ("date", "+", "interval"): ir.SqlType("timestamp"),
        ("date", "-", "interval"): ir.SqlType("timestamp"),
        ("date", "-", "date"): INT4,
        ("date", "+", "int4"): ir.SqlType("date"),
        ("date", "-", "int4"): ir.SqlType("date"),
        ("interval", "+", "interval"): INTERVAL,
        ("interval", "-", "interval"): INTERVAL,
        ("interval", "*", "float8"): INTERVAL,
        ("interval", "*", "int4"): INTERVAL,
        ("interval", "/", "float8"): INTERVAL,
    }
    if pair in table:
        return table[pair]
    raise SqlError(
        loc, f"cannot tell the type of {a.sql} {op} {b.sql}", "add a cast to the result"
    )

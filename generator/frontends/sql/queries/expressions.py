"""Typing the expressions of named queries: one function per pglast node kind
(columns, parameters, literals, casts, operators, function calls, CASE,
subqueries, ...).  A ``$n`` takes its type from what it meets: the column it
is compared with, a cast, the other side of an operator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums import A_Expr_Kind, MinMaxOp, SubLinkType

from generator import ir
from generator.frontends.sql.queries.context import (
    Context,
    Scope,
    Ty,
    known_type,
    location_of,
    operand_type,
)
from generator.frontends.sql.queries.functions import (
    Call,
    function_name,
    result_type,
    star_call,
)
from generator.frontends.sql.queries.resolution import (
    BOOL,
    COMPARISONS,
    SQL_VALUE_FUNCTIONS,
    TEXT,
    TIMESTAMPTZ,
    arithmetic,
    const_type,
    unify,
)
from generator.frontends.sql.source import SqlError
from generator.frontends.sql.type_names import sql_type
from generator.naming import plural

# pglast types every node attribute as Optional; the parser guarantees the
# ones read here for the node kinds handled, so nodes are ``Any``.

Rule = Callable[[Context, Any, Scope], Ty]


def expr(ctx: Context, node: Any, scope: Scope) -> Ty:
    rule = _BY_NODE.get(type(node))
    if rule is None:
        raise SqlError(
            location_of(node),
            f"unsupported expression {type(node).__name__} in a named query",
            "rewrite it, or move it into a view-like CTE with a cast",
        )
    return rule(ctx, node, scope)


def expect_bool(ctx: Context, node: Any, scope: Scope) -> None:
    """A condition (WHERE, HAVING, ON, FILTER, WHEN)."""
    ty = expr(ctx, node, scope)
    ctx.bind(ty, BOOL, location_of(node))
    if ty.type is not None and ty.type != BOOL:
        raise SqlError(
            location_of(node),
            f"argument of WHERE must be boolean, not {ty.type.sql}",
        )


def common(ctx: Context, args: Any, scope: Scope, loc: int, what: str) -> Ty:
    """The type several expressions resolve to (COALESCE, CASE, ARRAY)."""
    tys = [expr(ctx, a, scope) for a in args]
    known = [t.type for t in tys if t.type is not None]
    result: ir.SqlType | None = None
    for t in known:
        result = t if result is None else unify(result, t, loc, what)
    if result is None and any(
        t.type is None and not (t.param or t.nullable) for t in tys
    ):
        result = TEXT  # only 'literals': PostgreSQL resolves them to text
    if result is not None:
        for ty, a in zip(tys, args, strict=True):
            ctx.bind(ty, result, location_of(a))
    return Ty(result, any(t.nullable for t in tys))


# --- one rule per node kind: (context, node, scope) -> type ---------------------


def _column_ref(ctx: Context, node: Any, scope: Scope) -> Ty:
    fields: list[str] = [
        str(f.sval) if isinstance(f, ast.String) else "*" for f in node.fields
    ]
    if "*" in fields:
        raise SqlError(node.location, "* is only allowed in the SELECT list")
    name = fields[-1]
    if len(fields) == 2:
        rel = scope.rel(fields[0], node.location)
        for col, t, nullable in rel.columns:
            if col == name:
                return Ty(t, nullable or rel.outer, column=name)
        raise SqlError(node.location, f"column {fields[0]}.{name} does not exist")
    if len(fields) > 2:
        raise SqlError(
            node.location, "schema-qualified column references are not supported"
        )
    return _unqualified_column(name, scope, node.location)


def _unqualified_column(name: str, scope: Scope, loc: int) -> Ty:
    """The one relation in scope with this column: the innermost query's
    relations first, then the enclosing queries'."""
    s: Scope | None = scope
    while s is not None:
        found = [
            (rel, t, nullable)
            for rel in s.rels
            for col, t, nullable in rel.columns
            if col == name
        ]
        if len(found) > 1:
            raise SqlError(
                loc,
                f'column reference "{name}" is ambiguous',
                f"qualify it: {found[0][0].alias}.{name}",
            )
        if found:
            rel, t, nullable = found[0]
            return Ty(t, nullable or rel.outer, column=name)
        s = s.parent
    tables = ", ".join(f'"{r.alias}"' for r in scope.rels) or "no table"
    raise SqlError(loc, f'column "{name}" does not exist in {tables}')


def _param_ref(ctx: Context, node: Any, scope: Scope) -> Ty:
    # The caller binds it, knowing whether NULL may be passed.
    known = ctx.params.get(node.number)
    return Ty(known.type if known else None, False, node.number)


def _const(ctx: Context, node: Any, scope: Scope) -> Ty:
    return const_type(node)


def _type_cast(ctx: Context, node: Any, scope: Scope) -> Ty:
    target, serial = sql_type(node.typeName, ctx.enum_lookup)
    if serial:
        raise SqlError(node.typeName.location, "cannot cast to a serial type")
    inner = expr(ctx, node.arg, scope)
    ctx.bind(inner, target, node.location)
    return Ty(target, inner.nullable, inner.param, inner.column)


def _bool_expr(ctx: Context, node: Any, scope: Scope) -> Ty:
    """AND, OR, NOT."""
    args = [expr(ctx, a, scope) for a in node.args]
    for a, arg in zip(args, node.args, strict=True):
        ctx.bind(a, BOOL, location_of(arg))
    return Ty(BOOL, any(a.nullable for a in args))


def _test(ctx: Context, node: Any, scope: Scope) -> Ty:
    """IS [NOT] NULL, IS [NOT] TRUE/FALSE/UNKNOWN: never NULL."""
    expr(ctx, node.arg, scope)
    return Ty(BOOL)


def _func_call(ctx: Context, node: Any, scope: Scope) -> Ty:
    name = function_name(node)
    if node.agg_star:
        return star_call(name, node.location)
    args = [expr(ctx, a, scope) for a in node.args or ()]
    if node.agg_filter is not None:
        expect_bool(ctx, node.agg_filter, scope)
    for s in node.agg_order or ():
        expr(ctx, s.node, scope)
    return result_type(ctx, Call(name, args, node.location))


def _coalesce(ctx: Context, node: Any, scope: Scope) -> Ty:
    ty = common(ctx, node.args, scope, node.location, "COALESCE")
    nulls = [expr(ctx, a, scope).nullable for a in node.args]
    return Ty(ty.type, all(nulls))


def _min_max(ctx: Context, node: Any, scope: Scope) -> Ty:
    """GREATEST and LEAST, which ignore NULLs but give NULL for all-NULL."""
    name = "GREATEST" if node.op == MinMaxOp.IS_GREATEST else "LEAST"
    return Ty(common(ctx, node.args, scope, node.location, name).type, True)


def _sql_value_function(ctx: Context, node: Any, scope: Scope) -> Ty:
    """current_date, current_timestamp, localtimestamp, current_user, ..."""
    return Ty(SQL_VALUE_FUNCTIONS.get(node.op, TIMESTAMPTZ))


def _case(ctx: Context, node: Any, scope: Scope) -> Ty:
    if node.arg is not None:
        base = expr(ctx, node.arg, scope)
        for w in node.args:
            other = expr(ctx, w.expr, scope)
            ctx.pair(base, other, w.location)
    else:
        for w in node.args:
            expect_bool(ctx, w.expr, scope)
    results = [w.result for w in node.args]
    if node.defresult is not None:
        results.append(node.defresult)
    ty = common(ctx, results, scope, node.location, "CASE")
    if ty.type is None:
        raise SqlError(
            node.location, "cannot tell the type of CASE", "cast one of its results"
        )
    return Ty(ty.type, ty.nullable or node.defresult is None)


def _sublink(ctx: Context, node: Any, scope: Scope) -> Ty:
    cols = ctx.subquery(ctx, node.subselect, scope)
    kind = node.subLinkType
    if kind == SubLinkType.EXISTS_SUBLINK:
        return Ty(BOOL)
    if kind == SubLinkType.EXPR_SUBLINK:
        if len(cols) != 1:
            raise SqlError(node.location, "subquery must return only one column")
        _, ty, loc = cols[0]
        return Ty(known_type(ty, loc), True)
    if kind in (SubLinkType.ANY_SUBLINK, SubLinkType.ALL_SUBLINK):
        left = expr(ctx, node.testexpr, scope)
        if len(cols) == 1:
            ctx.pair(left, cols[0].ty, node.location)
        return Ty(BOOL, True)
    if kind == SubLinkType.ARRAY_SUBLINK and len(cols) == 1:
        t = known_type(cols[0].ty, cols[0].location)
        return Ty(t.array(t.dims + 1))
    raise SqlError(node.location, "unsupported subquery")


def _array(ctx: Context, node: Any, scope: Scope) -> Ty:
    el = common(ctx, node.elements or (), scope, node.location, "ARRAY")
    if el.type is None:
        raise SqlError(
            node.location,
            "cannot tell the type of an empty ARRAY[]",
            "add a cast: ARRAY[]::text[]",
        )
    return Ty(el.type.array(el.type.dims + 1))


def _collate(ctx: Context, node: Any, scope: Scope) -> Ty:
    return expr(ctx, node.arg, scope)


# --- operator expressions (A_Expr), one rule per kind ----------------------------


def _a_expr(ctx: Context, node: Any, scope: Scope) -> Ty:
    rule = _BY_KIND.get(node.kind)
    if rule is None:
        raise SqlError(
            node.location, f"unsupported operator expression {node.kind.name}"
        )
    return rule(ctx, node, scope)


def _in_list(ctx: Context, node: Any, scope: Scope) -> Ty:
    left = expr(ctx, node.lexpr, scope)
    for item in node.rexpr:
        ctx.pair(left, expr(ctx, item, scope), location_of(item))
    return Ty(BOOL, left.nullable)


def _any_all(ctx: Context, node: Any, scope: Scope) -> Ty:
    """``x = ANY(array)``: a parameter on the right is an array of the left's
    type, named as the plural of its column."""
    left = expr(ctx, node.lexpr, scope)
    right = expr(ctx, node.rexpr, scope)
    if left.type is not None:
        ctx.bind(
            right,
            operand_type(left.type).array(left.type.dims + 1),
            location_of(node.rexpr),
            name=plural(left.column),
        )
    elif right.type is not None and right.type.dims:
        ctx.bind(
            left,
            right.type.element.array(right.type.dims - 1),
            location_of(node.lexpr),
        )
    return Ty(BOOL, left.nullable or right.nullable)


def _between(ctx: Context, node: Any, scope: Scope) -> Ty:
    left = expr(ctx, node.lexpr, scope)
    lo, hi = node.rexpr
    for bound, suffix in ((lo, "from"), (hi, "to")):
        ty = expr(ctx, bound, scope)
        if left.type is not None:
            ctx.bind(
                ty,
                left.type,
                location_of(bound),
                name=f"{left.column}_{suffix}" if left.column else "",
            )
    return Ty(BOOL, left.nullable)


def _like(ctx: Context, node: Any, scope: Scope) -> Ty:
    left = expr(ctx, node.lexpr, scope)
    right = expr(ctx, node.rexpr, scope)
    ctx.bind(left, TEXT, location_of(node.lexpr))
    ctx.bind(
        right,
        TEXT,
        location_of(node.rexpr),
        name=f"{left.column}_pattern" if left.column else "pattern",
    )
    return Ty(BOOL, left.nullable)


def _distinct(ctx: Context, node: Any, scope: Scope) -> Ty:
    """IS [NOT] DISTINCT FROM: never NULL."""
    left, right = expr(ctx, node.lexpr, scope), expr(ctx, node.rexpr, scope)
    ctx.pair(left, right, node.location)
    return Ty(BOOL)


def _nullif(ctx: Context, node: Any, scope: Scope) -> Ty:
    left, right = expr(ctx, node.lexpr, scope), expr(ctx, node.rexpr, scope)
    ctx.pair(left, right, node.location)
    return Ty(left.type, True)


def _operator(ctx: Context, node: Any, scope: Scope) -> Ty:
    op = node.name[-1].sval if node.name else ""
    if node.lexpr is None:  # prefix: -x, +x
        arg = expr(ctx, node.rexpr, scope)
        return Ty(arg.type, arg.nullable)
    left, right = expr(ctx, node.lexpr, scope), expr(ctx, node.rexpr, scope)
    nullable = left.nullable or right.nullable
    if op in COMPARISONS or op in ("@>", "<@", "&&"):
        ctx.pair(left, right, node.location)
        return Ty(BOOL, nullable)
    if op == "||":
        ctx.pair(left, right, node.location)
        t = left.type or right.type
        if t is not None and not t.dims:
            t = TEXT
        return Ty(t, nullable)
    if op in ("+", "-", "*", "/", "%"):
        return Ty(_arithmetic(ctx, left, right, op, node.location), nullable)
    raise SqlError(
        node.location,
        f"unsupported operator {op!r} in a named query",
        "add a cast to the result",
    )


def _arithmetic(ctx: Context, left: Ty, right: Ty, op: str, loc: int) -> ir.SqlType:
    """An unknown side takes the known side's type, except next to dates and
    times, where PostgreSQL could pick interval or a number."""
    if left.type is not None and right.type is not None:
        return arithmetic(left.type, right.type, op, loc)
    known = left.type or right.type
    if known is None:
        raise SqlError(loc, f"cannot tell the types around {op!r}", "add a cast")
    if known.name in ("timestamptz", "timestamp", "date") and op in ("+", "-"):
        raise SqlError(
            loc,
            f"cannot tell the type of the operand of {op!r}",
            "add a cast, for example $2::interval",
        )
    ctx.pair(left, right, loc)
    return known


_BY_KIND: dict[A_Expr_Kind, Rule] = {
    A_Expr_Kind.AEXPR_OP: _operator,
    A_Expr_Kind.AEXPR_IN: _in_list,
    A_Expr_Kind.AEXPR_OP_ANY: _any_all,
    A_Expr_Kind.AEXPR_OP_ALL: _any_all,
    A_Expr_Kind.AEXPR_BETWEEN: _between,
    A_Expr_Kind.AEXPR_NOT_BETWEEN: _between,
    A_Expr_Kind.AEXPR_BETWEEN_SYM: _between,
    A_Expr_Kind.AEXPR_NOT_BETWEEN_SYM: _between,
    A_Expr_Kind.AEXPR_LIKE: _like,
    A_Expr_Kind.AEXPR_ILIKE: _like,
    A_Expr_Kind.AEXPR_DISTINCT: _distinct,
    A_Expr_Kind.AEXPR_NOT_DISTINCT: _distinct,
    A_Expr_Kind.AEXPR_NULLIF: _nullif,
}

_BY_NODE: dict[type, Rule] = {
    ast.ColumnRef: _column_ref,
    ast.ParamRef: _param_ref,
    ast.A_Const: _const,
    ast.TypeCast: _type_cast,
    ast.A_Expr: _a_expr,
    ast.BoolExpr: _bool_expr,
    ast.NullTest: _test,
    ast.BooleanTest: _test,
    ast.FuncCall: _func_call,
    ast.CoalesceExpr: _coalesce,
    ast.MinMaxExpr: _min_max,
    ast.SQLValueFunction: _sql_value_function,
    ast.CaseExpr: _case,
    ast.SubLink: _sublink,
    ast.A_ArrayExpr: _array,
    ast.CollateClause: _collate,
}

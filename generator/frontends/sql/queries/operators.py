"""Operator expressions (pglast ``A_Expr``), one rule per kind: each operator
is chosen among PostgreSQL's by its rules (``overloads``); an unknown operand
(a ``$n``) takes the type of the operator's parameter, and the name of the
column on the other side (``symbol = $1`` -> ``symbol``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums import A_Expr_Kind

from generator.frontends.sql.queries.context import Context, Scope, Ty, location_of
from generator.frontends.sql.queries.overloads import NoMatch, Resolved
from generator.frontends.sql.queries.pg_catalog import sql_type, type_key
from generator.frontends.sql.queries.resolution import BOOL
from generator.frontends.sql.source import SqlError
from generator.naming import plural

Expr = Callable[[Context, Any, Scope], Ty]

# Operators that give NULL for some values that are not NULL (a missing key).
_MAY_BE_NULL = frozenset({"->", "->>", "#>", "#>>"})


def key_of(ty: Ty) -> str | None:
    return None if ty.type is None else type_key(ty.type)


def binary(
    ctx: Context,
    left: Ty,
    right: Ty,
    op: str,
    loc: int | None,
    names: tuple[str, str] = ("", ""),
) -> Ty:
    """``left op right``: the operator PostgreSQL picks, its operands bound."""
    try:
        r = ctx.resolver.resolve_operator(op, key_of(left), key_of(right))
    except NoMatch as exc:
        raise SqlError(loc, exc.message, exc.hint) from None
    ctx.bind(left, sql_type(r.args[0], left.type), loc, name=names[0] or right.column)
    ctx.bind(right, sql_type(r.args[1], right.type), loc, name=names[1] or left.column)
    nullable = left.nullable or right.nullable or op in _MAY_BE_NULL
    return Ty(_result(r, left, right), nullable)


def _result(r: Resolved, *operands: Ty) -> Any:
    like = next(
        (o.type for o in operands if o.type and type_key(o.type) == r.result), None
    )
    return sql_type(r.result, like)


def compare(ctx: Context, left: Ty, right: Ty, op: str, loc: int | None) -> Ty:
    """A comparison (``=`` of IN, CASE, NULLIF...) that must give a boolean."""
    result = binary(ctx, left, right, op, loc)
    if result.type != BOOL:
        raise SqlError(loc, f"operator {op} must return type boolean")
    return result


def operator_expr(ctx: Context, node: Any, scope: Scope, expr: Expr) -> Ty:
    rule = _BY_KIND.get(node.kind)
    if rule is None:
        raise SqlError(
            node.location, f"unsupported operator expression {node.kind.name}"
        )
    return rule(ctx, node, scope, expr)


def _op_name(node: Any) -> str:
    return str(node.name[-1].sval) if node.name else ""


def _operator(ctx: Context, node: Any, scope: Scope, expr: Expr) -> Ty:
    op = _op_name(node)
    if node.lexpr is None:  # prefix: -x, +x, ~x
        arg = expr(ctx, node.rexpr, scope)
        try:
            r = ctx.resolver.resolve_operator(op, False, key_of(arg))
        except NoMatch as exc:
            raise SqlError(node.location, exc.message, exc.hint) from None
        ctx.bind(arg, sql_type(r.args[0], arg.type), node.location)
        return Ty(_result(r, arg), arg.nullable)
    if isinstance(node.lexpr, ast.RowExpr) and isinstance(node.rexpr, ast.RowExpr):
        return _rows(ctx, node, scope, expr)
    left, right = expr(ctx, node.lexpr, scope), expr(ctx, node.rexpr, scope)
    return binary(ctx, left, right, op, node.location)


def _rows(ctx: Context, node: Any, scope: Scope, expr: Expr) -> Ty:
    """``(a, b) = ($1, $2)``: the operator column by column."""
    lefts, rights = node.lexpr.args or (), node.rexpr.args or ()
    if len(lefts) != len(rights):
        raise SqlError(node.location, "unequal number of entries in row expressions")
    nullable = False
    for ln, rn in zip(lefts, rights, strict=True):
        one = compare(
            ctx,
            expr(ctx, ln, scope),
            expr(ctx, rn, scope),
            _op_name(node),
            node.location,
        )
        nullable = nullable or one.nullable
    return Ty(BOOL, nullable)


def _in_list(ctx: Context, node: Any, scope: Scope, expr: Expr) -> Ty:
    left = expr(ctx, node.lexpr, scope)
    nullable = left.nullable
    for item in node.rexpr:
        one = compare(
            ctx, left, expr(ctx, item, scope), _op_name(node), location_of(item)
        )
        nullable = nullable or one.nullable
    return Ty(BOOL, nullable)


def _any_all(ctx: Context, node: Any, scope: Scope, expr: Expr) -> Ty:
    """``x = ANY(array)``: the operator between ``x`` and the array's
    elements; a parameter on the right is an array, named as the plural of
    the column on the left."""
    left = expr(ctx, node.lexpr, scope)
    right = expr(ctx, node.rexpr, scope)
    element = Ty(None, right.nullable)
    if right.type is not None:
        if not right.type.dims:
            raise SqlError(
                node.location, "op ANY/ALL (array) requires array on right side"
            )
        element = Ty(right.type.element, right.nullable)
    op = _op_name(node)
    try:
        r = ctx.resolver.resolve_operator(op, key_of(left), key_of(element))
    except NoMatch as exc:
        raise SqlError(node.location, exc.message, exc.hint) from None
    if r.result != "bool":
        raise SqlError(
            node.location, f"op ANY/ALL (array) requires operator {op} to yield boolean"
        )
    ctx.bind(left, sql_type(r.args[0], left.type), location_of(node.lexpr))
    ctx.bind(
        right,
        sql_type(r.args[1]).array(1),
        location_of(node.rexpr),
        name=plural(left.column),
    )
    return Ty(BOOL, left.nullable or right.nullable)


def _between(ctx: Context, node: Any, scope: Scope, expr: Expr) -> Ty:
    left = expr(ctx, node.lexpr, scope)
    lo, hi = node.rexpr
    nullable = left.nullable
    for bound, suffix, op in ((lo, "from", ">="), (hi, "to", "<=")):
        ty = expr(ctx, bound, scope)
        name = f"{left.column}_{suffix}" if left.column else ""
        one = binary(ctx, left, ty, op, location_of(bound), ("", name))
        nullable = nullable or one.nullable
    return Ty(BOOL, nullable)


def _like(ctx: Context, node: Any, scope: Scope, expr: Expr) -> Ty:
    left = expr(ctx, node.lexpr, scope)
    right = expr(ctx, node.rexpr, scope)
    name = f"{left.column}_pattern" if left.column else "pattern"
    return binary(ctx, left, right, _op_name(node), node.location, ("", name))


def _distinct(ctx: Context, node: Any, scope: Scope, expr: Expr) -> Ty:
    """IS [NOT] DISTINCT FROM: never NULL."""
    left, right = expr(ctx, node.lexpr, scope), expr(ctx, node.rexpr, scope)
    compare(ctx, left, right, "=", node.location)
    return Ty(BOOL)


def _nullif(ctx: Context, node: Any, scope: Scope, expr: Expr) -> Ty:
    left, right = expr(ctx, node.lexpr, scope), expr(ctx, node.rexpr, scope)
    compare(ctx, left, right, "=", node.location)
    t = ctx.params[left.param].type if left.param and left.type is None else left.type
    if t is None:
        t = sql_type("text")
    return Ty(t, True)


def _similar(ctx: Context, node: Any, scope: Scope, expr: Expr) -> Ty:
    left = expr(ctx, node.lexpr, scope)
    rexpr: Any = node.rexpr
    args: Any = getattr(rexpr, "args", None)
    pattern = args[0] if isinstance(rexpr, ast.FuncCall) else rexpr
    right = expr(ctx, pattern, scope)
    name = f"{left.column}_pattern" if left.column else "pattern"
    return binary(ctx, left, right, "~", node.location, ("", name))


_BY_KIND: dict[A_Expr_Kind, Callable[[Context, Any, Scope, Expr], Ty]] = {
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
    A_Expr_Kind.AEXPR_SIMILAR: _similar,
    A_Expr_Kind.AEXPR_DISTINCT: _distinct,
    A_Expr_Kind.AEXPR_NOT_DISTINCT: _distinct,
    A_Expr_Kind.AEXPR_NULLIF: _nullif,
}

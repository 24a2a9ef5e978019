"""Typing the expressions of named queries: one function per pglast node kind
(columns, parameters, literals, casts, CASE, subqueries, arrays, ...);
operators are in ``operators`` and function calls in ``functions``.  A
``$n`` takes its type from what it meets: the column it is compared with, a
cast, the parameter of an operator or function PostgreSQL's rules choose."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums import MinMaxOp, SubLinkType

from generator import ir
from generator.frontends.sql.queries.context import (
    Context,
    Scope,
    Ty,
    known_type,
    location_of,
)
from generator.frontends.sql.queries.functions import call_type
from generator.frontends.sql.queries.operators import compare, operator_expr
from generator.frontends.sql.queries.resolution import (
    BOOL,
    JSONB,
    SQL_VALUE_FUNCTIONS,
    TEXT,
    common,
    const_type,
)
from generator.frontends.sql.source import SqlError
from generator.frontends.sql.type_names import sql_type

# pglast types every node attribute as Optional; the parser guarantees the
# ones read here for the node kinds handled, so nodes are ``Any``.

Rule = Callable[[Context, Any, Scope], Ty]


def expr(ctx: Context, node: Any, scope: Scope) -> Ty:
    rule = _BY_NODE.get(type(node))
    if rule is None:
        raise SqlError(
            location_of(node),
            f"unsupported expression {type(node).__name__} in a named query",
            "rewrite it, or add a cast to its result",
        )
    return rule(ctx, node, scope)


def expect_bool(ctx: Context, node: Any, scope: Scope, what: str = "WHERE") -> None:
    """A condition (WHERE, HAVING, ON, FILTER, WHEN)."""
    ty = expr(ctx, node, scope)
    if ty.type is None:
        ctx.bind(ty, BOOL, location_of(node))
    elif ty.type != BOOL:
        raise SqlError(
            location_of(node),
            f"argument of {what} must be type boolean, not type {ty.type.sql}",
        )


def _typed_list(ctx: Context, nodes: Any, scope: Scope, loc: int, what: str) -> Ty:
    """Expressions that resolve to one type (COALESCE, CASE, ARRAY[], ...)."""
    tys = [expr(ctx, n, scope) for n in nodes]
    t = common(ctx.resolver, tys, loc, what)
    for ty, n in zip(tys, nodes, strict=True):
        if ty.type is None:
            ctx.bind(ty, t, location_of(n))
    return Ty(t, any(ty.nullable for ty in tys))


# --- one rule per node kind: (context, node, scope) -> type ---------------------


def _column_ref(ctx: Context, node: Any, scope: Scope) -> Ty:
    fields: list[str] = [
        str(f.sval) if isinstance(f, ast.String) else "*" for f in node.fields
    ]
    if "*" in fields:
        raise SqlError(node.location, "* is only allowed in the SELECT list")
    if len(fields) == 1:
        return _unqualified_column(fields[0], scope, node.location)
    if len(fields) > 4:
        raise SqlError(node.location, f"improper qualified name: {'.'.join(fields)}")
    schema = fields[-3] if len(fields) >= 3 else ""
    name = fields[-1]
    rel = scope.rel(fields[-2], node.location, schema)
    for col, t, nullable in rel.columns:
        if col == name:
            return Ty(t, nullable or rel.outer, column=name)
    raise SqlError(
        node.location,
        f"column {fields[-2]}.{name} does not exist",
        _did_you_mean(name, [c for c, _, _ in rel.columns]),
    )


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f'did you mean "{close[0]}"?'
    return "columns: " + ", ".join(known) if known else ""


def _unqualified_column(name: str, scope: Scope, loc: int) -> Ty:
    """The one relation in scope with this column: the innermost query's
    relations first, then the enclosing queries'."""
    s: Scope | None = scope
    while s is not None:
        for col, t, nullable in s.merged:
            if col == name:
                return Ty(t, nullable, column=name)
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
    everything = [c for r in scope.rels for c, _, _ in r.columns]
    raise SqlError(
        loc,
        f'column "{name}" does not exist in {tables}',
        _did_you_mean(name, everything),
    )


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
    if isinstance(node.arg, ast.A_ArrayExpr) and target.dims:
        # ARRAY[...]::t[] types its elements as t, as PostgreSQL does.
        inner = _array(ctx, node.arg, scope, target.element.array(target.dims - 1))
    else:
        inner = expr(ctx, node.arg, scope)
    ctx.bind(inner, target, node.location)
    return Ty(target, inner.nullable, inner.param, inner.column)


def _bool_expr(ctx: Context, node: Any, scope: Scope) -> Ty:
    """AND, OR, NOT."""
    args = [expr(ctx, a, scope) for a in node.args]
    for a, arg in zip(args, node.args, strict=True):
        if a.type is None:
            ctx.bind(a, BOOL, location_of(arg))
        elif a.type != BOOL:
            raise SqlError(
                location_of(arg),
                f"argument of {node.boolop.name.removesuffix('_EXPR')} must be "
                f"type boolean, not type {a.type.sql}",
            )
    return Ty(BOOL, any(a.nullable for a in args))


def _test(ctx: Context, node: Any, scope: Scope) -> Ty:
    """IS [NOT] NULL, IS [NOT] TRUE/FALSE/UNKNOWN: never NULL."""
    arg = expr(ctx, node.arg, scope)
    if isinstance(node, ast.BooleanTest):
        ctx.bind(arg, BOOL, location_of(node.arg))
    elif arg.type is None and arg.param:
        raise SqlError(
            location_of(node.arg),
            f"could not determine data type of parameter ${arg.param}",
            f"add a cast: ${arg.param}::<type>",
        )
    return Ty(BOOL)


def _coalesce(ctx: Context, node: Any, scope: Scope) -> Ty:
    tys = [expr(ctx, a, scope) for a in node.args]
    t = common(ctx.resolver, tys, node.location, "COALESCE")
    for ty, a in zip(tys, node.args, strict=True):
        if ty.type is None:
            ctx.bind(ty, t, location_of(a), nullable=True)
    return Ty(t, all(ty.nullable or ty.unknown_literal for ty in tys))


def _min_max(ctx: Context, node: Any, scope: Scope) -> Ty:
    """GREATEST and LEAST, which ignore NULLs but give NULL for all-NULL."""
    name = "GREATEST" if node.op == MinMaxOp.IS_GREATEST else "LEAST"
    ty = _typed_list(ctx, node.args, scope, node.location, name)
    return Ty(ty.type, True)


def _sql_value_function(ctx: Context, node: Any, scope: Scope) -> Ty:
    """current_date, current_timestamp, localtimestamp, current_user, ..."""
    return Ty(SQL_VALUE_FUNCTIONS[node.op])


def _case(ctx: Context, node: Any, scope: Scope) -> Ty:
    if node.arg is not None:
        base = expr(ctx, node.arg, scope)
        if base.type is None:  # PostgreSQL takes an unknown CASE operand as text
            ctx.bind(base, TEXT, location_of(node.arg))
            base = Ty(TEXT, base.nullable, base.param)
        for w in node.args:
            other = expr(ctx, w.expr, scope)
            compare(ctx, base, other, "=", w.location)
    else:
        for w in node.args:
            expect_bool(ctx, w.expr, scope, "CASE/WHEN")
    results = [w.result for w in node.args]
    if node.defresult is not None:
        results.append(node.defresult)
    ty = _typed_list(ctx, results, scope, node.location, "CASE")
    return Ty(ty.type, ty.nullable or node.defresult is None)


def _sublink(ctx: Context, node: Any, scope: Scope) -> Ty:
    kind = node.subLinkType
    left = None
    if kind in (SubLinkType.ANY_SUBLINK, SubLinkType.ALL_SUBLINK):
        left = expr(ctx, node.testexpr, scope)
    cols = ctx.subquery(ctx, node.subselect, scope)
    if kind == SubLinkType.EXISTS_SUBLINK:
        return Ty(BOOL)
    if kind == SubLinkType.EXPR_SUBLINK:
        if len(cols) != 1:
            raise SqlError(node.location, "subquery must return only one column")
        _, ty, loc = cols[0]
        return Ty(known_type(ty, loc), True)
    if left is not None:
        op = node.operName[-1].sval if node.operName else "="
        if len(cols) != 1:
            raise SqlError(node.location, "subquery has too many columns")
        compare(ctx, left, cols[0].ty, op, node.location)
        return Ty(BOOL, True)
    if kind == SubLinkType.ARRAY_SUBLINK and len(cols) == 1:
        t = known_type(cols[0].ty, cols[0].location)
        return Ty(t.array(t.dims + 1))
    raise SqlError(node.location, "unsupported subquery")


def _array(
    ctx: Context, node: Any, scope: Scope, element: ir.SqlType | None = None
) -> Ty:
    """``ARRAY[...]``; ``element``: the element type a cast asks for."""
    elements = node.elements or ()
    if not elements and element is not None:
        return Ty(element.array(element.dims + 1))
    if not elements:
        raise SqlError(
            node.location,
            "cannot determine type of empty array",
            "add a cast: ARRAY[]::text[]",
        )
    if element is not None:
        tys = [expr(ctx, e, scope) for e in elements]
        for ty, e in zip(tys, elements, strict=True):
            if ty.type is None:
                ctx.bind(ty, element, location_of(e))
        return Ty(element.array(element.dims + 1), any(t.nullable for t in tys))
    el = _typed_list(ctx, elements, scope, node.location, "ARRAY")
    assert el.type is not None
    return Ty(el.type.array(el.type.dims + 1))


def _collate(ctx: Context, node: Any, scope: Scope) -> Ty:
    return expr(ctx, node.arg, scope)


def _named_arg(ctx: Context, node: Any, scope: Scope) -> Ty:
    return expr(ctx, node.arg, scope)


def _indirection(ctx: Context, node: Any, scope: Scope) -> Ty:
    """``a[1]``, ``a[1:2]``, ``j['key']``: subscripts (NULL when out of
    range); ``(x).field`` of a composite value is not supported."""
    ty = expr(ctx, node.arg, scope)
    t = known_type(ty, location_of(node.arg))
    for item in node.indirection:
        if not isinstance(item, ast.A_Indices):
            raise SqlError(
                location_of(node.arg),
                "field selection is not supported in a named query",
            )
        for bound in (item.lidx, item.uidx):
            if bound is not None:
                b = expr(ctx, bound, scope)
                want = ir.SqlType("text") if t.name == "jsonb" else ir.SqlType("int4")
                if b.type is None:
                    ctx.bind(b, want, location_of(bound))
        if t == JSONB or item.is_slice:
            continue
        if not t.dims:
            raise SqlError(
                location_of(node.arg),
                f"cannot subscript type {t.sql} because it does not support subscripting",
            )
        t = t.element.array(t.dims - 1)
    return Ty(t, True)


def _row(ctx: Context, node: Any, scope: Scope) -> Ty:
    raise SqlError(
        location_of(node),
        "a row value is only supported in comparisons: (a, b) = ($1, $2)",
    )


def _grouping(ctx: Context, node: Any, scope: Scope) -> Ty:
    for a in node.args:
        expr(ctx, a, scope)
    return Ty(ir.SqlType("int4"))


def _func(ctx: Context, node: Any, scope: Scope) -> Ty:
    return call_type(ctx, node, scope, expr)


_BY_NODE: dict[type, Rule] = {
    ast.ColumnRef: _column_ref,
    ast.ParamRef: _param_ref,
    ast.A_Const: _const,
    ast.TypeCast: _type_cast,
    ast.A_Expr: lambda c, n, s: operator_expr(c, n, s, expr),
    ast.BoolExpr: _bool_expr,
    ast.NullTest: _test,
    ast.BooleanTest: _test,
    ast.FuncCall: _func,
    ast.CoalesceExpr: _coalesce,
    ast.MinMaxExpr: _min_max,
    ast.SQLValueFunction: _sql_value_function,
    ast.CaseExpr: _case,
    ast.SubLink: _sublink,
    ast.A_ArrayExpr: _array,
    ast.CollateClause: _collate,
    ast.NamedArgExpr: _named_arg,
    ast.A_Indirection: _indirection,
    ast.RowExpr: _row,
    ast.GroupingFunc: _grouping,
}

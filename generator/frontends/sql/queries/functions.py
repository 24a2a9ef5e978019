"""Function calls in named queries: the function PostgreSQL's rules choose
among the built-in ones (``pg_catalog``) and those the migrations create,
its parameters bound, and whether its result may be NULL.

Nullability: an aggregate is NULL over no rows (but ``count``); a window
function that reads another row (``lag``, ``first_value``, ...) may be NULL;
functions that find something (``array_length``, ``regexp_match``, JSON
paths) may give NULL for any input; every other function is NULL exactly
when one of its arguments may be (``concat`` and the JSON builders never).
A function the migrations create may always be NULL (its body is not read).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pglast import ast

from generator import ir
from generator.frontends.sql.queries.context import Context, Scope, Ty, location_of
from generator.frontends.sql.queries.operators import key_of
from generator.frontends.sql.queries.overloads import (
    NoMatch,
    type_label,
)
from generator.frontends.sql.queries.pg_catalog import (
    PgFunction,
    sql_type,
    type_key,
)
from generator.frontends.sql.queries.resolution import BOOL
from generator.frontends.sql.source import SqlError

Expr = Callable[[Context, Any, Scope], Ty]

_NEVER_NULL = frozenset(
    {
        "count",
        "regr_count",
        "concat",
        "concat_ws",
        "json_build_object",
        "json_build_array",
        "jsonb_build_object",
        "jsonb_build_array",
        "num_nulls",
        "num_nonnulls",
        "row_number",
        "rank",
        "dense_rank",
        "percent_rank",
        "cume_dist",
    }
)
_MAY_BE_NULL = frozenset(
    {
        "lag",
        "lead",
        "first_value",
        "last_value",
        "nth_value",
        "array_length",
        "array_lower",
        "array_upper",
        "array_ndims",
        "array_position",
        "regexp_match",
        "regexp_substr",
        "json_extract_path",
        "json_extract_path_text",
        "jsonb_extract_path",
        "jsonb_extract_path_text",
        "jsonb_path_query_first",
        "current_setting",
        "to_regclass",
        "to_regtype",
        "to_regproc",
        "nullif",
    }
)
# What an unnamed parameter of a built-in is called when a $n is passed.
_PARAM_NAMES = {
    ("date_trunc", 0): "unit",
    ("date_part", 0): "field",
    ("extract", 0): "field",
    ("round", 1): "digits",
}


class SqlArgument(Protocol):
    """A parameter or result column of a function the migrations create."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> ir.SqlType: ...
    @property
    def default(self) -> str | None: ...


class SqlFunctionLike(Protocol):
    """What typing needs of a function the migrations create (``ir.SqlFunction``)."""

    @property
    def schema(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> Sequence[SqlArgument]: ...
    @property
    def returns(self) -> ir.SqlType | None: ...
    @property
    def columns(self) -> Sequence[SqlArgument]: ...
    @property
    def returns_set(self) -> bool: ...
    @property
    def result(self) -> str: ...


def user_functions(functions: Sequence[SqlFunctionLike]) -> dict[str, list[PgFunction]]:
    """Functions of the migrations as candidates beside the built-in ones,
    keyed ``schema.name`` (and ``name`` for ``public``, on the search path)."""
    out: dict[str, list[PgFunction]] = {}
    for f in functions:
        pg = PgFunction(
            name=f.name,
            args=tuple(type_key(a.type) for a in f.inputs),
            result=_result(f),
            retset=f.returns_set,
            strict=False,
            defaults=sum(1 for a in f.inputs if a.default is not None),
            outs=tuple((c.name, type_key(c.type)) for c in f.columns),
            argnames=tuple(a.name or "?" for a in f.inputs),
            created=True,
        )
        out.setdefault(f"{f.schema}.{f.name}", []).append(pg)
        if f.schema == "public":
            out.setdefault(f.name, []).append(pg)
    return out


def _result(f: SqlFunctionLike) -> str:
    """The result's type key: the scalar (with one OUT or TABLE column, that
    column's type), ``record`` for rows of several columns, else the type
    as declared (``void``, ``record``; ``trigger`` or ``unknown`` for one
    svcforge cannot name (``%TYPE``), which a call then cannot return)."""
    if f.returns is not None:
        return type_key(f.returns)
    if f.columns:
        return "record"
    declared = f.result.removeprefix("SETOF ")
    return declared if declared.isidentifier() else "unknown"


def function_name(node: Any) -> tuple[str, str]:
    """(schema or "", name) of a called function."""
    names = [str(n.sval) for n in node.funcname]
    if len(names) > 2:
        raise SqlError(
            node.location,
            f"cross-database references are not implemented: {'.'.join(names)}",
        )
    return (names[0] if len(names) == 2 else ""), names[-1]


def candidates(ctx: Context, schema: str, name: str) -> list[PgFunction]:
    if schema == "pg_catalog":
        return ctx.resolver.cat.functions.get(name, [])
    if schema:
        return ctx.functions.get(f"{schema}.{name}", [])
    return [*ctx.resolver.cat.functions.get(name, []), *ctx.functions.get(name, [])]


def resolve(
    ctx: Context, node: Any, scope: Scope, expr: Expr
) -> tuple[PgFunction, str, tuple[tuple[str, str], ...], list[Ty]]:
    """The function a call runs, its result key and OUT columns, and its
    arguments' types; parameters passed to it are bound."""
    schema, name = function_name(node)
    arg_nodes = list(node.args or ())
    if node.agg_within_group:
        arg_nodes += [s.node for s in node.agg_order or ()]
    elif node.agg_order:
        for s in node.agg_order:
            expr(ctx, s.node, scope)
    if node.agg_star and name.lower() != "count":
        raise SqlError(node.location, f"{name}(*) specified, but it is not count()")
    tys = [expr(ctx, a, scope) for a in arg_nodes]
    names = [a.name if isinstance(a, ast.NamedArgExpr) else None for a in arg_nodes]
    found = candidates(ctx, schema, name) or candidates(ctx, schema, name.lower())
    label = f"{'.'.join(filter(None, [schema, name]))}({', '.join(_arg_label(t) for t in tys)})"
    if not found:
        raise SqlError(
            node.location,
            f"function {label} does not exist",
            "create it in a migration, or use a built-in function",
        )
    try:
        r = ctx.resolver.resolve_function(found, [key_of(t) for t in tys], names)
    except NoMatch as exc:
        message = exc.message.replace(
            f"function {found[0].name}(", f"function {name}(", 1
        )
        raise SqlError(node.location, message, exc.hint) from None
    for i, (ty, key, a) in enumerate(zip(tys, r.args, arg_nodes, strict=True)):
        ctx.bind(
            ty,
            sql_type(key, ty.type),
            location_of(a) or node.location,
            name=names[i] or _param_name(r.function, i),
        )
    _clauses(ctx, node, scope, expr)
    return r.function, r.result, r.outs, tys


def _arg_label(ty: Ty) -> str:
    return type_label(key_of(ty))


def _param_name(f: PgFunction, i: int) -> str:
    if i < len(f.argnames) and f.argnames[i] != "?" and f.kind != "o":
        return f.argnames[i]
    return _PARAM_NAMES.get((f.name, i), "")


def _clauses(ctx: Context, node: Any, scope: Scope, expr: Expr) -> None:
    """FILTER (WHERE ...) and OVER (PARTITION BY ... ORDER BY ...)."""
    if node.agg_filter is not None:
        ty = expr(ctx, node.agg_filter, scope)
        ctx.bind(ty, BOOL, location_of(node.agg_filter))
    window = node.over
    if window is not None:
        for part in window.partitionClause or ():
            expr(ctx, part, scope)
        for s in window.orderClause or ():
            expr(ctx, s.node, scope)


def call_type(ctx: Context, node: Any, scope: Scope, expr: Expr) -> Ty:
    f, result, _, tys = resolve(ctx, node, scope, expr)
    if f.kind == "w" and node.over is None:
        raise SqlError(
            node.location, f"window function {f.name} requires an OVER clause"
        )
    like = next((t.type for t in tys if t.type and type_key(t.type) == result), None)
    return Ty(sql_type(result, like), _nullable(f, tys))


def _nullable(f: PgFunction, args: list[Ty]) -> bool:
    if f.created:
        return True
    if f.name in _NEVER_NULL:
        return False
    if f.kind == "a" or f.name in _MAY_BE_NULL:
        return True
    if f.kind == "w":
        return False
    return any(a.nullable for a in args)

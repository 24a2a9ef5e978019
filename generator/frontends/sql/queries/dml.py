"""Typing a named query's statement: SELECT (see ``statements``), INSERT,
UPDATE, DELETE, and the statements that return nothing (``CALL``, ``DO``,
``TRUNCATE``, ``NOTIFY``, ``LISTEN``, ``SET``, ``LOCK``, ``REFRESH
MATERIALIZED VIEW``, DDL), which are ``:exec`` queries.  A value stored in a
column is checked as PostgreSQL checks an assignment, and a parameter there
takes the column's type and name (``None`` allowed where the column is
nullable)."""

from __future__ import annotations

import difflib
from typing import Any

from pglast import ast

from generator import ir
from generator.frontends.sql.queries.context import (
    Context,
    Output,
    Rel,
    Scope,
    Ty,
    location_of,
)
from generator.frontends.sql.queries.expressions import expect_bool, expr
from generator.frontends.sql.queries.functions import resolve
from generator.frontends.sql.queries.operators import key_of
from generator.frontends.sql.queries.overloads import Resolver
from generator.frontends.sql.queries.pg_catalog import PgFunction, catalog, type_key
from generator.frontends.sql.queries.relations import (
    StarItem,
    from_clause,
    range_var,
)
from generator.frontends.sql.queries.statements import (
    select,
    subselect,
    targets,
    with_clause,
)
from generator.frontends.sql.source import SqlError
from generator.frontends.sql.type_names import EnumLookup

_NO_RESULT = (
    ast.DoStmt,
    ast.NotifyStmt,
    ast.ListenStmt,
    ast.UnlistenStmt,
    ast.VariableSetStmt,
    ast.DiscardStmt,
)
_ON_TABLES = (ast.TruncateStmt, ast.LockStmt)


def new_context(
    tables: dict[str, ir.Table],
    enum_lookup: EnumLookup,
    text: str,
    embeds: dict[int, str],
    functions: dict[str, list[PgFunction]],
    extensions: frozenset[str],
    sequences: frozenset[str] = frozenset(),
) -> Context:
    """A context for typing one statement (``text``, after sqlc's syntax)."""
    return Context(
        tables,
        enum_lookup,
        subquery=subselect,
        statement=statement_in,
        resolver=Resolver(catalog(extensions)),
        text=text,
        functions=functions,
        sequences=sequences,
        embeds=embeds,
    )


def relation_outputs(
    tables: dict[str, ir.Table],
    enum_lookup: EnumLookup,
    node: Any,
    text: str,
    sequences: frozenset[str] = frozenset(),
) -> list[Output]:
    """The result columns of a query that defines a relation (a view, ``CREATE
    TABLE ... AS``) over the tables replayed so far; ``text`` is the file its
    node's offsets refer to."""
    ctx = new_context(tables, enum_lookup, text, {}, {}, frozenset(), sequences)
    return statement(ctx, node)


def statement(ctx: Context, node: Any) -> list[Output]:
    """The result columns of a named query's statement (none without
    RETURNING); ``*`` in them is spelled out in its text."""
    if isinstance(node, ast.SelectStmt):
        return select(ctx, node, Scope(), top=True)
    return statement_in(ctx, node, Scope(), top=True)


def statement_in(
    ctx: Context, node: Any, outer: Scope, *, top: bool = False
) -> list[Output]:
    match node:
        case ast.SelectStmt():
            return select(ctx, node, outer)
        case ast.InsertStmt():
            return _insert(ctx, node, outer, top)
        case ast.UpdateStmt():
            return _update(ctx, node, outer, top)
        case ast.DeleteStmt():
            return _delete(ctx, node, outer, top)
        case ast.CallStmt():
            resolve(ctx, node.funccall, outer, expr)
            return []
        case ast.RefreshMatViewStmt():
            range_var(ctx, node.relation, Scope())
            return []
        case _ if isinstance(node, _ON_TABLES):
            for rv in node.relations or ():
                range_var(ctx, rv, Scope())
            return []
        case _ if isinstance(node, _NO_RESULT) or not _has_params(node):
            return []  # a command (DDL too): run as it is, for :exec
    raise SqlError(
        location_of(node),
        f"parameters in a {type(node).__name__.removesuffix('Stmt')} statement",
        "PostgreSQL takes parameters in SELECT, INSERT, UPDATE, DELETE and CALL",
    )


def _has_params(node: Any) -> bool:
    if isinstance(node, ast.ParamRef):
        return True
    if not isinstance(node, ast.Node):
        return False
    for attr in node:
        value = getattr(node, attr)
        if any(
            _has_params(v) for v in (value if isinstance(value, tuple) else (value,))
        ):
            return True
    return False


def _target_table(ctx: Context, rv: Any) -> tuple[Rel, ir.Table]:
    """The table INSERT, UPDATE or DELETE writes to (never a CTE)."""
    rel = range_var(ctx, rv, Scope())
    if rel.table is None:
        raise SqlError(
            rv.location,
            f'"{rv.relname}" is a system catalog: named queries write to tables only',
        )
    return rel, rel.table


def _returning(ctx: Context, node: Any, scope: Scope, top: bool) -> list[Output]:
    """RETURNING: over the target table and the FROM/USING relations."""
    clause = node.returningClause
    if clause is None:
        return []
    items: list[StarItem] = [(r, c) for r in scope.rels for c in r.columns]
    return targets(ctx, clause.exprs or (), scope, items, top=top)


def _insert(ctx: Context, node: Any, outer: Scope, top: bool) -> list[Output]:
    scope = Scope(parent=outer)
    with_clause(ctx, node.withClause, scope)
    rel, table = _target_table(ctx, node.relation)
    cols = _insert_columns(table, node.cols)
    sel = node.selectStmt
    if sel is not None and sel.valuesLists and sel.op.name == "SETOP_NONE":
        for row in sel.valuesLists:
            if len(row) != len(cols):
                raise SqlError(
                    location_of(row[min(len(row), len(cols)) - 1]),
                    "INSERT has more expressions than target columns"
                    if len(row) > len(cols)
                    else "INSERT has more target columns than expressions",
                )
            for value, c in zip(row, cols, strict=True):
                assign(ctx, value, c, scope)
    elif sel is not None:
        out = select(ctx, sel, scope, leaf=True)
        if len(out) > len(cols):
            raise SqlError(
                out[len(cols)].location,
                "INSERT has more expressions than target columns",
            )
        for (_, ty, loc), c in zip(out, cols, strict=False):
            _store(ctx, ty, c, loc)
    _on_conflict(ctx, node.onConflictClause, rel, table, scope)
    scope.rels = [rel]
    return _returning(ctx, node, scope, top)


def _insert_columns(table: ir.Table, targets: Any) -> list[ir.Column]:
    """The columns an INSERT gives values for: those listed, else all."""
    if not targets:
        return list(table.columns)
    return [_target_column(table, t.name, t.location) for t in targets]


def _on_conflict(
    ctx: Context, conflict: Any, rel: Rel, table: ir.Table, outer: Scope
) -> None:
    """ON CONFLICT (columns) DO UPDATE SET: assignments over the row and the
    ``excluded`` one."""
    if conflict is None:
        return
    infer = conflict.infer
    if infer is not None:
        for elem in infer.indexElems or ():
            if elem.name is not None:
                _target_column(
                    table, elem.name, location_of(infer) or conflict.location
                )
    excluded = Rel("excluded", rel.columns, table)
    upd = Scope([rel, excluded], outer)
    _assignments(ctx, conflict.targetList or (), table, upd)
    if conflict.whereClause is not None:
        expect_bool(ctx, conflict.whereClause, upd)


def _target_column(table: ir.Table, name: str, loc: int | None) -> ir.Column:
    for c in table.columns:
        if c.name == name:
            return c
    close = difflib.get_close_matches(name, [c.name for c in table.columns], n=1)
    raise SqlError(
        loc,
        f'column "{name}" of relation "{table.name}" does not exist',
        f'did you mean "{close[0]}"?' if close else "",
    )


def _assignments(ctx: Context, items: Any, table: ir.Table, scope: Scope) -> None:
    """``SET a = x, (b, c) = (y, z), (d, e) = (SELECT ...)``."""
    rows: dict[int, list[Output]] = {}
    for t in items:
        column = _target_column(table, t.name, t.location)
        if t.indirection:
            raise SqlError(
                t.location, "assigning to a field or element is not supported"
            )
        val: Any = t.val
        if not isinstance(val, ast.MultiAssignRef):
            assign(ctx, val, column, scope)
            continue
        source: Any = val.source
        index = int(val.colno or 1) - 1
        values: Any = getattr(source, "args", None)
        if isinstance(source, ast.RowExpr):
            assign(ctx, values[index], column, scope)
            continue
        if id(source) not in rows:
            rows[id(source)] = ctx.subquery(ctx, source.subselect, scope)
        out = rows[id(source)]
        if len(out) != val.ncolumns:
            raise SqlError(
                t.location, "number of columns does not match number of values"
            )
        _store(ctx, out[index].ty, column, t.location)


def assign(ctx: Context, value: Any, c: ir.Column, scope: Scope) -> None:
    """A value stored in a column."""
    if isinstance(value, ast.SetToDefault):
        return
    _store(ctx, expr(ctx, value, scope), c, location_of(value))


def _store(ctx: Context, ty: Ty, c: ir.Column, loc: int | None) -> None:
    """A parameter takes the column's type and name, and may be None where
    the column is nullable; a typed value must convert to the column's type
    as an assignment does."""
    if ty.type is not None and not ctx.resolver.can_coerce(
        key_of(ty), type_key(c.type), "a"
    ):
        raise SqlError(
            loc,
            f'column "{c.name}" is of type {c.type.sql} but expression is of type '
            f"{ty.type.sql}",
            "add a cast to the expression",
        )
    ctx.bind(ty, c.type, loc, nullable=c.nullable, name=c.name)


def _update(ctx: Context, node: Any, outer: Scope, top: bool) -> list[Output]:
    scope = Scope(parent=outer)
    with_clause(ctx, node.withClause, scope)
    rel, table = _target_table(ctx, node.relation)
    scope.rels.append(rel)
    from_clause(ctx, node.fromClause, scope, subselect)
    if node.whereClause is not None:
        expect_bool(ctx, node.whereClause, scope)
    out = _returning(ctx, node, scope, top)
    _assignments(ctx, node.targetList or (), table, scope)
    return out


def _delete(ctx: Context, node: Any, outer: Scope, top: bool) -> list[Output]:
    scope = Scope(parent=outer)
    with_clause(ctx, node.withClause, scope)
    rel, _ = _target_table(ctx, node.relation)
    scope.rels.append(rel)
    from_clause(ctx, node.usingClause, scope, subselect)
    if node.whereClause is not None:
        expect_bool(ctx, node.whereClause, scope)
    return _returning(ctx, node, scope, top)

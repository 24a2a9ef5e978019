"""Typing the statements of named queries (SELECT, INSERT, UPDATE, DELETE):
their relations in scope (FROM, JOIN, CTEs, subqueries), their result columns,
and the parameters assigned to columns."""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import JoinType, SetOperation

from generator import ir
from generator.frontends.sql.queries.context import (
    Context,
    Output,
    Rel,
    Scope,
    Ty,
    known_type,
    location_of,
)
from generator.frontends.sql.queries.expressions import expect_bool, expr
from generator.frontends.sql.queries.resolution import (
    INT8,
    TEXT,
    column_name,
    figure_name,
)
from generator.frontends.sql.source import SqlError
from generator.frontends.sql.type_names import EnumLookup

# pglast types every node attribute as Optional; the parser guarantees the
# ones read here for the statement kinds handled, so nodes are ``Any``.


def new_context(tables: dict[str, ir.Table], enum_lookup: EnumLookup) -> Context:
    """A context for typing one statement: subqueries in its expressions are
    typed as SELECTs here."""
    return Context(tables, enum_lookup, subquery=select)


def statement(ctx: Context, node: Any) -> list[Output]:
    """The result columns of a statement (none without RETURNING)."""
    match node:
        case ast.SelectStmt():
            return select(ctx, node, Scope())
        case ast.InsertStmt():
            return _insert(ctx, node)
        case ast.UpdateStmt():
            return _update(ctx, node)
        case ast.DeleteStmt():
            return _delete(ctx, node)
    raise SqlError(
        getattr(node, "location", None),
        f"unsupported query statement {type(node).__name__.removesuffix('Stmt')}",
        "named queries are SELECT, INSERT, UPDATE or DELETE",
    )


def select(ctx: Context, node: Any, outer: Scope) -> list[Output]:
    scope = Scope(parent=outer)
    _with_clause(ctx, node.withClause, scope)
    if node.op != SetOperation.SETOP_NONE:
        return _set_operation(ctx, node, scope)
    if node.valuesLists:
        raise SqlError(None, "VALUES lists are not supported as a query", "use SELECT")
    for item in node.fromClause or ():
        _from_item(ctx, item, scope, scope.rels)
    if node.whereClause is not None:
        expect_bool(ctx, node.whereClause, scope)
    for g in node.groupClause or ():
        expr(ctx, g, scope)
    if node.havingClause is not None:
        expect_bool(ctx, node.havingClause, scope)
    out = _targets(ctx, node.targetList or (), scope)
    _order_by(ctx, node.sortClause or (), {o.name for o in out}, scope)
    _limits(ctx, node, scope)
    return out


def _set_operation(ctx: Context, node: Any, scope: Scope) -> list[Output]:
    """UNION, INTERSECT, EXCEPT: the left side's names, the common types."""
    left = select(ctx, node.larg, scope)
    right = select(ctx, node.rarg, scope)
    if len(left) != len(right):
        raise SqlError(
            None,
            "each side of a set operation must have the same number of columns",
        )
    out = []
    for (name, lt, loc), (_, rt, _) in zip(left, right, strict=True):
        t = lt.type or rt.type
        out.append(Output(name, Ty(t, lt.nullable or rt.nullable), loc))
    _limits(ctx, node, scope)
    return out


def _order_by(ctx: Context, sorts: Any, aliases: set[str], scope: Scope) -> None:
    """Sort keys are typed for their parameters; a result column's alias and
    a position (ORDER BY 1) are not expressions over the relations."""
    for s in sorts:
        key: Any = s.node  # pglast's Optional attributes: see above
        if isinstance(s.node, ast.A_Const):
            continue
        if (
            isinstance(s.node, ast.ColumnRef)
            and len(key.fields) == 1
            and column_name(key) in aliases
        ):
            continue
        expr(ctx, key, scope)


def _with_clause(ctx: Context, with_clause: Any, scope: Scope) -> None:
    if with_clause is None:
        return
    if with_clause.recursive:
        raise SqlError(with_clause.location, "recursive CTEs are not supported")
    for cte in with_clause.ctes or ():
        query = cte.ctequery
        if isinstance(query, ast.SelectStmt):
            cols = select(ctx, query, scope)
        else:
            cols = statement(ctx, query)
        scope.ctes[cte.ctename] = Rel(cte.ctename, _rel_columns(cols))


def _rel_columns(cols: list[Output]) -> list[tuple[str, ir.SqlType, bool]]:
    """A query's results as the columns of a relation over it."""
    return [(n, known_type(t, loc), t.nullable) for n, t, loc in cols]


def _limits(ctx: Context, node: Any, scope: Scope) -> None:
    for clause, name in ((node.limitCount, "limit"), (node.limitOffset, "offset")):
        if clause is not None:
            ty = expr(ctx, clause, scope)
            ctx.bind(ty, INT8, location_of(clause), name=name)


def _targets(ctx: Context, targets: Any, scope: Scope) -> list[Output]:
    out: list[Output] = []
    for t in targets:
        val: Any = t.val
        fields: Any = val.fields if isinstance(val, ast.ColumnRef) else (None,)
        if isinstance(fields[-1], ast.A_Star):
            out += _star(val, scope)
            continue
        ty = expr(ctx, val, scope)
        if ty.type is None and not (ty.param or ty.nullable):
            ty = Ty(TEXT)  # SELECT 'literal': text, as in PostgreSQL
        name = t.name or figure_name(val)
        if ty.type is None:
            raise SqlError(
                t.location,
                f"cannot tell the type of result column {name!r}",
                "add a cast, for example $1::text",
            )
        out.append(Output(name, ty, t.location))
    return out


def _star(ref: Any, scope: Scope) -> list[Output]:
    """``*`` or ``alias.*``: every column, in order."""
    if len(ref.fields) == 2:
        rels = [scope.rel(ref.fields[0].sval, ref.location)]
    else:
        rels = scope.rels
    if not rels:
        raise SqlError(ref.location, "SELECT * with no table")
    return [
        Output(name, Ty(t, nullable or rel.outer, column=name), ref.location)
        for rel in rels
        for name, t, nullable in rel.columns
    ]


def _from_item(ctx: Context, node: Any, scope: Scope, into: list[Rel]) -> None:
    item: Any = node
    match node:
        case ast.RangeVar():
            into.append(_range_var(ctx, item, scope))
        case ast.JoinExpr():
            _join(ctx, item, scope, into)
        case ast.RangeSubselect():
            if item.alias is None:
                raise SqlError(None, "a subquery in FROM must have an alias")
            cols = select(ctx, item.subquery, scope)
            into.append(Rel(item.alias.aliasname, _rel_columns(cols)))
        case _:
            raise SqlError(
                getattr(item, "location", None),
                f"unsupported FROM item {type(item).__name__}",
            )


def _join(ctx: Context, join: Any, scope: Scope, into: list[Rel]) -> None:
    """The relations of both sides; those on the nullable side of an outer
    join have nullable columns."""
    left: list[Rel] = []
    right: list[Rel] = []
    _from_item(ctx, join.larg, scope, left)
    _from_item(ctx, join.rarg, scope, right)
    if join.jointype in (JoinType.JOIN_LEFT, JoinType.JOIN_FULL):
        for r in right:
            r.outer = True
    if join.jointype in (JoinType.JOIN_RIGHT, JoinType.JOIN_FULL):
        for r in left:
            r.outer = True
    into += left + right
    if join.quals is not None:
        expect_bool(ctx, join.quals, Scope(into, scope.parent, scope.ctes))


def _range_var(ctx: Context, rv: Any, scope: Scope) -> Rel:
    """A table or CTE named in FROM (or as the target of INSERT, UPDATE,
    DELETE)."""
    alias = rv.alias.aliasname if rv.alias is not None else rv.relname
    if rv.schemaname is None:
        cte = scope.cte(rv.relname)
        if cte is not None:
            return Rel(alias, list(cte.columns))
    qual = f"{rv.schemaname or 'public'}.{rv.relname}"
    table = ctx.tables.get(qual)
    if table is None:
        raise SqlError(
            rv.location,
            f'table "{qual}" does not exist',
            "tables: " + ", ".join(sorted(ctx.tables))
            if ctx.tables
            else "no tables: add migrations to schemas/tables",
        )
    return Rel(alias, [(c.name, c.type, c.nullable) for c in table.columns], table)


def _target_table(ctx: Context, node: Any, scope: Scope) -> tuple[Rel, ir.Table]:
    """The table INSERT or UPDATE writes to."""
    rel = _range_var(ctx, node.relation, scope)
    assert rel.table is not None  # a CTE, which cannot be written to
    return rel, rel.table


def _insert(ctx: Context, node: Any) -> list[Output]:
    scope = Scope()
    _with_clause(ctx, node.withClause, scope)
    rel, table = _target_table(ctx, node, scope)
    cols = _insert_columns(table, node.cols)
    sel = node.selectStmt
    if sel is not None and sel.valuesLists:
        for row in sel.valuesLists:
            if len(row) != len(cols):
                raise SqlError(
                    None,
                    "INSERT has more expressions than target columns"
                    if len(row) > len(cols)
                    else "INSERT has more target columns than expressions",
                )
            for value, c in zip(row, cols, strict=True):
                _assign(ctx, value, c, scope)
    elif sel is not None:
        out = select(ctx, sel, scope)
        for (_, ty, loc), c in zip(out, cols, strict=False):
            ctx.bind(ty, c.type, loc, nullable=c.nullable, name=c.name)
    scope.rels = [rel]
    _on_conflict(ctx, node.onConflictClause, rel, table)
    return _returning(ctx, node, scope)


def _insert_columns(table: ir.Table, targets: Any) -> list[ir.Column]:
    """The columns an INSERT gives values for: those listed, else all."""
    if not targets:
        return list(table.columns)
    names = {c.name for c in table.columns}
    for target in targets:
        if target.name not in names:
            raise SqlError(
                target.location,
                f'column "{target.name}" of relation "{table.qualname}" does not exist',
            )
    return [table.column(t.name) for t in targets]


def _on_conflict(ctx: Context, conflict: Any, rel: Rel, table: ir.Table) -> None:
    """ON CONFLICT ... DO UPDATE SET: assignments over the row and the
    ``excluded`` one."""
    if conflict is None or not conflict.targetList:
        return
    excluded = Rel("excluded", rel.columns, table)
    upd = Scope([rel, excluded])
    for t in conflict.targetList:
        _assign(ctx, t.val, _target_column(table, t), upd)
    if conflict.whereClause is not None:
        expect_bool(ctx, conflict.whereClause, upd)


def _target_column(table: ir.Table, target: Any) -> ir.Column:
    if target.indirection:
        raise SqlError(
            target.location, "assigning to a field or element is not supported"
        )
    for c in table.columns:
        if c.name == target.name:
            return c
    raise SqlError(
        target.location,
        f'column "{target.name}" of relation "{table.qualname}" does not exist',
    )


def _assign(ctx: Context, value: Any, c: ir.Column, scope: Scope) -> None:
    """A value stored in a column: a parameter takes the column's type and
    name, and may be None where the column is nullable."""
    if isinstance(value, ast.SetToDefault):
        return
    ty = expr(ctx, value, scope)
    ctx.bind(ty, c.type, location_of(value), nullable=c.nullable, name=c.name)


def _returning(ctx: Context, node: Any, scope: Scope) -> list[Output]:
    clause = node.returningClause
    if clause is None:
        return []
    return _targets(ctx, clause.exprs or (), scope)


def _update(ctx: Context, node: Any) -> list[Output]:
    scope = Scope()
    _with_clause(ctx, node.withClause, scope)
    rel, table = _target_table(ctx, node, scope)
    scope.rels.append(rel)
    for item in node.fromClause or ():
        _from_item(ctx, item, scope, scope.rels)
    for t in node.targetList or ():
        _assign(ctx, t.val, _target_column(table, t), scope)
    if node.whereClause is not None:
        expect_bool(ctx, node.whereClause, scope)
    return _returning(ctx, node, scope)


def _delete(ctx: Context, node: Any) -> list[Output]:
    scope = Scope()
    _with_clause(ctx, node.withClause, scope)
    scope.rels.append(_range_var(ctx, node.relation, scope))
    for item in node.usingClause or ():
        _from_item(ctx, item, scope, scope.rels)
    if node.whereClause is not None:
        expect_bool(ctx, node.whereClause, scope)
    return _returning(ctx, node, scope)

"""Typing the statements of named queries: SELECT (with CTEs, recursive ones
too, set operations and VALUES) here, INSERT, UPDATE, DELETE and the
statements without results in ``dml``.  Clauses are typed in the order
PostgreSQL analyses them (FROM, the result list, WHERE, HAVING, ORDER BY,
GROUP BY, OFFSET, LIMIT), so a parameter used twice takes its type where
PostgreSQL gives it one."""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import SetOperation

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
from generator.frontends.sql.queries.relations import (
    StarItem,
    embed_field,
    from_clause,
    rel_columns,
    star,
)
from generator.frontends.sql.queries.resolution import (
    INT8,
    TEXT,
    column_name,
    common,
    figure_name,
)
from generator.frontends.sql.source import SqlError

# pglast types every node attribute as Optional; the parser guarantees the
# ones read here for the statement kinds handled, so nodes are ``Any``.


def select(
    ctx: Context, node: Any, outer: Scope, *, top: bool = False, leaf: bool = False
) -> list[Output]:
    """The result columns of a SELECT.  ``top``: the statement's own result
    (``*`` is spelled out); ``leaf``: a side of a set operation (unknown
    results stay unknown until the sides are matched)."""
    scope = Scope(parent=outer)
    with_clause(ctx, node.withClause, scope)
    if node.op != SetOperation.SETOP_NONE:
        return _set_operation(ctx, node, scope, top)
    if node.valuesLists:
        return _values(ctx, node, scope, leaf)
    items = from_clause(ctx, node.fromClause, scope, subselect)
    out = targets(ctx, node.targetList or (), scope, items, top=top, leaf=leaf)
    if node.whereClause is not None:
        expect_bool(ctx, node.whereClause, scope)
    if node.havingClause is not None:
        expect_bool(ctx, node.havingClause, scope, "HAVING")
    _order_by(ctx, node.sortClause or (), out, scope)
    for g in node.groupClause or ():
        _group_item(ctx, g, out, scope)
    for d in node.distinctClause or ():
        if d is not None:
            _group_item(ctx, d, out, scope)
    for w in node.windowClause or ():
        for part in (
            *(w.partitionClause or ()),
            *(s.node for s in w.orderClause or ()),
        ):
            expr(ctx, part, scope)
    _limits(ctx, node, scope)
    return out


def subselect(ctx: Context, node: Any, scope: Scope) -> list[Output]:
    """A SELECT inside another statement."""
    return select(ctx, node, scope)


def _set_operation(ctx: Context, node: Any, scope: Scope, top: bool) -> list[Output]:
    """UNION, INTERSECT, EXCEPT: the left side's names, the common types."""
    left = select(ctx, node.larg, scope, top=top, leaf=True)
    right = select(ctx, node.rarg, scope, top=top, leaf=True)
    if len(left) != len(right):
        raise SqlError(
            location_of(node.rarg.targetList[0]) if node.rarg.targetList else None,
            f"each {node.op.name.removeprefix('SETOP_')} query must have the same "
            "number of columns",
        )
    out = []
    for (name, lt, loc), (_, rt, rloc) in zip(left, right, strict=True):
        t = common(ctx.resolver, [lt, rt], loc, node.op.name.removeprefix("SETOP_"))
        ctx.bind(lt, t, loc)
        ctx.bind(rt, t, rloc)
        out.append(Output(name, Ty(t, lt.nullable or rt.nullable), loc))
    _order_by(ctx, node.sortClause or (), out, scope)
    _limits(ctx, node, scope)
    return out


def _values(ctx: Context, node: Any, scope: Scope, leaf: bool) -> list[Output]:
    """``VALUES (...), (...)``: columns column1, column2, ..."""
    rows = [[expr(ctx, v, scope) for v in row] for row in node.valuesLists]
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise SqlError(
            location_of(node.valuesLists[0][0]),
            "VALUES lists must all be the same length",
        )
    out = []
    for i in range(width):
        column = [r[i] for r in rows]
        loc = location_of(node.valuesLists[0][i]) or 0
        if leaf and all(t.type is None for t in column):
            out.append(Output(f"column{i + 1}", column[0], loc))
            continue
        t = common(ctx.resolver, column, loc, "VALUES")
        for ty, row in zip(column, node.valuesLists, strict=True):
            ctx.bind(ty, t, location_of(row[i]))
        out.append(
            Output(f"column{i + 1}", Ty(t, any(c.nullable for c in column)), loc)
        )
    _order_by(ctx, node.sortClause or (), out, scope)
    _limits(ctx, node, scope)
    return out


def _order_by(ctx: Context, sorts: Any, out: list[Output], scope: Scope) -> None:
    """Sort keys are typed for their parameters; a result column's alias and
    a position (ORDER BY 1) are not expressions over the relations."""
    for s in sorts:
        _group_item(ctx, s.node, out, scope)


def _group_item(ctx: Context, key: Any, out: list[Output], scope: Scope) -> None:
    if isinstance(key, ast.A_Const):
        return
    fields: Any = getattr(key, "fields", None)
    if (
        isinstance(key, ast.ColumnRef)
        and len(fields) == 1
        and column_name(key) in {o.name for o in out}
        and not _in_scope(column_name(key), scope)
    ):
        return
    if isinstance(key, ast.GroupingSet):
        for content in key.content or ():
            _group_item(ctx, content, out, scope)
        return
    expr(ctx, key, scope)


def _in_scope(name: str, scope: Scope) -> bool:
    return any(c[0] == name for r in scope.rels for c in r.columns)


def with_clause(ctx: Context, with_clause: Any, scope: Scope) -> None:
    if with_clause is None:
        return
    for cte in with_clause.ctes or ():
        query = cte.ctequery
        if with_clause.recursive and _self_referencing(query, cte.ctename):
            cols = _recursive(ctx, cte, scope)
        elif isinstance(query, ast.SelectStmt):
            cols = select(ctx, query, scope)
        else:
            cols = ctx.statement(ctx, query, scope)
        rel = Rel(cte.ctename, rel_columns(cols))
        _rename(rel, cte.aliascolnames, cte.location)
        scope.ctes[cte.ctename] = rel


def _rename(rel: Rel, aliases: Any, loc: int | None) -> None:
    names = [str(n.sval) for n in aliases or ()]
    if len(names) > len(rel.columns):
        raise SqlError(
            loc,
            f'WITH query "{rel.alias}" has {len(rel.columns)} columns available '
            f"but {len(names)} columns specified",
        )
    for i, name in enumerate(names):
        rel.columns[i] = (name, rel.columns[i][1], rel.columns[i][2])


def _self_referencing(query: Any, name: str) -> bool:
    return (
        isinstance(query, ast.SelectStmt)
        and query.op == SetOperation.SETOP_UNION
        and name in _range_names(query.rarg)
    )


def _range_names(node: Any) -> set[str]:
    """Relation names used anywhere inside a node."""
    found: set[str] = set()
    if isinstance(node, ast.RangeVar):
        found.add(str(node.relname))
    if isinstance(node, ast.Node):
        for attr in node:
            value = getattr(node, attr)
            for child in value if isinstance(value, tuple) else (value,):
                found |= _range_names(child)
    return found


def _recursive(ctx: Context, cte: Any, scope: Scope) -> list[Output]:
    """``WITH RECURSIVE t AS (base UNION [ALL] step)``: the base's columns
    type ``t`` while the step is typed; NULL from either side makes a
    column nullable."""
    query = cte.ctequery
    base = select(ctx, query.larg, scope)
    rel = Rel(cte.ctename, rel_columns(base))
    _rename(rel, cte.aliascolnames, cte.location)
    inner = Scope(parent=scope)
    inner.ctes[cte.ctename] = rel
    step = select(ctx, query.rarg, inner, leaf=True)
    if len(step) != len(base):
        raise SqlError(
            cte.location,
            "each UNION query must have the same number of columns",
        )
    out = []
    for (name, bt, loc), (_, st, sloc) in zip(base, step, strict=True):
        ctx.bind(st, bt.type or TEXT, sloc)
        out.append(Output(name, Ty(bt.type, bt.nullable or st.nullable), loc))
    return out


def _limits(ctx: Context, node: Any, scope: Scope) -> None:
    for clause, name in ((node.limitOffset, "offset"), (node.limitCount, "limit")):
        if clause is not None:
            ty = expr(ctx, clause, scope)
            ctx.bind(ty, INT8, location_of(clause), name=name)


def targets(
    ctx: Context,
    target_list: Any,
    scope: Scope,
    items: list[StarItem],
    *,
    top: bool = False,
    leaf: bool = False,
) -> list[Output]:
    out: list[Output] = []
    for t in target_list:
        val: Any = t.val
        fields: Any = val.fields if isinstance(val, ast.ColumnRef) else (None,)
        if isinstance(fields[-1], ast.A_Star):
            _embed(ctx, val, scope, len(out), top)
            out += star(ctx, val, scope, items, top)
            continue
        ty = expr(ctx, val, scope)
        name = t.name or figure_name(val)
        if ty.type is None and not leaf:
            # SELECT 'literal', SELECT NULL, SELECT $1: text, as PostgreSQL has it
            ctx.bind(ty, TEXT, location_of(val))
            ty = Ty(TEXT, ty.nullable, ty.param)
        out.append(Output(name, ty, t.location))
    return out


def _embed(ctx: Context, ref: Any, scope: Scope, start: int, top: bool) -> None:
    """``sqlc.embed(t)`` (now ``t.*``): the columns are ``t``'s row."""
    if ref.location not in ctx.embeds or not top:
        return
    rel = scope.rel(str(ref.fields[0].sval), ref.location)
    if rel.table is None or len(rel.columns) != len(rel.table.columns):
        raise SqlError(
            ref.location,
            f"sqlc.embed({rel.alias}) needs a table or view, not a subquery or CTE",
        )
    ctx.embeds_found.append(ir.QueryEmbed(embed_field(rel), rel.table.qualname, start))

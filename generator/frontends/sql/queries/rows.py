"""How many rows a statement gives, and whether it fits its command.

``:one`` returns the row itself (not ``row | None``) when the statement always
gives exactly one: ``INSERT ... VALUES (one row) RETURNING`` without an ``ON
CONFLICT DO NOTHING`` or an ``ON CONFLICT ... DO UPDATE ... WHERE`` that could
skip it; a SELECT of aggregates without GROUP BY, HAVING, LIMIT or OFFSET;
a SELECT without FROM, WHERE, LIMIT or OFFSET.  A set-returning function in
the result list can give any number of rows.  (A trigger or rule that skips
an insert makes the generated function raise ``NoRowReturned``.)
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import OnConflictAction, SetOperation, SubLinkType

from generator import ir
from generator.frontends.sql.queries.annotations import Annotation
from generator.frontends.sql.queries.context import Output
from generator.frontends.sql.queries.pg_catalog import builtins
from generator.frontends.sql.source import SqlError

_RETURNS_ROWS = ("one", "many", "batchone", "batchmany", "execlastid")


def row_guaranteed(node: Any) -> bool:
    match node:
        case ast.InsertStmt():
            return _one_insert(node)
        case ast.SelectStmt():
            return _one_select(node)
    return False


def _one_insert(node: Any) -> bool:
    sel = node.selectStmt
    conflict = node.onConflictClause
    return (
        node.returningClause is not None
        and sel is not None
        and sel.op == SetOperation.SETOP_NONE
        and len(sel.valuesLists or ()) == 1
        and (
            conflict is None
            or (
                conflict.action == OnConflictAction.ONCONFLICT_UPDATE
                and conflict.whereClause is None
            )
        )
    )


def _one_select(node: Any) -> bool:
    if node.op != SetOperation.SETOP_NONE or node.limitOffset is not None:
        return False
    if node.limitCount is not None and not _positive_constant(node.limitCount):
        return False
    if node.valuesLists:
        return len(node.valuesLists) == 1
    calls = [c for t in node.targetList or () for c in _calls(t.val)]
    if any(_set_returning(c) for c in calls):
        return False
    if not node.fromClause:
        return node.whereClause is None and node.havingClause is None
    return (
        not node.groupClause
        and node.havingClause is None
        and any(c.over is None and _aggregate(c) for c in calls)
    )


def _positive_constant(node: Any) -> bool:
    return (
        isinstance(node, ast.A_Const)
        and isinstance(node.val, ast.Integer)
        and (node.val.ival or 0) > 0
    )


def _calls(node: Any) -> list[Any]:
    """The function calls in an expression, not inside subqueries."""
    if isinstance(node, ast.SubLink) and node.subLinkType != SubLinkType.ARRAY_SUBLINK:
        return []
    found = [node] if isinstance(node, ast.FuncCall) else []
    if isinstance(node, ast.Node):
        for attr in node:
            value = getattr(node, attr)
            for child in value if isinstance(value, tuple) else (value,):
                if isinstance(child, ast.Node) and not isinstance(
                    child, ast.SelectStmt
                ):
                    found += _calls(child)
    return found


def _name(call: Any) -> str:
    return str(call.funcname[-1].sval)


def _aggregate(call: Any) -> bool:
    if call.agg_star:
        return True
    return any(f.kind == "a" for f in builtins().functions.get(_name(call), ()))


def _set_returning(call: Any) -> bool:
    return any(f.retset for f in builtins().functions.get(_name(call), ()))


def check_command(
    note: Annotation,
    node: Any,
    results: list[Output],
    params: tuple[ir.QueryParam, ...],
) -> None:
    """The statement fits the annotation's command."""
    command = note.command
    if (
        command in _RETURNS_ROWS
        and not results
        and not isinstance(node, ast.SelectStmt)
    ):
        raise SqlError(
            note.offset,
            f"query {note.name!r} is :{command} but returns no columns",
            "PostgreSQL has no last insert id: add RETURNING id, or use :exec"
            if command == "execlastid"
            else "use :exec or :execrows, or add RETURNING",
        )
    if command == "execlastid" and len(results) != 1:
        raise SqlError(
            note.offset,
            f"query {note.name!r} is :execlastid but returns {len(results)} columns",
            "PostgreSQL has no last insert id: RETURNING exactly the id column",
        )
    if command.startswith("batch") and not params:
        raise SqlError(
            note.offset,
            f"query {note.name!r} is :{command} but takes no parameters",
            "a batch runs the statement once per set of parameters",
        )


def copy_target(
    note: Annotation, node: Any, tables: dict[str, ir.Table]
) -> tuple[str, tuple[str, ...]]:
    """``:copyfrom``: the table and the column each ``$n`` fills, from
    ``INSERT INTO t (a, b) VALUES ($1, $2)`` (one row, parameters only)."""
    hint = "write INSERT INTO <table> (<columns>) VALUES ($1, $2, ...)"
    sel: Any = node.selectStmt if isinstance(node, ast.InsertStmt) else None
    if (
        sel is None
        or node.withClause is not None
        or node.onConflictClause is not None
        or node.returningClause is not None
        or len(sel.valuesLists or ()) != 1
    ):
        raise SqlError(note.offset, f"query {note.name!r} is :copyfrom: {hint}", hint)
    rv = node.relation
    table = tables[f"{rv.schemaname or 'public'}.{rv.relname}"]
    names = (
        [t.name for t in node.cols] if node.cols else [c.name for c in table.columns]
    )
    by_number: dict[int, str] = {}
    for value, name in zip(sel.valuesLists[0], names, strict=False):
        param: Any = value.arg if isinstance(value, ast.TypeCast) else value
        number: Any = getattr(param, "number", None)
        if not isinstance(param, ast.ParamRef) or number in by_number:
            raise SqlError(
                note.offset, ":copyfrom stores parameters only, each once", hint
            )
        by_number[number] = name
    return table.qualname, tuple(by_number[n] for n in sorted(by_number))

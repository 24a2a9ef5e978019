"""The relations of a FROM clause: tables (and views), CTEs, subqueries,
functions (``unnest``, ``generate_series``, ``jsonb_to_recordset``, the
migrations' own) and joins, with ``JOIN ... USING``/``NATURAL`` merging
columns; and ``*``, which is spelled out into the statement's text.

A subquery in FROM needs an alias: svcforge targets PostgreSQL 15, where
leaving it out is an error (PostgreSQL 16 allows it)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from pglast import ast, keywords
from pglast.enums import JoinType

from generator import ir
from generator.frontends.sql.queries.context import (
    Column,
    Context,
    Output,
    Rel,
    Scope,
    Ty,
    known_type,
    location_of,
)
from generator.frontends.sql.queries.expressions import expect_bool, expr
from generator.frontends.sql.queries.functions import resolve
from generator.frontends.sql.queries.pg_catalog import sql_type
from generator.frontends.sql.queries.resolution import TEXT, common, figure_name
from generator.frontends.sql.source import SqlError
from generator.frontends.sql.type_names import sql_type as declared_type
from generator.naming import sql_embed_field

Select = Callable[[Context, Any, Scope], list[Output]]
StarItem = tuple[Rel | None, Column]
"""A column ``*`` gives: of a relation, or merged by USING (no relation)."""

# Set-returning built-ins whose values may be NULL although their arguments
# are not (an array's elements, a JSON document's values).
_NULLABLE_ROWS = frozenset({"unnest"})


def from_clause(
    ctx: Context, items: Any, scope: Scope, select: Select
) -> list[StarItem]:
    """Every FROM item into ``scope``; what ``*`` gives, in order."""
    star: list[StarItem] = []
    for item in items or ():
        star += from_item(ctx, item, scope, scope.rels, select)
    return star


def from_item(
    ctx: Context, node: Any, scope: Scope, into: list[Rel], select: Select
) -> list[StarItem]:
    item: Any = node
    match node:
        case ast.RangeVar():
            rel = range_var(ctx, item, scope)
        case ast.JoinExpr():
            return _join(ctx, item, scope, into, select)
        case ast.RangeSubselect():
            rel = _subselect(ctx, item, scope, into, select)
        case ast.RangeFunction():
            rel = _function(ctx, item, scope, into)
        case _:
            raise SqlError(
                _first_location(node),
                f"unsupported FROM item {type(item).__name__}",
            )
    into.append(rel)
    return [(rel, c) for c in rel.columns]


def _first_location(node: Any) -> int | None:
    """The first position pglast knows inside a node."""
    loc = location_of(node)
    if loc is not None:
        return loc
    if isinstance(node, ast.Node):
        for name in node:
            value = getattr(node, name)
            for child in value if isinstance(value, tuple) else (value,):
                found = _first_location(child)
                if found is not None:
                    return found
    return None


def range_var(ctx: Context, rv: Any, scope: Scope) -> Rel:
    """A table, view, CTE or system catalog named in FROM (or as the target
    of INSERT, UPDATE, DELETE)."""
    alias = rv.alias.aliasname if rv.alias is not None else rv.relname
    if rv.schemaname is None:
        cte = scope.cte(rv.relname)
        if cte is not None:
            return _aliased(Rel(alias, list(cte.columns)), rv.alias)
    system = _system_relation(ctx, rv)
    if system is not None:
        return _aliased(Rel(alias, system), rv.alias)
    qual = f"{rv.schemaname or 'public'}.{rv.relname}"
    table = ctx.tables.get(qual)
    if table is None and qual in ctx.sequences:
        return _aliased(Rel(alias, list(_SEQUENCE_COLUMNS)), rv.alias)
    if table is None:
        close = difflib.get_close_matches(qual, sorted(ctx.tables), n=1)
        raise SqlError(
            rv.location,
            f'table "{qual}" does not exist',
            f'did you mean "{close[0]}"?'
            if close
            else "tables: " + ", ".join(sorted(ctx.tables))
            if ctx.tables
            else "no tables: add migrations to schemas/tables",
        )
    rel = Rel(alias, [(c.name, c.type, c.nullable) for c in table.columns], table)
    return _aliased(rel, rv.alias)


# What SELECT * FROM a sequence gives (PostgreSQL 15).
_SEQUENCE_COLUMNS = (
    ("last_value", sql_type("int8"), False),
    ("log_cnt", sql_type("int8"), False),
    ("is_called", sql_type("bool"), False),
)


def _system_relation(ctx: Context, rv: Any) -> list[Column] | None:
    """A relation of pg_catalog (first on PostgreSQL's search path) or of
    information_schema."""
    if rv.schemaname in (None, "pg_catalog"):
        key = rv.relname
    elif rv.schemaname == "information_schema":
        key = f"information_schema.{rv.relname}"
    else:
        return None
    found = ctx.resolver.cat.relations.get(key)
    if found is None:
        return None
    return [(n, sql_type(t), nullable) for n, t, nullable in found]


def _aliased(rel: Rel, alias: Any) -> Rel:
    """Column aliases: ``FROM t AS x(a, b)`` renames the first columns."""
    names = [str(n.sval) for n in (alias.colnames or ())] if alias is not None else []
    if len(names) > len(rel.columns):
        raise SqlError(
            None,
            f'table "{rel.alias}" has {len(rel.columns)} columns available but {len(names)} columns specified',
        )
    for i, name in enumerate(names):
        _, t, nullable = rel.columns[i]
        rel.columns[i] = (name, t, nullable)
    return rel


def _subselect(
    ctx: Context, item: Any, scope: Scope, into: list[Rel], select: Select
) -> Rel:
    if item.alias is None:
        inside = _first_location(item.subquery)
        raise SqlError(
            ctx.text.rfind("(", 0, inside) if inside is not None else None,
            "subquery in FROM must have an alias",
            "for example FROM (SELECT ...) AS s (PostgreSQL 15; 16 allows none)",
        )
    inner = _lateral(scope, into) if item.lateral else scope
    cols = select(ctx, item.subquery, inner)
    rel = Rel(item.alias.aliasname, rel_columns(cols))
    return _aliased(rel, item.alias)


def _lateral(scope: Scope, into: list[Rel]) -> Scope:
    """What a LATERAL item (a function in FROM is one) sees: the relations
    before it in FROM, as an enclosing query's."""
    rels = [*scope.rels, *(r for r in into if r not in scope.rels)]
    return Scope(rels, scope.parent, scope.ctes, scope.merged)


def _calls(functions: Any) -> list[tuple[Any, Any]]:
    """The (call, column definitions) of a FROM function item; PostgreSQL
    reads ``unnest(a, b)`` there as ``ROWS FROM (unnest(a), unnest(b))``."""
    out = []
    for pair in functions:
        call, coldefs = pair[0], pair[1] if len(pair) > 1 else None
        args: Any = getattr(call, "args", None) or ()
        names = [n.sval for n in getattr(call, "funcname", None) or ()]
        if names in (["unnest"], ["pg_catalog", "unnest"]) and len(args) > 1:
            location = call.location
            out += [
                (
                    ast.FuncCall(funcname=call.funcname, args=(a,), location=location),
                    None,
                )
                for a in args
            ]
        else:
            out.append((call, coldefs))
    return out


def rel_columns(cols: list[Output]) -> list[Column]:
    """A query's results as the columns of a relation over it."""
    return [(n, known_type(t, loc), t.nullable) for n, t, loc in cols]


def _function(ctx: Context, item: Any, scope: Scope, into: list[Rel]) -> Rel:
    """``FROM f(...) [WITH ORDINALITY] [AS alias(columns)]``: a scalar
    result is one column (named after the alias, else the function), a
    record result has its OUT columns or the column definitions given."""
    inner = _lateral(scope, into)
    columns: list[Column] = []
    calls = _calls(item.functions)
    # PostgreSQL's chooseScalarFunctionAlias: the one scalar function of
    # ``FROM f() AS a`` gives the column ``a`` (unless an OUT column names it).
    alias = item.alias.aliasname if item.alias is not None and len(calls) == 1 else ""
    for pair in calls:
        call, coldefs = pair
        if isinstance(call, ast.SQLValueFunction):  # FROM current_date
            name = alias or figure_name(call)
            columns.append((name, expr(ctx, call, inner).type or TEXT, False))
            continue
        if not isinstance(call, ast.FuncCall):
            raise SqlError(location_of(call), "unsupported function in FROM")
        columns += _function_columns(
            ctx, call, coldefs or item.coldeflist, inner, alias
        )
    if item.ordinality:
        columns.append(("ordinality", ir.SqlType("int8"), False))
    name = item.alias.aliasname if item.alias is not None else columns[0][0]
    return _aliased(Rel(name, columns), item.alias)


def _function_columns(
    ctx: Context, call: Any, coldefs: Any, scope: Scope, alias: str
) -> list[Column]:
    """The columns of one function in FROM; ``alias`` names a scalar result."""
    f, result, outs, tys = resolve(ctx, call, scope, expr)
    if coldefs:
        if result != "record":
            raise SqlError(
                location_of(call),
                "a column definition list is only allowed for functions returning record",
            )
        return [
            (str(c.colname), declared_type(c.typeName, ctx.enum_lookup)[0], True)
            for c in coldefs
        ]
    if outs:
        return [(n, sql_type(t), True) for n, t in outs]
    if result == "record":
        raise SqlError(
            location_of(call),
            "a column definition list is required for functions returning record",
            "for example FROM jsonb_to_recordset($1) AS r(id int, name text)",
        )
    nullable = f.name in _NULLABLE_ROWS or not f.strict or any(t.nullable for t in tys)
    return [(alias or f.name, sql_type(result), nullable)]


def _join(
    ctx: Context, join: Any, scope: Scope, into: list[Rel], select: Select
) -> list[StarItem]:
    """The relations of both sides; those on the nullable side of an outer
    join have nullable columns.  USING and NATURAL merge the columns they
    join on: ``*`` gives them once, first, and they are unqualified."""
    left: list[Rel] = []
    right: list[Rel] = []
    left_star = from_item(ctx, join.larg, scope, left, select)
    lateral = Scope([*into, *left], scope.parent, scope.ctes, scope.merged)
    right_star = from_item(ctx, join.rarg, lateral, right, select)
    kind = join.jointype
    if kind in (JoinType.JOIN_LEFT, JoinType.JOIN_FULL):
        for r in right:
            r.outer = True
    if kind in (JoinType.JOIN_RIGHT, JoinType.JOIN_FULL):
        for r in left:
            r.outer = True
    names = _using(join, left_star, right_star)
    merged = [_merged(ctx, name, left_star, right_star, join) for name in names]
    into += left + right
    scope.merged += merged
    if join.quals is not None:
        where = Scope(list(into), scope.parent, scope.ctes, scope.merged)
        expect_bool(ctx, join.quals, where, "JOIN/ON")
    star: list[StarItem] = [(None, c) for c in merged]
    star += [
        (r, c) for r, c in left_star + right_star if r is None or c[0] not in names
    ]
    if join.alias is not None:
        rel = Rel(join.alias.aliasname, [c for _, c in star])
        into.append(rel)
        return [(rel, c) for c in rel.columns]
    return star


def _using(join: Any, left: list[StarItem], right: list[StarItem]) -> list[str]:
    if join.usingClause:
        return [str(n.sval) for n in join.usingClause]
    if join.isNatural:
        right_names = {c[0] for _, c in right}
        return [c[0] for _, c in left if c[0] in right_names]
    return []


def _merged(
    ctx: Context, name: str, left: list[StarItem], right: list[StarItem], join: Any
) -> Column:
    loc, kind = location_of(join), join.jointype
    sides = []
    for star, side in ((left, "left"), (right, "right")):
        found = [(r, c) for r, c in star if c[0] == name]
        if len(found) != 1:
            word = "specified more than once" if found else "does not exist"
            raise SqlError(loc, f'column "{name}" {word} in {side} table of join')
        r, (_, t, nullable) = found[0]
        sides.append(Ty(t, nullable or (r is not None and r.outer)))
    t = common(ctx.resolver, sides, loc, "JOIN/USING")
    if kind == JoinType.JOIN_LEFT:
        nullable = sides[0].nullable
    elif kind == JoinType.JOIN_RIGHT:
        nullable = sides[1].nullable
    elif kind == JoinType.JOIN_FULL:
        nullable = sides[0].nullable and sides[1].nullable
    else:
        nullable = False
    return (name, t, nullable)


# --- * -------------------------------------------------------------------------------


def star(
    ctx: Context, ref: Any, scope: Scope, items: list[StarItem], expand: bool
) -> list[Output]:
    """``*`` or ``alias.*``: every column, in order; when the statement's
    own result, spelled out in its text."""
    fields = ref.fields
    if len(fields) > 1:
        schema = str(fields[-3].sval) if len(fields) > 2 else ""
        rel = scope.rel(str(fields[-2].sval), ref.location, schema)
        items = [(rel, c) for c in rel.columns]
    if not items:
        raise SqlError(ref.location, "SELECT * with no tables specified is not valid")
    out = [
        Output(
            c[0],
            Ty(c[1], c[2] or (r is not None and r.outer), column=c[0]),
            ref.location,
        )
        for r, c in items
    ]
    if expand:
        _expand(ctx, ref, items, len(fields) > 1)
    return out


def _expand(ctx: Context, ref: Any, items: list[StarItem], qualified: bool) -> None:
    rels = {id(r) for r, _ in items if r is not None}
    names = [c[0] for _, c in items]

    def spelled(rel: Rel | None, name: str) -> str:
        column = quote_sql_identifier(name)
        if rel is None or not rel.qualified:
            return column
        if qualified or len(rels) > 1 or names.count(name) > 1:
            return f"{quote_sql_identifier(rel.alias)}.{column}"
        return column

    end = _star_end(ctx, ref)
    words = [spelled(r, c[0]) for r, c in items]
    ctx.edits.append((ref.location, end, _wrapped(ctx.text, ref.location, end, words)))


def _wrapped(text: str, start: int, end: int, words: list[str]) -> str:
    """``a, b, c`` in place of text[start:end]; when the line would grow
    past 88 characters, filled to 80 with the columns lined up under the
    first one."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    rest = len(text[end : line_end if line_end >= 0 else len(text)])
    column = start - line_start
    flat = ", ".join(words)
    if column + len(flat) + rest <= 88:
        return flat
    lines = [""]
    for word in words:
        candidate = f"{lines[-1]}, {word}" if lines[-1] else word
        if lines[-1] and column + len(candidate) + 1 > 80:
            lines[-1] += ","
            lines.append(word)
        else:
            lines[-1] = candidate
    return ("\n" + " " * column).join(lines)


def _star_end(ctx: Context, ref: Any) -> int:
    """The offset after the ``*`` of a reference (past a quoted qualifier)."""
    text = ctx.text
    i: int = ref.location
    quoted = False
    while i < len(text):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "*" and not quoted:
            return i + 1
        i += 1
    return len(text)


def embed_field(rel: Rel) -> str:
    assert rel.table is not None
    return sql_embed_field(rel.table.row_class)


def quote_sql_identifier(name: str) -> str:
    """``name`` as SQL reads it back: bare when it is a plain lower-case
    word that no keyword reserves, else quoted."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


_RESERVED = frozenset(keywords.RESERVED_KEYWORDS) | frozenset(
    keywords.TYPE_FUNC_NAME_KEYWORDS
)

"""Named queries front-end: ``schemas/queries/*.sql``, each statement preceded
by a sqlc-style annotation (see ``annotations``).  Parameter names come from
``-- $n: name`` lines, else from the columns parameters meet.

Types are derived statically over the replayed tables, so generation needs no
database server and gives the same bytes everywhere.  What cannot be derived
exactly is an error with a hint (usually: add a cast), never a guess;
``tests/test_sql_queries.py`` checks the derived types against what
PostgreSQL itself reports when it prepares the statements.
"""

from __future__ import annotations

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.frontends.sql.queries.annotations import annotation
from generator.frontends.sql.queries.context import Context, Output
from generator.frontends.sql.queries.statements import new_context, statement
from generator.frontends.sql.source import SqlError, SqlSource, Statement
from generator.frontends.sql.type_names import EnumLookup
from generator.naming import (
    sql_field_names,
    sql_param_names,
    sql_query_module,
    sql_query_row_class,
)


def parse_queries(
    sources: list[SqlSource],
    enums: tuple[ir.SqlEnum, ...],
    tables: tuple[ir.Table, ...],
) -> tuple[ir.Query, ...]:
    """Every named query, by file then position; ``SchemaError`` with every
    problem found (queries are independent, so all are checked)."""
    by_name = {t.qualname: t for t in tables}
    enum_names = {e.qualname for e in enums}

    def enum_lookup(name: str, schema: str | None) -> str | None:
        qual = f"{schema or 'public'}.{name}"
        return qual if qual in enum_names else None

    out: list[ir.Query] = []
    errors: list[Diagnostic] = []
    for source in sources:
        try:
            statements = source.statements()
        except SchemaError as exc:
            errors += exc.diagnostics
            continue
        out += _file(source, statements, by_name, enum_lookup, errors)
    if errors:
        raise SchemaError(errors)
    return tuple(out)


def _file(
    source: SqlSource,
    statements: list[Statement],
    tables: dict[str, ir.Table],
    enum_lookup: EnumLookup,
    errors: list[Diagnostic],
) -> list[ir.Query]:
    """The queries of one file; the problems of each go to ``errors``."""
    out: list[ir.Query] = []
    seen: dict[str, int] = {}
    for stmt in statements:
        try:
            query = _query(source, stmt, tables, enum_lookup)
        except SqlError as exc:
            errors.append(source.diagnostic(exc))
            continue
        if query.name in seen:
            errors.append(
                Diagnostic(
                    query.span,
                    f"query name {query.name!r} is already used in this file "
                    f"(line {seen[query.name]})",
                )
            )
            continue
        seen[query.name] = query.span.line
        out.append(query)
    return out


def _query(
    source: SqlSource,
    stmt: Statement,
    tables: dict[str, ir.Table],
    enum_lookup: EnumLookup,
) -> ir.Query:
    note = annotation(stmt)
    ctx = new_context(tables, enum_lookup)
    results = statement(ctx, stmt.node)
    params = _params(ctx, note.params, stmt)
    if note.command in ("one", "many") and not results:
        raise SqlError(
            note.offset,
            f"query {note.name!r} is :{note.command} but returns no columns",
            "use :exec or :execrows, or add RETURNING",
        )
    columns = _columns(results)
    return ir.Query(
        name=note.name,
        command=note.command,
        sql=source.slice(stmt.start, stmt.end).strip(),
        params=params,
        columns=columns if note.command in ("one", "many") else (),
        source=source.path,
        module=sql_query_module(source.path),
        row_class=sql_query_row_class(note.name),
        span=source.span(note.offset),
        doc=note.doc,
        table=_same_table(columns, tables),
    )


def _columns(results: list[Output]) -> tuple[ir.QueryColumn, ...]:
    """Result columns with their Python names; each needs a name of its own."""
    names = [r.name for r in results]
    for name, _, loc in results:
        if name == "?column?":
            raise SqlError(
                loc, "result column has no name", "name it: <expression> AS <name>"
            )
        if names.count(name) > 1:
            raise SqlError(
                loc,
                f"result column name {name!r} appears more than once",
                "rename one with AS",
            )
    return tuple(
        ir.QueryColumn(r.name, py, r.ty.type, r.ty.nullable)
        for r, py in zip(results, sql_field_names(names), strict=True)
        if r.ty.type is not None
    )


def _params(
    ctx: Context, explicit: dict[int, str], stmt: Statement
) -> tuple[ir.QueryParam, ...]:
    numbers = sorted(ctx.params)
    if numbers != list(range(1, len(numbers) + 1)):
        missing = sorted(set(range(1, max(numbers or [0]) + 1)) - set(numbers))
        raise SqlError(
            stmt.start,
            f"cannot tell the type of ${missing[0]} (or it is not used)",
            "parameters are $1, $2, ... without gaps; add a cast where it is used",
        )
    for n in explicit:
        if n not in ctx.params:
            raise SqlError(
                stmt.start, f"-- ${n}: names a parameter the query does not use"
            )
    wanted = [explicit.get(n) or ctx.names.get(n) or f"arg{n}" for n in numbers]
    return tuple(
        ir.QueryParam(n, py, ctx.params[n].type, ctx.params[n].nullable)
        for n, py in zip(numbers, sql_param_names(wanted), strict=True)
    )


def _same_table(cols: tuple[ir.QueryColumn, ...], tables: dict[str, ir.Table]) -> str:
    """The table whose row the result is exactly (names, types, nullability)."""
    for t in tables.values():
        if len(t.columns) == len(cols) and all(
            c.name == q.name and c.type == q.type and c.nullable == q.nullable
            for c, q in zip(t.columns, cols, strict=True)
        ):
            return t.qualname
    return ""

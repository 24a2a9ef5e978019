"""Named queries front-end: ``schemas/queries/*.sql``, each statement preceded
by an sqlc annotation (see ``annotations``) and written in PostgreSQL with
sqlc's parameter syntax (see ``sqlc_syntax``).  Parameter names come from
sqlc's named parameters, from ``-- $n: name`` lines, else from the columns
parameters meet.

Types are derived statically over the replayed tables, so generation needs no
database server and gives the same bytes everywhere.  What cannot be derived
exactly is an error with a hint (usually: add a cast), never a guess;
``tests/test_sql_queries.py`` checks the derived types against what
PostgreSQL itself reports when it prepares the statements.

Result columns are named as PostgreSQL names them; a column PostgreSQL calls
``?column?`` becomes the field ``column_<position>``, and a name that comes
again (``SELECT *`` over a join) gets ``_2``, ``_3``, ... on the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pglast import parse_sql
from pglast.parser import ParseError

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.frontends.sql.queries.annotations import Annotation, annotation
from generator.frontends.sql.queries.context import Context, Output, known_type
from generator.frontends.sql.queries.dml import new_context, statement
from generator.frontends.sql.queries.functions import SqlFunctionLike, user_functions
from generator.frontends.sql.queries.pg_catalog import PgFunction
from generator.frontends.sql.queries.rows import (
    check_command,
    copy_target,
    row_guaranteed,
)
from generator.frontends.sql.queries.sqlc_syntax import Rewritten, rewrite
from generator.frontends.sql.source import SqlError, SqlSource, Statement
from generator.frontends.sql.type_names import EnumLookup
from generator.naming import (
    sql_field_names,
    sql_param_names,
    sql_query_module,
    sql_query_names,
)


def parse_queries(
    sources: list[SqlSource],
    enums: tuple[ir.SqlEnum, ...],
    tables: tuple[ir.Table, ...],
    functions: Sequence[SqlFunctionLike] = (),
    extensions: frozenset[str] = frozenset(),
    sequences: Sequence[str] = (),
) -> tuple[ir.Query, ...]:
    """Every named query, by file then position; ``SchemaError`` with every
    problem found (queries are independent, so all are checked).
    ``functions``: those the migrations create, callable beside the
    built-in ones; ``extensions``: those whose functions, operators and
    casts queries may use (see ``extensions.extensions_used``);
    ``sequences``: the migrations' (qualified), which queries may read."""
    by_name = {t.qualname: t for t in tables}
    user = user_functions(functions)
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
        out += _file(
            source,
            statements,
            _Schema(by_name, enum_lookup, user, extensions, frozenset(sequences)),
            errors,
        )
    if errors:
        raise SchemaError(errors)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Schema:
    """What queries are typed over."""

    tables: dict[str, ir.Table]
    enum_lookup: EnumLookup
    functions: dict[str, list[PgFunction]]
    extensions: frozenset[str]
    sequences: frozenset[str]


def _file(
    source: SqlSource,
    statements: list[Statement],
    schema: _Schema,
    errors: list[Diagnostic],
) -> list[ir.Query]:
    """The queries of one file; the problems of each go to ``errors``."""
    out: list[ir.Query] = []
    seen: dict[str, int] = {}
    if statements and not source.text[statements[-1].end :].lstrip().startswith(";"):
        # sqlc requires it too: a file cut short does not pass for a query.
        errors.append(
            source.diagnostic(
                SqlError(
                    statements[-1].start,
                    "missing semicolon at end of file",
                    "end every query with ;",
                )
            )
        )
        statements = statements[:-1]
    for stmt in statements:
        try:
            query = _query(source, stmt, schema)
        except SqlError as exc:
            errors.append(source.diagnostic(exc))
            continue
        if query is None:
            continue
        if query.py_name in seen:
            errors.append(
                Diagnostic(
                    query.span,
                    f"query name {query.name!r} is already used in this file "
                    f"(line {seen[query.py_name]})",
                )
            )
            continue
        seen[query.py_name] = query.span.line
        out.append(query)
    return _distinct_row_classes(out, schema.tables)


def _distinct_row_classes(
    queries: list[ir.Query], tables: dict[str, ir.Table]
) -> list[ir.Query]:
    """Row classes of the queries of one module, clear of the table row
    classes the module imports."""
    taken = [t.row_class for t in tables.values()]
    names = sql_query_names([q.name for q in queries], taken)
    return [
        replace(q, row_class=n.row_class) for q, n in zip(queries, names, strict=True)
    ]


def _query(source: SqlSource, stmt: Statement, schema: _Schema) -> ir.Query | None:
    note = annotation(source, stmt)
    if note is None:  # a schema statement: no query
        return None
    rw = rewrite(source.slice(stmt.start, stmt.end), stmt.start)
    try:
        node, ctx, results = _typed(rw, schema)
        params = _params(ctx, rw, note.params)
        columns = _columns(ctx, results, note.command in _ROW_COMMANDS)
    except SqlError as exc:
        raise SqlError(rw.origin(exc.offset), exc.message, exc.hint) from None
    check_command(note, node, results, params)
    names = sql_query_names([note.name])[0]
    returns_rows = note.command in _ROW_COMMANDS
    copy: tuple[str, tuple[str, ...]] = ("", ())
    if note.command == "copyfrom":
        copy = copy_target(note, node, schema.tables)
    return ir.Query(
        name=note.name,
        py_name=names.py_name,
        constant=names.constant,
        command=note.command,
        sql=ctx.expanded(rw.text).strip(),
        params=params,
        columns=columns if returns_rows else (),
        source=source.path,
        module=sql_query_module(source.path),
        row_class=names.row_class,
        span=source.span(note.offset),
        doc=note.doc,
        table="" if ctx.embeds_found else _same_table(columns, schema.tables),
        embeds=tuple(ctx.embeds_found) if returns_rows else (),
        row_guaranteed=row_guaranteed(node),
        params_class=names.params_class
        if _takes_sets(note) and len(params) > 1
        else "",
        copy_table=copy[0],
        copy_columns=copy[1],
    )


def _typed(rw: Rewritten, schema: _Schema) -> tuple[Any, Context, list[Output]]:
    """The statement's node, its typing and its result columns;
    ``SqlError`` offsets are in ``rw.text``."""
    try:
        (raw,) = parse_sql(rw.text)
    except ParseError as exc:
        offset = exc.args[1] if len(exc.args) > 1 else None
        raise SqlError(offset, f"SQL syntax error: {exc.args[0]}") from None
    ctx = new_context(
        schema.tables,
        schema.enum_lookup,
        rw.text,
        rw.embeds,
        schema.functions,
        schema.extensions,
        schema.sequences,
    )
    for n, named in rw.params.items():
        ctx.names[n] = named.name
    results = statement(ctx, raw.stmt)
    return raw.stmt, ctx, results


def _takes_sets(note: Annotation) -> bool:
    """Batches and copies take a list of parameter sets."""
    return note.command == "copyfrom" or note.command.startswith("batch")


_ROW_COMMANDS = ("one", "many", "batchone", "batchmany", "execlastid")


def _columns(
    ctx: Context, results: list[Output], returned: bool
) -> tuple[ir.QueryColumn, ...]:
    """Result columns with their Python names (see the module's docstring);
    the columns of an embedded row are one field, named after its table."""
    wanted = [
        f"column_{i}" if r.name == "?column?" else r.name
        for i, r in enumerate(results, 1)
    ]
    starts = {e.start: e for e in ctx.embeds_found}
    fields: list[str] = []
    i = 0
    while i < len(results):
        embed = starts.get(i)
        fields.append(embed.py_name if embed else wanted[i])
        i += len(ctx.tables[embed.table].columns) if embed else 1
    unique = iter(sql_field_names(fields))
    py_names: list[str] = []
    i = 0
    while i < len(results):
        embed = starts.get(i)
        name = next(unique)
        if embed is None:
            py_names.append(name)
            i += 1
            continue
        table = ctx.tables[embed.table]
        ctx.embeds_found[ctx.embeds_found.index(embed)] = replace(embed, py_name=name)
        py_names += [c.py_name for c in table.columns]
        i += len(table.columns)
    for r in results if returned else ():
        if r.ty.type is not None and not supported(r.ty.type):
            raise SqlError(
                r.location,
                f"result column {r.name!r} has type {r.ty.type.sql}, which svcforge "
                "does not map to Python",
                f"cast it: {r.name}::text",
            )
    return tuple(
        ir.QueryColumn(r.name, py, known_type(r.ty, r.location), r.ty.nullable)
        for r, py in zip(results, py_names, strict=True)
    )


def _params(
    ctx: Context, rw: Rewritten, explicit: dict[int, str]
) -> tuple[ir.QueryParam, ...]:
    numbers = sorted(ctx.params)
    if numbers != list(range(1, len(numbers) + 1)):
        missing = sorted(set(range(1, max(numbers or [0]) + 1)) - set(numbers))
        raise SqlError(
            None,
            f"cannot tell the type of ${missing[0]} (or it is not used)",
            "parameters are $1, $2, ... without gaps; add a cast where it is used",
        )
    for n in explicit:
        if n not in ctx.params:
            raise SqlError(None, f"-- ${n}: names a parameter the query does not use")
    wanted = [explicit.get(n) or ctx.names.get(n) or f"arg{n}" for n in numbers]
    for n in numbers:
        if not supported(ctx.params[n].type):
            raise SqlError(
                ctx.params[n].location,
                f"${n} has type {ctx.params[n].type.sql}, which svcforge does not "
                "map to Python",
                f"cast it: ${n}::text",
            )
    return tuple(
        ir.QueryParam(
            n,
            py,
            ctx.params[n].type,
            ctx.params[n].nullable or (n in rw.params and rw.params[n].nullable),
        )
        for n, py in zip(numbers, sql_param_names(wanted), strict=True)
    )


_VOID = ir.SqlType("void")


def supported(t: ir.SqlType) -> bool:
    """Whether svcforge maps the type to Python (a base or extra type, an enum
    or composite type of the service, a type passed as text, or ``void``,
    the result of functions run for their effect: ``None``)."""
    known = t.name in ir.SQL_BASE_TYPES or t.name in ir.SQL_EXTRA_TYPES
    return known or bool(t.enum or t.composite) or t.opaque or t == _VOID


def _same_table(cols: tuple[ir.QueryColumn, ...], tables: dict[str, ir.Table]) -> str:
    """The table whose row the result is exactly (names, types, nullability)."""
    for t in tables.values():
        if len(t.columns) == len(cols) and all(
            c.name == q.name and c.type == q.type and c.nullable == q.nullable
            for c, q in zip(t.columns, cols, strict=True)
        ):
            return t.qualname
    return ""

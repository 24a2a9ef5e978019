"""Named queries: ``schemas/queries/*.sql``, each statement preceded by a
sqlc-style annotation ``-- name: recent_trades :many`` (``:one``, ``:many``,
``:exec`` or ``:execrows``).  Comment lines after the annotation are the
docstring; ``-- $2: since`` names a parameter (names come from the columns
parameters are compared with otherwise).

Types are derived statically over the replayed catalog (``sql_infer``), so
generation needs no database server and gives the same bytes everywhere.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from typing import cast

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.frontends.sql_infer import Infer
from generator.frontends.sql_names import field_names
from generator.frontends.sql_source import SqlError, SqlSource, Statement

_NAME = re.compile(r"^\s*name:\s*(\S+)\s*(?::(\S*))?\s*$")
_PARAM = re.compile(r"^\s*\$(\d+)\s*:\s*([A-Za-z_][A-Za-z0-9_]*)\s*(.*)$")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
COMMANDS = ("one", "many", "exec", "execrows")


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
        seen: dict[str, int] = {}
        for stmt in statements:
            try:
                query = _query(source, stmt, by_name, enum_lookup, tables)
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
    if errors:
        raise SchemaError(errors)
    return tuple(out)


def _annotation(
    stmt: Statement,
) -> tuple[str, ir.QueryCommand, int, str, dict[int, str]]:
    for i, (offset, text) in enumerate(stmt.comments):
        m = _NAME.match(text)
        if m is None:
            continue
        name, command = m[1], m[2]
        if not _IDENT.match(name) or keyword.iskeyword(name):
            raise SqlError(
                offset,
                f"query name {name!r} is not a snake_case Python identifier",
                "use lower case letters, digits and underscores: recent_trades",
            )
        if command not in COMMANDS:
            raise SqlError(
                offset,
                f"query {name!r} has no valid command"
                + (f" (found :{command})" if command else ""),
                "end the annotation with :one, :many, :exec or :execrows",
            )
        doc_lines, params = [], {}
        for p_offset, line in stmt.comments[i + 1 :]:
            pm = _PARAM.match(line)
            if pm:
                if keyword.iskeyword(pm[2]):
                    raise SqlError(
                        p_offset, f"parameter name {pm[2]!r} is a Python keyword"
                    )
                params[int(pm[1])] = pm[2]
                if pm[3].strip():
                    doc_lines.append(f"``{pm[2]}``: {pm[3].strip()}")
                continue
            doc_lines.append(line[1:] if line.startswith(" ") else line)
        return (
            name,
            cast(ir.QueryCommand, command),
            offset,
            "\n".join(doc_lines).strip(),
            params,
        )
    raise SqlError(
        stmt.start,
        "statement without a name annotation",
        "put '-- name: <query_name> :one|:many|:exec|:execrows' on the line above it",
    )


def _query(
    source: SqlSource,
    stmt: Statement,
    tables: dict[str, ir.Table],
    enum_lookup: Callable[[str, str | None], str | None],
    all_tables: tuple[ir.Table, ...],
) -> ir.Query:
    name, command, offset, doc, param_names = _annotation(stmt)
    infer = Infer(tables, enum_lookup)
    columns = infer.statement(stmt.node)
    params = _params(infer, param_names, stmt)
    if command in ("one", "many") and not columns:
        raise SqlError(
            offset,
            f"query {name!r} is :{command} but returns no columns",
            "use :exec or :execrows, or add RETURNING",
        )
    names = [n for n, _, _ in columns]
    for n, _, loc in columns:
        if n == "?column?":
            raise SqlError(
                loc, "result column has no name", "name it: <expression> AS <name>"
            )
        if names.count(n) > 1:
            raise SqlError(
                loc,
                f"result column name {n!r} appears more than once",
                "rename one with AS",
            )
    py = field_names(names)
    cols = tuple(
        ir.QueryColumn(n, p, ty.type, ty.nullable)
        for (n, ty, _), p in zip(columns, py, strict=True)
        if ty.type is not None
    )
    return ir.Query(
        name=name,
        command=command,
        sql=source.slice(stmt.start, stmt.end).strip(),
        params=params,
        columns=cols if command in ("one", "many") else (),
        source=source.path,
        span=source.span(offset),
        doc=doc,
        table=_same_table(cols, all_tables),
    )


def _params(
    infer: Infer, explicit: dict[int, str], stmt: Statement
) -> tuple[ir.QueryParam, ...]:
    numbers = sorted(infer.params)
    if numbers != list(range(1, len(numbers) + 1)):
        missing = sorted(set(range(1, max(numbers or [0]) + 1)) - set(numbers))
        raise SqlError(
            stmt.start,
            f"cannot tell the type of ${missing[0]} (or it is not used)",
            "parameters are $1, $2, ... without gaps; add a cast where it is used",
        )
    for n in explicit:
        if n not in infer.params:
            raise SqlError(
                stmt.start, f"-- ${n}: names a parameter the query does not use"
            )
    wanted = [explicit.get(n) or infer.names.get(n) or f"arg{n}" for n in numbers]
    py = field_names(wanted, frozenset({"db", "self"}) | _RESERVED_PARAMS)
    return tuple(
        ir.QueryParam(n, p, infer.params[n].type, infer.params[n].nullable)
        for n, p in zip(numbers, py, strict=True)
    )


_RESERVED_PARAMS = frozenset(
    {
        "date",
        "time",
        "datetime",
        "timedelta",
        "Decimal",
        "UUID",
        "list",
        "int",
        "str",
        "bool",
        "bytes",
        "float",
        "dict",
    }
)


def _same_table(cols: tuple[ir.QueryColumn, ...], tables: tuple[ir.Table, ...]) -> str:
    """The table whose row the result is exactly (names, types, nullability)."""
    for t in tables:
        if len(t.columns) == len(cols) and all(
            c.name == q.name and c.type == q.type and c.nullable == q.nullable
            for c, q in zip(t.columns, cols, strict=True)
        ):
            return t.qualname
    return ""

"""``[tool.svcforge.sql.types]`` applied to the replayed schema: the Python
type of every column (and composite field, and function argument or result)
of a database type, or of one column."""

from __future__ import annotations

from dataclasses import replace

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.frontends.sql.migrations.parse import SqlSchema
from generator.manifest_sql import TypeOverride


def apply_type_overrides(
    schema: SqlSchema, overrides: tuple[TypeOverride, ...]
) -> SqlSchema:
    if not overrides:
        return schema
    errors: list[Diagnostic] = []
    public = {t.name for t in schema.tables if t.schema == "public"}
    by_type: dict[str, str] = {}
    by_column: dict[tuple[str, str, str], TypeOverride] = {}
    for o in overrides:
        parts = o.parts
        if len(parts) == 3 or (len(parts) == 2 and parts[0] in public):
            key = (
                (parts[0], parts[1], parts[2])
                if len(parts) == 3
                else (
                    "public",
                    parts[0],
                    parts[1],
                )
            )
            by_column[key] = o
        else:
            by_type[o.key] = o.python
    tables = tuple(_table(t, by_type, by_column) for t in schema.tables)
    for (s, t, c), o in by_column.items():
        if not any(x.qualname == f"{s}.{t}" and _has(x, c) for x in tables):
            errors.append(
                Diagnostic(
                    o.span, f'[tool.svcforge.sql.types]: no column "{s}.{t}.{c}"'
                )
            )
    used = {_type_keys(c.type) for t in schema.tables for c in t.columns}
    used_keys = {k for keys in used for k in keys}
    for o in overrides:
        if o.key in by_type and o.key not in used_keys:
            errors.append(
                Diagnostic(
                    o.span,
                    f"[tool.svcforge.sql.types]: no column has the type {o.key!r}",
                    "a key is a type some column has, or [schema.]table.column",
                )
            )
    if errors:
        raise SchemaError(errors)
    composites = tuple(
        replace(c, fields=tuple(_column(f, by_type) for f in c.fields))
        for c in schema.composites
    )
    functions = tuple(_function(f, by_type) for f in schema.functions)
    return schema._replace(tables=tables, composites=composites, functions=functions)


def _has(t: ir.Table, column: str) -> bool:
    return any(c.name == column for c in t.columns)


def _type_keys(t: ir.SqlType) -> tuple[str, ...]:
    """The keys that name this type: ``money``; ``mood`` and ``public.mood``."""
    qual = t.enum or t.composite
    if qual:
        schema, _, name = qual.partition(".")
        return (qual, name) if schema == "public" else (qual,)
    if "." in t.name:
        schema, _, name = t.name.partition(".")
        return (t.name, name) if schema == "public" else (t.name,)
    return (t.name, f"public.{t.name}") if t.opaque else (t.name,)


def _retyped(t: ir.SqlType, by_type: dict[str, str]) -> ir.SqlType:
    for key in _type_keys(t):
        if key in by_type:
            return replace(t, python=by_type[key])
    return t


def _column(c: ir.Column, by_type: dict[str, str]) -> ir.Column:
    return replace(c, type=_retyped(c.type, by_type))


def _table(
    t: ir.Table,
    by_type: dict[str, str],
    by_column: dict[tuple[str, str, str], TypeOverride],
) -> ir.Table:
    columns = []
    for c in t.columns:
        o = by_column.get((t.schema, t.name, c.name))
        if o is not None:
            columns.append(replace(c, type=replace(c.type, python=o.python)))
        else:
            columns.append(_column(c, by_type))
    return replace(t, columns=tuple(columns))


def _function(f: ir.SqlFunction, by_type: dict[str, str]) -> ir.SqlFunction:
    def arg(a: ir.SqlArg) -> ir.SqlArg:
        return replace(a, type=_retyped(a.type, by_type))

    return replace(
        f,
        args=tuple(map(arg, f.args)),
        columns=tuple(map(arg, f.columns)),
        returns=_retyped(f.returns, by_type) if f.returns else None,
    )

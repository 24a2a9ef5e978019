"""Migrations front-end: ``schemas/tables/*.sql``, parsed with pglast
(PostgreSQL's own parser) and replayed in file-name order into a catalog,
which becomes IR tables and enum types with their Python names decided."""

from __future__ import annotations

from typing import NamedTuple

from generator import ir
from generator.frontends.sql.catalog import TEMP_SCHEMA, Catalog, CatColumn, CatTable
from generator.frontends.sql.migrations.replay import replay
from generator.frontends.sql.source import SqlSource
from generator.naming import (
    TableNames,
    sql_composite_classes,
    sql_enum_classes,
    sql_field_names,
    sql_lookup,
    sql_member_names,
    sql_table_names,
)


class SqlSchema(NamedTuple):
    """What the migrations define, as IR."""

    enums: tuple[ir.SqlEnum, ...]
    tables: tuple[ir.Table, ...]
    """Tables, views and materialized views (not partitions, temporary tables,
    nor views whose query svcforge cannot type)."""
    migrations: tuple[ir.Migration, ...]
    composites: tuple[ir.SqlComposite, ...]
    functions: tuple[ir.SqlFunction, ...]
    sequences: tuple[str, ...] = ()
    """Qualified names of the sequences queries may read (not temporary)."""


def parse_schema(sources: list[SqlSource]) -> SqlSchema:
    ordered = sorted(sources, key=lambda s: s.path.rpartition("/")[2])
    catalog = replay(ordered)
    migrations = tuple(ir.Migration(s.path, s.text) for s in ordered)
    functions = sorted(
        catalog.functions,
        key=lambda f: (f.qualname, tuple(a.type.sql for a in f.inputs)),
    )
    return SqlSchema(
        _enums(catalog),
        _tables(catalog),
        migrations,
        _composites(catalog),
        tuple(functions),
        tuple(
            sorted(q for q in catalog.sequences if not q.startswith(TEMP_SCHEMA + "."))
        ),
    )


def parse_migrations(
    sources: list[SqlSource],
) -> tuple[tuple[ir.SqlEnum, ...], tuple[ir.Table, ...], tuple[ir.Migration, ...]]:
    """Enum types, tables and migrations (in the order they apply)."""
    schema = parse_schema(sources)
    return schema.enums, schema.tables, schema.migrations


def _composites(catalog: Catalog) -> tuple[ir.SqlComposite, ...]:
    items = sorted(catalog.composites.values(), key=lambda c: c.qualname)
    classes = sql_composite_classes(
        [(c.schema, c.name) for c in items],
        [(e.schema, e.name) for e in catalog.enums.values()],
    )
    return tuple(
        ir.SqlComposite(c.schema, c.name, cls, _columns(c.fields), c.span, c.doc)
        for c, cls in zip(items, classes, strict=True)
    )


def _columns(cols: list[CatColumn]) -> tuple[ir.Column, ...]:
    fields = sql_field_names(c.name for c in cols)
    return tuple(
        ir.Column(
            name=c.name,
            py_name=py,
            type=c.type,
            nullable=c.nullable,
            span=c.span,
            default=c.default,
            identity=c.identity,
            generated=c.generated,
            doc=c.doc,
        )
        for c, py in zip(cols, fields, strict=True)
    )


def _enums(catalog: Catalog) -> tuple[ir.SqlEnum, ...]:
    items = sorted(catalog.enums.values(), key=lambda e: e.qualname)
    classes = sql_enum_classes([(e.schema, e.name) for e in items])
    return tuple(
        ir.SqlEnum(
            schema=e.schema,
            name=e.name,
            py_name=cls,
            labels=tuple(e.labels),
            member_names=tuple(sql_member_names(e.labels)),
            span=e.span,
            doc=e.doc,
        )
        for e, cls in zip(items, classes, strict=True)
    )


def _tables(catalog: Catalog) -> tuple[ir.Table, ...]:
    items = sorted(
        (
            t
            for t in catalog.tables.values()
            if t.typed and not t.partition_of and t.schema != TEMP_SCHEMA
        ),
        key=lambda t: t.qualname,
    )
    names = sql_table_names([(t.schema, t.name) for t in items])
    return tuple(_table(catalog, t, n) for t, n in zip(items, names, strict=True))


def _table(catalog: Catalog, t: CatTable, names: TableNames) -> ir.Table:
    columns = _columns(t.columns)
    field_of = {c.name: c.py_name for c in columns}
    indexes = _indexes(catalog, t)
    return ir.Table(
        schema=t.schema,
        name=t.name,
        module=names.module,
        row_class=names.row_class,
        insert_class=names.insert_class,
        repository_class=names.repository_class,
        columns=columns,
        span=t.span,
        primary_key=t.primary_key,
        unique_keys=tuple(
            ir.Key(k.name, k.columns, sql_lookup(field_of[c] for c in k.columns))
            for k in _unique_keys(t, indexes)
        ),
        foreign_keys=tuple(t.foreign_keys),
        checks=tuple(t.checks),
        indexes=tuple(indexes),
        sources=tuple(sorted(t.sources)),
        doc=t.doc,
        kind=t.kind,
        partitioned=t.partitioned,
    )


def _indexes(catalog: Catalog, t: CatTable) -> list[ir.Index]:
    """The table's own indexes (not those behind its key constraints)."""
    return sorted(
        (
            ix.index
            for ix in catalog.indexes.values()
            if ix.table == t.qualname and not ix.constraint
        ),
        key=lambda i: i.name,
    )


def _unique_keys(t: CatTable, indexes: list[ir.Index]) -> list[ir.Key]:
    """Unique constraints, then unique indexes over plain columns, each set of
    columns once and none that repeats the primary key: what a row can be
    looked up by."""
    uniques: list[ir.Key] = []
    seen = {t.primary_key.columns} if t.primary_key else set()
    candidates = list(t.uniques) + [
        ir.Key(i.name, i.columns)
        for i in indexes
        if i.unique and not i.partial and all(i.columns)
    ]
    for key in candidates:
        if key.columns not in seen:
            seen.add(key.columns)
            uniques.append(key)
    return uniques

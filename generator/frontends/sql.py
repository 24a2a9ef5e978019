"""SQL front-end: ``schemas/tables/*.sql`` are migrations, parsed with pglast
(PostgreSQL's own parser) and replayed in file-name order into a catalog,
which becomes IR tables and enum types.

The first statement PostgreSQL would refuse, or that svcforge cannot follow,
stops the replay with a ``path:line:col`` diagnostic: later statements depend
on it, so what they would report is noise.
"""

from __future__ import annotations

from collections import Counter

from generator import ir
from generator.errors import SchemaError
from generator.frontends.sql_catalog import Catalog, CatEnum, CatTable
from generator.frontends.sql_names import (
    class_stem,
    field_names,
    member_names,
    module_for,
)
from generator.frontends.sql_replay import Replay
from generator.frontends.sql_source import SqlError, SqlSource
from generator.naming import pascal_case


def replay(sources: list[SqlSource]) -> Catalog:
    """The catalog after applying every migration in order."""
    catalog = Catalog()
    for source in sources:
        for stmt in source.statements():
            try:
                Replay(catalog, source, stmt).run()
            except SqlError as exc:
                raise SchemaError([source.diagnostic(exc)]) from None
    return catalog


def parse_migrations(
    sources: list[SqlSource],
) -> tuple[tuple[ir.SqlEnum, ...], tuple[ir.Table, ...], tuple[ir.Migration, ...]]:
    """Enum types, tables and migrations (in the order they apply)."""
    ordered = sorted(sources, key=lambda s: s.path.rpartition("/")[2])
    catalog = replay(ordered)
    enums = _enums(catalog)
    tables = _tables(catalog)
    migrations = tuple(ir.Migration(s.path, s.text) for s in ordered)
    return enums, tables, migrations


def _enums(catalog: Catalog) -> tuple[ir.SqlEnum, ...]:
    items = sorted(catalog.enums.values(), key=lambda e: e.qualname)
    counts = Counter(e.name for e in items)
    out = []
    for e in items:
        out.append(
            ir.SqlEnum(
                schema=e.schema,
                name=e.name,
                py_name=_enum_class(e, counts[e.name] > 1),
                labels=tuple(e.labels),
                member_names=tuple(member_names(e.labels)),
                span=e.span,
                doc=e.doc,
            )
        )
    return tuple(out)


def _enum_class(e: CatEnum, qualify: bool) -> str:
    name = pascal_case(e.name) or "Enum"
    if qualify and e.schema != "public":
        name = pascal_case(e.schema) + name
    return name if name[0].isalpha() else f"E{name}"


def _tables(catalog: Catalog) -> tuple[ir.Table, ...]:
    items = sorted(catalog.tables.values(), key=lambda t: t.qualname)
    names = Counter(t.name for t in items)
    stems = Counter(class_stem(t.name) for t in items)
    return tuple(
        _table(catalog, t, names[t.name] > 1, stems[class_stem(t.name)] > 1)
        for t in items
    )


def _table(catalog: Catalog, t: CatTable, same_name: bool, same_stem: bool) -> ir.Table:
    py_names = field_names([c.name for c in t.columns])
    columns = tuple(
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
        for c, py in zip(t.columns, py_names, strict=True)
    )
    module = module_for(t.name)
    stem = class_stem(t.name)
    if same_name:
        module = module_for(f"{t.schema}_{t.name}")
    if same_stem:
        stem = pascal_case(t.schema) + stem if t.schema != "public" else stem
    indexes = sorted(
        (
            ix.index
            for ix in catalog.indexes.values()
            if ix.table == t.qualname and not ix.constraint
        ),
        key=lambda i: i.name,
    )
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
    return ir.Table(
        schema=t.schema,
        name=t.name,
        py_name=stem,
        module=module,
        columns=columns,
        span=t.span,
        primary_key=t.primary_key,
        unique_keys=tuple(uniques),
        foreign_keys=tuple(t.foreign_keys),
        checks=tuple(t.checks),
        indexes=tuple(indexes),
        sources=tuple(sorted(t.sources)),
        doc=t.doc,
    )

"""Indexes: created (named as PostgreSQL names them when unnamed), renamed
and dropped.  Indexes share their schema's namespace with tables and types."""

from __future__ import annotations

from typing import Any

from generator.frontends.sql.catalog import CatIndex, object_name
from generator.frontends.sql.migrations.step import Step, relation_name
from generator.frontends.sql.source import SqlError
from generator.ir import Index, Key


def create_index(step: Step, node: Any) -> None:
    if node.concurrent:
        raise SqlError(
            step.start,
            "CREATE INDEX CONCURRENTLY cannot run inside a transaction, and "
            "each migration runs in one",
            "create the index without CONCURRENTLY (or outside svcforge)",
        )
    rel = node.relation
    catalog = step.catalog
    table = catalog.table(rel.relname, rel.schemaname, rel.location)
    if not table.typed:
        return  # a view svcforge could not type: nothing to check the index on
    table.sources.add(step.source.path)
    cols: list[str] = []
    for p in node.indexParams or ():
        if p.name:
            table.column(p.name, rel.location)
        cols.append(p.name or "")  # an expression has no column name
    taken = {q.partition(".")[2] for q in catalog.indexes}
    taken |= {q.partition(".")[2] for q in catalog.tables}
    name = node.idxname or object_name(
        table.name, [c or "expr" for c in cols], "idx", taken
    )
    qual = f"{table.schema}.{name}"
    if catalog.relation_taken(qual):
        if node.if_not_exists:
            return
        raise SqlError(rel.location, f'relation "{qual}" already exists')
    index = Index(name, tuple(cols), bool(node.unique), node.whereClause is not None)
    catalog.indexes[qual] = CatIndex(table.schema, table.qualname, index)


def rename_index(step: Step, node: Any) -> None:
    rel = node.relation
    old = relation_name(rel)
    ix = step.catalog.indexes.get(old)
    if ix is None:
        if node.missing_ok:
            return
        raise SqlError(rel.location, f'index "{old}" does not exist')
    new = f"{ix.schema}.{node.newname}"
    if step.catalog.relation_taken(new):
        raise SqlError(rel.location, f'relation "{new}" already exists')
    if ix.constraint:  # renaming the index renames its constraint too
        table = step.catalog.tables[ix.table]
        name, newname = ix.index.name, node.newname or ""
        if table.primary_key and table.primary_key.name == name:
            table.primary_key = Key(newname, table.primary_key.columns)
        table.uniques = [
            Key(newname if k.name == name else k.name, k.columns) for k in table.uniques
        ]
    step.catalog.rename_index(old, new)


def drop_index(step: Step, qual: str, missing_ok: bool) -> None:
    ix = step.catalog.indexes.get(qual)
    if ix is None:
        if missing_ok:
            return
        raise SqlError(step.start, f'index "{qual}" does not exist')
    if ix.constraint:
        raise SqlError(
            step.start,
            f'cannot drop index "{qual}": constraint "{ix.index.name}" on table '
            f'"{ix.table}" requires it',
            "drop the constraint instead (ALTER TABLE ... DROP CONSTRAINT)",
        )
    del step.catalog.indexes[qual]

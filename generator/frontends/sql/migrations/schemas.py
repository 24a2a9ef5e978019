"""Schemas: created, and dropped with (CASCADE) or without what they hold."""

from __future__ import annotations

from typing import Any

from generator.frontends.sql.migrations.enums import drop_type
from generator.frontends.sql.migrations.sequences import (
    drop_schema_sequences,
    rename_schema_sequences,
)
from generator.frontends.sql.migrations.step import Step
from generator.frontends.sql.migrations.tables import drop_table
from generator.frontends.sql.source import SqlError
from generator.ir import SqlType


def create_schema(step: Step, node: Any) -> None:
    """CREATE SCHEMA (named after its owner when it has no name of its own);
    statements inside it run in it."""
    name = node.schemaname or getattr(node.authrole, "rolename", "") or ""
    if name in step.catalog.schemas and not node.if_not_exists:
        raise SqlError(step.start, f'schema "{name}" already exists')
    step.catalog.schemas.add(name)


def rename_schema(step: Step, old: str, new: str) -> None:
    """ALTER SCHEMA ... RENAME TO: what it holds moves along."""
    catalog = step.catalog
    if old not in catalog.schemas:
        raise SqlError(step.start, f'schema "{old}" does not exist')
    catalog.schemas.discard(old)
    catalog.schemas.add(new)
    rename_schema_sequences(step, old, new)
    for t in [t for t in catalog.tables.values() if t.schema == old]:
        catalog.move_table(t, new, t.name)
    for e in [e for e in catalog.enums.values() if e.schema == old]:
        del catalog.enums[e.qualname]
        e.schema = new
        catalog.enums[e.qualname] = e
    for t in catalog.tables.values():
        for c in t.columns:
            if c.type.enum.startswith(old + "."):
                enum = f"{new}.{c.type.enum.partition('.')[2]}"
                c.type = SqlType(c.type.name, (), c.type.dims, enum)
    for ix in catalog.indexes.values():
        if ix.schema == old:
            ix.schema = new
    catalog.indexes = {
        (f"{new}.{q.partition('.')[2]}" if q.startswith(old + ".") else q): ix
        for q, ix in catalog.indexes.items()
    }


def drop_schema(step: Step, name: str, missing_ok: bool, cascade: bool) -> None:
    catalog = step.catalog
    if name not in catalog.schemas:
        if missing_ok:
            return
        raise SqlError(step.start, f'schema "{name}" does not exist')
    used = [t.qualname for t in catalog.tables.values() if t.schema == name]
    used += [e.qualname for e in catalog.enums.values() if e.schema == name]
    used += [q for q in catalog.sequences if q.startswith(name + ".")]
    if used and not cascade:
        raise SqlError(step.start, f'cannot drop schema "{name}": objects depend on it')
    for t in [t for t in catalog.tables.values() if t.schema == name]:
        drop_table(step, t.qualname, True, True, t.kind)
    for e in [e for e in catalog.enums.values() if e.schema == name]:
        drop_type(step, e.qualname, False, True)
    for kind in (catalog.composites, catalog.domains, catalog.other_types):
        for qual in [q for q in kind if q.startswith(name + ".")]:
            del kind[qual]
    catalog.functions = [f for f in catalog.functions if f.schema != name]
    drop_schema_sequences(step, name)
    catalog.schemas.discard(name)

"""Enum types: created, given new labels or relabelled, renamed (columns of
the type follow) and dropped (CASCADE drops the columns of the type)."""

from __future__ import annotations

from typing import Any

from generator.frontends.sql.catalog import CatEnum
from generator.frontends.sql.migrations.step import (
    Step,
    qualified,
    split_name,
    string_names,
)
from generator.frontends.sql.source import SqlError
from generator.ir import SqlType


def create_enum(step: Step, node: Any) -> None:
    schema, name = split_name(string_names(node.typeName))
    qual = step.catalog.qualify(name, schema, step.start)
    if step.catalog.relation_taken(qual):
        raise SqlError(step.start, f'type "{qual}" already exists')
    labels = [v.sval for v in node.vals or ()]
    dup = {x for x in labels if labels.count(x) > 1}
    if dup:
        raise SqlError(step.start, f'enum label "{sorted(dup)[0]}" used more than once')
    step.catalog.enums[qual] = CatEnum(
        qual.split(".")[0], name, labels, step.source.span(step.start)
    )


def alter_enum(step: Step, node: Any) -> None:
    """ALTER TYPE ... ADD VALUE, or RENAME VALUE."""
    qual = qualified(string_names(node.typeName))
    enum = step.catalog.enums.get(qual)
    if enum is None:
        raise SqlError(step.start, f'type "{qual}" does not exist')
    if node.oldVal:
        _rename_label(step, enum, node.oldVal, node.newVal)
    else:
        _add_label(step, enum, node)


def _rename_label(step: Step, enum: CatEnum, old: str, new: str | None) -> None:
    if old not in enum.labels:
        raise SqlError(step.start, f'"{old}" is not an existing enum label')
    if new in enum.labels:
        raise SqlError(step.start, f'enum label "{new}" already exists')
    enum.labels[enum.labels.index(old)] = new or ""


def _add_label(step: Step, enum: CatEnum, node: Any) -> None:
    new = node.newVal or ""
    if new in enum.labels:
        if node.skipIfNewValExists:
            return
        raise SqlError(step.start, f'enum label "{new}" already exists')
    neighbor = node.newValNeighbor
    if not neighbor:
        enum.labels.append(new)
        return
    if neighbor not in enum.labels:
        raise SqlError(step.start, f'"{neighbor}" is not an existing enum label')
    at = enum.labels.index(neighbor) + (1 if node.newValIsAfter else 0)
    enum.labels.insert(at, new)


def rename_type(step: Step, node: Any) -> None:
    schema, name = split_name(string_names(node.object))
    schema = schema or "public"
    old = f"{schema}.{name}"
    enum = step.catalog.enums.get(old)
    if enum is None:
        raise SqlError(step.start, f'type "{old}" does not exist')
    new = f"{schema}.{node.newname}"
    if step.catalog.relation_taken(new):
        raise SqlError(step.start, f'type "{new}" already exists')
    del step.catalog.enums[old]
    enum.name = node.newname or ""
    step.catalog.enums[new] = enum
    for t in step.catalog.tables.values():
        for c in t.columns:
            if c.type.enum == old:
                c.type = SqlType(enum.name, (), c.type.dims, new)


def drop_type(step: Step, qual: str, missing_ok: bool, cascade: bool) -> None:
    if qual not in step.catalog.enums:
        if missing_ok:
            return
        raise SqlError(step.start, f'type "{qual}" does not exist')
    for t in step.catalog.tables.values():
        users = [c for c in t.columns if c.type.enum == qual]
        if users and not cascade:
            raise SqlError(
                step.start,
                f'cannot drop type "{qual}": column "{users[0].name}" of table '
                f'"{t.qualname}" depends on it',
                "use DROP TYPE ... CASCADE (which drops the column)",
            )
        t.columns = [c for c in t.columns if c.type.enum != qual]
    del step.catalog.enums[qual]

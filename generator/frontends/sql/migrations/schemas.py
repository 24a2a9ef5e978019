"""Schemas: created, and dropped with (CASCADE) or without what they hold."""

from __future__ import annotations

from typing import Any

from generator.frontends.sql.migrations.enums import drop_type
from generator.frontends.sql.migrations.step import Step
from generator.frontends.sql.migrations.tables import drop_table
from generator.frontends.sql.source import SqlError


def create_schema(step: Step, node: Any) -> None:
    step.catalog.schemas.add(node.schemaname or "")


def drop_schema(step: Step, name: str, missing_ok: bool, cascade: bool) -> None:
    catalog = step.catalog
    if name not in catalog.schemas:
        if missing_ok:
            return
        raise SqlError(step.start, f'schema "{name}" does not exist')
    used = [t.qualname for t in catalog.tables.values() if t.schema == name]
    used += [e.qualname for e in catalog.enums.values() if e.schema == name]
    if used and not cascade:
        raise SqlError(step.start, f'cannot drop schema "{name}": objects depend on it')
    for t in [t for t in catalog.tables.values() if t.schema == name]:
        drop_table(step, t.qualname, False, True)
    for e in [e for e in catalog.enums.values() if e.schema == name]:
        drop_type(step, e.qualname, False, True)
    catalog.schemas.discard(name)

"""COMMENT ON a table, column or enum type: the docstrings of what is
generated from it.  Comments on other objects are left out."""

from __future__ import annotations

from typing import Any

from pglast.enums import ObjectType

from generator.frontends.sql.migrations.step import (
    Step,
    qualified,
    split_name,
    string_names,
)
from generator.frontends.sql.source import SqlError


def comment(step: Step, node: Any) -> None:
    obj = node.object
    names = string_names(obj if isinstance(obj, tuple) else getattr(obj, "names", ()))
    text = node.comment or ""
    match node.objtype:
        case ObjectType.OBJECT_TABLE:
            schema, name = split_name(names)
            step.catalog.table(name, schema, step.start).doc = text
        case ObjectType.OBJECT_COLUMN:
            *rel, col = names
            schema, name = split_name(rel)
            table = step.catalog.table(name, schema, step.start)
            if not table.typed:
                return
            table.column(col, step.start).doc = text
        case ObjectType.OBJECT_TYPE:
            qual = qualified(names)
            enum = step.catalog.enums.get(qual)
            if enum is None:
                raise SqlError(step.start, f'type "{qual}" does not exist')
            enum.doc = text
        case _:
            return

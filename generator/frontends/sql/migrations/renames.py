"""RENAME, SET SCHEMA and DROP, dispatched by the kind of object they name.
Objects svcforge does not model (triggers, policies, sequences, roles,
operators, ...) are left alone: PostgreSQL checked that they exist."""

from __future__ import annotations

from typing import Any

from pglast.enums import DropBehavior, ObjectType

from generator.frontends.sql.migrations import functions, types
from generator.frontends.sql.migrations.columns import rename_column
from generator.frontends.sql.migrations.constraints import rename_constraint
from generator.frontends.sql.migrations.enums import drop_type, rename_type
from generator.frontends.sql.migrations.indexes import drop_index, rename_index
from generator.frontends.sql.migrations.schemas import drop_schema, rename_schema
from generator.frontends.sql.migrations.sequences import (
    rename_sequence,
    set_sequence_schema,
)
from generator.frontends.sql.migrations.step import (
    Step,
    relation_name,
    split_name,
    string_names,
)
from generator.frontends.sql.migrations.tables import (
    drop_table,
    rename_table,
    set_schema,
)
from generator.frontends.sql.source import SqlError

OT = ObjectType
_RELATIONS = (OT.OBJECT_TABLE, OT.OBJECT_VIEW, OT.OBJECT_MATVIEW)
_KIND = {
    OT.OBJECT_TABLE: "table",
    OT.OBJECT_VIEW: "view",
    OT.OBJECT_MATVIEW: "materialized view",
}
_FUNCTIONS = (OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE, OT.OBJECT_ROUTINE)
_TYPES = (OT.OBJECT_TYPE, OT.OBJECT_DOMAIN)
_SEQUENCE_OR_TABLE = (OT.OBJECT_SEQUENCE, OT.OBJECT_TABLE)


def _missing_relation(step: Step, node: Any) -> bool:
    """``ALTER TABLE IF EXISTS`` (and VIEW, MATERIALIZED VIEW) on a relation
    that does not exist: PostgreSQL only notes it and does nothing."""
    rel = getattr(node, "relation", None)
    return (
        bool(node.missing_ok)
        and rel is not None
        and relation_name(rel) not in step.catalog.tables
        and relation_name(rel) not in step.catalog.sequences
        and (node.renameType if hasattr(node, "renameType") else node.objectType)
        in (*_RELATIONS, OT.OBJECT_COLUMN, OT.OBJECT_TABCONSTRAINT)
    )


def rename(step: Step, node: Any) -> None:
    if _missing_relation(step, node):
        return
    if node.renameType in _SEQUENCE_OR_TABLE and rename_sequence(step, node):
        return  # ALTER TABLE accepts sequences too
    match node.renameType:
        case kind if kind in _RELATIONS:
            rename_table(step, node)
        case OT.OBJECT_COLUMN if node.relationType == OT.OBJECT_TYPE:
            types.rename_attribute(step, node)
        case OT.OBJECT_COLUMN:
            rename_column(step, node)
        case OT.OBJECT_ATTRIBUTE:
            types.rename_attribute(step, node)
        case OT.OBJECT_TABCONSTRAINT:
            rename_constraint(step, node)
        case OT.OBJECT_INDEX:
            rename_index(step, node)
        case kind if kind in _TYPES:
            _rename_type(step, node)
        case OT.OBJECT_SCHEMA:
            rename_schema(step, node.subname or "", node.newname or "")
        case kind if kind in _FUNCTIONS:
            functions.rename_function(step, node)
        case _:
            return


def _rename_type(step: Step, node: Any) -> None:
    schema, name = split_name(string_names(node.object))
    old = f"{schema or 'public'}.{name}"
    if old in step.catalog.enums:
        rename_type(step, node)
    elif not types.move_type(step, old, f"{schema or 'public'}.{node.newname}"):
        raise SqlError(step.start, f'type "{old}" does not exist')


def set_object_schema(step: Step, node: Any) -> None:
    """ALTER ... SET SCHEMA."""
    if _missing_relation(step, node):
        return
    if node.objectType in _SEQUENCE_OR_TABLE and set_sequence_schema(step, node):
        return
    match node.objectType:
        case kind if kind in _RELATIONS:
            set_schema(step, node)
        case kind if kind in _TYPES:
            _move_type(step, node)
        case kind if kind in _FUNCTIONS:
            functions.set_function_schema(step, node)
        case _:
            return


def _move_type(step: Step, node: Any) -> None:
    schema, name = split_name(string_names(node.object))
    old = f"{schema or 'public'}.{name}"
    new = step.catalog.qualify(name, node.newschema, step.start)
    enum = step.catalog.enums.pop(old, None)
    if enum is not None:
        enum.schema = node.newschema or "public"
        step.catalog.enums[new] = enum
        for t in step.catalog.tables.values():
            for c in t.columns:
                if c.type.enum == old:
                    c.type = type(c.type)(name, (), c.type.dims, new)
    elif not types.move_type(step, old, new):
        raise SqlError(step.start, f'type "{old}" does not exist')


def drop(step: Step, node: Any) -> None:
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    for obj in node.objects or ():
        if node.removeType in _FUNCTIONS:
            functions.drop_function(step, obj)
            continue
        names = _names(obj)
        if not names:
            continue
        schema, name = split_name(names[-2:])
        qual = f"{schema or 'public'}.{name}"
        _drop_one(step, node, names, qual, cascade)


def _names(obj: Any) -> list[str]:
    if isinstance(obj, tuple):
        return string_names(obj)
    if hasattr(obj, "names"):  # a TypeName (DROP TYPE, DROP DOMAIN)
        return string_names(obj.names)
    if hasattr(obj, "sval"):  # DROP SCHEMA, DROP EXTENSION: a bare String
        return [obj.sval]
    return []


def _drop_one(
    step: Step, node: Any, names: list[str], qual: str, cascade: bool
) -> None:
    missing_ok = bool(node.missing_ok)
    match node.removeType:
        case kind if kind in _RELATIONS:
            drop_table(step, qual, missing_ok, cascade, _KIND[kind])
        case kind if kind in _TYPES:
            if qual in step.catalog.enums:
                drop_type(step, qual, missing_ok, cascade)
            elif not (
                types.drop_other_type(step, qual, missing_ok, cascade) or missing_ok
            ):
                raise SqlError(step.start, f'type "{qual}" does not exist')
        case OT.OBJECT_INDEX:
            drop_index(step, qual, missing_ok)
        case OT.OBJECT_SCHEMA:
            drop_schema(step, names[-1], missing_ok, cascade)
        case OT.OBJECT_SEQUENCE:
            step.catalog.sequences.discard(qual)
        case _:
            return

"""Tables: created, altered (each ALTER TABLE action goes to the step for the
column or constraint it changes), renamed, moved to another schema, dropped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ObjectType

from generator.frontends.sql.catalog import CatTable
from generator.frontends.sql.migrations import columns, constraints
from generator.frontends.sql.migrations.step import Step, kind_of, relation_name
from generator.frontends.sql.source import SqlError


def create_table(step: Step, node: Any) -> None:
    rel = node.relation
    catalog = step.catalog
    qual = catalog.qualify(rel.relname, rel.schemaname, rel.location)
    if node.inhRelations or node.partbound or node.partspec or node.ofTypename:
        raise SqlError(
            rel.location,
            f'unsupported table "{qual}": inheritance, partitioning and typed '
            "tables are not supported",
        )
    if catalog.relation_taken(qual):
        if node.if_not_exists:
            return
        raise SqlError(rel.location, f'relation "{qual}" already exists')
    table = CatTable(qual.split(".")[0], rel.relname, step.source.span(rel.location))
    table.sources.add(step.source.path)
    catalog.tables[qual] = table
    later: columns.Deferred = []
    for elt in node.tableElts or ():
        match elt:
            case ast.ColumnDef():
                later += columns.add_column(step, table, elt)
            case ast.Constraint():
                later.append((elt, None))
            case _:
                raise SqlError(
                    getattr(elt, "location", None),
                    f'unsupported table element {kind_of(elt)} in "{qual}"',
                )
    for con, column in later:
        constraints.add_constraint(step, table, con, column)


def alter_table(step: Step, node: Any) -> None:
    if node.objtype != ObjectType.OBJECT_TABLE:
        if node.objtype in (ObjectType.OBJECT_INDEX, ObjectType.OBJECT_SEQUENCE):
            return
        raise SqlError(step.start, f"unsupported ALTER {node.objtype.name}")
    rel = node.relation
    if relation_name(rel) not in step.catalog.tables and node.missing_ok:
        return
    table = step.catalog.table(rel.relname, rel.schemaname, rel.location)
    table.sources.add(step.source.path)
    for cmd in node.cmds or ():
        _alter_action(step, table, cmd)


def _alter_action(step: Step, table: CatTable, cmd: Any) -> None:
    at = step.stmt.at(getattr(cmd.def_, "location", None))
    action = _ACTIONS.get(cmd.subtype)
    if action is not None:
        action(step, table, cmd, at)
    elif cmd.subtype not in _IGNORED_ACTIONS:
        raise SqlError(
            at,
            f"unsupported ALTER TABLE action {cmd.subtype.name.removeprefix('AT_')}",
        )


def _add_column(step: Step, table: CatTable, cmd: Any, at: int) -> None:
    if cmd.missing_ok and table.find(cmd.def_.colname or "") is not None:
        return
    for con, of in columns.add_column(step, table, cmd.def_):
        constraints.add_constraint(step, table, con, of)


Action = Callable[[Step, CatTable, Any, int], None]

_ACTIONS: dict[AT, Action] = {
    AT.AT_AddColumn: _add_column,
    AT.AT_DropColumn: columns.drop_column,
    AT.AT_AlterColumnType: columns.alter_type,
    AT.AT_SetNotNull: columns.set_not_null,
    AT.AT_DropNotNull: columns.drop_not_null,
    AT.AT_ColumnDefault: columns.set_default,
    AT.AT_AddIdentity: columns.add_identity,
    AT.AT_DropIdentity: columns.drop_identity,
    AT.AT_DropExpression: columns.drop_expression,
    AT.AT_AddConstraint: constraints.add_table_constraint,
    AT.AT_DropConstraint: constraints.drop_constraint,
}

# ALTER TABLE actions that leave columns, keys and types as they are.
_IGNORED_ACTIONS = frozenset(
    {
        AT.AT_SetStatistics,
        AT.AT_SetOptions,
        AT.AT_ResetOptions,
        AT.AT_SetStorage,
        AT.AT_SetCompression,
        AT.AT_ChangeOwner,
        AT.AT_ClusterOn,
        AT.AT_DropCluster,
        AT.AT_SetLogged,
        AT.AT_SetUnLogged,
        AT.AT_SetTableSpace,
        AT.AT_SetRelOptions,
        AT.AT_ResetRelOptions,
        AT.AT_ReplaceRelOptions,
        AT.AT_EnableTrig,
        AT.AT_EnableAlwaysTrig,
        AT.AT_EnableReplicaTrig,
        AT.AT_DisableTrig,
        AT.AT_EnableTrigAll,
        AT.AT_DisableTrigAll,
        AT.AT_EnableTrigUser,
        AT.AT_DisableTrigUser,
        AT.AT_ReplicaIdentity,
        AT.AT_EnableRowSecurity,
        AT.AT_DisableRowSecurity,
        AT.AT_ForceRowSecurity,
        AT.AT_NoForceRowSecurity,
        AT.AT_ValidateConstraint,
        AT.AT_SetIdentity,
    }
)


def rename_table(step: Step, node: Any) -> None:
    rel = node.relation
    if relation_name(rel) not in step.catalog.tables and node.missing_ok:
        return
    table = step.catalog.table(rel.relname, rel.schemaname, rel.location)
    new = f"{table.schema}.{node.newname}"
    if step.catalog.relation_taken(new):
        raise SqlError(rel.location, f'relation "{new}" already exists')
    step.catalog.move_table(table, table.schema, node.newname or "")
    table.sources.add(step.source.path)


def set_schema(step: Step, node: Any) -> None:
    """ALTER TABLE ... SET SCHEMA."""
    rel = node.relation
    table = step.catalog.table(rel.relname, rel.schemaname, rel.location)
    new = step.catalog.qualify(table.name, node.newschema, rel.location)
    if step.catalog.relation_taken(new):
        raise SqlError(rel.location, f'relation "{new}" already exists')
    step.catalog.move_table(table, node.newschema or "public", table.name)
    table.sources.add(step.source.path)


def drop_table(step: Step, qual: str, missing_ok: bool, cascade: bool) -> None:
    table = step.catalog.tables.get(qual)
    if table is None:
        if missing_ok:
            return
        raise SqlError(step.start, f'table "{qual}" does not exist')
    for other, fk in step.catalog.references_to(table):
        if not cascade:
            raise SqlError(
                step.start,
                f'cannot drop table "{qual}": constraint "{fk.name}" on table '
                f'"{other.qualname}" depends on it',
                "use DROP TABLE ... CASCADE",
            )
        other.foreign_keys.remove(fk)
    step.catalog.drop_indexes_of(table)
    del step.catalog.tables[qual]

"""Tables: created, altered (each ALTER TABLE action goes to the step for the
column or constraint it changes), renamed, moved to another schema, dropped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ObjectType

from generator.frontends.sql.catalog import CatColumn, CatTable
from generator.frontends.sql.migrations import columns, constraints, types
from generator.frontends.sql.migrations.step import (
    Step,
    created_relation,
    kind_of,
    relation_name,
)
from generator.frontends.sql.source import SqlError


def create_table(step: Step, node: Any) -> None:
    rel = created_relation(node.relation)
    catalog = step.catalog
    qual = catalog.qualify(rel.relname, rel.schemaname, rel.location)
    if catalog.relation_taken(qual):
        if node.if_not_exists:
            return
        raise SqlError(rel.location, f'relation "{qual}" already exists')
    table = CatTable(qual.split(".")[0], rel.relname, step.source.span(rel.location))
    table.sources.add(step.source.path)
    table.partitioned = node.partspec is not None
    parents = [_parent(step, r) for r in node.inhRelations or ()]
    if node.partbound is not None and parents:
        table.partition_of = parents[0].qualname
    for parent, parent_rel in zip(parents, node.inhRelations or (), strict=True):
        inherit_columns(table, parent, parent_rel.location)
    if node.ofTypename is not None:
        _of_type(step, table, node.ofTypename)
    catalog.tables[qual] = table
    inherited = {c.name for c in table.columns}
    later: columns.Deferred = []
    for elt in node.tableElts or ():
        match elt:
            case ast.ColumnDef() if elt.colname in inherited:
                inherited.discard(elt.colname)  # declared once more is twice
                later += columns.merge_column(step, table, elt)
            case ast.ColumnDef():
                later += columns.add_column(step, table, elt)
            case ast.Constraint():
                later.append((elt, None))
            case ast.TableLikeClause():
                like_table(step, table, elt)
            case _:
                raise SqlError(
                    getattr(elt, "location", None),
                    f'unsupported table element {kind_of(elt)} in "{qual}"',
                )
    for con, column in later:
        constraints.add_constraint(step, table, con, column)


def _parent(step: Step, rel: Any) -> CatTable:
    return step.catalog.table(rel.relname, rel.schemaname, rel.location)


def inherit_columns(table: CatTable, parent: CatTable, at: int | None) -> None:
    """INHERITS and PARTITION OF: the parent's columns with their types, NOT
    NULL and defaults (a partition also gets its keys through the parent's
    indexes, which svcforge does not need: rows go through the parent); a
    column two parents have is one, of one type."""
    for c in parent.columns:
        mine = table.find(c.name)
        if mine is None:
            table.columns.append(
                CatColumn(c.name, c.type, c.nullable, c.span, c.default, c.identity)
            )
        elif not columns.same_type(mine.type, c.type):
            raise SqlError(
                at,
                f'inherited column "{c.name}" has a type conflict: '
                f"{mine.type.sql} versus {c.type.sql}",
            )
        else:
            mine.nullable = mine.nullable and c.nullable


def like_table(step: Step, table: CatTable, like: Any) -> None:
    """LIKE: the columns with their types and NOT NULL; defaults, identity
    and generation only when INCLUDING asks for them."""
    source = _parent(step, like.relation)
    options = int(like.options or 0)
    for c in source.columns:
        if table.find(c.name) is not None:
            raise SqlError(
                like.relation.location, f'column "{c.name}" specified more than once'
            )
        table.columns.append(
            CatColumn(
                c.name,
                c.type,
                c.nullable,
                c.span,
                c.default if options & _LIKE_DEFAULTS else None,
                c.identity if options & _LIKE_IDENTITY else "",
                c.generated if options & _LIKE_GENERATED else None,
            )
        )


# pglast's TableLikeOption bits (CREATE_TABLE_LIKE_*).
_LIKE_DEFAULTS = 1 << 3
_LIKE_GENERATED = 1 << 4
_LIKE_IDENTITY = 1 << 5


def _of_type(step: Step, table: CatTable, type_name: Any) -> None:
    names = [n.sval for n in type_name.names or ()]
    qual = step.catalog.qualify(names[-1], names[0] if len(names) == 2 else None, None)
    comp = step.catalog.composites.get(qual)
    if comp is None:
        raise SqlError(type_name.location, f'type "{qual}" is not a composite type')
    for f in comp.fields:
        table.columns.append(CatColumn(f.name, f.type, True, table.span))


def alter_table(step: Step, node: Any) -> None:
    """ALTER TABLE, and ALTER VIEW / MATERIALIZED VIEW (whose actions only
    set defaults, owners and options)."""
    if node.objtype == ObjectType.OBJECT_TYPE:
        types.alter_composite(step, node)
        return
    if node.objtype not in (
        ObjectType.OBJECT_TABLE,
        ObjectType.OBJECT_VIEW,
        ObjectType.OBJECT_MATVIEW,
    ):
        return  # indexes, sequences, foreign tables: nothing svcforge types
    rel = node.relation
    if relation_name(rel) not in step.catalog.tables and (
        node.missing_ok or _is_sequence_or_index(step, rel)
    ):
        return
    table = step.catalog.table(rel.relname, rel.schemaname, rel.location)
    if table.kind != "table" or not table.typed:
        return
    table.sources.add(step.source.path)
    for cmd in node.cmds or ():
        _alter_action(step, table, cmd)


def _is_sequence_or_index(step: Step, rel: Any) -> bool:
    """pg_dump writes ``ALTER TABLE seq OWNER TO ...`` for sequences, and
    PostgreSQL accepts ALTER TABLE on indexes and sequences alike."""
    qual = relation_name(rel)
    return qual in step.catalog.sequences or qual in step.catalog.indexes


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
    AT.AT_AttachPartition: lambda step, table, cmd, at: _attach(step, cmd, True),
    AT.AT_DetachPartition: lambda step, table, cmd, at: _attach(step, cmd, False),
    AT.AT_AddIndexConstraint: constraints.add_table_constraint,
}


def _attach(step: Step, cmd: Any, attach: bool) -> None:
    """ATTACH/DETACH PARTITION: a partition is no table of its own in the IR;
    a detached one is again."""
    rel = cmd.def_.name
    part = step.catalog.tables.get(relation_name(rel))
    if part is None:
        raise SqlError(rel.location, f'table "{relation_name(rel)}" does not exist')
    parent = step.stmt.node.relation
    part.partition_of = relation_name(parent) if attach else ""


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
        AT.AT_AlterConstraint,
        AT.AT_AlterColumnGenericOptions,
        AT.AT_GenericOptions,
        AT.AT_DropOids,
        AT.AT_SetAccessMethod,
        AT.AT_EnableRule,
        AT.AT_EnableAlwaysRule,
        AT.AT_EnableReplicaRule,
        AT.AT_DisableRule,
        AT.AT_AddInherit,
        AT.AT_DropInherit,
        AT.AT_AddOf,
        AT.AT_DropOf,
        AT.AT_DetachPartitionFinalize,
        AT.AT_SetExpression,
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


def drop_table(
    step: Step, qual: str, missing_ok: bool, cascade: bool, kind: str = "table"
) -> None:
    table = step.catalog.tables.get(qual)
    if table is None or table.kind != kind:
        if missing_ok:
            return
        raise SqlError(step.start, f'{kind} "{qual}" does not exist')
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

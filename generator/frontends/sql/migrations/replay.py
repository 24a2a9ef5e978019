"""Replaying migrations into the ``Catalog``: each statement goes, by its
pglast node type, to the step for the object it changes.  A step raises
``SqlError`` where PostgreSQL itself would refuse the statement, or where
svcforge cannot follow.

The first such error stops the replay: later statements depend on the one
refused, so what they would report is noise.
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

from generator.errors import SchemaError
from generator.frontends.sql.catalog import Catalog
from generator.frontends.sql.migrations.columns import rename_column
from generator.frontends.sql.migrations.comments import comment
from generator.frontends.sql.migrations.constraints import rename_constraint
from generator.frontends.sql.migrations.enums import (
    alter_enum,
    create_enum,
    drop_type,
    rename_type,
)
from generator.frontends.sql.migrations.indexes import (
    create_index,
    drop_index,
    rename_index,
)
from generator.frontends.sql.migrations.schemas import create_schema, drop_schema
from generator.frontends.sql.migrations.step import (
    Step,
    kind_of,
    split_name,
    string_names,
)
from generator.frontends.sql.migrations.tables import (
    alter_table,
    create_table,
    drop_table,
    rename_table,
    set_schema,
)
from generator.frontends.sql.source import SqlError, SqlSource

# Statements that do not change the shape of tables or types.
_IGNORED = (
    ast.CreateExtensionStmt,
    ast.GrantStmt,
    ast.GrantRoleStmt,
    ast.VariableSetStmt,
    ast.CreateFunctionStmt,
    ast.CreateTrigStmt,
    ast.DoStmt,
    ast.InsertStmt,
    ast.UpdateStmt,
    ast.DeleteStmt,
    ast.CreateSeqStmt,
    ast.AlterSeqStmt,
    ast.AlterOwnerStmt,
    ast.AlterFunctionStmt,
    ast.CreatePolicyStmt,
    ast.SelectStmt,
)


def replay(sources: list[SqlSource]) -> Catalog:
    """The catalog after applying every migration in the order given."""
    catalog = Catalog()
    for source in sources:
        for stmt in source.statements():
            try:
                replay_statement(Step(catalog, source, stmt))
            except SqlError as exc:
                raise SchemaError([source.diagnostic(exc)]) from None
    return catalog


def replay_statement(step: Step) -> None:
    node = step.stmt.node
    match node:
        case ast.CreateStmt():
            create_table(step, node)
        case ast.AlterTableStmt():
            alter_table(step, node)
        case ast.AlterObjectSchemaStmt() if node.objectType == ObjectType.OBJECT_TABLE:
            set_schema(step, node)
        case ast.RenameStmt():
            rename(step, node)
        case ast.DropStmt():
            drop(step, node)
        case ast.IndexStmt():
            create_index(step, node)
        case ast.CreateEnumStmt():
            create_enum(step, node)
        case ast.AlterEnumStmt():
            alter_enum(step, node)
        case ast.CreateSchemaStmt():
            create_schema(step, node)
        case ast.CommentStmt():
            comment(step, node)
        case _:
            _skip_or_refuse(step, node)


def _skip_or_refuse(step: Step, node: Any) -> None:
    if isinstance(node, _IGNORED):
        return
    if isinstance(node, ast.TransactionStmt):
        raise SqlError(
            step.start,
            "transaction control in a migration",
            "each migration file already runs in its own transaction; "
            "remove BEGIN/COMMIT",
        )
    raise SqlError(
        step.start,
        f"unsupported statement in a migration: {kind_of(node)}",
        "migrations may create, alter, rename and drop tables, enum "
        "types and indexes (and run data statements)",
    )


def rename(step: Step, node: Any) -> None:
    match node.renameType:
        case ObjectType.OBJECT_TABLE:
            rename_table(step, node)
        case ObjectType.OBJECT_COLUMN:
            rename_column(step, node)
        case ObjectType.OBJECT_TABCONSTRAINT:
            rename_constraint(step, node)
        case ObjectType.OBJECT_INDEX:
            rename_index(step, node)
        case ObjectType.OBJECT_TYPE:
            rename_type(step, node)
        case kind:
            raise SqlError(
                step.start,
                f"unsupported rename of {kind.name.removeprefix('OBJECT_').lower()}",
            )


def drop(step: Step, node: Any) -> None:
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    for obj in node.objects or ():
        schema, name = split_name(
            string_names(obj if isinstance(obj, tuple) else obj.names)
        )
        qual = f"{schema or 'public'}.{name}"
        match node.removeType:
            case ObjectType.OBJECT_TABLE:
                drop_table(step, qual, node.missing_ok, cascade)
            case ObjectType.OBJECT_TYPE:
                drop_type(step, qual, node.missing_ok, cascade)
            case ObjectType.OBJECT_INDEX:
                drop_index(step, qual, node.missing_ok)
            case ObjectType.OBJECT_SCHEMA:
                drop_schema(step, name, node.missing_ok, cascade)
            case (
                ObjectType.OBJECT_EXTENSION
                | ObjectType.OBJECT_FUNCTION
                | ObjectType.OBJECT_TRIGGER
                | ObjectType.OBJECT_SEQUENCE
            ):
                return
            case kind:
                raise SqlError(
                    step.start, f"unsupported DROP {kind.name.removeprefix('OBJECT_')}"
                )

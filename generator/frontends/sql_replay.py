"""Replaying one migration statement into the ``Catalog``: one method per
statement kind, dispatched with ``match``.  Each raises ``SqlError`` where
PostgreSQL itself would refuse the statement, or where svcforge cannot follow.
The steps live in mixins by concern: ``sql_replay_base`` (columns and keys),
``sql_alter``, ``sql_renames`` and ``sql_objects``."""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import ObjectType

from generator.frontends.sql_alter import AlterTable
from generator.frontends.sql_catalog import CatTable
from generator.frontends.sql_objects import EnumsIndexesComments
from generator.frontends.sql_renames import RenamesAndDrops
from generator.frontends.sql_replay_base import _kind
from generator.frontends.sql_source import SqlError

# pglast types every node attribute as Optional; the parser guarantees the ones
# read here for the statement kinds handled, so nodes are handled as ``Any``.

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


class Replay(AlterTable, RenamesAndDrops, EnumsIndexesComments):
    def run(self) -> None:
        node = self.stmt.node
        match node:
            case ast.CreateStmt():
                self.create_table(node)
            case ast.AlterTableStmt():
                self.alter_table(node)
            case ast.RenameStmt():
                self.rename(node)
            case ast.DropStmt():
                self.drop(node)
            case ast.CreateEnumStmt():
                self.create_enum(node)
            case ast.AlterEnumStmt():
                self.alter_enum(node)
            case ast.IndexStmt():
                self.create_index(node)
            case ast.CommentStmt():
                self.comment(node)
            case ast.CreateSchemaStmt():
                self.catalog.schemas.add(node.schemaname or "")
            case ast.AlterObjectSchemaStmt() if (
                node.objectType == ObjectType.OBJECT_TABLE
            ):
                self.set_schema(node)
            case ast.TransactionStmt():
                raise SqlError(
                    self.stmt.start,
                    "transaction control in a migration",
                    "each migration file already runs in its own transaction; "
                    "remove BEGIN/COMMIT",
                )
            case _ if isinstance(node, _IGNORED):
                return
            case _:
                raise SqlError(
                    self.stmt.start,
                    f"unsupported statement in a migration: {_kind(node)}",
                    "migrations may create, alter, rename and drop tables, enum "
                    "types and indexes (and run data statements)",
                )

    # --- tables --------------------------------------------------------------

    def create_table(self, node: Any) -> None:
        rel = node.relation
        qual = self.catalog.qualify(rel.relname, rel.schemaname, rel.location)
        if node.inhRelations or node.partbound or node.partspec or node.ofTypename:
            raise SqlError(
                rel.location,
                f'unsupported table "{qual}": inheritance, partitioning and typed '
                "tables are not supported",
            )
        if self.catalog.relation_taken(qual):
            if node.if_not_exists:
                return
            raise SqlError(rel.location, f'relation "{qual}" already exists')
        table = CatTable(
            qual.split(".")[0], rel.relname, self.source.span(rel.location)
        )
        table.sources.add(self.source.path)
        self.catalog.tables[qual] = table
        constraints: list[tuple[ast.Constraint, str | None]] = []
        for elt in node.tableElts or ():
            match elt:
                case ast.ColumnDef():
                    constraints += self.add_column(table, elt)
                case ast.Constraint():
                    constraints.append((elt, None))
                case _:
                    raise SqlError(
                        getattr(elt, "location", None),
                        f'unsupported table element {_kind(elt)} in "{qual}"',
                    )
        for con, column in constraints:
            self.add_constraint(table, con, column)

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
from pglast.enums import ObjectType

from generator.errors import SchemaError
from generator.frontends.sql.catalog import Catalog
from generator.frontends.sql.migrations import functions, sequences, types, views
from generator.frontends.sql.migrations.comments import comment
from generator.frontends.sql.migrations.enums import alter_enum, create_enum
from generator.frontends.sql.migrations.indexes import create_index
from generator.frontends.sql.migrations.renames import drop, rename, set_object_schema
from generator.frontends.sql.migrations.schemas import create_schema
from generator.frontends.sql.migrations.step import Step
from generator.frontends.sql.migrations.tables import alter_table, create_table
from generator.frontends.sql.source import SqlError, SqlSource, Statement


def replay(sources: list[SqlSource]) -> Catalog:
    """The catalog after applying every migration in the order given."""
    catalog = Catalog()
    for source in sources:
        for stmt in source.statements():
            try:
                _replay_statement(Step(catalog, source, stmt))
            except SqlError as exc:
                raise SchemaError([source.diagnostic(exc)]) from None
    return catalog


def _replay_statement(step: Step) -> None:
    node = step.stmt.node
    if isinstance(node, ast.CreateSchemaStmt):
        create_schema(step, node)
        # Statements inside CREATE SCHEMA run in the new schema.
        for elt in node.schemaElts or ():
            _in_schema(elt, node.schemaname)
            replay_statement(Step(step.catalog, step.source, _inner(step.stmt, elt)))
        return
    replay_statement(step)


def _inner(stmt: Statement, node: Any) -> Statement:
    return Statement(node, stmt.start, stmt.end, stmt.comments)


def _in_schema(node: Any, schema: str | None) -> None:
    for attr in ("relation", "view"):
        rel = getattr(node, attr, None)
        if rel is not None and not rel.schemaname:
            rel.schemaname = schema


def replay_statement(step: Step) -> None:
    node = step.stmt.node
    match node:
        case ast.CreateStmt():
            create_table(step, node)
        case ast.AlterTableStmt():
            alter_table(step, node)
        case ast.AlterObjectSchemaStmt():
            set_object_schema(step, node)
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
        case ast.CommentStmt():
            comment(step, node)
        case _:
            _create_other(step, node)


def _create_other(step: Step, node: Any) -> None:
    match node:
        case ast.ViewStmt():
            views.create_view(step, node)
        case ast.CreateTableAsStmt():
            views.create_table_as(step, node)
        case ast.SelectStmt() if node.intoClause is not None:
            views.create_table_as(step, node)
        case ast.RefreshMatViewStmt():
            views.refresh(step, node)
        case ast.TransactionStmt():
            raise SqlError(
                step.start,
                "transaction control in a migration",
                "each migration file already runs in its own transaction; "
                "remove BEGIN/COMMIT",
            )
        case _:
            _create_type(step, node)


def _create_type(step: Step, node: Any) -> None:
    match node:
        case ast.CompositeTypeStmt():
            types.create_composite(step, node)
        case ast.CreateDomainStmt():
            types.create_domain(step, node)
        case ast.CreateRangeStmt():
            types.create_range(step, node)
        case ast.DefineStmt() if node.kind == ObjectType.OBJECT_TYPE:
            types.define_type(step, node)
        case ast.CreateFunctionStmt():
            functions.create_function(step, node)
        case ast.DoStmt():
            step.catalog.dynamic = True
        case ast.CreateExtensionStmt():
            step.catalog.extensions.add(node.extname or "")
        case ast.CreateSeqStmt():
            sequences.create_sequence(step, node)
        case _:
            # Grants, owners, triggers, policies, SET, data statements,
            # extensions, operators...: nothing that changes a table's shape.
            return

"""Columns: defined (by CREATE TABLE or ADD COLUMN), changed by ALTER COLUMN
actions, renamed and dropped, with what PostgreSQL drops or renames along."""

from __future__ import annotations

import re
from typing import Any

from pglast import ast
from pglast.enums import ConstrType, DropBehavior

from generator.frontends.sql.catalog import CatColumn, CatTable, object_name
from generator.frontends.sql.migrations.step import Step
from generator.frontends.sql.source import SqlError, deparse
from generator.frontends.sql.type_names import sql_type
from generator.ir import ForeignKey, Index, Key, SqlType

Deferred = list[tuple[ast.Constraint, str | None]]
"""Key, reference and check constraints with the column they were written on
(None for a table constraint): applied once every column of the statement
exists, since they may name columns defined after them."""


def add_column(step: Step, table: CatTable, col: Any) -> Deferred:
    """Adds the column with its own properties (type, nullability, default,
    identity, generation); returns its other constraints for later."""
    name = col.colname or ""
    if table.find(name) is not None:
        raise SqlError(
            col.location, f'column "{name}" of "{table.qualname}" already exists'
        )
    catalog = step.catalog
    typ, serial = sql_type(col.typeName, catalog.enum_lookup, catalog.type_lookup)
    column = CatColumn(name, typ, True, step.source.span(col.location))
    if serial:
        column.nullable = False
        seq = object_name(table.name, [name], "seq", set())
        column.default = f"nextval('{table.schema}.{seq}'::regclass)"
    table.columns.append(column)
    later: Deferred = []
    for con in col.constraints or ():
        if not _column_property(column, con, serial):
            later.append((con, name))
    if column.default is not None and (column.identity or column.generated):
        raise SqlError(
            col.location,
            f'both default and identity/generation specified for column "{name}"',
        )
    return later


def merge_column(step: Step, table: CatTable, col: Any) -> Deferred:
    """A column declared again over an inherited one (INHERITS, PARTITION OF,
    OF type: ``a WITH OPTIONS NOT NULL``): its constraints apply to it, and
    a type it names must be the inherited one."""
    column = table.column(col.colname or "", col.location)
    if col.typeName is not None:
        catalog = step.catalog
        typ, _ = sql_type(col.typeName, catalog.enum_lookup, catalog.type_lookup)
        if not same_type(typ, column.type):
            raise SqlError(
                col.location,
                f'column "{column.name}" has a type conflict: '
                f"{column.type.sql} versus {typ.sql}",
            )
    later: Deferred = []
    for con in col.constraints or ():
        if not _column_property(column, con, False):
            later.append((con, column.name))
    return later


def same_type(a: SqlType, b: SqlType) -> bool:
    """One type for PostgreSQL (the number of array dimensions is no part
    of a type)."""
    return a.element == b.element and bool(a.dims) == bool(b.dims)


def _column_property(column: CatColumn, con: Any, serial: bool) -> bool:
    """Applies a constraint that only concerns the column itself; False for
    the others."""
    match con.contype:
        case ConstrType.CONSTR_NOTNULL:
            column.nullable = False
        case ConstrType.CONSTR_NULL:
            column.nullable = True
        case ConstrType.CONSTR_DEFAULT:
            column.default = deparse(con.raw_expr)
        case ConstrType.CONSTR_IDENTITY:
            set_identity(column, con, serial)
        case ConstrType.CONSTR_GENERATED:
            column.generated = deparse(con.raw_expr)
        case _:
            return False
    return True


def set_identity(column: CatColumn, con: Any, serial: bool) -> None:
    if column.type.name not in ("int2", "int4", "int8") or column.type.dims:
        raise SqlError(
            con.location,
            f'identity column "{column.name}" must be smallint, integer or bigint',
        )
    if serial or column.identity:
        raise SqlError(con.location, f'column "{column.name}" already has a default')
    column.identity = "always" if con.generated_when == "a" else "by default"
    column.nullable = False


# --- ALTER TABLE ... ALTER COLUMN actions: (step, table, command, location) ---


def set_not_null(step: Step, table: CatTable, cmd: Any, at: int) -> None:
    table.column(cmd.name or "", at).nullable = False


def drop_not_null(step: Step, table: CatTable, cmd: Any, at: int) -> None:
    name = cmd.name or ""
    column = table.column(name, at)
    if table.primary_key and name in table.primary_key.columns:
        raise SqlError(at, f'column "{name}" is in a primary key')
    if column.identity:
        raise SqlError(
            at, f'column "{name}" of "{table.qualname}" is an identity column'
        )
    column.nullable = True


def set_default(step: Step, table: CatTable, cmd: Any, at: int) -> None:
    """SET DEFAULT, or DROP DEFAULT when the command has no expression."""
    column = table.column(cmd.name or "", at)
    if cmd.def_ is not None and (column.identity or column.generated):
        raise SqlError(at, f'column "{column.name}" is an identity or generated column')
    column.default = deparse(cmd.def_) if cmd.def_ is not None else None


def add_identity(step: Step, table: CatTable, cmd: Any, at: int) -> None:
    column = table.column(cmd.name or "", at)
    if column.default is not None:
        raise SqlError(at, f'column "{column.name}" already has a default')
    set_identity(column, cmd.def_, False)


def drop_identity(step: Step, table: CatTable, cmd: Any, at: int) -> None:
    column = table.column(cmd.name or "", at)
    if not column.identity and not cmd.missing_ok:
        raise SqlError(at, f'column "{column.name}" is not an identity column')
    column.identity = ""


def drop_expression(step: Step, table: CatTable, cmd: Any, at: int) -> None:
    table.column(cmd.name or "", at).generated = None


def alter_type(step: Step, table: CatTable, cmd: Any, at: int) -> None:
    column = table.column(cmd.name or "", at)
    catalog = step.catalog
    typ, serial = sql_type(cmd.def_.typeName, catalog.enum_lookup, catalog.type_lookup)
    if serial:  # serial is a shorthand of CREATE TABLE, not a type
        raise SqlError(
            cmd.def_.typeName.location,
            f'type "{cmd.def_.typeName.names[-1]}" does not exist',
        )
    column.type = typ


def drop_column(step: Step, table: CatTable, cmd: Any, at: int) -> None:
    name = cmd.name or ""
    if table.find(name) is None:
        if cmd.missing_ok:
            return
        table.column(name, step.start)
    cascade = cmd.behavior == DropBehavior.DROP_CASCADE
    for other, fk in step.catalog.references_to(table):
        if name in fk.ref_columns:
            if not cascade:
                raise SqlError(
                    step.start,
                    f'cannot drop column "{name}" of "{table.qualname}": '
                    f'constraint "{fk.name}" on "{other.qualname}" depends on it',
                    "use DROP COLUMN ... CASCADE",
                )
            other.foreign_keys.remove(fk)
    _drop_dependents(step, table, name)
    table.columns = [c for c in table.columns if c.name != name]


def _drop_dependents(step: Step, table: CatTable, name: str) -> None:
    """Like PostgreSQL: keys, indexes, references and checks that involve the
    column go with it."""
    if table.primary_key and name in table.primary_key.columns:
        step.catalog.drop_key_index(table, table.primary_key.name)
        table.primary_key = None
    for key in [k for k in table.uniques if name in k.columns]:
        table.uniques.remove(key)
        step.catalog.drop_key_index(table, key.name)
    table.foreign_keys = [f for f in table.foreign_keys if name not in f.columns]
    table.checks = [c for c in table.checks if not _mentions(c.expr, name)]
    for qual, ix in list(step.catalog.indexes.items()):
        if ix.table == table.qualname and name in ix.index.columns:
            del step.catalog.indexes[qual]


def _mentions(expr: str, column: str) -> bool:
    """Whether deparsed SQL names the column (bare or quoted)."""
    return (
        re.search(
            rf'(?<![\w"]){re.escape(column)}(?![\w"])|"{re.escape(column)}"', expr
        )
        is not None
    )


def rename_column(step: Step, node: Any) -> None:
    rel = node.relation
    table = step.catalog.table(rel.relname, rel.schemaname, rel.location)
    if not table.typed:
        return
    table.sources.add(step.source.path)
    old, new = node.subname or "", node.newname or ""
    column = table.column(old, step.start)
    if table.find(new) is not None:
        raise SqlError(
            step.start,
            f'column "{new}" of relation "{table.qualname}" already exists',
        )
    column.name = new

    def swap(cols: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if c == old else c for c in cols)

    if table.primary_key:
        table.primary_key = Key(table.primary_key.name, swap(table.primary_key.columns))
    table.uniques = [Key(k.name, swap(k.columns)) for k in table.uniques]
    table.foreign_keys = [
        ForeignKey(f.name, swap(f.columns), f.ref_table, f.ref_columns)
        for f in table.foreign_keys
    ]
    for t in step.catalog.tables.values():
        t.foreign_keys = [
            ForeignKey(f.name, f.columns, f.ref_table, swap(f.ref_columns))
            if f.ref_table == table.qualname
            else f
            for f in t.foreign_keys
        ]
    for ix in step.catalog.indexes.values():
        if ix.table == table.qualname:
            i = ix.index
            ix.index = Index(i.name, swap(i.columns), i.unique, i.partial)

"""What every replay step shares: the statement being replayed, the catalog
it changes, and the table-building steps that CREATE TABLE and ALTER TABLE
both take (columns, identity, keys, references, checks)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pglast import ast
from pglast.enums import ConstrType

from generator.frontends.sql_catalog import (
    Catalog,
    CatColumn,
    CatIndex,
    CatTable,
    object_name,
)
from generator.frontends.sql_source import SqlError, SqlSource, Statement, deparse
from generator.frontends.sql_types import sql_type
from generator.ir import Check, ForeignKey, Index, Key

# pglast types every node attribute as Optional; the parser guarantees the ones
# read here for the statement kinds handled, so nodes are handled as ``Any``.


@dataclass
class ReplayBase:
    catalog: Catalog
    source: SqlSource
    stmt: Statement

    def add_column(
        self, table: CatTable, col: Any
    ) -> list[tuple[ast.Constraint, str | None]]:
        """Adds the column; returns its key/reference/check constraints, which
        are applied once every column of the statement exists."""
        name = col.colname or ""
        if table.find(name) is not None:
            raise SqlError(
                col.location, f'column "{name}" of "{table.qualname}" already exists'
            )
        typ, serial = sql_type(col.typeName, self.catalog.enum_lookup)
        column = CatColumn(name, typ, True, self.source.span(col.location))
        if serial:
            column.nullable = False
            seq = object_name(table.name, [name], "seq", set())
            column.default = f"nextval('{table.schema}.{seq}'::regclass)"
        table.columns.append(column)
        later: list[tuple[ast.Constraint, str | None]] = []
        for con in col.constraints or ():
            match con.contype:
                case ConstrType.CONSTR_NOTNULL:
                    column.nullable = False
                case ConstrType.CONSTR_NULL:
                    column.nullable = True
                case ConstrType.CONSTR_DEFAULT:
                    column.default = deparse(con.raw_expr)
                case ConstrType.CONSTR_IDENTITY:
                    self.set_identity(column, con, serial)
                case ConstrType.CONSTR_GENERATED:
                    column.generated = deparse(con.raw_expr)
                case _:
                    later.append((con, name))
        if column.default is not None and (column.identity or column.generated):
            raise SqlError(
                col.location,
                f'both default and identity/generation specified for column "{name}"',
            )
        return later

    def set_identity(self, column: CatColumn, con: Any, serial: bool) -> None:
        if column.type.name not in ("int2", "int4", "int8") or column.type.dims:
            raise SqlError(
                con.location,
                f'identity column "{column.name}" must be smallint, integer or bigint',
            )
        if serial or column.identity:
            raise SqlError(
                con.location, f'column "{column.name}" already has a default'
            )
        column.identity = "always" if con.generated_when == "a" else "by default"
        column.nullable = False

    def add_constraint(self, table: CatTable, con: Any, column: str | None) -> None:
        match con.contype:
            case ConstrType.CONSTR_PRIMARY | ConstrType.CONSTR_UNIQUE:
                self.add_key(table, con, column)
            case ConstrType.CONSTR_FOREIGN:
                self.add_foreign_key(table, con, column)
            case ConstrType.CONSTR_CHECK:
                taken = table.constraint_names()
                name = con.conname or object_name(
                    table.name, [column] if column else [], "check", taken
                )
                table.checks.append(Check(name, deparse(con.raw_expr)))
            case (
                ConstrType.CONSTR_ATTR_DEFERRABLE
                | ConstrType.CONSTR_ATTR_NOT_DEFERRABLE
                | ConstrType.CONSTR_ATTR_DEFERRED
                | ConstrType.CONSTR_ATTR_IMMEDIATE
            ):
                return
            case ConstrType.CONSTR_NOTNULL if column:
                table.column(column, con.location).nullable = False
            case _:
                raise SqlError(
                    con.location,
                    f"unsupported constraint {con.contype.name.removeprefix('CONSTR_')}"
                    f' on "{table.qualname}"',
                )

    def _key_columns(self, table: CatTable, con: Any, column: str | None) -> list[str]:
        names = [k.sval for k in con.keys or ()] if column is None else [column]
        for n in names:
            table.column(n, con.location)
        if con.including:
            raise SqlError(con.location, "INCLUDE columns in keys are not supported")
        return names

    def add_key(self, table: CatTable, con: Any, column: str | None) -> None:
        cols = self._key_columns(table, con, column)
        primary = con.contype == ConstrType.CONSTR_PRIMARY
        if primary and table.primary_key is not None:
            raise SqlError(
                con.location,
                f'multiple primary keys for table "{table.qualname}" are not allowed',
            )
        taken = table.constraint_names() | {
            n.rpartition(".")[2] for n in self.catalog.indexes
        }
        name = con.conname or (
            object_name(table.name, [], "pkey", taken)
            if primary
            else object_name(table.name, cols, "key", taken)
        )
        index_qual = f"{table.schema}.{name}"
        if self.catalog.relation_taken(index_qual):
            raise SqlError(con.location, f'relation "{index_qual}" already exists')
        key = Key(name, tuple(cols))
        if primary:
            table.primary_key = key
            for c in cols:
                table.column(c, con.location).nullable = False
        else:
            table.uniques.append(key)
        self.catalog.indexes[index_qual] = CatIndex(
            table.schema, table.qualname, Index(name, tuple(cols), True), True
        )

    def add_foreign_key(self, table: CatTable, con: Any, column: str | None) -> None:
        cols = [column] if column else [a.sval for a in con.fk_attrs or ()]
        for c in cols:
            table.column(c, con.location)
        pk = con.pktable
        ref = self.catalog.table(pk.relname, pk.schemaname, pk.location)
        ref_cols = [a.sval for a in con.pk_attrs or ()]
        if not ref_cols:
            if ref.primary_key is None:
                raise SqlError(
                    pk.location,
                    f'there is no primary key for referenced table "{ref.qualname}"',
                )
            ref_cols = list(ref.primary_key.columns)
        for c in ref_cols:
            ref.column(c, pk.location)
        if len(ref_cols) != len(cols):
            raise SqlError(
                con.location,
                "number of referencing and referenced columns for foreign key disagree",
            )
        keys = [k.columns for k in ref.uniques]
        if ref.primary_key:
            keys.append(ref.primary_key.columns)
        if not any(sorted(k) == sorted(ref_cols) for k in keys):
            raise SqlError(
                pk.location,
                f"there is no unique constraint matching given keys for referenced "
                f'table "{ref.qualname}"',
            )
        name = con.conname or object_name(
            table.name, cols, "fkey", table.constraint_names()
        )
        table.foreign_keys.append(
            ForeignKey(name, tuple(cols), ref.qualname, tuple(ref_cols))
        )

    def _drop_index(self, table: CatTable, name: str) -> None:
        self.catalog.indexes.pop(f"{table.schema}.{name}", None)

    def _move(self, table: CatTable, schema: str, name: str) -> None:
        old = table.qualname
        del self.catalog.tables[old]
        table.schema, table.name = schema, name
        self.catalog.tables[table.qualname] = table
        table.sources.add(self.source.path)
        for ix in self.catalog.indexes.values():
            if ix.table == old:
                ix.table = table.qualname
        for t in self.catalog.tables.values():
            t.foreign_keys = [
                ForeignKey(f.name, f.columns, table.qualname, f.ref_columns)
                if f.ref_table == old
                else f
                for f in t.foreign_keys
            ]


def _kind(node: object) -> str:
    return type(node).__name__.removesuffix("Stmt")


def _mentions(expr: str, column: str) -> bool:
    return (
        re.search(
            rf'(?<![\w"]){re.escape(column)}(?![\w"])|"{re.escape(column)}"', expr
        )
        is not None
    )

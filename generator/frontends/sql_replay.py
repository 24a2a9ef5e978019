"""Replaying one migration statement into the ``Catalog``: one function per
statement kind, dispatched with ``match``.  Each raises ``SqlError`` where
PostgreSQL itself would refuse the statement, or where svcforge cannot follow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType, DropBehavior, ObjectType

from generator.frontends.sql_catalog import (
    Catalog,
    CatColumn,
    CatEnum,
    CatIndex,
    CatTable,
    object_name,
)
from generator.frontends.sql_source import SqlError, SqlSource, Statement, deparse
from generator.frontends.sql_types import sql_type
from generator.ir import Check, ForeignKey, Index, Key

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
# ALTER TABLE actions that leave columns, keys and types as they are.
_IGNORED_AT = frozenset(
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


@dataclass
class Replay:
    catalog: Catalog
    source: SqlSource
    stmt: Statement

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

    def alter_table(self, node: Any) -> None:
        if node.objtype != ObjectType.OBJECT_TABLE:
            if node.objtype in (ObjectType.OBJECT_INDEX, ObjectType.OBJECT_SEQUENCE):
                return
            raise SqlError(self.stmt.start, f"unsupported ALTER {node.objtype.name}")
        rel = node.relation
        qual = f"{rel.schemaname or 'public'}.{rel.relname}"
        if qual not in self.catalog.tables and node.missing_ok:
            return
        table = self.catalog.table(rel.relname, rel.schemaname, rel.location)
        table.sources.add(self.source.path)
        for cmd in node.cmds or ():
            self.alter_cmd(table, cmd)

    def alter_cmd(self, table: CatTable, cmd: Any) -> None:
        at = self.stmt.at(getattr(cmd.def_, "location", None))
        match cmd.subtype:
            case AT.AT_AddColumn:
                if cmd.missing_ok and table.find(cmd.def_.colname or "") is not None:
                    return
                for con, of in self.add_column(table, cmd.def_):
                    self.add_constraint(table, con, of)
            case AT.AT_DropColumn:
                self.drop_column(table, cmd)
            case AT.AT_AlterColumnType:
                self.alter_type(table, cmd)
            case AT.AT_SetNotNull:
                table.column(cmd.name or "", at).nullable = False
            case AT.AT_DropNotNull:
                self.drop_not_null(table, cmd.name or "", at)
            case AT.AT_ColumnDefault:
                column = table.column(cmd.name or "", at)
                if cmd.def_ is not None and (column.identity or column.generated):
                    raise SqlError(
                        at, f'column "{column.name}" is an identity or generated column'
                    )
                column.default = deparse(cmd.def_) if cmd.def_ is not None else None
            case AT.AT_AddConstraint:
                self.add_constraint(table, cmd.def_, None)
            case AT.AT_DropConstraint:
                self.drop_constraint(table, cmd.name or "", bool(cmd.missing_ok), at)
            case AT.AT_AddIdentity:
                column = table.column(cmd.name or "", at)
                if column.default is not None:
                    raise SqlError(at, f'column "{column.name}" already has a default')
                self.set_identity(column, cmd.def_, False)
            case AT.AT_DropIdentity:
                column = table.column(cmd.name or "", at)
                if not column.identity and not cmd.missing_ok:
                    raise SqlError(
                        at, f'column "{column.name}" is not an identity column'
                    )
                column.identity = ""
            case AT.AT_DropExpression:
                table.column(cmd.name or "", at).generated = None
            case subtype if subtype in _IGNORED_AT:
                return
            case subtype:
                raise SqlError(
                    at,
                    f"unsupported ALTER TABLE action {subtype.name.removeprefix('AT_')}",
                )

    def drop_not_null(self, table: CatTable, name: str, at: int) -> None:
        column = table.column(name, at)
        if table.primary_key and name in table.primary_key.columns:
            raise SqlError(at, f'column "{name}" is in a primary key')
        if column.identity:
            raise SqlError(
                at, f'column "{name}" of "{table.qualname}" is an identity column'
            )
        column.nullable = True

    def drop_column(self, table: CatTable, cmd: Any) -> None:
        name = cmd.name or ""
        at = self.stmt.start
        if table.find(name) is None:
            if cmd.missing_ok:
                return
            table.column(name, at)
        cascade = cmd.behavior == DropBehavior.DROP_CASCADE
        for other, fk in self.catalog.references_to(table):
            if name in fk.ref_columns:
                if not cascade:
                    raise SqlError(
                        at,
                        f'cannot drop column "{name}" of "{table.qualname}": '
                        f'constraint "{fk.name}" on "{other.qualname}" depends on it',
                        "use DROP COLUMN ... CASCADE",
                    )
                other.foreign_keys.remove(fk)
        # Like PostgreSQL: keys, indexes, references and checks that involve
        # the column go with it.
        if table.primary_key and name in table.primary_key.columns:
            self._drop_index(table, table.primary_key.name)
            table.primary_key = None
        for key in [k for k in table.uniques if name in k.columns]:
            table.uniques.remove(key)
            self._drop_index(table, key.name)
        table.foreign_keys = [f for f in table.foreign_keys if name not in f.columns]
        table.checks = [c for c in table.checks if not _mentions(c.expr, name)]
        for qual, ix in list(self.catalog.indexes.items()):
            if ix.table == table.qualname and name in ix.index.columns:
                del self.catalog.indexes[qual]
        table.columns = [c for c in table.columns if c.name != name]

    def _drop_index(self, table: CatTable, name: str) -> None:
        self.catalog.indexes.pop(f"{table.schema}.{name}", None)

    def alter_type(self, table: CatTable, cmd: Any) -> None:
        column = table.column(cmd.name or "", self.stmt.at(cmd.def_.location))
        typ, serial = sql_type(cmd.def_.typeName, self.catalog.enum_lookup)
        if serial:
            raise SqlError(
                cmd.def_.typeName.location,
                f'type "{cmd.def_.typeName.names[-1]}" does not exist',
            )
        column.type = typ

    def drop_constraint(
        self, table: CatTable, name: str, missing_ok: bool, at: int
    ) -> None:
        if table.primary_key and table.primary_key.name == name:
            for other, fk in self.catalog.references_to(table):
                if sorted(fk.ref_columns) == sorted(table.primary_key.columns):
                    raise SqlError(
                        at,
                        f'cannot drop constraint "{name}": constraint "{fk.name}" on '
                        f'"{other.qualname}" depends on it',
                    )
            table.primary_key = None
            self._drop_index(table, name)
            return
        for key in table.uniques:
            if key.name == name:
                table.uniques.remove(key)
                self._drop_index(table, name)
                return
        for fk in table.foreign_keys:
            if fk.name == name:
                table.foreign_keys.remove(fk)
                return
        for check in table.checks:
            if check.name == name:
                table.checks.remove(check)
                return
        if not missing_ok:
            raise SqlError(
                at,
                f'constraint "{name}" of relation "{table.qualname}" does not exist',
                "constraints: " + ", ".join(sorted(table.constraint_names())),
            )

    def set_schema(self, node: Any) -> None:
        rel = node.relation
        table = self.catalog.table(rel.relname, rel.schemaname, rel.location)
        new = self.catalog.qualify(table.name, node.newschema, rel.location)
        if self.catalog.relation_taken(new):
            raise SqlError(rel.location, f'relation "{new}" already exists')
        self._move(table, node.newschema or "public", table.name)

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

    # --- renames and drops ------------------------------------------------------

    def rename(self, node: Any) -> None:
        match node.renameType:
            case ObjectType.OBJECT_TABLE:
                rel = node.relation
                if (
                    f"{rel.schemaname or 'public'}.{rel.relname}"
                    not in self.catalog.tables
                    and node.missing_ok
                ):
                    return
                table = self.catalog.table(rel.relname, rel.schemaname, rel.location)
                new = f"{table.schema}.{node.newname}"
                if self.catalog.relation_taken(new):
                    raise SqlError(rel.location, f'relation "{new}" already exists')
                self._move(table, table.schema, node.newname or "")
            case ObjectType.OBJECT_COLUMN:
                self.rename_column(node)
            case ObjectType.OBJECT_TABCONSTRAINT:
                self.rename_constraint(node)
            case ObjectType.OBJECT_INDEX:
                self.rename_index(node)
            case ObjectType.OBJECT_TYPE:
                self.rename_type(node)
            case kind:
                raise SqlError(
                    self.stmt.start,
                    f"unsupported rename of {kind.name.removeprefix('OBJECT_').lower()}",
                )

    def rename_column(self, node: Any) -> None:
        rel = node.relation
        table = self.catalog.table(rel.relname, rel.schemaname, rel.location)
        table.sources.add(self.source.path)
        old, new = node.subname or "", node.newname or ""
        column = table.column(old, self.stmt.start)
        if table.find(new) is not None:
            raise SqlError(
                self.stmt.start,
                f'column "{new}" of relation "{table.qualname}" already exists',
            )
        column.name = new

        def swap(cols: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(new if c == old else c for c in cols)

        if table.primary_key:
            table.primary_key = Key(
                table.primary_key.name, swap(table.primary_key.columns)
            )
        table.uniques = [Key(k.name, swap(k.columns)) for k in table.uniques]
        table.foreign_keys = [
            ForeignKey(f.name, swap(f.columns), f.ref_table, f.ref_columns)
            for f in table.foreign_keys
        ]
        for t in self.catalog.tables.values():
            t.foreign_keys = [
                ForeignKey(f.name, f.columns, f.ref_table, swap(f.ref_columns))
                if f.ref_table == table.qualname
                else f
                for f in t.foreign_keys
            ]
        for ix in self.catalog.indexes.values():
            if ix.table == table.qualname:
                i = ix.index
                ix.index = Index(i.name, swap(i.columns), i.unique, i.partial)

    def rename_constraint(self, node: Any) -> None:
        rel = node.relation
        table = self.catalog.table(rel.relname, rel.schemaname, rel.location)
        old, new = node.subname or "", node.newname or ""
        if old not in table.constraint_names():
            raise SqlError(
                self.stmt.start,
                f'constraint "{old}" for table "{table.qualname}" does not exist',
            )
        if table.primary_key and table.primary_key.name == old:
            table.primary_key = Key(new, table.primary_key.columns)
        table.uniques = [
            Key(new if k.name == old else k.name, k.columns) for k in table.uniques
        ]
        table.foreign_keys = [
            ForeignKey(new, f.columns, f.ref_table, f.ref_columns)
            if f.name == old
            else f
            for f in table.foreign_keys
        ]
        table.checks = [
            Check(new if c.name == old else c.name, c.expr) for c in table.checks
        ]
        self._rename_index_entry(f"{table.schema}.{old}", f"{table.schema}.{new}")

    def rename_index(self, node: Any) -> None:
        rel = node.relation
        old = f"{rel.schemaname or 'public'}.{rel.relname}"
        ix = self.catalog.indexes.get(old)
        if ix is None:
            if node.missing_ok:
                return
            raise SqlError(rel.location, f'index "{old}" does not exist')
        new = f"{ix.schema}.{node.newname}"
        if self.catalog.relation_taken(new):
            raise SqlError(rel.location, f'relation "{new}" already exists')
        if ix.constraint:  # renaming the index renames its constraint too
            table = self.catalog.tables[ix.table]
            name, newname = ix.index.name, node.newname or ""
            if table.primary_key and table.primary_key.name == name:
                table.primary_key = Key(newname, table.primary_key.columns)
            table.uniques = [
                Key(newname if k.name == name else k.name, k.columns)
                for k in table.uniques
            ]
        self._rename_index_entry(old, new)

    def _rename_index_entry(self, old: str, new: str) -> None:
        ix = self.catalog.indexes.pop(old, None)
        if ix is not None:
            i = ix.index
            ix.index = Index(new.partition(".")[2], i.columns, i.unique, i.partial)
            self.catalog.indexes[new] = ix

    def rename_type(self, node: Any) -> None:
        names = [n.sval for n in node.object]
        schema, name = (
            (names[0], names[1]) if len(names) == 2 else ("public", names[-1])
        )
        old = f"{schema}.{name}"
        enum = self.catalog.enums.get(old)
        if enum is None:
            raise SqlError(self.stmt.start, f'type "{old}" does not exist')
        new = f"{schema}.{node.newname}"
        if self.catalog.relation_taken(new):
            raise SqlError(self.stmt.start, f'type "{new}" already exists')
        del self.catalog.enums[old]
        enum.name = node.newname or ""
        self.catalog.enums[new] = enum
        for t in self.catalog.tables.values():
            for c in t.columns:
                if c.type.enum == old:
                    c.type = type(c.type)(enum.name, (), c.type.dims, new)

    def drop(self, node: Any) -> None:
        cascade = node.behavior == DropBehavior.DROP_CASCADE
        for obj in node.objects or ():
            names = [n.sval for n in (obj if isinstance(obj, tuple) else obj.names)]
            schema, name = (
                (names[0], names[1]) if len(names) == 2 else (None, names[-1])
            )
            qual = f"{schema or 'public'}.{name}"
            match node.removeType:
                case ObjectType.OBJECT_TABLE:
                    self.drop_table(qual, node.missing_ok, cascade)
                case ObjectType.OBJECT_TYPE:
                    self.drop_type(qual, node.missing_ok, cascade)
                case ObjectType.OBJECT_INDEX:
                    self.drop_index(qual, node.missing_ok)
                case ObjectType.OBJECT_SCHEMA:
                    self.drop_schema(name, node.missing_ok, cascade)
                case (
                    ObjectType.OBJECT_EXTENSION
                    | ObjectType.OBJECT_FUNCTION
                    | ObjectType.OBJECT_TRIGGER
                    | ObjectType.OBJECT_SEQUENCE
                ):
                    return
                case kind:
                    raise SqlError(
                        self.stmt.start,
                        f"unsupported DROP {kind.name.removeprefix('OBJECT_')}",
                    )

    def drop_table(self, qual: str, missing_ok: bool, cascade: bool) -> None:
        table = self.catalog.tables.get(qual)
        if table is None:
            if missing_ok:
                return
            raise SqlError(self.stmt.start, f'table "{qual}" does not exist')
        for other, fk in self.catalog.references_to(table):
            if not cascade:
                raise SqlError(
                    self.stmt.start,
                    f'cannot drop table "{qual}": constraint "{fk.name}" on table '
                    f'"{other.qualname}" depends on it',
                    "use DROP TABLE ... CASCADE",
                )
            other.foreign_keys.remove(fk)
        self.catalog.drop_indexes_of(table)
        del self.catalog.tables[qual]

    def drop_type(self, qual: str, missing_ok: bool, cascade: bool) -> None:
        if qual not in self.catalog.enums:
            if missing_ok:
                return
            raise SqlError(self.stmt.start, f'type "{qual}" does not exist')
        for t in self.catalog.tables.values():
            users = [c for c in t.columns if c.type.enum == qual]
            if users and not cascade:
                raise SqlError(
                    self.stmt.start,
                    f'cannot drop type "{qual}": column "{users[0].name}" of table '
                    f'"{t.qualname}" depends on it',
                    "use DROP TYPE ... CASCADE (which drops the column)",
                )
            t.columns = [c for c in t.columns if c.type.enum != qual]
        del self.catalog.enums[qual]

    def drop_index(self, qual: str, missing_ok: bool) -> None:
        ix = self.catalog.indexes.get(qual)
        if ix is None:
            if missing_ok:
                return
            raise SqlError(self.stmt.start, f'index "{qual}" does not exist')
        if ix.constraint:
            raise SqlError(
                self.stmt.start,
                f'cannot drop index "{qual}": constraint "{ix.index.name}" on table '
                f'"{ix.table}" requires it',
                "drop the constraint instead (ALTER TABLE ... DROP CONSTRAINT)",
            )
        del self.catalog.indexes[qual]

    def drop_schema(self, name: str, missing_ok: bool, cascade: bool) -> None:
        if name not in self.catalog.schemas:
            if missing_ok:
                return
            raise SqlError(self.stmt.start, f'schema "{name}" does not exist')
        used = [t.qualname for t in self.catalog.tables.values() if t.schema == name]
        used += [e.qualname for e in self.catalog.enums.values() if e.schema == name]
        if used and not cascade:
            raise SqlError(
                self.stmt.start, f'cannot drop schema "{name}": objects depend on it'
            )
        for t in [t for t in self.catalog.tables.values() if t.schema == name]:
            self.drop_table(t.qualname, False, True)
        for e in [e for e in self.catalog.enums.values() if e.schema == name]:
            self.drop_type(e.qualname, False, True)
        self.catalog.schemas.discard(name)

    # --- enums, indexes, comments -------------------------------------------------

    def create_enum(self, node: Any) -> None:
        names = [n.sval for n in node.typeName or ()]
        schema, name = (names[0], names[1]) if len(names) == 2 else (None, names[-1])
        qual = self.catalog.qualify(name, schema, self.stmt.start)
        if self.catalog.relation_taken(qual):
            raise SqlError(self.stmt.start, f'type "{qual}" already exists')
        labels = [v.sval for v in node.vals or ()]
        dup = {x for x in labels if labels.count(x) > 1}
        if dup:
            raise SqlError(
                self.stmt.start, f'enum label "{sorted(dup)[0]}" used more than once'
            )
        self.catalog.enums[qual] = CatEnum(
            qual.split(".")[0], name, labels, self.source.span(self.stmt.start)
        )

    def alter_enum(self, node: Any) -> None:
        names = [n.sval for n in node.typeName or ()]
        qual = ".".join(names) if len(names) == 2 else f"public.{names[-1]}"
        enum = self.catalog.enums.get(qual)
        if enum is None:
            raise SqlError(self.stmt.start, f'type "{qual}" does not exist')
        if node.oldVal:  # RENAME VALUE
            if node.oldVal not in enum.labels:
                raise SqlError(
                    self.stmt.start, f'"{node.oldVal}" is not an existing enum label'
                )
            if node.newVal in enum.labels:
                raise SqlError(
                    self.stmt.start, f'enum label "{node.newVal}" already exists'
                )
            enum.labels[enum.labels.index(node.oldVal)] = node.newVal or ""
            return
        new = node.newVal or ""
        if new in enum.labels:
            if node.skipIfNewValExists:
                return
            raise SqlError(self.stmt.start, f'enum label "{new}" already exists')
        if node.newValNeighbor:
            if node.newValNeighbor not in enum.labels:
                raise SqlError(
                    self.stmt.start,
                    f'"{node.newValNeighbor}" is not an existing enum label',
                )
            at = enum.labels.index(node.newValNeighbor) + (
                1 if node.newValIsAfter else 0
            )
            enum.labels.insert(at, new)
        else:
            enum.labels.append(new)

    def create_index(self, node: Any) -> None:
        if node.concurrent:
            raise SqlError(
                self.stmt.start,
                "CREATE INDEX CONCURRENTLY cannot run inside a transaction, and "
                "each migration runs in one",
                "create the index without CONCURRENTLY (or outside svcforge)",
            )
        rel = node.relation
        table = self.catalog.table(rel.relname, rel.schemaname, rel.location)
        table.sources.add(self.source.path)
        cols: list[str] = []
        for p in node.indexParams or ():
            if p.name:
                table.column(p.name, rel.location)
            cols.append(p.name or "")
        taken = {q.partition(".")[2] for q in self.catalog.indexes}
        taken |= {q.partition(".")[2] for q in self.catalog.tables}
        name = node.idxname or object_name(
            table.name, [c or "expr" for c in cols], "idx", taken
        )
        qual = f"{table.schema}.{name}"
        if self.catalog.relation_taken(qual):
            if node.if_not_exists:
                return
            raise SqlError(rel.location, f'relation "{qual}" already exists')
        index = Index(
            name, tuple(cols), bool(node.unique), node.whereClause is not None
        )
        self.catalog.indexes[qual] = CatIndex(table.schema, table.qualname, index)

    def comment(self, node: Any) -> None:
        obj = node.object
        names = [
            n.sval
            for n in (
                obj if isinstance(obj, tuple) else getattr(obj, "names", ()) or ()
            )
        ]
        text = node.comment or ""
        match node.objtype:
            case ObjectType.OBJECT_TABLE:
                schema, name = (
                    (names[0], names[1]) if len(names) == 2 else (None, names[-1])
                )
                self.catalog.table(name, schema, self.stmt.start).doc = text
            case ObjectType.OBJECT_COLUMN:
                *rel, col = names
                schema, name = (rel[0], rel[1]) if len(rel) == 2 else (None, rel[-1])
                table = self.catalog.table(name, schema, self.stmt.start)
                table.column(col, self.stmt.start).doc = text
            case ObjectType.OBJECT_TYPE:
                qual = ".".join(names) if len(names) == 2 else f"public.{names[-1]}"
                enum = self.catalog.enums.get(qual)
                if enum is None:
                    raise SqlError(self.stmt.start, f'type "{qual}" does not exist')
                enum.doc = text
            case _:
                return


def _kind(node: object) -> str:
    return type(node).__name__.removesuffix("Stmt")


def _mentions(expr: str, column: str) -> bool:
    import re

    return (
        re.search(
            rf'(?<![\w"]){re.escape(column)}(?![\w"])|"{re.escape(column)}"', expr
        )
        is not None
    )

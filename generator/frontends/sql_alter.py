"""ALTER TABLE: columns added, dropped, retyped, made (not) nullable or given
defaults; constraints added and dropped; tables moved to another schema."""

from __future__ import annotations

from typing import Any

from pglast.enums import AlterTableType as AT
from pglast.enums import DropBehavior, ObjectType

from generator.frontends.sql_catalog import CatTable
from generator.frontends.sql_replay_base import ReplayBase, _mentions
from generator.frontends.sql_source import SqlError, deparse
from generator.frontends.sql_types import sql_type

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


class AlterTable(ReplayBase):
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

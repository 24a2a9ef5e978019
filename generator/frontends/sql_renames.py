"""Renames (tables, columns, constraints, indexes, types) and drops (tables,
types, indexes, schemas), with PostgreSQL's rules about what depends on what."""

from __future__ import annotations

from typing import Any

from pglast.enums import DropBehavior, ObjectType

from generator.frontends.sql_replay_base import ReplayBase
from generator.frontends.sql_source import SqlError
from generator.ir import Check, ForeignKey, Index, Key


class RenamesAndDrops(ReplayBase):
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

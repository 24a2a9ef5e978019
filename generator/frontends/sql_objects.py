"""Enum types (created, extended, relabelled), indexes and comments."""

from __future__ import annotations

from typing import Any

from pglast.enums import ObjectType

from generator.frontends.sql_catalog import CatEnum, CatIndex, object_name
from generator.frontends.sql_replay_base import ReplayBase
from generator.frontends.sql_source import SqlError
from generator.ir import Index


class EnumsIndexesComments(ReplayBase):
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

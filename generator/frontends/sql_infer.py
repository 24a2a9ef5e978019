"""Static typing of named queries over the replayed catalog, as sqlc does:
result columns and ``$n`` parameters get their PostgreSQL types (and
nullability) from the tables, casts, operators and functions they meet.

What cannot be derived exactly is an error with a hint (usually: add a cast),
never a guess.  ``tests/test_sql_queries.py`` checks the derived types
against what PostgreSQL itself reports when it prepares the statements.
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import JoinType, SetOperation

from generator import ir
from generator.frontends.sql_exprs import Expressions
from generator.frontends.sql_source import SqlError
from generator.frontends.sql_typing import (
    INT8,
    TEXT,
    Rel,
    Scope,
    Ty,
    column_name,
    figure_name,
    known_type,
    location_of,
)


class Infer(Expressions):
    """Result columns and parameters of one statement over the catalog."""

    # --- statements --------------------------------------------------------------

    def statement(self, node: Any) -> list[tuple[str, Ty, int]]:
        """Result columns: (name, type, location)."""
        match node:
            case ast.SelectStmt():
                return self.select(node, Scope())
            case ast.InsertStmt():
                return self.insert(node)
            case ast.UpdateStmt():
                return self.update(node)
            case ast.DeleteStmt():
                return self.delete(node)
        raise SqlError(
            getattr(node, "location", None),
            f"unsupported query statement {type(node).__name__.removesuffix('Stmt')}",
            "named queries are SELECT, INSERT, UPDATE or DELETE",
        )

    def select(self, node: Any, outer: Scope) -> list[tuple[str, Ty, int]]:
        scope = Scope(parent=outer)
        self.with_clause(node.withClause, scope)
        if node.op != SetOperation.SETOP_NONE:
            left = self.select(node.larg, scope)
            right = self.select(node.rarg, scope)
            if len(left) != len(right):
                raise SqlError(
                    None,
                    "each side of a set operation must have the same number of columns",
                )
            out = []
            for (name, lt, loc), (_, rt, _) in zip(left, right, strict=True):
                t = lt.type or rt.type
                out.append((name, Ty(t, lt.nullable or rt.nullable), loc))
            self.limits(node, scope)
            return out
        if node.valuesLists:
            raise SqlError(
                None, "VALUES lists are not supported as a query", "use SELECT"
            )
        for item in node.fromClause or ():
            self.from_item(item, scope, scope.rels)
        if node.whereClause is not None:
            self.expect_bool(node.whereClause, scope)
        for g in node.groupClause or ():
            self.expr(g, scope)
        if node.havingClause is not None:
            self.expect_bool(node.havingClause, scope)
        out = self.targets(node.targetList or (), scope)
        aliases = {name for name, _, _ in out}
        for s in node.sortClause or ():
            key: Any = s.node
            if (
                isinstance(s.node, ast.ColumnRef)
                and len(key.fields) == 1
                and column_name(s.node) in aliases
            ):
                continue
            if isinstance(s.node, ast.A_Const):
                continue  # ORDER BY 1
            self.expr(s.node, scope)
        self.limits(node, scope)
        return out

    def with_clause(self, with_clause: Any, scope: Scope) -> None:
        if with_clause is None:
            return
        if with_clause.recursive:
            raise SqlError(with_clause.location, "recursive CTEs are not supported")
        for cte in with_clause.ctes or ():
            cols = self.statement_in(cte.ctequery, scope)
            scope.ctes[cte.ctename] = Rel(
                cte.ctename, [(n, known_type(t, loc), t.nullable) for n, t, loc in cols]
            )

    def statement_in(self, node: Any, scope: Scope) -> list[tuple[str, Ty, int]]:
        if isinstance(node, ast.SelectStmt):
            return self.select(node, scope)
        return self.statement(node)

    def limits(self, node: Any, scope: Scope) -> None:
        for clause, name in ((node.limitCount, "limit"), (node.limitOffset, "offset")):
            if clause is not None:
                ty = self.expr(clause, scope)
                self.bind(ty, INT8, location_of(clause), name=name)

    def targets(self, targets: Any, scope: Scope) -> list[tuple[str, Ty, int]]:
        out: list[tuple[str, Ty, int]] = []
        for t in targets:
            val: Any = t.val
            fields: Any = val.fields if isinstance(val, ast.ColumnRef) else (None,)
            last = fields[-1]
            if isinstance(last, ast.A_Star):
                out += self.star(val, scope)
                continue
            ty = self.expr(val, scope)
            if ty.type is None and not (ty.param or ty.nullable):
                ty = Ty(TEXT)  # SELECT 'literal': text, as in PostgreSQL
            name = t.name or figure_name(val)
            if ty.type is None:
                raise SqlError(
                    t.location,
                    f"cannot tell the type of result column {name!r}",
                    "add a cast, for example $1::text",
                )
            out.append((name, ty, t.location))
        return out

    def star(self, ref: Any, scope: Scope) -> list[tuple[str, Ty, int]]:
        if len(ref.fields) == 2:
            rels = [self.rel(ref.fields[0].sval, scope, ref.location)]
        else:
            rels = scope.rels
        if not rels:
            raise SqlError(ref.location, "SELECT * with no table")
        return [
            (name, Ty(t, nullable or rel.outer, column=name), ref.location)
            for rel in rels
            for name, t, nullable in rel.columns
        ]

    def from_item(self, node: Any, scope: Scope, into: list[Rel]) -> None:
        item: Any = node
        match node:
            case ast.RangeVar():
                into.append(self.range_var(item, scope))
            case ast.JoinExpr():
                left: list[Rel] = []
                right: list[Rel] = []
                self.from_item(item.larg, scope, left)
                self.from_item(item.rarg, scope, right)
                if item.jointype in (JoinType.JOIN_LEFT, JoinType.JOIN_FULL):
                    for r in right:
                        r.outer = True
                if item.jointype in (JoinType.JOIN_RIGHT, JoinType.JOIN_FULL):
                    for r in left:
                        r.outer = True
                into += left + right
                if item.quals is not None:
                    self.expect_bool(item.quals, Scope(into, scope.parent, scope.ctes))
            case ast.RangeSubselect():
                if item.alias is None:
                    raise SqlError(None, "a subquery in FROM must have an alias")
                cols = self.select(item.subquery, scope)
                into.append(
                    Rel(
                        item.alias.aliasname,
                        [(n, known_type(t, loc), t.nullable) for n, t, loc in cols],
                    )
                )
            case _:
                raise SqlError(
                    getattr(item, "location", None),
                    f"unsupported FROM item {type(item).__name__}",
                )

    def range_var(self, rv: Any, scope: Scope) -> Rel:
        alias = rv.alias.aliasname if rv.alias is not None else rv.relname
        if rv.schemaname is None:
            cte = scope.cte(rv.relname)
            if cte is not None:
                return Rel(alias, list(cte.columns))
        qual = f"{rv.schemaname or 'public'}.{rv.relname}"
        table = self.tables.get(qual)
        if table is None:
            raise SqlError(
                rv.location,
                f'table "{qual}" does not exist',
                "tables: " + ", ".join(sorted(self.tables))
                if self.tables
                else "no tables: add migrations to schemas/tables",
            )
        return Rel(alias, [(c.name, c.type, c.nullable) for c in table.columns], table)

    def insert(self, node: Any) -> list[tuple[str, Ty, int]]:
        scope = Scope()
        self.with_clause(node.withClause, scope)
        rel = self.range_var(node.relation, scope)
        table = rel.table
        assert table is not None
        names = (
            [c.name for c in node.cols]
            if node.cols
            else [c.name for c in table.columns]
        )
        cols = [
            table.column(n) if n in {c.name for c in table.columns} else None
            for n in names
        ]
        for n, c, target in zip(
            names, cols, node.cols or [None] * len(names), strict=True
        ):
            if c is None:
                raise SqlError(
                    getattr(target, "location", None),
                    f'column "{n}" of relation "{table.qualname}" does not exist',
                )
        sel = node.selectStmt
        if sel is not None and sel.valuesLists:
            for row in sel.valuesLists:
                if len(row) != len(cols):
                    raise SqlError(
                        None,
                        "INSERT has more expressions than target columns"
                        if len(row) > len(cols)
                        else "INSERT has more target columns than expressions",
                    )
                for value, c in zip(row, cols, strict=True):
                    assert c is not None
                    self.assign(value, c, scope)
        elif sel is not None:
            out = self.select(sel, scope)
            for (_, ty, loc), c in zip(out, cols, strict=False):
                assert c is not None
                self.bind(ty, c.type, loc, nullable=c.nullable, name=c.name)
        conflict = node.onConflictClause
        scope.rels = [rel]
        if conflict is not None and conflict.targetList:
            excluded = Rel("excluded", rel.columns, table)
            upd = Scope([rel, excluded])
            for t in conflict.targetList:
                self.assign(t.val, self.target_column(table, t), upd)
            if conflict.whereClause is not None:
                self.expect_bool(conflict.whereClause, upd)
        return self.returning(node, scope)

    def target_column(self, table: ir.Table, target: Any) -> ir.Column:
        if target.indirection:
            raise SqlError(
                target.location, "assigning to a field or element is not supported"
            )
        for c in table.columns:
            if c.name == target.name:
                return c
        raise SqlError(
            target.location,
            f'column "{target.name}" of relation "{table.qualname}" does not exist',
        )

    def assign(self, value: Any, c: ir.Column, scope: Scope) -> None:
        if isinstance(value, ast.SetToDefault):
            return
        ty = self.expr(value, scope, want=c.type)
        self.bind(ty, c.type, location_of(value), nullable=c.nullable, name=c.name)

    def returning(self, node: Any, scope: Scope) -> list[tuple[str, Ty, int]]:
        clause = node.returningClause
        if clause is None:
            return []
        return self.targets(clause.exprs or (), scope)

    def update(self, node: Any) -> list[tuple[str, Ty, int]]:
        scope = Scope()
        self.with_clause(node.withClause, scope)
        rel = self.range_var(node.relation, scope)
        assert rel.table is not None
        scope.rels.append(rel)
        for item in node.fromClause or ():
            self.from_item(item, scope, scope.rels)
        for t in node.targetList or ():
            self.assign(t.val, self.target_column(rel.table, t), scope)
        if node.whereClause is not None:
            self.expect_bool(node.whereClause, scope)
        return self.returning(node, scope)

    def delete(self, node: Any) -> list[tuple[str, Ty, int]]:
        scope = Scope()
        self.with_clause(node.withClause, scope)
        scope.rels.append(self.range_var(node.relation, scope))
        for item in node.usingClause or ():
            self.from_item(item, scope, scope.rels)
        if node.whereClause is not None:
            self.expect_bool(node.whereClause, scope)
        return self.returning(node, scope)

"""Static typing of named queries over the replayed catalog, as sqlc does:
result columns and ``$n`` parameters get their PostgreSQL types (and
nullability) from the tables, casts, operators and functions they meet.

What cannot be derived exactly is an error with a hint (usually: add a cast),
never a guess.  ``tests/test_sql_queries.py`` checks the derived types
against what PostgreSQL itself reports when it prepares the statements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pglast import ast
from pglast.enums import (
    A_Expr_Kind,
    JoinType,
    MinMaxOp,
    SetOperation,
    SQLValueFunctionOp,
    SubLinkType,
)

from generator import ir
from generator.frontends.sql_source import SqlError
from generator.frontends.sql_types import sql_type

BOOL = ir.SqlType("bool")
INT4 = ir.SqlType("int4")
INT8 = ir.SqlType("int8")
NUMERIC = ir.SqlType("numeric")
FLOAT8 = ir.SqlType("float8")
TEXT = ir.SqlType("text")
TIMESTAMPTZ = ir.SqlType("timestamptz")
INTERVAL = ir.SqlType("interval")

_NUMERIC_RANK = {
    "int2": 0,
    "int4": 1,
    "int8": 2,
    "numeric": 3,
    "float4": 4,
    "float8": 5,
}
_COMPARISONS = frozenset({"=", "<>", "!=", "<", ">", "<=", ">="})
_STRINGS = frozenset({"text", "varchar", "bpchar"})


@dataclass(frozen=True, slots=True)
class Ty:
    """The type of an expression; ``type`` None is not known yet (a bare
    ``$n``, NULL or an untyped string literal), to be fixed by its context."""

    type: ir.SqlType | None
    nullable: bool = False
    param: int = 0
    """The ``$n`` this expression is, bare."""
    column: str = ""
    """The column this expression is, bare (names parameters compared to it)."""


@dataclass
class Rel:
    """A relation in scope: a table, a subquery or a CTE."""

    alias: str
    columns: list[tuple[str, ir.SqlType, bool]]
    table: ir.Table | None = None
    outer: bool = False
    """On the nullable side of an outer join."""


@dataclass
class Param:
    type: ir.SqlType
    nullable: bool
    name: str


@dataclass
class Scope:
    rels: list[Rel] = field(default_factory=list)
    parent: Scope | None = None
    ctes: dict[str, Rel] = field(default_factory=dict)

    def cte(self, name: str) -> Rel | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None


class Infer:
    def __init__(
        self,
        tables: dict[str, ir.Table],
        enum_lookup: Callable[[str, str | None], str | None],
    ) -> None:
        self.tables = tables
        self.enum_lookup = enum_lookup
        self.params: dict[int, Param] = {}
        self.names: dict[int, str] = {}

    # --- parameters ------------------------------------------------------------

    def bind(
        self,
        ty: Ty,
        want: ir.SqlType,
        loc: int | None,
        *,
        nullable: bool = False,
        name: str = "",
    ) -> None:
        if not ty.param:
            return
        old = self.params.get(ty.param)
        if old is not None and old.type != want:
            raise SqlError(
                loc,
                f"${ty.param} is used as {old.type.sql} and as {want.sql}",
                f"add a cast where it is used: ${ty.param}::{old.type.sql}",
            )
        if old is None:
            self.params[ty.param] = Param(want, nullable, name)
        else:
            old.nullable = old.nullable and nullable
            old.name = old.name or name
        if name:
            self.names.setdefault(ty.param, name)

    def hint(self, ty: Ty, name: str) -> None:
        if ty.param and name:
            self.names.setdefault(ty.param, name)

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
                and _col_name(s.node) in aliases
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
                cte.ctename, [(n, _known(t, loc), t.nullable) for n, t, loc in cols]
            )

    def statement_in(self, node: Any, scope: Scope) -> list[tuple[str, Ty, int]]:
        if isinstance(node, ast.SelectStmt):
            return self.select(node, scope)
        return self.statement(node)

    def limits(self, node: Any, scope: Scope) -> None:
        for clause, name in ((node.limitCount, "limit"), (node.limitOffset, "offset")):
            if clause is not None:
                ty = self.expr(clause, scope)
                self.bind(ty, INT8, _loc(clause), name=name)

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
            name = t.name or _figure_name(val)
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

    def rel(self, alias: str, scope: Scope, loc: int) -> Rel:
        s: Scope | None = scope
        while s is not None:
            for r in s.rels:
                if r.alias == alias:
                    return r
            s = s.parent
        raise SqlError(loc, f'missing FROM-clause entry for table "{alias}"')

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
                        [(n, _known(t, loc), t.nullable) for n, t, loc in cols],
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
        self.bind(ty, c.type, _loc(value), nullable=c.nullable, name=c.name)

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

    # --- expressions ---------------------------------------------------------------

    def expect_bool(self, node: Any, scope: Scope) -> None:
        ty = self.expr(node, scope, want=BOOL)
        self.bind(ty, BOOL, _loc(node))
        if ty.type is not None and ty.type != BOOL:
            raise SqlError(
                _loc(node), f"argument of WHERE must be boolean, not {ty.type.sql}"
            )

    def expr(self, node: Any, scope: Scope, want: ir.SqlType | None = None) -> Ty:
        n: Any = node  # pglast's Optional attributes: see sql_replay
        match node:
            case ast.ColumnRef():
                return self.column_ref(node, scope)
            case ast.ParamRef():
                # The caller binds it, knowing whether NULL may be passed.
                known = self.params.get(n.number)
                return Ty(known.type if known else None, False, n.number)
            case ast.A_Const():
                return _const(node)
            case ast.TypeCast():
                return self.type_cast(node, scope)
            case ast.A_Expr():
                return self.a_expr(node, scope)
            case ast.BoolExpr():
                args = [self.expr(a, scope, BOOL) for a in n.args]
                for a, arg in zip(args, n.args, strict=True):
                    self.bind(a, BOOL, _loc(arg))
                return Ty(BOOL, any(a.nullable for a in args))
            case ast.NullTest() | ast.BooleanTest():
                self.expr(n.arg, scope)
                return Ty(BOOL)
            case ast.FuncCall():
                from generator.frontends.sql_functions import call

                return call(self, node, scope)
            case ast.CoalesceExpr():
                ty = self.common(n.args, scope, n.location, "COALESCE")
                nulls = [self.expr(a, scope).nullable for a in n.args]
                return Ty(ty.type, all(nulls))
            case ast.MinMaxExpr():
                name = "GREATEST" if n.op == MinMaxOp.IS_GREATEST else "LEAST"
                return Ty(self.common(n.args, scope, n.location, name).type, True)
            case ast.SQLValueFunction():
                return Ty(_SQL_VALUE_FUNCTIONS.get(n.op, TIMESTAMPTZ))
            case ast.CaseExpr():
                return self.case(node, scope)
            case ast.SubLink():
                return self.sublink(node, scope)
            case ast.A_ArrayExpr():
                el = self.common(n.elements or (), scope, n.location, "ARRAY")
                if el.type is None:
                    raise SqlError(
                        n.location,
                        "cannot tell the type of an empty ARRAY[]",
                        "add a cast: ARRAY[]::text[]",
                    )
                return Ty(el.type.array(el.type.dims + 1))
            case ast.CollateClause():
                return self.expr(n.arg, scope, want)
        raise SqlError(
            _loc(node),
            f"unsupported expression {type(node).__name__} in a named query",
            "rewrite it, or move it into a view-like CTE with a cast",
        )

    def column_ref(self, node: Any, scope: Scope) -> Ty:
        fields: list[str] = [
            str(f.sval) if isinstance(f, ast.String) else "*" for f in node.fields
        ]
        if "*" in fields:
            raise SqlError(node.location, "* is only allowed in the SELECT list")
        name = fields[-1]
        if len(fields) == 2:
            rel = self.rel(fields[0], scope, node.location)
            for col, t, nullable in rel.columns:
                if col == name:
                    return Ty(t, nullable or rel.outer, column=name)
            raise SqlError(node.location, f"column {fields[0]}.{name} does not exist")
        if len(fields) > 2:
            raise SqlError(
                node.location, "schema-qualified column references are not supported"
            )
        s: Scope | None = scope
        while s is not None:
            found = [
                (rel, t, nullable)
                for rel in s.rels
                for col, t, nullable in rel.columns
                if col == name
            ]
            if len(found) > 1:
                raise SqlError(
                    node.location,
                    f'column reference "{name}" is ambiguous',
                    f"qualify it: {found[0][0].alias}.{name}",
                )
            if found:
                rel, t, nullable = found[0]
                return Ty(t, nullable or rel.outer, column=name)
            s = s.parent
        tables = ", ".join(f'"{r.alias}"' for r in scope.rels) or "no table"
        raise SqlError(node.location, f'column "{name}" does not exist in {tables}')

    def type_cast(self, node: Any, scope: Scope) -> Ty:
        target, serial = sql_type(node.typeName, self.enum_lookup)
        if serial:
            raise SqlError(node.typeName.location, "cannot cast to a serial type")
        inner = self.expr(node.arg, scope)
        self.bind(inner, target, node.location)
        return Ty(target, inner.nullable, inner.param, inner.column)

    def common(self, args: Any, scope: Scope, loc: int, what: str) -> Ty:
        """The type several expressions resolve to (COALESCE, CASE, ARRAY)."""
        tys = [self.expr(a, scope) for a in args]
        known = [t.type for t in tys if t.type is not None]
        result: ir.SqlType | None = None
        for t in known:
            result = t if result is None else _unify(result, t, loc, what)
        if result is None and any(
            t.type is None and not (t.param or t.nullable) for t in tys
        ):
            result = TEXT  # only 'literals': PostgreSQL resolves them to text
        if result is not None:
            for ty, a in zip(tys, args, strict=True):
                self.bind(ty, result, _loc(a))
        return Ty(result, any(t.nullable for t in tys))

    def case(self, node: Any, scope: Scope) -> Ty:
        if node.arg is not None:
            base = self.expr(node.arg, scope)
            for w in node.args:
                other = self.expr(w.expr, scope)
                self.pair(base, other, w.location)
        else:
            for w in node.args:
                self.expect_bool(w.expr, scope)
        results = [w.result for w in node.args]
        if node.defresult is not None:
            results.append(node.defresult)
        ty = self.common(results, scope, node.location, "CASE")
        if ty.type is None:
            raise SqlError(
                node.location, "cannot tell the type of CASE", "cast one of its results"
            )
        return Ty(ty.type, ty.nullable or node.defresult is None)

    def sublink(self, node: Any, scope: Scope) -> Ty:
        cols = self.select(node.subselect, scope)
        kind = node.subLinkType
        if kind == SubLinkType.EXISTS_SUBLINK:
            return Ty(BOOL)
        if kind == SubLinkType.EXPR_SUBLINK:
            if len(cols) != 1:
                raise SqlError(node.location, "subquery must return only one column")
            _, ty, loc = cols[0]
            return Ty(_known(ty, loc), True)
        if kind in (SubLinkType.ANY_SUBLINK, SubLinkType.ALL_SUBLINK):
            left = self.expr(node.testexpr, scope)
            if len(cols) == 1:
                self.pair(left, cols[0][1], node.location)
            return Ty(BOOL, True)
        if kind == SubLinkType.ARRAY_SUBLINK and len(cols) == 1:
            t = _known(cols[0][1], cols[0][2])
            return Ty(t.array(t.dims + 1))
        raise SqlError(node.location, "unsupported subquery")

    def pair(self, a: Ty, b: Ty, loc: int | None) -> None:
        """Two sides that must have one type: a parameter takes the other's
        (as PostgreSQL resolves it: varchar operators are text's)."""
        if a.type is not None:
            self.bind(b, _operand(a.type), loc, name=a.column)
        if b.type is not None:
            self.bind(a, _operand(b.type), loc, name=b.column)
        if a.type is None and b.type is None and (a.param or b.param):
            raise SqlError(
                loc,
                f"cannot tell the type of ${a.param or b.param}",
                "add a cast, for example $1::bigint",
            )

    def a_expr(self, node: Any, scope: Scope) -> Ty:
        kind = node.kind
        op = node.name[-1].sval if node.name else ""
        if kind == A_Expr_Kind.AEXPR_IN:
            left = self.expr(node.lexpr, scope)
            for item in node.rexpr:
                self.pair(left, self.expr(item, scope, left.type), _loc(item))
            return Ty(BOOL, left.nullable)
        if kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_OP_ALL):
            left = self.expr(node.lexpr, scope)
            right = self.expr(node.rexpr, scope)
            if left.type is not None:
                self.bind(
                    right,
                    _operand(left.type).array(left.type.dims + 1),
                    _loc(node.rexpr),
                    name=_plural(left.column),
                )
            elif right.type is not None and right.type.dims:
                self.bind(
                    left,
                    right.type.element.array(right.type.dims - 1),
                    _loc(node.lexpr),
                )
            return Ty(BOOL, left.nullable or right.nullable)
        if kind in (
            A_Expr_Kind.AEXPR_BETWEEN,
            A_Expr_Kind.AEXPR_NOT_BETWEEN,
            A_Expr_Kind.AEXPR_BETWEEN_SYM,
            A_Expr_Kind.AEXPR_NOT_BETWEEN_SYM,
        ):
            left = self.expr(node.lexpr, scope)
            lo, hi = node.rexpr
            for bound, suffix in ((lo, "from"), (hi, "to")):
                ty = self.expr(bound, scope, left.type)
                if left.type is not None:
                    self.bind(
                        ty,
                        left.type,
                        _loc(bound),
                        name=f"{left.column}_{suffix}" if left.column else "",
                    )
            return Ty(BOOL, left.nullable)
        if kind in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE):
            left = self.expr(node.lexpr, scope, TEXT)
            right = self.expr(node.rexpr, scope, TEXT)
            self.bind(left, TEXT, _loc(node.lexpr))
            self.bind(
                right,
                TEXT,
                _loc(node.rexpr),
                name=f"{left.column}_pattern" if left.column else "pattern",
            )
            return Ty(BOOL, left.nullable)
        if kind in (A_Expr_Kind.AEXPR_DISTINCT, A_Expr_Kind.AEXPR_NOT_DISTINCT):
            left, right = self.expr(node.lexpr, scope), self.expr(node.rexpr, scope)
            self.pair(left, right, node.location)
            return Ty(BOOL)
        if kind == A_Expr_Kind.AEXPR_NULLIF:
            left, right = self.expr(node.lexpr, scope), self.expr(node.rexpr, scope)
            self.pair(left, right, node.location)
            return Ty(left.type, True)
        if kind != A_Expr_Kind.AEXPR_OP:
            raise SqlError(
                node.location, f"unsupported operator expression {kind.name}"
            )
        return self.operator(node, op, scope)

    def operator(self, node: Any, op: str, scope: Scope) -> Ty:
        if node.lexpr is None:  # prefix: -x, +x
            arg = self.expr(node.rexpr, scope)
            return Ty(arg.type, arg.nullable)
        left, right = self.expr(node.lexpr, scope), self.expr(node.rexpr, scope)
        nullable = left.nullable or right.nullable
        if op in _COMPARISONS:
            self.pair(left, right, node.location)
            return Ty(BOOL, nullable)
        if op in ("@>", "<@", "&&"):
            self.pair(left, right, node.location)
            return Ty(BOOL, nullable)
        if op == "||":
            self.pair(left, right, node.location)
            t = left.type or right.type
            if t is not None and not t.dims:
                t = TEXT
            return Ty(t, nullable)
        if op in ("+", "-", "*", "/", "%"):
            if left.type is None and right.type is None:
                raise SqlError(
                    node.location, f"cannot tell the types around {op!r}", "add a cast"
                )
            if left.type is None or right.type is None:
                known = left.type or right.type
                assert known is not None
                if known.name in ("timestamptz", "timestamp", "date") and op in (
                    "+",
                    "-",
                ):
                    raise SqlError(
                        node.location,
                        f"cannot tell the type of the operand of {op!r}",
                        "add a cast, for example $2::interval",
                    )
                self.pair(left, right, node.location)
                return Ty(known, nullable)
            return Ty(_arithmetic(left.type, right.type, op, node.location), nullable)
        raise SqlError(
            node.location,
            f"unsupported operator {op!r} in a named query",
            "add a cast to the result",
        )


_SQL_VALUE_FUNCTIONS = {
    SQLValueFunctionOp.SVFOP_CURRENT_DATE: ir.SqlType("date"),
    SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP: TIMESTAMPTZ,
    SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP_N: TIMESTAMPTZ,
    SQLValueFunctionOp.SVFOP_LOCALTIMESTAMP: ir.SqlType("timestamp"),
    SQLValueFunctionOp.SVFOP_LOCALTIMESTAMP_N: ir.SqlType("timestamp"),
    SQLValueFunctionOp.SVFOP_CURRENT_USER: ir.SqlType("name"),
}


def _const(node: Any) -> Ty:
    if node.isnull:
        return Ty(None, True)
    match node.val:
        case ast.Integer():
            return Ty(INT4)
        case ast.Float():
            text = str(node.val.fval)
            if "." not in text and "e" not in text.lower() and abs(int(text)) >= 2**63:
                return Ty(NUMERIC)
            return Ty(NUMERIC if "." in text or "e" in text.lower() else INT8)
        case ast.Boolean():
            return Ty(BOOL)
        case _:
            return Ty(None)  # 'text' literals take the type of their context


def _operand(t: ir.SqlType) -> ir.SqlType:
    """The type an unknown operand takes next to ``t``: no length or precision,
    and text for varchar (which has no operators of its own)."""
    name = "text" if t.name == "varchar" else t.name
    return ir.SqlType(name, (), t.dims, t.enum)


def _known(ty: Ty, loc: int | None) -> ir.SqlType:
    if ty.type is None:
        raise SqlError(loc, "cannot tell the type of this column", "add a cast")
    return ty.type


def _loc(node: Any) -> int | None:
    loc = getattr(node, "location", None)
    return loc if isinstance(loc, int) and loc >= 0 else None


def _col_name(ref: Any) -> str:
    last = ref.fields[-1]
    return str(last.sval) if isinstance(last, ast.String) else "*"


def _plural(name: str) -> str:
    if not name:
        return ""
    return name + ("es" if name.endswith(("s", "x", "z", "ch", "sh")) else "s")


def _figure_name(node: Any) -> str:
    """The column name PostgreSQL gives an unnamed result (FigureColname)."""
    n: Any = node
    match node:
        case ast.ColumnRef():
            return _col_name(node)
        case ast.FuncCall():
            return str(n.funcname[-1].sval)
        case ast.TypeCast():
            inner = _figure_name(n.arg)
            if inner != "?column?":
                return inner
            return str(n.typeName.names[-1].sval)
        case ast.CoalesceExpr():
            return "coalesce"
        case ast.MinMaxExpr():
            return "greatest" if n.op == MinMaxOp.IS_GREATEST else "least"
        case ast.CaseExpr():
            return "case"
        case ast.SubLink() if n.subLinkType == SubLinkType.EXISTS_SUBLINK:
            return "exists"
        case ast.SubLink() if n.subLinkType == SubLinkType.ARRAY_SUBLINK:
            return "array"
        case ast.A_ArrayExpr():
            return "array"
        case ast.SQLValueFunction():
            return str(n.op.name).removeprefix("SVFOP_").lower().removesuffix("_n")
    return "?column?"


def _unify(a: ir.SqlType, b: ir.SqlType, loc: int | None, what: str) -> ir.SqlType:
    if a == b:
        return a
    if a.dims == b.dims == 0:
        if a.name in _NUMERIC_RANK and b.name in _NUMERIC_RANK:
            return a if _NUMERIC_RANK[a.name] >= _NUMERIC_RANK[b.name] else b
        if a.name in _STRINGS and b.name in _STRINGS:
            return TEXT if "text" in (a.name, b.name) else ir.SqlType(a.name)
        if {a.name, b.name} == {"timestamp", "timestamptz"}:
            return TIMESTAMPTZ
    if a.name == b.name and a.enum == b.enum and a.dims == b.dims:
        return ir.SqlType(a.name, (), a.dims, a.enum)
    raise SqlError(
        loc, f"{what} types {a.sql} and {b.sql} cannot be matched", "add casts"
    )


def _arithmetic(a: ir.SqlType, b: ir.SqlType, op: str, loc: int | None) -> ir.SqlType:
    if (
        a.name in _NUMERIC_RANK
        and b.name in _NUMERIC_RANK
        and not a.dims
        and not b.dims
    ):
        if "float4" in (a.name, b.name) and a.name != b.name:
            return FLOAT8  # real has operators only with real and double
        r = max(_NUMERIC_RANK[a.name], _NUMERIC_RANK[b.name])
        return ir.SqlType(next(n for n, k in _NUMERIC_RANK.items() if k == r))
    pair = (a.name, op, b.name)
    table = {
        ("timestamptz", "-", "timestamptz"): INTERVAL,
        ("timestamp", "-", "timestamp"): INTERVAL,
        ("timestamptz", "+", "interval"): TIMESTAMPTZ,
        ("timestamptz", "-", "interval"): TIMESTAMPTZ,
        ("interval", "+", "timestamptz"): TIMESTAMPTZ,
        ("timestamp", "+", "interval"): ir.SqlType("timestamp"),
        ("timestamp", "-", "interval"): ir.SqlType("timestamp"),
        ("date", "+", "interval"): ir.SqlType("timestamp"),
        ("date", "-", "interval"): ir.SqlType("timestamp"),
        ("date", "-", "date"): INT4,
        ("date", "+", "int4"): ir.SqlType("date"),
        ("date", "-", "int4"): ir.SqlType("date"),
        ("interval", "+", "interval"): INTERVAL,
        ("interval", "-", "interval"): INTERVAL,
        ("interval", "*", "float8"): INTERVAL,
        ("interval", "*", "int4"): INTERVAL,
        ("interval", "/", "float8"): INTERVAL,
    }
    if pair in table:
        return table[pair]
    raise SqlError(
        loc, f"cannot tell the type of {a.sql} {op} {b.sql}", "add a cast to the result"
    )

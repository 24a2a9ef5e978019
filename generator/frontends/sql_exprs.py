"""Typing expressions of named queries: columns, parameters, literals, casts,
operators, functions, CASE, subqueries.  A ``$n`` takes its type from what it
meets (the column it is compared with, the column it is assigned to, a cast),
as PostgreSQL resolves an unknown parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums import A_Expr_Kind, MinMaxOp, SubLinkType

from generator import ir
from generator.frontends.sql_functions import call
from generator.frontends.sql_source import SqlError
from generator.frontends.sql_types import sql_type
from generator.frontends.sql_typing import (
    BOOL,
    COMPARISONS,
    SQL_VALUE_FUNCTIONS,
    TEXT,
    TIMESTAMPTZ,
    Param,
    Rel,
    Scope,
    Ty,
    arithmetic,
    const_type,
    known_type,
    location_of,
    operand_type,
    plural,
    unify,
)


class Expressions:
    def __init__(
        self,
        tables: dict[str, ir.Table],
        enum_lookup: Callable[[str, str | None], str | None],
    ) -> None:
        self.tables = tables
        self.enum_lookup = enum_lookup
        self.params: dict[int, Param] = {}
        self.names: dict[int, str] = {}

    def select(self, node: Any, outer: Scope) -> list[tuple[str, Ty, int]]:
        """A subquery's result columns (statements are typed by ``Infer``)."""
        raise NotImplementedError

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

    def rel(self, alias: str, scope: Scope, loc: int) -> Rel:
        s: Scope | None = scope
        while s is not None:
            for r in s.rels:
                if r.alias == alias:
                    return r
            s = s.parent
        raise SqlError(loc, f'missing FROM-clause entry for table "{alias}"')

    # --- expressions ---------------------------------------------------------------

    def expect_bool(self, node: Any, scope: Scope) -> None:
        ty = self.expr(node, scope, want=BOOL)
        self.bind(ty, BOOL, location_of(node))
        if ty.type is not None and ty.type != BOOL:
            raise SqlError(
                location_of(node),
                f"argument of WHERE must be boolean, not {ty.type.sql}",
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
                return const_type(node)
            case ast.TypeCast():
                return self.type_cast(node, scope)
            case ast.A_Expr():
                return self.a_expr(node, scope)
            case ast.BoolExpr():
                args = [self.expr(a, scope, BOOL) for a in n.args]
                for a, arg in zip(args, n.args, strict=True):
                    self.bind(a, BOOL, location_of(arg))
                return Ty(BOOL, any(a.nullable for a in args))
            case ast.NullTest() | ast.BooleanTest():
                self.expr(n.arg, scope)
                return Ty(BOOL)
            case ast.FuncCall():
                return call(self, node, scope)
            case ast.CoalesceExpr():
                ty = self.common(n.args, scope, n.location, "COALESCE")
                nulls = [self.expr(a, scope).nullable for a in n.args]
                return Ty(ty.type, all(nulls))
            case ast.MinMaxExpr():
                name = "GREATEST" if n.op == MinMaxOp.IS_GREATEST else "LEAST"
                return Ty(self.common(n.args, scope, n.location, name).type, True)
            case ast.SQLValueFunction():
                return Ty(SQL_VALUE_FUNCTIONS.get(n.op, TIMESTAMPTZ))
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
            location_of(node),
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
            result = t if result is None else unify(result, t, loc, what)
        if result is None and any(
            t.type is None and not (t.param or t.nullable) for t in tys
        ):
            result = TEXT  # only 'literals': PostgreSQL resolves them to text
        if result is not None:
            for ty, a in zip(tys, args, strict=True):
                self.bind(ty, result, location_of(a))
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
            return Ty(known_type(ty, loc), True)
        if kind in (SubLinkType.ANY_SUBLINK, SubLinkType.ALL_SUBLINK):
            left = self.expr(node.testexpr, scope)
            if len(cols) == 1:
                self.pair(left, cols[0][1], node.location)
            return Ty(BOOL, True)
        if kind == SubLinkType.ARRAY_SUBLINK and len(cols) == 1:
            t = known_type(cols[0][1], cols[0][2])
            return Ty(t.array(t.dims + 1))
        raise SqlError(node.location, "unsupported subquery")

    def pair(self, a: Ty, b: Ty, loc: int | None) -> None:
        """Two sides that must have one type: a parameter takes the other's
        (as PostgreSQL resolves it: varchar operators are text's)."""
        if a.type is not None:
            self.bind(b, operand_type(a.type), loc, name=a.column)
        if b.type is not None:
            self.bind(a, operand_type(b.type), loc, name=b.column)
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
                self.pair(left, self.expr(item, scope, left.type), location_of(item))
            return Ty(BOOL, left.nullable)
        if kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_OP_ALL):
            left = self.expr(node.lexpr, scope)
            right = self.expr(node.rexpr, scope)
            if left.type is not None:
                self.bind(
                    right,
                    operand_type(left.type).array(left.type.dims + 1),
                    location_of(node.rexpr),
                    name=plural(left.column),
                )
            elif right.type is not None and right.type.dims:
                self.bind(
                    left,
                    right.type.element.array(right.type.dims - 1),
                    location_of(node.lexpr),
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
                        location_of(bound),
                        name=f"{left.column}_{suffix}" if left.column else "",
                    )
            return Ty(BOOL, left.nullable)
        if kind in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE):
            left = self.expr(node.lexpr, scope, TEXT)
            right = self.expr(node.rexpr, scope, TEXT)
            self.bind(left, TEXT, location_of(node.lexpr))
            self.bind(
                right,
                TEXT,
                location_of(node.rexpr),
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
        if op in COMPARISONS:
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
            return Ty(arithmetic(left.type, right.type, op, node.location), nullable)
        raise SqlError(
            node.location,
            f"unsupported operator {op!r} in a named query",
            "add a cast to the result",
        )

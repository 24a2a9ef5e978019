"""What typing one named query works with: the type of an expression (``Ty``),
the relations in scope, and the ``Context`` that collects the types and names
of its ``$n`` parameters as the statement is walked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from generator import ir
from generator.frontends.sql.source import SqlError
from generator.frontends.sql.type_names import EnumLookup


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


class Output(NamedTuple):
    """A result column of a statement."""

    name: str
    ty: Ty
    location: int


@dataclass
class Rel:
    """A relation in scope: a table, a subquery or a CTE."""

    alias: str
    columns: list[tuple[str, ir.SqlType, bool]]
    table: ir.Table | None = None
    outer: bool = False
    """On the nullable side of an outer join."""


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

    def rel(self, alias: str, loc: int) -> Rel:
        """The relation an alias names, here or in an enclosing query."""
        scope: Scope | None = self
        while scope is not None:
            for r in scope.rels:
                if r.alias == alias:
                    return r
            scope = scope.parent
        raise SqlError(loc, f'missing FROM-clause entry for table "{alias}"')


@dataclass
class Param:
    type: ir.SqlType
    nullable: bool
    name: str


Subquery = Callable[["Context", Any, Scope], list[Output]]
"""Types a SELECT inside an expression.  Statements contain expressions and
expressions contain subqueries: the statements module hands its ``select`` in
here, so that the expressions module need not import it back."""


@dataclass
class Context:
    """The typing of one statement over the tables: each ``$n`` takes its type
    from what it meets first (a column, a cast, an operator's other side), as
    PostgreSQL resolves an unknown parameter."""

    tables: dict[str, ir.Table]
    enum_lookup: EnumLookup
    subquery: Subquery
    params: dict[int, Param] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    """A name for ``$n`` from the column it is compared with or assigned to."""

    def bind(
        self,
        ty: Ty,
        want: ir.SqlType,
        loc: int | None,
        *,
        nullable: bool = False,
        name: str = "",
    ) -> None:
        """``ty``, if it is a bare parameter, has type ``want`` here."""
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


def operand_type(t: ir.SqlType) -> ir.SqlType:
    """The type an unknown operand takes next to ``t``: no length or precision,
    and text for varchar (which has no operators of its own)."""
    name = "text" if t.name == "varchar" else t.name
    return ir.SqlType(name, (), t.dims, t.enum)


def known_type(ty: Ty, loc: int | None) -> ir.SqlType:
    if ty.type is None:
        raise SqlError(loc, "cannot tell the type of this column", "add a cast")
    return ty.type


def location_of(node: Any) -> int | None:
    """A node's location, when pglast gives one (``-1`` means none)."""
    loc = getattr(node, "location", None)
    return loc if isinstance(loc, int) and loc >= 0 else None

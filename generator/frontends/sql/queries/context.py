"""What typing one named query works with: the type of an expression (``Ty``),
the relations in scope, and the ``Context`` that collects the types and names
of its ``$n`` parameters as the statement is walked, and the edits that turn
its text into the SQL that runs (``*`` spelled out)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from generator import ir
from generator.frontends.sql.queries.overloads import Resolver
from generator.frontends.sql.queries.pg_catalog import PgFunction
from generator.frontends.sql.source import SqlError
from generator.frontends.sql.type_names import EnumLookup


@dataclass(frozen=True, slots=True)
class Ty:
    """The type of an expression; ``type`` None is PostgreSQL's ``unknown``
    (a ``$n`` not typed yet, NULL or a string literal), which its context
    decides."""

    type: ir.SqlType | None
    nullable: bool = False
    param: int = 0
    """The ``$n`` this expression is (bare or cast)."""
    column: str = ""
    """The column this expression is, bare (names parameters compared to it)."""

    @property
    def unknown_literal(self) -> bool:
        """A string literal or NULL, whose type its context decides."""
        return self.type is None and not self.param


class Output(NamedTuple):
    """A result column of a statement."""

    name: str
    ty: Ty
    location: int


Column = tuple[str, ir.SqlType, bool]
"""A column of a relation in scope: name, type, nullable."""


@dataclass
class Rel:
    """A relation in scope: a table, a subquery, a CTE or a function."""

    alias: str
    columns: list[Column]
    table: ir.Table | None = None
    outer: bool = False
    """On the nullable side of an outer join."""
    hidden: frozenset[str] = frozenset()
    """Columns merged by ``JOIN ... USING``: ``*`` gives them once, first."""
    qualified: bool = True
    """Whether ``alias.column`` reaches it (a subquery without an alias)."""


@dataclass
class Scope:
    rels: list[Rel] = field(default_factory=list)
    parent: Scope | None = None
    ctes: dict[str, Rel] = field(default_factory=dict)
    merged: list[Column] = field(default_factory=list)
    """Columns of ``JOIN ... USING`` at this level (unqualified only)."""

    def cte(self, name: str) -> Rel | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None

    def rel(self, alias: str, loc: int | None, schema: str = "") -> Rel:
        """The relation an alias names, here or in an enclosing query."""
        scope: Scope | None = self
        while scope is not None:
            for r in scope.rels:
                if r.alias == alias and r.qualified and _schema_ok(r, schema):
                    return r
            scope = scope.parent
        name = f"{schema}.{alias}" if schema else alias
        raise SqlError(loc, f'missing FROM-clause entry for table "{name}"')


def _schema_ok(rel: Rel, schema: str) -> bool:
    return not schema or (rel.table is not None and rel.table.schema == schema)


@dataclass
class Param:
    type: ir.SqlType
    nullable: bool
    location: int | None


Subquery = Callable[["Context", Any, Scope], list[Output]]
"""Types a statement inside another.  Statements contain expressions and
expressions contain subqueries: the statement modules hand their typing in
here, so that the modules they import need not import them back."""


@dataclass
class Context:
    """The typing of one statement over the tables: each ``$n`` takes the
    type of what it meets first (a column, a cast, an operator's or
    function's parameter), as PostgreSQL types an unknown parameter; later
    uses see it typed."""

    tables: dict[str, ir.Table]
    enum_lookup: EnumLookup
    subquery: Subquery
    statement: Subquery
    """Types a data-modifying statement in a CTE (``WITH x AS (INSERT ...)``)."""
    resolver: Resolver
    """PostgreSQL's rules over the built-in catalog and the extensions used."""
    text: str = ""
    """The statement's text (after sqlc's syntax), which locations index."""
    functions: dict[str, list[PgFunction]] = field(default_factory=dict)
    """Functions the migrations create, by name."""
    sequences: frozenset[str] = frozenset()
    """The migrations' sequences (qualified): relations of one row."""
    params: dict[int, Param] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    """A name for ``$n`` from the column it is compared with or assigned to."""
    embeds: dict[int, str] = field(default_factory=dict)
    """Offsets of the ``t.*`` that were ``sqlc.embed(t)``."""
    embeds_found: list[ir.QueryEmbed] = field(default_factory=list)
    edits: list[tuple[int, int, str]] = field(default_factory=list)
    """(start, end, text): ``*`` spelled out, applied to the statement text."""

    def bind(
        self,
        ty: Ty,
        want: ir.SqlType,
        loc: int | None,
        *,
        nullable: bool = False,
        name: str = "",
    ) -> None:
        """``ty``, if it is a parameter, meets ``want`` here: an unknown one
        takes that type; one typed already keeps its type.  It may be None
        only where every use allows NULL."""
        if not ty.param:
            return
        old = self.params.get(ty.param)
        if old is None:
            self.params[ty.param] = Param(want, nullable, loc)
        else:
            old.nullable = old.nullable and nullable
        if name:
            self.names.setdefault(ty.param, name)

    def name(self, ty: Ty, name: str) -> None:
        if ty.param and name:
            self.names.setdefault(ty.param, name)

    def expanded(self, text: str) -> str:
        """The statement text with the edits applied."""
        for start, end, replacement in sorted(self.edits, reverse=True):
            text = text[:start] + replacement + text[end:]
        return text


def known_type(ty: Ty, loc: int | None) -> ir.SqlType:
    if ty.type is None:
        raise SqlError(loc, "cannot tell the type of this column", "add a cast")
    return ty.type


def location_of(node: Any) -> int | None:
    """A node's location, when pglast gives one (``-1`` means none)."""
    loc = getattr(node, "location", None)
    return loc if isinstance(loc, int) and loc >= 0 else None

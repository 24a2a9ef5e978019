"""Named queries of ``schemas/queries`` with their derived types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.ir.base import Span
from generator.ir.sql import SqlType


@dataclass(frozen=True, slots=True)
class QueryParam:
    index: int
    """The ``$n`` it binds."""
    py_name: str
    type: SqlType
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class QueryColumn:
    name: str
    py_name: str
    type: SqlType
    nullable: bool


@dataclass(frozen=True, slots=True)
class QueryEmbed:
    """``sqlc.embed(t)``: result columns ``start`` to ``start + len(table's
    columns)`` are a row of ``table``, held by the field ``py_name``."""

    py_name: str
    table: str
    """Qualified name."""
    start: int


QueryCommand = Literal[
    "one",
    "many",
    "exec",
    "execrows",
    "execresult",
    "execlastid",
    "copyfrom",
    "batchexec",
    "batchmany",
    "batchone",
]


@dataclass(frozen=True, slots=True)
class Query:
    """A named statement of ``schemas/queries/*.sql`` with its derived types."""

    name: str
    """As the annotation spells it (``GetAuthor``)."""
    py_name: str
    """The generated function (``get_author``)."""
    constant: str
    """The module constant holding its SQL (``GET_AUTHOR``)."""
    command: QueryCommand
    sql: str
    """The statement as it runs: verbatim but for sqlc's parameters (``$n``)
    and ``*`` (the columns it stood for)."""
    params: tuple[QueryParam, ...]
    columns: tuple[QueryColumn, ...]
    source: str
    module: str
    """The generated module of its file's queries: ``trades``."""
    row_class: str
    """The class of its result row when the row is no table's row."""
    span: Span
    doc: str = ""
    table: str = ""
    """Qualified name of the table whose row model the result reuses, when the
    result is exactly that table's columns."""
    embeds: tuple[QueryEmbed, ...] = ()
    row_guaranteed: bool = False
    """The statement always returns exactly one row (``:one`` then returns the
    row, not ``row | None``)."""
    params_class: str = ""
    """The class of one set of arguments of a batch or copy query with more
    than one parameter."""
    copy_table: str = ""
    """``:copyfrom``: the qualified table the rows go into."""
    copy_columns: tuple[str, ...] = ()
    """``:copyfrom``: the column each parameter fills, by ``$n``."""

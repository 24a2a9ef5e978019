"""Tables (and views) after replaying the migrations, and the migrations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.ir.base import Span
from generator.ir.sql import SqlType


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    py_name: str
    type: SqlType
    nullable: bool
    span: Span
    default: str | None = None
    """The default expression as SQL text (``nextval(…)`` for serial kinds)."""
    identity: Literal["", "always", "by default"] = ""
    generated: str | None = None
    """The expression of a ``GENERATED ALWAYS AS (…) STORED`` column."""
    doc: str = ""

    @property
    def writable(self) -> bool:
        """Whether INSERT and UPDATE may give it a value."""
        return self.identity != "always" and self.generated is None

    @property
    def has_default(self) -> bool:
        """Whether the server fills it in when an INSERT leaves it out."""
        return self.default is not None or self.identity == "by default"


@dataclass(frozen=True, slots=True)
class Key:
    """A primary key, unique constraint or unique index (plain columns only)."""

    name: str
    columns: tuple[str, ...]
    lookup: str = ""
    """The repository method that finds a row by this unique key
    (``get_by_email``); empty for a primary key."""


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_table: str
    """Qualified name of the referenced table."""
    ref_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    expr: str
    """The condition as SQL text (kept as metadata, not enforced in Python)."""


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    columns: tuple[str, ...]
    """Column names; an expression part is empty."""
    unique: bool = False
    partial: bool = False


TableKind = Literal["table", "view", "materialized view"]


@dataclass(frozen=True, slots=True)
class TableCache:
    """``[tool.svcforge.tables.<name>] cache = { ttl_s = ... }``: the
    repository's gets read through Redis."""

    ttl_s: int


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    module: str
    """The generated module's name: ``trades`` (``market_trades`` when two
    schemas hold a table of the same name)."""
    row_class: str
    """Singular PascalCase: ``trades`` -> ``TradeRow``."""
    insert_class: str
    repository_class: str
    columns: tuple[Column, ...]
    span: Span
    primary_key: Key | None = None
    unique_keys: tuple[Key, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[Check, ...] = ()
    indexes: tuple[Index, ...] = ()
    sources: tuple[str, ...] = ()
    """The migration files that created or changed it."""
    doc: str = ""
    kind: TableKind = "table"
    """A view or materialized view gets a row class and can be queried, but
    its repository has no insert, update or delete."""
    partitioned: bool = False
    """``PARTITION BY``: its partitions (``PARTITION OF``) are no tables of
    their own here; rows go through the parent."""
    cache: TableCache | None = None
    """Set by the manifest (``frontends.caches``), not by the migrations."""

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def writable(self) -> bool:
        return self.kind == "table"

    @property
    def key_columns(self) -> tuple[Column, ...]:
        """The primary key's columns (none without a primary key)."""
        if self.primary_key is None:
            return ()
        return tuple(self.column(c) for c in self.primary_key.columns)

    @property
    def insertable(self) -> tuple[Column, ...]:
        """The columns an INSERT may give a value (none in a view)."""
        if not self.writable:
            return ()
        return tuple(c for c in self.columns if c.writable)

    @property
    def updatable(self) -> tuple[Column, ...]:
        """The columns an UPDATE by primary key may change."""
        keys = {c.name for c in self.key_columns}
        return tuple(c for c in self.insertable if c.name not in keys)

    @property
    def upsertable(self) -> bool:
        """Whether INSERT … ON CONFLICT (primary key) DO UPDATE applies."""
        return bool(self.key_columns) and all(c.writable for c in self.key_columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Migration:
    """One file of ``schemas/tables``, applied in file-name order."""

    path: str
    sql: str


@dataclass(frozen=True, slots=True)
class SqlComposite:
    """A composite type (``CREATE TYPE name AS (...)``): a row-like class."""

    schema: str
    name: str
    py_name: str
    fields: tuple[Column, ...]
    span: Span
    doc: str = ""

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"

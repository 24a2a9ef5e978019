"""A small, mutable model of a PostgreSQL catalog that migrations are replayed
into.  Only the SQL front-end uses it; it becomes IR once every file is in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from generator.frontends.sql.source import SqlError
from generator.ir import (
    Check,
    ForeignKey,
    Index,
    Key,
    Span,
    SqlFunction,
    SqlType,
    TableKind,
)

NAMEDATALEN = 63  # PostgreSQL truncates identifiers to 63 bytes
TEMP_SCHEMA = "pg_temp"
"""Where temporary tables live: they last as long as the session that
applies the migration, so they get no row class nor repository."""


@dataclass
class CatColumn:
    name: str
    type: SqlType
    nullable: bool
    span: Span
    default: str | None = None
    identity: Literal["", "always", "by default"] = ""
    generated: str | None = None
    doc: str = ""


@dataclass
class CatTable:
    schema: str
    name: str
    span: Span
    columns: list[CatColumn] = field(default_factory=list)
    primary_key: Key | None = None
    uniques: list[Key] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    doc: str = ""
    kind: TableKind = "table"
    partitioned: bool = False
    typed: bool = True
    """False for a view whose query svcforge could not type (no row class)."""
    partition_of: str = ""
    """The parent's qualified name: a partition is no table of its own in the
    IR (rows go through the parent)."""

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"

    def find(self, name: str) -> CatColumn | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    def column(self, name: str, offset: int | None) -> CatColumn:
        c = self.find(name)
        if c is None:
            raise SqlError(
                offset,
                f'column "{name}" does not exist in table "{self.qualname}"',
                "columns: " + ", ".join(c.name for c in self.columns),
            )
        return c

    def constraint_names(self) -> set[str]:
        names = {k.name for k in self.uniques}
        names |= {f.name for f in self.foreign_keys}
        names |= {c.name for c in self.checks}
        if self.primary_key is not None:
            names.add(self.primary_key.name)
        return names


@dataclass
class CatEnum:
    schema: str
    name: str
    labels: list[str]
    span: Span
    doc: str = ""

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class CatComposite:
    schema: str
    name: str
    fields: list[CatColumn]
    span: Span
    doc: str = ""

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class CatIndex:
    schema: str
    table: str
    """Qualified name of its table."""
    index: Index
    constraint: bool = False
    """Backs a PRIMARY KEY or UNIQUE constraint (dropped with it)."""


@dataclass
class Catalog:
    schemas: set[str] = field(default_factory=lambda: {"public", TEMP_SCHEMA})
    tables: dict[str, CatTable] = field(default_factory=dict)
    enums: dict[str, CatEnum] = field(default_factory=dict)
    indexes: dict[str, CatIndex] = field(default_factory=dict)
    """By qualified index name (indexes share their schema's namespace)."""
    composites: dict[str, CatComposite] = field(default_factory=dict)
    domains: dict[str, SqlType] = field(default_factory=dict)
    """A domain is typed as its base type."""
    other_types: dict[str, SqlType] = field(default_factory=dict)
    """Types created otherwise (base types with their own I/O functions, range
    types, shells): exchanged as text."""
    sequences: set[str] = field(default_factory=set)
    extensions: set[str] = field(default_factory=set)
    dynamic: bool = False
    """A DO block ran: it may have created schemas and extensions (types)
    svcforge cannot see."""
    functions: list[SqlFunction] = field(default_factory=list)

    def type_lookup(self, names: list[str]) -> SqlType | None:
        """Types the migrations created beside enums; a table's or view's name
        is its row type.  Once the migrations create an extension, any other
        name is left to it: an opaque type."""
        if len(names) > 2:
            return None
        schema, name = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        qual = f"{schema or 'public'}.{name}"
        if qual in self.domains:
            return self.domains[qual]
        if qual in self.composites or qual in self.tables:
            return SqlType(name, composite=qual)
        if qual in self.other_types:
            return self.other_types[qual]
        if not (self.extensions or self.dynamic):  # PostgreSQL would not know it
            return None
        label = name if schema in (None, "pg_catalog") else f"{schema}.{name}"
        return SqlType(label, opaque=True)

    def qualify(self, name: str, schema: str | None, offset: int | None) -> str:
        schema = schema or "public"
        if schema not in self.schemas and self.dynamic:
            self.schemas.add(schema)  # PostgreSQL applied it: the DO block made it
        if schema not in self.schemas:
            raise SqlError(
                offset,
                f'schema "{schema}" does not exist',
                f"create it first: CREATE SCHEMA {schema};",
            )
        return f"{schema}.{name}"

    def table(self, name: str, schema: str | None, offset: int | None) -> CatTable:
        qual = f"{schema or 'public'}.{name}"
        # The session's temporary tables come first on the search path.
        t = self.tables.get(f"{TEMP_SCHEMA}.{name}") if schema is None else None
        t = t or self.tables.get(qual)
        if t is None:
            raise SqlError(offset, f'table "{qual}" does not exist')
        return t

    def relation_taken(self, qualname: str) -> bool:
        """Tables, indexes and types share one namespace per schema."""
        return (
            qualname in self.tables
            or qualname in self.indexes
            or qualname in self.enums
            or qualname in self.composites
            or qualname in self.domains
            or qualname in self.other_types
            or qualname in self.sequences
        )

    def enum_lookup(self, name: str, schema: str | None) -> str | None:
        qual = f"{schema or 'public'}.{name}"
        return qual if qual in self.enums else None

    def drop_indexes_of(self, table: CatTable) -> None:
        for name in [n for n, ix in self.indexes.items() if ix.table == table.qualname]:
            del self.indexes[name]

    def drop_key_index(self, table: CatTable, name: str) -> None:
        """The index behind a key constraint goes with the constraint."""
        self.indexes.pop(f"{table.schema}.{name}", None)

    def rename_index(self, old: str, new: str) -> None:
        """Moves the index ``old`` (a qualified name) to ``new``, if it exists."""
        ix = self.indexes.pop(old, None)
        if ix is not None:
            i = ix.index
            ix.index = Index(new.partition(".")[2], i.columns, i.unique, i.partial)
            self.indexes[new] = ix

    def move_table(self, table: CatTable, schema: str, name: str) -> None:
        """Renames or moves a table; its indexes and the foreign keys that
        reference it follow, as PostgreSQL tracks them by object, not name."""
        old = table.qualname
        del self.tables[old]
        table.schema, table.name = schema, name
        self.tables[table.qualname] = table
        for ix in self.indexes.values():
            if ix.table == old:
                ix.table = table.qualname
        for t in self.tables.values():
            t.foreign_keys = [
                ForeignKey(f.name, f.columns, table.qualname, f.ref_columns)
                if f.ref_table == old
                else f
                for f in t.foreign_keys
            ]

    def references_to(self, table: CatTable) -> list[tuple[CatTable, ForeignKey]]:
        return [
            (t, fk)
            for t in self.tables.values()
            if t is not table
            for fk in t.foreign_keys
            if fk.ref_table == table.qualname
        ]


def object_name(table: str, columns: list[str], label: str, taken: set[str]) -> str:
    """The name PostgreSQL picks for an unnamed constraint or index
    (``makeObjectName``): ``table_col1_col2_label`` cut to 63 bytes, then a
    number appended to the label until it is unique."""
    n = 0
    while True:
        suffix = label if n == 0 else f"{label}{n}"
        parts = [table, "_".join(columns)] if columns else [table]
        name = _fit(parts, suffix)
        if name not in taken:
            return name
        n += 1


def _fit(parts: list[str], label: str) -> str:
    budget = NAMEDATALEN - len(label) - len(parts)  # underscores between
    lengths = [len(p.encode()) for p in parts]
    while sum(lengths) > budget:
        i = max(range(len(lengths)), key=lambda j: lengths[j])
        lengths[i] -= 1
    cut = [
        p.encode()[:n].decode(errors="ignore")
        for p, n in zip(parts, lengths, strict=True)
    ]
    return "_".join([*cut, label])

"""PostgreSQL types: base and extra types, enum and composite types, and the
functions the migrations define."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.ir.base import Span

# PostgreSQL's own names for the supported base types (``pg_type.typname``, as
# ``information_schema.columns.udt_name`` and a prepared statement's
# description report them).
SQL_BASE_TYPES = (
    "int2",
    "int4",
    "int8",
    "float4",
    "float8",
    "numeric",
    "bool",
    "text",
    "varchar",
    "bpchar",
    "bytea",
    "uuid",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "interval",
    "json",
    "jsonb",
    "inet",
    "cidr",
)


# Types beyond the core that svcforge maps by default (``docs`` of
# ``generator/frontends/sql/type_map.py`` lists their Python types): built-in
# ones by ``pg_type.typname``, and the extension types citext, hstore, ltree
# (contrib) and vector (pgvector).
SQL_EXTRA_TYPES = (
    "money",
    "xml",
    "timetz",
    "bit",
    "varbit",
    "name",
    "oid",
    "cid",
    "xid",
    "xid8",
    "tid",
    "regclass",
    "macaddr",
    "macaddr8",
    "pg_lsn",
    "tsvector",
    "tsquery",
    "point",
    "line",
    "lseg",
    "box",
    "path",
    "polygon",
    "circle",
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "int4multirange",
    "int8multirange",
    "nummultirange",
    "tsmultirange",
    "tstzmultirange",
    "datemultirange",
    "citext",
    "hstore",
    "ltree",
    "lquery",
    "vector",
)


@dataclass(frozen=True, slots=True)
class SqlType:
    """A column or parameter type: a base type from ``SQL_BASE_TYPES`` or
    ``SQL_EXTRA_TYPES``, an enum or composite type of the service (``enum`` or
    ``composite`` is then its qualified name), or another type PostgreSQL
    accepts that svcforge passes as text (``opaque``); possibly an array of
    ``dims`` dimensions.  A domain is its base type."""

    name: str
    """``pg_type.typname`` of the element type, or the enum's name."""
    modifiers: tuple[int, ...] = ()
    """Length of varchar/char, precision and scale of numeric."""
    dims: int = 0
    enum: str = ""
    """The qualified name (``schema.name``) when the element is an enum."""
    composite: str = ""
    """The qualified name when the element is a composite type (or the row
    type of a table)."""
    python: str = ""
    """The Python annotation of the element set by ``[tool.svcforge.sql.types]``;
    empty for the default mapping."""
    opaque: bool = False
    """A type svcforge has no mapping for (an extension's, or one the
    migrations create): asyncpg exchanges it as text, a ``str``."""

    @property
    def element(self) -> SqlType:
        return SqlType(
            self.name,
            self.modifiers,
            0,
            self.enum,
            self.composite,
            self.python,
            self.opaque,
        )

    def array(self, dims: int = 1) -> SqlType:
        return SqlType(
            self.name,
            self.modifiers,
            dims,
            self.enum,
            self.composite,
            self.python,
            self.opaque,
        )

    @property
    def sql(self) -> str:
        """The type as a PostgreSQL cast would spell it."""
        base = self.enum or self.composite or _SQL_SPELLING.get(self.name, self.name)
        if self.modifiers:
            base += "(" + ", ".join(str(m) for m in self.modifiers) + ")"
        return base + "[]" * self.dims


_SQL_SPELLING = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "varchar",
    "bpchar": "char",
    "timestamptz": "timestamptz",
}


@dataclass(frozen=True, slots=True)
class SqlEnum:
    schema: str
    name: str
    py_name: str
    labels: tuple[str, ...]
    """The labels, in the enum's sort order."""
    member_names: tuple[str, ...]
    """A Python member name for each label."""
    span: Span
    doc: str = ""
    shared: str = ""
    """The full name of the Avro enum whose class this type uses (same class
    name and symbols), or empty when it has a class of its own."""

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"


SqlArgMode = Literal["in", "out", "inout", "variadic"]


@dataclass(frozen=True, slots=True)
class SqlArg:
    """A parameter of a SQL function, or a column of what it returns."""

    name: str
    """Empty for an unnamed parameter."""
    type: SqlType
    mode: SqlArgMode = "in"
    default: str | None = None
    """The default expression as SQL text (the argument may then be left out)."""


@dataclass(frozen=True, slots=True)
class SqlFunction:
    """A function or procedure the migrations create (SQL, PL/pgSQL or any
    language), as its declaration describes it.

    ``args`` lists every declared parameter in order with its mode: a call
    passes the ``in``, ``inout`` and ``variadic`` ones.  The result is either
    a scalar (``returns``) or rows of ``columns`` (``RETURNS TABLE``, several
    ``OUT``/``INOUT`` parameters, or a table's or composite type's row);
    ``returns_set`` for ``SETOF``/``RETURNS TABLE`` (usable in ``FROM``).
    ``returns`` is None and ``columns`` empty when the function returns
    ``void``, ``trigger``, an untyped ``record`` or a type svcforge cannot
    name: ``result`` keeps the declaration's text for those."""

    schema: str
    name: str
    args: tuple[SqlArg, ...]
    returns: SqlType | None
    columns: tuple[SqlArg, ...]
    returns_set: bool
    result: str
    """The return type as declared (``SETOF integer``, ``TABLE``, ``void``)."""
    language: str
    span: Span
    procedure: bool = False
    doc: str = ""

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def inputs(self) -> tuple[SqlArg, ...]:
        return tuple(a for a in self.args if a.mode != "out")

"""The one model of a service that front-ends produce and emitters consume.

Small frozen dataclasses, tuples instead of lists, no I/O and no back-references:
named types are referred to by full name through ``Ref``.  Tables, queries,
settings and channels will sit beside ``messages`` in ``Service``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PrimitiveName = Literal[
    "null", "boolean", "int", "long", "float", "double", "bytes", "string"
]
LogicalName = Literal[
    "date",
    "time-millis",
    "time-micros",
    "timestamp-millis",
    "timestamp-micros",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "uuid",
    "decimal",
]


@dataclass(frozen=True, slots=True)
class Span:
    """Where something was declared: a path relative to the service root and a
    1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col}"
        return self.path


@dataclass(frozen=True, slots=True)
class Primitive:
    name: PrimitiveName


@dataclass(frozen=True, slots=True)
class Logical:
    """A logical type over a primitive (``base``) or over a named fixed
    (``fixed``, the full name, for decimals stored in fixed)."""

    name: LogicalName
    base: PrimitiveName | None = None
    fixed: str | None = None
    precision: int = 0
    scale: int = 0


@dataclass(frozen=True, slots=True)
class Array:
    items: Type


@dataclass(frozen=True, slots=True)
class Map:
    values: Type


@dataclass(frozen=True, slots=True)
class Union:
    branches: tuple[Type, ...]

    @property
    def optional(self) -> bool:
        return any(b == NULL for b in self.branches)

    @property
    def non_null(self) -> tuple[Type, ...]:
        return tuple(b for b in self.branches if b != NULL)


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a named type (record, enum or fixed) by full name."""

    fullname: str


Type = Primitive | Logical | Array | Map | Union | Ref

NULL = Primitive("null")


class _Missing:
    """No default was declared (distinct from a declared ``null``)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    """The wire name."""
    py_name: str
    """A valid, unique Python identifier for the attribute."""
    type: Type
    span: Span
    default: JsonValue | _Missing = MISSING
    """The default as written in the schema (Avro JSON encoding)."""
    doc: str = ""
    aliases: tuple[str, ...] = ()
    order: Literal["ascending", "descending", "ignore"] = "ascending"


@dataclass(frozen=True, slots=True)
class Record:
    fullname: str
    py_name: str
    fields: tuple[Field, ...]
    span: Span
    doc: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.fullname.rpartition(".")[2]

    @property
    def namespace(self) -> str:
        return self.fullname.rpartition(".")[0]


@dataclass(frozen=True, slots=True)
class EnumSymbol:
    name: str
    py_name: str


@dataclass(frozen=True, slots=True)
class Enum:
    fullname: str
    py_name: str
    symbols: tuple[EnumSymbol, ...]
    span: Span
    default: str | None = None
    doc: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.fullname.rpartition(".")[2]

    @property
    def namespace(self) -> str:
        return self.fullname.rpartition(".")[0]


@dataclass(frozen=True, slots=True)
class Fixed:
    fullname: str
    py_name: str
    size: int
    span: Span
    logical: Logical | None = None
    doc: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.fullname.rpartition(".")[2]

    @property
    def namespace(self) -> str:
        return self.fullname.rpartition(".")[0]


NamedType = Record | Enum | Fixed


MessageKind = Literal["record", "root", "union"]


@dataclass(frozen=True, slots=True)
class Message:
    """What a message schema file sends on the wire.

    ``kind`` says what its model is: ``record``, the record ``fullname``
    (a top-level record); ``root``, a root model holding a value of ``root``
    (a file whose schema is a primitive, array, map or union, named after the
    file); ``union``, a file whose schema is a union of records only: no model
    of its own, its values are instances of the records' models
    (``root.branches``, each a ``Ref``).
    """

    fullname: str
    """The full name of its ``Record``; for a ``root`` or ``union`` message, its
    file's path under ``schemas/messages`` without the suffix, dotted
    (``shop/order_events.avsc`` -> ``shop.order_events``)."""
    source: str
    """The schema file, relative to the service root."""
    py_name: str
    """The model class (``Trade``)."""
    constant: str
    """What the codec constants are named after: ``TRADE_AVRO``, ``TRADE_JSON``,
    ``TRADE_SCHEMA``."""
    example: str
    """The example function (``example_trade``)."""
    encoding: Literal["avro", "json"] = "avro"
    kind: MessageKind = "record"
    root: Type | None = None
    """The schema of a ``root`` or ``union`` message (None for a record)."""
    json: Literal["plain", "avro"] = "plain"
    """How its JSON codec writes it: ``plain`` JSON (wire names as keys), or
    Avro's own JSON encoding (union values wrapped as ``{"<branch>": value}``)
    when plain JSON could not tell some union's branches apart."""
    module: str = "models"
    """The generated module that defines the model class."""


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    package: str
    named_types: tuple[NamedType, ...] = ()
    """Every named type of every message schema, sorted by full name."""
    messages: tuple[Message, ...] = ()
    """Top-level messages, sorted by full name."""
    sources: tuple[str, ...] = field(default=())
    """Every schema file read, relative to the service root, sorted."""
    channels: tuple[Channel, ...] = ()
    """Channels of ``[tool.svcforge.channels]``, sorted by name."""
    sql_enums: tuple[SqlEnum, ...] = ()
    """Enum types the migrations define, sorted by qualified name."""
    tables: tuple[Table, ...] = ()
    """Tables after replaying every migration, sorted by qualified name."""
    migrations: tuple[Migration, ...] = ()
    """``schemas/tables/*.sql`` in the order they apply."""
    queries: tuple[Query, ...] = ()
    """Named queries of ``schemas/queries/*.sql``, by file then position."""
    sql_composites: tuple[SqlComposite, ...] = ()
    """Composite types the migrations define, sorted by qualified name."""
    sql_functions: tuple[SqlFunction, ...] = ()
    """Functions and procedures the migrations define, sorted by qualified
    name then argument types (overloads share a name)."""
    json_models: JsonModels | None = None
    """Models of the JSON Schema messages (``schemas/messages/*.json``)."""
    json_records: tuple[Record, ...] = ()
    """The top-level properties of each JSON Schema message, as a record (for
    channel keys; none for a root model); their models come from
    ``json_models``, not from here."""
    settings: Settings | None = None
    """The service's settings (``schemas/config/*.json``), if it has any."""
    src: str = "src"
    """The folder that holds the package (``[tool.svcforge] src``)."""
    tests: str = "tests"
    """The folder of the service's tests (``[tool.svcforge] tests``)."""

    @property
    def generated_dir(self) -> str:
        """Where the generated package lives, relative to the service root."""
        return f"{self.src}/{self.package.replace('.', '/')}/generated"

    @property
    def generated_tests_dir(self) -> str:
        """Where the generated tests live, relative to the service root."""
        return f"{self.tests}/generated"

    def named(self, fullname: str) -> NamedType:
        for t in self.named_types:
            if t.fullname == fullname:
                return t
        for r in self.json_records:
            if r.fullname == fullname:
                return r
        raise KeyError(fullname)

    def record(self, fullname: str) -> Record:
        t = self.named(fullname)
        if not isinstance(t, Record):
            raise KeyError(f"{fullname} is not a record")
        return t

    def table(self, qualname: str) -> Table:
        for t in self.tables:
            if t.qualname == qualname:
                return t
        raise KeyError(qualname)

    def sql_enum(self, qualname: str) -> SqlEnum:
        for e in self.sql_enums:
            if e.qualname == qualname:
                return e
        raise KeyError(qualname)

    def sql_composite(self, qualname: str) -> SqlComposite:
        for c in self.sql_composites:
            if c.qualname == qualname:
                return c
        raise KeyError(qualname)


# --- PostgreSQL: tables (replayed migrations) and named queries ---------------

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


@dataclass(frozen=True, slots=True)
class Migration:
    """One file of ``schemas/tables``, applied in file-name order."""

    path: str
    sql: str


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


# --- Channels: messages bound to Kafka topics and Redis streams --------------

ChannelTransport = Literal["kafka", "redis"]
Compression = Literal["none", "gzip", "snappy", "lz4", "zstd"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Handler runs before a message is dead-lettered, and the backoff."""

    attempts: int = 3
    backoff_ms: int = 100
    max_backoff_ms: int = 10_000
    max_deliveries: int = 10


@dataclass(frozen=True, slots=True)
class KafkaTarget:
    topic: str
    dead_letter: str
    partitions: int | None = None
    compression: Compression | None = None


@dataclass(frozen=True, slots=True)
class RedisTarget:
    stream: str
    dead_letter: str
    maxlen: int | None = None


@dataclass(frozen=True, slots=True)
class Channel:
    """A message bound to a Kafka topic and/or a Redis stream, declared in
    ``[tool.svcforge.channels.<name>]``."""

    name: str
    py_name: str
    """The attribute of the generated ``Channels`` class."""
    constant: str
    """The module-level ``ChannelSpec`` constant (``TRADES``)."""
    message: str
    """Full name of the message's record."""
    span: Span
    kafka: KafkaTarget | None = None
    redis: RedisTarget | None = None
    key: str | None = None
    """Wire name of the key field."""
    publish: bool = True
    consume: ChannelTransport | None = None
    """The transport this service consumes the channel from, if it does."""
    group: str | None = None
    retry: RetryPolicy = RetryPolicy()
    encoding: Literal["avro", "json"] = "avro"


# --- JSON Schema messages and settings ----------------------------------------


@dataclass(frozen=True, slots=True)
class JsonMessage:
    """A JSON Schema message: the root schema of one ``schemas/messages/*.json``
    file, and the model class made of it."""

    fullname: str
    """The model's class name (JSON Schema has no namespaces)."""
    source: str
    span: Span
    example: JsonValue
    """A valid instance: the schema's first ``examples`` entry, or one built
    from its types, formats, defaults and constraints, checked against the
    schema itself."""
    doc: str = ""
    root_model: bool = False
    """The root is no object (a string, an array, a union...): the model is a
    ``RootModel`` and the message has no fields to key a channel on."""
    exact: tuple[str, ...] = ()
    """The keywords of its schema the model cannot express, sorted; when there
    are any, its codec also validates against the schema itself, starting at
    ``exact_uri`` (see ``JsonModels.resources``)."""
    exact_uri: str = ""
    forbidden: tuple[tuple[str, JsonValue], ...] = ()
    """``(keyword, instance)``: for keywords of ``exact``, an instance the
    schema forbids because of that keyword (the generated tests decode it)."""


@dataclass(frozen=True, slots=True)
class JsonResource:
    """One schema file as the exact validator reads it: as written, compact,
    under each URI a ``$ref`` may name it by."""

    uris: tuple[str, ...]
    schema: str


@dataclass(frozen=True, slots=True)
class JsonModels:
    """The JSON Schema messages of a service: the one bundled schema document
    that datamodel-code-generator turns into the models module (an emitter
    runs it), and the names svcforge decided for it."""

    bundle: JsonValue
    """Every message and definition of every file under ``$defs``, keyed by
    its class name, with every ``$ref`` pointing inside the document."""
    sources: tuple[str, ...]
    """The schema files the models come from, sorted."""
    messages: tuple[JsonMessage, ...]
    """Sorted by full name."""
    aliases: tuple[tuple[str, str], ...] = ()
    """``("Class.wire_name", attribute)``: the Python attribute of each
    top-level property of each message (``naming.field_names``), sorted."""
    resources: tuple[JsonResource, ...] = ()
    """The schema files the exact validators need, sorted by first URI."""
    module: str = "json_models"
    """The generated module that holds the models."""
    schemas: tuple[JsonSchemaDef, ...] = ()
    """The bundle the models are made of, one entry per message and
    definition, with where each was written: what ``compat`` and the AsyncAPI
    document read."""


@dataclass(frozen=True, slots=True)
class JsonSchemaDef:
    """One schema of the JSON Schema bundle: a message's root or a definition,
    with every ``$ref`` rewritten to ``#/$defs/<name>``."""

    name: str
    """Its key in the bundle's ``$defs`` (a message's is its class name)."""
    source: str
    pointer: str
    """Where it was written in ``source``: ``""`` for a message's root."""
    schema: JsonValue


SettingKind = Literal["string", "integer", "number", "boolean", "array", "group"]


@dataclass(frozen=True, slots=True)
class SettingType:
    kind: SettingKind
    format: str = ""
    """JSON Schema format of a string: date-time, date, uuid, uri, password…"""
    choices: tuple[str | int | float | bool, ...] = ()
    """The allowed values of an enum."""
    items: SettingType | None = None
    """The element type of an array."""
    group: str = ""
    """The class name of a nested group."""
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: a variable (or a nested group of them)."""

    name: str
    """The Python attribute, which is also the variable's name part."""
    type: SettingType
    span: Span
    default: JsonValue | _Missing = MISSING
    doc: str = ""
    secret: bool = False
    """``writeOnly: true`` or ``format: password``: a ``SecretStr``, never shown."""
    constraints: tuple[tuple[str, int | float | str], ...] = ()
    """Pydantic ``Field`` constraints in schema order: ``("ge", 60)``…"""
    example: JsonValue = None
    """A valid value, for the generated tests (required settings only)."""


@dataclass(frozen=True, slots=True)
class SettingsGroup:
    """A nested group of settings: a class of the generated module, or a group
    the runtime defines (``runtime`` names its module and class)."""

    py_name: str
    settings: tuple[Setting, ...]
    span: Span
    doc: str = ""
    runtime: str = ""
    """``svcforge.messaging:KafkaSettings`` for a group defined by the runtime."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The service's settings class: its own settings from the config schemas,
    then one group per runtime part the service uses."""

    env_prefix: str
    """``ACCOUNTS_``: put before every variable name."""
    root: SettingsGroup
    groups: tuple[SettingsGroup, ...]
    """Every nested group, the generated ones in definition order (a group
    before the groups that hold it) and then the runtime's."""
    sources: tuple[str, ...]

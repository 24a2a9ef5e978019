"""Python-safe, unique, stable names for things named in schemas.

Wire names are kept for the wire (aliases); only the Python side is renamed.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

# Attributes of pydantic.BaseModel a field must not shadow.
_MODEL_ATTRS = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "fields",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    }
)
# Names that field annotations and defaults refer to inside a class body: a
# field of that name would shadow them for the fields after it.
_TYPE_NAMES = frozenset(
    {"bool", "bytes", "date", "datetime", "dict", "float", "int", "list", "str", "time"}
)
# Names pycodestyle rejects (E741, E742) because they look like 1 and 0.
_AMBIGUOUS = frozenset({"I", "O", "l"})
# Names the generated modules import; a class must not take them.
RESERVED_CLASS_NAMES = frozenset(
    {
        "Annotated",
        "Any",
        "AvroCodec",
        "AvroJsonCodec",
        "AwareDatetime",
        "BaseModel",
        "ConfigDict",
        "DecodeError",
        "Decimal",
        "Field",
        "Final",
        "Int32",
        "Int64",
        "JsonCodec",
        "NaiveDatetime",
        "MessageUnion",
        "SchemaModel",
        "SchemaRootModel",
        "StrEnum",
        "TypeAlias",
        "UTC",
        "UUID",
        "UnknownSchemaError",
        "date",
        "datetime",
        "time",
        "timezone",
    }
)
# Enum attributes and the methods of ``str`` (enums are ``StrEnum``): a member
# may not shadow them.  Spelled out so the output does not depend on the
# Python version that runs the generator.
_ENUM_RESERVED = frozenset(
    {
        "name",
        "value",
        "mro",
        "capitalize",
        "casefold",
        "center",
        "count",
        "encode",
        "endswith",
        "expandtabs",
        "find",
        "format",
        "format_map",
        "index",
        "isalnum",
        "isalpha",
        "isascii",
        "isdecimal",
        "isdigit",
        "isidentifier",
        "islower",
        "isnumeric",
        "isprintable",
        "isspace",
        "istitle",
        "isupper",
        "join",
        "ljust",
        "lower",
        "lstrip",
        "maketrans",
        "partition",
        "removeprefix",
        "removesuffix",
        "replace",
        "rfind",
        "rindex",
        "rjust",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "translate",
        "upper",
        "zfill",
    }
)

_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_NOT_IDENT = re.compile(r"[^0-9A-Za-z_]")


def snake_case(name: str) -> str:
    """``bidPrice`` -> ``bid_price``; ``HTTPStatus`` -> ``http_status``."""
    text = _NOT_IDENT.sub("_", name)
    text = _CAMEL_1.sub(r"\1_\2", text)
    text = _CAMEL_2.sub(r"\1_\2", text)
    return re.sub(r"_+", "_", text).lower()


def pascal_case(name: str) -> str:
    """``order_book`` -> ``OrderBook``; an already PascalCase name is kept."""
    parts = [p for p in _NOT_IDENT.sub("_", name).split("_") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts)


def _ident(text: str, fallback: str, *, squeeze: bool = False) -> str:
    """``text`` with what a Python name cannot hold replaced by ``_``;
    ``fallback`` when nothing is left, and in front of a leading digit.
    ``squeeze`` also folds runs of ``_`` into one and trims them at the ends
    (SQL names, where any punctuation separates words)."""
    text = _NOT_IDENT.sub("_", text)
    if squeeze:
        text = re.sub(r"_+", "_", text).strip("_")
    if not text or text.strip("_") == "":
        text = fallback
    if text[0].isdigit():
        text = f"{fallback}_{text}"
    return text


def _unique(base: str, taken: set[str], *, double_underscore: bool = False) -> str:
    """``base``, else ``base_2``, ``base_3``…: the first name not in ``taken``,
    which then holds it.  A base ending in ``_`` takes the bare number
    (``class_2``), unless ``double_underscore`` (SQL names: ``class__2``)."""
    name, n = base, 2
    while name in taken:
        bare = base.endswith("_") and not double_underscore
        name = f"{base}{n}" if bare else f"{base}_{n}"
        n += 1
    taken.add(name)
    return name


def _field_base(wire: str) -> str:
    name = _ident(snake_case(wire), "field")
    name = name.lstrip("_") or "field"
    if name[0].isdigit():
        name = f"field_{name}"
    if (
        keyword.iskeyword(name)
        or keyword.issoftkeyword(name)
        or name in _MODEL_ATTRS
        or name in _TYPE_NAMES
        or name in _AMBIGUOUS
        or name.startswith("model_")
    ):
        name += "_"
    return name


def field_names(wire_names: Iterable[str]) -> list[str]:
    """Python attribute names for the fields of one record, in order.

    Models accept both names when validating, so an attribute never takes the
    wire name of another field: a field whose wire name is already a good
    attribute name keeps it, and the others get a suffix.
    """
    wires = list(wire_names)
    bases = [_field_base(w) for w in wires]
    taken = set(wires)
    return [
        base if base == wire else _unique(base, taken)
        for wire, base in zip(wires, bases, strict=True)
    ]


def enum_member_names(symbols: Iterable[str]) -> list[str]:
    """Python member names for enum symbols (Avro symbols are identifiers)."""
    taken: set[str] = set()
    out = []
    for symbol in symbols:
        name = _ident(symbol, "VALUE")
        if name.startswith("_"):
            name = "V" + name
        if keyword.iskeyword(name) or name in _ENUM_RESERVED | _AMBIGUOUS:
            name += "_"
        out.append(_unique(name, taken))
    return out


def class_names(fullnames: Iterable[str]) -> dict[str, str]:
    """Class names for named types, unique within a service.

    The short name is used as is (PascalCased); when two namespaces define the
    same short name, each gets its namespace's last part as prefix.  Names
    also differ once snake-cased (``HTTPStatus``, ``HttpStatus``), since the
    codec constants and example functions are named from that.
    """
    fullnames = sorted(fullnames)
    by_short: dict[str, list[str]] = {}
    for full in fullnames:
        by_short.setdefault(pascal_case(full.rpartition(".")[2]) or "Type", []).append(
            full
        )
    taken: set[str] = set()
    snakes: set[str] = set()
    out: dict[str, str] = {}
    for short, fulls in sorted(by_short.items()):
        for full in fulls:
            base = short
            if len(fulls) > 1:
                ns = full.rpartition(".")[0]
                base = pascal_case(ns.rpartition(".")[2] or "default") + short
            base = _ident(base, "Type")
            if base[0] == "_":
                base = "T" + base
            if base in RESERVED_CLASS_NAMES | _AMBIGUOUS or keyword.iskeyword(base):
                base += "Type"
            name, n = base, 2
            while name in taken or snake_case(name) in snakes:
                name = f"{base}_{n}"
                n += 1
            taken.add(name)
            snakes.add(snake_case(name))
            out[full] = name
    return out


class MessageNames(NamedTuple):
    constant: str
    example: str


def message_names(class_name: str) -> MessageNames:
    """The codec constant stem (``TRADE`` for ``TRADE_AVRO``) and the example
    function of a message's model class.  ``class_names`` keeps class names
    distinct once snake-cased, so these are distinct too."""
    snake = snake_case(class_name)
    return MessageNames(constant=snake.upper(), example=f"example_{snake}")


def module_name(name: str) -> str:
    """A Python module/package name from a service or file name."""
    return _ident(snake_case(name), "service").lstrip("_") or "service"


# --- SQL: tables, columns, enum types and named queries ------------------------
# The SQL front-end stores these names in the IR; emitters only read them.

# Fields of the row and insert classes: an insert row's defaults are class
# attributes, so a field must not take the name of a type the generated
# modules annotate with.  ``count`` and ``index`` (tuple methods, from when
# rows were tuples) stay reserved so that generated names do not change.
# ``row`` is the local variable of the repository methods that take columns.
_SQL_RESERVED_FIELDS = frozenset(
    {
        "count",
        "index",
        "row",
        "self",
        "cls",
        "date",
        "time",
        "datetime",
        "timedelta",
        "Decimal",
        "UUID",
        "Any",
        "Final",
        "NamedTuple",
        "JsonValue",
        "IPv4Address",
        "IPv6Address",
        "IPv4Interface",
        "IPv6Interface",
        "IPv4Network",
        "IPv6Network",
        "bool",
        "bytes",
        "float",
        "int",
        "str",
        "list",
        "dict",
    }
)
# A query function's parameters sit beside ``db``, the annotations and the
# function's own local names.
_SQL_RESERVED_PARAMS = frozenset(
    {
        "db",
        "self",
        "date",
        "time",
        "datetime",
        "timedelta",
        "Decimal",
        "UUID",
        "list",
        "int",
        "str",
        "bool",
        "bytes",
        "float",
        "dict",
    }
) | {"value", "row", "rows", "status", "record", "out", "item"}
# Modules ``generated/db/`` holds beside one module per table.
_SQL_RESERVED_MODULES = frozenset({"enums", "migrations", "__init__"})


class TableNames(NamedTuple):
    module: str
    row_class: str
    insert_class: str
    repository_class: str


def sql_table_names(tables: Sequence[tuple[str, str]]) -> list[TableNames]:
    """Names for tables given as (schema, name), in order.

    A table is named by its own name (``trade_fills`` -> module
    ``trade_fills``, class ``TradeFill``); when two schemas hold tables that
    would share a module or a class name, the schema comes in front.  Names
    that still collide (``"Users"``, ``users`` and ``"USERS"`` in one schema)
    are numbered, the table whose name is the module's keeping it as is.
    """
    names = Counter(name for _, name in tables)
    stems = Counter(_class_stem(name) for _, name in tables)
    modules, classes = [], []
    for schema, name in tables:
        module = _sql_module(f"{schema}_{name}" if names[name] > 1 else name)
        if module in _SQL_RESERVED_MODULES:
            module += "_table"
        stem = _class_stem(name)
        if stems[stem] > 1 and schema != "public":
            stem = pascal_case(schema) + stem
        modules.append(module)
        classes.append(stem)
    plain = [name for _, name in tables]
    modules = _numbered(modules, plain, "_")
    classes = _numbered(classes, plain, "")
    return [
        TableNames(m, f"{c}Row", f"{c}Insert", f"{c}Repository")
        for m, c in zip(modules, classes, strict=True)
    ]


def _numbered(names: list[str], plain: list[str], sep: str) -> list[str]:
    """``names`` made unique: a name taken by several gets a number (from 2)
    on all but one of them, the one whose own name is all lower case if any
    (else the first)."""
    counts = Counter(names)
    taken = set(names)
    out = list(names)
    for name in [n for n in counts if counts[n] > 1]:
        at = [i for i, n in enumerate(names) if n == name]
        keep = next((i for i in at if plain[i] == plain[i].lower()), at[0])
        n = 2
        for i in at:
            if i == keep:
                continue
            while f"{name}{sep}{n}" in taken:
                n += 1
            out[i] = f"{name}{sep}{n}"
            taken.add(out[i])
    return out


# Names the ``generated/db`` modules import beside enum and composite classes.
_SQL_RESERVED_CLASSES = RESERVED_CLASS_NAMES | {"EnumType", "NamedTuple", "Range"}


def sql_enum_classes(enums: Sequence[tuple[str, str]]) -> list[str]:
    """Class names for enum types given as (schema, name), in order; the
    schema comes in front when two schemas define the same name."""
    counts = Counter(name for _, name in enums)
    out = []
    for schema, name in enums:
        cls = pascal_case(name) or "Enum"
        if counts[name] > 1 and schema != "public":
            cls = pascal_case(schema) + cls
        cls = cls if cls[0].isalpha() else f"E{cls}"
        out.append(cls + "Enum" if cls in _SQL_RESERVED_CLASSES else cls)
    return _numbered(out, [n for _, n in enums], "")


def sql_composite_classes(
    composites: Sequence[tuple[str, str]], enums: Sequence[tuple[str, str]]
) -> list[str]:
    """Class names for composite types, which sit beside the enum classes."""
    taken = set(sql_enum_classes(sorted(enums)))
    out = []
    for schema, name in composites:
        cls = pascal_case(name) or "Composite"
        cls = cls if cls[0].isalpha() else f"C{cls}"
        if cls in _SQL_RESERVED_CLASSES or cls in taken:
            cls = pascal_case(schema) + cls
        while cls in _SQL_RESERVED_CLASSES or cls in taken:
            cls += "Type"
        taken.add(cls)
        out.append(cls)
    return out


def sql_field_names(
    columns: Iterable[str], reserved: frozenset[str] = _SQL_RESERVED_FIELDS
) -> list[str]:
    """Valid, unique attribute names for columns, in order."""
    taken: set[str] = set()
    out = []
    for col in columns:
        base = _ident(snake_case(col), "column", squeeze=True)
        if keyword.iskeyword(base) or base in reserved:
            base += "_"
        out.append(_unique(base, taken, double_underscore=True))
    return out


def sql_param_names(names: Iterable[str]) -> list[str]:
    """Valid, unique parameter names of a query function, in order."""
    return sql_field_names(names, _SQL_RESERVED_PARAMS)


def sql_member_names(labels: Iterable[str]) -> list[str]:
    """``crypto-spot`` -> ``CRYPTO_SPOT``, unique within the enum."""
    taken: set[str] = set()
    out = []
    for label in labels:
        base = _ident(snake_case(label).upper(), "VALUE", squeeze=True)
        if keyword.iskeyword(base):
            base += "_"
        out.append(_unique(base, taken, double_underscore=True))
    return out


def sql_lookup(key_fields: Iterable[str]) -> str:
    """The repository method that finds a row by a unique key, from the
    fields of its columns: ``get_by_symbol_and_venue``."""
    return "get_by_" + "_and_".join(f.rstrip("_") for f in key_fields)


def sql_query_module(path: str) -> str:
    """The module of the named queries of one file: ``queries/trades.sql`` ->
    ``trades``."""
    return _sql_module(path.rpartition("/")[2].removesuffix(".sql"))


def plural(name: str) -> str:
    """The name of a list parameter (``kind = ANY($1)`` -> ``kinds``)."""
    if not name:
        return ""
    if name.endswith("y") and name[-2:-1] not in ("a", "e", "i", "o", "u"):
        return name[:-1] + "ies"
    return name + ("es" if name.endswith(("s", "x", "z", "ch", "sh")) else "s")


# Names a module of named queries uses beside its functions: the annotations'
# builtins and what it imports.
_SQL_RESERVED_FUNCTIONS = (
    _SQL_RESERVED_FIELDS
    | {"tuple", "object", "type", "dataclass", "starmap"}
    | {"Executor", "Iterable", "returned", "Inet", "Cidr"}
)


class QueryNames(NamedTuple):
    py_name: str
    """The function: ``GetAuthor`` and ``get_author`` -> ``get_author``."""
    constant: str
    row_class: str
    params_class: str


def sql_query_names(
    queries: Iterable[str], taken_classes: Iterable[str] = ()
) -> list[QueryNames]:
    """Names for the queries of one file, in order (sqlc's CamelCase names
    become snake_case functions).  Two queries whose functions would share a
    name get the same names: the front-end reports that as a duplicate.
    ``taken_classes`` are the classes the module imports (tables' rows)."""
    taken = set(taken_classes)
    out = []
    for query in queries:
        base = _ident(snake_case(query), "query", squeeze=True)
        if keyword.iskeyword(base) or base in _SQL_RESERVED_FUNCTIONS:
            base += "_"
        stem = pascal_case(base) or "Query"
        row, params = f"{stem}Row", f"{stem}Params"
        if row in taken:
            row = f"{stem}Result"
        out.append(QueryNames(base, base.upper(), row, params))
    return out


def sql_embed_field(row_class: str) -> str:
    """The field of a result row holding a table's row (``sqlc.embed``):
    ``AuthorRow`` -> ``author``."""
    return _ident(snake_case(row_class.removesuffix("Row")), "row", squeeze=True)


def _sql_module(name: str) -> str:
    return _ident(snake_case(name), "table", squeeze=True)


def _class_stem(table: str) -> str:
    """``trade_fills`` -> ``TradeFill``."""
    stem = pascal_case(_ident(_singular(table), "row", squeeze=True)) or "Row"
    return stem if not stem[0].isdigit() else f"T{stem}"


def _singular(name: str) -> str:
    """``trades`` -> ``trade``, ``entries`` -> ``entry``, ``boxes`` -> ``box``;
    words that do not look like English plurals are kept."""
    low = name.lower()
    if low.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if re.search(r"(ss|sh|ch|x|z)es$", low):
        return name[:-2]
    if low.endswith(("ss", "us", "is", "ics")) or not low.endswith("s"):
        return name
    return name[:-1]


# --- Channels -----------------------------------------------------------------
# (Kept at the end of the module: other sections change in parallel.)

# Names a channel attribute must not take: the ``messaging`` hub of the
# generated ``Channels`` class, and names the generated channels code already
# gives other meanings (``spec``, ``name``).
_CHANNEL_RESERVED = frozenset({"messaging", "spec", "name"})


def _channel_base(name: str) -> str:
    base = _ident(snake_case(name).lstrip("_"), "channel")
    if keyword.iskeyword(base) or base in _CHANNEL_RESERVED:
        base += "_"
    return base


def channel_constants(
    attributes: dict[str, str], taken: Iterable[str]
) -> dict[str, str]:
    """The ``ChannelSpec`` constant of each channel, by channel name, from its
    attribute (``trades`` -> ``TRADES``); ``taken`` are the other names of the
    channels module (codec constants, model classes), which a constant must
    not shadow (``TRADES_CHANNEL`` then)."""
    used = set(taken) | {"ALL", "CATALOG"}
    out = {}
    for name, attr in sorted(attributes.items()):
        base = attr.upper()
        if base in used:
            base += "_CHANNEL"
        out[name] = _unique(base, used)
    return out


def channel_names(names: Iterable[str]) -> dict[str, str]:
    """Attribute names of the generated ``Channels`` class, by channel name.

    ``order-books`` becomes ``order_books``; a channel whose name already is
    its attribute name keeps it, and one that would take a name already taken
    (``OrderBooks`` beside ``order_books``) gets a suffix.  Names are given in
    sorted order, so the same channels always get the same attributes.
    """
    ordered = sorted(set(names))
    bases = {name: _channel_base(name) for name in ordered}
    taken = {name for name in ordered if bases[name] == name}
    return {
        name: name if bases[name] == name else _unique(bases[name], taken)
        for name in ordered
    }

"""Names of tables, columns, enum and composite types and named queries: the
SQL front-end stores them in the IR; emitters only read them."""

from __future__ import annotations

import keyword
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from generator.naming.messages import RESERVED_CLASS_NAMES
from generator.naming.words import identifier, pascal_case, snake_case, unique

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
        for i in at:
            if i != keep:
                out[i] = unique(name, taken, sep=sep, double_underscore=True)
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
        if cls in _SQL_RESERVED_CLASSES:
            cls += "Type"
        out.append(unique(cls, taken, sep=""))
    return out


def sql_field_names(
    columns: Iterable[str], reserved: frozenset[str] = _SQL_RESERVED_FIELDS
) -> list[str]:
    """Valid, unique attribute names for columns, in order."""
    taken: set[str] = set()
    out = []
    for col in columns:
        base = identifier(snake_case(col), "column", squeeze=True)
        if keyword.iskeyword(base) or base in reserved:
            base += "_"
        out.append(unique(base, taken, double_underscore=True))
    return out


def sql_param_names(names: Iterable[str]) -> list[str]:
    """Valid, unique parameter names of a query function, in order."""
    return sql_field_names(names, _SQL_RESERVED_PARAMS)


def sql_member_names(labels: Iterable[str]) -> list[str]:
    """``crypto-spot`` -> ``CRYPTO_SPOT``, unique within the enum."""
    taken: set[str] = set()
    out = []
    for label in labels:
        base = identifier(snake_case(label).upper(), "VALUE", squeeze=True)
        if keyword.iskeyword(base):
            base += "_"
        out.append(unique(base, taken, double_underscore=True))
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
        base = identifier(snake_case(query), "query", squeeze=True)
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
    return identifier(snake_case(row_class.removesuffix("Row")), "row", squeeze=True)


def _sql_module(name: str) -> str:
    """A module name: ``from .db.<module> import ...`` must parse, so a
    keyword (a table named ``and``) takes a trailing underscore."""
    module = identifier(snake_case(name), "table", squeeze=True)
    return module + "_" if keyword.iskeyword(module) else module


def _class_stem(table: str) -> str:
    """``trade_fills`` -> ``TradeFill``."""
    stem = pascal_case(identifier(_singular(table), "row", squeeze=True)) or "Row"
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

"""PostgreSQL type names (pglast ``TypeName`` nodes) -> ``ir.SqlType``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast

from generator.frontends.sql.source import SqlError
from generator.ir import SQL_BASE_TYPES, SQL_EXTRA_TYPES, SqlType

# What users write (lower case, unqualified) -> pg_type.typname.  The parser
# already turns the SQL-standard spellings (integer, double precision,
# character varying, timestamp with time zone, ...) into pg_catalog names.
_ALIASES = {
    "smallint": "int2",
    "integer": "int4",
    "int": "int4",
    "bigint": "int8",
    "real": "float4",
    "double precision": "float8",
    "decimal": "numeric",
    "boolean": "bool",
    "character varying": "varchar",
    "character": "bpchar",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "bit varying": "varbit",
}
_KNOWN = frozenset(SQL_BASE_TYPES) | frozenset(SQL_EXTRA_TYPES)
SERIALS = {
    "smallserial": "int2",
    "serial2": "int2",
    "serial": "int4",
    "serial4": "int4",
    "bigserial": "int8",
    "serial8": "int8",
}
_KEEP_MODIFIERS = frozenset(
    {
        "varchar",
        "bpchar",
        "numeric",
        "time",
        "timestamp",
        "timestamptz",
        "timetz",
        "bit",
        "varbit",
        "vector",
    }
)

SUPPORTED_HINT = (
    "supported: smallint, integer, bigint, smallserial, serial, bigserial, real, "
    "double precision, numeric(p,s), boolean, text, varchar(n), char(n), bytea, "
    "uuid, date, time, timestamp, timestamptz, interval, json, jsonb, inet, cidr, "
    "the other built-in types, citext, hstore, ltree, vector, arrays of these, and "
    "the enum, composite and domain types the migrations create (an extension's "
    "types once the migrations CREATE EXTENSION it)"
)

EnumLookup = Callable[[str, str | None], str | None]
"""(name, schema or None) -> the enum's qualified name, or None."""

TypeLookup = Callable[[list[str]], SqlType | None]
"""A type name as written (its dotted parts) -> the type it stands for, for
the types migrations create beside enums (domains, composite types, tables'
row types, others) and the ones they leave to extensions; None if unknown."""


def type_label(names: list[str]) -> str:
    """How the user would recognise the type in a message."""
    if len(names) == 2 and names[0] == "pg_catalog":
        return names[1]
    return ".".join(names)


def _names(tn: Any) -> list[str]:
    return [str(n.sval) for n in tn.names or () if isinstance(n, ast.String)]


def sql_type(
    tn: Any, enums: EnumLookup, types: TypeLookup | None = None
) -> tuple[SqlType, bool]:
    """The type, and whether it was a serial kind (which implies NOT NULL and
    a sequence default).  Raises ``SqlError`` for anything unsupported;
    ``types`` resolves the names that are no base type nor enum."""
    names = _names(tn)
    where = tn.location
    if tn.setof or tn.pct_type:
        raise SqlError(where, f"unsupported type {type_label(names)!r} (%TYPE/SETOF)")
    dims = len(tn.arrayBounds or ())
    base, serial = _base_name(names)
    if base is None and types is not None:
        found = _other_type(names, enums, types)
        if found is not None:
            return found.array(found.dims + dims), False
    if base is None:
        schema, name = (names[0], names[1]) if len(names) == 2 else (None, names[-1])
        qualname = enums(name, schema) if len(names) <= 2 else None
        if qualname is None:
            known = "" if schema in (None, "pg_catalog") else " (no such enum type)"
            raise SqlError(
                where,
                f'unsupported column type "{type_label(names)}"{known}',
                SUPPORTED_HINT,
            )
        if tn.typmods:
            raise SqlError(where, f"enum type {qualname!r} takes no modifiers")
        return SqlType(qualname.rpartition(".")[2], (), dims, qualname), False
    if serial and dims:
        raise SqlError(where, f"{names[-1]} cannot be an array")
    return SqlType(base, _modifiers(base, tn), dims), serial


def _other_type(
    names: list[str], enums: EnumLookup, types: TypeLookup
) -> SqlType | None:
    if len(names) <= 2:
        schema, name = (names[0], names[1]) if len(names) == 2 else (None, names[-1])
        if enums(name, schema) is not None:
            return None  # sql_type types enums itself
    return types(names)


def _base_name(names: list[str]) -> tuple[str | None, bool]:
    if not names:
        return None, False
    if len(names) == 2 and names[0] == "pg_catalog":
        name = names[1]
    elif len(names) == 1:
        name = names[0].lower()
    elif len(names) == 2 and names[1] in _EXTENSION_TYPES:
        name = names[1]  # an extension's type, in the schema it was created in
    else:
        return None, False
    if name in SERIALS:
        return SERIALS[name], True
    name = _ALIASES.get(name, name)
    return (name, False) if name in _KNOWN else (None, False)


_EXTENSION_TYPES = frozenset({"citext", "hstore", "ltree", "lquery", "vector"})


def _modifiers(base: str, tn: Any) -> tuple[int, ...]:
    if base not in _KEEP_MODIFIERS or not tn.typmods:
        return ()
    values = []
    for m in tn.typmods:
        if not (isinstance(m, ast.A_Const) and isinstance(m.val, ast.Integer)):
            raise SqlError(tn.location, f"type modifiers of {base} must be integers")
        values.append(int(m.val.ival or 0))
    if base == "numeric" and len(values) == 1:
        values.append(0)  # numeric(p) is numeric(p, 0)
    return tuple(values)

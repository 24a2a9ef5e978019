"""PostgreSQL's built-in types, casts, functions and operators, as its own
``pg_catalog`` describes them (``pg_catalog.txt``, written from a real server
by ``tests/pg_catalog_dump.py``), and the types of a service beside them.

Types are named by a key: ``pg_type.typname`` (``int4``), ``int4[]`` for an
array (PostgreSQL's array types do not count dimensions), an enum's qualified
name (``public.mood``).  ``None`` stands for PostgreSQL's ``unknown``: a
parameter or a literal whose type its context decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources

from generator import ir

POLYMORPHIC = frozenset(
    {
        "anyelement",
        "anyarray",
        "anynonarray",
        "anyenum",
        "anyrange",
        "anymultirange",
        "anycompatible",
        "anycompatiblearray",
        "anycompatiblenonarray",
        "anycompatiblerange",
        "anycompatiblemultirange",
    }
)


@dataclass(frozen=True, slots=True)
class PgType:
    key: str
    category: str
    """``pg_type.typcategory``: N numeric, S string, A array, E enum, ..."""
    preferred: bool = False
    element: str = ""
    """The element type of an array type."""


@dataclass(frozen=True, slots=True)
class PgFunction:
    name: str
    args: tuple[str, ...]
    result: str
    kind: str = "f"
    """``f`` function, ``a`` aggregate, ``w`` window function, ``o`` operator."""
    retset: bool = False
    strict: bool = True
    variadic: str = ""
    """The element type of a ``VARIADIC`` last parameter (``any`` for
    ``VARIADIC "any"``)."""
    defaults: int = 0
    outs: tuple[tuple[str, str], ...] = ()
    """The columns of a ``record`` result (OUT parameters, RETURNS TABLE), or
    the one that names a scalar result."""
    argnames: tuple[str, ...] = ()
    created: bool = False
    """Created by the migrations: its body is not read, so its result may be
    NULL whatever its arguments."""


@dataclass
class Catalog:
    """Types, casts, functions and operators: the built-in ones, with those
    of some extensions."""

    types: dict[str, PgType] = field(default_factory=dict)
    casts: dict[tuple[str, str], str] = field(default_factory=dict)
    """(source, target) -> ``i`` (implicit) or ``a`` (assignment)."""
    ranges: dict[str, str] = field(default_factory=dict)
    """Range and multirange types -> their element type."""
    functions: dict[str, list[PgFunction]] = field(default_factory=dict)
    operators: dict[str, list[PgFunction]] = field(default_factory=dict)
    """Binary operators take two args, prefix operators one."""
    relations: dict[str, tuple[tuple[str, str, bool], ...]] = field(
        default_factory=dict
    )
    """The system catalogs and views (``pg_class``, ``pg_stat_activity``):
    their columns as (name, type key, nullable)."""

    def add(self, other: Catalog) -> None:
        self.types.update(other.types)
        self.casts.update(other.casts)
        self.ranges.update(other.ranges)
        self.relations.update(other.relations)
        for name, fs in other.functions.items():
            self.functions.setdefault(name, []).extend(fs)
        for name, ops in other.operators.items():
            self.operators.setdefault(name, []).extend(ops)

    def type_info(self, key: str) -> PgType:
        """What resolution needs to know of a type: built-in ones from the
        catalog; an array of any type is an array; an enum is an enum; any
        other type (an extension's not in the catalog) is user-defined."""
        known = self.types.get(key)
        if known is not None:
            return known
        if key.endswith("[]"):
            return PgType(key, "A", element=key[:-2])
        if "." in key:
            return PgType(key, "E")
        return PgType(key, "U")


EXTENSIONS_OF_TYPES = {
    "citext": "citext",
    "hstore": "hstore",
    "ltree": "ltree",
    "vector": "vector",
}
"""Extension types a column may have -> the extension that defines them."""


@cache
def _sections() -> tuple[Catalog, dict[str, Catalog]]:
    """The built-in catalog, and each extension's."""
    # pg_extensions.txt: extensions the test server lacks (pgvector), read
    # from their install scripts; its sections follow the built-in ones.
    files = resources.files(__package__)
    text = "".join(
        (files / name).read_text("utf-8")
        for name in ("pg_catalog.txt", "pg_extensions.txt")
    )
    base = Catalog()
    extensions: dict[str, Catalog] = {}
    section = base
    rows = [line.split(" ") for line in text.splitlines() if line[:1] != "#"]
    # Array types are named _<element> (int2vector and oidvector are
    # category A too, but types of their own).
    arrays = {r[1]: r[5] for r in rows if r[0] == "T" and r[1].startswith("_")}

    def key(name: str) -> str:
        return f"{arrays[name]}[]" if name in arrays else name

    for r in rows:
        match r[0]:
            case "X":
                section = extensions.setdefault(r[1], Catalog())
            case "T":
                element = key(r[5]) if r[1] in arrays else ""
                t = PgType(key(r[1]), r[2], r[3] == "1", element)
                section.types[t.key] = t
            case "C":
                section.casts[(key(r[1]), key(r[2]))] = r[3]
            case "R":
                section.ranges[r[1]] = section.ranges[r[3]] = r[2]
            case "F":
                section.functions.setdefault(r[1], []).append(_function(r, key))
            case "V":
                section.relations[r[1]] = tuple(
                    (name, key(typ), notnull != "1")
                    for name, typ, notnull in (c.split(":") for c in r[2].split(","))
                )
            case "O":
                args = (key(r[3]),) if r[2] == "-" else (key(r[2]), key(r[3]))
                op = PgFunction(r[1], args, key(r[4]), "o", strict=r[5] == "1")
                section.operators.setdefault(r[1], []).append(op)
    return base, extensions


@cache
def catalog(extensions: frozenset[str] = frozenset()) -> Catalog:
    """The built-in catalog with these extensions' (those svcforge knows)."""
    base, known = _sections()
    out = Catalog()
    out.add(base)
    for name in sorted(extensions):
        if name in known:
            out.add(known[name])
    return out


def builtins() -> Catalog:
    return catalog()


def _function(r: list[str], key: Callable[[str], str]) -> PgFunction:
    outs = () if r[9] == "-" else tuple(_out(o, key) for o in r[9].split(","))
    return PgFunction(
        name=r[1],
        args=() if r[8] == "-" else tuple(key(a) for a in r[8].split(",")),
        result=key(r[7]),
        kind=r[2],
        retset=r[3] == "1",
        strict=r[4] == "1",
        variadic="" if r[5] == "-" else key(r[5]),
        defaults=int(r[6]),
        outs=outs,
        argnames=() if r[10] == "-" else tuple(r[10].split(",")),
    )


def _out(text: str, key: Callable[[str], str]) -> tuple[str, str]:
    name, _, typ = text.partition(":")
    return name, key(typ)


# --- types of the service beside the built-in ones ----------------------------


def type_key(t: ir.SqlType) -> str:
    base = t.enum or t.composite or t.name
    return f"{base}[]" if t.dims else base


def sql_type(key: str, like: ir.SqlType | None = None) -> ir.SqlType:
    """The IR type of a key.  ``like``, an argument of that type, lends it
    what a key does not say (array dimensions, and whatever else the IR
    records of the type), without length or precision: PostgreSQL's
    functions and operators return none."""
    if like is not None and type_key(like) == key:
        return replace(like, modifiers=())
    dims = 0
    if key.endswith("[]"):
        key = key[:-2]
        dims = like.dims if like is not None and like.dims else 1
    if "." in key:
        return ir.SqlType(key.rpartition(".")[2], (), dims, key)
    return ir.SqlType(key, (), dims)

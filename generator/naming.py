"""Python-safe, unique, stable names for things named in schemas.

Wire names are kept for the wire (aliases); only the Python side is renamed.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable

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
        "SchemaModel",
        "StrEnum",
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


def _ident(text: str, fallback: str) -> str:
    text = _NOT_IDENT.sub("_", text)
    if not text or text.strip("_") == "":
        text = fallback
    if text[0].isdigit():
        text = f"{fallback}_{text}"
    return text


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name = f"{base}{n}" if base.endswith("_") else f"{base}_{n}"
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


def module_name(name: str) -> str:
    """A Python module/package name from a service or file name."""
    return _ident(snake_case(name), "service").lstrip("_") or "service"


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

"""Names of messages and their types: classes, fields, enum members, codec
constants and example functions (Avro and JSON Schema alike)."""

from __future__ import annotations

import keyword
from collections.abc import Iterable
from typing import NamedTuple

from generator.naming.words import identifier, pascal_case, snake_case, unique

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


def _field_base(wire: str) -> str:
    name = identifier(snake_case(wire), "field")
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
        base if base == wire else unique(base, taken)
        for wire, base in zip(wires, bases, strict=True)
    ]


def enum_member_names(symbols: Iterable[str]) -> list[str]:
    """Python member names for enum symbols (Avro symbols are identifiers)."""
    taken: set[str] = set()
    out = []
    for symbol in symbols:
        name = identifier(symbol, "VALUE")
        if name.startswith("_"):
            name = "V" + name
        if keyword.iskeyword(name) or name in _ENUM_RESERVED | _AMBIGUOUS:
            name += "_"
        out.append(unique(name, taken))
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
    snakes: set[str] = set()
    out: dict[str, str] = {}
    for short, fulls in sorted(by_short.items()):
        for full in fulls:
            base = short
            if len(fulls) > 1:
                ns = full.rpartition(".")[0]
                base = pascal_case(ns.rpartition(".")[2] or "default") + short
            base = identifier(base, "Type")
            if base[0] == "_":
                base = "T" + base
            if base in RESERVED_CLASS_NAMES | _AMBIGUOUS or keyword.iskeyword(base):
                base += "Type"
            out[full] = unique(base, snakes, key=snake_case)
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
    return identifier(snake_case(name), "service").lstrip("_") or "service"

"""Python names for SQL things: row classes, modules, fields, enum members."""

from __future__ import annotations

import keyword
import re

from generator.naming import pascal_case, snake_case

_NOT_IDENT = re.compile(r"[^0-9A-Za-z_]")

# A row is a NamedTuple: its fields must not shadow tuple's methods, and an
# insert row's defaults are class attributes, so a field must not take the
# name of a type the generated modules annotate with.
RESERVED_FIELDS = frozenset(
    {
        "count",
        "index",
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


def singular(name: str) -> str:
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


def _ident(text: str, fallback: str) -> str:
    text = re.sub(r"_+", "_", _NOT_IDENT.sub("_", text)).strip("_")
    if not text:
        text = fallback
    if text[0].isdigit():
        text = f"{fallback}_{text}"
    return text


def class_stem(table: str) -> str:
    """``trade_fills`` -> ``TradeFill``."""
    stem = pascal_case(_ident(singular(table), "row")) or "Row"
    return stem if not stem[0].isdigit() else f"T{stem}"


def module_for(table: str) -> str:
    return _ident(snake_case(table), "table")


def field_names(
    columns: list[str], reserved: frozenset[str] = RESERVED_FIELDS
) -> list[str]:
    """Valid, unique attribute names for columns, in order."""
    out: list[str] = []
    taken: set[str] = set()
    for col in columns:
        base = _ident(snake_case(col), "column")
        if keyword.iskeyword(base) or base in reserved:
            base += "_"
        name, n = base, 2
        while name in taken:
            name = f"{base}_{n}"
            n += 1
        taken.add(name)
        out.append(name)
    return out


def member_names(labels: list[str]) -> list[str]:
    """``crypto-spot`` -> ``CRYPTO_SPOT``, unique within the enum."""
    out: list[str] = []
    taken: set[str] = set()
    for label in labels:
        base = _ident(snake_case(label).upper(), "VALUE")
        if keyword.iskeyword(base):
            base += "_"
        name, n = base, 2
        while name in taken:
            name = f"{base}_{n}"
            n += 1
        taken.add(name)
        out.append(name)
    return out

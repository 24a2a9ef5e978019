"""Which JSON encoding a message's JSON codec uses (no lossy JSON).

Plain JSON writes a union's value without saying which branch it is, and the
model tells the branches apart only by what JSON can hold: a string, an enum, a
UUID, bytes (base64) or a date are all JSON strings, two records are both JSON
objects.  Decoding could then pick another branch than the one encoded, and the
round trip would not give back the message.  A message that holds such a union
anywhere is written in Avro's own JSON encoding instead, which wraps every
non-null union value as ``{"<branch>": value}`` (Avro 1.11, "JSON Encoding").

Branches are *confusable* when plain JSON writes them alike (the same JSON
kind) but the model holds them as different Python classes.  Branches of the
same class (``int`` and ``long``, ``bytes`` and a fixed, two decimals) are not:
whichever branch decoding picks, it gives back an equal value of that class.
Two records are not confusable either when each has a required field that the
other lacks, since a JSON object then fits one of them only; nor are an enum
and a decimal, date or time, since no symbol (a name) reads as one of those.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import combinations
from typing import Literal

from generator import ir

JsonEncoding = Literal["plain", "avro"]

# The JSON kind plain JSON writes each primitive as.
_PRIMITIVE_KIND = {
    "null": "null",
    "boolean": "boolean",
    "int": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
    "bytes": "string",
    "string": "string",
}
# The Python class the models hold for each logical type.
_LOGICAL_CLASS = {
    "date": "date",
    "time-millis": "time",
    "time-micros": "time",
    "timestamp-millis": "datetime",
    "timestamp-micros": "datetime",
    "local-timestamp-millis": "datetime",
    "local-timestamp-micros": "datetime",
    "uuid": "UUID",
    "decimal": "Decimal",
}


def json_encoding(t: ir.Type, types: Mapping[str, ir.NamedType]) -> JsonEncoding:
    """``avro`` when plain JSON could confuse the branches of a union that a
    value of ``t`` may hold; else ``plain``."""
    for union in _unions(t, types):
        for a, b in combinations(union.branches, 2):
            if _confusable(a, b, types):
                return "avro"
    return "plain"


def _unions(t: ir.Type, types: Mapping[str, ir.NamedType]) -> Iterator[ir.Union]:
    """Every union a value of ``t`` may hold, each once, without recursion
    (records may nest deeply or refer to themselves)."""
    seen: set[str] = set()
    stack = [t]
    while stack:
        match stack.pop():
            case ir.Array(inner) | ir.Map(inner):
                stack.append(inner)
            case ir.Union(branches) as union:
                yield union
                stack.extend(branches)
            case ir.Ref(fullname) if fullname not in seen:
                seen.add(fullname)
                named = types[fullname]
                if isinstance(named, ir.Record):
                    stack.extend(f.type for f in named.fields)


def _confusable(a: ir.Type, b: ir.Type, types: Mapping[str, ir.NamedType]) -> bool:
    if _kind(a, types) != _kind(b, types):
        return False
    ca, cb = _class(a, types), _class(b, types)
    if ca == cb:
        return False
    if (_is_enum(a, types) and cb in _NUMERIC_TEXT) or (
        _is_enum(b, types) and ca in _NUMERIC_TEXT
    ):
        # An enum symbol is a name: no decimal, date or time reads as one,
        # nor does a symbol read as any of them.
        return False
    ra, rb = _record(a, types), _record(b, types)
    return not (ra is not None and rb is not None and _exclusive(ra, rb))


_NUMERIC_TEXT = frozenset({"Decimal", "date", "time", "datetime"})


def _is_enum(t: ir.Type, types: Mapping[str, ir.NamedType]) -> bool:
    return isinstance(t, ir.Ref) and isinstance(types[t.fullname], ir.Enum)


def _kind(t: ir.Type, types: Mapping[str, ir.NamedType]) -> str:
    """The JSON kind plain JSON writes a value of ``t`` as."""
    match t:
        case ir.Primitive(name):
            return _PRIMITIVE_KIND[name]
        case ir.Array():
            return "array"
        case ir.Map():
            return "object"
        case ir.Ref(fullname) if isinstance(types[fullname], ir.Record):
            return "object"
    # Logical types, enums and fixed: JSON strings.
    return "string"


def _class(t: ir.Type, types: Mapping[str, ir.NamedType]) -> object:
    """What the model holds a value of ``t`` as, deeply enough to compare."""
    match t:
        case ir.Primitive(name):
            return {"long": "int", "double": "float"}.get(name, name)
        case ir.Logical(name=name):
            return _LOGICAL_CLASS.get(name, name)
        case ir.Array(items):
            return ("list", _class(items, types))
        case ir.Map(values):
            return ("dict", _class(values, types))
        case ir.Union(branches):
            return frozenset(_class(b, types) for b in branches)
        case ir.Ref(fullname):
            named = types[fullname]
            if isinstance(named, ir.Fixed):
                return _LOGICAL_CLASS[named.logical.name] if named.logical else "bytes"
            return fullname
    raise TypeError(t)


def _record(t: ir.Type, types: Mapping[str, ir.NamedType]) -> ir.Record | None:
    if isinstance(t, ir.Ref):
        named = types[t.fullname]
        if isinstance(named, ir.Record):
            return named
    return None


def _exclusive(a: ir.Record, b: ir.Record) -> bool:
    """Whether each record has a required field the other has no field of."""

    def required(r: ir.Record) -> set[str]:
        return {f.name for f in r.fields if f.default is ir.MISSING}

    names_a = {f.name for f in a.fields}
    names_b = {f.name for f in b.fields}
    return bool(required(a) - names_b) and bool(required(b) - names_a)

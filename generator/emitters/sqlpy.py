"""What the database emitters share: Python types of SQL types, example values,
quoted identifiers, SQL text and its wrapping."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from generator import ir
from generator.emitters.pysrc import INDENT, LINE_LENGTH, fits, py_str
from generator.manifest_sql import PYTHON_TYPES as PYTHON_TYPE_IMPORTS

_STDLIB_TYPES = {
    "numeric": ("decimal", "Decimal"),
    "uuid": ("uuid", "UUID"),
    "date": ("datetime", "date"),
    "time": ("datetime", "time"),
    "timetz": ("datetime", "time"),
    "timestamp": ("datetime", "datetime"),
    "timestamptz": ("datetime", "datetime"),
    "interval": ("datetime", "timedelta"),
}
# The default mapping of the types beyond the core: what asyncpg decodes
# them to (its codecs, and those ``svcforge.db.register_codecs`` sets for
# citext, hstore, ltree and vector).  ``[tool.svcforge.sql.types]``
# overrides it per type or column; a type not listed here is ``str``.
_INT_TYPES = frozenset({"oid", "cid", "xid", "xid8", "pg_lsn"})
_GEOMETRY = {
    "point": "Point",
    "line": "Line",
    "lseg": "LineSegment",
    "box": "Box",
    "path": "Path",
    "polygon": "Polygon",
    "circle": "Circle",
    "bit": "BitString",
    "varbit": "BitString",
}
_RANGES = {
    "int4": "int",
    "int8": "int",
    "num": "Decimal",
    "ts": "datetime",
    "tstz": "datetime",
    "date": "date",
}
_BUILTIN_TYPES = {
    "int2": "int",
    "int4": "int",
    "int8": "int",
    "float4": "float",
    "float8": "float",
    "bool": "bool",
    "text": "str",
    "varchar": "str",
    "bpchar": "str",
    "bytea": "bytes",
    "void": "None",
}
_RUNTIME_TYPES = {
    "json": "JsonValue",
    "jsonb": "JsonValue",
    "inet": "Inet",
    "cidr": "Cidr",
}


class Imports(set[str]):
    """Import statements of a generated module (the formatter sorts them), and
    where that module finds the service's enum classes (tests import them
    absolutely, the generated package relatively)."""

    def __init__(self, enums_module: str = ".enums") -> None:
        super().__init__()
        self.enums_module = enums_module

    def add_from(self, module: str, *names: str) -> None:
        self.update(f"from {module} import {name}" for name in names)


def py_type(
    t: ir.SqlType, nullable: bool, service: ir.Service, imports: Imports
) -> str:
    """The annotation of a value of ``t`` as asyncpg decodes it."""
    if t.python:
        base = t.python
        imports.update(i for i in [PYTHON_TYPE_IMPORTS.get(base, "")] if i)
    elif t.enum:
        base = service.sql_enum(t.enum).py_name
        imports.add_from(imports.enums_module, base)
    elif t.composite:
        base = _composite(t.composite, service, imports)
    elif t.name in _STDLIB_TYPES:
        module, base = _STDLIB_TYPES[t.name]
        imports.add_from(module, base)
    elif t.name in _RUNTIME_TYPES:
        base = _RUNTIME_TYPES[t.name]
        imports.add_from("svcforge.db", base)
    elif t.name in _BUILTIN_TYPES:
        base = _BUILTIN_TYPES[t.name]
    else:
        base = _extra_type(t.name, imports)
    for _ in range(t.dims):
        base = f"list[{base}]"
    if nullable and base not in ("JsonValue", "None"):
        base += " | None"
    return base


def _composite(qual: str, service: ir.Service, imports: Imports) -> str:
    """A composite type's class; a table's row type comes as a record."""
    for c in service.sql_composites:
        if c.qualname == qual:
            imports.add_from(imports.enums_module, c.py_name)
            return c.py_name
    imports.add_from("svcforge.db", "Record")
    return "Record"


def _extra_type(name: str, imports: Imports) -> str:
    if name in _INT_TYPES:
        return "int"
    if name == "tid":
        return "tuple[int, int]"
    if name == "hstore":
        return "dict[str, str | None]"
    if name == "vector":
        return "list[float]"
    if name in _GEOMETRY:
        imports.add_from("svcforge.db.pgtypes", _GEOMETRY[name])
        return _GEOMETRY[name]
    if name.endswith(("range", "multirange")):
        sub = name.removesuffix("multirange").removesuffix("range")
        element = _RANGES.get(sub, "")
        if element:
            imports.add_from("svcforge.db.pgtypes", "Range")
            if element in ("Decimal", "datetime", "date"):
                imports.add_from(
                    "decimal" if element == "Decimal" else "datetime", element
                )
            one = f"Range[{element}]"
            return f"list[{one}]" if name.endswith("multirange") else one
    return "str"  # text I/O: the extra text types and every opaque type


# Types whose values asyncpg has no binary codec for: COPY (binary only)
# cannot carry them, so rows of tables with such columns are inserted with
# executemany instead.
TEXT_ONLY_TYPES = frozenset({"money", "macaddr", "macaddr8", "tsvector", "tsquery"})


def binary_io(t: ir.SqlType) -> bool:
    """Whether COPY can carry values of ``t``."""
    return not (t.opaque or t.name in TEXT_ONLY_TYPES or t.composite)


def quote(name: str) -> str:
    """A quoted SQL identifier: generated statements never depend on case
    folding or reserved words."""
    return '"' + name.replace('"', '""') + '"'


def qualified(table: ir.Table) -> str:
    return f"{quote(table.schema)}.{quote(table.name)}"


def cast(t: ir.SqlType) -> str:
    """A cast that fixes a parameter's type without length or precision (an
    explicit cast to ``varchar(n)`` would silently truncate)."""
    if t.enum:
        schema, _, name = t.enum.partition(".")
        base = f"{quote(schema)}.{quote(name)}"
    else:
        base = t.name
    return base + "[]" * t.dims


def sql_block(name: str, sql: str) -> str:
    """``NAME = \"\"\"...\"\"\"``: the statement verbatim between blank-free lines."""
    body = triple_quoted_body(sql.strip())
    return f'{name} = """\n{body}\n"""'


def wrap_sql(head: str, items: list[str], tail: str = "", glue: str = " ") -> str:
    """``head a, b, c tail`` filled up to the line length, continuation lines
    indented by four spaces.  Lines break only at spaces outside quotes: a
    string literal or a quoted identifier is never split, so the statement
    means exactly what it says.  ``glue`` joins the head and the first item
    (nothing after an opening parenthesis)."""
    text = head + glue + ", ".join(items) + (" " + tail if tail else "")
    lines: list[str] = []
    for word in sql_words(text):
        if lines and len(lines[-1]) + 1 + len(word) <= LINE_LENGTH:
            lines[-1] += " " + word
        else:
            lines.append(word if not lines else INDENT + word)
    return "\n".join(lines)


def sql_words(text: str) -> list[str]:
    """``text`` split at the spaces that are outside '…' and "…" quotes."""
    words, word, quote = [], "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == " ":
            if word:
                words.append(word)
            word = ""
            continue
        word += ch
    if word:
        words.append(word)
    return words


def spread(prefix: str, items: Iterable[str], close: str, indent: str) -> str:
    """``indent prefix a, b close``: one line when it fits, else with a trailing
    comma, so that the formatter puts one item per line (a long call or
    signature reads better so than with its arguments packed)."""
    items = list(items)
    flat = f"{indent}{prefix}{', '.join(items)}{close}"
    if fits(flat) or not items:
        return flat
    return f"{indent}{prefix}{', '.join(items)},{close}"


def spread_tuple(prefix: str, items: list[str]) -> str:
    """``prefix(a, b)`` as ``spread`` lays it out; a one-tuple keeps its comma."""
    if len(items) == 1:
        return f"{prefix}({items[0]},)"
    return spread(f"{prefix}(", items, ")", "")


def signature(name: str, params: list[str], returns: str, indent: str = "") -> str:
    """An ``async def`` header (one parameter per line when it is long)."""
    return spread(f"async def {name}(", params, f") -> {returns}:", indent)


def triple_quoted_body(text: str, closed_right_after: bool = False) -> str:
    """The body of a triple-quoted literal whose value is exactly ``text``:
    escapes for backslashes, quotes and invisible characters, and for trailing
    whitespace (which linters would flag and editors strip)."""
    out = []
    lines = text.split("\n")
    for line in lines:
        body = line.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
        body = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in body)
        stripped = body.rstrip(" ")
        tail = body[len(stripped) :].replace(" ", "\\x20")
        body = stripped + tail
        out.append(body)
    result = "\n".join(out)
    if closed_right_after and result.endswith('"'):
        result = result[:-1] + '\\"'
    return result


def example(t: ir.SqlType, n: int, service: ir.Service, imports: Imports) -> str:
    """A Python expression for a value of ``t`` that PostgreSQL stores and
    returns unchanged; ``n`` (from 1) makes the values of different rows differ."""
    if t.dims:
        items = [
            example(t.element.array(t.dims - 1), n + k, service, imports)
            for k in range(2)
        ]
        return f"[{', '.join(items)}]"
    if t.enum:
        e = service.sql_enum(t.enum)
        imports.add_from(imports.enums_module, e.py_name)
        return f"{e.py_name}.{e.member_names[(n - 1) % len(e.member_names)]}"
    if t.composite:
        c = service.sql_composite(t.composite)
        imports.add_from(imports.enums_module, c.py_name)
        values = [example(f.type, n, service, imports) for f in c.fields]
        return f"{c.py_name}({', '.join(values)})"
    return _scalar_example(t, n, imports)


def has_example(t: ir.SqlType, service: ir.Service) -> bool:
    """Whether ``example`` can make a value of ``t`` (not of an opaque type,
    nor of a table's row type, nor under a manifest override)."""
    if t.composite:
        return any(
            c.qualname == t.composite
            and all(has_example(f.type, service) for f in c.fields)
            for c in service.sql_composites
        )
    return (
        not t.opaque and not t.python and (bool(t.enum) or t.name in _SCALAR_EXAMPLES)
    )


# The extensions that provide types: a generated test skips when the test
# server lacks one.
EXTENSION_OF_TYPE = {
    "citext": "citext",
    "hstore": "hstore",
    "ltree": "ltree",
    "lquery": "ltree",
    "vector": "vector",
}


def _numeric_example(t: ir.SqlType, n: int) -> str:
    scale = t.modifiers[1] if len(t.modifiers) == 2 else 2
    return f'Decimal("{n}.5")' if scale else f'Decimal("{n}")'


def _varchar_example(t: ir.SqlType, n: int) -> str:
    size = t.modifiers[0] if t.modifiers else 16
    return py_str(f"v{n}"[:size])


def _bpchar_example(t: ir.SqlType, n: int) -> str:
    size = t.modifiers[0] if t.modifiers else 1
    return py_str((str(n) * size)[:size])


# An example value of each base type, as a Python expression: ``n`` (from 1)
# makes rows differ; every value is stored and returned unchanged.
_SCALAR_EXAMPLES: dict[str, Callable[[ir.SqlType, int], str]] = {
    "int2": lambda t, n: str(n),
    "int4": lambda t, n: str(n),
    "int8": lambda t, n: str(n),
    "float4": lambda t, n: f"{n}.5",
    "float8": lambda t, n: f"{n}.5",
    "numeric": _numeric_example,
    "bool": lambda t, n: "True" if n % 2 else "False",
    "text": lambda t, n: py_str(f"text {n}"),
    "varchar": _varchar_example,
    "bpchar": _bpchar_example,
    "bytea": lambda t, n: f'b"\\x00\\x{n:02x}\\xff"',
    "uuid": lambda t, n: f'UUID("00000000-0000-4000-8000-{n:012d}")',
    "date": lambda t, n: f"date(2024, 1, {n})",
    "time": lambda t, n: f"time(12, {n}, 30)",
    "timestamp": lambda t, n: f"datetime(2024, 1, {n}, 12, 30)",
    "timestamptz": lambda t, n: f"datetime(2024, 1, {n}, 12, 30, tzinfo=UTC)",
    "interval": lambda t, n: f"timedelta(days={n}, seconds=30)",
    "json": lambda t, n: f'{{"n": {n}, "tags": ["a", "b"]}}',
    "jsonb": lambda t, n: f'{{"n": {n}, "tags": ["a", "b"]}}',
    "inet": lambda t, n: f'IPv4Address("192.0.2.{n}")',
    "cidr": lambda t, n: f'IPv4Network("10.{n}.0.0/16")',
    # Types beyond the core, each written as PostgreSQL prints it back (money
    # in the C locale of the test server).
    "money": lambda t, n: f'"${n}.50"',
    "xml": lambda t, n: f'"<v n=\\"{n}\\"/>"',
    "timetz": lambda t, n: f"time(12, {n}, 30, tzinfo=UTC)",
    "bit": lambda t, n: f'BitString("{_bits(t, n)}")',
    "varbit": lambda t, n: f'BitString("{bin(n)[2:]}01")',
    "name": lambda t, n: py_str(f"name {n}"),
    "oid": lambda t, n: str(n),
    "cid": lambda t, n: str(n),
    "xid": lambda t, n: str(n),
    "xid8": lambda t, n: str(2**40 + n),
    "tid": lambda t, n: f"({n}, 1)",
    "regclass": lambda t, n: '"pg_class"',
    "macaddr": lambda t, n: f'"08:00:2b:01:02:{n:02x}"',
    "macaddr8": lambda t, n: f'"08:00:2b:01:02:03:04:{n:02x}"',
    "pg_lsn": lambda t, n: str(n * 4096),
    "tsvector": lambda t, n: f"\"'a{n}' 'b'\"",
    "tsquery": lambda t, n: f"\"'a{n}' & 'b'\"",
    "point": lambda t, n: f"Point({n}, 2.5)",
    "line": lambda t, n: f"Line(1, -1, {n})",
    "lseg": lambda t, n: f"LineSegment((0, 0), ({n}, 1))",
    "box": lambda t, n: f"Box(({n}, 1), (0, 0))",
    "path": lambda t, n: f"Path((0, 0), ({n}, 1), is_closed=False)",
    "polygon": lambda t, n: f"Polygon((0, 0), ({n}, 0), (0, 1))",
    "circle": lambda t, n: f"Circle((0, 0), {n})",
    "int4range": lambda t, n: f"Range({n}, {n + 10})",
    "int8range": lambda t, n: f"Range({n}, {n + 10})",
    "numrange": lambda t, n: f'Range(Decimal("{n}.5"), Decimal("{n + 1}"))',
    "daterange": lambda t, n: f"Range(date(2024, 1, {n}), date(2024, 2, {n}))",
    "tsrange": lambda t, n: f"Range(datetime(2024, 1, {n}), datetime(2024, 2, {n}))",
    "tstzrange": lambda t, n: (
        f"Range(datetime(2024, 1, {n}, tzinfo=UTC), datetime(2024, 2, {n}, tzinfo=UTC))"
    ),
    "int4multirange": lambda t, n: f"[Range(1, {n + 1}), Range({n + 5}, {n + 9})]",
    "int8multirange": lambda t, n: f"[Range({n}, {n + 10})]",
    "nummultirange": lambda t, n: f'[Range(Decimal("{n}.5"), Decimal("{n + 1}"))]',
    "datemultirange": lambda t, n: f"[Range(date(2024, 1, {n}), date(2024, 2, {n}))]",
    "tsmultirange": lambda t, n: (
        f"[Range(datetime(2024, 1, {n}), datetime(2024, 2, {n}))]"
    ),
    "tstzmultirange": lambda t, n: f"[Range(datetime(2024, 1, {n}, tzinfo=UTC), None)]",
    "citext": lambda t, n: py_str(f"Text {n}"),
    "hstore": lambda t, n: f'{{"a": "{n}", "b": None}}',
    "ltree": lambda t, n: f'"top.n{n}"',
    "lquery": lambda t, n: '"top.*"',
    "vector": lambda t, n: "[" + ", ".join(f"{n + i}.5" for i in range(_dims(t))) + "]",
}


def _bits(t: ir.SqlType, n: int) -> str:
    size = t.modifiers[0] if t.modifiers else 1
    return (bin(n)[2:] * size)[:size].rjust(size, "0")


def _dims(t: ir.SqlType) -> int:
    return t.modifiers[0] if t.modifiers else 3


# What the examples above name (the formatter drops the unused ones).
_EXAMPLE_IMPORTS = (
    "from datetime import UTC, date, datetime, time, timedelta",
    "from decimal import Decimal",
    "from ipaddress import IPv4Address, IPv4Network",
    "from uuid import UUID",
    "from svcforge.db.pgtypes import BitString, Box, Circle, Line, LineSegment",
    "from svcforge.db.pgtypes import Path, Point, Polygon, Range",
)


def _scalar_example(t: ir.SqlType, n: int, imports: Imports) -> str:
    imports.update(_EXAMPLE_IMPORTS)
    return _SCALAR_EXAMPLES[t.name](t, n)

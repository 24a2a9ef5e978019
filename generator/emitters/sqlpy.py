"""What the database emitters share: Python types of SQL types, example values,
quoted identifiers, SQL text and its wrapping."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from generator import ir
from generator.emitters.pysrc import INDENT, LINE_LENGTH, fits, py_str

_STDLIB_TYPES = {
    "numeric": ("decimal", "Decimal"),
    "uuid": ("uuid", "UUID"),
    "date": ("datetime", "date"),
    "time": ("datetime", "time"),
    "timestamp": ("datetime", "datetime"),
    "timestamptz": ("datetime", "datetime"),
    "interval": ("datetime", "timedelta"),
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
    if t.enum:
        base = service.sql_enum(t.enum).py_name
        imports.add_from(imports.enums_module, base)
    elif t.name in _STDLIB_TYPES:
        module, base = _STDLIB_TYPES[t.name]
        imports.add_from(module, base)
    elif t.name in _RUNTIME_TYPES:
        base = _RUNTIME_TYPES[t.name]
        imports.add_from("svcforge.db", base)
    else:
        base = _BUILTIN_TYPES[t.name]
    for _ in range(t.dims):
        base = f"list[{base}]"
    if nullable and base not in ("JsonValue", "None"):
        base += " | None"
    return base


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
    return _scalar_example(t, n, imports)


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
}
# What the examples above name (the formatter drops the unused ones).
_EXAMPLE_IMPORTS = (
    "from datetime import UTC, date, datetime, time, timedelta",
    "from decimal import Decimal",
    "from ipaddress import IPv4Address, IPv4Network",
    "from uuid import UUID",
)


def _scalar_example(t: ir.SqlType, n: int, imports: Imports) -> str:
    imports.update(_EXAMPLE_IMPORTS)
    return _SCALAR_EXAMPLES[t.name](t, n)

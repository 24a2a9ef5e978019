"""What the database emitters share: Python types of SQL types, example values,
quoted identifiers, import blocks and ruff-format-stable layout."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field

from generator import ir
from generator.emitters.pysrc import INDENT, LINE_LENGTH, from_import, py_str

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
}
_RUNTIME_TYPES = {
    "json": "JsonValue",
    "jsonb": "JsonValue",
    "inet": "Inet",
    "cidr": "Cidr",
}
_THIRD_PARTY = ("pydantic", "pytest", "svcforge")


@dataclass
class Imports:
    """Names a generated module imports, by module; rendered as ruff's isort
    would (stdlib, third party, then first party, each sorted)."""

    names: dict[str, set[str]] = field(default_factory=dict)
    plain: set[str] = field(default_factory=set)
    enums_module: str = ".enums"
    """Where the enum classes come from (tests import them absolutely)."""

    def add(self, module: str, *names: str) -> None:
        self.names.setdefault(module, set()).update(names)

    def block(self, first_party: str = "") -> str:
        def section(modules: list[str]) -> list[str]:
            lines: list[str] = []
            plain = sorted(m for m in self.plain if m in modules)
            lines += [f"import {m}" for m in plain]
            for m in sorted(m for m in modules if m in self.names):
                lines += from_import(m, self.names[m])
            return lines

        every = sorted(set(self.names) | self.plain)
        relative = [m for m in every if m.startswith(".")]
        first = [m for m in every if first_party and m.split(".")[0] == first_party]
        third = [m for m in every if m.split(".")[0] in _THIRD_PARTY]
        std = [m for m in every if m not in relative + first + third]
        sections = [section(std), section(third), section(first), section(relative)]
        return "\n\n".join("\n".join(s) for s in sections if s)


def py_type(
    t: ir.SqlType, nullable: bool, service: ir.Service, imports: Imports
) -> str:
    """The annotation of a value of ``t`` as asyncpg decodes it."""
    if t.enum:
        base = service.sql_enum(t.enum).py_name
        imports.add(imports.enums_module, base)
    elif t.name in _STDLIB_TYPES:
        module, base = _STDLIB_TYPES[t.name]
        imports.add(module, base)
    elif t.name in _RUNTIME_TYPES:
        base = _RUNTIME_TYPES[t.name]
        imports.add("svcforge.db", base)
    else:
        base = _BUILTIN_TYPES[t.name]
    for _ in range(t.dims):
        base = f"list[{base}]"
    if nullable and base != "JsonValue":
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


def wrap_sql(head: str, items: list[str], tail: str = "") -> str:
    """``head a, b, c tail`` wrapped at the line length, continuation lines
    indented by four spaces."""
    text = head + " " + ", ".join(items) + (" " + tail if tail else "")
    return textwrap.fill(
        text,
        width=LINE_LENGTH,
        subsequent_indent=INDENT,
        break_long_words=False,
        break_on_hyphens=False,
    )


def expanded(prefix: str, items: Iterable[str], close: str, indent: str) -> list[str]:
    """``prefix(a, b)close`` on one line when it fits, else one item per line
    with a trailing comma (which ruff format keeps as it is)."""
    items = list(items)
    flat = f"{indent}{prefix}{', '.join(items)}{close}"
    if len(flat) <= LINE_LENGTH or not items:
        return [flat]
    inner = indent + INDENT
    return [f"{indent}{prefix}", *(f"{inner}{i}," for i in items), f"{indent}{close}"]


def signature(
    name: str, params: list[str], returns: str, indent: str = ""
) -> list[str]:
    """An ``async def`` header: on one line when it fits, else one parameter
    per line with a trailing comma (which ruff format keeps)."""
    return expanded(f"async def {name}(", params, f") -> {returns}:", indent)


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
        imports.add(imports.enums_module, e.py_name)
        return f"{e.py_name}.{e.member_names[(n - 1) % len(e.member_names)]}"
    return _scalar_example(t, n, imports)


def _scalar_example(t: ir.SqlType, n: int, imports: Imports) -> str:
    match t.name:
        case "int2" | "int4" | "int8":
            return str(n)
        case "float4" | "float8":
            return f"{n}.5"
        case "numeric":
            scale = t.modifiers[1] if len(t.modifiers) == 2 else 2
            imports.add("decimal", "Decimal")
            return f'Decimal("{n}.5")' if scale else f'Decimal("{n}")'
        case "bool":
            return "True" if n % 2 else "False"
        case "text":
            return py_str(f"text {n}")
        case "varchar":
            size = t.modifiers[0] if t.modifiers else 16
            return py_str(f"v{n}"[:size])
        case "bpchar":
            size = t.modifiers[0] if t.modifiers else 1
            return py_str((str(n) * size)[:size])
        case "bytea":
            return f'b"\\x00\\x{n:02x}\\xff"'
        case "uuid":
            imports.add("uuid", "UUID")
            return f'UUID("00000000-0000-4000-8000-{n:012d}")'
        case "date":
            imports.add("datetime", "date")
            return f"date(2024, 1, {n})"
        case "time":
            imports.add("datetime", "time")
            return f"time(12, {n}, 30)"
        case "timestamp":
            imports.add("datetime", "datetime")
            return f"datetime(2024, 1, {n}, 12, 30)"
        case "timestamptz":
            imports.add("datetime", "UTC", "datetime")
            return f"datetime(2024, 1, {n}, 12, 30, tzinfo=UTC)"
        case "interval":
            imports.add("datetime", "timedelta")
            return f"timedelta(days={n}, seconds=30)"
        case "json" | "jsonb":
            return f'{{"n": {n}, "tags": ["a", "b"]}}'
        case "inet":
            imports.add("ipaddress", "IPv4Address")
            return f'IPv4Address("192.0.2.{n}")'
        case "cidr":
            imports.add("ipaddress", "IPv4Network")
            return f'IPv4Network("10.{n}.0.0/16")'
    raise ValueError(t.name)

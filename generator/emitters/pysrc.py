"""Python literals and the pieces every generated module shares.

Only what ruff cannot decide lives here: how a value is spelled as a literal
(escapes, quotes), what a docstring may hold, and the header.  Layout, import
order and unused imports are the formatter's (``generator.formatter``), so
emitters write expressions on one line and let ruff break them.  A trailing
comma (``magic=True`` in ``call``) is the one layout decision an emitter makes:
ruff keeps such a bracket one item per line, which reads better for long
records and specs.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Iterable, Sequence

from generator.ir import JsonValue

INDENT = "    "
LINE_LENGTH = 88

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def py_str(text: str) -> str:
    """A string literal with ruff's preferred quotes (double unless that needs
    more escapes)."""
    quote = '"' if text.count('"') <= text.count("'") else "'"
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == quote:
            out.append("\\" + ch)
        elif not ch.isprintable():
            out.append(repr(ch)[1:-1])
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def py_float(value: float) -> str:
    """A float literal as ruff format writes it (``1e300``, not ``1e+300``)."""
    text = repr(value)
    if text in ("inf", "-inf", "nan"):
        return f'float("{text}")'
    return text.replace("e+", "e")


def py_bytes(data: bytes) -> str:
    """A bytes literal with ruff's preferred quotes."""
    quote = '"' if data.count(b'"') <= data.count(b"'") else "'"
    body = []
    for b in data:
        ch = chr(b)
        if ch == quote:
            body.append("\\" + ch)
        elif ch == "\\":
            body.append("\\\\")
        elif 32 <= b < 127:
            body.append(ch)
        else:
            body.append(f"\\x{b:02x}")
    return "b" + quote + "".join(body) + quote


def docstring(text: str, indent: str) -> list[str]:
    """Lines of a docstring holding ``text``: backslashes, quotes and invisible
    characters escaped (a NUL would make the module unreadable, a form feed or
    U+2028 would break the line), common indentation removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    text = "".join(c if c == "\n" or c.isprintable() else repr(c)[1:-1] for c in text)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    if not lines:
        return []
    first, rest = lines[0].strip(), textwrap.dedent("\n".join(lines[1:])).splitlines()
    if not rest:
        if first.endswith('"'):
            first += " "
        return [f'{indent}"""{first}"""']
    out = [f'{indent}"""{first}']
    out += [f"{indent}{line}" if line else "" for line in rest]
    out.append(f'{indent}"""')
    return out


def fits(line: str) -> bool:
    """Whether ``line`` fits the line length, counted as ruff counts columns
    (wide characters take two)."""
    width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
    return width <= LINE_LENGTH


def call(func: str, args: Iterable[str], *, magic: bool = False) -> str:
    """``func(a, b)``; with ``magic``, a trailing comma keeps one argument per
    line whatever the length."""
    items = list(args)
    if magic and items:
        return f"{func}({', '.join(items)},)"
    return f"{func}({', '.join(items)})"


def field_call(lead: str, args: Sequence[str]) -> str:
    """``lead = Field(args)``.  When its one argument holds brackets and does
    not fit on a line of its own, a trailing comma keeps it apart from
    ``Field(``: ruff would otherwise hang the argument's brackets off it."""
    inner = lead[: len(lead) - len(lead.lstrip())] + INDENT
    bracketed = len(args) == 1 and any(b in args[0] for b in "([{")
    magic = bracketed and not fits(inner + args[0])
    return f"{lead} = {call('Field', args, magic=magic)}"


def spread_item(item: str) -> str:
    """The last item of a list or dict display: when it is itself spread one
    element per line (it ends with a magic trailing comma), a trailing comma
    spreads the display too, as ruff spreads displays of several items."""
    return f"{item}," if item.endswith((",)", ",}", ",]")) else item


def tuple_expr(items: Sequence[str]) -> str:
    """A tuple display (a one-tuple keeps its comma)."""
    if len(items) == 1:
        return f"({items[0]},)"
    return f"({', '.join(items)})"


def json_expr(value: JsonValue) -> str:
    """A JSON value as a Python expression; objects one key per line (a
    trailing comma keeps them so)."""
    match value:
        case None | bool():
            return repr(value)
        case int():
            return str(value)
        case float():
            return py_float(value)
        case str():
            return py_str(value)
        case list():
            items = [json_expr(v) for v in value]
            if items:
                items[-1] = spread_item(items[-1])
            return "[" + ", ".join(items) + "]"
    assert isinstance(value, dict)
    if not value:
        return "{}"
    entries = ", ".join(f"{py_str(k)}: {json_expr(v)}" for k, v in value.items())
    return "{" + entries + ",}"


def header(sources: Iterable[str]) -> str:
    lines = [
        "# Generated by svcforge. Do not edit: change the schemas and run "
        "`svcforge regen`.",
        "# Sources:",
        *(f"#   {s}" for s in sorted(set(sources))),
    ]
    return "\n".join(lines) + "\n"


def imports(lines: Iterable[str]) -> str:
    """Import statements, one per line (the formatter sorts and merges them)."""
    return "\n".join(sorted(set(lines)))

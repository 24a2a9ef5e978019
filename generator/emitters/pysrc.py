"""Helpers that write Python source the way ruff format would lay it out."""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LINE_LENGTH = 88
INDENT = "    "

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
    """Lines of a docstring, as ruff format normalises them."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    # Control and invisible characters become escapes: a NUL would make the
    # module unreadable, and a form feed or U+2028 would break the line.
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


def call(prefix: str, args: Sequence[str], indent: str, suffix: str = "") -> list[str]:
    """``prefix(arg, arg)suffix`` laid out on one line, or with the arguments on
    one indented line, or one argument per line with a trailing comma."""
    flat = f"{indent}{prefix}({', '.join(args)}){suffix}"
    if len(flat) <= LINE_LENGTH or not args:
        return [flat]
    inner = indent + INDENT
    hug = inner + ", ".join(args)
    if len(hug) <= LINE_LENGTH:
        return [f"{indent}{prefix}(", hug, f"{indent}){suffix}"]
    return [f"{indent}{prefix}(", *(f"{inner}{a}," for a in args), f"{indent}){suffix}"]


@dataclass(frozen=True, slots=True)
class Group:
    """A bracketed, comma-separated expression that the layout may break:
    ``Point(x=1, y=2)``, ``[1, 2]``, ``dict[str, int]``.  Each item is a prefix
    (a keyword, a dict key) and a value.

    ``hug``: when broken, the items may share one indented line (calls and
    subscripts); list and dict displays go one item per line.  ``comma``: a
    broken group gets a trailing comma (not a lone subscript or parenthesis).
    ``magic`` groups carry a trailing comma already, so ruff format keeps them
    one item per line whatever their length."""

    open: str
    items: tuple[tuple[str, Expr], ...]
    close: str
    magic: bool = False
    hug: bool = True
    comma: bool = True


@dataclass(frozen=True, slots=True)
class BinOp:
    """``A | B | None``: broken before each operator when too long."""

    parts: tuple[Expr, ...]
    op: str = "|"


Expr = str | Group | BinOp


def width(text: str) -> int:
    """Columns ``text`` takes, as ruff counts them (wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fits(line: str) -> bool:
    return width(line) <= LINE_LENGTH


def flat(e: Expr) -> str | None:
    """The one-line form, or None when a magic trailing comma forbids it."""
    if isinstance(e, str):
        return e
    if isinstance(e, BinOp):
        parts = [flat(p) for p in e.parts]
        return None if None in parts else f" {e.op} ".join(map(str, parts))
    if e.magic and e.items:
        return None
    items = [(prefix, flat(value)) for prefix, value in e.items]
    if any(text is None for _, text in items):
        return None
    return e.open + ", ".join(f"{p}{t}" for p, t in items) + e.close


def layout(
    e: Expr, indent: str, lead: str, trail: str = "", *, expand: bool = False
) -> list[str]:
    """Lines of ``lead + e + trail`` as ruff format lays them out: on one line
    when it fits (and ``expand`` is not asked for); else the items of a group
    on one indented line; else one item per line, each laid out the same way."""
    one_line = flat(e)
    if not expand and one_line is not None and fits(lead + one_line + trail):
        return [lead + one_line + trail]
    if isinstance(e, BinOp):
        lines = layout(e.parts[0], indent, lead)
        for part in e.parts[1:]:
            lines += layout(part, indent, f"{indent}{e.op} ")
        lines[-1] += trail
        return lines
    if isinstance(e, str) or not e.items:
        return [lead + (one_line or "") + trail]
    inner = indent + INDENT
    items = [(p, flat(v)) for p, v in e.items]
    if e.hug and not e.magic and all(t is not None for _, t in items):
        hug = inner + ", ".join(f"{p}{t}" for p, t in items)
        if fits(hug) or (len(e.items) == 1 and isinstance(e.items[0][1], str)):
            return [lead + e.open, hug, indent + e.close + trail]
    comma = "," if e.comma or e.magic else ""
    lines = [lead + e.open]
    for prefix, value in e.items:
        lines += layout(value, inner, inner + prefix, comma)
    lines.append(indent + e.close + trail)
    return lines


def parenthesized(e: Expr) -> Group:
    """``(e)``, as ruff adds around an expression that has to break."""
    return Group("(", (("", e),), ")", comma=False)


def annotated(
    lead: str, annotation: Expr, value: Expr | None, indent: str
) -> list[str]:
    """``lead annotation = value`` (``lead`` is ``indent + "name: "``) laid out
    as ruff format lays out an annotated assignment."""
    ann = flat(annotation)
    assert ann is not None
    if value is None:
        if fits(lead + ann):
            return [lead + ann]
        return _split_annotation(lead, annotation, indent)
    if isinstance(annotation, str):
        return assigned(f"{lead}{ann} = ", value, indent)
    # A splittable annotation: ruff tries the value's own brackets, then
    # parentheses around the value, each as soon as its first line fits, and
    # splits the annotation last.
    head = f"{lead}{ann} = "
    text = flat(value)
    if text is not None and fits(head + text):
        return [head + text]
    if isinstance(value, Group) and fits(head + value.open):
        return layout(value, indent, head, expand=True)
    if fits(head + "("):
        inner = indent + INDENT
        return [head + "(", *layout(value, inner, inner), indent + ")"]
    lines = _split_annotation(lead, annotation, indent)
    return lines[:-1] + layout(value, indent, lines[-1] + " = ")


def assigned(head: str, value: Expr, indent: str) -> list[str]:
    """``head value`` where ``head`` ends with ``=`` and cannot split: ruff
    breaks the value's own brackets or parenthesizes it, whichever makes every
    line fit, and else breaks the brackets anyway."""
    text = flat(value)
    if text is not None and fits(head + text):
        return [head + text]
    if isinstance(value, Group) and fits(head + value.open):
        lines = layout(value, indent, head, expand=True)
        if all(map(fits, lines)):
            return lines
    inner = indent + INDENT
    lines = [head + "(", *layout(value, inner, inner), indent + ")"]
    if all(map(fits, lines)):
        return lines
    return layout(value, indent, head)


def _split_annotation(lead: str, annotation: Expr, indent: str) -> list[str]:
    if isinstance(annotation, Group):
        return layout(annotation, indent, lead, expand=True)
    if isinstance(annotation, BinOp):
        return layout(parenthesized(annotation), indent, lead, expand=True)
    # A name or a string breaks no further: ruff parenthesizes it when that
    # makes it fit.
    inner = indent + INDENT
    if fits(inner + annotation):
        return [lead + "(", inner + annotation, indent + ")"]
    return [lead + annotation]


def import_sort_key(name: str) -> tuple[int, tuple[tuple[int, int, str], ...], str]:
    """ruff's isort order: CONSTANTS, then Classes, then the rest, each in
    case-insensitive natural order (``Point2`` before ``Point10``)."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return (kind, _natural(name.lower()), name)


def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    # Digits sort before "_" and letters, as their character codes do.
    return tuple(
        (0, int(chunk), "") if chunk.isdigit() else (1, 0, chunk)
        for chunk in re.split(r"(\d+)", text)
        if chunk
    )


def from_import(module: str, names: Iterable[str]) -> list[str]:
    ordered = sorted(set(names), key=import_sort_key)
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= LINE_LENGTH:
        return [line]
    return [f"from {module} import (", *(f"{INDENT}{n}," for n in ordered), ")"]


def str_list(name: str, items: Sequence[str]) -> list[str]:
    """``name = ["a", "b"]`` laid out as ruff format would."""
    literals = [py_str(i) for i in items]
    flat = f"{name} = [{', '.join(literals)}]"
    if len(flat) <= LINE_LENGTH:
        return [flat]
    return [f"{name} = [", *(f"{INDENT}{lit}," for lit in literals), "]"]


def header(sources: Iterable[str]) -> str:
    lines = [
        "# Generated by svcforge. Do not edit: change the schemas and run "
        "`svcforge regen`.",
        "# Sources:",
        *(f"#   {s}" for s in sorted(set(sources))),
    ]
    return "\n".join(lines) + "\n"

"""sqlc's parameter syntax, rewritten into PostgreSQL's before typing, so that
an sqlc project's query files move over unchanged:

- ``@name`` and ``sqlc.arg(name)``: a named parameter (``$n``);
- ``sqlc.narg(name)``: a named parameter that may be ``None``;
- ``sqlc.slice(name)``: a list; ``x IN (sqlc.slice(ids))`` becomes
  ``x = ANY($n)`` (``NOT IN``: ``<> ALL``), as asyncpg passes a list as one
  array parameter;
- ``sqlc.embed(t)``: ``t.*``, whose columns the result row holds as one
  field of ``t``'s row class.

In a query file ``@`` followed by a letter or ``_`` always starts a named
parameter, never PostgreSQL's ``@`` (absolute value) operator: write
``abs(x)``.  ``@>``, ``<@``, ``@@`` and the other operators with ``@`` keep
their meaning.  A name is used as written (``sqlc.arg(Name)`` folds to
``name``, as PostgreSQL folds identifiers; quote it to keep its case).
Named parameters take the numbers that ``$n`` parameters of the statement
leave free, in order of first use.

The scan skips comments, string literals, quoted identifiers and
dollar-quoted strings; ``Rewritten.origin`` maps an offset of the rewritten
text back to the file, so errors point at what the user wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator.frontends.sql.source import SqlError

_IDENT_START = re.compile(r"[^\W\d]")
_IDENT = re.compile(r"[^\W]*", re.UNICODE)
_DOLLAR_TAG = re.compile(r"\$([^\W\d]\w*)?\$")
_IN_BEFORE = re.compile(r"(?:\b(NOT)\s+)?\bIN\s*\(\s*$", re.IGNORECASE)
_SQLC_FUNCTIONS = ("arg", "narg", "slice", "embed")


@dataclass(frozen=True, slots=True)
class NamedParam:
    number: int
    name: str
    nullable: bool
    """``sqlc.narg``."""


@dataclass
class Rewritten:
    """A statement's text with sqlc's syntax replaced."""

    text: str
    base: int
    """Offset of the statement in its file."""
    params: dict[int, NamedParam] = field(default_factory=dict)
    embeds: dict[int, str] = field(default_factory=dict)
    """Offset in ``text`` of each ``t.*`` that was ``sqlc.embed(t)`` -> t."""
    _moves: list[tuple[int, int, int, int]] = field(default_factory=list)
    """(start, end) in ``text`` and (start, end) in the original, per edit."""

    def origin(self, offset: int | None) -> int:
        """The file offset of an offset of ``text`` (the statement's start
        when there is none)."""
        if offset is None or offset < 0:
            return self.base
        shift = 0
        for new_start, new_end, old_start, old_end in self._moves:
            if offset < new_start:
                break
            if offset < new_end:
                return self.base + old_start
            shift = old_end - new_end
        return self.base + offset + shift


@dataclass
class _Found:
    start: int
    end: int
    kind: str
    """arg, narg, slice, embed, or native (``$n``)."""
    name: str
    number: int = 0


def rewrite(text: str, base: int) -> Rewritten:
    """``text`` (one statement, at ``base`` in its file) with sqlc's
    parameters as ``$n``; ``SqlError`` for a malformed ``sqlc.*`` call."""
    found = list(_scan(text, base))
    if not any(f.kind != "native" for f in found):
        return Rewritten(text, base)
    named = _number(found)
    out = Rewritten("", base, params=named)
    pieces: list[str] = []
    pos = 0
    length = 0
    for f in found:
        if f.kind == "native":
            continue
        start, replacement = _replacement(text, f)
        piece = text[pos:start]
        pieces.append(piece)
        length += len(piece)
        if f.kind == "embed":
            out.embeds[length] = f.name
        out._moves.append((length, length + len(replacement), start, f.end))
        pieces.append(replacement)
        length += len(replacement)
        pos = f.end
    pieces.append(text[pos:])
    out.text = "".join(pieces)
    return out


def _replacement(text: str, f: _Found) -> tuple[int, str]:
    """Where the replaced text starts (before ``f`` for ``IN (...)``) and
    what replaces it."""
    if f.kind == "embed":
        return f.start, f"{_quoted(f.name)}.*"
    if f.kind == "slice":
        m = _IN_BEFORE.search(text, 0, f.start)
        close = _skip_space(text, f.end)
        if m is not None and close < len(text) and text[close] == ")":
            f.end = close + 1
            op = "<> ALL" if m[1] else "= ANY"
            return m.start(), f"{op}(${f.number})"
    return f.start, f"${f.number}"


def _quoted(name: str) -> str:
    if re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def _number(found: list[_Found]) -> dict[int, NamedParam]:
    used = {f.number for f in found if f.kind == "native"}
    by_name: dict[str, NamedParam] = {}
    params: dict[int, NamedParam] = {}
    next_free = 1
    for f in found:
        if f.kind in ("native", "embed"):
            continue
        known = by_name.get(f.name)
        if known is None:
            while next_free in used:
                next_free += 1
            known = NamedParam(next_free, f.name, f.kind == "narg")
            used.add(next_free)
            by_name[f.name] = params[next_free] = known
        elif f.kind == "narg" and not known.nullable:
            known = NamedParam(known.number, known.name, True)
            by_name[f.name] = params[known.number] = known
        f.number = known.number
    return params


# --- the scan ---------------------------------------------------------------------


def _scan(text: str, base: int) -> list[_Found]:
    out: list[_Found] = []
    i = 0
    while i < len(text):
        skip = _skip_literal(text, i)
        if skip > i:
            i = skip
            continue
        ch = text[i]
        if _IDENT_START.match(ch):
            end = _ident_end(text, i)
            if text[i:end].lower() == "sqlc" and (i == 0 or text[i - 1] != "."):
                call = _sqlc_call(text, i, end, base)
                if call is not None:
                    out.append(call)
                    i = call.end
                    continue
            i = end
        elif ch == "@" and i + 1 < len(text) and _IDENT_START.match(text[i + 1]):
            end = _ident_end(text, i + 1)
            if i == 0 or text[i - 1] not in "<@#&|?!~^":
                out.append(_Found(i, end, "arg", text[i + 1 : end]))
            i = end
        elif ch == "$" and i + 1 < len(text) and text[i + 1].isdigit():
            end = i + 1
            while end < len(text) and text[end].isdigit():
                end += 1
            out.append(_Found(i, end, "native", "", int(text[i + 1 : end])))
            i = end
        else:
            i += 1
    return out


def _ident_end(text: str, i: int) -> int:
    m = _IDENT.match(text, i)
    end = m.end() if m else i
    while end < len(text) and text[end] == "$":
        end += 1  # identifiers may hold $ after the first character
        m = _IDENT.match(text, end)
        end = m.end() if m else end
    return max(end, i + 1)


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _skip_literal(text: str, i: int) -> int:
    """The offset after a comment, string, quoted identifier or
    dollar-quoted string starting at ``i``; ``i`` when none starts there."""
    ch = text[i]
    if text.startswith("--", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        return _comment_end(text, i)
    if ch in "'\"":
        return _quoted_end(text, i)
    if ch == "$" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
        m = _DOLLAR_TAG.match(text, i)
        if m is not None:
            end = text.find(m[0], m.end())
            return len(text) if end < 0 else end + len(m[0])
    return i


def _comment_end(text: str, i: int) -> int:
    """After the ``*/`` closing the (nested) comment at ``i``."""
    depth, j = 0, i
    while j < len(text):
        if text.startswith("/*", j):
            depth, j = depth + 1, j + 2
        elif text.startswith("*/", j):
            depth, j = depth - 1, j + 2
            if depth == 0:
                return j
        else:
            j += 1
    return len(text)


def _quoted_end(text: str, i: int) -> int:
    """After the string or quoted identifier at ``i`` (``''`` and ``""``
    escape their quote; ``E'...'`` strings take backslash escapes)."""
    quote = text[i]
    escapes = quote == "'" and i > 0 and text[i - 1] in "eE"
    j = i + 1
    while j < len(text):
        if escapes and text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            if j + 1 < len(text) and text[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return len(text)


def _sqlc_call(text: str, start: int, after: int, base: int) -> _Found | None:
    """``sqlc.<fn>(<name>)`` at ``start``; None when it is not one."""
    i = _skip_space(text, after)
    if i >= len(text) or text[i] != ".":
        return None
    i = _skip_space(text, i + 1)
    if i >= len(text) or not _IDENT_START.match(text[i]):
        return None
    fn_end = _ident_end(text, i)
    fn = text[i:fn_end].lower()
    open_ = _skip_space(text, fn_end)
    if open_ >= len(text) or text[open_] != "(":
        return None
    close = _matching_paren(text, open_)
    if close < 0:
        return None
    if fn not in _SQLC_FUNCTIONS:
        raise SqlError(
            base + start,
            f'function "sqlc.{fn}" does not exist',
            "sqlc's functions: " + ", ".join(f"sqlc.{f}()" for f in _SQLC_FUNCTIONS),
        )
    name = _argument(text[open_ + 1 : close], fn, base + start)
    return _Found(start, close + 1, fn, name)


def _matching_paren(text: str, open_: int) -> int:
    depth, i = 0, open_
    while i < len(text):
        skip = _skip_literal(text, i)
        if skip > i:
            i = skip
            continue
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _argument(inner: str, fn: str, offset: int) -> str:
    """The name a sqlc function is given: an identifier (folded to lower
    case), a quoted identifier or a string literal."""
    arg = inner.strip()
    parts = _split_commas(arg) if arg else []
    if len(parts) != 1:
        raise SqlError(offset, f"expected 1 parameter to sqlc.{fn}; got {len(parts)}")
    if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "'\"":
        return arg[1:-1].replace(arg[0] * 2, arg[0])
    if re.fullmatch(r"[^\W\d][\w$]*", arg):
        return arg.lower()
    if fn == "embed" and re.fullmatch(r"[^\W\d][\w$]*\.[^\W\d][\w$]*", arg):
        return arg.lower()
    raise SqlError(
        offset,
        f"sqlc.{fn}() takes a name, not {arg!r}",
        f"sqlc.{fn}(name) or sqlc.{fn}('name')",
    )


def _split_commas(text: str) -> list[str]:
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        skip = _skip_literal(text, i)
        if skip > i:
            i = skip
            continue
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
        elif text[i] == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts

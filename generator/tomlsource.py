"""TOML documents that remember where each key and value was written.

``tomllib`` keeps no positions, so after it has accepted a document a small
scanner walks the same text once more and notes, for every key path
(``("tool", "svcforge", "channels", "trades", "retry", "attempts")``; arrays
and arrays of tables add an index), where its key and its value start.  The
scanner only runs on text ``tomllib`` accepted, so it never reports errors.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from generator.errors import Diagnostic, SchemaError
from generator.ir import Span

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BLANK = " \t\r"
_SCALAR_END = re.compile(r"[,\]}\n#]")


@dataclass(frozen=True, slots=True)
class TomlDocument:
    path: str
    """Relative to the service root, as shown in diagnostics."""
    value: dict[str, Any]
    keys: dict[KeyPath, Span] = field(default_factory=dict)
    """Where each key path's key (or table header) was first written."""
    values: dict[KeyPath, Span] = field(default_factory=dict)
    """Where each key path's value starts (a table's is its header)."""

    def span(self, path: KeyPath, *, key: bool = False) -> Span:
        """The position of the value (or key) at ``path``; falls back to the
        closest enclosing key path that was written."""
        spans = self.keys if key else self.values
        while path:
            if path in spans:
                return spans[path]
            path, spans = path[:-1], self.values
        return Span(self.path, 1, 1)


def load_toml(path: str, text: str) -> TomlDocument:
    """Parse ``text``; a syntax error becomes a diagnostic with line and column."""
    try:
        value = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        span = Span(path, int(m[1]), int(m[2])) if m else Span(path, 1, 1)
        # The position is already in front of the message; say it once.
        reason = str(exc)[: m.start()].rstrip() if m else str(exc)
        raise SchemaError([Diagnostic(span, f"invalid TOML: {reason}")]) from None
    doc = TomlDocument(path, value)
    try:
        _Scanner(doc, text).document()
    except (_Lost, IndexError, ValueError):
        # Positions only sharpen messages: should the scanner ever misread a
        # document tomllib accepted, report at 1:1 rather than crash.
        doc.keys.clear()
        doc.values.clear()
    return doc


class _Lost(Exception):
    """The scanner stopped making progress: it misread the text."""


class _Scanner:
    """One pass over valid TOML text, filling a document's key and value spans."""

    def __init__(self, doc: TomlDocument, text: str) -> None:
        self.doc = doc
        self.text = text
        self.pos = 0
        self.line_starts = [0, *(m.end() for m in re.finditer(r"\n", text))]
        self.table: KeyPath = ()
        self.array_counts: dict[KeyPath, int] = {}

    def span(self, pos: int) -> Span:
        line = bisect.bisect_right(self.line_starts, pos)
        return Span(self.doc.path, line, pos - self.line_starts[line - 1] + 1)

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def skip_blank(self, *, newlines: bool = False) -> None:
        """Whitespace and comments (and newlines, inside arrays)."""
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c in _BLANK or (newlines and c == "\n"):
                self.pos += 1
            elif c == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    def advanced(self, since: int) -> None:
        if self.pos <= since:
            raise _Lost(since)

    def document(self) -> None:
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return
            since = self.pos
            if self.peek(2) == "[[":
                self.header(array=True)
            elif self.peek() == "[":
                self.header(array=False)
            else:
                self.key_value(self.table)
            self.advanced(since)

    def header(self, *, array: bool) -> None:
        start = self.span(self.pos)
        self.pos += 2 if array else 1
        self.skip_blank()
        names = [name for name, _ in self.key()]
        self.pos = self.text.index("]]" if array else "]", self.pos)
        self.pos += 2 if array else 1
        path: KeyPath = ()
        for i, name in enumerate(names):
            path = (*path, name)
            if not (array and i == len(names) - 1):
                path = self.concrete(path)
            self.note(path, start, start, first=True)
        if array:
            count = self.array_counts.get(path, 0)
            self.array_counts[path] = count + 1
            path = (*path, count)
        self.note(path, start, start, first=False)
        self.table = path

    def concrete(self, path: KeyPath) -> KeyPath:
        """A header's path, with arrays of tables resolved to their last entry:
        ``[tool.x]`` after ``[[tool]]`` is a key of the last ``[[tool]]``."""
        count = self.array_counts.get(path)
        return path if count is None else (*path, count - 1)

    def note(self, path: KeyPath, key: Span, value: Span, *, first: bool) -> None:
        if first:
            self.doc.keys.setdefault(path, key)
            self.doc.values.setdefault(path, value)
        else:
            self.doc.keys[path] = key
            self.doc.values[path] = value

    def key(self) -> list[tuple[str, int]]:
        """A (dotted) key: each part and where it starts."""
        parts: list[tuple[str, int]] = []
        while True:
            self.skip_blank()
            start = self.pos
            if self.peek() in "\"'":
                raw = self.string_token()
                parts.append((tomllib.loads(f"k = {raw}")["k"], start))
            else:
                m = _BARE_KEY.match(self.text, self.pos)
                end = m.end() if m else self.pos + 1
                parts.append((self.text[start:end], start))
                self.pos = end
            self.skip_blank()
            if self.peek() != ".":
                return parts
            self.pos += 1

    def key_value(self, table: KeyPath) -> None:
        path = table
        parts = self.key()
        for name, start in parts[:-1]:
            path = (*path, name)
            at = self.span(start)
            self.note(path, at, at, first=True)
        path = (*path, parts[-1][0])
        key_span = self.span(parts[-1][1])
        self.pos += 1  # "="
        self.skip_blank()
        self.note(path, key_span, self.span(self.pos), first=False)
        self.value(path)

    def value(self, path: KeyPath) -> None:
        c = self.peek()
        if c in "\"'":
            self.string_token()
        elif c == "[":
            self.array(path)
        elif c == "{":
            self.inline_table(path)
        else:
            m = _SCALAR_END.search(self.text, self.pos)
            self.pos = m.start() if m else len(self.text)

    def array(self, path: KeyPath) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.pos += 1
                return
            since = self.pos
            at = self.span(since)
            self.note((*path, index), at, at, first=False)
            self.value((*path, index))
            index += 1
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1
            self.advanced(since)

    def inline_table(self, path: KeyPath) -> None:
        self.pos += 1
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.pos += 1
                return
            since = self.pos
            self.key_value(path)
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1
            self.advanced(since)

    def string_token(self) -> str:
        """Skip one string (basic, literal, or multi-line); return its text."""
        start = self.pos
        quote = self.text[start]
        delim = quote * 3 if self.text.startswith(quote * 3, start) else quote
        i = start + len(delim)
        while i < len(self.text):
            if quote == '"' and self.text[i] == "\\":
                i += 2
            elif self.text.startswith(delim, i):
                i += len(delim)
                break
            else:
                i += 1
        else:
            raise _Lost(start)
        # A multi-line string may end with one or two quotes of its own.
        while len(delim) == 3 and i < len(self.text) and self.text[i] == quote:
            i += 1
        self.pos = i
        return self.text[start:i]

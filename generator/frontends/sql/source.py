"""SQL text: parsing with pglast, positions, the comments around statements,
and ``SqlError``, which every SQL step raises at a character offset."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pglast import parse_sql
from pglast.parser import ParseError
from pglast.stream import RawStream

from generator.errors import Diagnostic, SchemaError
from generator.ir import Span
from svcforge.sqlscript import server_sql

_PSQL_HINT = (
    "psql meta-commands (\\set, \\connect, \\i, ...) are no SQL: migrations and "
    "queries run without psql (pg_dump's \\restrict and \\unrestrict are left out)"
)


class SqlError(Exception):
    """One problem at a character offset of a SQL file; the front-end turns it
    into a ``Diagnostic`` (with line and column) of that file."""

    def __init__(self, offset: int | None, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Statement:
    node: Any
    start: int
    """Character offset of the statement's first token."""
    end: int
    comments: tuple[tuple[int, str], ...]
    """``--`` comment lines right before it: (offset, text after ``--``)."""
    gap: int = 0
    """Where the text between the previous statement and this one starts
    (comments of any form live there)."""

    def at(self, offset: int | None) -> int:
        """A node location when pglast gave one (``-1`` means none), else the
        statement's start."""
        return offset if offset is not None and offset >= 0 else self.start


@dataclass(frozen=True, slots=True)
class SqlSource:
    path: str
    """Relative to the service root."""
    text: str
    _lines: list[int] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [0]
        starts += [i + 1 for i, ch in enumerate(self.text) if ch == "\n"]
        self._lines.extend(starts)

    def span(self, offset: int | None) -> Span:
        # pglast already turned libpg_query's byte offsets into character
        # offsets; lines and columns are 1-based so editors can jump there.
        if offset is None or offset < 0:
            return Span(self.path, 1, 1)
        line = bisect.bisect_right(self._lines, offset)
        return Span(self.path, line, offset - self._lines[line - 1] + 1)

    def diagnostic(self, err: SqlError) -> Diagnostic:
        return Diagnostic(self.span(err.offset), err.message, err.hint)

    def statements(self) -> list[Statement]:
        """Every statement, or ``SchemaError`` pointing at the syntax error."""
        try:
            raw = parse_sql(server_sql(self.text))
        except ParseError as exc:
            message = str(exc.args[0])
            offset = exc.args[1] if len(exc.args) > 1 else None
            if offset is None:  # "at end of input": point at the last token
                offset = max(len(self.text.rstrip()) - 1, 0)
            hint = (
                _PSQL_HINT if self.text[int(offset) : int(offset) + 1] == "\\" else ""
            )
            raise SchemaError(
                [
                    Diagnostic(
                        self.span(int(offset)), f"SQL syntax error: {message}", hint
                    )
                ]
            ) from None
        out = []
        prev_end = 0
        for r in raw:
            start = int(r.stmt_location or 0)
            end = start + r.stmt_len if r.stmt_len else len(self.text)
            comments = tuple(self._comments_before(prev_end, start))
            out.append(Statement(r.stmt, start, end, comments, prev_end))
            prev_end = end
        return out

    def _comments_before(self, lo: int, hi: int) -> Iterator[tuple[int, str]]:
        """The ``--`` lines between the end of the previous statement and
        ``hi``: the last block of them (a blank line ends a block)."""
        block: list[tuple[int, str]] = []
        pos = lo
        *lines, _ = self.text[lo:hi].split("\n")  # the last: indentation before hi
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("--"):
                block.append((pos + line.index("--"), stripped[2:]))
            elif stripped != ";":
                block = []
            pos += len(line) + 1
        yield from block

    def slice(self, start: int, end: int) -> str:
        return self.text[start:end]


def deparse(node: Any) -> str:
    """Canonical SQL text of an expression (for defaults, checks)."""
    return str(RawStream()(node))

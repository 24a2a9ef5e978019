"""The sqlc annotation above each named query: ``-- name: recent_trades
:many`` or ``/* name: GetAuthor :one */``, then its docstring, where
``-- $2: since`` names a parameter.  Comment lines that start with ``@``
(``@sqlc-vet-disable``) are sqlc's flags, not documentation.

Commands: ``:one`` (a row, or ``None``), ``:many`` (a list), ``:exec``
(nothing), ``:execrows`` (rows affected), ``:execresult`` (the command status,
``"UPDATE 3"``), ``:execlastid`` (the one ``RETURNING`` value: PostgreSQL has
no last insert id), ``:copyfrom`` (rows in with COPY), and the batches
``:batchexec``, ``:batchmany``, ``:batchone`` (one run per set of arguments).

A schema statement (CREATE, ALTER, DROP, COMMENT, GRANT, SET, ...) without an
annotation is no query: it is skipped, as sqlc skips it, so that one file can
serve as both migration and queries.  A data statement (SELECT, INSERT,
UPDATE, DELETE, MERGE, CALL) without one is refused: a forgotten annotation
would otherwise drop a query without a word.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast, get_args

from pglast import ast

from generator import ir
from generator.frontends.sql.source import SqlError, SqlSource, Statement

_NAME = re.compile(r"^\s*name\s*:")
_PARAM = re.compile(r"^\s*\$(\d+)\s*:\s*([A-Za-z_][A-Za-z0-9_]*)\s*(.*)$")
_IDENT = re.compile(r"^[^\W\d]\w*$")
COMMANDS: tuple[str, ...] = get_args(ir.QueryCommand)
_HINT = "put '-- name: <QueryName> :one|:many|:exec|...' on the line above it"


@dataclass(frozen=True, slots=True)
class Annotation:
    name: str
    command: ir.QueryCommand
    offset: int
    """Where the ``name:`` comment is: errors about the query point there."""
    doc: str
    params: dict[int, str]
    """Parameter names given by ``-- $n: name``."""


def annotation(source: SqlSource, stmt: Statement) -> Annotation | None:
    """The statement's annotation; None for a schema statement without one
    (see the module's docstring)."""
    lines = list(comment_lines(source.text, stmt.gap, stmt.start))
    for i, (offset, text) in enumerate(lines):
        if _NAME.match(text):
            name, command = _name_and_command(text, offset)
            doc, params = _doc_and_params(lines[i + 1 :])
            return Annotation(name, command, offset, doc, params)
    if not _data_statement(stmt.node):
        return None
    raise SqlError(stmt.start, "statement without a name annotation", _HINT)


_DATA = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt, ast.CallStmt)


def _data_statement(node: Any) -> bool:
    if isinstance(node, ast.SelectStmt):
        return node.intoClause is None  # SELECT ... INTO creates a table
    return isinstance(node, _DATA)


def comment_lines(text: str, start: int, end: int) -> Iterator[tuple[int, str]]:
    """The comments in ``text[start:end]`` (whitespace and comments only), a
    line at a time: (offset, text without ``--``, ``/*``, ``*/``)."""
    i = start
    while i < end:
        if text.startswith("--", i):
            stop = text.find("\n", i, end)
            stop = end if stop < 0 else stop
            yield i, text[i + 2 : stop]
            i = stop
        elif text.startswith("/*", i):
            stop = _block_end(text, i, end)
            yield from _block_lines(text, i, stop)
            i = stop
        else:
            i += 1


def _block_end(text: str, i: int, end: int) -> int:
    """The offset after the ``*/`` closing the (nested) comment at ``i``."""
    depth, j = 0, i
    while j < end:
        if text.startswith("/*", j):
            depth, j = depth + 1, j + 2
        elif text.startswith("*/", j):
            depth, j = depth - 1, j + 2
            if depth == 0:
                return j
        else:
            j += 1
    return end


def _block_lines(text: str, start: int, stop: int) -> Iterator[tuple[int, str]]:
    body = text[start + 2 : stop].removesuffix("*/")
    pos = start + 2
    for line in body.split("\n"):
        stripped = line.strip()
        if stripped.startswith("*") and not stripped.startswith("*/"):
            stripped = stripped[1:]
        yield pos, " " + stripped.strip() if stripped.strip() else ""
        pos += len(line) + 1


def _name_and_command(text: str, offset: int) -> tuple[str, ir.QueryCommand]:
    words = text.split(":", 1)[1].split()
    if len(words) == 1:
        raise SqlError(
            offset,
            f"query {words[0]!r} has no command",
            "end the annotation with one of " + ", ".join(f":{c}" for c in COMMANDS),
        )
    if len(words) != 2:
        raise SqlError(offset, "invalid query annotation", _HINT)
    name, command = words
    if not _IDENT.match(name) or keyword.iskeyword(name):
        raise SqlError(
            offset,
            f"query name {name!r} is not an identifier",
            "use letters, digits and underscores: recent_trades or RecentTrades",
        )
    if command.removeprefix(":") not in COMMANDS or not command.startswith(":"):
        raise SqlError(
            offset,
            f"query {name!r} has an unknown command {command}",
            "use one of " + ", ".join(f":{c}" for c in COMMANDS),
        )
    return name, cast(ir.QueryCommand, command[1:])


def _doc_and_params(
    comments: list[tuple[int, str]],
) -> tuple[str, dict[int, str]]:
    """The docstring (with a line per described parameter) and the
    parameter names, from the comment lines after ``name:``."""
    doc_lines, params = [], {}
    for offset, line in comments:
        if line.strip().startswith("@"):
            continue  # sqlc's flags: @sqlc-vet-disable, @param
        pm = _PARAM.match(line)
        if pm is None:
            doc_lines.append(line[1:] if line.startswith(" ") else line)
            continue
        if keyword.iskeyword(pm[2]):
            raise SqlError(offset, f"parameter name {pm[2]!r} is a Python keyword")
        params[int(pm[1])] = pm[2]
        if pm[3].strip():
            doc_lines.append(f"``{pm[2]}``: {pm[3].strip()}")
    return "\n".join(doc_lines).strip(), params

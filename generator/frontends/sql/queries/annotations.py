"""The sqlc-style comment above each named query: ``-- name: recent_trades
:many`` (``:one``, ``:many``, ``:exec`` or ``:execrows``), then its docstring,
where ``-- $2: since`` names a parameter."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import cast

from generator import ir
from generator.frontends.sql.source import SqlError, Statement

_NAME = re.compile(r"^\s*name:\s*(\S+)\s*(?::(\S*))?\s*$")
_PARAM = re.compile(r"^\s*\$(\d+)\s*:\s*([A-Za-z_][A-Za-z0-9_]*)\s*(.*)$")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
COMMANDS = ("one", "many", "exec", "execrows")


@dataclass(frozen=True, slots=True)
class Annotation:
    name: str
    command: ir.QueryCommand
    offset: int
    """Where the ``name:`` comment is: errors about the query point there."""
    doc: str
    params: dict[int, str]
    """Parameter names given by ``-- $n: name``."""


def annotation(stmt: Statement) -> Annotation:
    for i, (offset, text) in enumerate(stmt.comments):
        m = _NAME.match(text)
        if m is not None:
            name, command = _name_and_command(m[1], m[2], offset)
            doc, params = _doc_and_params(stmt.comments[i + 1 :])
            return Annotation(name, command, offset, doc, params)
    raise SqlError(
        stmt.start,
        "statement without a name annotation",
        "put '-- name: <query_name> :one|:many|:exec|:execrows' on the line above it",
    )


def _name_and_command(
    name: str, command: str | None, offset: int
) -> tuple[str, ir.QueryCommand]:
    if not _IDENT.match(name) or keyword.iskeyword(name):
        raise SqlError(
            offset,
            f"query name {name!r} is not a snake_case Python identifier",
            "use lower case letters, digits and underscores: recent_trades",
        )
    if command not in COMMANDS:
        raise SqlError(
            offset,
            f"query {name!r} has no valid command"
            + (f" (found :{command})" if command else ""),
            "end the annotation with :one, :many, :exec or :execrows",
        )
    return name, cast(ir.QueryCommand, command)


def _doc_and_params(
    comments: tuple[tuple[int, str], ...],
) -> tuple[str, dict[int, str]]:
    """The docstring (with a line per described parameter) and the
    parameter names, from the comment lines after ``name:``."""
    doc_lines, params = [], {}
    for offset, line in comments:
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

"""Writes ``generator/frontends/sql/queries/pg_extensions.txt``: the types,
casts, functions, aggregates and operators of extensions that the test
server does not have (so ``tests/pg_catalog_dump.py`` cannot read them from
its catalog), read from their install scripts instead, in the same format.

    python -m tests.pg_extension_script vector=PATH/TO/pgvector/sql/vector.sql

An install script declares exactly what ``CREATE EXTENSION`` puts in the
catalog: ``CREATE TYPE`` (category ``U`` unless it says otherwise, with its
array type), ``CREATE FUNCTION`` (strictness, defaults), ``CREATE
AGGREGATE`` (its result: the final function's, else the state type), ``CREATE
CAST`` (implicit and assignment ones) and ``CREATE OPERATOR`` (the result and
strictness of its function).  Functions over the server's internal types are
left out, as the catalog dump leaves them out.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import CoercionContext, ObjectType

from tests.pg_catalog_dump import INTERNAL_TYPES

TARGET = (
    Path(__file__).resolve().parent.parent
    / "generator/frontends/sql/queries/pg_extensions.txt"
)
_PSQL = re.compile(r"^\\.*$", re.MULTILINE)
_CONTEXTS = {
    CoercionContext.COERCION_IMPLICIT: "i",
    CoercionContext.COERCION_ASSIGNMENT: "a",
}


def _typname(tn: Any) -> str:
    name = str(tn.names[-1].sval)
    return ("_" if tn.arrayBounds else "") + name


def _option(node: Any, name: str) -> Any:
    options = getattr(node, "options", None) or getattr(node, "definition", None)
    for opt in options or ():
        if opt.defname == name:
            return opt.arg
    return None


class _Script:
    def __init__(self) -> None:
        self.types: list[str] = []
        self.casts: list[str] = []
        self.functions: dict[tuple[str, tuple[str, ...]], tuple[str, bool]] = {}
        self.function_lines: list[tuple[str, tuple[str, ...], str]] = []
        self.operators: list[str] = []

    def statement(self, node: Any) -> None:
        match node:
            case ast.CreateFunctionStmt():
                self._function(node)
            case ast.DefineStmt() if node.kind == ObjectType.OBJECT_TYPE:
                self._type(node)
            case ast.DefineStmt() if node.kind == ObjectType.OBJECT_AGGREGATE:
                self._aggregate(node)
            case ast.DefineStmt() if node.kind == ObjectType.OBJECT_OPERATOR:
                self._operator(node)
            case ast.CreateCastStmt() if node.context in _CONTEXTS:
                source, target = _typname(node.sourcetype), _typname(node.targettype)
                self.casts.append(f"C {source} {target} {_CONTEXTS[node.context]}")

    def _type(self, node: Any) -> None:
        if not node.definition:
            return  # the shell type; the full definition follows
        name = str(node.defnames[-1].sval)
        category = _option(node, "category")
        letter = str(category.sval) if category is not None else "U"
        self.types += [f"T {name} {letter} 0 b -", f"T _{name} A 0 b {name}"]

    def _function(self, node: Any) -> None:
        name = str(node.funcname[-1].sval)
        args = tuple(_typname(p.argType) for p in node.parameters or ())
        result = _typname(node.returnType)
        self.functions[(name, args)] = (result, _option(node, "strict") is not None)
        if any(t.lstrip("_") in INTERNAL_TYPES for t in (*args, result)):
            return
        defaults = sum(1 for p in node.parameters or () if p.defexpr is not None)
        strict = "1" if self.functions[(name, args)][1] else "0"
        retset = "1" if node.returnType.setof else "0"
        line = (
            f"F {name} f {retset} {strict} - {defaults} {result} "
            f"{','.join(args) or '-'} - -"
        )
        self.function_lines.append((name, args, line))

    def _aggregate(self, node: Any) -> None:
        name = str(node.defnames[-1].sval)
        args = tuple(_typname(p.argType) for p in node.args[0])
        state = _typname(_option(node, "stype"))
        final = _option(node, "finalfunc")
        result = state
        if final is not None:
            result = self.functions[(str(final.names[-1].sval), (state,))][0]
        line = f"F {name} a 0 0 - 0 {result} {','.join(args)} - -"
        self.function_lines.append((name, args, line))

    def _operator(self, node: Any) -> None:
        name = str(node.defnames[-1].sval)
        left, right = _option(node, "leftarg"), _option(node, "rightarg")
        args = tuple(_typname(t) for t in (left, right) if t is not None)
        proc = _option(node, "procedure") or _option(node, "function")
        result, strict = self.functions[(str(proc.names[-1].sval), args)]
        shown = args if len(args) == 2 else ("-", *args)
        self.operators.append(f"O {name} {' '.join(shown)} {result} {int(strict)}")

    def lines(self, extension: str) -> list[str]:
        functions = [line for _, _, line in sorted(self.function_lines)]
        return [
            f"X {extension}",
            *sorted(self.types),
            *sorted(self.casts),
            *functions,
            *sorted(self.operators),
        ]


def section(extension: str, script: str) -> list[str]:
    parsed = _Script()
    for raw in parse_sql(_PSQL.sub("", script)):
        parsed.statement(raw.stmt)
    return parsed.lines(extension)


def main(argv: list[str]) -> int:
    lines = [
        "# Extensions the test server lacks, read from their install scripts",
        "# (CREATE EXTENSION runs them) in the format of pg_catalog.txt.",
        "# Written by tests/pg_extension_script.py; do not edit.",
    ]
    for arg in argv:
        extension, _, path = arg.partition("=")
        lines += section(extension, Path(path).read_text(encoding="utf-8"))
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The extensions a service's queries may use: those its migrations create
(``CREATE EXTENSION``) and those that define a type its tables' columns have.
Their functions, operators and casts join the built-in ones for typing; a
call to a function of an extension the service does not use is an error,
as it would be on the server."""

from __future__ import annotations

from collections.abc import Sequence

from pglast import ast

from generator import ir
from generator.errors import SchemaError
from generator.frontends.sql.queries.pg_catalog import EXTENSIONS_OF_TYPES
from generator.frontends.sql.source import SqlSource

# CREATE EXTENSION ... CASCADE creates these too.
_REQUIRES = {"earthdistance": ("cube",)}


def extensions_used(
    migrations: Sequence[SqlSource], tables: Sequence[ir.Table]
) -> frozenset[str]:
    names: set[str] = set()
    for source in migrations:
        try:
            statements = source.statements()
        except SchemaError:
            continue  # the migrations front-end reports it
        for stmt in statements:
            if isinstance(stmt.node, ast.CreateExtensionStmt):
                names.add(str(stmt.node.extname))
    for table in tables:
        for column in table.columns:
            extension = EXTENSIONS_OF_TYPES.get(column.type.name)
            if extension is not None:
                names.add(extension)
    for name in list(names):
        names.update(_REQUIRES.get(name, ()))
    return frozenset(names)

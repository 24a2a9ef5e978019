"""What every replay step is given: the statement being replayed, the file it
comes from, and the catalog it changes; and how statements name objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.frontends.sql.catalog import TEMP_SCHEMA, Catalog
from generator.frontends.sql.source import SqlError, SqlSource, Statement

# pglast types every node attribute as Optional; the parser guarantees the ones
# the replay reads for the statement kinds it handles, so nodes are ``Any``.


@dataclass(frozen=True, slots=True)
class Step:
    catalog: Catalog
    source: SqlSource
    stmt: Statement

    @property
    def start(self) -> int:
        """Where errors point when the node at fault has no location."""
        return self.stmt.start


def kind_of(node: object) -> str:
    """A node's kind as users know it: ``CreateFunctionStmt`` -> ``CreateFunction``."""
    return type(node).__name__.removesuffix("Stmt")


def split_name(names: list[str]) -> tuple[str | None, str]:
    """``[schema, name]`` or ``[name]`` -> (schema or None, name)."""
    return (names[0], names[1]) if len(names) == 2 else (None, names[-1])


def qualified(names: list[str]) -> str:
    """``schema.name``, in ``public`` when the statement names no schema."""
    schema, name = split_name(names)
    return f"{schema or 'public'}.{name}"


def relation_name(rel: Any) -> str:
    """The qualified name of a ``RangeVar`` (a table in a statement)."""
    return f"{rel.schemaname or 'public'}.{rel.relname}"


def string_names(nodes: Any) -> list[str]:
    """The parts of a dotted name (pglast ``String`` nodes)."""
    return [n.sval for n in nodes or ()]


def created_relation(rel: Any) -> Any:
    """The ``RangeVar`` a CREATE names, with ``pg_temp`` as the schema of a
    ``TEMPORARY`` one (PostgreSQL puts it in the session's temporary schema)."""
    if rel.relpersistence != "t":
        return rel
    if rel.schemaname not in (None, "", TEMP_SCHEMA):
        raise SqlError(
            rel.location, "cannot create temporary relation in non-temporary schema"
        )
    rel.schemaname = TEMP_SCHEMA
    return rel

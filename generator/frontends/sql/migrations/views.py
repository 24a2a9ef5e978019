"""Views, materialized views and ``CREATE TABLE ... AS`` (and ``SELECT ...
INTO``): their columns are typed from their query by the named-query typer,
over the tables and views replayed so far.

A query the typer cannot follow leaves the relation in the catalog without
columns (``typed`` false): PostgreSQL accepted it, so later statements that
name it must not fail, but it gets no row class.
"""

from __future__ import annotations

from copy import copy
from typing import Any

from pglast.enums import ObjectType
from pglast.visitors import Visitor

from generator import ir
from generator.frontends.sql.catalog import TEMP_SCHEMA, Catalog, CatColumn, CatTable
from generator.frontends.sql.migrations.step import (
    Step,
    created_relation,
    relation_name,
)
from generator.frontends.sql.queries.dml import relation_outputs
from generator.frontends.sql.source import SqlError

TEXT = ir.SqlType("text")


def create_view(step: Step, node: Any) -> None:
    if _reads_temporary(step.catalog, node.query):
        node.view.relpersistence = "t"  # PostgreSQL makes it temporary too
    rel = created_relation(node.view)
    qual = step.catalog.qualify(rel.relname, rel.schemaname, rel.location)
    existing = step.catalog.tables.get(qual)
    replaces = existing is not None and node.replace and existing.kind == "view"
    if step.catalog.relation_taken(qual) and not replaces:
        raise SqlError(rel.location, f'relation "{qual}" already exists')
    aliases = [a.sval for a in node.aliases or ()]
    _define(step, rel, "view", node.query, aliases, existing)


class _Relations(Visitor):
    def __init__(self) -> None:
        self.names: list[tuple[str | None, str]] = []

    def visit_RangeVar(self, ancestors: Any, node: Any) -> None:
        self.names.append((node.schemaname, node.relname))


def _reads_temporary(catalog: Catalog, query: Any) -> bool:
    found = _Relations()
    found(query)
    return any(
        f"{TEMP_SCHEMA}.{name}" in catalog.tables and schema in (None, TEMP_SCHEMA)
        for schema, name in found.names
    )


def create_table_as(step: Step, node: Any) -> None:
    """``CREATE TABLE ... AS``, ``CREATE MATERIALIZED VIEW``, ``SELECT INTO``."""
    into = node.into if hasattr(node, "into") else node.intoClause
    rel = created_relation(into.rel)
    qual = step.catalog.qualify(rel.relname, rel.schemaname, rel.location)
    if step.catalog.relation_taken(qual):
        if getattr(node, "if_not_exists", False):
            return
        raise SqlError(rel.location, f'relation "{qual}" already exists')
    matview = getattr(node, "objtype", None) == ObjectType.OBJECT_MATVIEW
    kind: ir.TableKind = "materialized view" if matview else "table"
    names = [c.sval for c in into.colNames or ()]
    query = node.query if hasattr(node, "query") else _without_into(node)
    _define(step, rel, kind, query, names, None)


def _without_into(select: Any) -> Any:
    """``SELECT ... INTO t``: the query without its target."""
    plain = copy(select)
    plain.intoClause = None
    return plain


def _define(
    step: Step,
    rel: Any,
    kind: ir.TableKind,
    query: Any,
    names: list[str],
    existing: CatTable | None,
) -> None:
    catalog = step.catalog
    qual = relation_name(rel)
    table = existing or CatTable(
        qual.split(".")[0], rel.relname, step.source.span(rel.location)
    )
    table.kind = kind
    table.sources.add(step.source.path)
    catalog.tables[qual] = table
    columns = query_columns(catalog, query, step.source.text, exclude=qual)
    if columns is None:
        table.columns, table.typed = [], False
        return
    for i, name in enumerate(names[: len(columns)]):
        columns[i].name = name
    # PostgreSQL makes every column of a view or of CREATE TABLE AS nullable;
    # for a view, what the query guarantees is kept (queries over it then
    # type as precisely as over its tables).
    if kind != "view":
        for c in columns:
            c.nullable = True
    table.columns, table.typed = columns, True


def query_columns(
    catalog: Catalog, query: Any, text: str, exclude: str = ""
) -> list[CatColumn] | None:
    """The result columns of a SELECT over the catalog (``text``: the file its
    node's offsets refer to), or None when the typer cannot follow it."""
    tables = provisional_tables(catalog, exclude)
    try:
        outputs = relation_outputs(
            tables, catalog.enum_lookup, query, text, frozenset(catalog.sequences)
        )
    except SqlError:
        return None
    span = ir.Span("")
    return [CatColumn(o.name, o.ty.type or TEXT, o.ty.nullable, span) for o in outputs]


def provisional_tables(catalog: Catalog, exclude: str = "") -> dict[str, ir.Table]:
    """The catalog's typed relations as the query typer reads them (names and
    column types only: Python names are decided once the replay is done)."""
    out = {}
    for qual, t in catalog.tables.items():
        if qual == exclude or not t.typed:
            continue
        columns = tuple(
            ir.Column(c.name, c.name, c.type, c.nullable, c.span) for c in t.columns
        )
        out[qual] = ir.Table(t.schema, t.name, "", "", "", "", columns, t.span)
    for t in catalog.tables.values():
        if t.schema == TEMP_SCHEMA and t.qualname in out:
            # First on the search path: an unqualified name means the temporary one.
            out[f"public.{t.name}"] = out[t.qualname]
    return out


def refresh(step: Step, node: Any) -> None:
    """REFRESH MATERIALIZED VIEW: the view must exist; its shape is unchanged."""
    rel = node.relation
    view = step.catalog.table(rel.relname, rel.schemaname, rel.location)
    if view.kind != "materialized view":
        raise SqlError(rel.location, f'"{view.qualname}" is not a materialized view')

"""Types other than enums: composite types (a row-like class), domains (typed
as their base type), range types and base types with their own I/O functions
(exchanged as text).  Renamed, moved, altered and dropped."""

from __future__ import annotations

from typing import Any

from generator.frontends.sql.catalog import CatColumn, CatComposite
from generator.frontends.sql.migrations.step import Step, split_name, string_names
from generator.frontends.sql.source import SqlError
from generator.frontends.sql.type_names import sql_type
from generator.ir import SqlType


def column_type(step: Step, type_name: Any) -> SqlType:
    """A type as a migration names it: base types, enums, and what the
    migrations or extensions created."""
    catalog = step.catalog
    typ, serial = sql_type(type_name, catalog.enum_lookup, catalog.type_lookup)
    if serial:
        raise SqlError(type_name.location, "serial types are only for table columns")
    return typ


def _new_type(step: Step, names: list[str]) -> str:
    schema, name = split_name(names)
    qual = step.catalog.qualify(name, schema, step.start)
    if step.catalog.relation_taken(qual):
        raise SqlError(step.start, f'type "{qual}" already exists')
    return qual


def create_composite(step: Step, node: Any) -> None:
    rel = node.typevar
    qual = _new_type(step, [n for n in (rel.schemaname, rel.relname) if n])
    fields = [
        CatColumn(
            c.colname or "",
            column_type(step, c.typeName),
            True,
            step.source.span(c.location),
        )
        for c in node.coldeflist or ()
    ]
    schema, _, name = qual.partition(".")
    step.catalog.composites[qual] = CatComposite(
        schema, name, fields, step.source.span(rel.location)
    )


def create_domain(step: Step, node: Any) -> None:
    qual = _new_type(step, string_names(node.domainname))
    step.catalog.domains[qual] = column_type(step, node.typeName)


def create_range(step: Step, node: Any) -> None:
    """A range type: asyncpg decodes it to a ``Range`` of its subtype; svcforge
    keeps it opaque (text) unless the manifest maps it."""
    names = string_names(node.typeName)
    qual = _new_type(step, names)
    step.catalog.other_types[qual] = SqlType(names[-1], opaque=True)


def define_type(step: Step, node: Any) -> None:
    """``CREATE TYPE name`` (a shell) or with I/O functions: an opaque type.
    The full definition of a shell type replaces it."""
    names = string_names(node.defnames)
    schema, name = split_name(names)
    qual = step.catalog.qualify(name, schema, step.start)
    if qual in step.catalog.other_types:
        return
    step.catalog.other_types[_new_type(step, names)] = SqlType(name, opaque=True)


def alter_composite(step: Step, node: Any) -> None:
    """ALTER TYPE ... ADD/DROP/ALTER ATTRIBUTE (an AlterTableStmt on a type)."""
    rel = node.relation
    qual = f"{rel.schemaname or 'public'}.{rel.relname}"
    comp = step.catalog.composites.get(qual)
    if comp is None:
        raise SqlError(rel.location, f'type "{qual}" does not exist')
    for cmd in node.cmds or ():
        name = cmd.name or getattr(cmd.def_, "colname", "") or ""
        if cmd.def_ is not None and cmd.def_.typeName is not None:
            typ = column_type(step, cmd.def_.typeName)
            found = [f for f in comp.fields if f.name == name]
            if found:
                found[0].type = typ
            else:
                comp.fields.append(CatColumn(name, typ, True, comp.span))
        else:
            comp.fields = [f for f in comp.fields if f.name != name]


def rename_attribute(step: Step, node: Any) -> None:
    rel = node.relation
    qual = f"{rel.schemaname or 'public'}.{rel.relname}"
    comp = step.catalog.composites.get(qual)
    if comp is None:
        raise SqlError(rel.location, f'type "{qual}" does not exist')
    for f in comp.fields:
        if f.name == node.subname:
            f.name = node.newname or ""


def move_type(step: Step, old: str, new: str) -> bool:
    """Renames or moves a composite, domain or other type; False if ``old`` is
    none of these.  Columns of the type follow."""
    catalog = step.catalog
    if catalog.relation_taken(new):
        raise SqlError(step.start, f'type "{new}" already exists')
    for kind in (catalog.composites, catalog.domains, catalog.other_types):
        if old in kind:
            value: Any = kind.pop(old)
            if isinstance(value, CatComposite):
                value.schema, _, value.name = new.partition(".")
                _retype(step, old, new)
            kind[new] = value
            return True
    return False


def _retype(step: Step, old: str, new: str) -> None:
    for t in step.catalog.tables.values():
        for c in t.columns:
            if c.type.composite == old:
                c.type = SqlType(new.partition(".")[2], (), c.type.dims, composite=new)


def drop_other_type(step: Step, qual: str, missing_ok: bool, cascade: bool) -> bool:
    """Drops a composite, domain or other type; False if ``qual`` is none."""
    catalog = step.catalog
    for kind in (catalog.composites, catalog.domains, catalog.other_types):
        if qual in kind:
            del kind[qual]
            for t in catalog.tables.values():
                t.columns = [c for c in t.columns if c.type.composite != qual]
            return True
    return False

"""``[tool.svcforge.tables.<name>]`` bound to the tables of
``schemas/tables``: which repositories read through the row cache.

A cached table must be a table (a view has no writes that could invalidate
it) with a primary key, the service must use Redis, and every column must
have a type the cache stores exactly (MessagePack through msgspec: the base
types but ``inet`` and ``cidr``, enum types, types exchanged as text, and
arrays of those).  Each problem is an error at the key that asked for it.
"""

from __future__ import annotations

from dataclasses import replace

from generator import ir
from generator.errors import Diagnostic, SchemaError, did_you_mean
from generator.manifest import Manifest, TableEntry

# Base types msgspec cannot give back as the row's own type.
_NOT_CACHEABLE = frozenset({"inet", "cidr"})


def bind_caches(manifest: Manifest, service: ir.Service) -> ir.Service:
    """``service`` with the cache of every table that declares one; raise
    ``SchemaError`` with every problem."""
    errors: list[Diagnostic] = []
    cached: dict[str, ir.TableCache] = {}
    asking = [e for e in manifest.tables if e.decl.cache is not None]
    if asking and "redis" not in manifest.uses:
        errors.append(
            asking[0].where.diagnostic(
                ("cache",),
                "cache keeps rows in Redis, but uses does not list redis",
                'add "redis" to [tool.svcforge] uses and svcforge[cache] to the '
                "dependencies",
            )
        )
    for entry in manifest.tables:
        table = _table(entry, service, errors)
        if table is None or entry.decl.cache is None:
            continue
        problems = _problems(entry, table)
        if problems:
            errors += problems
            continue
        cached[table.qualname] = ir.TableCache(ttl_s=entry.decl.cache.ttl_s)
    if errors:
        raise SchemaError(errors)
    tables = tuple(
        replace(t, cache=cached[t.qualname]) if t.qualname in cached else t
        for t in service.tables
    )
    return replace(service, tables=tables)


def _table(
    entry: TableEntry, service: ir.Service, errors: list[Diagnostic]
) -> ir.Table | None:
    """The table ``entry`` names: ``users`` (of any schema, when only one has
    it) or ``public.users``."""
    found = [t for t in service.tables if entry.name in (t.name, t.qualname)]
    if len(found) == 1:
        return found[0]
    where = entry.where
    if found:
        names = ", ".join(t.qualname for t in found)
        errors.append(
            where.diagnostic(
                (), f"names {len(found)} tables ({names})", "qualify it: schema.table"
            )
        )
        return None
    known = [t.qualname for t in service.tables] + [t.name for t in service.tables]
    hint = did_you_mean(entry.name, known)
    errors.append(
        Diagnostic(
            where.span(key=True),
            f"{where.name}: no such table in schemas/tables",
            hint + "the key is a table's name (users) or schema.table",
        )
    )
    return None


def _problems(entry: TableEntry, table: ir.Table) -> list[Diagnostic]:
    where = entry.where
    out = []
    if not table.writable:
        out.append(
            where.diagnostic(
                ("cache",),
                f"cache applies to tables; {table.qualname} is a {table.kind}",
            )
        )
    elif table.primary_key is None:
        out.append(
            where.diagnostic(
                ("cache",),
                f"cache needs a primary key; {table.qualname} has none",
                "rows are cached and invalidated by primary key",
            )
        )
    for column in table.columns:
        if not _cacheable(column.type):
            out.append(
                where.diagnostic(
                    ("cache",),
                    f"column {column.name!r} of {table.qualname} has type "
                    f"{column.type.sql}, which the cache cannot store exactly",
                    "remove cache, or map the type with [tool.svcforge.sql.types]",
                )
            )
    return out


def _cacheable(t: ir.SqlType) -> bool:
    if t.python or t.opaque or t.enum:
        return True
    if t.composite:
        return False
    return t.name in ir.SQL_BASE_TYPES and t.name not in _NOT_CACHEABLE

"""Table constraints: primary keys, unique keys (each backed by an index, as in
PostgreSQL), foreign keys and checks; added, renamed and dropped, with the
names PostgreSQL gives unnamed ones."""

from __future__ import annotations

from typing import Any

from pglast.enums import ConstrType

from generator.frontends.sql.catalog import CatIndex, CatTable, object_name
from generator.frontends.sql.migrations.step import Step
from generator.frontends.sql.source import SqlError, deparse
from generator.ir import Check, ForeignKey, Index, Key


def add_constraint(step: Step, table: CatTable, con: Any, column: str | None) -> None:
    """``column`` is the column the constraint was written on, or None for a
    table constraint."""
    match con.contype:
        case ConstrType.CONSTR_PRIMARY | ConstrType.CONSTR_UNIQUE:
            add_key(step, table, con, column)
        case ConstrType.CONSTR_FOREIGN:
            add_foreign_key(step, table, con, column)
        case ConstrType.CONSTR_CHECK:
            add_check(table, con, column)
        case (
            ConstrType.CONSTR_ATTR_DEFERRABLE
            | ConstrType.CONSTR_ATTR_NOT_DEFERRABLE
            | ConstrType.CONSTR_ATTR_DEFERRED
            | ConstrType.CONSTR_ATTR_IMMEDIATE
            | ConstrType.CONSTR_EXCLUSION  # its index serves no lookup by key
        ):
            return
        case ConstrType.CONSTR_NOTNULL if column:
            table.column(column, con.location).nullable = False
        case _:
            raise SqlError(
                con.location,
                f"unsupported constraint {con.contype.name.removeprefix('CONSTR_')}"
                f' on "{table.qualname}"',
            )


def add_check(table: CatTable, con: Any, column: str | None) -> None:
    taken = table.constraint_names()
    name = con.conname or object_name(
        table.name, [column] if column else [], "check", taken
    )
    table.checks.append(Check(name, deparse(con.raw_expr)))


def _key_columns(
    step: Step, table: CatTable, con: Any, column: str | None
) -> list[str]:
    if con.indexname:  # ADD PRIMARY KEY / UNIQUE USING INDEX: the index's columns
        ix = step.catalog.indexes.pop(f"{table.schema}.{con.indexname}", None)
        if ix is None:
            raise SqlError(con.location, f'index "{con.indexname}" does not exist')
        con.conname = con.conname or con.indexname
        return list(ix.index.columns)
    names = [k.sval for k in con.keys or ()] if column is None else [column]
    # INCLUDE columns ride along in the key's index; the key is the others.
    for n in [*names, *(k.sval for k in con.including or ())]:
        table.column(n, con.location)
    return names


def add_key(step: Step, table: CatTable, con: Any, column: str | None) -> None:
    """A primary or unique key, and the unique index PostgreSQL creates for it
    (which takes a name in the schema's namespace of relations)."""
    cols = _key_columns(step, table, con, column)
    primary = con.contype == ConstrType.CONSTR_PRIMARY
    if primary and table.primary_key is not None:
        raise SqlError(
            con.location,
            f'multiple primary keys for table "{table.qualname}" are not allowed',
        )
    taken = table.constraint_names() | {
        n.rpartition(".")[2] for n in step.catalog.indexes
    }
    name = con.conname or (
        object_name(table.name, [], "pkey", taken)
        if primary
        # PostgreSQL names a unique key after its INCLUDE columns too.
        else object_name(
            table.name, cols + [k.sval for k in con.including or ()], "key", taken
        )
    )
    index_qual = f"{table.schema}.{name}"
    if step.catalog.relation_taken(index_qual):
        raise SqlError(con.location, f'relation "{index_qual}" already exists')
    key = Key(name, tuple(cols))
    if primary:
        table.primary_key = key
        for c in cols:
            table.column(c, con.location).nullable = False
    else:
        table.uniques.append(key)
    step.catalog.indexes[index_qual] = CatIndex(
        table.schema, table.qualname, Index(name, tuple(cols), True), True
    )


def add_foreign_key(step: Step, table: CatTable, con: Any, column: str | None) -> None:
    cols = [column] if column else [a.sval for a in con.fk_attrs or ()]
    for c in cols:
        table.column(c, con.location)
    pk = con.pktable
    ref = step.catalog.table(pk.relname, pk.schemaname, pk.location)
    if not ref.typed:
        return  # PostgreSQL checked the reference; svcforge cannot
    ref_cols = [a.sval for a in con.pk_attrs or ()]
    if not ref_cols:
        if ref.primary_key is None:
            raise SqlError(
                pk.location,
                f'there is no primary key for referenced table "{ref.qualname}"',
            )
        ref_cols = list(ref.primary_key.columns)
    for c in ref_cols:
        ref.column(c, pk.location)
    if len(ref_cols) != len(cols):
        raise SqlError(
            con.location,
            "number of referencing and referenced columns for foreign key disagree",
        )
    keys = [k.columns for k in ref.uniques]
    keys += [  # a unique index serves a reference as well as a constraint
        ix.index.columns
        for ix in step.catalog.indexes.values()
        if ix.table == ref.qualname and ix.index.unique and not ix.index.partial
    ]
    if ref.primary_key:
        keys.append(ref.primary_key.columns)
    if not any(sorted(k) == sorted(ref_cols) for k in keys):
        raise SqlError(
            pk.location,
            f"there is no unique constraint matching given keys for referenced "
            f'table "{ref.qualname}"',
        )
    name = con.conname or object_name(
        table.name, cols, "fkey", table.constraint_names()
    )
    table.foreign_keys.append(
        ForeignKey(name, tuple(cols), ref.qualname, tuple(ref_cols))
    )


def add_table_constraint(step: Step, table: CatTable, cmd: Any, at: int) -> None:
    """ALTER TABLE ... ADD CONSTRAINT."""
    add_constraint(step, table, cmd.def_, None)


def drop_constraint(step: Step, table: CatTable, cmd: Any, at: int) -> None:
    """ALTER TABLE ... DROP CONSTRAINT: whichever kind has the name."""
    name = cmd.name or ""
    if table.primary_key and table.primary_key.name == name:
        _drop_primary_key(step, table, table.primary_key, at)
        return
    for key in table.uniques:
        if key.name == name:
            table.uniques.remove(key)
            step.catalog.drop_key_index(table, name)
            return
    for fk in table.foreign_keys:
        if fk.name == name:
            table.foreign_keys.remove(fk)
            return
    for check in table.checks:
        if check.name == name:
            table.checks.remove(check)
            return
    if not cmd.missing_ok:
        raise SqlError(
            at,
            f'constraint "{name}" of relation "{table.qualname}" does not exist',
            "constraints: " + ", ".join(sorted(table.constraint_names())),
        )


def _drop_primary_key(step: Step, table: CatTable, key: Key, at: int) -> None:
    for other, fk in step.catalog.references_to(table):
        if sorted(fk.ref_columns) == sorted(key.columns):
            raise SqlError(
                at,
                f'cannot drop constraint "{key.name}": constraint "{fk.name}" on '
                f'"{other.qualname}" depends on it',
            )
    table.primary_key = None
    step.catalog.drop_key_index(table, key.name)


def rename_constraint(step: Step, node: Any) -> None:
    rel = node.relation
    table = step.catalog.table(rel.relname, rel.schemaname, rel.location)
    if not table.typed:
        return
    old, new = node.subname or "", node.newname or ""
    if old not in table.constraint_names():
        raise SqlError(
            step.start,
            f'constraint "{old}" for table "{table.qualname}" does not exist',
        )
    if table.primary_key and table.primary_key.name == old:
        table.primary_key = Key(new, table.primary_key.columns)
    table.uniques = [
        Key(new if k.name == old else k.name, k.columns) for k in table.uniques
    ]
    table.foreign_keys = [
        ForeignKey(new, f.columns, f.ref_table, f.ref_columns) if f.name == old else f
        for f in table.foreign_keys
    ]
    table.checks = [
        Check(new if c.name == old else c.name, c.expr) for c in table.checks
    ]
    step.catalog.rename_index(f"{table.schema}.{old}", f"{table.schema}.{new}")

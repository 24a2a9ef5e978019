"""The SQL a table's repository runs, as module-level constants: visible,
verbatim, with bound parameters and quoted identifiers."""

from __future__ import annotations

from dataclasses import dataclass

from generator import ir
from generator.emitters.pysrc import INDENT
from generator.emitters.sqlpy import qualified, quote, sql_block, wrap_sql


@dataclass
class Statements:
    """The statements of one table (its primary key, insertable and updatable
    columns as the IR gives them)."""

    table: ir.Table

    def __post_init__(self) -> None:
        t = self.table
        self.insertable = list(t.insertable)
        self.pk = list(t.key_columns)
        self.updatable = list(t.updatable)
        columns = wrap_sql("SELECT", [quote(c.name) for c in t.columns])
        self.select = f"{columns}\nFROM {qualified(t)}"
        self.returning = wrap_sql("RETURNING", [quote(c.name) for c in t.columns])

    def values_sql(self) -> str:
        """``VALUES ($1, ..., $n)``: ``insert_row`` puts DEFAULT in place of
        the values left unset (see ``svcforge.db``)."""
        parts = [f"${i}" for i in range(1, len(self.insertable) + 1)]
        cols = [quote(c.name) for c in self.insertable]
        return (
            wrap_sql(f"INSERT INTO {qualified(self.table)} (", cols, glue="")
            + ")\n"
            + wrap_sql("VALUES (", parts, glue="")
            + ")"
        )

    def statements(self) -> list[str]:
        t = self.table
        out = []
        pk_where = " AND ".join(
            f"{quote(c.name)} = ${i}" for i, c in enumerate(self.pk, 1)
        )
        if self.pk:
            out.append(sql_block("GET", f"{self.select}\nWHERE {pk_where}"))
        for key in t.unique_keys:
            where = " AND ".join(
                f"{quote(c)} = ${i}" for i, c in enumerate(key.columns, 1)
            )
            out.append(sql_block(key_const(key), f"{self.select}\nWHERE {where}"))
        if self.insertable:
            out.append(sql_block("INSERT", f"{self.values_sql()}\n{self.returning}"))
        if self.can_upsert():
            out.append(sql_block("UPSERT", self.upsert_sql()))
        if self.pk and self.updatable:
            out.append(sql_block("UPDATE", self.update_sql()))
        if self.pk and t.writable:
            out.append(
                sql_block("DELETE", f"DELETE FROM {qualified(t)}\nWHERE {pk_where}")
            )
        out.append(sql_block("COUNT", f"SELECT count(*) FROM {qualified(t)}"))
        if self.pk:
            order = ", ".join(quote(c.name) for c in self.pk)
            n = len(self.pk)
            out.append(
                sql_block("PAGE_FIRST", f"{self.select}\nORDER BY {order}\nLIMIT $1")
            )
            if n == 1:
                after = f"{order} > $1"
            else:
                params = ", ".join(f"${i}" for i in range(1, n + 1))
                after = f"({order}) > ({params})"
            out.append(
                sql_block(
                    "PAGE_AFTER",
                    f"{self.select}\nWHERE {after}\nORDER BY {order}\nLIMIT ${n + 1}",
                )
            )
        return out

    def can_upsert(self) -> bool:
        return bool(self.pk) and all(c.writable for c in self.pk)

    def upsert_sql(self) -> str:
        conflict = ", ".join(quote(c.name) for c in self.pk)
        targets = self.updatable or self.pk
        sets = [f"{quote(c.name)} = EXCLUDED.{quote(c.name)}" for c in targets]
        return (
            f"{self.values_sql()}\nON CONFLICT ({conflict}) DO UPDATE SET\n"
            + ",\n".join(INDENT + s for s in sets)
            + f"\n{self.returning}"
        )

    def update_sql(self) -> str:
        n = len(self.pk)
        sets = []
        for i, c in enumerate(self.updatable):
            flag, value = n + 2 * i + 1, n + 2 * i + 2
            col = quote(c.name)
            sets.append(
                f"{INDENT}{col} = CASE WHEN ${flag} THEN ${value} ELSE {col} END"
            )
        where = " AND ".join(
            f"{quote(c.name)} = ${i}" for i, c in enumerate(self.pk, 1)
        )
        return (
            f"UPDATE {qualified(self.table)} SET\n"
            + ",\n".join(sets)
            + f"\nWHERE {where}\n{self.returning}"
        )


def key_const(key: ir.Key) -> str:
    """The constant of the statement that gets a row by a unique key."""
    return key.lookup.upper()

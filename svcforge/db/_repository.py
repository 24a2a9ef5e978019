"""Helpers the generated repositories call: kept here so that the generated
code stays short and every statement in it stays a visible constant.

A field of an insert row that is ``UNSET`` takes its column's server default:
the statement says ``DEFAULT`` there (never a copy of the default expression),
while ``None`` stores NULL."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from operator import itemgetter

from svcforge.db._types import UNSET, Executor, Record

__all__ = [
    "NoRowReturned",
    "copy_rows",
    "fetch_one_each",
    "insert_row",
    "insert_rows",
    "returned",
]

# The VALUES list of a repository's INSERT: $1, $2, ... in order.
_VALUES = re.compile(r"VALUES \(\s*\$1(?:,\s*\$\d+)*\s*\)")


class NoRowReturned(RuntimeError):
    """A statement with RETURNING gave no row (a trigger or rule skipped it)."""


def returned(record: Record | None) -> Record:
    if record is None:
        raise NoRowReturned("the statement returned no row")
    return record


async def insert_row(db: Executor, insert: str, values: tuple[object, ...]) -> Record:
    """Run a repository's ``INSERT ... VALUES ($1, ..., $n) ... RETURNING``
    for one row; the values that are ``UNSET`` become ``DEFAULT``."""
    if UNSET in values:
        unset = tuple(i for i, v in enumerate(values) if v is UNSET)
        insert = with_defaults(insert, unset)
        values = tuple(v for v in values if v is not UNSET)
    return returned(await db.fetchrow(insert, *values))


async def insert_rows(
    db: Executor, insert: str, records: list[tuple[object, ...]]
) -> int:
    """Run a repository's INSERT for many rows with ``executemany`` (for
    tables COPY cannot carry); the values that are ``UNSET`` become
    ``DEFAULT``, one statement per combination of unset columns."""
    groups: dict[tuple[int, ...], list[tuple[object, ...]]] = {}
    for r in records:
        unset = tuple(i for i, v in enumerate(r) if v is UNSET)
        groups.setdefault(unset, []).append(tuple(v for v in r if v is not UNSET))
    for unset, rows in groups.items():
        statement = with_defaults(insert, unset) if unset else insert
        await db.executemany(statement, rows)
    return len(records)


async def fetch_one_each(
    db: Executor, query: str, args: list[tuple[object, ...]]
) -> list[Record]:
    """``query`` once per set of ``args`` (pipelined); each run gives one row."""
    rows = await db.fetchmany(query, args)
    if len(rows) != len(args):
        raise NoRowReturned(f"{len(args)} runs returned {len(rows)} rows")
    return rows


@lru_cache(maxsize=512)
def with_defaults(insert: str, unset: tuple[int, ...]) -> str:
    """``insert`` with ``DEFAULT`` for the values at the positions ``unset``
    (0-based) and the other parameters renumbered."""
    match = _VALUES.search(insert)
    if match is None:
        raise ValueError("not a repository INSERT: no VALUES ($1, ...) list")
    count = match[0].count("$")
    items, n = [], 0
    for i in range(count):
        if i in unset:
            items.append("DEFAULT")
        else:
            n += 1
            items.append(f"${n}")
    values = "VALUES (" + ", ".join(items) + ")"
    return insert[: match.start()] + values + insert[match.end() :]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def copy_rows(
    db: Executor,
    schema: str,
    table: str,
    columns: Sequence[str],
    records: list[tuple[object, ...]],
    defaulted: Sequence[str],
) -> int:
    """Insert ``records`` (values for ``columns``) with COPY; return how many.

    ``defaulted`` are the columns with a server default, where ``UNSET`` means
    "let the server fill it in": such a column is left out of the COPY.  Rows
    that leave different columns unset go in one COPY per combination."""
    if not records:
        return 0
    positions = [columns.index(c) for c in defaulted]
    # map/itemgetter/count run in C: this costs little next to the COPY.
    unset = [i for i in positions if list(map(itemgetter(i), records)).count(UNSET)]
    if not unset:
        return await db.copy_records(table, records, columns=columns, schema=schema)
    groups: dict[tuple[int, ...], list[tuple[object, ...]]] = {}
    for r in records:
        groups.setdefault(tuple(i for i in unset if r[i] is UNSET), []).append(r)
    total = 0
    for left_out, rows in groups.items():
        keep = [i for i in range(len(columns)) if i not in left_out]
        if not keep:  # every column left to the server
            target = f"{_quoted(schema)}.{_quoted(table)}"
            await db.executemany(
                f"INSERT INTO {target} DEFAULT VALUES", [()] * len(rows)
            )
            total += len(rows)
            continue
        get = itemgetter(*keep)
        kept = [get(r) for r in rows] if len(keep) > 1 else [(get(r),) for r in rows]
        total += await db.copy_records(
            table, kept, columns=[columns[i] for i in keep], schema=schema
        )
    return total

"""Helpers the generated repositories call: kept here so that the generated
code stays short and every statement in it stays a visible constant."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from svcforge.db._types import Executor, Record

__all__ = ["NoRowReturned", "copy_rows", "returned"]


class NoRowReturned(RuntimeError):
    """A statement with RETURNING gave no row (a trigger or rule skipped it)."""


def returned(record: Record | None) -> Record:
    if record is None:
        raise NoRowReturned("the statement returned no row")
    return record


async def copy_rows(
    db: Executor,
    schema: str,
    table: str,
    columns: Sequence[str],
    records: list[tuple[object, ...]],
    defaulted: Sequence[str],
    insert: str,
) -> int:
    """Insert ``records`` (values for ``columns``) with COPY; return how many.

    ``defaulted`` are the columns with a server default, where ``None`` means
    "let the server fill it in".  A column that is ``None`` in
    every record is left out of the COPY; one that is ``None`` in some records
    only cannot be, and then the rows go through ``insert`` (the repository's
    INSERT, which falls back to the default per row) with ``executemany``."""
    if not records:
        return 0
    keep = list(range(len(columns)))
    for i in map(columns.index, defaulted):
        # map/itemgetter/count run in C: this costs little next to the COPY.
        nulls = list(map(itemgetter(i), records)).count(None)
        if nulls == len(records):
            keep.remove(i)
        elif nulls:
            await db.executemany(insert, records)
            return len(records)
    if len(keep) < len(columns):
        get = itemgetter(*keep)
        records = (
            [get(r) for r in records] if len(keep) > 1 else [(get(r),) for r in records]
        )
    return await db.copy_records(
        table, records, columns=[columns[i] for i in keep], schema=schema
    )

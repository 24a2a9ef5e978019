"""Consume -> store: a batch of messages written to their table in one
statement sequence, idempotently, inside the caller's transaction.

A generated ``stores.py`` declares a ``StoreSpec`` per channel with
``store = "<table>"``: the columns the message fills, the key that makes a
redelivered message the same row, and the typed mapping from a message to
the table's insert class.  ``Store.write`` stages the batch's rows in a
temporary table with COPY and moves them over with one ``INSERT ... SELECT
... ON CONFLICT``: measured against ``executemany`` of the same ``INSERT ...
ON CONFLICT`` (``bench/store.py``), COPY is as fast for a few rows and
several times faster for hundreds, and its one INSERT reports which rows were
new, which ``executemany`` cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Generic, Literal, TypeVar

from pydantic_core import to_jsonable_python

from svcforge.db._types import Executor, JsonValue

__all__ = ["Store", "StoreSpec", "json_value", "naive_utc"]

M = TypeVar("M")
R = TypeVar("R")

_ORD = "svcforge_ord"


def naive_utc(value: datetime) -> datetime:
    """An aware datetime as naive UTC, for a ``timestamp`` column."""
    return value.astimezone(UTC).replace(tzinfo=None)


def json_value(value: object) -> JsonValue:
    """Any message value (a record, a list, a map...) as JSON data, for a
    ``json``/``jsonb`` column: wire names, ISO dates, decimals as strings."""
    data: JsonValue = to_jsonable_python(value, by_alias=True)
    return data


def _backend(conn: Executor) -> int:
    """The server process of ``conn``'s session (a ``Connection``: the stage
    table is the session's own)."""
    raw = getattr(conn, "raw", None)
    if raw is None:
        raise TypeError(
            "a store writes on one connection: give it a Connection "
            "(Database.acquire() or Database.transaction()), not the Database"
        )
    pid: int = raw.get_server_pid()
    return pid


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class StoreSpec(Generic[M, R]):
    """What a generated ``stores.py`` declares for one channel."""

    channel: str
    schema: str
    table: str
    columns: tuple[str, ...]
    """The columns the message fills, in the table's order."""
    attributes: tuple[str, ...]
    """Their attributes in the insert class (``row``'s result)."""
    key: tuple[str, ...]
    """The primary or unique key the message fills: a message delivered
    again is the same row."""
    on_conflict: Literal["ignore", "update"]
    row: Callable[[M], R]
    """The typed mapping: one message to its row."""
    values: Callable[[R], tuple[object, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        get = attrgetter(*self.attributes)
        one = len(self.attributes) == 1
        object.__setattr__(self, "values", (lambda r: (get(r),)) if one else get)

    @property
    def target(self) -> str:
        return f"{_quoted(self.schema)}.{_quoted(self.table)}"

    @property
    def stage(self) -> str:
        """The temporary table a batch is copied into (one per connection,
        emptied at every commit)."""
        return f"svcforge_stage_{self.schema}_{self.table}"[:63]


class Store(Generic[M, R]):
    """Writes batches of one channel's messages to its table."""

    def __init__(self, spec: StoreSpec[M, R]) -> None:
        self.spec = spec
        cols = ", ".join(_quoted(c) for c in spec.columns)
        stage = _quoted(spec.stage)
        update = spec.on_conflict == "update"
        self._create = (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS "
            f"AS SELECT {cols}, 0::bigint AS {_ORD} FROM {spec.target} WITH NO DATA"
        )
        key = ", ".join(_quoted(c) for c in spec.key)
        # Update: the last message of a key wins (one row may not be updated
        # twice by one statement); ignore: any one, the others are duplicates.
        source = (
            f"SELECT DISTINCT ON ({key}) {cols} FROM staged ORDER BY {key}, {_ORD} DESC"
            if update
            else f"SELECT {cols} FROM staged"
        )
        if update:
            changed = [c for c in spec.columns if c not in spec.key]
            sets = ", ".join(f"{_quoted(c)} = EXCLUDED.{_quoted(c)}" for c in changed)
            action = f"DO UPDATE SET {sets}" if sets else "DO NOTHING"
            conflict = f"ON CONFLICT ({key}) {action}"
        else:
            conflict = "ON CONFLICT DO NOTHING"
        # One statement empties the stage and writes its rows: the next batch
        # in the same transaction starts from an empty stage.
        self._insert = (
            f"WITH staged AS (DELETE FROM {stage} RETURNING *) "
            f"INSERT INTO {spec.target} ({cols}) {source} {conflict}"
        )
        # RETURNING the key of each row written, and whether it was inserted
        # rather than updated (xmax = 0): which messages were new.
        self._insert_returning = (
            f"{self._insert} RETURNING {key}, (xmax = 0) AS svcforge_inserted"
        )
        self._copy_columns = [*spec.columns, _ORD]
        # Backends (by process id) whose session has the stage table.  A pid
        # the server reuses for a new session is caught at the first COPY.
        self._staged: set[int] = set()

    def rows(self, messages: Sequence[M]) -> list[tuple[object, ...]]:
        spec = self.spec
        values, row = spec.values, spec.row
        return [(*values(row(m)), i) for i, m in enumerate(messages)]

    async def prepare(self, conn: Executor) -> None:
        """Create the connection's stage table unless it has one: call it
        outside a transaction (created inside one that rolls back, it would
        be gone)."""
        pid = _backend(conn)
        if pid not in self._staged:
            await conn.execute(self._create)
            self._staged.add(pid)

    async def _stage(self, conn: Executor, messages: Sequence[M]) -> list[Any]:
        await self.prepare(conn)
        rows = self.rows(messages)
        try:
            await conn.copy_records(
                self.spec.stage, rows, columns=self._copy_columns, schema=None
            )
        except BaseException:
            # The stage table may have been created in a transaction that
            # now rolls back: make it again next time.
            self._staged.discard(_backend(conn))
            raise
        return rows

    async def write(self, conn: Executor, messages: Sequence[M]) -> int:
        """Store ``messages`` on ``conn``, inside the caller's transaction;
        return how many rows were new (the others were stored before)."""
        if not messages:
            return 0
        await self._stage(conn, messages)
        status = await conn.execute(self._insert)
        return int(status.rpartition(" ")[2] or 0)

    async def write_new(self, conn: Executor, messages: Sequence[M]) -> list[M]:
        """``write``, returning the messages whose rows were inserted (not
        stored before): what a hook that must act once per row acts on."""
        if not messages:
            return []
        rows = await self._stage(conn, messages)
        written = await conn.fetch(self._insert_returning)
        width = len(self.spec.key)
        new = {tuple(r[i] for i in range(width)) for r in written if r[width]}
        positions = [self.spec.columns.index(c) for c in self.spec.key]
        out: list[M] = []
        for m, r in zip(messages, rows, strict=True):
            k = tuple(r[i] for i in positions)
            if k in new:
                new.discard(k)  # a key twice in one batch: the first is new
                out.append(m)
        return out

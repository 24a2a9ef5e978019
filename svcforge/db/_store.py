"""Consume -> store: a batch of messages written to their table,
idempotently, inside the caller's transaction.

A generated ``stores.py`` declares a ``StoreSpec`` per channel with
``store = "<table>"``: the columns the message fills, the key that makes a
redelivered message the same row, and the typed mapping from a message to
the table's insert class.

How a batch is written was measured (``bench/store.py``, against asyncpg's
``executemany`` of ``INSERT ... ON CONFLICT``; runs on a shared machine
vary): COPY into a temporary table and one ``INSERT ... SELECT ... ON
CONFLICT`` is ahead from about a hundred rows (1.07x to 1.15x at 100 and 500)
and level, within the noise, below; the same ``INSERT`` pipelined row by row
(asyncpg's ``fetchmany``) is level with ``executemany`` for a few rows.
Both say, with ``RETURNING``, which rows were new, which ``executemany``
cannot (the duplicate count and the hooks need it).  So small batches go
row by row (no stage table to fill and empty), larger ones through COPY.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Generic, Literal, TypeVar

from pydantic_core import to_jsonable_python

from svcforge.db._types import Executor, JsonValue, Record

__all__ = ["Store", "StoreSpec", "json_value", "naive_utc"]

M = TypeVar("M")
R = TypeVar("R")

_ORD = "svcforge_ord"
_TRUNCATE_EVERY = 1000


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
        """The temporary table a large batch is copied into (one per
        session, emptied by each batch's INSERT)."""
        return f"svcforge_stage_{self.schema}_{self.table}"[:63]


class Store(Generic[M, R]):
    """Writes batches of one channel's messages to its table, inside the
    caller's transaction: small batches as pipelined ``INSERT ... VALUES
    ... ON CONFLICT ... RETURNING`` (one round trip), batches of
    ``COPY_FROM`` rows and more COPYed into the session's stage table and
    moved over with one ``INSERT ... SELECT ... ON CONFLICT``."""

    COPY_FROM = 16
    """From this many rows a batch goes through COPY (bench/store.py: COPY
    wins from a few dozen rows on, the pipelined INSERT below)."""

    def __init__(self, spec: StoreSpec[M, R]) -> None:
        self.spec = spec
        cols = ", ".join(_quoted(c) for c in spec.columns)
        stage = _quoted(spec.stage)
        key = ", ".join(_quoted(c) for c in spec.key)
        conflict = _conflict(spec, key)
        # The key of each row written, and whether it was inserted rather
        # than updated (xmax = 0): which messages were new.
        returning = f"RETURNING {key}, (xmax = 0) AS svcforge_inserted"
        params = ", ".join(f"${i + 1}" for i in range(len(spec.columns)))
        self._row_insert = (
            f"INSERT INTO {spec.target} ({cols}) VALUES ({params}) "
            f"{conflict} {returning}"
        )
        # Not ON COMMIT DELETE ROWS: that truncates the table at every
        # commit, which cost more than a small batch itself (bench/store.py);
        # the INSERT below empties the stage, and a rollback undoes the COPY.
        self._create = (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} "
            f"AS SELECT {cols}, 0::bigint AS {_ORD} FROM {spec.target} WITH NO DATA"
        )
        self._truncate = f"TRUNCATE {stage}"
        # Update: the last message of a key wins (one row may not be updated
        # twice by one statement); ignore: any one, the others are duplicates.
        source = (
            f"SELECT DISTINCT ON ({key}) {cols} FROM staged ORDER BY {key}, {_ORD} DESC"
            if spec.on_conflict == "update"
            else f"SELECT {cols} FROM staged"
        )
        # One statement empties the stage and writes its rows: the next batch
        # in the same transaction starts from an empty stage.
        self._copied_insert = (
            f"WITH staged AS (DELETE FROM {stage} RETURNING *) "
            f"INSERT INTO {spec.target} ({cols}) {source} {conflict} {returning}"
        )
        self._copy_columns = [*spec.columns, _ORD]
        self._key_positions = [spec.columns.index(c) for c in spec.key]
        # Backends (by process id) whose session has the stage table, and
        # how many batches went through it since it was last truncated.  A
        # pid the server reuses for a new session is caught at the first COPY.
        self._staged: dict[int, int] = {}

    def rows(self, messages: Sequence[M]) -> list[tuple[object, ...]]:
        """The values of each message's row, in ``spec.columns`` order."""
        values, row = self.spec.values, self.spec.row
        return [values(row(m)) for m in messages]

    async def prepare(self, conn: Executor) -> None:
        """Create the connection's stage table unless it has one: call it
        outside a transaction (created inside one that rolls back, it would
        be gone)."""
        pid = _backend(conn)
        used = self._staged.get(pid)
        if used is None:
            await conn.execute(self._create)
        elif used >= _TRUNCATE_EVERY:
            # The emptied rows stay as dead tuples (no autovacuum for
            # temporary tables): drop them now and then.
            await conn.execute(self._truncate)
            used = 0
        self._staged[pid] = (used or 0) + 1

    async def _written(
        self, conn: Executor, rows: list[tuple[object, ...]]
    ) -> list[Record]:
        """Write ``rows``; the key and the inserted flag of each row written."""
        if len(rows) < self.COPY_FROM:
            return await conn.fetchmany(self._row_insert, rows)
        if _backend(conn) not in self._staged:
            await self.prepare(conn)
        staged = [(*r, i) for i, r in enumerate(rows)]
        try:
            await conn.copy_records(
                self.spec.stage, staged, columns=self._copy_columns, schema=None
            )
        except BaseException:
            # The stage table may have been created in a transaction that
            # now rolls back: make it again next time.
            self._staged.pop(_backend(conn), None)
            raise
        return await conn.fetch(self._copied_insert)

    async def write(self, conn: Executor, messages: Sequence[M]) -> int:
        """Store ``messages`` on ``conn`` (a ``Connection``), inside the
        caller's transaction; return how many rows were written (the others
        were stored before: ``on_conflict = "ignore"``)."""
        if not messages:
            return 0
        return len(await self._written(conn, self.rows(messages)))

    async def write_new(self, conn: Executor, messages: Sequence[M]) -> list[M]:
        """``write``, returning the messages whose rows were inserted (not
        stored before): what a hook that must act once per row acts on."""
        if not messages:
            return []
        rows = self.rows(messages)
        written = await self._written(conn, rows)
        width = len(self.spec.key)
        new = {tuple(r[i] for i in range(width)) for r in written if r[width]}
        out: list[M] = []
        for m, r in zip(messages, rows, strict=True):
            k = tuple(r[i] for i in self._key_positions)
            if k in new:
                new.discard(k)  # a key twice in one batch: the first is new
                out.append(m)
        return out


def _conflict(spec: StoreSpec[Any, Any], key: str) -> str:
    if spec.on_conflict == "ignore":
        return "ON CONFLICT DO NOTHING"
    changed = [c for c in spec.columns if c not in spec.key]
    if not changed:
        return f"ON CONFLICT ({key}) DO NOTHING"
    sets = ", ".join(f"{_quoted(c)} = EXCLUDED.{_quoted(c)}" for c in changed)
    return f"ON CONFLICT ({key}) DO UPDATE SET {sets}"

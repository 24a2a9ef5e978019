"""Statement methods shared by ``Database`` and ``Connection``, and
``Connection``: one connection taken from the pool."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
    Sized,
)
from contextlib import asynccontextmanager
from typing import Any, Literal
from urllib.parse import urlsplit

from svcforge.db._types import Record
from svcforge.tracing._switch import Endpoint, SpanHooks, switch

__all__ = ["Connection", "Isolation", "StatementRunner", "endpoint"]

Isolation = Literal["read_committed", "repeatable_read", "serializable"]


def endpoint(url: str) -> Endpoint | None:
    """Server address, port and database of ``url`` (span attributes; never
    the user or password)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.hostname is None:
        return None
    return parts.hostname, port or 5432, parts.path.lstrip("/") or None


class StatementRunner(ABC):
    """Statement methods shared by ``Database`` (pooled) and ``Connection``:
    each runs ``_run(method, ...)`` on an asyncpg connection."""

    _endpoint: Endpoint | None = None

    @abstractmethod
    async def _run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """The statement, traced while tracing is on."""

    @abstractmethod
    async def _plain(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """The statement, untraced."""

    async def _traced(
        self, hooks: SpanHooks, method: str, args: tuple[Any, ...], kwargs: Any
    ) -> Any:
        """The statement in a CLIENT span named after the query."""
        rows = args[1] if method in ("executemany", "fetchmany") else None
        batch = len(rows) if isinstance(rows, Sized) else None
        span = hooks.start_statement(method, args[0], self._endpoint, batch)
        try:
            result = await self._plain(method, *args, **kwargs)
        except BaseException as exc:
            hooks.end(span, exc)
            raise
        hooks.end(span)
        return result

    async def fetch(self, query: str, *args: object) -> list[Record]:
        rows: list[Record] = await self._run("fetch", query, *args)
        return rows

    async def fetchrow(self, query: str, *args: object) -> Record | None:
        row: Record | None = await self._run("fetchrow", query, *args)
        return row

    async def fetchval(self, query: str, *args: object) -> Any:
        return await self._run("fetchval", query, *args)

    async def execute(self, query: str, *args: object) -> str:
        status: str = await self._run("execute", query, *args)
        return status

    async def executemany(self, query: str, args: Iterable[Sequence[object]]) -> None:
        await self._run("executemany", query, args)

    async def fetchmany(
        self, query: str, args: Iterable[Sequence[object]]
    ) -> list[Record]:
        """The statement run once per set of ``args``, pipelined (as
        ``executemany``); the rows of every run, in order."""
        rows: list[Record] = await self._run("fetchmany", query, args)
        return rows

    async def copy_records(
        self,
        table: str,
        records: Iterable[Sequence[object]],
        *,
        columns: Sequence[str],
        schema: str | None = "public",
    ) -> int:
        """COPY rows into a table (the fastest bulk insert); returns the count.
        ``schema=None``: the table as the search path finds it (a temporary
        table, say)."""
        status: str = await self._run(
            "copy_records_to_table",
            table,
            records=records,
            columns=list(columns),
            schema_name=schema,
        )
        return int(status.rpartition(" ")[2] or 0)


class Connection(StatementRunner):
    """One connection taken from the pool: what ``Database.acquire`` and
    ``Database.transaction`` give.  Repositories and queries take it as they
    take the ``Database``."""

    def __init__(self, raw: Any, endpoint: Endpoint | None = None) -> None:
        self._raw = raw
        self._endpoint = endpoint
        self._depth = 0
        self._after: list[Callable[[], Awaitable[None]]] = []

    @property
    def raw(self) -> Any:
        """The underlying ``asyncpg.Connection``."""
        return self._raw

    async def _run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        hooks = switch.hooks
        if hooks is not None:
            return await self._traced(hooks, method, args, kwargs)
        return await getattr(self._raw, method)(*args, **kwargs)

    async def _plain(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return await getattr(self._raw, method)(*args, **kwargs)

    def after_transaction(self, step: Callable[[], Awaitable[None]]) -> bool:
        """Run ``step`` once the outermost ``transaction()`` block of this
        connection has ended (committed or rolled back): the repository cache
        lifts its hold on the rows written there.  False (nothing scheduled)
        outside such a block."""
        if self._depth == 0:
            return False
        self._after.append(step)
        return True

    @asynccontextmanager
    async def transaction(
        self, *, isolation: Isolation | None = None, readonly: bool = False
    ) -> AsyncIterator[Connection]:
        """A transaction, or a savepoint when one is already open."""
        self._depth += 1
        try:
            async with self._raw.transaction(isolation=isolation, readonly=readonly):
                yield self
        finally:
            self._depth -= 1
            if self._depth == 0 and self._after:
                steps, self._after = self._after, []
                for step in steps:
                    await step()

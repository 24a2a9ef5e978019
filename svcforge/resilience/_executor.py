"""The database calls of generated repositories and queries, under a policy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from svcforge.db import Executor, Record
from svcforge.resilience._policy import Policy

__all__ = ["GuardedExecutor"]


class GuardedExecutor:
    """An ``Executor`` (what repositories and queries take) whose every call
    runs under ``policy``: ``InstrumentRepository(GuardedExecutor(db, p))``.
    A transaction's connection is not guarded: its statements belong to
    one unit that a retry of a single statement would break."""

    def __init__(self, executor: Executor, policy: Policy) -> None:
        self.executor = executor
        self.policy = policy

    async def fetch(self, query: str, *args: object) -> list[Record]:
        return await self.policy.call(self.executor.fetch, query, *args)

    async def fetchrow(self, query: str, *args: object) -> Record | None:
        return await self.policy.call(self.executor.fetchrow, query, *args)

    async def fetchval(self, query: str, *args: object) -> Any:
        return await self.policy.call(self.executor.fetchval, query, *args)

    async def execute(self, query: str, *args: object) -> str:
        return await self.policy.call(self.executor.execute, query, *args)

    async def executemany(self, query: str, args: Iterable[Sequence[object]]) -> None:
        rows = list(args)  # a retry needs them again
        await self.policy.call(self.executor.executemany, query, rows)

    async def fetchmany(
        self, query: str, args: Iterable[Sequence[object]]
    ) -> list[Record]:
        rows = list(args)
        return await self.policy.call(self.executor.fetchmany, query, rows)

    async def copy_records(
        self,
        table: str,
        records: Iterable[Sequence[object]],
        *,
        columns: Sequence[str],
        schema: str | None = "public",
    ) -> int:
        rows = list(records)
        return await self.policy.call(
            self.executor.copy_records, table, rows, columns=columns, schema=schema
        )

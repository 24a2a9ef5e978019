"""Consume -> store: a channel's batch handler that writes each fetched batch
to its table in one transaction (``svcforge.db.Store``), and the hooks that
run in that transaction on the rows that were new."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter

from svcforge.db import Connection, Database, Store, StoreSpec
from svcforge.messaging import MessageContext

__all__ = ["StoreHandler", "StoreHook", "StoreMetrics"]

M = TypeVar("M")

StoreHook = Callable[[Connection, list[M]], Awaitable[None]]
"""``async def hook(conn, messages) -> None``: runs in the batch's
transaction after its rows were written, with the messages whose rows were
new (a message delivered again is not handed over twice)."""


class StoreMetrics:
    """Rows written by the stores of a service, by channel and table."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("channel", "table")
        self.stored = Counter(
            "svcforge_rows_stored",
            "Rows a store inserted (or updated, with on_conflict = update).",
            labels,
            registry=registry,
        )
        self.duplicates = Counter(
            "svcforge_rows_duplicate",
            "Messages whose row was stored before (delivered again): not stored twice.",
            labels,
            registry=registry,
        )


class StoreHandler(Generic[M]):
    """Writes each batch of a channel to its table: one transaction per
    batch, ``INSERT ... ON CONFLICT`` on the store's key, then the hooks.
    The broker acknowledges the batch only after that transaction
    committed."""

    def __init__(
        self, database: Database, spec: StoreSpec[M, Any], metrics: StoreMetrics
    ) -> None:
        self.database = database
        self.store: Store[M, Any] = Store(spec)
        self.hooks: list[StoreHook[M]] = []
        table = f"{spec.schema}.{spec.table}"
        self._stored = metrics.stored.labels(spec.channel, table)
        self._duplicates = metrics.duplicates.labels(spec.channel, table)

    def also(self, hook: StoreHook[M]) -> StoreHook[M]:
        """Run ``hook`` in each batch's transaction, after the rows were
        written, with the messages whose rows were new (usable as a
        decorator): its writes, and the messages it stages in the outbox,
        commit with the rows or not at all."""
        self.hooks.append(hook)
        return hook

    async def __call__(self, messages: list[M], contexts: list[MessageContext]) -> None:
        async with self.database.acquire() as conn:
            await self.store.prepare(conn)
            async with conn.transaction():
                if self.hooks:
                    new = await self.store.write_new(conn, messages)
                    for hook in self.hooks:
                        await hook(conn, new)
                    written = len(new)
                else:
                    written = await self.store.write(conn, messages)
        self._stored.inc(written)
        if written < len(messages):
            self._duplicates.inc(len(messages) - written)

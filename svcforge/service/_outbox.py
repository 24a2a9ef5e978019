"""A typed transactional outbox: ``OutboxChannel.stage`` writes a message in
the caller's database transaction, and ``OutboxRelay`` (a worker of the
runner) publishes the staged messages in order and marks them sent.

A crash between the commit and the publish loses nothing: the rows wait in
``svcforge_outbox`` until a relay publishes them.  A crash after a publish
and before its rows were marked sent publishes them again: at most one round
(``OutboxSettings.batch_size``) per crash, each counted in
``svcforge_outbox_republished_total``.  Every message carries an
``outbox-id`` header, so that a consumer can tell a republished one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import structlog
from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel

from svcforge.db._outbox import (
    ATTEMPTED,
    EXPIRED,
    OUTBOX_CHANNEL,
    OUTBOX_LOCK,
    PENDING,
    SENT,
    STAGE,
)
from svcforge.db._types import Executor
from svcforge.messaging import PublishChannel
from svcforge.service._settings import OutboxSettings
from svcforge.settings._secret import describe

__all__ = ["OUTBOX_ID", "OutboxChannel", "OutboxRelay"]

M = TypeVar("M", bound=BaseModel)

OUTBOX_ID = "outbox-id"
"""The header holding the staged message's id in ``svcforge_outbox``."""

_log = structlog.get_logger("svcforge.outbox")
_CLEANUP_S = 60.0


class OutboxChannel(Generic[M]):
    """A channel published through the outbox: ``await
    outbox.stage(conn, message)`` inside the transaction of the writes the
    message announces."""

    __slots__ = ("channel",)

    def __init__(self, channel: PublishChannel[M]) -> None:
        self.channel = channel

    @property
    def name(self) -> str:
        return self.channel.name

    async def stage(
        self,
        conn: Executor,
        message: M,
        *,
        headers: Mapping[str, str | bytes] | None = None,
    ) -> None:
        """Stage ``message`` on ``conn`` (a ``Connection`` in a transaction):
        the relay publishes it once the transaction committed, and never if
        it rolls back."""
        key, value, extra = self.channel.record(message, headers=headers)
        await conn.execute(
            STAGE,
            self.channel.name,
            key,
            value,
            [k for k, _ in extra],
            [v for _, v in extra],
        )


class OutboxRelay:
    """Publishes the staged messages of its channels, in id order, on a
    connection of its own that holds an advisory lock: one relay per
    database publishes at a time, the others wait for the lock."""

    name = "outbox"

    def __init__(
        self,
        url: Any,
        channels: Mapping[str, PublishChannel[Any]],
        settings: OutboxSettings,
        registry: CollectorRegistry,
    ) -> None:
        self.url = url
        """The database URL, or a callable giving it at start (an embedded
        database gets its URL only then)."""
        self.channels = dict(channels)
        self.settings = settings
        self.published = Counter(
            "svcforge_outbox_published",
            "Staged messages the relay published and marked sent.",
            ("channel",),
            registry=registry,
        )
        self.republished = Counter(
            "svcforge_outbox_republished",
            "Staged messages published again after a relay stopped between "
            "publishing them and marking them sent (a crash): possible "
            "duplicates.",
            ("channel",),
            registry=registry,
        )
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake = asyncio.Event()
        self._cleaned = 0.0

    async def start(self) -> None:
        if self.settings.enabled and self.channels and self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, timeout: float) -> None:
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        done, _ = await asyncio.wait([task], timeout=timeout)
        if not done:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    def problem(self) -> str | None:
        task = self._task
        if task is not None and task.done() and not self._stopping:
            return "outbox relay stopped"
        return None

    async def _run(self) -> None:
        wait = 0.2
        while not self._stopping:
            try:
                await self._session()
                wait = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopping:
                    return
                _log.warning(
                    "outbox relay error; retrying",
                    error=describe(exc),
                    retry_in_s=wait,
                )
                await self._sleep(wait)
                wait = min(wait * 2, 5.0)

    async def _session(self) -> None:
        """One connection: take the lock, listen, publish until stopped."""
        import asyncpg

        url = self.url() if callable(self.url) else self.url
        conn = await asyncpg.connect(str(url), statement_cache_size=0)
        try:
            while not await conn.fetchval(
                "SELECT pg_try_advisory_lock($1)", OUTBOX_LOCK
            ):
                if self._stopping:
                    return
                await self._sleep(self.settings.poll_interval_s)
            await conn.add_listener(OUTBOX_CHANNEL, self._notified)
            _log.info("outbox relay started", channels=sorted(self.channels))
            while not self._stopping:
                # Cleared before reading: a commit during the round wakes the
                # next one at once.
                self._wake.clear()
                sent = await self._round(conn)
                await self._clean(conn)
                if sent < self.settings.batch_size:
                    await self._sleep(self.settings.poll_interval_s)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2.0)

    def _notified(self, *args: object) -> None:
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        """Until ``seconds`` passed, a commit staged messages, or a stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _round(self, conn: Any) -> int:
        """Publish up to ``batch_size`` staged messages; return how many."""
        rows = await conn.fetch(
            PENDING, sorted(self.channels), self.settings.batch_size
        )
        if not rows:
            return 0
        ids = [r["id"] for r in rows]
        # Counted before publishing: a row tried before may have reached the
        # broker already (the relay stopped before marking it sent).
        await conn.execute(ATTEMPTED, ids)
        futures = []
        for r in rows:
            headers = list(zip(r["header_names"], r["header_values"], strict=True))
            headers.append((OUTBOX_ID, str(r["id"]).encode()))
            channel = self.channels[r["channel"]]
            futures.append(await channel.send_record(r["key"], r["value"], headers))
        await asyncio.gather(*futures)
        await conn.execute(SENT, ids)
        for r in rows:
            self.published.labels(r["channel"]).inc()
            if r["attempts"] > 0:
                self.republished.labels(r["channel"]).inc()
        return len(rows)

    async def _clean(self, conn: Any) -> None:
        now = time.monotonic()
        if now - self._cleaned >= _CLEANUP_S:
            self._cleaned = now
            await conn.execute(EXPIRED, self.settings.retention_s)

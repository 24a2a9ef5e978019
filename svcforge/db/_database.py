"""``Database``: an asyncpg pool with its settings, codecs, transactions,
readiness check and a clean close."""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from pydantic import ConfigDict, Field

from svcforge.db._codecs import register_codecs
from svcforge.db._connection import Connection, Isolation, StatementRunner, endpoint
from svcforge.db._types import CompositeType, EnumType, Record
from svcforge.settings._secret import MaskedModel, SecretUrl, describe
from svcforge.tracing._switch import switch

__all__ = [
    "OLD_URL_VARIABLE",
    "Connection",
    "Database",
    "DatabaseError",
    "DatabaseSettings",
    "moved_url_variable",
]

OLD_URL_VARIABLE = "DATABASE_URL"


def moved_url_variable(new: str) -> str:
    """What to say when only the former ``DATABASE_URL`` is set."""
    return (
        f"{OLD_URL_VARIABLE} is no longer read: the database URL is {new}, the "
        "variable the service's generated settings read (svcforge dev up "
        f"exports it); rename {OLD_URL_VARIABLE} to {new}"
    )


class DatabaseError(RuntimeError):
    """The database runtime was misused or could not be reached."""


class DatabaseSettings(MaskedModel):
    """Pool size and timeouts (seconds).  Nested in the service's settings
    (``<PREFIX>_DATABASE__URL``), or read alone with ``from_env``."""

    model_config = ConfigDict(hide_input_in_errors=True)

    url: SecretUrl = "postgresql://postgres@127.0.0.1:5432/postgres"
    """Shown with its password masked (``postgresql://user:***@host/db``)."""
    min_size: int = Field(default=1, ge=0)
    max_size: int = Field(default=10, ge=1)
    connect_timeout: float = Field(default=10.0, gt=0)
    statement_timeout: float | None = Field(default=30.0, gt=0)
    """PostgreSQL's ``statement_timeout``: the server cancels a statement
    running longer (free for the client, unlike ``command_timeout``)."""
    command_timeout: float | None = Field(default=None, gt=0)
    """A client-side timeout of each statement (asyncpg's); it costs a timer
    per statement, about a tenth of a short query's time."""
    max_inactive_connection_lifetime: float = Field(default=300.0, ge=0)
    statement_cache_size: int = Field(default=100, ge=0)
    """Prepared statements kept per connection (0 behind pgbouncer in
    transaction mode)."""
    application_name: str = ""
    migrate: bool = False
    """Apply the service's migrations when it starts (else run ``svcforge
    migrate`` before); an embedded database always gets them."""

    @classmethod
    def from_env(
        cls, prefix: str = "", environ: Mapping[str, str] | None = None
    ) -> DatabaseSettings:
        """The variables the service's generated settings read:
        ``<prefix>DATABASE__URL``, ``<prefix>DATABASE__MAX_SIZE``, ... where
        ``prefix`` is the service's (``Settings.model_config["env_prefix"]``,
        ``MARKET_DATA_``).  The former ``DATABASE_URL`` is no longer read:
        when it is set and the new name is not, ``DatabaseError`` says so."""
        env = os.environ if environ is None else environ
        group = f"{prefix.upper()}DATABASE__"
        values = {
            name: env[f"{group}{name.upper()}"]
            for name in cls.model_fields
            if f"{group}{name.upper()}" in env
        }
        if "url" not in values and env.get(OLD_URL_VARIABLE):
            raise DatabaseError(moved_url_variable(f"{group}URL"))
        return cls.model_validate(values)


def _asyncpg() -> Any:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - depends on the install
        raise DatabaseError(
            "asyncpg is not installed: pip install 'svcforge[postgres]'"
        ) from None
    return asyncpg


async def _light_reset(conn: Any) -> None:
    """What the pool runs when a connection comes back.  asyncpg's default
    costs a round trip after every statement (RESET ALL, UNLISTEN, ...); the
    statement methods leave no session state, and ``acquire``/``transaction``
    reset fully themselves, so only an abandoned transaction needs undoing."""
    if conn.is_in_transaction():
        await conn.reset()


class Database(StatementRunner):
    """A pool of connections to one PostgreSQL database.

    ``async with Database(settings, enums=ENUM_TYPES) as db:`` opens it and
    closes it cleanly.  Each statement method borrows a connection for that
    one statement; ``transaction()`` and ``acquire()`` hold one for a block.

    Connections between statements wait in a small free list of the
    ``Database`` rather than going back to asyncpg's pool: a pool round
    (acquire, release, reset) costs about as much as a short query, so a
    single-row get would pay for two.  The pool still creates the
    connections, bounds their number and closes them.
    """

    def __init__(
        self,
        settings: DatabaseSettings | str,
        *,
        enums: Sequence[EnumType | CompositeType] = (),
        server_settings: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(settings, str):
            settings = DatabaseSettings(url=settings)
        self.settings = settings
        self.enums = tuple(enums)
        self._server_settings = dict(server_settings or {})
        if settings.application_name:
            self._server_settings.setdefault(
                "application_name", settings.application_name
            )
        if settings.statement_timeout is not None:
            millis = str(round(settings.statement_timeout * 1000))
            self._server_settings.setdefault("statement_timeout", millis)
        self._endpoint = endpoint(str(settings.url))
        self._pool: Any = None
        self._free: list[Any] = []
        self._held = 0
        """Connections taken from the pool: borrowed or in ``_free``."""
        self._waiters: deque[asyncio.Future[Any]] = deque()
        self._health: Any = None
        """The readiness check's own connection."""
        self._health_lock = asyncio.Lock()

    @property
    def pool(self) -> Any:
        """The underlying ``asyncpg.Pool``."""
        if self._pool is None:
            raise DatabaseError("the database is not open: await db.open() first")
        return self._pool

    async def open(self) -> Database:
        if self._pool is None:
            s = self.settings
            self._pool = await _asyncpg().create_pool(
                s.url,
                min_size=s.min_size,
                max_size=s.max_size,
                timeout=s.connect_timeout,
                command_timeout=s.command_timeout,
                max_inactive_connection_lifetime=s.max_inactive_connection_lifetime,
                statement_cache_size=s.statement_cache_size,
                server_settings=self._server_settings or None,
                init=self._init_connection,
                reset=_light_reset,
            )
        return self

    async def _init_connection(self, conn: Any) -> None:
        await register_codecs(conn, self.enums)

    async def _borrow(self) -> Any:
        """A free connection, a new one from the pool while fewer than
        ``max_size`` are out, or the next one given back."""
        while True:
            if self._free:
                return self._free.pop()
            if self._held < self.settings.max_size:
                self._held += 1
                try:
                    return await self.pool.acquire()
                except BaseException:
                    self._held -= 1
                    raise
            waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                conn = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.result():
                    self._put(waiter.result())
                raise
            if conn is not None:
                return conn
            # None: a broken connection went back to the pool; take a new one.

    def _put(self, conn: Any) -> None:
        """A connection is free again: to the first waiter, else to the list."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._free.append(conn)

    async def _give_back(self, conn: Any, clean: bool) -> None:
        if clean and self._pool is not None and not conn.is_closed():
            self._put(conn)
            return
        self._held -= 1
        if self._pool is not None:
            await self._pool.release(conn)  # resets it, or closes a broken one
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        hooks = switch.hooks
        if hooks is not None:
            return await self._traced(hooks, method, args, kwargs)
        return await self._plain(method, *args, **kwargs)

    async def _plain(self, method: str, *args: Any, **kwargs: Any) -> Any:
        conn = self._free.pop() if self._free else await self._borrow()
        try:
            result = await getattr(conn, method)(*args, **kwargs)
        except BaseException:
            await self._give_back(conn, False)
            raise
        self._put(conn)
        return result

    # The four statement methods the generated code calls, spelled out: one
    # coroutine frame and no attribute lookup by name on the hot path.

    async def fetch(self, query: str, *args: object) -> list[Record]:
        hooks = switch.hooks
        if hooks is not None:
            traced: list[Record] = await self._traced(
                hooks, "fetch", (query, *args), {}
            )
            return traced
        conn = self._free.pop() if self._free else await self._borrow()
        try:
            rows: list[Record] = await conn.fetch(query, *args)
        except BaseException:
            await self._give_back(conn, False)
            raise
        self._put(conn)
        return rows

    async def fetchrow(self, query: str, *args: object) -> Record | None:
        hooks = switch.hooks
        if hooks is not None:
            traced: Record | None = await self._traced(
                hooks, "fetchrow", (query, *args), {}
            )
            return traced
        conn = self._free.pop() if self._free else await self._borrow()
        try:
            row: Record | None = await conn.fetchrow(query, *args)
        except BaseException:
            await self._give_back(conn, False)
            raise
        self._put(conn)
        return row

    async def fetchval(self, query: str, *args: object) -> Any:
        hooks = switch.hooks
        if hooks is not None:
            return await self._traced(hooks, "fetchval", (query, *args), {})
        conn = self._free.pop() if self._free else await self._borrow()
        try:
            value = await conn.fetchval(query, *args)
        except BaseException:
            await self._give_back(conn, False)
            raise
        self._put(conn)
        return value

    async def execute(self, query: str, *args: object) -> str:
        hooks = switch.hooks
        if hooks is not None:
            traced: str = await self._traced(hooks, "execute", (query, *args), {})
            return traced
        conn = self._free.pop() if self._free else await self._borrow()
        try:
            status: str = await conn.execute(query, *args)
        except BaseException:
            await self._give_back(conn, False)
            raise
        self._put(conn)
        return status

    async def _drain(self) -> None:
        """Hand the free connections back to the pool."""
        free, self._free = self._free, []
        self._held -= len(free)
        for conn in free:
            await self._pool.release(conn)

    async def close(self, timeout: float = 10.0) -> None:
        """Wait for borrowed connections to come back (up to ``timeout``),
        then close them all."""
        if self._pool is None:
            return
        await self._drain()
        async with self._health_lock:
            await self._drop_health()
        pool, self._pool = self._pool, None
        try:
            await asyncio.wait_for(pool.close(), timeout)
        except TimeoutError:
            pool.terminate()

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def ready(self, timeout: float = 2.0) -> bool:
        """Whether the database answers a trivial query within ``timeout``;
        False on any error (never raises)."""
        return await self.check(timeout) is None

    async def check(self, timeout: float = 2.0) -> str | None:
        """None when the pool is open and the server runs a query within
        ``timeout``, else why not.  The query runs on a connection of the
        health check's own: a flood of probes never takes one of the pool's."""
        if self._pool is None:
            return "database not open"
        async with self._health_lock:
            try:
                return await asyncio.wait_for(self._probe(), timeout)
            except Exception as exc:
                await self._drop_health()
                return f"database unreachable: {describe(exc)}"

    async def _probe(self) -> str | None:
        conn = self._health
        if conn is None or conn.is_closed():
            s = self.settings
            conn = self._health = await _asyncpg().connect(
                s.url,
                timeout=s.connect_timeout,
                statement_cache_size=0,
                server_settings=self._server_settings or None,
            )
        value = await conn.fetchval("SELECT 1")
        return None if value == 1 else f"database answered {value!r} to SELECT 1"

    async def _drop_health(self) -> None:
        conn, self._health = self._health, None
        if conn is not None:
            conn.terminate()

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[Connection]:
        """One connection for a block; its session state (SET, LISTEN,
        advisory locks, cursors) is reset when the block ends."""
        raw = await self._borrow()
        try:
            yield Connection(raw, self._endpoint)
        finally:
            # Also when the block raised: SET, LISTEN and advisory locks must
            # not reach the next borrower.  A connection that cannot even be
            # reset goes back to the pool, which closes it.
            try:
                await raw.reset()
            except Exception:
                clean = False
            else:
                clean = True
            await self._give_back(raw, clean)

    @asynccontextmanager
    async def transaction(
        self, *, isolation: Isolation | None = None, readonly: bool = False
    ) -> AsyncIterator[Connection]:
        """One connection in a transaction: committed when the block ends,
        rolled back when it raises."""
        async with (
            self.acquire() as conn,
            conn.transaction(isolation=isolation, readonly=readonly),
        ):
            yield conn

    async def migrate(self, migrations: Sequence[Any]) -> list[str]:
        """Apply the migrations not applied yet (see ``apply_migrations``), then
        renew the connections so that they know new enum types."""
        from svcforge.db._migrate import apply_migrations

        async with self.acquire() as conn:
            applied = await apply_migrations(conn.raw, migrations)
        if applied:
            await self._drain()
            await self.pool.expire_connections()
        return applied

"""The repository row cache (``svcforge.db.RowCache``) through the accounts
example's generated ``UserRepository``, against the session's real Redis and
PostgreSQL: hits and misses, invalidation by every write, no stale row when a
load races a write, single flight, transactions, Redis unreachable."""

from __future__ import annotations

import asyncio
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from svcforge.db import Database, DatabaseSettings, Record, RowCache

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generated-examples" / "accounts" / "src"))

from accounts.generated.db import ENUM_TYPES, MIGRATIONS  # noqa: E402
from accounts.generated.db.enums import UserRole  # noqa: E402
from accounts.generated.db.users import (  # noqa: E402
    UserInsert,
    UserRepository,
    UserRow,
)


@asynccontextmanager
async def _database(dsn: str) -> AsyncIterator[Database]:
    db = Database(DatabaseSettings(url=dsn), enums=ENUM_TYPES)
    async with db:
        await db.migrate(MIGRATIONS)
        yield db


def _user(name: str = "Ada") -> UserInsert:
    return UserInsert(
        id=uuid.uuid4(),
        email=f"{uuid.uuid4().hex[:8]}@example.com",
        display_name=name,
        role=UserRole.ADMIN,
        password_hash="x",
    )


def _count(registry: CollectorRegistry, name: str) -> float:
    value = registry.get_sample_value(name, {"table": "public.users"})
    return value or 0.0


class _Gated:
    """The database, with a pause after a load when ``gate`` is armed: the
    window in which a write can overtake a reader that already read."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.loads = 0
        self.loaded = asyncio.Event()
        self.gate: asyncio.Event | None = None

    async def fetchrow(self, query: str, *args: object) -> Record | None:
        self.loads += 1
        row = await self.db.fetchrow(query, *args)
        self.loaded.set()
        if self.gate is not None:
            await self.gate.wait()
        return row

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


def run(test: Callable[..., Awaitable[None]], *args: Any) -> None:
    asyncio.run(test(*args))


def test_a_hit_gives_the_row_with_its_own_types(
    postgres_dsn: str, redis_url: str
) -> None:
    async def check() -> None:
        registry = CollectorRegistry()
        cache = RowCache(redis_url, registry=registry)
        async with _database(postgres_dsn) as db:
            repo = UserRepository(db, cache)
            stored = await repo.insert(_user())
            first = await repo.get(stored.id)
            second = await repo.get(stored.id)
            assert first == second == stored
            assert isinstance(second, UserRow)
            assert type(second.role) is UserRole
            assert second.created_at.tzinfo is not None
            assert _count(registry, "svcforge_cache_misses_total") == 1
            assert _count(registry, "svcforge_cache_hits_total") == 1
            assert await repo.get(uuid.uuid4()) is None
        await cache.close()

    run(check)


def test_every_write_invalidates(postgres_dsn: str, redis_url: str) -> None:
    async def check() -> None:
        cache = RowCache(redis_url)
        async with _database(postgres_dsn) as db:
            repo = UserRepository(db, cache)
            row = await repo.insert(_user())
            assert (await repo.get(row.id)) == row
            await repo.update(row.id, display_name="Grace")
            got = await repo.get(row.id)
            assert got is not None and got.display_name == "Grace"
            new = _user("Hopper")
            new.id = row.id
            await repo.upsert(new)
            got = await repo.get(row.id)
            assert got is not None and got.display_name == "Hopper"
            assert await repo.delete(row.id)
            assert await repo.get(row.id) is None
        await cache.close()

    run(check)


def test_unique_get_follows_a_changed_key(postgres_dsn: str, redis_url: str) -> None:
    async def check() -> None:
        registry = CollectorRegistry()
        cache = RowCache(redis_url, registry=registry)
        async with _database(postgres_dsn) as db:
            repo = UserRepository(db, cache)
            a = await repo.insert(_user("A"))
            assert await repo.get_by_email(a.email) == a
            assert await repo.get_by_email(a.email) == a  # the pointer, the row
            assert await repo.get_by_email(a.email) == a  # both cached
            assert _count(registry, "svcforge_cache_hits_total") >= 1
            await repo.update(a.id, email="moved@example.com")
            assert await repo.get_by_email(a.email) is None
            taken = _user("B")
            taken.email = a.email
            b = await repo.insert(taken)
            assert await repo.get_by_email(a.email) == b
            moved = await repo.get_by_email("moved@example.com")
            assert moved is not None and moved.id == a.id
        await cache.close()

    run(check)


def test_a_load_overtaken_by_a_write_is_not_stored(
    postgres_dsn: str, redis_url: str
) -> None:
    """The race a plain delete-on-write loses: a reader loads the row, a
    write commits and invalidates, then the reader would store the old row.
    Its lease was replaced by the writer's hold, so it stores nothing."""

    async def check() -> None:
        reader_cache, writer_cache = RowCache(redis_url), RowCache(redis_url)
        async with _database(postgres_dsn) as db:
            gated = _Gated(db)
            gated.gate = asyncio.Event()
            reader = UserRepository(gated, reader_cache)
            writer = UserRepository(db, writer_cache)
            row = await writer.insert(_user("old"))
            slow = asyncio.ensure_future(reader.get(row.id))
            await gated.loaded.wait()  # the old row is loaded, not yet stored
            await writer.update(row.id, display_name="new")
            gated.gate.set()
            old = await slow
            assert old is not None and old.display_name == "old"  # read before
            for repo in (reader, writer, UserRepository(db, RowCache(redis_url))):
                got = await repo.get(row.id)
                assert got is not None and got.display_name == "new"
        await reader_cache.close()
        await writer_cache.close()

    run(check)


def test_no_stale_read_under_concurrent_reads_and_writes(
    postgres_dsn: str, redis_url: str
) -> None:
    """Three caches (three processes' worth of connections and single
    flights) read one row while a writer updates it 150 times: a get begun
    after update n returned never sees a version below n."""

    async def check() -> None:
        caches = [RowCache(redis_url) for _ in range(3)]
        async with _database(postgres_dsn) as db:
            writer = UserRepository(db, caches[0])
            row = await writer.insert(_user("v0"))
            done = 0
            stop = False
            seen: list[int] = []

            async def read(repo: UserRepository) -> None:
                while not stop:
                    floor = done
                    got = await repo.get(row.id)
                    assert got is not None
                    version = int(got.display_name[1:])
                    assert version >= floor, f"stale: v{version} after v{floor}"
                    seen.append(version)

            readers = [
                asyncio.ensure_future(read(UserRepository(db, c)))
                for c in caches
                for _ in range(4)
            ]
            for n in range(1, 151):
                await writer.update(row.id, display_name=f"v{n}")
                done = n
                await asyncio.sleep(0.001)
            stop = True
            await asyncio.gather(*readers)
            assert len(seen) > 150
            for c in caches:
                got = await UserRepository(db, c).get(row.id)
                assert got is not None and got.display_name == "v150"
        for c in caches:
            await c.close()

    run(check)


def test_concurrent_misses_load_once(postgres_dsn: str, redis_url: str) -> None:
    async def check() -> None:
        cache = RowCache(redis_url)
        async with _database(postgres_dsn) as db:
            row = await UserRepository(db).insert(_user())
            gated = _Gated(db)
            repo = UserRepository(gated, cache)
            got = await asyncio.gather(*(repo.get(row.id) for _ in range(50)))
            assert all(g == row for g in got)
            assert gated.loads == 1
        await cache.close()

    run(check)


def test_a_write_in_a_transaction_holds_until_it_ends(
    postgres_dsn: str, redis_url: str
) -> None:
    async def check() -> None:
        cache = RowCache(redis_url)
        async with _database(postgres_dsn) as db:
            repo = UserRepository(db, cache)
            row = await repo.insert(_user("before"))
            async with db.transaction() as conn:
                await UserRepository(conn, cache).update(row.id, display_name="after")
                inside = await UserRepository(conn, cache).get(row.id)
                assert inside is not None and inside.display_name == "after"
                # Outside, the committed row is read but must not be stored.
                outside = await repo.get(row.id)
                assert outside is not None and outside.display_name == "before"
            got = await repo.get(row.id)
            assert got is not None and got.display_name == "after"
            assert await cache.connection.call(b"DBSIZE") >= 1
        await cache.close()

    run(check)


def test_unreachable_redis_reads_postgres_and_refuses_writes(
    postgres_dsn: str,
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there

    async def check() -> None:
        registry = CollectorRegistry()
        cache = RowCache(f"redis://127.0.0.1:{port}/0", registry=registry)
        async with _database(postgres_dsn) as db:
            row = await UserRepository(db).insert(_user())
            repo = UserRepository(db, cache)
            assert await repo.get(row.id) == row
            assert _count(registry, "svcforge_cache_errors_total") >= 1
            with pytest.raises(ConnectionError):
                await repo.update(row.id, display_name="never")
            got = await UserRepository(db).get(row.id)
            assert got is not None and got.display_name == row.display_name

    run(check)


def test_a_redis_that_never_answers_times_out_to_postgres(postgres_dsn: str) -> None:
    """A server that accepts the connection but never replies: each get
    waits ``timeout_s`` at most, then reads PostgreSQL."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]

        async def check() -> None:
            registry = CollectorRegistry()
            url = f"redis://127.0.0.1:{port}/0"
            cache = RowCache(url, registry=registry, timeout_s=0.2)
            async with _database(postgres_dsn) as db:
                row = await UserRepository(db).insert(_user())
                repo = UserRepository(db, cache)
                loop = asyncio.get_running_loop()
                start = loop.time()
                assert await repo.get(row.id) == row
                assert loop.time() - start < 2.0
                assert _count(registry, "svcforge_cache_errors_total") >= 1
            await cache.close()

        run(check)

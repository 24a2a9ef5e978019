"""The ``svcforge.db`` runtime on a real PostgreSQL: pool settings, readiness,
transactions, clean close, json/jsonb and enum codecs, and migrations applied
in order, once each, each in a transaction, tracked in a table."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from svcforge.db import (
    MIGRATIONS_TABLE,
    Database,
    DatabaseError,
    DatabaseSettings,
    EnumType,
    Migration,
    MigrationError,
    apply_migrations,
    load_migrations,
)

ONE = Migration(
    "001_one.sql", "CREATE TABLE t (id int PRIMARY KEY, doc jsonb, raw json);"
)
TWO = Migration(
    "002_two.sql",
    "CREATE TYPE mood AS ENUM ('sad', 'happy');\nALTER TABLE t ADD COLUMN mood mood;",
)


class Mood(enum.StrEnum):
    SAD = "sad"
    HAPPY = "happy"


def run(
    dsn: str,
    body: Callable[[Database], Awaitable[None]],
    enums: list[EnumType] | None = None,
) -> None:
    async def main() -> None:
        async with Database(dsn, enums=enums or ()) as db:
            await body(db)

    asyncio.run(main())


def test_settings_come_from_the_environment() -> None:
    """The names the service's generated settings read."""
    s = DatabaseSettings.from_env(
        "MARKET_DATA_",
        environ={
            "MARKET_DATA_DATABASE__URL": "postgresql://u@h:1/d",
            "MARKET_DATA_DATABASE__MAX_SIZE": "3",
            "MARKET_DATA_DATABASE__STATEMENT_TIMEOUT": "2.5",
            "DATABASE_MAX_SIZE": "7",
            "OTHER": "x",
        },
    )
    assert (s.url, s.max_size, s.statement_timeout, s.min_size) == (
        "postgresql://u@h:1/d",
        3,
        2.5,
        1,
    )


def test_the_former_database_url_is_refused_with_the_new_name() -> None:
    with pytest.raises(DatabaseError, match="rename DATABASE_URL to DATABASE__URL"):
        DatabaseSettings.from_env(environ={"DATABASE_URL": "postgresql://u@h:1/d"})


def test_pool_size_and_timeouts_reach_the_pool(postgres_dsn: str) -> None:
    settings = DatabaseSettings(
        url=postgres_dsn,
        min_size=2,
        max_size=3,
        statement_timeout=0.3,
        application_name="svc-test",
    )

    async def body(db: Database) -> None:
        assert db.pool.get_min_size() == 2 and db.pool.get_max_size() == 3
        assert (
            await db.fetchval("SELECT current_setting('application_name')")
            == "svc-test"
        )
        assert await db.fetchval("SHOW statement_timeout") == "300ms"
        with pytest.raises(asyncpg.QueryCanceledError):
            await db.execute("SELECT pg_sleep(2)")
        assert await db.fetchval("SELECT 1") == 1  # the connection recovered

    async def main() -> None:
        async with Database(settings) as db:
            await body(db)
        client = DatabaseSettings(url=postgres_dsn, command_timeout=0.3)
        async with Database(client) as db:
            with pytest.raises(asyncio.TimeoutError):
                await db.execute("SELECT pg_sleep(2)")
            assert await db.fetchval("SELECT 1") == 1

    asyncio.run(main())


def test_ready_is_true_when_open_and_false_when_closed(postgres_dsn: str) -> None:
    async def main() -> None:
        db = Database(postgres_dsn)
        assert not await db.ready()
        await db.open()
        assert await db.ready()
        await db.close()
        assert not await db.ready()
        with pytest.raises(DatabaseError):
            await db.fetchval("SELECT 1")
        await db.close()  # twice is fine

    asyncio.run(main())


def test_ready_is_false_when_the_server_is_unreachable() -> None:
    async def main() -> None:
        settings = DatabaseSettings(
            url="postgresql://postgres@127.0.0.1:9/none", min_size=0, connect_timeout=1
        )
        async with Database(settings) as db:
            assert not await db.ready(timeout=2)

    asyncio.run(main())


def test_concurrent_statements_share_the_pool(postgres_dsn: str) -> None:
    async def body(db: Database) -> None:
        values = await asyncio.gather(
            *(db.fetchval("SELECT $1::int", i) for i in range(50))
        )
        assert values == list(range(50))
        assert db.pool.get_size() <= 4

    asyncio.run(_with(DatabaseSettings(url=postgres_dsn, max_size=4), body))


async def _with(
    settings: DatabaseSettings, body: Callable[[Database], Awaitable[None]]
) -> None:
    async with Database(settings) as db:
        await body(db)


def test_a_failed_statement_leaves_the_connection_usable(postgres_dsn: str) -> None:
    async def body(db: Database) -> None:
        for _ in range(3):
            with pytest.raises(asyncpg.PostgresError):
                await db.execute("SELECT * FROM nowhere")
            assert await db.fetchval("SELECT 2") == 2

    asyncio.run(_with(DatabaseSettings(url=postgres_dsn, max_size=1), body))


def test_transaction_commits_rolls_back_and_nests(postgres_dsn: str) -> None:
    async def body(db: Database) -> None:
        await db.execute("CREATE TABLE n (v int)")
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO n VALUES (1)")
            with pytest.raises(RuntimeError):
                async with tx.transaction():  # a savepoint
                    await tx.execute("INSERT INTO n VALUES (2)")
                    raise RuntimeError
            await tx.execute("INSERT INTO n VALUES (3)")
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO n VALUES (4)")
                raise RuntimeError
        rows = await db.fetch("SELECT v FROM n ORDER BY v")
        assert [r[0] for r in rows] == [1, 3]
        async with db.transaction(isolation="serializable", readonly=True) as tx:
            level = await tx.fetchval("SHOW transaction_isolation")
            assert level == "serializable"

    asyncio.run(_with(DatabaseSettings(url=postgres_dsn, max_size=1), body))


def test_session_state_does_not_leak_out_of_acquire(postgres_dsn: str) -> None:
    async def body(db: Database) -> None:
        async with db.acquire() as conn:
            await conn.execute("SET application_name = 'leaky'")
        assert await db.fetchval("SELECT current_setting('application_name')") == ""

    asyncio.run(_with(DatabaseSettings(url=postgres_dsn, max_size=1), body))


def test_json_jsonb_and_enums_decode_to_python(postgres_dsn: str) -> None:
    async def body(db: Database) -> None:
        await apply_migrations_on(db, [ONE, TWO])
        doc = {"a": [1, 2.5, None, True], "é": {"x": "y"}}
        await db.execute(
            "INSERT INTO t VALUES (1, $1, $2, $3)", doc, ["raw", 1], Mood.HAPPY
        )
        row = await db.fetchrow("SELECT doc, raw, mood FROM t")
        assert row is not None
        assert row[0] == doc and row[1] == ["raw", 1]
        assert row[2] is Mood.HAPPY
        assert await db.fetchval("SELECT doc->'a'->>1 FROM t") == "2.5"

    run(postgres_dsn, body, enums=[EnumType("public", "mood", Mood)])


async def apply_migrations_on(db: Database, migrations: list[Migration]) -> list[str]:
    return await db.migrate(migrations)


def test_migrations_apply_in_order_once_each(postgres_dsn: str) -> None:
    async def body(db: Database) -> None:
        assert await db.migrate([TWO, ONE]) == ["001_one.sql", "002_two.sql"]
        assert await db.migrate([ONE, TWO]) == []
        rows = await db.fetch(
            f"SELECT name, checksum FROM {MIGRATIONS_TABLE} ORDER BY name"
        )
        assert [(r[0], r[1]) for r in rows] == [
            ("001_one.sql", ONE.checksum),
            ("002_two.sql", TWO.checksum),
        ]
        three = Migration("003_three.sql", "ALTER TABLE t ADD COLUMN note text;")
        assert await db.migrate([ONE, TWO, three]) == ["003_three.sql"]

    run(postgres_dsn, body)


def test_a_failing_migration_is_rolled_back_and_stops_the_run(
    postgres_dsn: str,
) -> None:
    bad = Migration(
        "002_bad.sql",
        "CREATE TABLE half (id int);\nINSERT INTO nowhere VALUES (1);",
    )
    later = Migration("003_later.sql", "CREATE TABLE later (id int);")

    async def body(db: Database) -> None:
        with pytest.raises(MigrationError, match=r"002_bad\.sql failed"):
            await db.migrate([ONE, bad, later])
        tables = await db.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
        assert [r[0] for r in tables] == [MIGRATIONS_TABLE, "t"]
        applied = await db.fetch(f"SELECT name FROM {MIGRATIONS_TABLE}")
        assert [r[0] for r in applied] == ["001_one.sql"]

    run(postgres_dsn, body)


def test_an_edited_applied_migration_is_refused(postgres_dsn: str) -> None:
    async def body(db: Database) -> None:
        await db.migrate([ONE])
        edited = Migration(ONE.name, ONE.sql + "\n-- edited\n")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await db.migrate([edited])

    run(postgres_dsn, body)


def test_concurrent_migrators_apply_each_migration_once(postgres_dsn: str) -> None:
    """Several replicas starting together: the advisory lock serialises them."""

    async def main() -> list[list[str]]:
        async def one() -> list[str]:
            conn = await asyncpg.connect(postgres_dsn)
            try:
                return await apply_migrations(conn, [ONE, TWO])
            finally:
                await conn.close()

        return await asyncio.gather(*(one() for _ in range(4)))

    results = asyncio.run(main())
    assert sorted(map(len, results)) == [0, 0, 0, 2]


def test_load_migrations_reads_sql_files_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "010_c.sql").write_text("-- c\n")
    (tmp_path / "002_b.sql").write_text("-- b\n")
    (tmp_path / "001_a.sql").write_text("-- a\n")
    (tmp_path / "notes.txt").write_text("not sql")
    assert [m.name for m in load_migrations(tmp_path)] == [
        "001_a.sql",
        "002_b.sql",
        "010_c.sql",
    ]


def test_statements_transactions_and_cancellation_under_contention(
    postgres_dsn: str,
) -> None:
    """More tasks than connections: everyone gets one in turn, a cancelled
    waiter or statement loses none, and the pool never grows past max_size."""

    async def body(db: Database) -> None:
        await db.execute("CREATE TABLE c (v int)")

        async def in_transaction(i: int) -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO c VALUES ($1)", i)
                await asyncio.sleep(0.001)

        async def statement(i: int) -> int:
            value: int = await db.fetchval("SELECT $1::int", i)
            return value

        results = await asyncio.gather(
            *(in_transaction(i) for i in range(30)),
            *(statement(i) for i in range(100)),
        )
        assert results[30:] == list(range(100))
        assert await db.fetchval("SELECT count(*) FROM c") == 30
        slow = [
            asyncio.create_task(db.execute("SELECT pg_sleep(0.3)")) for _ in range(3)
        ]
        await asyncio.sleep(0.05)
        for task in slow:
            task.cancel()
        await asyncio.gather(*slow, return_exceptions=True)
        values = await asyncio.gather(*(statement(i) for i in range(20)))
        assert values == list(range(20))
        assert db.pool.get_size() <= 2

    asyncio.run(_with(DatabaseSettings(url=postgres_dsn, max_size=2), body))


def test_migrations_are_not_cut_by_the_statement_timeout(postgres_dsn: str) -> None:
    slow = Migration(
        "001_slow.sql", "SELECT pg_sleep(0.5);\nCREATE TABLE slow (id int);"
    )

    async def main() -> None:
        settings = DatabaseSettings(url=postgres_dsn, statement_timeout=0.2)
        async with Database(settings) as db:
            assert await db.migrate([slow]) == ["001_slow.sql"]
            assert await db.fetchval("SHOW statement_timeout") == "200ms"

    asyncio.run(main())


def test_session_state_is_reset_even_when_the_block_raises(postgres_dsn: str) -> None:
    async def body(db: Database) -> None:
        with pytest.raises(RuntimeError):
            async with db.acquire() as conn:
                await conn.execute("SET application_name = 'leaky'")
                await conn.execute("SELECT pg_advisory_lock(42)")
                raise RuntimeError
        assert await db.fetchval("SELECT current_setting('application_name')") == ""
        held = await db.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        )
        assert held == 0

    asyncio.run(_with(DatabaseSettings(url=postgres_dsn, max_size=1), body))

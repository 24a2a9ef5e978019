"""Migration statements beyond tables, and the migration-side bugs of issue 11,
each against a real PostgreSQL: the migrations svcforge replays are applied to
the server, and the generated code runs on it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pytest

from generator.errors import SchemaError
from generator.frontends.sql.migrations.parse import parse_schema
from generator.frontends.sql.source import SqlSource
from svcforge.db import Database
from tests.db_support import import_generated, make_service

SCHEMA = """
SET statement_timeout = 0;
SELECT pg_catalog.set_config('client_min_messages', 'warning', false);
CREATE SCHEMA junk;
CREATE TABLE junk.t (id int);
CREATE FUNCTION junk.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP SCHEMA junk CASCADE;
CREATE FUNCTION gone(a int) RETURNS int LANGUAGE sql AS 'SELECT a';
DROP FUNCTION gone(int);
ALTER TABLE IF EXISTS nowhere ADD COLUMN x int;
CREATE SEQUENCE counter;
ALTER TABLE counter OWNER TO CURRENT_USER;
CREATE TYPE enum_type AS ENUM ('one', 'two');
CREATE TYPE address AS (street text, zip integer);
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE "Users" (id integer PRIMARY KEY, "row" text, kind enum_type);
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, home address);
CREATE TABLE "USERS" (id integer PRIMARY KEY, n positive);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE TABLE logins (id integer PRIMARY KEY, email text REFERENCES users (email));
CREATE VIEW active_users AS SELECT id, email FROM users WHERE id > 0;
CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users;
CREATE TABLE users_copy AS SELECT id, email FROM users;
CREATE TABLE events (id integer NOT NULL, at date NOT NULL, what text)
    PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE base (id integer, note text);
CREATE TABLE child (extra integer) INHERITS (base);
CREATE TABLE shaped (LIKE base INCLUDING ALL, more text);
CREATE TABLE addresses OF address;
CREATE FUNCTION add(a integer, b integer DEFAULT 1) RETURNS integer
    LANGUAGE sql AS 'SELECT a + b';
CREATE FUNCTION user_emails(min_id integer) RETURNS TABLE (id integer, email text)
    LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY SELECT u.id, u.email FROM users u
    WHERE u.id >= min_id; END $$;
CREATE FUNCTION split(x integer, OUT lo integer, OUT hi integer)
    LANGUAGE sql AS 'SELECT x / 2, x - x / 2';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch();
CREATE POLICY everyone ON users USING (true);
GRANT SELECT ON users TO PUBLIC;
COMMENT ON FUNCTION add(integer, integer) IS 'adds';
ALTER VIEW active_users RENAME TO live_users;
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_service(
        tmp_path_factory.mktemp("kinds") / "svc", "kinds_svc", {"001_all.sql": SCHEMA}
    )


def module(root: Path, name: str) -> ModuleType:
    return import_generated(root, "kinds_svc", f"db.{name}")


def run(dsn: str, body: Any) -> None:
    import importlib

    db_package = importlib.import_module("kinds_svc.generated.db")

    async def main() -> None:
        async with Database(dsn, enums=db_package.ENUM_TYPES) as db:
            await db.migrate(db_package.MIGRATIONS)
            await body(db)

    asyncio.run(main())


def test_the_ir_has_views_functions_composites_and_no_partition() -> None:
    schema = parse_schema([SqlSource("schemas/tables/001_all.sql", SCHEMA)])
    kinds = {t.qualname: t.kind for t in schema.tables}
    assert kinds["public.live_users"] == "view"
    assert kinds["public.user_count"] == "materialized view"
    assert kinds["public.users_copy"] == "table"
    assert "public.events_2024" not in kinds and "junk.t" not in kinds
    events = next(t for t in schema.tables if t.name == "events")
    assert events.partitioned
    child = next(t for t in schema.tables if t.name == "child")
    assert [c.name for c in child.columns] == ["id", "note", "extra"]
    n = next(t for t in schema.tables if t.name == "USERS").column("n")
    assert n.type.name == "int4"  # a domain is its base type
    functions = {f.name: f for f in schema.functions}
    assert set(functions) == {"add", "user_emails", "split", "touch"}
    add = functions["add"]
    assert [(a.name, a.type.name, a.default) for a in add.args] == [
        ("a", "int4", None),
        ("b", "int4", "1"),
    ]
    assert add.returns is not None and add.returns.name == "int4"
    emails = functions["user_emails"]
    assert emails.returns_set and [c.name for c in emails.columns] == ["id", "email"]
    split = functions["split"]
    assert [c.name for c in split.columns] == ["lo", "hi"] and not split.returns_set
    assert [a.name for a in split.inputs] == ["x"]
    assert functions["touch"].returns is None and functions["touch"].result == "trigger"
    assert [c.name for c in schema.composites] == ["address"]


def test_tables_differing_by_case_get_their_own_repositories(
    service: Path, postgres_dsn: str
) -> None:
    lower, upper = module(service, "users"), module(service, "users_2")
    title = module(service, "users_3")

    async def body(db: Database) -> None:
        await lower.UserRepository(db).insert(lower.UserInsert(id=1, email="a@x"))
        await upper.USERRepository(db).insert(upper.USERInsert(id=1, n=5))
        await upper.USERRepository(db).insert(upper.USERInsert(id=2, n=6))
        assert await lower.UserRepository(db).count() == 1
        assert await upper.USERRepository(db).count() == 2
        assert await title.User2Repository(db).count() == 0

    run(postgres_dsn, body)


def test_enum_named_enum_type_and_column_named_row(
    service: Path, postgres_dsn: str
) -> None:
    title = module(service, "users_3")
    enums = module(service, "enums")
    assert (
        enums.EnumTypeEnum.ONE == "one"
        and enums.EnumType.__module__ == "svcforge.db._types"
    )

    async def body(db: Database) -> None:
        repo = title.User2Repository(db)
        new = title.User2Insert(id=1, row_="r", kind=enums.EnumTypeEnum.TWO)
        stored = await repo.insert(new)
        assert stored.row_ == "r" and stored.kind is enums.EnumTypeEnum.TWO
        updated = await repo.update(1, row_="s")
        assert updated is not None and updated.row_ == "s"

    run(postgres_dsn, body)


def test_views_are_read_only_and_composites_round_trip(
    service: Path, postgres_dsn: str
) -> None:
    users, view = module(service, "users"), module(service, "live_users")
    enums = module(service, "enums")
    assert not hasattr(view, "LiveUserInsert")
    assert not hasattr(view.LiveUserRepository, "insert")

    async def body(db: Database) -> None:
        home = enums.Address("Main St", 12345)
        row = await users.UserRepository(db).insert(
            users.UserInsert(id=3, email="c@x", home=home)
        )
        assert row.home == home and isinstance(row.home, enums.Address)
        assert await view.LiveUserRepository(db).count() == 1

    run(postgres_dsn, body)


def test_rows_of_a_partitioned_table_go_through_its_parent(
    service: Path, postgres_dsn: str
) -> None:
    import datetime as dt

    events = module(service, "events")
    assert not (service / "src/kinds_svc/generated/db/events_2024.py").exists()

    async def body(db: Database) -> None:
        repo = events.EventRepository(db)
        await repo.insert(events.EventInsert(id=1, at=dt.date(2024, 5, 1), what="x"))
        assert await repo.count() == 1
        assert await db.fetchval("SELECT count(*) FROM events_2024") == 1

    run(postgres_dsn, body)


def test_the_generated_code_passes_mypy_strict(service: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "kinds_svc"],
        cwd=service / "src",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        (
            "CREATE TABLE party (name text);\n"
            "CREATE TABLE org (name integer) INHERITS (party);",
            'column "name" has a type conflict',
        ),
        (
            "CREATE TABLE a (n text);\nCREATE TABLE b (n varchar(3));\n"
            "CREATE TABLE c () INHERITS (a, b);",
            'inherited column "n" has a type conflict',
        ),
        (
            "CREATE TABLE a (n varchar(3));\n"
            "CREATE TABLE c (n varchar(4)) INHERITS (a);",
            'column "n" has a type conflict',
        ),
        (
            "CREATE TEMP TABLE public.t (a int);",
            "cannot create temporary relation in non-temporary schema",
        ),
        (
            "CREATE TEMP TABLE t (a int);\nCREATE VIEW public.v AS SELECT a FROM t;",
            "cannot create temporary relation in non-temporary schema",
        ),
        ("CREATE TABLE a (id int);\nCREATE SEQUENCE a;", "already exists"),
        (
            "CREATE SEQUENCE s;\nALTER SEQUENCE s RENAME TO s2;\n"
            "CREATE TABLE s2 (id int);",
            "already exists",
        ),
        (
            "CREATE SCHEMA x;\nCREATE SEQUENCE x.s;\nALTER SCHEMA x RENAME TO y;\n"
            "CREATE VIEW y.s AS SELECT 1 AS one;",
            "already exists",
        ),
        ("CREATE SCHEMA x;\nCREATE SEQUENCE x.s;\nDROP SCHEMA x;", "depend on it"),
    ],
)
def test_refuses_what_postgres_refuses(
    postgres_dsn: str, sql: str, fragment: str
) -> None:
    """Migrations PostgreSQL 15 refuses are refused, with its message."""

    async def apply() -> str:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            await conn.execute(sql)
        except asyncpg.PostgresError as exc:
            return str(exc)
        finally:
            await conn.close()
        return ""

    assert fragment in asyncio.run(apply())
    with pytest.raises(SchemaError) as err:
        parse_schema([SqlSource("schemas/tables/001.sql", sql)])
    (d,) = err.value.diagnostics
    assert fragment in d.message and d.span.line == sql.count("\n") + 1, d


SEQUENCE_MOVES = """
CREATE SCHEMA x;
CREATE SEQUENCE s;
ALTER TABLE s RENAME TO s2;
CREATE SEQUENCE IF NOT EXISTS s;
CREATE SEQUENCE IF NOT EXISTS s;
ALTER SEQUENCE s2 SET SCHEMA x;
CREATE TABLE s2 (id int PRIMARY KEY DEFAULT nextval('x.s2'));
ALTER SEQUENCE IF EXISTS missing RENAME TO m;
DROP SCHEMA x CASCADE;
CREATE SCHEMA x;
CREATE VIEW x.s2 AS SELECT id FROM s2;
"""


def test_renamed_moved_and_dropped_sequences_free_their_names(
    postgres_dsn: str,
) -> None:
    """A sequence holds its name among its schema's relations until it is
    renamed, moved or dropped, as in PostgreSQL."""

    async def apply() -> None:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            await conn.execute(SEQUENCE_MOVES)
        finally:
            await conn.close()

    asyncio.run(apply())
    schema = parse_schema([SqlSource("schemas/tables/001.sql", SEQUENCE_MOVES)])
    assert sorted(t.qualname for t in schema.tables) == ["public.s2", "x.s2"]


def test_same_columns_of_two_parents_are_one() -> None:
    """INHERITS from parents that share a column: one column, NOT NULL when
    a parent's is."""
    sql = (
        "CREATE TABLE a (n text, x int NOT NULL);\nCREATE TABLE b (n text, x int);\n"
        "CREATE TABLE c (y int) INHERITS (a, b);"
    )
    c = next(t for t in parse_schema([SqlSource("t.sql", sql)]).tables if t.name == "c")
    assert [(col.name, col.nullable) for col in c.columns] == [
        ("n", True),
        ("x", False),
        ("y", True),
    ]


PG_DUMP = """--
-- PostgreSQL database dump
--

\\restrict auwherpfqaiuwrhgp

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);

CREATE TABLE public.authors (
    id bigint NOT NULL,
    name text NOT NULL
);

ALTER TABLE ONLY public.authors
    ADD CONSTRAINT authors_pkey PRIMARY KEY (id);

\\unrestrict auwherpfqaiuwrhgp
"""


def test_a_pg_dump_with_restrict_lines_applies_as_psql_applies_it(
    tmp_path: Path, postgres_dsn: str
) -> None:
    """pg_dump 15.14 and later wrap a dump in ``\\restrict KEY`` and
    ``\\unrestrict KEY``, which only psql reads: the replay and the runtime
    leave them out, and the migration keeps its text (and checksum) whether
    it is applied from the folder or from the generated MIGRATIONS.  The
    empty search path the dump sets ends with it (the next file names its
    tables without a schema)."""
    import importlib

    from svcforge.db import apply_migrations, load_migrations

    more = (
        "CREATE TABLE books (id int PRIMARY KEY, author_id bigint REFERENCES authors);"
    )
    root = make_service(
        tmp_path / "svc",
        "dump_svc",
        {"001_dump.sql": PG_DUMP, "002_more.sql": more},
    )
    authors = import_generated(root, "dump_svc", "db.authors")
    db_package = importlib.import_module("dump_svc.generated.db")
    assert db_package.MIGRATIONS[0].sql == PG_DUMP

    async def main() -> None:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            folder = load_migrations(root / "schemas" / "tables")
            assert await apply_migrations(conn, folder) == [
                "001_dump.sql",
                "002_more.sql",
            ]
        finally:
            await conn.close()
        async with Database(postgres_dsn) as db:
            assert await db.migrate(db_package.MIGRATIONS) == []
            repo = authors.AuthorRepository(db)
            await repo.insert(authors.AuthorInsert(id=1, name="Ann"))
            assert (await repo.get(1)).name == "Ann"

    asyncio.run(main())

"""SQL compat's offline verify against a real PostgreSQL: where compat says a
query of the revision breaks (it no longer types, or its types changed),
preparing it on the new migration head fails or describes other types;
where compat says it is fine, it prepares with the same types."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from generator.compat.load import load_tree
from generator.compat.sql import destructive_breaks, query_breaks
from svcforge.testing.servers import PostgresServer

BASE = """CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    name varchar(50),
    age integer,
    created timestamptz NOT NULL DEFAULT now()
);
"""
QUERIES = """-- name: get_user :one
SELECT id, email, name, age FROM users WHERE id = $1;

-- name: by_email :one
SELECT id, created FROM users WHERE email = $1;

-- name: older_than :many
SELECT id, age FROM users WHERE age > $1;

-- name: insert_user :exec
INSERT INTO users (id, email, name) VALUES ($1, $2, $3);

-- name: rename_user :exec
UPDATE users SET name = $2 WHERE id = $1;
"""
CASES: dict[str, str] = {
    "add_nullable_column": "ALTER TABLE users ADD COLUMN bio text;",
    "drop_name": "ALTER TABLE users DROP COLUMN name;",
    "drop_age": "ALTER TABLE users DROP COLUMN age;",
    "rename_email": "ALTER TABLE users RENAME COLUMN email TO mail;",
    "age_to_bigint": "ALTER TABLE users ALTER COLUMN age TYPE bigint;",
    "age_to_smallint": "ALTER TABLE users ALTER COLUMN age TYPE smallint;",
    "age_to_numeric": "ALTER TABLE users ALTER COLUMN age TYPE numeric(10, 2);",
    "age_to_text": "ALTER TABLE users ALTER COLUMN age TYPE text;",
    "name_to_text": "ALTER TABLE users ALTER COLUMN name TYPE text;",
    "name_shorter": "ALTER TABLE users ALTER COLUMN name TYPE varchar(20);",
    "name_longer": "ALTER TABLE users ALTER COLUMN name TYPE varchar(200);",
    "email_to_varchar": "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);",
    "id_to_integer": "ALTER TABLE users ALTER COLUMN id TYPE integer;",
    "created_to_timestamp": "ALTER TABLE users ALTER COLUMN created TYPE timestamp;",
    "drop_table": "DROP TABLE users;",
    "rename_table": "ALTER TABLE users RENAME TO members;",
    "add_index": "CREATE INDEX users_age ON users (age);",
    "age_set_not_null": "ALTER TABLE users ALTER COLUMN age SET NOT NULL;",
    "email_drop_not_null": "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
    "add_not_null_with_default": "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;",
    "new_table": "CREATE TABLE teams (id bigint PRIMARY KEY, title text NOT NULL);",
    "check_constraint": "ALTER TABLE users ADD CONSTRAINT adult CHECK (age >= 18);",
    "recreate_same": "DROP TABLE users;\n" + BASE,
    "rename_and_replace": "ALTER TABLE users RENAME COLUMN name TO full_name;\n"
    "ALTER TABLE users ADD COLUMN name varchar(50);",
    "add_then_drop": "ALTER TABLE users ADD COLUMN tmp int;\nALTER TABLE users DROP COLUMN tmp;",
    "name_to_char": "ALTER TABLE users ALTER COLUMN name TYPE char(50);",
    "age_to_real": "ALTER TABLE users ALTER COLUMN age TYPE real;",
}


def _service(root: Path, migrations: dict[str, str]) -> Path:
    (root / "schemas/tables").mkdir(parents=True)
    (root / "schemas/queries").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.svcforge]\npackage = "svc"\n')
    for name, sql in migrations.items():
        (root / "schemas/tables" / name).write_text(sql)
    (root / "schemas/queries/users.sql").write_text(QUERIES)
    return root


def _described(name: str) -> str:
    return "_" + name[:-2] if name.endswith("[]") else name


async def _prepare(
    dsn: str, migrations: list[str], queries: dict[str, str]
) -> dict[str, object]:
    """Each query's (parameter types, result columns) on a database migrated
    with ``migrations`` (in a transaction, rolled back), or its error."""
    conn = await asyncpg.connect(dsn)
    out: dict[str, object] = {}
    try:
        tr = conn.transaction()
        await tr.start()
        for sql in migrations:
            await conn.execute(sql)
        for name, sql in queries.items():
            try:
                async with conn.transaction():  # a savepoint: a failure stays here
                    stmt = await conn.prepare(sql)
                out[name] = (
                    [_described(p.name) for p in stmt.get_parameters()],
                    [(a.name, _described(a.type.name)) for a in stmt.get_attributes()],
                )
            except asyncpg.PostgresError as exc:
                out[name] = f"error: {exc}"
        await tr.rollback()
    finally:
        await conn.close()
    return out


@pytest.fixture(scope="module")
def database(postgres_server: PostgresServer) -> str:
    async def create() -> None:
        conn = await asyncpg.connect(postgres_server.dsn())
        try:
            await conn.execute('CREATE DATABASE "compat_sql"')
        finally:
            await conn.close()

    asyncio.run(create())
    return postgres_server.dsn("compat_sql")


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", sorted(CASES))
def test_offline_verify_matches_postgres(
    case: str, tmp_path: Path, database: str
) -> None:
    old = load_tree(_service(tmp_path / "old", {"001_users.sql": BASE}))
    new = load_tree(
        _service(
            tmp_path / "new", {"001_users.sql": BASE, "002_change.sql": CASES[case]}
        )
    )
    assert not old.errors and new.tables_ok
    broken = {
        b.subject.rpartition(":")[2]
        for b in query_breaks(old, new)
        if b.rule in ("SQL_QUERY_BROKEN", "SQL_QUERY_TYPES_CHANGED")
    }
    queries = {q.name: q.sql for q in old.service.queries}
    before = asyncio.run(_prepare(database, [BASE], queries))
    after = asyncio.run(_prepare(database, [BASE, CASES[case]], queries))
    assert all(not isinstance(v, str) for v in before.values())
    differs = {name for name in queries if before[name] != after[name]}
    assert broken == differs, (
        f"compat: {sorted(broken)}, PostgreSQL: {sorted(differs)} ({after})"
    )
    # The statement that caused a break is reported too.
    destructive = {b.rule for b in destructive_breaks(old, new)}
    if "DROP COLUMN" in CASES[case] and "tmp" not in CASES[case]:
        assert "SQL_COLUMN_DROPPED" in destructive


def test_queries_using_the_migrations_functions_and_sequences(tmp_path: Path) -> None:
    """Compat types queries with what the migrations give them, as regen
    does: a function they create and a sequence they read.  Unchanged
    migrations break nothing; dropping the function breaks the query that
    calls it, naming it."""
    base = (
        BASE + "CREATE SEQUENCE tickets;\n"
        "CREATE FUNCTION initials(t text) RETURNS text LANGUAGE sql "
        "AS $$ SELECT left(t, 1) $$;\n"
    )
    queries = (
        "-- name: user_initials :one\n"
        "SELECT initials(email) AS initials FROM users WHERE id = $1;\n\n"
        "-- name: last_ticket :one\n"
        "SELECT last_value FROM tickets;\n"
    )

    def tree(name: str, migrations: dict[str, str]) -> Path:
        root = _service(tmp_path / name, migrations)
        (root / "schemas/queries/users.sql").write_text(queries)
        return root

    old = load_tree(tree("old", {"001_base.sql": base}))
    assert not old.errors, old.errors
    assert {q.name for q in old.service.queries} == {"user_initials", "last_ticket"}
    same = load_tree(tree("same", {"001_base.sql": base}))
    assert query_breaks(old, same) == []
    dropped = load_tree(
        tree(
            "dropped",
            {"001_base.sql": base, "002_drop.sql": "DROP FUNCTION initials(text);"},
        )
    )
    breaks = query_breaks(old, dropped)
    assert [b.rule for b in breaks] == ["SQL_QUERY_BROKEN"]
    assert "user_initials" in breaks[0].message

"""Statements of sqlc's end-to-end cases that are no plain SELECT or DML
(procedures, DO, NOTIFY/LISTEN, TRUNCATE, sequences, read with nextval or as
the one-row relations they are): each generates a function that runs against
a real PostgreSQL and does what the statement says."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import asyncpg

from generator.pipeline import load_service
from svcforge.db import Database
from tests.db_support import import_generated, make_service

TABLES = {
    # sqlc's ddl_create_procedure, truncate, nextval and select_sequence cases.
    "001.sql": """
CREATE TABLE tbl (value integer);
CREATE PROCEDURE insert_data(a integer, b integer)
LANGUAGE SQL
AS $$
INSERT INTO tbl VALUES (a);
INSERT INTO tbl VALUES (b);
$$;
CREATE TABLE bar (id serial not null);
CREATE TABLE authors (
  id   BIGSERIAL PRIMARY KEY,
  name text      NOT NULL,
  bio  text
);
CREATE SEQUENCE public.my_sequence
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
"""
}
QUERIES = {
    "q.sql": """
-- name: CallInsertData :exec
CALL insert_data($1, $2);

-- name: CallInsertDataNamed :exec
CALL insert_data(b => $1, a => $2);

-- name: CallInsertDataSqlcArgs :exec
CALL insert_data(sqlc.arg('foo'), sqlc.arg('bar'));

-- name: Values :many
SELECT value FROM tbl ORDER BY value;

-- name: DoStuff :exec
DO $$
    BEGIN
        ALTER TABLE authors
        ADD COLUMN IF NOT EXISTS marked_for_processing bool;
    END
$$;

-- name: NotifyWithMessage :exec
NOTIFY test, 'msg';

-- name: ListenTest :exec
LISTEN test;

-- name: Truncate :exec
TRUNCATE bar;

-- name: CountBar :one
SELECT count(*) FROM bar;

-- name: GetNextID :one
SELECT pk, pk FROM
 (SELECT nextval('authors_id_seq') as pk) AS alias;

-- name: NextFromSequence :one
SELECT nextval('my_sequence'::regclass) AS n;

-- name: GetLastValue :one
SELECT last_value FROM my_sequence;

-- name: SequenceState :one
SELECT s.* FROM public.my_sequence AS s;
"""
}


def test_sqlc_utility_statements_run_against_postgres(
    tmp_path: Path, postgres_dsn: str
) -> None:
    root = make_service(tmp_path / "svc", "sqlccases", TABLES, QUERIES)
    by_name = {q.name: q for q in load_service(root)[1].queries}
    assert [p.py_name for p in by_name["CallInsertDataNamed"].params] == ["b", "a"]
    assert [p.py_name for p in by_name["CallInsertDataSqlcArgs"].params] == [
        "foo",
        "bar",
    ]
    next_id = by_name["GetNextID"]
    assert [(c.py_name, c.type.name, c.nullable) for c in next_id.columns] == [
        ("pk", "int8", False),
        ("pk_2", "int8", False),
    ]
    assert by_name["CountBar"].row_guaranteed
    assert [
        (c.name, c.type.name, c.nullable) for c in by_name["SequenceState"].columns
    ] == [
        ("last_value", "int8", False),
        ("log_cnt", "int8", False),
        ("is_called", "bool", False),
    ]
    q = import_generated(root, "sqlccases", "queries.q")
    gen = importlib.import_module("sqlccases.generated.db")

    async def main() -> None:
        async with Database(postgres_dsn) as db:
            await db.migrate(gen.MIGRATIONS)
            await q.call_insert_data(db, a=1, b=2)
            await q.call_insert_data_named(db, b=4, a=3)
            await q.call_insert_data_sqlc_args(db, foo=5, bar=6)
            assert [r.value for r in await q.values(db)] == [1, 2, 3, 4, 5, 6]
            await q.do_stuff(db)
            await db.execute("INSERT INTO bar DEFAULT VALUES")
            assert await q.count_bar(db) == 1
            await q.truncate(db)
            assert await q.count_bar(db) == 0
            first = await q.get_next_id(db)
            assert first is not None and first.pk == first.pk_2 == 1
            assert await q.next_from_sequence(db) == 1
            assert await q.next_from_sequence(db) == 2
            assert await q.get_last_value(db) == 2
            state = await q.sequence_state(db)
            assert state is not None and (state.last_value, state.is_called) == (
                2,
                True,
            )

        heard: list[str] = []
        listener = await asyncpg.connect(postgres_dsn)
        try:
            await listener.add_listener("test", lambda *a: heard.append(a[-1]))
            async with Database(postgres_dsn) as db:
                await q.listen_test(db)
                await q.notify_with_message(db)
            for _ in range(50):
                if heard:
                    break
                await asyncio.sleep(0.02)
        finally:
            await listener.close()
        assert heard == ["msg"]

        conn = await asyncpg.connect(postgres_dsn)
        try:
            columns = await conn.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'authors' ORDER BY ordinal_position"
            )
            prepared = await conn.prepare(by_name["SequenceState"].sql)
            described = [(a.name, a.type.name) for a in prepared.get_attributes()]
        finally:
            await conn.close()
        assert [c[0] for c in columns][-1] == "marked_for_processing"
        assert described == [
            (c.name, c.type.name) for c in by_name["SequenceState"].columns
        ]

    asyncio.run(main())

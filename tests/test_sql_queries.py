"""Named queries: the statically derived parameter and result types are what
PostgreSQL reports when it prepares the same statements, and the generated
functions work against a real database."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import importlib
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from generator import ir
from generator.errors import SchemaError
from generator.frontends.sql.migrations.parse import parse_migrations, parse_schema
from generator.frontends.sql.queries.extensions import extensions_used
from generator.frontends.sql.queries.parse import parse_queries
from generator.frontends.sql.source import SqlSource
from generator.pipeline import load_service
from svcforge.db import Database, Migration, apply_migrations
from tests.db_support import import_generated, make_service

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(
    p.parent
    for p in (ROOT / "generated-examples").glob("*/pyproject.toml")
    if list((p.parent / "schemas" / "queries").glob("*.sql"))
)


def _pg_name(t: ir.SqlType) -> str:
    return ("_" if t.dims else "") + t.name


def _described(name: str) -> str:
    """asyncpg names arrays of user types ``mood[]``, of built-ins ``_int4``."""
    return "_" + name[:-2] if name.endswith("[]") else name


async def _describe(
    dsn: str, service: ir.Service
) -> dict[str, tuple[list[str], list[tuple[str, str]]]]:
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(
            conn,
            [Migration(m.path.rpartition("/")[2], m.sql) for m in service.migrations],
        )
        out = {}
        for q in service.queries:
            stmt = await conn.prepare(q.sql)
            out[q.name] = (
                [_described(p.name) for p in stmt.get_parameters()],
                [(a.name, _described(a.type.name)) for a in stmt.get_attributes()],
            )
        return out
    finally:
        await conn.close()


@pytest.mark.parametrize("root", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_derived_types_match_what_postgres_prepares(
    root: Path, postgres_dsn: str
) -> None:
    _, service = load_service(root)
    described = asyncio.run(_describe(postgres_dsn, service))
    for q in service.queries:
        params, columns = described[q.name]
        assert [_pg_name(p.type) for p in q.params] == params, q.name
        if q.command in ("one", "many"):
            assert [(c.name, _pg_name(c.type)) for c in q.columns] == columns, q.name


def test_all_example_queries_are_covered() -> None:
    counts = {root.name: len(load_service(root)[1].queries) for root in EXAMPLES}
    assert counts.get("market-data", 0) >= 8 and counts.get("iot-energy", 0) >= 8


def _market_data() -> tuple[object, object]:
    src = str(ROOT / "generated-examples/market-data/src")
    if src not in sys.path:
        sys.path.insert(0, src)
    return (
        importlib.import_module("market_data.generated.db"),
        importlib.import_module("market_data.generated.queries.trades"),
    )


def test_query_module_and_row_class_come_with_the_query() -> None:
    """Emitters read where a file's queries go and what a result row that is
    no table's row is called; neither is rebuilt from the file or query name."""
    enums, tables, _ = parse_migrations(
        [SqlSource("schemas/tables/001.sql", "CREATE TABLE t (a int, b text);")]
    )
    text = (
        "-- name: whole_rows :many\nSELECT a, b FROM t;\n\n"
        "-- name: pairs_of_a :many\nSELECT a, a + 1 AS next FROM t;\n"
    )
    queries = parse_queries(
        [SqlSource("schemas/queries/Reports-2024.sql", text)], enums, tables
    )
    assert [(q.module, q.row_class, q.table) for q in queries] == [
        ("reports_2024", "WholeRowsRow", "public.t"),
        ("reports_2024", "PairsOfARow", ""),
    ]


def test_market_data_queries_against_real_rows(postgres_dsn: str) -> None:
    db_pkg = importlib.import_module
    _market_data()
    gen = db_pkg("market_data.generated.db")
    instruments = db_pkg("market_data.generated.db.instruments")
    trades = db_pkg("market_data.generated.db.trades")
    q_trades = db_pkg("market_data.generated.queries.trades")
    q_candles = db_pkg("market_data.generated.queries.candles")
    q_instr = db_pkg("market_data.generated.queries.instruments")
    enums = db_pkg("market_data.generated.db.enums")
    t0 = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC)

    async def main() -> None:
        async with Database(postgres_dsn, enums=gen.ENUM_TYPES) as db:
            await db.migrate(gen.MIGRATIONS)
            await instruments.InstrumentRepository(db).insert_many(
                [
                    instruments.InstrumentInsert(
                        symbol=s, name=s.title(), kind=enums.InstrumentKind(k)
                    )
                    for s, k in (("AAPL", "equity"), ("SPY", "etf"), ("BTC", "crypto"))
                ]
            )
            rows = [
                trades.TradeInsert(
                    trade_id=uuid.uuid4(),
                    symbol="AAPL",
                    venue=enums.Venue.XNAS if i % 2 else enums.Venue.BATS,
                    side=enums.Side.BUY,
                    price=Decimal("190.5") + i,
                    quantity=Decimal(10),
                    executed_at=t0 + dt.timedelta(seconds=i),
                    sequence=i,
                )
                for i in range(10)
            ]
            await trades.TradeRepository(db).insert_many(rows)
            recent = await q_trades.recent_trades(db, symbol="AAPL", limit=3)
            assert [r.sequence for r in recent] == [9, 8, 7]
            assert isinstance(recent[0], trades.TradeRow)
            last = await q_trades.last_trade(db, symbol="AAPL")
            assert last is not None and last.sequence == 9
            assert await q_trades.last_trade(db, symbol="SPY") is None
            by_venue = await q_trades.volume_by_venue(db, symbol="AAPL", since=t0)
            assert [(v.venue, v.trades, v.volume) for v in by_venue] == [
                (enums.Venue.XNAS, 5, Decimal(50)),
                (enums.Venue.BATS, 5, Decimal(50)),
            ]
            assert await q_trades.trade_count(db, symbols=["AAPL", "SPY"]) == 10
            times = await q_instr.last_trade_times(db)
            assert [(t.symbol, t.last_trade_at) for t in times] == [
                ("AAPL", t0 + dt.timedelta(seconds=9)),
                ("BTC", None),
                ("SPY", None),
            ]
            assert await q_instr.delist(db, symbol="SPY") == 1
            kinds = [enums.InstrumentKind.ETF, enums.InstrumentKind.EQUITY]
            listed = await q_instr.instruments_of_kinds(db, kinds=kinds)
            assert [i.symbol for i in listed] == ["AAPL"]
            for high, low, vol in (
                (Decimal(2), Decimal(1), Decimal(5)),
                (Decimal(3), Decimal("0.5"), Decimal(1)),
            ):
                await q_candles.merge_candle(
                    db,
                    symbol="AAPL",
                    interval_seconds=60,
                    start_at=t0,
                    open=Decimal(1),
                    high=high,
                    low=low,
                    close=Decimal(2),
                    volume=vol,
                    trade_count=1,
                )
            (candle,) = await q_candles.candles_between(
                db,
                symbol="AAPL",
                interval_seconds=60,
                since=t0,
                until=t0 + dt.timedelta(minutes=1),
            )
            assert (candle.high, candle.low, candle.volume, candle.trade_count) == (
                Decimal(3),
                Decimal("0.5"),
                Decimal(6),
                2,
            )
            cutoff = t0 + dt.timedelta(seconds=5)
            assert await q_trades.delete_trades_before(db, cutoff=cutoff) == 5

    asyncio.run(main())


QUERY_TABLES = {
    "001.sql": """
        CREATE TYPE color AS ENUM ('red', 'green');
        CREATE TABLE a (id int PRIMARY KEY, n smallint NOT NULL, f real, c color, tags text[]);
        CREATE TABLE b (id bigint PRIMARY KEY, a_id int REFERENCES a, amount numeric(10, 2) NOT NULL, at timestamptz);
    """
}
QUERIES = {
    "q.sql": """
-- name: expressions :many
SELECT a.id + b.id AS id_sum, n + n AS small_sum, f * 2 AS doubled,
       amount / 3 AS third, coalesce(f, 0) AS f_or_zero, a.id::text AS id_text,
       upper(c::text) AS color_name, count(*) OVER () AS total,
       at - interval '1 hour' AS earlier, date_trunc('day', at) AS day,
       CASE WHEN n > 0 THEN 'pos' ELSE 'neg' END AS sign,
       EXISTS (SELECT 1 FROM b b2 WHERE b2.a_id = a.id) AS has_b,
       array_length(tags, 1) AS tag_count, n BETWEEN $1 AND $2 AS in_range
FROM a LEFT JOIN b ON b.a_id = a.id
WHERE c = ANY($3) AND a.id IN ($4, $5) AND coalesce(b.amount, 0) > $6
ORDER BY id_sum
LIMIT $7 OFFSET $8;

-- name: aggregates :one
SELECT sum(n) AS s, avg(n) AS mean, min(amount) AS lo, max(at) AS latest,
       sum(amount) AS total, bool_and(f > 0) AS all_positive,
       array_agg(DISTINCT c) AS colors, string_agg(c::text, ',') AS joined
FROM a JOIN b ON b.a_id = a.id WHERE b.at >= $1::timestamptz;

-- name: subquery :many
WITH big AS (SELECT a_id, sum(amount) AS total FROM b GROUP BY a_id)
SELECT s.id, s.total FROM (SELECT a.id, big.total FROM a JOIN big ON big.a_id = a.id) s
WHERE s.total > (SELECT avg(amount) FROM b WHERE at < $1);

-- name: upsert_b :one
INSERT INTO b (id, a_id, amount, at) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET amount = b.amount + EXCLUDED.amount
RETURNING id, amount, at;

-- name: set_color :execrows
UPDATE a SET c = $2, tags = array_append(tags, $3::text) WHERE id = $1;
""",
}


def test_expression_types_match_postgres(tmp_path: Path, postgres_dsn: str) -> None:
    """Operators, casts, aggregates, window functions, CASE, subqueries, CTEs,
    outer joins and upserts: each derived type is PostgreSQL's."""
    root = make_service(tmp_path / "svc", "qsvc", QUERY_TABLES, QUERIES)
    _, service = load_service(root)
    described = asyncio.run(_describe(postgres_dsn, service))
    for q in service.queries:
        params, columns = described[q.name]
        assert [_pg_name(p.type) for p in q.params] == params, q.name
        if q.columns:
            assert [(c.name, _pg_name(c.type)) for c in q.columns] == columns, q.name
    nullable = {c.name: c.nullable for c in service.queries[0].columns}
    assert nullable["id_sum"] and not nullable["small_sum"] and nullable["third"]
    assert not nullable["total"] and not nullable["has_b"]
    module = import_generated(root, "qsvc", "queries.q")
    assert module.ExpressionsRow.__dataclass_fields__["in_range"]


# --- sqlc's syntax and what issue 11 added, each type checked by PostgreSQL -----

SQLC_TABLES = {
    "001.sql": """
CREATE SCHEMA shop;
CREATE TABLE authors (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    bio text,
    tags varchar[] NOT NULL DEFAULT '{}',
    born date
);
CREATE TABLE books (
    id bigserial PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES authors,
    title text NOT NULL,
    price numeric(10, 2),
    meta jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE shop.orders (
    id int PRIMARY KEY,
    book_id bigint,
    qty int NOT NULL,
    placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE nodes (id int PRIMARY KEY, parent_id int REFERENCES nodes);
"""
}
SQLC_QUERIES = {
    "q.sql": """
-- name: GetAuthor :one
SELECT * FROM authors WHERE id = @id;

/* name: AuthorsByName :many */
SELECT id, name FROM authors
WHERE name = sqlc.arg(name) AND (bio = sqlc.narg(bio) OR sqlc.narg(bio) IS NULL);

-- name: AuthorsIn :many
SELECT id FROM authors WHERE id IN (sqlc.slice(ids)) AND id <> ALL(@excluded::bigint[])
ORDER BY id;

-- name: BooksWithAuthors :many
SELECT sqlc.embed(authors), sqlc.embed(books), books.price * 2 AS double
FROM authors JOIN books ON books.author_id = authors.id ORDER BY books.id;

-- name: Series :many
SELECT g, g * interval '1 day' AS span FROM generate_series(1, @n::int) AS g;

-- name: Unnested :many
SELECT u.tag, u.ordinality
FROM authors, unnest(authors.tags) WITH ORDINALITY AS u(tag, ordinality)
WHERE authors.id = $1;

-- name: FromJson :many
SELECT r.id, r.name FROM jsonb_to_recordset(@doc::jsonb) AS r(id int, name text);

-- name: EachKey :many
SELECT key, value FROM books, jsonb_each(books.meta) WHERE books.id = $1;

-- name: CopyAuthors :execrows
INSERT INTO authors (name, bio) SELECT name, bio FROM authors WHERE id = $1;

-- name: Tree :many
WITH RECURSIVE tree AS (
    SELECT id, parent_id, 1 AS depth FROM nodes WHERE id = $1
    UNION ALL
    SELECT n.id, n.parent_id, tree.depth + 1 FROM nodes n JOIN tree ON n.parent_id = tree.id
)
SELECT * FROM tree ORDER BY depth;

-- name: Rename :exec
UPDATE authors SET (name, bio) = ($2, $3) WHERE id = $1;

-- name: RenameAfterBook :exec
UPDATE authors SET (name, bio) = (SELECT title, NULL FROM books WHERE books.id = $2)
WHERE id = $1;

-- name: Qualified :many
SELECT shop.orders.id, shop.orders.qty FROM shop.orders WHERE shop.orders.book_id = $1;

-- name: NamedArgs :one
SELECT make_interval(days => @days, hours => 2) AS span;

-- name: MathAndAggregates :one
SELECT sqrt(sum(qty)) AS root, power(2, max(qty)) AS p, mod(min(qty), 3) AS m,
       abs(avg(qty)) AS a, ceil(stddev(qty)) AS c, ln(count(*) + 1) AS l,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY qty) AS median,
       count(*) FILTER (WHERE qty > $1) AS big, count(*) > 0, 1
FROM shop.orders;

-- name: IntervalTimes :one
SELECT 3 * interval '1 hour' AS three_hours, json_build_object() AS empty,
       now() - @ago::int * interval '1 minute' AS since;

-- name: DateParts :many
SELECT date_trunc('month', placed_at) AS month, extract(year FROM placed_at) AS y,
       date_part('dow', placed_at) AS dow
FROM shop.orders;

-- name: JsonOps :many
SELECT meta ->> 'isbn' AS isbn, meta -> @key AS value, meta @> $2 AS has FROM books;

-- name: ByTags :many
SELECT id FROM authors WHERE tags && $1::varchar[];

-- name: UsingJoin :many
SELECT * FROM books JOIN authors USING (id);

-- name: BothIds :many
SELECT * FROM books JOIN authors ON authors.id = books.author_id;

-- name: ValuesList :many
SELECT * FROM (VALUES (1, 'a'), (2, $1)) AS v(n, s);

-- name: Unioned :many
SELECT id FROM authors WHERE name = $1 UNION SELECT $2;

-- name: Cases :many
SELECT CASE WHEN bio IS NULL THEN 'none' ELSE bio END AS b, name LIKE $1 AS l,
       id BETWEEN $2 AND $3 AS r, bio IS DISTINCT FROM $4 AS d,
       ARRAY(SELECT title FROM books WHERE author_id = authors.id) AS titles,
       EXISTS (SELECT 1 FROM books) AS any_books, (id, name) = ($5, $6) AS same,
       current_date AS today
FROM authors;

-- name: Search :many
SELECT id, name FROM authors
WHERE name ILIKE '%' || @q || '%'
  AND (sqlc.narg(born)::date IS NULL OR born = sqlc.narg(born))
ORDER BY CASE WHEN @sort::text = 'asc' THEN name END ASC, name DESC
LIMIT sqlc.arg(lim) OFFSET @off;

-- name: BulkInsert :execrows
INSERT INTO authors (name, bio) SELECT * FROM unnest(@names::text[], @bios::text[]);

-- name: LatestBooks :many
SELECT a.id, b.title
FROM authors a
CROSS JOIN LATERAL (
    SELECT title FROM books WHERE books.author_id = a.id ORDER BY id DESC LIMIT 1
) b;

-- name: ArrayOps :many
SELECT id, tags[1] AS first_tag, array_length(tags, 1) AS n, cardinality(tags) AS c,
       $2::varchar = ANY(tags) AS has
FROM authors WHERE tags @> ARRAY[$1]::varchar[];

-- name: Windows :many
SELECT id, title, row_number() OVER w AS rn, lag(title) OVER w AS prev,
       sum(price) OVER (PARTITION BY author_id) AS s
FROM books WINDOW w AS (PARTITION BY author_id ORDER BY id);

-- name: TimeZones :many
SELECT name, utc_offset, is_dst FROM pg_timezone_names WHERE abbrev = $1;

-- name: TableNames :many
SELECT table_name::text FROM information_schema.tables WHERE table_schema::text = $1;

-- name: CountAll :one
SELECT count(*) FROM authors;

-- name: CreateAuthor :one
INSERT INTO authors (name, bio) VALUES ($1, $2) RETURNING *;

-- name: NewAuthor :execlastid
INSERT INTO authors (name) VALUES ($1) RETURNING id;

-- name: CopyBooks :copyfrom
INSERT INTO books (author_id, title, price) VALUES ($1, $2, $3);

-- name: AddTag :batchexec
UPDATE authors SET tags = array_append(tags, @tag::varchar) WHERE id = @id;

-- name: AuthorNames :batchone
SELECT name FROM authors WHERE id = $1;

-- name: CreateAuthors :batchone
INSERT INTO authors (name) VALUES ($1) RETURNING id, name;

-- name: BooksOf :batchmany
SELECT * FROM books WHERE author_id = $1 ORDER BY id;

-- name: DeleteAuthor :execrows
DELETE FROM authors WHERE id = $1;

-- name: DeleteBooksOf :execresult
DELETE FROM books WHERE author_id = $1;
"""
}


def _sqlc_service(tmp_path: Path) -> tuple[Path, ir.Service]:
    root = make_service(tmp_path / "svc", "sqlcsvc", SQLC_TABLES, SQLC_QUERIES)
    return root, load_service(root)[1]


def test_sqlc_constructs_match_postgres(tmp_path: Path, postgres_dsn: str) -> None:
    """Named parameters, sqlc.* functions, functions in FROM, INSERT ... SELECT,
    recursive CTEs, multi-column SET, qualified columns, named arguments, math
    and aggregate built-ins, JSON operators, USING joins, VALUES, set
    operations, system catalogs: every parameter and result type is PostgreSQL's."""
    _, service = _sqlc_service(tmp_path)
    described = asyncio.run(_describe(postgres_dsn, service))
    for q in service.queries:
        params, columns = described[q.name]
        assert [_pg_name(p.type) for p in q.params] == params, q.name
        if q.columns:
            assert [(c.name, _pg_name(c.type)) for c in q.columns] == columns, q.name
    by_name = {q.name: q for q in service.queries}
    math = {c.py_name: c for c in by_name["MathAndAggregates"].columns}
    assert not math["column_9"].nullable and math["column_9"].type.name == "bool"
    assert not math["l"].nullable and math["root"].nullable and not math["big"].nullable
    assert [c.py_name for c in by_name["BothIds"].columns][5] == "id_2"
    assert by_name["CountAll"].row_guaranteed and by_name["CreateAuthor"].row_guaranteed
    assert not by_name["GetAuthor"].row_guaranteed
    assert [(p.py_name, p.nullable) for p in by_name["AuthorsByName"].params] == [
        ("name", False),
        ("bio", True),
    ]
    assert [p.py_name for p in by_name["AuthorsIn"].params] == ["ids", "excluded"]
    assert "= ANY($1)" in by_name["AuthorsIn"].sql
    assert [(e.py_name, e.start) for e in by_name["BooksWithAuthors"].embeds] == [
        ("author", 0),
        ("book", 5),
    ]


def test_sqlc_queries_run_against_postgres(tmp_path: Path, postgres_dsn: str) -> None:
    """The generated functions, every command among them, on real rows."""
    root, _ = _sqlc_service(tmp_path)
    q = import_generated(root, "sqlcsvc", "queries.q")
    gen = importlib.import_module("sqlcsvc.generated.db")

    async def main() -> None:
        async with Database(postgres_dsn) as db:
            await db.migrate(gen.MIGRATIONS)
            ann = await q.create_author(db, name="Ann", bio=None)
            assert (ann.name, ann.bio, ann.tags) == ("Ann", None, [])
            bob_id = await q.new_author(db, name="Bob")
            assert isinstance(bob_id, int)
            got = await q.get_author(db, id=ann.id)  # @id: a parameter, not abs()
            assert got is not None and got.name == "Ann"
            assert await q.get_author(db, id=-ann.id) is None
            assert [
                r.id for r in await q.authors_by_name(db, name="Ann", bio=None)
            ] == [ann.id]
            assert await q.authors_in(db, ids=[ann.id, bob_id], excluded=[bob_id]) == [
                ann.id
            ]
            n = await q.copy_books(
                db,
                rows=[
                    q.CopyBooksParams(author_id=ann.id, title="A", price=Decimal(2)),
                    q.CopyBooksParams(author_id=ann.id, title="B", price=None),
                ],
            )
            assert n == 2
            joined = await q.books_with_authors(db)
            assert [(r.author.name, r.book.title, r.double) for r in joined] == [
                ("Ann", "A", Decimal("4.00")),
                ("Ann", "B", None),
            ]
            await q.add_tag(
                db,
                batch=[
                    q.AddTagParams(tag="x", id=ann.id),
                    q.AddTagParams(tag="y", id=ann.id),
                ],
            )
            assert (await q.get_author(db, id=ann.id)).tags == ["x", "y"]
            assert await q.author_names(db, batch=[bob_id, 0, ann.id]) == [
                "Bob",
                None,
                "Ann",
            ]
            created = await q.create_authors(db, batch=["Cy", "Di"])
            assert [c.name for c in created] == ["Cy", "Di"]
            assert await q.delete_author(db, id=created[0].id) == 1
            books = await q.books_of(db, batch=[ann.id, bob_id])
            assert [[b.title for b in bs] for bs in books] == [["A", "B"], []]
            assert [(s.g, s.span) for s in await q.series(db, n=2)] == [
                (1, dt.timedelta(days=1)),
                (2, dt.timedelta(days=2)),
            ]
            assert await q.count_all(db) == 3
            assert await q.bulk_insert(db, names=["E", "F"], bios=["e", None]) == 2
            found = await q.search(db, q="e", born=None, sort="asc", lim=5, off=0)
            assert [a.name for a in found] == ["E"]
            assert await q.delete_books_of(db, author_id=ann.id) == "DELETE 2"
            empty = await q.math_and_aggregates(db, qty=0)
            assert (empty.column_9, empty.column_10, empty.big) == (False, 1, 0)

    asyncio.run(main())


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        (
            "SELECT id FROM authors WHERE ARRAY['a']::text[] && $1::varchar[]",
            "operator does not exist: text[] && character varying[]",
        ),
        (
            "SELECT id FROM authors WHERE $1 = id AND $1 = tags[1]",
            "operator does not exist: bigint = character varying",
        ),
        (
            "SELECT id FROM shop.orders WHERE placed_at = 1",
            "operator does not exist: timestamp with time zone = integer",
        ),
        ("SELECT * FROM (SELECT 1 AS one)", "subquery in FROM must have an alias"),
        ("SELECT date_trunc() FROM authors", "function date_trunc() does not exist"),
        ("SELECT extract() FROM authors", "syntax error at or near"),
        ("WITH c AS (SELECT 1 AS id) INSERT INTO c VALUES (1)", "does not exist"),
        (
            "SELECT id FROM authors WHERE id = $1 AND name = $1",
            "operator does not exist: text = bigint",
        ),
        (
            "UPDATE authors SET name = CASE $1 WHEN true THEN 'a' ELSE name END",
            "operator does not exist: text = boolean",
        ),
        ("SELECT $1 IS NULL", "could not determine data type of parameter $1"),
        (
            "INSERT INTO shop.orders (id, qty) VALUES (1, 'x'::text)",
            'column "qty" is of type integer but expression is of type text',
        ),
    ],
)
def test_refuses_what_postgres_refuses(
    postgres_dsn: str, sql: str, fragment: str
) -> None:
    """Statements PostgreSQL 15 refuses when it prepares them: svcforge refuses
    them too, saying what PostgreSQL says, at the statement's line."""

    async def prepare() -> str:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            await conn.execute(SQLC_TABLES["001.sql"])
            await conn.prepare(sql)
        except asyncpg.PostgresError as exc:
            return str(exc).splitlines()[0]
        finally:
            await conn.close()
        return ""

    refused = asyncio.run(prepare())
    enums, tables, _ = parse_migrations(
        [SqlSource("schemas/tables/001.sql", SQLC_TABLES["001.sql"])]
    )
    text = f"\n\n-- name: q :exec\n{sql};\n"
    with pytest.raises(SchemaError) as err:
        parse_queries([SqlSource("schemas/queries/q.sql", text)], enums, tables)
    (d,) = err.value.diagnostics
    assert d.span.line == 4, d
    assert fragment in refused, refused
    assert fragment in d.message, d.message


@dataclasses.dataclass(frozen=True)
class _Arg:
    name: str
    type: ir.SqlType
    default: str | None = None


@dataclasses.dataclass(frozen=True)
class _Function:
    """What the migrations front-end records of a ``CREATE FUNCTION``
    (``ir.SqlFunction``), as far as typing calls needs it."""

    schema: str
    name: str
    inputs: tuple[_Arg, ...]
    returns: ir.SqlType | None
    columns: tuple[_Arg, ...] = ()
    returns_set: bool = False
    result: str = ""


USER_FUNCTIONS_SQL = """
CREATE FUNCTION add_author(name text, bio text DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$ INSERT INTO authors (name, bio) VALUES (name, bio) RETURNING id $$;
CREATE FUNCTION books_by(author bigint) RETURNS TABLE (title text, price numeric)
LANGUAGE sql AS $$ SELECT title, price FROM books WHERE author_id = author $$;
CREATE FUNCTION shop.plus(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;
"""
USER_FUNCTIONS = (
    _Function(
        "public",
        "add_author",
        (_Arg("name", ir.SqlType("text")), _Arg("bio", ir.SqlType("text"), "NULL")),
        ir.SqlType("int8"),
    ),
    _Function(
        "public",
        "books_by",
        (_Arg("author", ir.SqlType("int8")),),
        None,
        (_Arg("title", ir.SqlType("text")), _Arg("price", ir.SqlType("numeric"))),
        returns_set=True,
    ),
    _Function(
        "shop",
        "plus",
        (_Arg("a", ir.SqlType("int4")), _Arg("b", ir.SqlType("int4"))),
        ir.SqlType("int4"),
    ),
)
USER_FUNCTION_QUERIES = """
-- name: AddAuthor :one
SELECT add_author(@name, @bio) AS id;

-- name: AddAnonymous :one
SELECT add_author(name => $1) AS id;

-- name: BooksBy :many
SELECT * FROM books_by($1);

-- name: Plus :one
SELECT shop.plus($1, 2) AS total;
"""


def test_calls_to_the_migrations_functions_are_typed_as_postgres_types_them(
    postgres_dsn: str,
) -> None:
    """Functions the migrations create (recorded by the migrations front-end)
    type calls, defaults and named arguments included, and functions in FROM
    with their RETURNS TABLE columns."""
    enums, tables, _ = parse_migrations(
        [SqlSource("schemas/tables/001.sql", SQLC_TABLES["001.sql"])]
    )
    queries = parse_queries(
        [SqlSource("schemas/queries/q.sql", USER_FUNCTION_QUERIES)],
        enums,
        tables,
        functions=USER_FUNCTIONS,
    )

    async def describe() -> dict[str, tuple[list[str], list[tuple[str, str]]]]:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            await conn.execute(SQLC_TABLES["001.sql"] + USER_FUNCTIONS_SQL)
            out = {}
            for q in queries:
                stmt = await conn.prepare(q.sql)
                out[q.name] = (
                    [_described(p.name) for p in stmt.get_parameters()],
                    [(a.name, _described(a.type.name)) for a in stmt.get_attributes()],
                )
            return out
        finally:
            await conn.close()

    described = asyncio.run(describe())
    for q in queries:
        params, columns = described[q.name]
        assert [_pg_name(p.type) for p in q.params] == params, q.name
        assert [(c.name, _pg_name(c.type)) for c in q.columns] == columns, q.name
    assert [p.py_name for p in queries[0].params] == ["name", "bio"]
    with pytest.raises(SchemaError, match=r"function plus\(unknown, integer\)"):
        parse_queries(
            [SqlSource("q.sql", "-- name: x :one\nSELECT plus($1, 2);\n")],
            enums,
            tables,
            functions=USER_FUNCTIONS,
        )


RESULT_SHAPES_SQL = """
CREATE TABLE t (id int PRIMARY KEY, name text);
CREATE FUNCTION table_args(x int) RETURNS TABLE (y int) AS 'SELECT x' LANGUAGE sql;
CREATE FUNCTION one_out(x int, OUT doubled int) AS 'SELECT x * 2' LANGUAGE sql;
CREATE FUNCTION two_outs(x int, OUT lo int, OUT hi int)
    AS 'SELECT x, x + 1' LANGUAGE sql;
CREATE FUNCTION anything() RETURNS record AS 'SELECT 1, 2' LANGUAGE sql;
CREATE FUNCTION name_of(i int) RETURNS text AS 'SELECT name FROM t WHERE id = i'
    LANGUAGE sql;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE FUNCTION nothing() RETURNS void AS '' LANGUAGE sql;
"""
RESULT_SHAPES_QUERIES = """
-- name: TableArgs :one
SELECT table_args(x => $1);

-- name: TableArgsFrom :many
SELECT * FROM table_args(1) AS t;

-- name: TableArgsNumbered :many
SELECT * FROM table_args(1) WITH ORDINALITY AS t;

-- name: SeriesNumbered :many
SELECT * FROM generate_series(1, 2) WITH ORDINALITY AS g;

-- name: RowsFrom :many
SELECT * FROM ROWS FROM (generate_series(1, 2), one_out(3)) AS r;

-- name: OneOut :one
SELECT one_out(1);

-- name: OneOutFrom :many
SELECT * FROM one_out(1) AS o;

-- name: TwoOutsFrom :many
SELECT * FROM two_outs(1);

-- name: AnythingAs :many
SELECT * FROM anything() AS a(p int, q int);

-- name: NameOf :one
SELECT name_of(1);

-- name: Nothing :exec
SELECT nothing();
"""


def test_function_result_shapes_are_typed_as_postgres_types_them(
    postgres_dsn: str,
) -> None:
    """A RETURNS TABLE or OUT result of one column is that column's type,
    named after it in FROM; a scalar in FROM takes the alias of its item;
    the result of a function the migrations create may be NULL (its body is
    not read); one that returns an untyped record or a trigger cannot be a
    result column."""
    schema = parse_schema([SqlSource("schemas/tables/001.sql", RESULT_SHAPES_SQL)])
    queries = parse_queries(
        [SqlSource("schemas/queries/q.sql", RESULT_SHAPES_QUERIES)],
        schema.enums,
        schema.tables,
        functions=schema.functions,
    )

    async def describe() -> dict[str, tuple[list[str], list[tuple[str, str]]]]:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            await conn.execute(RESULT_SHAPES_SQL)
            out = {}
            for q in queries:
                stmt = await conn.prepare(q.sql)
                out[q.name] = (
                    [_described(p.name) for p in stmt.get_parameters()],
                    [(a.name, _described(a.type.name)) for a in stmt.get_attributes()],
                )
            return out
        finally:
            await conn.close()

    described = asyncio.run(describe())
    for q in queries:
        params, columns = described[q.name]
        assert [_pg_name(p.type) for p in q.params] == params, q.name
        if q.columns:
            assert [(c.name, _pg_name(c.type)) for c in q.columns] == columns, q.name
    by_name = {q.name: q for q in queries}
    assert by_name["NameOf"].columns[0].nullable
    assert by_name["TableArgs"].columns[0].nullable
    for call, shown in (("anything()", "record"), ("touch()", "trigger")):
        text = f"-- name: x :one\nSELECT {call};\n"
        with pytest.raises(SchemaError, match=f"has type {shown}, which svcforge"):
            parse_queries(
                [SqlSource("q.sql", text)],
                schema.enums,
                schema.tables,
                functions=schema.functions,
            )


def test_schema_statements_in_a_query_file_are_no_queries() -> None:
    """sqlc lets one file serve as both schema and queries: its statements
    without an annotation that are no data statements are skipped."""
    enums, tables, _ = parse_migrations(
        [SqlSource("schemas/tables/001.sql", "CREATE TABLE foo (bar text);")]
    )
    text = (
        "CREATE EXTENSION IF NOT EXISTS hstore;\n"
        "CREATE TABLE foo (bar text);\n"
        "COMMENT ON TABLE foo IS 'x';\n"
        "CREATE TABLE made AS SELECT * FROM foo;\n"
        "SELECT bar INTO other FROM foo;\n\n"
        "-- name: ListBar :many\nSELECT bar FROM foo;\n"
    )
    queries = parse_queries([SqlSource("schemas/queries/q.sql", text)], enums, tables)
    assert [(q.name, q.span.line) for q in queries] == [("ListBar", 7)]


PGVECTOR_SQL = (
    'CREATE EXTENSION IF NOT EXISTS "vector";\n\n'
    "CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3));\n"
)
PGVECTOR_QUERIES = """\
-- name: InsertVector :exec
INSERT INTO items (embedding) VALUES ($1);

-- name: NearestNeighbor :many
SELECT *
FROM items
ORDER BY embedding <-> $1
LIMIT 5;

-- name: Distances :many
SELECT id, embedding <=> @probe AS cosine, l2_distance(embedding, @probe) AS l2,
       vector_dims(embedding) AS dims
FROM items;
"""


def test_pgvector_operators_and_functions_type_queries() -> None:
    """sqlc's pg_vector case: the operators and functions of pgvector (read
    from its install script, as the test server lacks the extension) type
    parameters and results once the migrations create the extension; without
    it, its operator does not exist, as on the server."""
    sources = [SqlSource("schemas/tables/001.sql", PGVECTOR_SQL)]
    schema = parse_schema(sources)
    tables = schema.tables
    used = extensions_used(sources, tables)
    assert "vector" in used
    queries = {
        q.name: q
        for q in parse_queries(
            [SqlSource("schemas/queries/q.sql", PGVECTOR_QUERIES)],
            schema.enums,
            tables,
            extensions=used,
        )
    }
    assert [_pg_name(p.type) for p in queries["NearestNeighbor"].params] == ["vector"]
    distances = queries["Distances"]
    assert [_pg_name(p.type) for p in distances.params] == ["vector"]
    assert [(c.name, _pg_name(c.type)) for c in distances.columns] == [
        ("id", "int8"),
        ("cosine", "float8"),
        ("l2", "float8"),
        ("dims", "int4"),
    ]
    plain = "CREATE TABLE items (id bigserial PRIMARY KEY, embedding float8[]);\n"
    without = parse_schema([SqlSource("schemas/tables/001.sql", plain)])
    with pytest.raises(SchemaError, match="operator does not exist"):
        parse_queries(
            [SqlSource("schemas/queries/q.sql", PGVECTOR_QUERIES)],
            without.enums,
            without.tables,
        )

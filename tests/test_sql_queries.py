"""Named queries: the statically derived parameter and result types are what
PostgreSQL reports when it prepares the same statements, and the generated
functions work against a real database."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from generator import ir
from generator.frontends.sql.migrations.parse import parse_migrations
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

"""Generated repository vs raw asyncpg vs SQLAlchemy 2.0 async ORM, on a
PostgreSQL this script starts itself (svcforge.testing.start_postgres).

Measures, in one run: insert_many of 50k rows (COPY), 10k gets by primary key
(one at a time), and one list of 10k rows; then what turning 10k fetched
records into row objects costs each way (pydantic validation,
``model_construct``, slotted dataclasses, NamedTuple, asyncpg's
``record_class``), which is why generated rows are slotted dataclasses.

    python bench/repository.py            # full run
    python bench/repository.py --quick    # tiny sizes, checks the output format

Also one-row inserts into a table with server defaults, every value given
and the defaulted ones left ``UNSET`` (the generated INSERT then says
``DEFAULT`` there), against raw asyncpg's INSERT naming only given columns.

And gets answered by the row cache (``[tool.svcforge.tables.<name>] cache``,
a Redis this script starts too), every one a hit, against raw asyncpg's
uncached get: ``cached_get_vs_raw``; with the size and decode time of a row
in the cache's encoding (msgspec MessagePack) next to pickle and orjson.

Ends with ``bench: get_vs_raw=… copy_vs_raw=… list_vs_raw=… get_vs_orm=…
insert_vs_raw=… insert_default_vs_raw=… cached_get_vs_raw=…``: how many times faster the
generated code ran than the other, the median over rounds of the two times
measured side by side in one round (the table shows each one's best time).
Contenders take turns within a round, gets in chunks of 500, so that load
from elsewhere on a shared machine hits them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import importlib
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
from pydantic import BaseModel
from sqlalchemy import BigInteger, Boolean, DateTime, Numeric, String, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from generator.pipeline import generate
from generator.writer import write_tree
from svcforge.db import Database, RowCache
from svcforge.testing import start_postgres, start_redis

TABLE_SQL = """
CREATE TABLE trades (
    id bigint PRIMARY KEY,
    symbol text NOT NULL,
    price numeric(18, 8) NOT NULL,
    quantity numeric(18, 8) NOT NULL,
    executed_at timestamptz NOT NULL,
    sequence bigint NOT NULL,
    is_block boolean NOT NULL
);
"""
COLUMNS = ["id", "symbol", "price", "quantity", "executed_at", "sequence", "is_block"]
# One-row inserts into a table with server defaults: given (the INSERT as
# generated) or left UNSET (the statement then says DEFAULT there).
FILLS_SQL = """
CREATE TABLE fills (
    id bigint PRIMARY KEY,
    symbol text NOT NULL,
    quantity numeric(18, 8) NOT NULL,
    note text DEFAULT 'none',
    filled_at timestamptz NOT NULL DEFAULT now()
);
"""
# The same rows in a table whose repository reads through the row cache.
CACHED_SQL = TABLE_SQL.replace("CREATE TABLE trades", "CREATE TABLE cached_trades")
T0 = dt.datetime(2024, 1, 2, 9, 30, tzinfo=dt.UTC)


def values(i: int) -> tuple[Any, ...]:
    return (
        i,
        ("AAPL", "MSFT", "NVDA", "BTC-USD")[i % 4],
        Decimal("190.25") + Decimal(i % 1000) / 100,
        Decimal(i % 50 + 1),
        T0 + dt.timedelta(milliseconds=i),
        i,
        i % 97 == 0,
    )


# --- SQLAlchemy ---------------------------------------------------------------


class Base(DeclarativeBase):
    pass


class OrmTrade(Base):
    __tablename__ = "trades"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    symbol: Mapped[str] = mapped_column(String)
    price: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    executed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sequence: Mapped[int] = mapped_column(BigInteger)
    is_block: Mapped[bool] = mapped_column(Boolean)


# --- row object candidates ------------------------------------------------------


class PydanticRow(BaseModel):
    id: int
    symbol: str
    price: Decimal
    quantity: Decimal
    executed_at: dt.datetime
    sequence: int
    is_block: bool


class TupleRow(NamedTuple):
    id: int
    symbol: str
    price: Decimal
    quantity: Decimal
    executed_at: dt.datetime
    sequence: int
    is_block: bool


@dataclass(slots=True)
class SlotRow:
    id: int
    symbol: str
    price: Decimal
    quantity: Decimal
    executed_at: dt.datetime
    sequence: int
    is_block: bool


class RecordRow(asyncpg.Record):  # type: ignore[misc]
    __slots__ = ()


# --- timing ------------------------------------------------------------------------


async def timed(fn: Callable[[], Awaitable[None]]) -> float:
    """Wall time of one call, the garbage collector off meanwhile."""
    gc.collect()
    gc.disable()
    start = time.perf_counter()
    try:
        await fn()
    finally:
        elapsed = time.perf_counter() - start
        gc.enable()
    return elapsed


Contender = Callable[[Any], Awaitable[None]]
"""Runs one chunk of the work (``None`` when the work is not split)."""


async def race(
    runs: int,
    contenders: Mapping[str, Contender],
    reset: Callable[[], Awaitable[None]] | None = None,
    chunks: Sequence[Any] = (None,),
) -> dict[str, list[float]]:
    """The wall time of each contender in each of ``runs`` rounds.  Within a
    round every chunk of the work runs for each contender in turn, so that a
    burst of load on a shared machine hits them alike rather than one of
    them; every other turn goes in reverse order, so that none always runs
    first (after a reset) or last."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    turn = 0
    for _ in range(runs):
        total = dict.fromkeys(contenders, 0.0)
        for chunk in chunks:
            order = list(contenders.items())
            for name, fn in order if turn % 2 == 0 else reversed(order):
                if reset is not None:
                    await reset()
                total[name] += await timed(lambda fn=fn, chunk=chunk: fn(chunk))
            turn += 1
        for name, seconds in total.items():
            times[name].append(seconds)
    return times


def generated_repository(workdir: Path) -> Any:
    """Generate a tiny service with the benchmark table and import it."""
    root = workdir / "bench-svc"
    (root / "schemas" / "tables").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench_svc"\n\n[tool.svcforge]\npackage = "bench_svc"\n'
        'uses = ["postgres", "redis"]\n\n'
        "[tool.svcforge.tables.cached_trades]\ncache = { ttl_s = 3600 }\n"
    )
    (root / "schemas" / "tables" / "001_trades.sql").write_text(
        TABLE_SQL + FILLS_SQL + CACHED_SQL
    )
    manifest, files = generate(root)
    write_tree(root, manifest, files)
    sys.path.insert(0, str(root / "src"))
    return importlib.import_module("bench_svc.generated.db")


@dataclass
class Sizes:
    copy_rows: int
    gets: int
    list_rows: int
    runs: int


async def run(
    dsn: str, redis_url: str, sizes: Sizes, workdir: Path
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """The best time of each contender, and its time in every round."""
    generated_repository(workdir)
    gen = importlib.import_module("bench_svc.generated.db.trades")
    cached = importlib.import_module("bench_svc.generated.db.cached_trades")
    fills = importlib.import_module("bench_svc.generated.db.fills")
    rows = [values(i) for i in range(max(sizes.copy_rows, sizes.list_rows))]
    inserts = [
        gen.TradeInsert(**dict(zip(COLUMNS, r, strict=True)))
        for r in rows[: sizes.copy_rows]
    ]
    orm_rows = [dict(zip(COLUMNS, r, strict=True)) for r in rows[: sizes.copy_rows]]
    ids = list(range(sizes.gets))

    # Raw asyncpg at its fastest: one connection of its own, no pool.
    raw = await asyncpg.connect(dsn)
    db = await Database(dsn, server_settings={}).open()
    engine = create_async_engine(
        dsn.replace("postgresql://", "postgresql+asyncpg://"), pool_size=4
    )
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    await raw.execute(TABLE_SQL + FILLS_SQL + CACHED_SQL)
    cache = RowCache(redis_url)
    cached_repo = cached.CachedTradeRepository(db, cache)
    repo = gen.TradeRepository(db)
    fill_repo = fills.FillRepository(db)
    results: dict[str, float] = {}
    rounds: dict[str, list[float]] = {}

    async def empty() -> None:
        await raw.execute("TRUNCATE trades")

    # insert_many of copy_rows rows (the ORM, 12 times slower, runs fewer rounds)
    async def raw_copy(_: None) -> None:
        await raw.copy_records_to_table(
            "trades", records=rows[: sizes.copy_rows], columns=COLUMNS
        )

    async def gen_copy(_: None) -> None:
        await repo.insert_many(inserts)

    async def orm_copy(_: None) -> None:
        async with sessions() as session:
            session.add_all(OrmTrade(**r) for r in orm_rows)
            await session.commit()

    copy = {"copy_raw": raw_copy, "copy_gen": gen_copy}
    rounds.update(await race(sizes.runs * 2, copy, empty))
    rounds.update(await race(max(1, sizes.runs // 3), {"copy_orm": orm_copy}, empty))

    # data for the reads: list_rows rows
    await empty()
    await raw.copy_records_to_table(
        "trades", records=rows[: sizes.list_rows], columns=COLUMNS
    )
    await raw.execute("ANALYZE trades")
    get_sql = "SELECT id, symbol, price, quantity, executed_at, sequence, is_block FROM trades WHERE id = $1"
    list_sql = "SELECT id, symbol, price, quantity, executed_at, sequence, is_block FROM trades ORDER BY id LIMIT $1"

    # Gets one at a time, in chunks of 500 that the contenders take in turn.
    async def raw_get(chunk: list[int]) -> None:
        for i in chunk:
            await raw.fetchrow(get_sql, i)

    async def gen_get(chunk: list[int]) -> None:
        for i in chunk:
            await repo.get(i)

    async def orm_get(chunk: list[int]) -> None:
        async with sessions() as session:
            for i in chunk:
                await session.get(OrmTrade, i)

    gets = {"get_raw": raw_get, "get_gen": gen_get, "get_orm": orm_get}
    for fn in gets.values():
        await fn(ids)  # warm up: prepared statements, connections
    chunks = [ids[i : i + 500] for i in range(0, len(ids), 500)]
    rounds.update(await race(sizes.runs, gets, chunks=chunks))

    # Cache hits (the warm-up stores every row) against the uncached raw get.
    await raw.copy_records_to_table(
        "cached_trades", records=rows[: sizes.list_rows], columns=COLUMNS
    )

    async def cached_get(chunk: list[int]) -> None:
        for i in chunk:
            await cached_repo.get(i)

    await cached_get(ids)
    hits = {"cached_get_raw": raw_get, "cached_get_gen": cached_get}
    rounds.update(await race(sizes.runs, hits, chunks=chunks))
    results.update(encodings(rows[0]))
    await cache.close()

    async def raw_list(_: None) -> None:
        await raw.fetch(list_sql, sizes.list_rows)

    async def gen_list(_: None) -> None:
        await repo.page(limit=sizes.list_rows)

    async def orm_list(_: None) -> None:
        async with sessions() as session:
            result = await session.execute(
                select(OrmTrade).order_by(OrmTrade.id).limit(sizes.list_rows)
            )
            result.scalars().all()

    lists = {"list_raw": raw_list, "list_gen": gen_list, "list_orm": orm_list}
    for fn in lists.values():
        await fn(None)
    rounds.update(await race(sizes.runs * 6, lists))

    # One-row inserts: every value given, or the defaulted ones left UNSET.
    inserts_n = sizes.gets // 4
    at = T0

    async def no_fills() -> None:
        await raw.execute("TRUNCATE fills")

    async def raw_insert(chunk: range) -> None:
        sql = (
            "INSERT INTO fills (id, symbol, quantity, note, filled_at) "
            "VALUES ($1, $2, $3, $4, $5) RETURNING *"
        )
        for i in chunk:
            await raw.fetchrow(sql, i, "AAPL", Decimal(1), "n", at)

    async def gen_insert(chunk: range) -> None:
        for i in chunk:
            await fill_repo.insert(
                fills.FillInsert(
                    id=i, symbol="AAPL", quantity=Decimal(1), note="n", filled_at=at
                )
            )

    async def raw_insert_defaults(chunk: range) -> None:
        sql = "INSERT INTO fills (id, symbol, quantity) VALUES ($1, $2, $3) RETURNING *"
        for i in chunk:
            await raw.fetchrow(sql, i, "AAPL", Decimal(1))

    async def gen_insert_defaults(chunk: range) -> None:
        for i in chunk:
            await fill_repo.insert(
                fills.FillInsert(id=i, symbol="AAPL", quantity=Decimal(1))
            )

    one = {
        "insert_raw": raw_insert,
        "insert_gen": gen_insert,
        "insert_default_raw": raw_insert_defaults,
        "insert_default_gen": gen_insert_defaults,
    }
    for fn in one.values():
        await no_fills()
        await fn(range(inserts_n))
    # Chunks of 250 taken in turn; each contender's chunk into an empty table.
    parts = [range(i, min(i + 250, inserts_n)) for i in range(0, inserts_n, 250)]
    rounds.update(await race(sizes.runs, one, no_fills, chunks=parts))

    # What each row-object choice costs on the same fetched records.
    records = await raw.fetch(list_sql, sizes.list_rows)
    names = COLUMNS
    conversions: dict[str, Callable[[], object]] = {
        "pydantic model_validate": lambda: [
            PydanticRow.model_validate(dict(r)) for r in records
        ],
        "pydantic model_construct": lambda: [
            PydanticRow.model_construct(**dict(zip(names, r, strict=True)))
            for r in records
        ],
        "NamedTuple._make": lambda: list(map(TupleRow._make, records)),
        "dataclass(slots=True) [chosen]": lambda: [SlotRow(*r) for r in records],
    }
    for label, convert in conversions.items():
        times = []
        for _ in range(max(3, sizes.runs)):
            gc.collect()
            start = time.perf_counter()
            convert()
            times.append(time.perf_counter() - start)
        results[f"rows:{label}"] = min(times)

    async def with_record_class(_: None) -> None:
        await raw.fetch(list_sql, sizes.list_rows, record_class=RecordRow)

    fetches = {
        "rows:asyncpg Record (fetch incl.)": raw_list,
        "rows:record_class subclass (fetch incl.)": with_record_class,
    }
    results.update(
        {k: min(v) for k, v in (await race(max(3, sizes.runs), fetches)).items()}
    )

    await db.close()
    await raw.close()
    await engine.dispose()
    results.update({k: min(v) for k, v in rounds.items()})
    return results, rounds


def encodings(row: tuple[Any, ...]) -> dict[str, float]:
    """Bytes of one row and microseconds to decode it: the cache's encoding
    (typed MessagePack, back to the row's own types) beside pickle (typed,
    but code runs on load: unfit for a shared store) and orjson (untyped:
    decimals and timestamps come back as strings)."""
    import pickle

    import msgspec
    import orjson

    types = tuple[int, str, Decimal, Decimal, dt.datetime, int, bool]
    packed = msgspec.msgpack.Encoder().encode(row)
    decoder = msgspec.msgpack.Decoder(types)
    options = orjson.OPT_PASSTHROUGH_DATACLASS
    candidates = {
        "msgspec msgpack (used)": (packed, lambda: decoder.decode(packed)),
        "pickle": (pickle.dumps(row, 5), lambda: pickle.loads(pickle.dumps(row, 5))),
        "orjson (untyped)": (
            orjson.dumps(row, default=str, option=options),
            lambda: orjson.loads(orjson.dumps(row, default=str, option=options)),
        ),
    }
    out: dict[str, float] = {}
    for name, (data, decode) in candidates.items():
        blob = bytes(data)
        n = 20_000
        start = time.perf_counter()
        for _ in range(n):
            decode()
        out[f"enc:{name}"] = len(blob)
        out[f"dec:{name}"] = (time.perf_counter() - start) / n * 1e6
    return out


def report(results: dict[str, float], sizes: Sizes) -> str:
    def rate(n: int, seconds: float) -> str:
        return f"{n / seconds:>12,.0f}/s"

    lines = [
        f"{'operation':<28}{'generated':>14}{'raw asyncpg':>14}{'SQLAlchemy ORM':>16}{'gen/raw':>9}{'gen/orm':>9}",
    ]
    for key, label, n in (
        ("copy", f"insert_many {sizes.copy_rows:,} rows", sizes.copy_rows),
        ("get", f"get by pk x{sizes.gets:,}", sizes.gets),
        ("list", f"list {sizes.list_rows:,} rows", sizes.list_rows),
    ):
        g, r, o = results[f"{key}_gen"], results[f"{key}_raw"], results[f"{key}_orm"]
        lines.append(
            f"{label:<28}{rate(n, g):>14}{rate(n, r):>14}{rate(n, o):>16}{r / g:>9.2f}{o / g:>9.2f}"
        )
    n = sizes.gets // 4
    for key, label in (
        ("insert", f"insert one row x{n:,}"),
        ("insert_default", f"  defaults left UNSET x{n:,}"),
    ):
        g, r = results[f"{key}_gen"], results[f"{key}_raw"]
        lines.append(
            f"{label:<28}{rate(n, g):>14}{rate(n, r):>14}{'':>16}{r / g:>9.2f}"
        )
    g, r = results["cached_get_gen"], results["cached_get_raw"]
    label = f"cached get (hits) x{sizes.gets:,}"
    lines.append(
        f"{label:<28}{rate(sizes.gets, g):>14}{rate(sizes.gets, r):>14}{'':>16}{r / g:>9.2f}"
    )
    lines.append("")
    lines.append("a row in the cache (pickle and orjson time a round trip):")
    for key, size in results.items():
        if key.startswith("enc:"):
            decode = results["dec:" + key[4:]]
            lines.append(f"  {key[4:]:<34}{size:>5.0f} bytes{decode:>9.2f} us")
    lines.append("")
    lines.append(
        f"row objects for {sizes.list_rows:,} fetched records (conversion time; lower is better):"
    )
    for key, seconds in results.items():
        if key.startswith("rows:"):
            lines.append(f"  {key[5:]:<34}{seconds * 1e3:>9.2f} ms")
    return "\n".join(lines)


def paired(rounds: dict[str, list[float]], other: str, generated: str) -> float:
    """How many times faster the generated code ran: the median over rounds
    of the two times measured side by side in the same round (a burst of
    load on a shared machine then moves neither)."""
    return statistics.median(
        o / g for o, g in zip(rounds[other], rounds[generated], strict=True)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes (checks the output format)"
    )
    args = parser.parse_args(argv)
    sizes = Sizes(500, 200, 500, 1) if args.quick else Sizes(50_000, 10_000, 10_000, 5)
    server = start_postgres()
    redis = start_redis()
    try:
        with tempfile.TemporaryDirectory(prefix="svcforge-bench-") as tmp:
            results, rounds = asyncio.run(
                run(server.dsn(), redis.url, sizes, Path(tmp))
            )
    finally:
        redis.stop()
        server.stop()
    print(report(results, sizes))
    ratios = {
        "get_vs_raw": paired(rounds, "get_raw", "get_gen"),
        "copy_vs_raw": paired(rounds, "copy_raw", "copy_gen"),
        "list_vs_raw": paired(rounds, "list_raw", "list_gen"),
        "get_vs_orm": paired(rounds, "get_orm", "get_gen"),
        "insert_vs_raw": paired(rounds, "insert_raw", "insert_gen"),
        "insert_default_vs_raw": paired(
            rounds, "insert_default_raw", "insert_default_gen"
        ),
        "cached_get_vs_raw": paired(rounds, "cached_get_raw", "cached_get_gen"),
    }
    print("bench: " + " ".join(f"{k}={v:.2f}" for k, v in ratios.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Consume -> store: how a batch of messages is best written idempotently.

Three ways to write one fetched batch of market-data trades into table
``trades`` in one transaction, a message delivered twice leaving one row:

* ``copy``: COPY the rows into a temporary table of the session, then one
  ``WITH staged AS (DELETE ... RETURNING *) INSERT INTO trades SELECT ... ON
  CONFLICT DO NOTHING RETURNING ...`` (it says which rows were new);
* ``executemany``: asyncpg's ``executemany`` of ``INSERT INTO trades ...
  VALUES ($1, ...) ON CONFLICT DO NOTHING`` (pipelined; says nothing about
  which rows were new);
* ``returning``: the same INSERT with ``RETURNING`` the key, through
  asyncpg's ``fetchmany`` (pipelined like ``executemany``, and it says which
  rows were new).

Each is timed on new rows and on rows stored before (a redelivered batch),
for batches of 1 to 500 messages, taking turns within a round so
that load from elsewhere on a shared machine hits both alike; the figure is
the median over rounds.  PostgreSQL is started by the script
(``svcforge.testing.start_postgres``).  ``svcforge.db.Store`` writes batches
below ``Store.COPY_FROM`` rows the ``returning`` way and larger ones the
``copy`` way, as these figures say.

    python bench/store.py            # full run
    python bench/store.py --quick    # small sizes, checks the output format

Ends with ``bench: copy_vs_executemany_b1=… _b10=… _b100=… _b500=…
returning_vs_executemany_b1=… … dup_copy_vs_executemany_b100=…``: each
one's throughput divided by executemany's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generated-examples/market-data/src"))

from market_data.app import seed_instruments, simulated_trades  # noqa: E402
from market_data.generated.db import ENUM_TYPES, MIGRATIONS  # noqa: E402
from market_data.generated.models import Trade  # noqa: E402
from market_data.generated.stores import TRADES  # noqa: E402

from svcforge.db import Connection, Database, Store  # noqa: E402
from svcforge.testing import start_postgres  # noqa: E402

SIZES = (1, 10, 30, 100, 500)

Writer = Callable[[Connection, list[Trade]], Awaitable[None]]


def executemany_writer() -> Writer:
    cols = ", ".join(f'"{c}"' for c in TRADES.columns)
    params = ", ".join(f"${i + 1}" for i in range(len(TRADES.columns)))
    sql = (
        f'INSERT INTO "public"."trades" ({cols}) VALUES ({params}) '
        "ON CONFLICT DO NOTHING"
    )
    values, row = TRADES.values, TRADES.row

    async def write(conn: Connection, batch: list[Trade]) -> None:
        await conn.executemany(sql, [values(row(m)) for m in batch])

    return write


def returning_writer() -> Writer:
    """``executemany`` that also says which rows were new: asyncpg's
    ``fetchmany`` of the INSERT with ``RETURNING`` (pipelined alike)."""
    cols = ", ".join(f'"{c}"' for c in TRADES.columns)
    params = ", ".join(f"${i + 1}" for i in range(len(TRADES.columns)))
    sql = (
        f'INSERT INTO "public"."trades" ({cols}) VALUES ({params}) '
        'ON CONFLICT DO NOTHING RETURNING "trade_id"'
    )
    values, row = TRADES.values, TRADES.row

    async def write(conn: Connection, batch: list[Trade]) -> None:
        await conn.fetchmany(sql, [values(row(m)) for m in batch])

    return write


def copy_writer(store: Store[Trade, Any]) -> Writer:
    async def write(conn: Connection, batch: list[Trade]) -> None:
        await store.write(conn, batch)

    return write


async def timed(
    db: Database, write: Writer, batches: list[list[Trade]], prepare: Any
) -> float:
    """Seconds to write every batch, each in its own transaction."""
    async with db.acquire() as conn:
        start = time.perf_counter()
        for batch in batches:
            await prepare(conn)  # as StoreHandler does, outside the transaction
            async with conn.transaction():
                await write(conn, batch)
        return time.perf_counter() - start


async def measure(
    db: Database, size: int, total: int, rounds: int
) -> dict[str, list[float]]:
    trades = simulated_trades(total)
    batches = [trades[i : i + size] for i in range(0, total, size)]
    store: Store[Trade, Any] = Store(TRADES)
    store.COPY_FROM = 0  # every batch through COPY, whatever its size

    async def nothing(conn: Connection) -> None:
        return None

    writers = {
        "copy": (copy_writer(store), store.prepare),
        "executemany": (executemany_writer(), nothing),
        "returning": (returning_writer(), nothing),
    }
    out: dict[str, list[float]] = {f"{k}{s}": [] for k in writers for s in ("", "_dup")}
    for r in range(rounds):
        order = list(writers.items())
        if r % 2:
            order.reverse()
        for name, (write, prepare) in order:
            await db.execute("TRUNCATE trades")
            out[name].append(total / await timed(db, write, batches, prepare))
            # The same batches again: every row is there already.
            out[f"{name}_dup"].append(total / await timed(db, write, batches, prepare))
    return out


async def run(quick: bool) -> None:
    server = await asyncio.to_thread(start_postgres)
    try:
        async with Database(server.dsn(), enums=ENUM_TYPES) as db:
            await db.migrate(MIGRATIONS)
            await seed_instruments(db, ["AAPL", "MSFT", "NVDA"])
            rounds = 2 if quick else 5
            results: dict[int, dict[str, float]] = {}
            print(
                f"{'batch':>6} {'copy':>12} {'executemany':>12} {'returning':>12} "
                f"{'copy dup':>12} {'execmany dup':>12} {'return dup':>12}"
                f"   rows/s, median of {rounds}"
            )
            for size in SIZES:
                total = min(20 * size, 200) if quick else max(2000, 20 * size)
                found = await measure(db, size, total, rounds)
                med = {k: statistics.median(v) for k, v in found.items()}
                results[size] = med
                print(
                    f"{size:>6} {med['copy']:>12,.0f} {med['executemany']:>12,.0f} "
                    f"{med['returning']:>12,.0f} {med['copy_dup']:>12,.0f} "
                    f"{med['executemany_dup']:>12,.0f} {med['returning_dup']:>12,.0f}"
                )
    finally:
        await asyncio.to_thread(server.stop)
    ratios = [
        f"{k}_vs_executemany_b{s}={results[s][k] / results[s]['executemany']:.2f}"
        for k in ("copy", "returning")
        for s in SIZES
    ]
    dup = results[100]["copy_dup"] / results[100]["executemany_dup"]
    print("bench: " + " ".join([*ratios, f"dup_copy_vs_executemany_b100={dup:.2f}"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    asyncio.run(run(args.quick))


if __name__ == "__main__":
    main()

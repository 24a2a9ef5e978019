"""market-data: a collector that publishes trades and order-book snapshots,
a consumer that stores the trades in table ``trades`` (the generated store
of the ``trades`` channel: ``store = "trades"`` in pyproject.toml) and one
that keeps the latest order book of each symbol.  Team code: svcforge never
overwrites this file.

``python -m market_data`` runs it from its settings (``MARKET_DATA_*``
variables, listed in ``generated/CONFIGURATION.md``).  With no server
configured it runs on embedded ones (the in-memory broker, a throwaway
PostgreSQL), collects ``MARKET_DATA_COLLECT_TRADES`` trades, says what was
stored and exits; with ``MARKET_DATA_KAFKA__BOOTSTRAP_SERVERS``,
``MARKET_DATA_REDIS__URL`` and ``MARKET_DATA_DATABASE__URL`` it runs as a
service until SIGTERM, with health and metrics over HTTP.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import structlog
from svcforge.db import Executor
from svcforge.messaging import MessageContext

from .generated.db.enums import InstrumentKind
from .generated.db.instruments import InstrumentInsert, InstrumentRepository
from .generated.models import OrderBookSnapshot, PriceLevel, Side, Trade, Venue
from .generated.queries.trades import trade_count
from .generated.wiring import App, build

log = structlog.get_logger("market_data")

SYMBOLS = ("AAPL", "MSFT", "NVDA")
START = datetime(2024, 3, 15, 13, 30, tzinfo=UTC)


def simulated_trades(
    count: int, symbols: Sequence[str] = SYMBOLS, first: int = 0
) -> list[Trade]:
    """What a venue feed would report: ``count`` trades over ``symbols``,
    deterministic (trade ``first + i`` is always the same) so that runs can
    be compared."""
    trades = []
    for i in range(first, first + count):
        symbol = symbols[i % len(symbols)]
        executed = START + timedelta(milliseconds=137 * i)
        trades.append(
            Trade(
                trade_id=uuid.UUID(int=i + 1),
                symbol=symbol,
                venue=Venue.XNAS,
                side=Side.BUY if i % 2 == 0 else Side.SELL,
                price=Decimal(100 + i % 7) + Decimal("0.25"),
                quantity=Decimal(10 * (1 + i % 5)),
                executed_at=executed,
                received_at=executed + timedelta(milliseconds=3),
                sequence=i // len(symbols),
            )
        )
    return trades


def simulated_book(trade: Trade) -> OrderBookSnapshot:
    """The order book of ``trade``'s symbol right after it: one level a side."""
    tick = Decimal("0.01")
    return OrderBookSnapshot(
        symbol=trade.symbol,
        venue=trade.venue,
        sequence=trade.sequence,
        taken_at=trade.executed_at,
        bids=[PriceLevel(price=trade.price - tick, quantity=trade.quantity)],
        asks=[PriceLevel(price=trade.price + tick, quantity=trade.quantity)],
    )


class VenueFeed:
    """The venue's trade feed (simulated: ``simulated_trades``).  The
    collector calls it through the ``venue-feed`` policy of pyproject.toml:
    a timeout per call, one retry, and a breaker that stops calling a feed
    that keeps failing (readiness then says so).  ``down`` makes every call
    fail, as an unreachable venue would."""

    def __init__(self, symbols: Sequence[str] = SYMBOLS) -> None:
        self.symbols = tuple(symbols)
        self.down = False
        self.calls = 0

    async def trades(self, first: int, count: int) -> list[Trade]:
        self.calls += 1
        if self.down:
            raise ConnectionError("venue feed unreachable")
        return simulated_trades(count, self.symbols, first)


@dataclass
class Books:
    """The latest order book of each symbol (kept in memory: a hand-written
    handler beside the generated store)."""

    latest: dict[str, OrderBookSnapshot] = field(default_factory=dict)

    def update(self, book: OrderBookSnapshot) -> None:
        seen = self.latest.get(book.symbol)
        if seen is None or seen.sequence <= book.sequence:
            self.latest[book.symbol] = book


def wire(app: App) -> Books:
    """Register what the generated wiring does not: the instruments the
    trades refer to (before the consumers start) and the order-book handler.
    The ``trades`` channel is consumed by its generated store."""
    books = Books()
    symbols = app.settings.symbols

    @app.parts.setup
    async def instruments() -> None:
        await seed_instruments(app.database, symbols)

    @app.channels.order_books.handler
    async def on_book(book: OrderBookSnapshot, ctx: MessageContext) -> None:
        books.update(book)

    return books


async def seed_instruments(db: Executor, symbols: Sequence[str]) -> None:
    """A row of ``instruments`` for each symbol that has none."""
    repo = InstrumentRepository(db)
    for symbol in symbols:
        if await repo.get(symbol) is None:
            await repo.insert(
                InstrumentInsert(symbol=symbol, name=symbol, kind=InstrumentKind.EQUITY)
            )


async def collect(
    app: App,
    count: int,
    rate: float = 0.0,
    first: int = 0,
    feed: VenueFeed | None = None,
) -> None:
    """The collector: fetch ``count`` trades from the venue feed (under its
    policy), publish them (to Kafka and Redis: the channel fans out; its
    policy rate-limits publishing) and an order book after each, at ``rate``
    per second (0: batched by the brokers, as fast as they take them), then
    wait for every acknowledgement."""
    feed = feed or VenueFeed(app.settings.symbols)
    trades = await app.policies.venue_feed.call(feed.trades, first, count)
    start = time.monotonic()
    pending = []
    for n, trade in enumerate(trades):
        pending.append(await app.channels.trades.send(trade))
        pending.append(await app.channels.order_books.send(simulated_book(trade)))
        if rate > 0:
            await asyncio.sleep(max(0.0, start + (n + 1) / rate - time.monotonic()))
    await asyncio.gather(*pending)


async def stored(app: App) -> int:
    return await trade_count(app.database, symbols=list(app.settings.symbols))


async def demo(app: App, books: Books) -> list[str]:
    """Collect, wait until the store caught up, and say what happened."""
    count = app.settings.collect_trades
    await collect(app, count, app.settings.collect_rate)
    deadline = time.monotonic() + 30
    while await stored(app) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    rows = await stored(app)
    return [
        f"published {count} trades to channel 'trades' (Kafka topic "
        "market-data.trades + Redis stream market-data:trades) and as many "
        "order books",
        f"stored {rows} trades in table trades (group market-data-store, "
        "each fetched batch in one transaction)",
        *(
            f"  {s}: last book {b.bids[0].price} / {b.asks[0].price}"
            for s, b in sorted(books.latest.items())
        ),
    ]


def main() -> None:
    app = build()
    books = wire(app)
    if app.embedded == ("database", "kafka", "redis"):
        print(
            "market-data: on embedded servers (in-memory broker, throwaway PostgreSQL)"
        )
        lines: list[str] = []

        async def run_demo() -> None:
            lines.extend(await demo(app, books))

        asyncio.run(app.run(run_demo, stop_when_main_returns=True))
        print("\n".join(lines))
        return

    async def collector() -> None:
        await collect(app, app.settings.collect_trades, app.settings.collect_rate)
        log.info("collected", trades=app.settings.collect_trades)

    asyncio.run(app.run(collector))

"""market-data: a collector that publishes trades and a consumer that records
them.  Team code: svcforge never overwrites this file.

``python -m market_data`` runs both on the in-memory broker (no server);
``python -m market_data --kafka HOST:PORT --redis redis://...`` runs them as a
service on real servers until SIGTERM, with health and metrics over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import structlog
from svcforge.messaging import (
    KafkaBroker,
    KafkaSettings,
    MessageContext,
    Messaging,
    RedisBroker,
    RedisSettings,
)
from svcforge.service import (
    HttpSettings,
    LoggingSettings,
    Service,
    ServiceSettings,
    configure_logging,
)

from .generated.channels import Channels
from .generated.models import Side, Trade, Venue

log = structlog.get_logger("market_data")

SYMBOLS = ("AAPL", "MSFT", "NVDA")
START = datetime(2024, 3, 15, 13, 30, tzinfo=UTC)


def simulated_trades(count: int) -> list[Trade]:
    """What a venue feed would report: ``count`` trades over a few symbols,
    deterministic so that runs can be compared."""
    trades = []
    for i in range(count):
        symbol = SYMBOLS[i % len(SYMBOLS)]
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
                sequence=i // len(SYMBOLS),
            )
        )
    return trades


@dataclass
class TradeBook:
    """What the consumer stores: per symbol, trades seen, volume, last price.
    (With tables in schemas/tables, this would go through the generated
    repository instead.)"""

    trades: dict[str, int] = field(default_factory=dict)
    volume: dict[str, Decimal] = field(default_factory=dict)
    last_price: dict[str, Decimal] = field(default_factory=dict)
    seen: set[uuid.UUID] = field(default_factory=set)

    def record(self, trade: Trade) -> bool:
        """Store one trade; False when it was already stored (at-least-once
        delivery may hand it over twice)."""
        if trade.trade_id in self.seen:
            return False
        self.seen.add(trade.trade_id)
        self.trades[trade.symbol] = self.trades.get(trade.symbol, 0) + 1
        self.volume[trade.symbol] = (
            self.volume.get(trade.symbol, Decimal(0)) + trade.quantity
        )
        self.last_price[trade.symbol] = trade.price
        return True

    def summary(self) -> list[str]:
        return [
            f"  {s}: {self.trades[s]} trades, volume {self.volume[s]}, "
            f"last {self.last_price[s]}"
            for s in sorted(self.trades)
        ]


def wire(messaging: Messaging, book: TradeBook) -> Channels:
    """Bind the generated channels and register the consumer's handler."""
    channels = Channels(messaging)

    @channels.trades.handler
    async def store_trade(trade: Trade, ctx: MessageContext) -> None:
        if book.record(trade):
            ctx.log.debug("trade stored", symbol=trade.symbol, sequence=trade.sequence)

    return channels


async def collect(channels: Channels, trades: Sequence[Trade]) -> None:
    """The collector: publish every trade (to Kafka and Redis: the channel fans
    out), batched by the brokers, then wait for all acknowledgements."""
    pending = [await channels.trades.send(t) for t in trades]
    await asyncio.gather(*pending)


async def run_in_memory(count: int) -> list[str]:
    """Collector and consumer on the in-memory broker; say what happened."""
    messaging = Messaging.in_memory()
    book = TradeBook()
    channels = wire(messaging, book)
    async with messaging:
        await collect(channels, simulated_trades(count))
        await messaging.drain()
    published = messaging.metrics.registry.get_sample_value(
        "svcforge_messages_published_total", {"channel": "trades", "transport": "kafka"}
    )
    return [
        f"published {published:.0f} trades to channel 'trades' "
        "(Kafka topic market-data.trades + Redis stream market-data:trades, in memory)",
        f"consumed and stored {len(book.seen)} trades (group market-data-store):",
        *book.summary(),
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="market_data", description=__doc__)
    p.add_argument("--count", type=int, default=30, help="trades to collect")
    p.add_argument("--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS"))
    p.add_argument("--redis", default=os.environ.get("REDIS_URL"))
    p.add_argument("--http-port", type=int, default=8080)
    p.add_argument(
        "--no-idempotence",
        action="store_true",
        help="for brokers without idempotent producers (test brokers)",
    )
    return p.parse_args(argv)


async def run_service(args: argparse.Namespace) -> None:
    messaging = Messaging(
        kafka=KafkaBroker(
            KafkaSettings(
                bootstrap_servers=args.kafka,
                enable_idempotence=not args.no_idempotence,
            )
        ),
        redis=RedisBroker(RedisSettings(url=args.redis)),
    )
    book = TradeBook()
    channels = wire(messaging, book)
    service = Service(
        "market-data",
        messaging=messaging,
        settings=ServiceSettings(http=HttpSettings(port=args.http_port)),
    )

    async def collector() -> None:
        await collect(channels, simulated_trades(args.count))
        log.info("collected", trades=args.count)

    await service.run(collector)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.kafka and args.redis:
        asyncio.run(run_service(args))
        return
    configure_logging(LoggingSettings(level="WARNING"), environment="development")
    print("market-data: collector and consumer on the in-memory broker (no server)")
    for line in asyncio.run(run_in_memory(args.count)):
        print(line)

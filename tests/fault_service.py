"""A whole service for the runtime fault tests, run as a subprocess: the
market-data ``trades`` channel consumed from Kafka and from Redis, a
PostgreSQL database, the health endpoint, and a ``main`` that publishes and
queries while it runs.  It appends one line per event to ``--out`` (one
``write`` per line): ``published <transport> <seq>``, ``handled <transport>
<seq>``, ``error <what>``; SIGTERM stops it gracefully, and it exits with
the runner's status (1 and the reason when the service fails)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(
    0,
    str(Path(__file__).resolve().parent.parent / "generated-examples/market-data/src"),
)

from market_data.app import simulated_trades
from market_data.generated.channels import TRADES
from market_data.generated.models import Trade

from svcforge.db import Database, DatabaseSettings
from svcforge.messaging import (
    Channel,
    Handler,
    KafkaBroker,
    KafkaSettings,
    MessageContext,
    Messaging,
    RedisBroker,
    RedisSettings,
    RetryPolicy,
)
from svcforge.service import (
    HttpSettings,
    LoggingSettings,
    Service,
    ServiceSettings,
)

Line = Callable[[str], None]


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--kafka")
    p.add_argument("--redis")
    p.add_argument("--postgres")
    p.add_argument("--prefix", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--publish", type=int, default=0, help="trades per transport")
    p.add_argument("--rate", type=float, default=500.0, help="trades per second")
    p.add_argument("--queries", type=int, default=0, help="data-path queries")
    p.add_argument("--redis-connections", type=int, default=100)
    p.add_argument("--db-connections", type=int, default=2)
    p.add_argument("--kill-consumers-after", type=float, default=None)
    p.add_argument("--startup-timeout", type=float, default=60.0)
    return p.parse_args()


def main() -> None:
    args = parse()
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def line(text: str) -> None:
        os.write(fd, f"{text}\n".encode())

    retry = RetryPolicy(attempts=3, backoff_ms=5, max_backoff_ms=20)
    brokers: dict[str, KafkaBroker | RedisBroker] = {}
    if args.kafka:
        brokers["kafka"] = KafkaBroker(
            KafkaSettings(
                bootstrap_servers=args.kafka,
                name_prefix=args.prefix,
                enable_idempotence=False,
                session_timeout_ms=1000,
                heartbeat_interval_ms=300,
                fetch_max_wait_ms=50,
                request_timeout_ms=3000,
            )
        )
    if args.redis:
        brokers["redis"] = RedisBroker(
            RedisSettings(
                url=args.redis,
                name_prefix=args.prefix,
                block_ms=100,
                max_connections=args.redis_connections,
            )
        )
    messaging = Messaging(kafka=brokers.get("kafka"), redis=brokers.get("redis"))
    channels = {}
    for transport in brokers:
        other = "redis" if transport == "kafka" else "kafka"
        spec = replace(TRADES, consume_from=transport, retry=retry, **{other: None})
        channel = Channel(spec, messaging)
        channel.handler(_handler(transport, line))
        channels[transport] = channel
    database = None
    if args.postgres:
        database = Database(
            DatabaseSettings(url=args.postgres, max_size=args.db_connections)
        )

    async def work() -> None:
        await asyncio.gather(
            *(_publish(t, c, args, line) for t, c in channels.items()),
            _query(database, args.queries, line),
            _kill_consumers(args.kill_consumers_after),
        )
        line("main done")

    service = Service(
        "fault-service",
        messaging=messaging,
        database=database,
        settings=ServiceSettings(
            logging=LoggingSettings(level="INFO", format="json"),
            http=HttpSettings(host="127.0.0.1", port=args.port),
            shutdown_timeout_s=10,
            startup_timeout_s=args.startup_timeout,
        ),
    )
    try:
        asyncio.run(service.run(work))
    finally:
        line(f"exit {service.state}")


def _handler(transport: str, write: Line) -> Handler[Trade]:

    async def handle(trade: Trade, ctx: MessageContext) -> None:
        write(f"handled {transport} {trade.sequence}")

    return handle


async def _publish(
    transport: str, channel: Channel[Trade], a: argparse.Namespace, write: Line
) -> None:
    template = simulated_trades(1)[0]
    for i in range(a.publish):
        trade = template.model_copy(update={"sequence": i})
        try:
            await channel.publish(trade)
        except Exception as exc:
            write(f"error publish {transport} {i} {type(exc).__name__}: {exc}")
            continue
        write(f"published {transport} {i}")
        await asyncio.sleep(1 / a.rate)


async def _query(database: Database | None, n: int, write: Line) -> None:
    if database is None:
        return

    async def one(i: int) -> None:
        try:
            if await database.fetchval("SELECT $1::int", i) != i:
                write(f"error query {i} wrong answer")
        except Exception as exc:
            write(f"error query {i} {type(exc).__name__}: {exc}")

    for start in range(0, n, 50):
        await asyncio.gather(*(one(i) for i in range(start, min(n, start + 50))))
        await asyncio.sleep(0.01)
    write(f"queries {n}")


async def _kill_consumers(after: float | None) -> None:
    """Fault injection: cancel the consumer tasks from outside, as a bug in a
    library would, to check the service notices and exits non-zero."""
    if after is None:
        return
    await asyncio.sleep(after)
    prefixes = ("kafka-consumer:", "redis-consumer:")
    tasks = [t for t in asyncio.all_tasks() if t.get_name().startswith(prefixes)]
    # Again until they end: a client library may turn one cancellation into
    # an error of its own, which the consumer loop survives.
    while not all(t.done() for t in tasks):
        for t in tasks:
            t.cancel()
        await asyncio.sleep(0.02)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    main()

"""One side of the cross-process tracing tests, run as a subprocess under
the service runner (so that tracing comes from the ``OTEL_*`` variables):
``publish`` sends ``--count`` trades on the market-data ``trades`` channel
(to Kafka and Redis: it fans out) and exits; ``consume`` handles them from
both transports, prints ``handled <transport> <sequence>`` lines to stderr
and exits once it saw ``--count`` from each."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(
    0,
    str(Path(__file__).resolve().parent.parent / "generated-examples/market-data/src"),
)

from market_data.app import simulated_trades
from market_data.generated.channels import TRADES
from market_data.generated.models import Trade

from svcforge.messaging import (
    Channel,
    Handler,
    KafkaBroker,
    KafkaSettings,
    MessageContext,
    Messaging,
    RedisBroker,
    RedisSettings,
)
from svcforge.service import HttpSettings, LoggingSettings, Service, ServiceSettings


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["publish", "consume"])
    p.add_argument("--kafka", required=True)
    p.add_argument("--redis", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--count", type=int, default=3)
    args = p.parse_args()
    messaging = Messaging(
        kafka=KafkaBroker(
            KafkaSettings(
                bootstrap_servers=args.kafka,
                name_prefix=args.prefix,
                enable_idempotence=False,
                session_timeout_ms=1000,
                heartbeat_interval_ms=300,
                fetch_max_wait_ms=50,
            )
        ),
        redis=RedisBroker(
            RedisSettings(url=args.redis, name_prefix=args.prefix, block_ms=100)
        ),
    )
    done = asyncio.Event()
    seen: Counter[str] = Counter()
    if args.role == "publish":
        channel = Channel(replace(TRADES, consume_from=None), messaging)

        async def work() -> None:
            for trade in simulated_trades(args.count):
                await channel.publish(trade)

    else:
        for transport in ("kafka", "redis"):
            other = "redis" if transport == "kafka" else "kafka"
            spec = replace(TRADES, consume_from=transport, **{other: None})

            def handler(transport: str = transport) -> Handler[Trade]:
                async def handle(trade: Trade, ctx: MessageContext) -> None:
                    print(f"handled {transport} {trade.sequence}", file=sys.stderr)
                    seen[transport] += 1
                    if min(seen["kafka"], seen["redis"]) >= args.count:
                        done.set()

                return handle

            Channel(spec, messaging).handler(handler())

        async def work() -> None:
            await asyncio.wait_for(done.wait(), 60)

    service = Service(
        f"tracing-{args.role}",
        messaging=messaging,
        settings=ServiceSettings(
            logging=LoggingSettings(level="INFO", format="json"),
            http=HttpSettings(enabled=False),
            startup_timeout_s=30,
        ),
    )
    asyncio.run(service.run(work, stop_when_main_returns=True))


if __name__ == "__main__":
    main()

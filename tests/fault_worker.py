"""A consumer process for the fault tests: consumes the market-data ``trades``
channel from Kafka or Redis through the svcforge runtime and appends
``start <sequence>`` / ``done <sequence>`` lines to a file (one ``write`` per
line, so a SIGKILL never leaves half a line).  SIGTERM stops it gracefully."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(
    0,
    str(Path(__file__).resolve().parent.parent / "generated-examples/market-data/src"),
)

from market_data.generated.channels import TRADES
from market_data.generated.models import Trade

from svcforge.messaging import (
    ConsumeChannel,
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


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--transport", choices=("kafka", "redis"), required=True)
    p.add_argument("--server", required=True, help="bootstrap servers or Redis URL")
    p.add_argument("--prefix", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--claim-idle-ms", type=int, default=1000)
    return p.parse_args()


def main() -> None:
    args = parse()
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    if args.transport == "kafka":
        broker = KafkaBroker(
            KafkaSettings(
                bootstrap_servers=args.server,
                name_prefix=args.prefix,
                enable_idempotence=False,
                session_timeout_ms=1000,
                heartbeat_interval_ms=300,
                fetch_max_records=args.batch,
            )
        )
        spec = replace(TRADES, redis=None, consume_from="kafka")
        messaging = Messaging(kafka=broker)
    else:
        messaging = Messaging(
            redis=RedisBroker(
                RedisSettings(
                    url=args.server,
                    name_prefix=args.prefix,
                    read_count=args.batch,
                    block_ms=100,
                    claim_idle_ms=args.claim_idle_ms,
                    claim_interval_ms=200,
                )
            )
        )
        spec = replace(TRADES, kafka=None, consume_from="redis")
    spec = replace(spec, retry=RetryPolicy(attempts=1))
    channel = ConsumeChannel(spec, messaging)

    @channel.handler
    async def handle(trade: Trade, ctx: MessageContext) -> None:
        os.write(fd, f"start {trade.sequence}\n".encode())
        if args.delay:
            await asyncio.sleep(args.delay)
        os.write(fd, f"done {trade.sequence}\n".encode())

    service = Service(
        "fault-worker",
        messaging=messaging,
        settings=ServiceSettings(
            logging=LoggingSettings(level="INFO", format="json"),
            http=HttpSettings(enabled=False),
            shutdown_timeout_s=10,
        ),
    )
    asyncio.run(service.run())
    os.write(fd, b"exit\n")


if __name__ == "__main__":
    main()

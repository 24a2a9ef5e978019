"""The market-data consumer for the consume -> store fault tests, run as a
subprocess on real servers: ``publish N`` puts trades 1..N on the Kafka topic
(nothing else); ``consume`` runs the service built from its generated
Settings (``MARKET_DATA_*`` variables), its ``trades`` channel consumed by
the generated store, with one extra hook in each batch's transaction that
appends ``open <rows>`` to ``--out`` and holds the transaction open for
``--hold`` seconds, so that a SIGKILL from the test lands inside a stored
batch."""

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

from market_data.app import simulated_trades, wire
from market_data.generated.channels import TRADES
from market_data.generated.models import Trade
from market_data.generated.settings import Settings
from market_data.generated.wiring import build

from svcforge.db import Connection
from svcforge.messaging import KafkaBroker, Messaging, PublishChannel


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["publish", "consume"])
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--out")
    p.add_argument("--hold", type=float, default=0.1)
    return p.parse_args()


async def publish(count: int) -> None:
    settings = Settings.load()
    messaging = Messaging(kafka=KafkaBroker(settings.kafka))
    channel = PublishChannel(replace(TRADES, redis=None), messaging)
    await messaging.start()
    try:
        pending = [await channel.send(t) for t in simulated_trades(count)]
        await asyncio.gather(*pending)
    finally:
        await messaging.stop()


def consume(out: str, hold: float) -> None:
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    app = build()
    wire(app)

    @app.stores.trades.also
    async def held(conn: Connection, trades: list[Trade]) -> None:
        os.write(fd, f"open {len(trades)}\n".encode())
        await asyncio.sleep(hold)

    asyncio.run(app.run())


def main() -> None:
    args = parse()
    if args.mode == "publish":
        asyncio.run(publish(args.count))
    else:
        consume(args.out, args.hold)


if __name__ == "__main__":
    main()

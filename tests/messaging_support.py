"""Shared by the messaging tests: the market-data example's generated channels
(a real generated service) and a broker-neutral view of the test servers."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

_SRC = Path(__file__).resolve().parent.parent / "generated-examples/market-data/src"
if str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

from market_data.app import simulated_trades  # noqa: E402
from market_data.generated import channels as market_channels  # noqa: E402
from market_data.generated.channels import TRADES  # noqa: E402
from market_data.generated.codecs import CANDLE_AVRO, TRADE_AVRO, TRADE_JSON  # noqa: E402
from market_data.generated.examples import example_candle, example_trade  # noqa: E402
from market_data.generated.models import Candle, Trade  # noqa: E402

from svcforge.messaging import (  # noqa: E402
    KafkaBroker,
    KafkaSettings,
    Messaging,
    PublishChannel,
    RedisBroker,
    RedisSettings,
    Transport,
)

__all__ = [
    "CANDLE_AVRO",
    "TRADES",
    "TRADE_AVRO",
    "TRADE_JSON",
    "Candle",
    "Server",
    "Trade",
    "example_candle",
    "example_trade",
    "market_channels",
    "publish",
    "trades",
]


@dataclass
class Server:
    """A real test server of one transport, with a per-test name prefix."""

    transport: Transport
    address: str
    prefix: str

    def kafka_settings(self, **changes: Any) -> KafkaSettings:
        options: dict[str, Any] = {
            "enable_idempotence": False,  # Tansu has no idempotent producers
            "session_timeout_ms": 1000,
            "heartbeat_interval_ms": 300,
            **changes,
        }
        return KafkaSettings(
            bootstrap_servers=self.address, name_prefix=self.prefix, **options
        )

    def redis_settings(self, **changes: Any) -> RedisSettings:
        return RedisSettings(
            url=self.address, name_prefix=self.prefix, block_ms=100, **changes
        )

    def messaging(self, **changes: Any) -> Messaging:
        if self.transport == "kafka":
            return Messaging(kafka=KafkaBroker(self.kafka_settings(**changes)))
        return Messaging(redis=RedisBroker(self.redis_settings(**changes)))

    def spec(self, **changes: Any) -> Any:
        """The market-data ``trades`` channel on this transport only."""
        if self.transport == "kafka":
            return replace(TRADES, redis=None, consume_from="kafka", **changes)
        return replace(TRADES, kafka=None, consume_from="redis", **changes)


def trades(n: int) -> list[Trade]:
    """``n`` trades whose ``sequence`` is 0..n-1."""
    out = simulated_trades(n)
    for i, t in enumerate(out):
        t.sequence = i
    return out


async def publish(server: Server, messages: list[Trade]) -> None:
    messaging = server.messaging()
    channel = PublishChannel(server.spec(), messaging)
    async with messaging:
        await asyncio.gather(*[await channel.send(m) for m in messages])

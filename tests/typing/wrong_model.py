"""mypy must reject this file: it publishes a Candle on the trades channel and
registers a handler typed for the wrong model (see test_channel_typing.py)."""

from market_data.generated.channels import Channels
from market_data.generated.examples import example_candle
from market_data.generated.models import Candle

from svcforge.messaging import MessageContext, Messaging


async def publish_wrong_model(channels: Channels) -> None:
    await channels.trades.publish(example_candle())


async def handle_candle(candle: Candle, ctx: MessageContext) -> None:
    return None


def register_wrong_handler(messaging: Messaging) -> None:
    Channels(messaging).trades.handler(handle_candle)


async def publish_to_consume_only(channels: Channels) -> None:
    await channels.candles.handler(handle_candle)

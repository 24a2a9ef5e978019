"""mypy --strict accepts this file: the typed use of a generated channel."""

from market_data.generated.channels import Channels
from market_data.generated.examples import example_trade
from market_data.generated.models import Trade

from svcforge.messaging import MessageContext, Messaging


async def publish_trade(channels: Channels) -> None:
    await channels.trades.publish(example_trade())


def register(messaging: Messaging) -> Channels:
    channels = Channels(messaging)

    @channels.trades.handler
    async def store(trade: Trade, ctx: MessageContext) -> None:
        ctx.log.info("stored", symbol=trade.symbol)

    return channels

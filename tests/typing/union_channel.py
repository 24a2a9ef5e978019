"""mypy --strict on the typed use of a union message's channel (the golden
case ``avro_messages``): publish takes any record of the union, the handler
receives the union and dispatches by type, exhaustively."""

from typing import assert_never

from golden_avro_messages.generated.channels import Channels
from golden_avro_messages.generated.models import (
    Labelled,
    OrderCancelled,
    OrderEvents,
    OrderPlaced,
)

from svcforge.messaging import MessageContext, Messaging


async def publish(
    channels: Channels, placed: OrderPlaced, gone: OrderCancelled
) -> None:
    await channels.orders.publish(placed)
    await channels.orders.publish(gone)


def register(messaging: Messaging) -> Channels:
    channels = Channels(messaging)

    @channels.orders.handler
    async def on_order(event: OrderEvents, ctx: MessageContext) -> None:
        match event:
            case OrderPlaced():
                ctx.log.info("placed", total=str(event.total))
            case OrderCancelled():
                ctx.log.info("cancelled", reason=event.reason)
            case _:
                assert_never(event)

    return channels


async def wrong(channels: Channels, labelled: Labelled) -> None:
    await channels.orders.publish(labelled)  # the one error expected

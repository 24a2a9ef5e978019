"""Helpers for tests of channels (the generated channel tests use them)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TypeVar

from pydantic import BaseModel

from svcforge.messaging._channel import Channel, Messaging
from svcforge.messaging._context import MessageContext
from svcforge.messaging._spec import ChannelSpec, Transport

__all__ = ["round_trip"]

M = TypeVar("M", bound=BaseModel)


async def round_trip(
    messaging: Messaging,
    spec: ChannelSpec[M],
    message: M,
    transport: Transport,
    *,
    timeout: float = 30.0,
) -> tuple[M, MessageContext]:
    """Publish ``message`` on one transport of ``spec`` and consume it back
    (in the channel's group, or a test group), through real code paths:
    encoding, headers, broker, consumer group, decoding, handler."""
    if spec.route(transport) is None:
        raise ValueError(f"channel {spec.name} is not on {transport}")
    one = replace(
        spec,
        kafka=spec.kafka if transport == "kafka" else None,
        redis=spec.redis if transport == "redis" else None,
        consume_from=transport,
        group=spec.group or f"{spec.name}-test",
    )
    received: asyncio.Queue[tuple[M, MessageContext]] = asyncio.Queue()

    async def handle(got: M, ctx: MessageContext) -> None:
        await received.put((got, ctx))

    channel = Channel(one, messaging)
    channel.handler(handle)
    async with messaging:
        await channel.publish(message)
        return await asyncio.wait_for(received.get(), timeout)

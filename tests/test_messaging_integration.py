"""Every example channel, published and consumed on each of its transports
through the real Kafka-protocol broker and the real Redis the suite starts."""

from __future__ import annotations

import asyncio
import importlib
from collections import defaultdict
from typing import Any

import messaging_support as ms
import pytest
from pydantic import BaseModel

from svcforge.messaging import (
    Channel,
    ChannelSpec,
    KafkaBroker,
    MessageContext,
    Messaging,
    RedisBroker,
    Transport,
)
from svcforge.messaging.testing import round_trip


def _cases() -> list[Any]:
    examples = importlib.import_module("market_data.generated.examples")
    cases = []
    for spec in ms.market_channels.ALL:
        model = spec.model.__name__
        make = next(
            getattr(examples, name)
            for name in dir(examples)
            if name.startswith("example_")
            and getattr(examples, name).__annotations__.get("return")
            in (model, spec.model)
        )
        for transport in spec.transports:
            cases.append(
                pytest.param(spec, make, transport, id=f"{spec.name}-{transport}")
            )
    return cases


CASES = _cases()


def test_both_transports_are_covered() -> None:
    assert {c.values[2] for c in CASES} == {"kafka", "redis"}
    assert len(CASES) == sum(len(s.transports) for s in ms.market_channels.ALL)


@pytest.mark.parametrize(("spec", "example", "transport"), CASES)
def test_round_trip_on_the_real_server(
    spec: ChannelSpec[Any],
    example: Any,
    transport: Transport,
    request: pytest.FixtureRequest,
    unique_name: str,
) -> None:
    if transport == "kafka":
        server = ms.Server(
            "kafka", request.getfixturevalue("kafka_bootstrap"), f"{unique_name}."
        )
    else:
        server = ms.Server(
            "redis", request.getfixturevalue("redis_url"), f"{unique_name}:"
        )
    sent: BaseModel = example()
    got, ctx = asyncio.run(round_trip(server.messaging(), spec, sent, transport))
    assert got == sent
    assert ctx.channel == spec.name and ctx.transport == transport
    assert ctx.message_type == spec.message_type
    assert ctx.schema_id == spec.schema_id
    assert ctx.content_type == "application/avro"
    assert ctx.produced_at is not None
    assert ctx.traceparent is not None and ctx.traceparent.startswith("00-")
    if spec.key is not None:
        assert ctx.key == spec.key(sent).encode()


def test_fan_out_channel_reaches_both_transports(
    kafka_bootstrap: str, redis_url: str, unique_name: str
) -> None:
    """One publish of the trades channel lands on the Kafka topic and on the
    Redis stream (the fast path and the durable path)."""
    kafka = ms.Server("kafka", kafka_bootstrap, f"{unique_name}.")
    redis = ms.Server("redis", redis_url, f"{unique_name}:")

    async def scenario() -> tuple[list[str], list[str]]:
        publisher = Messaging(
            kafka=KafkaBroker(kafka.kafka_settings()),
            redis=RedisBroker(redis.redis_settings()),
        )
        channels = ms.market_channels.Channels(publisher)
        seen: dict[str, list[str]] = defaultdict(list)
        # Two consumers of the same channel, one per transport.
        consumers = []
        for server in (kafka, redis):
            messaging = server.messaging()
            channel = Channel(server.spec(), messaging)

            async def handle(trade: ms.Trade, ctx: MessageContext) -> None:
                seen[ctx.transport].append(trade.symbol)

            channel.handler(handle)
            consumers.append(messaging)
        async with publisher:
            for m in consumers:
                await m.start()
            for trade in ms.trades(6):
                await channels.trades.publish(trade)
            for _ in range(200):
                if len(seen["kafka"]) == 6 and len(seen["redis"]) == 6:
                    break
                await asyncio.sleep(0.05)
            for m in consumers:
                await m.stop()
        return seen["kafka"], seen["redis"]

    via_kafka, via_redis = asyncio.run(scenario())
    assert (
        sorted(via_kafka) == sorted(via_redis) == sorted(t.symbol for t in ms.trades(6))
    )


def test_kafka_keeps_order_per_partition(
    kafka_bootstrap: str, unique_name: str
) -> None:
    """Messages with one key land on one partition and are handled in the
    order they were published, while partitions run concurrently."""
    server = ms.Server("kafka", kafka_bootstrap, f"{unique_name}.")
    n = 300

    async def scenario() -> dict[str, list[int]]:
        await ms.publish(server, ms.trades(n))
        messaging = server.messaging(fetch_max_records=50)
        channel = Channel(server.spec(), messaging)
        order: dict[str, list[int]] = defaultdict(list)
        partitions: dict[str, set[int]] = defaultdict(set)

        @channel.handler
        async def handle(trade: ms.Trade, ctx: MessageContext) -> None:
            order[trade.symbol].append(trade.sequence)
            assert ctx.partition is not None
            partitions[trade.symbol].add(ctx.partition)
            await asyncio.sleep(0)

        async with messaging:
            for _ in range(300):
                if sum(map(len, order.values())) >= n:
                    break
                await asyncio.sleep(0.05)
        assert all(len(p) == 1 for p in partitions.values())
        return order

    order = asyncio.run(scenario())
    assert sum(map(len, order.values())) == n
    for seqs in order.values():
        assert seqs == sorted(seqs)


def test_two_kafka_consumers_in_a_group_split_the_work(
    kafka_bootstrap: str, unique_name: str
) -> None:
    """Two members of one group share the partitions; with commits after
    each batch, every message is handled, none twice (a clean rebalance)."""
    server = ms.Server("kafka", kafka_bootstrap, f"{unique_name}.")
    n = 240

    async def scenario() -> tuple[list[int], list[int]]:
        await ms.publish(server, ms.trades(n))
        got: list[list[int]] = [[], []]
        members = []
        for i in range(2):
            messaging = server.messaging(fetch_max_records=20)
            channel = Channel(server.spec(), messaging)

            async def handle(trade: ms.Trade, ctx: MessageContext, i: int = i) -> None:
                got[i].append(trade.sequence)
                await asyncio.sleep(0.002)

            channel.handler(handle)
            members.append(messaging)
        await members[0].start()
        await members[1].start()
        for _ in range(400):
            if len(got[0]) + len(got[1]) >= n:
                break
            await asyncio.sleep(0.05)
        await asyncio.gather(*(m.stop() for m in members))
        return got[0], got[1]

    first, second = asyncio.run(scenario())
    assert sorted(first + second) == list(range(n))


def test_redis_entry_delivered_too_often_is_dead_lettered_unhandled(
    redis_url: str, unique_name: str
) -> None:
    """An entry that keeps coming back (say it crashed consumers) goes to the
    dead-letter stream once Redis counts more than ``max_deliveries``
    deliveries, without running the handler again."""
    from redis.asyncio import Redis

    from svcforge.messaging import RetryPolicy

    server = ms.Server("redis", redis_url, f"{unique_name}:")
    spec = server.spec(retry=RetryPolicy(max_deliveries=3))
    stream = f"{server.prefix}market-data:trades"
    group = f"{server.prefix}market-data-store"

    async def scenario() -> tuple[list[int], list[dict[bytes, bytes]], int]:
        await ms.publish(server, ms.trades(1))
        client = Redis.from_url(redis_url)
        await client.xgroup_create(stream, group, id="0")
        reply = await client.xreadgroup(group, "ghost", {stream: ">"}, count=1)
        entry_id = reply[0][1][0][0]
        for _ in range(4):  # each XCLAIM counts one more delivery
            await client.xclaim(stream, group, "ghost", 0, [entry_id])
        messaging = server.messaging(claim_idle_ms=0, claim_interval_ms=100)
        channel = Channel(spec, messaging)
        handled: list[int] = []

        @channel.handler
        async def handle(trade: ms.Trade, ctx: MessageContext) -> None:
            handled.append(trade.sequence)

        dead: list[Any] = []
        async with messaging:
            for _ in range(100):
                dead = await client.xrange(f"{stream}.dlq")
                if dead:
                    break
                await asyncio.sleep(0.05)
        pending = (await client.xpending(stream, group))["pending"]
        await client.aclose()
        return handled, [fields for _, fields in dead], int(pending)

    handled, dead, pending = asyncio.run(scenario())
    assert handled == []
    assert len(dead) == 1
    assert dead[0][b"h:error-reason"] == b"max-deliveries"
    assert dead[0][b"h:error-message"].startswith(b"delivered 6 times")
    assert pending == 0

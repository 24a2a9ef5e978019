"""The in-memory broker (a product feature for users' unit tests) and the
consumer pipeline it shares with the real brokers: typing at run time,
wrong or unknown messages, retries, trace propagation, bound log fields."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from typing import Any

import messaging_support as ms
import pytest

from svcforge.messaging import (
    Channel,
    InMemoryBroker,
    KafkaRoute,
    MessageContext,
    Messaging,
    RetryPolicy,
    TraceContext,
)
from svcforge.service import LoggingSettings, configure_logging

SPEC = replace(
    ms.TRADES, redis=None, retry=RetryPolicy(attempts=2, backoff_ms=1, max_backoff_ms=2)
)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def memory() -> tuple[Messaging, InMemoryBroker]:
    messaging = Messaging.in_memory()
    broker = messaging.broker("kafka")
    assert isinstance(broker, InMemoryBroker)
    return messaging, broker


def test_publish_rejects_another_model_at_run_time() -> None:
    async def scenario() -> None:
        messaging, _ = memory()
        channel = Channel(SPEC, messaging)
        async with messaging:
            await channel.publish(ms.example_candle())  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="carries Trade, not Candle"):
        run(scenario())


def test_every_message_carries_the_headers() -> None:
    async def scenario() -> dict[str, bytes]:
        messaging, broker = memory()
        channel = Channel(SPEC, messaging)
        async with messaging:
            await channel.publish(ms.example_trade(), headers={"tenant": "acme"})
        return dict(broker.messages("market-data.trades")[0].headers)

    headers = run(scenario())
    assert headers["message-type"] == b"com.svcforge.marketdata.Trade"
    assert headers["schema-id"] == ms.TRADE_AVRO.fingerprint.hex().encode()
    assert headers["content-type"] == b"application/avro"
    assert headers["produced-at"].isdigit()
    assert TraceContext.parse(headers["traceparent"].decode()) is not None
    assert headers["tenant"] == b"acme"


def test_publishing_inside_a_handler_continues_the_trace() -> None:
    forward = replace(
        SPEC,
        name="forwarded",
        kafka=KafkaRoute("forwarded", "forwarded.dlq"),
        consume_from=None,
    )

    async def scenario() -> tuple[str, str]:
        messaging, broker = memory()
        inbound = Channel(SPEC, messaging)
        outbound = Channel(forward, messaging)

        @inbound.handler
        async def relay(trade: ms.Trade, ctx: MessageContext) -> None:
            await outbound.publish(trade)

        async with messaging:
            await inbound.publish(ms.example_trade())
            await messaging.drain()
        first = broker.messages("market-data.trades")[0].header("traceparent")
        second = broker.messages("forwarded")[0].header("traceparent")
        assert first is not None and second is not None
        return first, second

    first, second = run(scenario())
    parent, child = TraceContext.parse(first), TraceContext.parse(second)
    assert parent is not None and child is not None
    assert child.trace_id == parent.trace_id
    assert child.span_id != parent.span_id


async def _dead_letter(
    raw: bytes, headers: list[tuple[str, bytes]]
) -> dict[str, bytes]:
    messaging, broker = memory()
    channel = Channel(SPEC, messaging)
    handled: list[Any] = []

    @channel.handler
    async def handle(trade: ms.Trade, ctx: MessageContext) -> None:
        handled.append(trade)

    async with messaging:
        assert SPEC.kafka is not None
        await broker.send(SPEC.kafka, None, raw, headers)
        await messaging.drain()
    assert handled == []
    (dead,) = broker.messages("market-data.trades.dlq")
    assert dead.value == raw
    return dict(dead.headers)


def test_a_message_of_another_type_is_dead_lettered_with_the_reason() -> None:
    headers = run(_dead_letter(ms.CANDLE_AVRO.encode(ms.example_candle()), []))
    assert headers["error-reason"] == b"wrong-message-type"
    assert b"got com.svcforge.marketdata.Candle" in headers["error-message"]
    assert headers["source-topic"] == b"market-data.trades"
    assert headers["source-offset"] == b"0"


def test_an_unknown_schema_is_dead_lettered_with_the_reason() -> None:
    data = ms.TRADE_AVRO.encode(ms.example_trade())
    headers = run(_dead_letter(b"\xc3\x01" + bytes(8) + data[10:], []))
    assert headers["error-reason"] == b"unknown-schema"
    assert b"0000000000000000" in headers["error-message"]


def test_unframed_and_corrupt_bytes_are_dead_lettered() -> None:
    assert run(_dead_letter(b'{"json": true}', []))["error-reason"] == b"unknown-schema"
    data = ms.TRADE_AVRO.encode(ms.example_trade())
    assert run(_dead_letter(data[:-3], []))["error-reason"] == b"decode-error"


def test_json_channel_checks_the_message_type_header() -> None:
    spec = replace(SPEC, codec=ms.TRADE_JSON)

    async def scenario() -> dict[str, bytes]:
        messaging, broker = memory()
        channel = Channel(spec, messaging)
        channel.handler(_ignore)
        async with messaging:
            assert spec.kafka is not None
            await broker.send(
                spec.kafka,
                None,
                ms.TRADE_JSON.encode(ms.example_trade()),
                [("message-type", b"com.svcforge.marketdata.Candle")],
            )
            await channel.publish(ms.example_trade())
            await messaging.drain()
        assert len(broker.messages("market-data.trades.dlq")) == 1
        return dict(broker.messages("market-data.trades.dlq")[0].headers)

    headers = run(scenario())
    assert headers["error-reason"] == b"wrong-message-type"
    assert b"got com.svcforge.marketdata.Candle" in headers["error-message"]


async def _ignore(trade: ms.Trade, ctx: MessageContext) -> None:
    return None


def test_a_transient_failure_is_retried_and_then_succeeds() -> None:
    async def scenario() -> tuple[list[int], int]:
        messaging, broker = memory()
        channel = Channel(
            replace(
                SPEC, retry=RetryPolicy(attempts=3, backoff_ms=1, max_backoff_ms=5)
            ),
            messaging,
        )
        attempts: list[int] = []

        @channel.handler
        async def flaky(trade: ms.Trade, ctx: MessageContext) -> None:
            attempts.append(ctx.attempt)
            if ctx.attempt < 3:
                raise ConnectionError("database busy")

        async with messaging:
            await channel.publish(ms.example_trade())
            await messaging.drain()
        return attempts, len(broker.messages("market-data.trades.dlq"))

    attempts, dead = run(scenario())
    assert attempts == [1, 2, 3]
    assert dead == 0


def test_log_lines_inside_a_handler_carry_channel_partition_offset() -> None:
    stream = io.StringIO()
    configure_logging(LoggingSettings(level="INFO", format="json"), stream=stream)
    try:

        async def scenario() -> None:
            messaging, _ = memory()
            channel = Channel(SPEC, messaging)

            @channel.handler
            async def handle(trade: ms.Trade, ctx: MessageContext) -> None:
                ctx.log.info("stored", symbol=trade.symbol)

            async with messaging:
                await channel.publish(ms.example_trade())
                await channel.publish(ms.example_trade())
                await messaging.drain()

        run(scenario())
    finally:
        import structlog

        structlog.reset_defaults()
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    stored = [r for r in records if r["event"] == "stored"]
    assert [
        (r["channel"], r["topic"], r["partition"], r["offset"]) for r in stored
    ] == [
        ("trades", "market-data.trades", 0, 0),
        ("trades", "market-data.trades", 0, 1),
    ]
    assert all(r["level"] == "info" and "timestamp" in r for r in stored)


def test_committed_offset_moves_only_after_the_handler() -> None:
    async def scenario() -> list[int]:
        messaging, broker = memory()
        channel = Channel(SPEC, messaging)
        seen: list[int] = []

        @channel.handler
        async def handle(trade: ms.Trade, ctx: MessageContext) -> None:
            seen.append(broker.committed("market-data.trades", "market-data-store"))

        async with messaging:
            for _ in range(3):
                await channel.publish(ms.example_trade())
            await messaging.drain()
        seen.append(broker.committed("market-data.trades", "market-data-store"))
        return seen

    assert run(scenario()) == [0, 1, 2, 3]

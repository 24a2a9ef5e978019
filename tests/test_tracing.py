"""Tracing with OpenTelemetry, in one process: the spans of publishes,
handled messages (one at a time and in batches) and database calls, their
parents and semantic-convention attributes, the context in ``traceparent``,
log lines carrying the ids, and the set-up from OpenTelemetry's variables.
Across processes: tests/test_tracing_processes.py."""

from __future__ import annotations

import asyncio
import importlib
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import messaging_support as ms
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode

from svcforge.messaging import (
    Channel,
    KafkaRoute,
    MessageContext,
    Messaging,
    RetryPolicy,
    TraceContext,
    current_trace,
)
from svcforge.service import LoggingSettings, configure_logging
from svcforge.tracing import (
    configure_tracing,
    disable_tracing,
    enable_tracing,
    shutdown_tracing,
    tracing_enabled,
)

SPEC = replace(
    ms.TRADES, redis=None, retry=RetryPolicy(attempts=2, backoff_ms=1, max_backoff_ms=2)
)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    enable_tracing(provider)
    yield exporter
    disable_tracing()
    provider.shutdown()


def by_kind(exporter: InMemorySpanExporter, kind: SpanKind) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.kind == kind]


def ids_of(span: ReadableSpan) -> tuple[str, str]:
    sc = span.get_span_context()
    assert sc is not None
    return f"{sc.trace_id:032x}", f"{sc.span_id:016x}"


def test_tracing_is_off_until_enabled() -> None:
    assert not tracing_enabled()


def test_a_handled_message_is_the_child_of_its_publish(
    spans: InMemorySpanExporter,
) -> None:
    async def scenario() -> list[bytes]:
        messaging = Messaging.in_memory()
        channel = Channel(SPEC, messaging)
        seen: list[bytes] = []

        @channel.handler
        async def handle(trade: ms.Trade, ctx: MessageContext) -> None:
            seen.append(ctx.headers["traceparent"])

        async with messaging:
            await channel.publish(ms.example_trade())
            await messaging.drain()
        return seen

    (carried,) = asyncio.run(scenario())
    (producer,) = by_kind(spans, SpanKind.PRODUCER)
    (consumer,) = by_kind(spans, SpanKind.CONSUMER)
    # The record carries the producer span's own context ...
    parsed = TraceContext.parse(carried.decode())
    assert parsed is not None
    assert (parsed.trace_id, parsed.span_id) == ids_of(producer)
    # ... and the consumer span continues it.
    assert consumer.parent is not None
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.context.trace_id == producer.context.trace_id
    assert producer.name == "send market-data.trades"
    assert consumer.name == "process market-data.trades"
    attrs = dict(producer.attributes or {})
    assert attrs == {
        "messaging.system": "kafka",
        "messaging.destination.name": "market-data.trades",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.kafka.message.key": ms.example_trade().symbol,
        "svcforge.channel": "trades",
    }
    attrs = dict(consumer.attributes or {})
    assert attrs["messaging.operation.type"] == "process"
    assert attrs["messaging.consumer.group.name"] == SPEC.group
    assert attrs["messaging.destination.partition.id"] == "0"
    assert attrs["messaging.kafka.offset"] == 0
    assert consumer.status.status_code == StatusCode.UNSET


def test_publishing_in_a_handler_makes_a_child_of_the_consumer_span(
    spans: InMemorySpanExporter,
) -> None:
    forward = replace(
        SPEC,
        name="forwarded",
        kafka=KafkaRoute("forwarded", "forwarded.dlq"),
        consume_from=None,
    )

    async def scenario() -> None:
        messaging = Messaging.in_memory()
        inbound = Channel(SPEC, messaging)
        outbound = Channel(forward, messaging)

        @inbound.handler
        async def relay(trade: ms.Trade, ctx: MessageContext) -> None:
            await outbound.publish(trade)

        async with messaging:
            await inbound.publish(ms.example_trade())
            await messaging.drain()

    asyncio.run(scenario())
    first, second = sorted(
        by_kind(spans, SpanKind.PRODUCER), key=lambda s: s.start_time or 0
    )
    (consumer,) = by_kind(spans, SpanKind.CONSUMER)
    assert second.name == "send forwarded"
    assert second.parent is not None
    assert second.parent.span_id == consumer.context.span_id
    assert {first.context.trace_id, second.context.trace_id} == {
        consumer.context.trace_id
    }


def test_a_trace_set_by_the_caller_is_continued(spans: InMemorySpanExporter) -> None:
    caller = TraceContext.new()

    async def scenario() -> None:
        messaging = Messaging.in_memory()
        channel = Channel(replace(SPEC, consume_from=None), messaging)
        token = current_trace.set(caller)
        try:
            async with messaging:
                await channel.publish(ms.example_trade())
        finally:
            current_trace.reset(token)

    asyncio.run(scenario())
    (producer,) = by_kind(spans, SpanKind.PRODUCER)
    assert f"{producer.context.trace_id:032x}" == caller.trace_id
    assert producer.parent is not None
    assert f"{producer.parent.span_id:016x}" == caller.span_id


def test_a_dead_lettered_message_has_a_failed_consumer_span(
    spans: InMemorySpanExporter,
) -> None:
    async def scenario() -> None:
        messaging = Messaging.in_memory()
        channel = Channel(SPEC, messaging)

        @channel.handler
        async def handle(trade: ms.Trade, ctx: MessageContext) -> None:
            raise ValueError("no such venue")

        async with messaging:
            await channel.publish(ms.example_trade())
            await messaging.drain()

    asyncio.run(scenario())
    (consumer,) = by_kind(spans, SpanKind.CONSUMER)
    assert consumer.status.status_code == StatusCode.ERROR
    assert "no such venue" in (consumer.status.description or "")
    attrs = consumer.attributes or {}
    assert attrs["svcforge.dead_letter.reason"] == "handler-failed"


def test_a_batch_gives_a_consumer_span_per_message_and_a_linked_batch_span(
    spans: InMemorySpanExporter,
) -> None:
    async def scenario() -> int:
        messaging = Messaging.in_memory()
        channel = Channel(SPEC, messaging)
        sizes: list[int] = []

        @channel.batch_handler
        async def store(trades: list[ms.Trade], contexts: list[Any]) -> None:
            sizes.append(len(trades))

        async with messaging:
            for trade in ms.trades(5):
                await channel.send(trade)
            await messaging.drain()
        return sum(sizes)

    assert asyncio.run(scenario()) == 5
    producers = by_kind(spans, SpanKind.PRODUCER)
    consumers = by_kind(spans, SpanKind.CONSUMER)
    batches = [
        s for s in spans.get_finished_spans() if s.name.startswith("process batch")
    ]
    assert len(producers) == len(consumers) == 5
    by_id = {p.context.span_id: p for p in producers}
    for c in consumers:
        assert c.parent is not None
        assert by_id[c.parent.span_id].context.trace_id == c.context.trace_id
    linked = {link.context.span_id for b in batches for link in b.links}
    assert linked == {c.context.span_id for c in consumers}


def test_log_lines_in_a_handler_carry_the_trace_and_span_ids(
    spans: InMemorySpanExporter,
) -> None:
    out = io.StringIO()
    configure_logging(LoggingSettings(format="json"), stream=out)

    async def scenario() -> None:
        messaging = Messaging.in_memory()
        channel = Channel(SPEC, messaging)

        @channel.handler
        async def handle(trade: ms.Trade, ctx: MessageContext) -> None:
            ctx.log.info("handled")

        async with messaging:
            await channel.publish(ms.example_trade())
            await messaging.drain()

    asyncio.run(scenario())
    (consumer,) = by_kind(spans, SpanKind.CONSUMER)
    (line,) = [json.loads(x) for x in out.getvalue().splitlines() if "handled" in x]
    assert line["trace_id"] == f"{consumer.context.trace_id:032x}"
    assert line["span_id"] == f"{consumer.context.span_id:016x}"


def test_configure_reads_the_standard_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert configure_tracing("svc") is False
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert configure_tracing("svc") is False
    monkeypatch.delenv("OTEL_SDK_DISABLED")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin_json")
    with pytest.raises(RuntimeError, match="no trace exporter 'zipkin_json'"):
        configure_tracing("svc")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
    with pytest.raises(RuntimeError, match="'http/json' is not one of"):
        configure_tracing("svc")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    try:
        assert configure_tracing("svc") is True
        assert tracing_enabled()
    finally:
        shutdown_tracing()
    assert not tracing_enabled()


TABLE = """
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer text NOT NULL,
    total numeric NOT NULL DEFAULT 0
);
"""
QUERIES = """
-- name: big_orders :many
SELECT id, customer FROM orders WHERE total > $1 ORDER BY id;
"""


def test_database_calls_are_client_spans_named_after_the_query(
    spans: InMemorySpanExporter, tmp_path: Path, postgres_dsn: str
) -> None:
    from db_support import import_generated, make_service

    from svcforge.db import Database

    root = make_service(
        tmp_path / "svc", "traced_orders", {"001_orders.sql": TABLE}, {"o.sql": QUERIES}
    )
    queries = import_generated(root, "traced_orders", "queries.o")
    repo_module = importlib.import_module("traced_orders.generated.db.orders")

    async def scenario() -> None:
        async with Database(postgres_dsn) as db:
            await db.execute(TABLE)
            repo = repo_module.OrderRepository(db)
            await repo.insert(repo_module.OrderInsert(id=1, customer="ada", total=5))
            async with db.transaction() as conn:
                assert await repo_module.OrderRepository(conn).get(1) is not None
            rows = await queries.big_orders(db, total=1)
            assert [r.customer for r in rows] == ["ada"]

    spans.clear()
    asyncio.run(scenario())
    client = by_kind(spans, SpanKind.CLIENT)
    names = [s.name for s in client]
    assert names == [
        "CREATE",
        "OrderRepository.insert",
        "OrderRepository.get",
        "big_orders",
    ]
    insert = dict(client[1].attributes or {})
    assert insert["db.system.name"] == "postgresql"
    assert str(insert["db.query.text"]).startswith('INSERT INTO "public"."orders"')
    assert insert["server.address"] == "127.0.0.1"
    assert "db.namespace" in insert
    query = dict(client[3].attributes or {})
    assert query["db.query.text"] == queries.BIG_ORDERS.strip()


def test_a_record_staged_for_the_outbox_carries_a_create_span(
    spans: InMemorySpanExporter,
) -> None:
    channel = Channel(replace(SPEC, consume_from=None), Messaging.in_memory())
    _, _, headers = channel.record(ms.example_trade(), headers={"tenant": "acme"})
    (create,) = by_kind(spans, SpanKind.PRODUCER)
    assert create.name == "create market-data.trades"
    assert (create.attributes or {})["messaging.operation.type"] == "create"
    carried = TraceContext.parse(dict(headers)["traceparent"].decode())
    assert carried is not None
    assert (carried.trace_id, carried.span_id) == ids_of(create)
    assert dict(headers)["tenant"] == b"acme"


def test_a_tracing_variable_that_cannot_work_fails_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from svcforge.service import HttpSettings, Service, ServiceFailed, ServiceSettings

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "no_such_exporter")
    service = Service(
        "traced", settings=ServiceSettings(http=HttpSettings(enabled=False))
    )
    with pytest.raises(ServiceFailed, match="no trace exporter 'no_such_exporter'"):
        asyncio.run(service.run(configure_logs=False))
    assert service.state == "failed"


WITHOUT_OTEL = """
import asyncio, sys
from importlib.abc import MetaPathFinder

class NoOtel(MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoOtel())
import messaging_support as ms
from svcforge.messaging import Channel, Messaging
from svcforge.service import configure_logging
from svcforge.tracing import configure_tracing, tracing_enabled

configure_logging()
async def main():
    messaging = Messaging.in_memory()
    channel = Channel(ms.TRADES, messaging)
    seen = []

    @channel.handler
    async def handle(trade, ctx):
        seen.append(ctx.trace)

    async with messaging:
        await channel.publish(ms.example_trade())
        await messaging.drain()
    return seen

(trace,) = asyncio.run(main())
assert trace is not None and not tracing_enabled()
assert not [m for m in sys.modules if m.startswith("opentelemetry")]
try:
    configure_tracing("svc")
except RuntimeError as exc:
    print(exc)
"""


def test_the_runtime_works_without_opentelemetry() -> None:
    """Without the ``otel`` extra: messages still carry a ``traceparent``,
    nothing imports OpenTelemetry, and asking for an exporter says what to
    install."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_OTEL],
        cwd=Path(__file__).resolve().parent,
        env=env | {"OTEL_TRACES_EXPORTER": "otlp"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "OTEL_TRACES_EXPORTER=otlp needs OpenTelemetry: pip install 'svcforge[otel]'"
    )


def test_a_failing_batch_is_retraced_one_message_at_a_time(
    spans: InMemorySpanExporter,
) -> None:
    """The batch span fails; each message's own CONSUMER span then covers
    its handling alone, and only the poison message's span fails."""
    poison = ms.trades(3)[1].trade_id

    async def scenario() -> None:
        messaging = Messaging.in_memory()
        channel = Channel(SPEC, messaging)

        @channel.batch_handler
        async def store(trades: list[ms.Trade], contexts: list[Any]) -> None:
            if any(t.trade_id == poison for t in trades):
                raise ValueError("constraint violated")

        async with messaging:
            for trade in ms.trades(3):
                await channel.send(trade)
            await messaging.drain()

    asyncio.run(scenario())
    consumers = by_kind(spans, SpanKind.CONSUMER)
    assert len(consumers) == 3
    failed = [c for c in consumers if c.status.status_code == StatusCode.ERROR]
    assert len(failed) == 1
    assert (failed[0].attributes or {})["svcforge.dead_letter.reason"] == (
        "handler-failed"
    )
    batches = [
        s for s in spans.get_finished_spans() if s.name.startswith("process batch")
    ]
    assert batches
    assert any(b.status.status_code == StatusCode.ERROR for b in batches)

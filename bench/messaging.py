"""Typed channels vs the hand-written equivalent, on the same broker and the
same trade message.

Kafka (Tansu on loopback): typed ``send`` of N trades (futures gathered) vs
fastavro-encoding a dict and aiokafka ``send()`` with futures gathered; typed
consume (handler per message, commit per batch) vs aiokafka ``getmany()`` +
fastavro decode + commit per batch.  Redis: typed publish (auto-pipelined
XADD) vs pipelined XADD; typed consume vs XREADGROUP + decode + XACK with
redis.asyncio and hiredis.  Starts its own Tansu and Redis (svcforge.testing).

Both sides of a case run with the same settings: the same producer settings
(no compression: the example channel's lz4 is left out, as the hand-written
producer has none), a topic of the same number of partitions, the same batch
sizes, the same consumer fetch wait (``FETCH_WAIT_MS``).  The typed side
carries what the raw side does not: framing, headers (message type, schema
id, content type, produced-at, traceparent), metrics, the handler context.
Every case runs ``--repeats`` times, typed and raw interleaved (the order
alternates), on fresh topics and streams, each run after ``settle()``; the
table keeps each side's best run, so that a noisy neighbour on a shared
machine hurts the ratio less, and shows the spread of the per-round ratios.

    python bench/messaging.py [--quick] [-n N] [--repeats R] [--tracing]

``--tracing`` (or ``SVCFORGE_BENCH_TRACING=1``) runs the typed side with
tracing on: every publish and handled message a span, sampled, through the
SDK's batch processor to an exporter that only counts them (what tracing
costs the service, without a collector's I/O); the raw side has none.

Ends with ``bench: kafka_publish_vs_raw=… kafka_consume_vs_raw=…
redis_publish_vs_raw=… redis_consume_vs_raw=…`` (typed rate / raw rate).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generated-examples/market-data/src"))

import aiokafka  # noqa: E402
import aiokafka.admin  # noqa: E402
import structlog  # noqa: E402
from fastavro import parse_schema, schemaless_reader, schemaless_writer  # noqa: E402
from market_data.generated.channels import TRADES  # noqa: E402
from market_data.generated.codecs import TRADE_AVRO  # noqa: E402
from market_data.generated.examples import example_trade  # noqa: E402
from market_data.generated.models import Trade  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from svcforge.messaging import (  # noqa: E402
    ConsumeChannel,
    KafkaBroker,
    KafkaSettings,
    MessageContext,
    Messaging,
    PublishChannel,
    RedisBroker,
    RedisSettings,
)
from svcforge.testing import start_kafka, start_redis  # noqa: E402

PARSED = parse_schema(TRADE_AVRO.schema)
BATCH = 1000
PARTITIONS = 3
# The trades' three symbols fill two of the three partitions: with aiokafka's
# default (500 ms) a fetch of the idle one, held by the broker, stalls the
# others at random points of a run, typed or raw alike.  Both consumers use:
FETCH_WAIT_MS = 20
TOPIC = "market-data.trades"
STREAM = "market-data:trades"
# The example channel, on one transport at a time, without lz4 (the raw
# producer compresses nothing either).
KAFKA_TRADES = replace(
    TRADES,
    kafka=replace(TRADES.kafka, compression=None, partitions=PARTITIONS)
    if TRADES.kafka
    else None,
    redis=None,
)
REDIS_TRADES = replace(TRADES, kafka=None, consume_from="redis")


def settle() -> None:
    """Before a timed section (either side): collect, then freeze what is
    alive (the bench's N trades and N dicts, earlier rounds' clients), so
    that a full collection during the run does not walk them.  Without it a
    run that happens to hit one loses tens of milliseconds, typed or raw."""
    gc.collect()
    gc.freeze()


def raw_encode(record: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    schemaless_writer(buf, PARSED, record)
    return buf.getvalue()


def kafka_settings(bootstrap: str, prefix: str) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        name_prefix=prefix,
        enable_idempotence=False,
        session_timeout_ms=1000,
        heartbeat_interval_ms=300,
        fetch_max_records=BATCH,
        fetch_max_wait_ms=FETCH_WAIT_MS,
        linger_ms=5,
        max_batch_size=65536,
    )


def producer_args(bootstrap: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": bootstrap,
        "acks": "all",
        "enable_idempotence": False,
        "linger_ms": 5,
        "max_batch_size": 65536,
    }


class Clock:
    """Time from the first handled message to the last."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.done = asyncio.Event()

    def tick(self) -> None:
        if self.count == 0:
            self.first = time.perf_counter()
        self.count += 1
        if self.count == self.n:
            self.last = time.perf_counter()
            self.done.set()

    @property
    def seconds(self) -> float:
        return self.last - self.first


async def kafka_publish_typed(
    bootstrap: str, trades: list[Trade], prefix: str
) -> float:
    messaging = Messaging(kafka=KafkaBroker(kafka_settings(bootstrap, prefix)))
    channel = PublishChannel(replace(KAFKA_TRADES, consume_from=None), messaging)
    async with messaging:
        await channel.publish(trades[0])  # connect and create the topic first
        settle()
        start = time.perf_counter()
        await asyncio.gather(*[await channel.send(t) for t in trades])
        return time.perf_counter() - start


async def kafka_publish_raw(
    bootstrap: str, records: list[dict[str, Any]], topic: str
) -> float:
    admin = aiokafka.admin.AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:  # the typed broker creates its topic with as many partitions
        await admin.create_topics([aiokafka.admin.NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()
    producer = aiokafka.AIOKafkaProducer(**producer_args(bootstrap))
    await producer.start()
    try:
        await producer.send_and_wait(topic, raw_encode(records[0]))
        settle()
        start = time.perf_counter()
        futures = [
            await producer.send(topic, raw_encode(r), key=r["symbol"].encode())
            for r in records
        ]
        await asyncio.gather(*futures)
        return time.perf_counter() - start
    finally:
        await producer.stop()


async def kafka_consume_typed(bootstrap: str, n: int, prefix: str) -> float:
    messaging = Messaging(kafka=KafkaBroker(kafka_settings(bootstrap, prefix)))
    channel = ConsumeChannel(replace(KAFKA_TRADES, group="bench-typed"), messaging)
    clock = Clock(n)

    @channel.handler
    async def handle(trade: Trade, ctx: MessageContext) -> None:
        clock.tick()

    settle()
    async with messaging:
        await asyncio.wait_for(clock.done.wait(), 300)
    return clock.seconds


async def kafka_consume_raw(bootstrap: str, n: int, topic: str) -> float:
    consumer = aiokafka.AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id="bench-raw",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=1000,
        heartbeat_interval_ms=300,
        max_poll_records=BATCH,
        fetch_max_wait_ms=FETCH_WAIT_MS,
    )
    settle()
    await consumer.start()
    count, first = 0, 0.0
    try:
        while count < n:
            batch = await consumer.getmany(timeout_ms=100, max_records=BATCH)
            for records in batch.values():
                for r in records:
                    if count == 0:
                        first = time.perf_counter()
                    schemaless_reader(io.BytesIO(r.value), PARSED, PARSED)
                    count += 1
            if batch:
                await consumer.commit()
        return time.perf_counter() - first
    finally:
        await consumer.stop()


async def redis_publish_typed(url: str, trades: list[Trade], prefix: str) -> float:
    messaging = Messaging(redis=RedisBroker(RedisSettings(url=url, name_prefix=prefix)))
    channel = PublishChannel(replace(REDIS_TRADES, consume_from=None), messaging)
    async with messaging:
        await channel.publish(trades[0])
        settle()
        start = time.perf_counter()
        await asyncio.gather(*[await channel.send(t) for t in trades])
        return time.perf_counter() - start


async def redis_publish_raw(
    url: str, records: list[dict[str, Any]], stream: str
) -> float:
    client = Redis.from_url(url)
    try:
        await client.xadd(stream, {"value": raw_encode(records[0])})
        settle()
        start = time.perf_counter()
        for i in range(0, len(records), BATCH):
            pipe = client.pipeline(transaction=False)
            for r in records[i : i + BATCH]:
                pipe.xadd(
                    stream,
                    {"value": raw_encode(r), "key": r["symbol"]},
                    maxlen=100000,
                    approximate=True,
                )
            await pipe.execute()
        return time.perf_counter() - start
    finally:
        await client.aclose()


async def redis_consume_typed(url: str, n: int, prefix: str) -> float:
    settings = RedisSettings(
        url=url, name_prefix=prefix, read_count=BATCH, block_ms=100
    )
    messaging = Messaging(redis=RedisBroker(settings))
    channel = ConsumeChannel(replace(REDIS_TRADES, group="bench-typed"), messaging)
    clock = Clock(n)

    @channel.handler
    async def handle(trade: Trade, ctx: MessageContext) -> None:
        clock.tick()

    settle()
    async with messaging:
        await asyncio.wait_for(clock.done.wait(), 300)
    return clock.seconds


async def redis_consume_raw(url: str, n: int, stream: str) -> float:
    client = Redis.from_url(url)
    await client.xgroup_create(stream, "bench-raw", id="0", mkstream=True)
    settle()
    count, first = 0, 0.0
    try:
        while count < n:
            reply = await client.xreadgroup(
                "bench-raw", "raw", {stream: ">"}, count=BATCH, block=100
            )
            if not reply:
                continue
            entries = reply[0][1]
            for _, fields in entries:
                if count == 0:
                    first = time.perf_counter()
                buf = io.BytesIO(fields[b"value"])
                schemaless_reader(buf, PARSED, PARSED)
                count += 1
            await client.xack(stream, "bench-raw", *[e[0] for e in entries])
        return time.perf_counter() - first
    finally:
        await client.aclose()


def make_trades(n: int) -> list[Trade]:
    base = example_trade()
    return [
        base.model_copy(
            update={
                "trade_id": uuid.UUID(int=i + 1),
                "symbol": ("AAPL", "MSFT", "NVDA")[i % 3],
                "sequence": i,
            }
        )
        for i in range(n)
    ]


Job = Callable[[], Awaitable[float]]


def jobs(
    kafka: str, redis: str, trades: list[Trade], records: list[dict[str, Any]], rep: int
) -> dict[str, tuple[Job, Job]]:
    """Round ``rep`` of every case: (typed, raw), on topics and streams of its
    own.  Both consumers read what their publisher wrote in this round: the
    same N trades (+1 warm-up)."""
    n = len(trades)
    typed, raw = f"typed{rep}.", f"raw{rep}."
    return {
        "kafka_publish": (
            lambda: kafka_publish_typed(kafka, trades, typed),
            lambda: kafka_publish_raw(kafka, records, raw + TOPIC),
        ),
        "kafka_consume": (
            lambda: kafka_consume_typed(kafka, n + 1, typed),
            lambda: kafka_consume_raw(kafka, n + 1, raw + TOPIC),
        ),
        "redis_publish": (
            lambda: redis_publish_typed(redis, trades, typed),
            lambda: redis_publish_raw(redis, records, raw + STREAM),
        ),
        "redis_consume": (
            lambda: redis_consume_typed(redis, n + 1, typed),
            lambda: redis_consume_raw(redis, n + 1, raw + STREAM),
        ),
    }


async def run(n: int, repeats: int) -> dict[str, tuple[list[float], list[float]]]:
    """Seconds per run of every case: (typed runs, raw runs)."""
    kafka, redis = start_kafka(), start_redis()
    trades = make_trades(n)
    records = [t.model_dump() for t in trades]
    out: dict[str, tuple[list[float], list[float]]] = {}
    try:
        for rep in range(repeats):
            for case, (typed_job, raw_job) in jobs(
                kafka.bootstrap, redis.url, trades, records, rep
            ).items():
                typed_runs, raw_runs = out.setdefault(case, ([], []))
                if rep % 2 == 0:
                    typed_runs.append(await typed_job())
                    raw_runs.append(await raw_job())
                else:
                    raw_runs.append(await raw_job())
                    typed_runs.append(await typed_job())
        return out
    finally:
        kafka.stop()
        redis.stop()


def enable_bench_tracing() -> Callable[[], int]:
    """Tracing on, to an exporter that counts the spans; returns a function
    that flushes and says how many were exported."""
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    from svcforge.tracing import enable_tracing

    class Counting(SpanExporter):
        exported = 0

        def export(self, spans: Any) -> SpanExportResult:
            batch: list[ReadableSpan] = list(spans)
            self.exported += len(batch)
            return SpanExportResult.SUCCESS

    exporter = Counting()
    provider = TracerProvider()
    # A queue that holds a whole run: no span is dropped (dropping is cheaper).
    provider.add_span_processor(
        BatchSpanProcessor(
            exporter, max_queue_size=1_000_000, schedule_delay_millis=200
        )
    )
    enable_tracing(provider)

    def exported() -> int:
        provider.force_flush()
        return exporter.exported

    return exported


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 messages, once")
    parser.add_argument("-n", type=int, default=None, help="messages per run")
    parser.add_argument(
        "--repeats", type=int, default=None, help="runs per case and side (best kept)"
    )
    parser.add_argument(
        "--tracing",
        action="store_true",
        default=os.environ.get("SVCFORGE_BENCH_TRACING") == "1",
        help="typed side with tracing on (spans to a counting exporter)",
    )
    args = parser.parse_args(argv)
    exported = enable_bench_tracing() if args.tracing else None
    n = args.n or (2_000 if args.quick else 25_000)
    repeats = args.repeats or (1 if args.quick else 7)
    import logging

    logging.disable(logging.WARNING)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING)
    )
    results = asyncio.run(run(n, repeats))
    print(
        f"messaging: {n} trades of {len(TRADE_AVRO.encode(example_trade()))} bytes "
        f"each, best of {repeats} run{'s' if repeats != 1 else ''} per side"
    )
    if exported is not None:
        print(f"tracing on: {exported():,} spans exported by the typed side")
    print(
        f"{'case':<16}{'typed msg/s':>14}{'raw msg/s':>14}{'ratio':>8}"
        f"{'round ratios':>16}"
    )
    ratios = {}
    for name, (typed, raw) in results.items():
        typed_rate, raw_rate = n / min(typed), n / min(raw)
        ratios[name] = typed_rate / raw_rate
        # Per round, typed vs raw of the same round: how much noise there was.
        rounds = [r / t for t, r in zip(typed, raw, strict=True)]
        spread = f"{min(rounds):.2f}-{max(rounds):.2f}"
        print(
            f"{name:<16}{typed_rate:>14,.0f}{raw_rate:>14,.0f}"
            f"{ratios[name]:>8.2f}{spread:>16}"
        )
    print("bench: " + " ".join(f"{k}_vs_raw={v:.2f}" for k, v in ratios.items()))


if __name__ == "__main__":
    main()

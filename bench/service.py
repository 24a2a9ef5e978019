"""The market-data example as a real process (``python -m market_data``) on
real servers (PostgreSQL, Redis and the Kafka-protocol broker, started here
with ``svcforge.testing``), configured by ``MARKET_DATA_*`` variables alone.

* ``rss_idle_mib``: resident memory of the service started and ready, its
  consumers idle (median of samples over 2 s, after 3 s of settling);
* ``rss_load_mib``: the highest resident memory while its collector
  publishes trades at a steady 1,000 per second (each to Kafka and Redis,
  and an order book to Redis after each) and its consumers store the trades
  (Kafka, through the generated store) and keep the order books (Redis);
* ``redis_p99_ms``, ``kafka_p99_ms``: p99 publish -> handler latency under
  that load, read from the service's own ``svcforge_delivery_latency_seconds``
  histogram (channel ``order_books`` on Redis, ``trades`` on Kafka) as
  Prometheus' ``histogram_quantile`` does (linear within a bucket), over the
  load minus its first ``WARMUP_S`` seconds (consumer group join); the
  produced-at header has millisecond resolution;
* ``store_vs_raw``: consume -> store throughput, rows per second from the
  first stored row to the last, of the service against a hand-written
  aiokafka + asyncpg loop doing the same job (this script's ``raw`` mode:
  decode with fastavro, ``INSERT ... ON CONFLICT DO NOTHING`` per fetched
  batch in one transaction with ``executemany``, commit the offsets after
  the database), each in its own process, reading the same topic (trades
  published beforehand) into its own database; best of ``--rounds``, the two
  interleaved.

    python bench/service.py            # full run
    python bench/service.py --quick    # small sizes, checks the output format

Ends with ``bench: rss_idle_mib=… rss_load_mib=… redis_p99_ms=…
kafka_p99_ms=… store_vs_raw=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "generated-examples/market-data/src"
sys.path.insert(0, str(SRC))

from market_data.app import seed_instruments, simulated_trades  # noqa: E402
from market_data.generated.channels import TRADES  # noqa: E402
from market_data.generated.codecs import TRADE_AVRO  # noqa: E402
from market_data.generated.db import ENUM_TYPES, MIGRATIONS  # noqa: E402

from svcforge.db import Database  # noqa: E402
from svcforge.messaging import (  # noqa: E402
    KafkaBroker,
    KafkaSettings,
    Messaging,
    PublishChannel,
)
from svcforge.testing import (  # noqa: E402
    free_port,
    start_kafka,
    start_postgres,
    start_redis,
)

RATE = 1000
WARMUP_S = 3.0
SYMBOLS = ("AAPL", "MSFT", "NVDA")
BATCH = 500  # records per fetch: KafkaSettings.fetch_max_records' default
FRAME = 10  # Avro single-object encoding: C3 01 and an 8-byte fingerprint
COLUMNS = (
    "trade_id, symbol, venue, side, price, quantity, executed_at, received_at, "
    "sequence, buyer_order, conditions, is_block"
)


class Servers:
    def __init__(self) -> None:
        self.postgres = start_postgres()
        self.redis = start_redis()
        self.kafka = start_kafka()

    def stop(self) -> None:
        for server in (self.kafka, self.redis):
            server.stop()
        self.postgres.stop(signal.SIGINT)

    async def database(self, name: str) -> str:
        async with Database(self.postgres.dsn()) as db:
            await db.execute(f'CREATE DATABASE "{name}"')
        return self.postgres.dsn(name)


def service_env(
    servers: Servers, prefix: str, dsn: str, port: int, **values: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_DATA_")}
    settings = {
        "kafka__bootstrap_servers": servers.kafka.bootstrap,
        "kafka__enable_idempotence": "false",  # the test broker has none
        "kafka__name_prefix": prefix,
        "kafka__session_timeout_ms": "1000",
        "kafka__heartbeat_interval_ms": "300",
        "redis__url": servers.redis.url,
        "redis__name_prefix": prefix,
        "database__url": dsn,
        "database__migrate": "true",
        "runner__environment": "production",
        "http__port": str(port),
        "logging__level": "WARNING",
    } | values
    env |= {f"MARKET_DATA_{k.upper()}": v for k, v in settings.items()}
    return env | {"PYTHONPATH": str(SRC)}


def start_service(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "market_data"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def http(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except OSError:
        return 0, ""


def until(check: Callable[[], bool], what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while not check():
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"the service ended waiting for {what}: {err[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.02)


Buckets = dict[float, float]


def buckets(metrics: str, channel: str, transport: str) -> Buckets:
    """The cumulative ``le`` buckets of one channel's delivery latency."""
    pattern = re.compile(
        r"^svcforge_delivery_latency_seconds_bucket\{(?P<labels>[^}]*)\} (?P<n>\S+)$",
        re.MULTILINE,
    )
    found: Buckets = {}
    for m in pattern.finditer(metrics):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m["labels"]))
        if labels.get("channel") == channel and labels.get("transport") == transport:
            found[float(labels["le"])] = float(m["n"])
    return found


def p99_ms(after: Buckets, before: Buckets) -> float:
    """``histogram_quantile(0.99, after - before)``, in milliseconds."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1]
    if total <= 0:
        return float("nan")
    rank = 0.99 * total
    lower, below = 0.0, 0.0
    for bound, n in zip(bounds, counts, strict=True):
        if n >= rank:
            if bound == float("inf"):
                return lower * 1000
            return (
                lower + (bound - lower) * (rank - below) / max(n - below, 1e-9)
            ) * 1000
        lower, below = bound, n
    return lower * 1000


async def publish(servers: Servers, prefix: str, count: int) -> None:
    """``count`` trades on the Kafka topic, before any consumer runs."""
    messaging = Messaging(
        kafka=KafkaBroker(
            KafkaSettings(
                bootstrap_servers=servers.kafka.bootstrap,
                name_prefix=prefix,
                enable_idempotence=False,
            )
        )
    )
    channel = PublishChannel(replace(TRADES, redis=None), messaging)
    await messaging.start()
    try:
        trades = simulated_trades(count, SYMBOLS)
        pending = [await channel.send(t) for t in trades]
        await asyncio.gather(*pending)
    finally:
        await messaging.stop()


def idle(servers: Servers, dsn: str) -> float:
    port = free_port()
    proc = start_service(service_env(servers, "idle.", dsn, port, collect_trades="0"))
    try:
        until(lambda: http(port, "/health/ready")[0] == 200, "ready", proc)
        time.sleep(3.0)
        samples = []
        for _ in range(20):
            samples.append(rss_mib(proc.pid))
            time.sleep(0.1)
        return statistics.median(samples)
    finally:
        stop(proc)


async def loaded(
    dsn: str, n: int, proc: subprocess.Popen[bytes], start: float
) -> float:
    """The highest resident memory until ``n`` trades are stored (counted on
    one connection: a new one per poll would load the machine too)."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    peak = 0.0
    try:
        while await conn.fetchval("SELECT count(*) FROM trades") < n:
            peak = max(peak, rss_mib(proc.pid))
            if proc.poll() is not None or time.monotonic() - start > 300:
                raise RuntimeError("the service did not store every trade")
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    return peak


def load(
    servers: Servers, dsn: str, seconds: float
) -> tuple[float, float, float, float]:
    """(rss_load_mib, redis_p99_ms, kafka_p99_ms, seconds the load took)."""
    n = int(RATE * (seconds + WARMUP_S))
    port = free_port()
    env = service_env(
        servers, "load.", dsn, port, collect_trades=str(n), collect_rate=str(RATE)
    )
    proc = start_service(env)
    try:
        until(lambda: http(port, "/health/ready")[0] == 200, "ready", proc)
        start = time.monotonic()
        peak = 0.0
        while time.monotonic() - start < WARMUP_S:
            peak = max(peak, rss_mib(proc.pid))
            time.sleep(0.05)
        before = http(port, "/metrics")[1]
        peak = max(peak, asyncio.run(loaded(dsn, n, proc, start)))
        took = time.monotonic() - start
        after = http(port, "/metrics")[1]
    finally:
        stop(proc)
    redis = p99_ms(
        buckets(after, "order_books", "redis"), buckets(before, "order_books", "redis")
    )
    kafka = p99_ms(
        buckets(after, "trades", "kafka"), buckets(before, "trades", "kafka")
    )
    return peak, redis, kafka, took


async def throughput(dsn: str, count: int, proc: subprocess.Popen[bytes]) -> float:
    """Rows per second from the first stored row seen to the last, polled
    on one connection every few milliseconds."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        first = start = 0.0
        deadline = time.monotonic() + 300
        while True:
            n = await conn.fetchval("SELECT count(*) FROM trades")
            now = time.perf_counter()
            if n and not start:
                first, start = n, now
            if n >= count:
                if first >= count:
                    raise RuntimeError(f"{count} rows came at once: too few to time")
                return (count - first) / (now - start)
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"stored {n} of {count} rows: {err[-2000:]}")
            await asyncio.sleep(0.003)
    finally:
        await conn.close()


async def fresh(dsn: str) -> None:
    async with Database(dsn, enums=ENUM_TYPES) as db:
        await db.migrate(MIGRATIONS)
        await seed_instruments(db, SYMBOLS)
        await db.execute("TRUNCATE trades")


def store_round(
    servers: Servers, dsns: tuple[str, str], count: int, n: int, first: str
) -> dict[str, float]:
    prefix = f"store{n}."
    asyncio.run(publish(servers, prefix, count))
    out: dict[str, float] = {}
    for side in (first, "raw" if first == "service" else "service"):
        dsn = dsns[0] if side == "service" else dsns[1]
        asyncio.run(fresh(dsn))
        if side == "service":
            env = service_env(servers, prefix, dsn, free_port(), collect_trades="0")
            proc = start_service(env)
        else:
            proc = subprocess.Popen(
                [sys.executable, __file__, "raw", "--kafka", servers.kafka.bootstrap,
                 "--topic", f"{prefix}{TRADES.kafka.topic if TRADES.kafka else ''}",
                 "--dsn", dsn],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )  # fmt: skip
        try:
            out[side] = asyncio.run(throughput(dsn, count, proc))
        finally:
            stop(proc)
    return out


async def raw_loop(bootstrap: str, topic: str, dsn: str) -> None:
    """The hand-written consumer: what a team writes without svcforge."""
    import asyncpg
    from aiokafka import AIOKafkaConsumer
    from fastavro import parse_schema, schemaless_reader

    schema = parse_schema(TRADE_AVRO.schema)
    sql = (
        f"INSERT INTO trades ({COLUMNS}) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING"
    )
    conn = await asyncpg.connect(dsn)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id="raw-store",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=1000,
        heartbeat_interval_ms=300,
        max_poll_records=BATCH,
    )
    await consumer.start()
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    try:
        while not stopping.is_set():
            batch = await consumer.getmany(timeout_ms=100, max_records=BATCH)
            if not batch:
                continue
            values = []
            for records in batch.values():
                for r in records:
                    t = schemaless_reader(io.BytesIO(r.value[FRAME:]), schema, schema)
                    values.append(
                        (t["trade_id"], t["symbol"], t["venue"], t["side"],
                         t["price"], t["quantity"], t["executed_at"],
                         t["received_at"], t["sequence"], t["buyerOrderId"],
                         t["conditions"], t["is_block"])
                    )  # fmt: skip
            async with conn.transaction():
                await conn.executemany(sql, values)
            await consumer.commit()
    finally:
        await consumer.stop()
        await conn.close()


def run(quick: bool, rounds: int) -> None:
    servers = Servers()
    try:
        dsns = [
            asyncio.run(servers.database(n)) for n in ("idle", "load", "svc", "raw")
        ]
        rss_idle = idle(servers, dsns[0])
        seconds = 3.0 if quick else 10.0
        rss_load, redis, kafka, took = load(servers, dsns[1], seconds)
        count = 10000 if quick else 40000
        rates: dict[str, list[float]] = {"service": [], "raw": []}
        for n in range(rounds):
            got = store_round(
                servers,
                (dsns[2], dsns[3]),
                count,
                n,
                "service" if n % 2 == 0 else "raw",
            )
            for side, rate in got.items():
                rates[side].append(rate)
    finally:
        servers.stop()
    best = {side: max(v) for side, v in rates.items()}
    print(f"{'figure':<44} {'value':>12}")
    print(f"{'resident memory, idle (MiB)':<44} {rss_idle:>12.1f}")
    print(f"{'resident memory, under load (MiB)':<44} {rss_load:>12.1f}")
    print(f"{'load: trades at 1,000/s for (s)':<44} {took:>12.1f}")
    print(f"{'p99 publish->handler, Redis order_books (ms)':<44} {redis:>12.2f}")
    print(f"{'p99 publish->handler, Kafka trades (ms)':<44} {kafka:>12.2f}")
    for side in ("service", "raw"):
        spread = ", ".join(f"{r:,.0f}" for r in rates[side])
        label = f"consume -> store, {side} (rows/s, best)"
        print(f"{label:<44} {best[side]:>12,.0f}   rounds: {spread}")
    ratio = best["service"] / best["raw"]
    print(
        f"bench: rss_idle_mib={rss_idle:.1f} rss_load_mib={rss_load:.1f} "
        f"redis_p99_ms={redis:.2f} kafka_p99_ms={kafka:.2f} store_vs_raw={ratio:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode")
    raw = sub.add_parser("raw", help="the hand-written consume -> store loop")
    raw.add_argument("--kafka", required=True)
    raw.add_argument("--topic", required=True)
    raw.add_argument("--dsn", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    if args.mode == "raw":
        asyncio.run(raw_loop(args.kafka, args.topic, args.dsn))
        return
    run(args.quick, args.rounds or (2 if args.quick else 3))


if __name__ == "__main__":
    main()

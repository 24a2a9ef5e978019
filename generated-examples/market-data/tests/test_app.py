"""Tests of market-data's own code (team-owned: extend freely)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from svcforge.db import Database, DatabaseSettings
from svcforge.messaging import KafkaSettings, RedisSettings
from svcforge.resilience import BreakerOpen

from market_data.app import Books, VenueFeed, collect, seed_instruments, stored, wire
from market_data.generated.settings import Settings
from market_data.generated.wiring import build

SRC = Path(__file__).resolve().parent.parent / "src"


async def count_trades(dsn: str) -> int:
    """Rows of table trades (0 before the migrations ran)."""
    async with Database(dsn) as db:
        exists = await db.fetchval("SELECT to_regclass('public.trades') IS NOT NULL")
        return int(await db.fetchval("SELECT count(*) FROM trades")) if exists else 0


def test_trades_are_stored_once_each(postgres_dsn: str) -> None:
    """Brokers in memory, a real PostgreSQL: the store writes each trade
    once, also when the collector sends some twice (a redelivery)."""
    settings = Settings(database=DatabaseSettings(url=postgres_dsn, migrate=True))
    app = build(settings)
    books = wire(app)
    assert app.embedded == ("kafka", "redis")

    async def scenario() -> tuple[int, Books]:
        async def work() -> None:
            await collect(app, 12)
            await collect(app, 3)  # trades 0..2 again
            deadline = time.monotonic() + 20
            while await stored(app) < 12 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await app.messaging.drain()

        await app.run(work, stop_when_main_returns=True)
        return await count_trades(postgres_dsn), books

    rows, books = asyncio.run(scenario())
    assert rows == 12
    assert sorted(books.latest) == ["AAPL", "MSFT", "NVDA"]
    duplicates = app.messaging.metrics.registry.get_sample_value(
        "svcforge_rows_duplicate_total", {"channel": "trades", "table": "public.trades"}
    )
    assert duplicates == 3


def test_a_failing_venue_feed_opens_its_breaker(postgres_dsn: str) -> None:
    """Five failed calls (two per collect: the policy retries once) open the
    ``venue-feed`` breaker: the next collect fails fast without calling the
    feed, readiness names the breaker and the gauge says open."""
    app = build(Settings(database=DatabaseSettings(url=postgres_dsn, migrate=True)))
    wire(app)
    feed = VenueFeed()
    feed.down = True
    seen: dict[str, object] = {}

    async def work() -> None:
        for _ in range(2):
            with pytest.raises(ConnectionError):
                await collect(app, 3, feed=feed)
        with pytest.raises(BreakerOpen):  # the 5th failure opened it
            await collect(app, 3, feed=feed)
        calls = feed.calls
        with pytest.raises(BreakerOpen):
            await collect(app, 3, feed=feed)
        seen["calls"] = (calls, feed.calls)
        seen["ready"] = await app.service.readiness()

    asyncio.run(app.run(work, stop_when_main_returns=True))
    assert seen["calls"] == (5, 5)
    ready = seen["ready"]
    assert isinstance(ready, dict)
    assert "circuit open" in str(ready["breaker venue-feed"])
    state = app.messaging.metrics.registry.get_sample_value(
        "svcforge_circuit_breaker_state", {"breaker": "venue-feed", "state": "open"}
    )
    assert state == 1.0


def test_instruments_are_seeded_once(postgres_dsn: str) -> None:
    async def scenario() -> int:
        settings = DatabaseSettings(url=postgres_dsn)
        app = build(
            Settings(database=settings, kafka=KafkaSettings(), redis=RedisSettings())
        )
        async with app.database:
            await app.database.migrate(app.parts.migrations)
            await seed_instruments(app.database, ["AAPL", "MSFT"])
            await seed_instruments(app.database, ["AAPL", "NVDA"])
            return int(await app.database.fetchval("SELECT count(*) FROM instruments"))

    assert asyncio.run(scenario()) == 3


def test_main_on_embedded_servers_says_what_it_stored() -> None:
    """``python -m market_data`` with no server configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_DATA_")} | {
        "PYTHONPATH": str(SRC),
        "MARKET_DATA_COLLECT_TRADES": "9",
    }
    done = subprocess.run(
        [sys.executable, "-m", "market_data"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "stored 9 trades in table trades" in done.stdout


def test_runs_as_a_service_on_real_servers(
    kafka_bootstrap: str, redis_url: str, postgres_dsn: str, tmp_path: Path
) -> None:
    """``python -m market_data`` on the real broker, Redis and PostgreSQL,
    configured by environment variables alone; it stops cleanly on SIGTERM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_DATA_")}
    env |= {
        "PYTHONPATH": str(SRC),
        "MARKET_DATA_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MARKET_DATA_KAFKA__ENABLE_IDEMPOTENCE": "false",  # the test broker
        "MARKET_DATA_KAFKA__NAME_PREFIX": f"t{time.monotonic_ns()}.",
        "MARKET_DATA_KAFKA__SESSION_TIMEOUT_MS": "1000",
        "MARKET_DATA_KAFKA__HEARTBEAT_INTERVAL_MS": "300",
        "MARKET_DATA_REDIS__URL": redis_url,
        "MARKET_DATA_DATABASE__URL": postgres_dsn,
        "MARKET_DATA_DATABASE__MIGRATE": "true",
        "MARKET_DATA_RUNNER__ENVIRONMENT": "production",
        "MARKET_DATA_HTTP__PORT": "0",
        "MARKET_DATA_COLLECT_TRADES": "20",
    }
    log = tmp_path / "log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "market_data"],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )

    try:
        deadline = time.monotonic() + 60
        while (
            asyncio.run(count_trades(postgres_dsn)) < 20 and time.monotonic() < deadline
        ):
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    out = log.read_text()
    assert proc.returncode == 0, out
    assert asyncio.run(count_trades(postgres_dsn)) == 20, out
    assert '"collected"' in out and '"service stopped"' in out

"""Tests of iot-energy's own code (team-owned: extend freely)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from svcforge.db import Database, DatabaseSettings
from svcforge.service import OUTBOX_ID

from iot_energy.app import counts, simulate, simulated_readings, wire
from iot_energy.generated.settings import Settings
from iot_energy.generated.wiring import build

SRC = Path(__file__).resolve().parent.parent / "src"


async def tables(dsn: str) -> tuple[int, int, int]:
    """(readings, alerts, outbox messages sent); zeros before the migrations."""
    async with Database(dsn) as db:
        if not await db.fetchval("SELECT to_regclass('svcforge_outbox') IS NOT NULL"):
            return 0, 0, 0
        return await counts(db)


async def outbox_ids(bootstrap: str, topic: str, expected: int) -> list[str]:
    """The ``outbox-id`` header of each record of ``topic`` (read until
    ``expected`` came, or 10 s)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    ids: list[str] = []
    try:
        deadline = time.monotonic() + 10
        while len(ids) < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                ids.extend(dict(r.headers)[OUTBOX_ID].decode() for r in records)
    finally:
        await consumer.stop()
    return ids


def test_the_rules_raise_one_alert_per_device_and_code() -> None:
    """Four devices, 40 readings: turns 4 and 9 of each are over voltage,
    turn 6 under; one open alert per device and code, so 4 + 4."""
    readings = simulated_readings(40, 4)
    over = [r for r in readings if r.voltage_v and r.voltage_v > 253]
    under = [r for r in readings if r.voltage_v and r.voltage_v < 207]
    assert (len(over), len(under)) == (8, 4)


def test_readings_stored_once_and_alerts_published_through_the_outbox(
    postgres_dsn: str,
) -> None:
    """Broker in memory, a real PostgreSQL: each reading is stored once, also
    when the devices send some again; each alert is a row and a published
    message, once."""
    settings = Settings(database=DatabaseSettings(url=postgres_dsn, migrate=True))
    app = build(settings)
    wire(app)

    async def scenario() -> tuple[int, int, int]:
        async def work() -> None:
            await simulate(app, 40)
            await simulate(app, 8)  # readings 0..7 again
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                readings, alerts, sent = await counts(app.database)
                if readings == 40 and alerts == sent == 8:
                    break
                await asyncio.sleep(0.02)

        await app.run(work, stop_when_main_returns=True)
        return await tables(postgres_dsn)

    assert asyncio.run(scenario()) == (40, 8, 8)
    registry = app.messaging.metrics.registry
    assert (
        registry.get_sample_value(
            "svcforge_rows_duplicate_total",
            {"channel": "readings", "table": "telemetry.readings"},
        )
        == 8
    )
    assert (
        registry.get_sample_value(
            "svcforge_outbox_published_total", {"channel": "alerts"}
        )
        == 8
    )


def test_main_on_embedded_servers_says_what_it_stored_and_raised() -> None:
    """``python -m iot_energy`` with no server configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOT_ENERGY_")} | {
        "PYTHONPATH": str(SRC),
        "IOT_ENERGY_SIMULATE_READINGS": "20",
        "IOT_ENERGY_HTTP__PORT": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "iot_energy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "stored 20 readings in table telemetry.readings" in done.stdout
    # Turn 4 of each of the 4 devices is over voltage.
    assert (
        "raised 4 alerts in table alerts; the outbox relay published 4" in done.stdout
    )


def test_runs_as_a_service_on_real_servers(
    kafka_bootstrap: str, postgres_dsn: str, tmp_path: Path
) -> None:
    """``python -m iot_energy`` on the real broker and PostgreSQL, configured
    by environment variables alone; it stops cleanly on SIGTERM, and the
    alerts are on their topic, each once."""
    prefix = f"t{time.monotonic_ns()}."
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOT_ENERGY_")}
    env |= {
        "PYTHONPATH": str(SRC),
        "IOT_ENERGY_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "IOT_ENERGY_KAFKA__ENABLE_IDEMPOTENCE": "false",  # the test broker
        "IOT_ENERGY_KAFKA__NAME_PREFIX": prefix,
        "IOT_ENERGY_KAFKA__SESSION_TIMEOUT_MS": "1000",
        "IOT_ENERGY_KAFKA__HEARTBEAT_INTERVAL_MS": "300",
        "IOT_ENERGY_DATABASE__URL": postgres_dsn,
        "IOT_ENERGY_DATABASE__MIGRATE": "true",
        "IOT_ENERGY_RUNNER__ENVIRONMENT": "production",
        "IOT_ENERGY_HTTP__PORT": "0",
        "IOT_ENERGY_SIMULATE_READINGS": "40",
    }
    log = tmp_path / "log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "iot_energy"],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while asyncio.run(tables(postgres_dsn)) != (40, 8, 8):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    out = log.read_text()
    assert proc.returncode == 0, out
    ids = asyncio.run(outbox_ids(kafka_bootstrap, f"{prefix}iot-energy.alerts", 8))
    assert len(ids) == len(set(ids)) == 8
    assert '"simulated"' in out and '"service stopped"' in out

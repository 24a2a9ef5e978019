"""iot-energy: devices publish meter readings; this service stores each one
as a row of ``telemetry.readings`` (the generated store of the ``readings``
channel: ``store = "telemetry.readings"`` in pyproject.toml) and runs the
rules on the readings that were new, in the same transaction: a voltage out
of range raises an alert, a row of ``alerts`` and a ``DeviceAlert`` message
staged in the outbox, so that the row and the message commit together (the
relay publishes the message after the commit).  Team code: svcforge never
overwrites this file.

``python -m iot_energy`` runs it from its settings (``IOT_ENERGY_*``
variables, listed in ``generated/CONFIGURATION.md``).  With no server
configured it runs on embedded ones (the in-memory broker, a throwaway
PostgreSQL), publishes ``IOT_ENERGY_SIMULATE_READINGS`` readings, says what
was stored and raised, and exits; with ``IOT_ENERGY_KAFKA__BOOTSTRAP_SERVERS``
and ``IOT_ENERGY_DATABASE__URL`` it runs as a service until SIGTERM, with
health and metrics over HTTP.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import structlog
from svcforge.db import Connection, Executor

from .generated.db.devices import DeviceInsert, DeviceRepository
from .generated.db.enums import AlertSeverity, DeviceKind
from .generated.models import DeviceAlert, MeterReading, Severity
from .generated.queries.alerts import raise_alert_once
from .generated.wiring import App, build

log = structlog.get_logger("iot_energy")

START = datetime(2024, 6, 1, 0, 0, tzinfo=UTC)
NOMINAL_V = 230.0


def device_id(n: int) -> uuid.UUID:
    """The id of simulated device ``n`` (the same in every run)."""
    return uuid.UUID(int=0x10E << 112 | n + 1)


def simulated_readings(count: int, devices: int, first: int = 0) -> list[MeterReading]:
    """What ``devices`` meters would report: ``count`` readings, round robin,
    one a minute per device; deterministic (reading ``first + i`` is always
    the same).  Every fifth reading of a device is over voltage and every
    seventh under."""
    readings = []
    for i in range(first, first + count):
        n, turn = i % devices, i // devices
        voltage = NOMINAL_V
        if turn % 5 == 4:
            voltage = 262.5
        elif turn % 7 == 6:
            voltage = 198.0
        readings.append(
            MeterReading(
                device_id=device_id(n),
                measured_at=START + timedelta(minutes=turn),
                energy_wh=1000 * turn + n,
                power_w=1500.0 + n,
                voltage_v=voltage,
                current_a=6.5,
                frequency_hz=50.0,
            )
        )
    return readings


def alerts_for(app: App, reading: MeterReading) -> list[DeviceAlert]:
    """The rules: what ``reading`` raises (nothing for most)."""
    v = reading.voltage_v
    if v is None:
        return []
    s = app.settings
    if v > s.max_voltage_v:
        severity, code, limit = Severity.critical, "OVERVOLTAGE", s.max_voltage_v
    elif v < s.min_voltage_v:
        severity, code, limit = Severity.warning, "UNDERVOLTAGE", s.min_voltage_v
    else:
        return []
    return [
        DeviceAlert(
            device_id=reading.device_id,
            severity=severity,
            code=code,
            message=f"{v:.1f} V measured, limit {limit:.1f} V",
            raised_at=reading.measured_at,
        )
    ]


def wire(app: App) -> None:
    """Register what the generated wiring does not: the simulated devices
    (the readings refer to them) and the rules, which run in each stored
    batch's transaction on the readings that were new."""

    @app.parts.setup
    async def devices() -> None:
        await seed_devices(app.database, app.settings.devices)

    @app.stores.readings.also
    async def rules(conn: Connection, readings: list[MeterReading]) -> None:
        for reading in readings:
            for alert in alerts_for(app, reading):
                await raise_alert(app, conn, alert)


async def raise_alert(app: App, conn: Connection, alert: DeviceAlert) -> bool:
    """Write ``alert`` to table alerts and stage its message, on ``conn`` (in
    the batch's transaction): both or neither.  Not when the device has the
    same alert open (one open alert per device and code)."""
    row = await raise_alert_once(
        conn,
        device_id=alert.device_id,
        severity=AlertSeverity(alert.severity.value),
        code=alert.code,
        message=alert.message,
        raised_at=alert.raised_at,
    )
    if row is None:
        return False
    await app.outbox.alerts.stage(conn, alert)
    return True


async def seed_devices(db: Executor, count: int) -> None:
    """Rows of ``devices`` for the simulated devices that have none."""
    ids = [device_id(n) for n in range(count)]
    have = {
        r[0] for r in await db.fetch("SELECT id FROM devices WHERE id = ANY($1)", ids)
    }
    missing = [
        DeviceInsert(
            id=i,
            serial_number=f"SIM-{n:06d}",
            kind=DeviceKind.SMART_METER,
            site_code=f"site-{n % 10}",
            installed_on=date(2024, 1, 1),
        )
        for n, i in enumerate(ids)
        if i not in have
    ]
    if missing:
        await DeviceRepository(db).insert_many(missing)


async def simulate(app: App, count: int, first: int = 0) -> None:
    """The devices: publish ``count`` readings, then wait for every
    acknowledgement."""
    pending = [
        await app.channels.readings.send(r)
        for r in simulated_readings(count, app.settings.devices, first)
    ]
    await asyncio.gather(*pending)


async def counts(db: Executor) -> tuple[int, int, int]:
    """Rows of telemetry.readings and of alerts, and outbox messages sent."""
    readings = await db.fetchval("SELECT count(*) FROM telemetry.readings")
    alerts = await db.fetchval("SELECT count(*) FROM alerts")
    sent = await db.fetchval(
        "SELECT count(*) FROM svcforge_outbox WHERE sent_at IS NOT NULL"
    )
    return int(readings), int(alerts), int(sent)


async def demo(app: App) -> list[str]:
    """Publish, wait until the readings are stored and the alerts published,
    and say what happened."""
    count = app.settings.simulate_readings
    await simulate(app, count)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        readings, alerts, sent = await counts(app.database)
        if readings >= count and sent >= alerts:
            break
        await asyncio.sleep(0.05)
    return [
        f"published {count} readings of {app.settings.devices} devices to channel "
        "'readings' (Kafka topic iot-energy.readings)",
        f"stored {readings} readings in table telemetry.readings (group "
        "iot-energy-ingest, each fetched batch in one transaction)",
        f"raised {alerts} alerts in table alerts; the outbox relay published "
        f"{sent} to channel 'alerts' (Kafka topic iot-energy.alerts)",
    ]


def main() -> None:
    app = build()
    wire(app)
    if app.embedded == ("database", "kafka"):
        print(
            "iot-energy: on embedded servers (in-memory broker, throwaway PostgreSQL)"
        )
        lines: list[str] = []

        async def run_demo() -> None:
            lines.extend(await demo(app))

        asyncio.run(app.run(run_demo, stop_when_main_returns=True))
        print("\n".join(lines))
        return

    async def devices() -> None:
        await simulate(app, app.settings.simulate_readings)
        log.info("simulated", readings=app.settings.simulate_readings)

    asyncio.run(app.run(devices))

"""``svcforge.db.Store`` and the outbox on a real PostgreSQL: a batch is
stored idempotently whichever way it is written (pipelined INSERT for small
batches, COPY + one INSERT for larger ones), ``update`` keeps the last
message of a key, a rolled-back batch leaves nothing, and a message staged
in the outbox is published only if its transaction committed."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from svcforge.db import Database, DatabaseSettings, Store, StoreSpec
from svcforge.messaging import InMemoryBroker
from svcforge.service import OUTBOX_ID

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Reading:
    sensor: int
    at: int
    value: str


def spec(on_conflict: Any = "ignore") -> StoreSpec[Reading, Reading]:
    return StoreSpec(
        channel="readings",
        schema="public",
        table="readings",
        columns=("sensor", "at", "value"),
        attributes=("sensor", "at", "value"),
        key=("sensor", "at"),
        on_conflict=on_conflict,
        row=lambda m: m,
    )


def readings(first: int, count: int, value: str = "v") -> list[Reading]:
    return [Reading(i % 3, i, f"{value}{i}") for i in range(first, first + count)]


TABLE = (
    "CREATE TABLE IF NOT EXISTS readings (sensor int, at int, value text NOT NULL, "
    "PRIMARY KEY (sensor, at))"
)


@pytest.mark.parametrize("copy_from", [1000, 0], ids=["pipelined", "copy"])
def test_a_batch_delivered_again_is_stored_once(
    postgres_dsn: str, copy_from: int
) -> None:
    async def run() -> tuple[list[int], list[int], int]:
        async with Database(DatabaseSettings(url=postgres_dsn)) as db:
            await db.execute(TABLE)
            store: Store[Reading, Reading] = Store(spec())
            store.COPY_FROM = copy_from
            written, new = [], []
            async with db.acquire() as conn:
                for batch in (readings(0, 40), readings(30, 20), readings(0, 50)):
                    await store.prepare(conn)
                    async with conn.transaction():
                        written.append(await store.write(conn, batch))
                await store.prepare(conn)
                async with conn.transaction():
                    fresh = await store.write_new(conn, readings(45, 10))
                    new = [m.at for m in fresh]
            return written, new, int(await db.fetchval("SELECT count(*) FROM readings"))

    written, new, rows = asyncio.run(run())
    assert written == [40, 10, 0]
    assert new == [50, 51, 52, 53, 54]
    assert rows == 55


@pytest.mark.parametrize("copy_from", [1000, 0], ids=["pipelined", "copy"])
def test_update_keeps_the_last_message_of_each_key(
    postgres_dsn: str, copy_from: int
) -> None:
    async def run() -> list[tuple[int, str]]:
        async with Database(DatabaseSettings(url=postgres_dsn)) as db:
            await db.execute(TABLE)
            store: Store[Reading, Reading] = Store(spec("update"))
            store.COPY_FROM = copy_from
            async with db.acquire() as conn:
                await store.prepare(conn)
                async with conn.transaction():
                    await store.write(conn, readings(0, 4, "a"))
                await store.prepare(conn)
                async with conn.transaction():
                    # Key 1 twice in one batch: the later one wins.
                    await store.write(conn, [*readings(1, 2, "b"), Reading(1, 1, "c1")])
            rows = await db.fetch("SELECT at, value FROM readings ORDER BY at")
            return [(r[0], r[1]) for r in rows]

    assert asyncio.run(run()) == [(0, "a0"), (1, "c1"), (2, "b2"), (3, "a3")]


@pytest.mark.parametrize("copy_from", [1000, 0], ids=["pipelined", "copy"])
def test_a_rolled_back_batch_leaves_nothing_and_the_next_one_is_stored(
    postgres_dsn: str, copy_from: int
) -> None:
    async def run() -> int:
        async with Database(DatabaseSettings(url=postgres_dsn)) as db:
            await db.execute(TABLE)
            store: Store[Reading, Reading] = Store(spec())
            store.COPY_FROM = copy_from
            async with db.acquire() as conn:
                await store.prepare(conn)
                with pytest.raises(RuntimeError):
                    async with conn.transaction():
                        await store.write(conn, readings(0, 20))
                        raise RuntimeError("the database commit never came")
                await store.prepare(conn)
                async with conn.transaction():
                    assert await store.write(conn, readings(10, 20)) == 20
            return int(await db.fetchval("SELECT count(*) FROM readings"))

    assert asyncio.run(run()) == 20


def test_a_store_refuses_the_database_itself(postgres_dsn: str) -> None:
    async def run() -> None:
        async with Database(DatabaseSettings(url=postgres_dsn)) as db:
            await db.execute(TABLE)
            store: Store[Reading, Reading] = Store(spec())
            await store.write(db, readings(0, 20))

    with pytest.raises(TypeError, match="give it a Connection"):
        asyncio.run(run())


def test_an_outbox_message_is_published_only_if_its_transaction_committed(
    postgres_dsn: str,
) -> None:
    """iot-energy on the in-memory broker: an alert staged in a transaction
    that rolls back is never published; those committed are, in staging
    order, each with its ``outbox-id``, and are marked sent."""
    sys.path.insert(0, str(ROOT / "generated-examples/iot-energy/src"))
    from iot_energy.app import device_id, seed_devices
    from iot_energy.generated.codecs import DEVICE_ALERT_AVRO
    from iot_energy.generated.models import DeviceAlert, Severity
    from iot_energy.generated.settings import Settings
    from iot_energy.generated.wiring import build

    app = build(Settings(database=DatabaseSettings(url=postgres_dsn, migrate=True)))

    def alert(code: str) -> DeviceAlert:
        return DeviceAlert(
            device_id=device_id(0),
            severity=Severity.info,
            code=code,
            message=code,
            raised_at=datetime(2024, 6, 1, tzinfo=UTC),
        )

    async def scenario() -> tuple[int, int]:
        await seed_devices(app.database, 1)
        with pytest.raises(RuntimeError):
            async with app.database.transaction() as conn:
                await app.outbox.alerts.stage(conn, alert("ROLLED_BACK"))
                raise RuntimeError("rolled back")
        for code in ("FIRST", "SECOND", "THIRD"):
            async with app.database.transaction() as conn:
                await app.outbox.alerts.stage(conn, alert(code))
        for _ in range(500):
            sent = await app.database.fetchval(
                "SELECT count(*) FROM svcforge_outbox WHERE sent_at IS NOT NULL"
            )
            if sent == 3:
                break
            await asyncio.sleep(0.01)
        staged = await app.database.fetchval("SELECT count(*) FROM svcforge_outbox")
        return int(sent), int(staged)

    result: list[tuple[int, int]] = []

    async def work() -> None:
        result.append(await scenario())

    asyncio.run(app.run(work, stop_when_main_returns=True))
    assert result == [(3, 3)]
    broker = app.messaging.broker("kafka")
    assert isinstance(broker, InMemoryBroker)
    published = broker.messages("iot-energy.alerts")
    codes = [DEVICE_ALERT_AVRO.decode(m.value or b"").code for m in published]
    assert codes == ["FIRST", "SECOND", "THIRD"]
    ids = [int(m.header(OUTBOX_ID) or 0) for m in published]
    assert ids == sorted(ids) and len(set(ids)) == 3

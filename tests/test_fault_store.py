"""Fault tests of consume -> store and of the outbox, on real Kafka-protocol
and PostgreSQL servers, the services run as subprocesses and SIGKILLed:

* the market-data consumer (tests/fault_store.py) killed while a stored
  batch's transaction is open, twice, then run to the end: every trade is a
  row, once;
* iot-energy (``python -m iot_energy``) killed after its alerts were
  committed with their staged messages and before any was published, then
  killed again while its relay publishes, then run to the end: every staged
  message is on the topic, in order, and the duplicates are at most what
  ``svcforge_outbox_republished_total`` counted.

Each test prints its counts."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from fault_support import get

from svcforge.db import Database
from svcforge.service import OUTBOX_ID
from svcforge.testing import free_port

pytestmark = pytest.mark.fault

ROOT = Path(__file__).resolve().parent.parent
STORE_SERVICE = Path(__file__).with_name("fault_store.py")
IOT_SRC = ROOT / "generated-examples/iot-energy/src"


def until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def query(dsn: str, sql: str) -> int:
    async def run() -> int:
        async with Database(dsn) as db:
            return int(await db.fetchval(sql) or 0)

    return asyncio.run(run())


def metric(port: int, name: str, labels: str) -> float:
    status, body = get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert status == 200
    found = re.search(rf"^{name}\{{{labels}\}} (\S+)$", body, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def environment(prefix: str, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
    return env | {f"{prefix}{k.upper()}": v for k, v in values.items()}


def test_consumer_sigkilled_in_a_stored_batch_loses_and_doubles_no_row(
    kafka_bootstrap: str,
    redis_url: str,
    postgres_dsn: str,
    unique_name: str,
    tmp_path: Path,
) -> None:
    """3,000 trades on the topic; the consumer is SIGKILLed twice while a
    batch's transaction is open (PostgreSQL shows it ``idle in
    transaction``), then runs until the rows are all there: 0 lost rows, 0
    duplicate rows."""
    n = 3000
    env = environment(
        "MARKET_DATA_",
        kafka__bootstrap_servers=kafka_bootstrap,
        kafka__enable_idempotence="false",
        kafka__name_prefix=f"{unique_name}.",
        kafka__session_timeout_ms="1000",
        kafka__heartbeat_interval_ms="300",
        redis__url=redis_url,
        redis__name_prefix=f"{unique_name}.",
        database__url=postgres_dsn,
        database__migrate="true",
        runner__environment="production",
        collect_trades="0",
    )
    published = subprocess.run(
        [sys.executable, str(STORE_SERVICE), "publish", "--count", str(n)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert published.returncode == 0, published.stderr
    out = tmp_path / "events"
    log = tmp_path / "log"
    rows = "SELECT count(*) FROM trades"

    def stored_rows() -> int:
        if not query(postgres_dsn, "SELECT to_regclass('trades') IS NOT NULL"):
            return 0
        return query(postgres_dsn, rows)

    in_batch = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
    )

    def start(port: int = 0) -> subprocess.Popen[bytes]:
        with log.open("a") as fh:
            return subprocess.Popen(
                [sys.executable, str(STORE_SERVICE), "consume", "--out", str(out)],
                env=env | {"MARKET_DATA_HTTP__PORT": str(port)},
                stdout=fh,
                stderr=subprocess.STDOUT,
            )

    kills = []
    for _ in range(2):
        proc = start()
        try:
            before = kills[-1][1] if kills else 0
            until(
                lambda before=before: (
                    stored_rows() > before and query(postgres_dsn, in_batch) > 0
                ),
                "a batch in its transaction after a committed one",
            )
            stored = query(postgres_dsn, rows)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        kills.append((stored, query(postgres_dsn, rows)))
    port = free_port()
    proc = start(port)
    try:
        until(lambda: query(postgres_dsn, rows) >= n, "every trade stored", 120)
        time.sleep(1.0)  # anything redelivered late would land now
        redelivered = metric(
            port,
            "svcforge_rows_duplicate_total",
            'channel="trades",table="public.trades"',
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    total = query(postgres_dsn, rows)
    distinct = query(postgres_dsn, "SELECT count(DISTINCT trade_id) FROM trades")
    expected = query(
        postgres_dsn,
        "SELECT count(*) FROM trades WHERE trade_id IN (SELECT "
        f"('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid "
        f"FROM generate_series(1, {n}) i)",
    )
    batches = sum(1 for e in out.read_text().splitlines() if e.startswith("open "))
    print(
        f"\n[store] trades={n} kills_at_rows={[k[0] for k in kills]} "
        f"rows={total} distinct={distinct} lost={n - expected} "
        f"duplicate_rows={total - distinct} batches_opened={batches} "
        f"redelivered_after_last_restart={redelivered:.0f}"
    )
    assert all(0 < stored < n for stored, _ in kills), kills
    assert total == distinct == expected == n
    assert code == 0, log.read_text()[-3000:]


async def outbox_records(
    bootstrap: str, topic: str, expected: int
) -> list[tuple[int, int]]:
    """(partition, outbox id) of each record of ``topic``, read until
    ``expected`` distinct ids came (or 30 s)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    seen: list[tuple[int, int]] = []
    try:
        deadline = time.monotonic() + 30
        while len({i for _, i in seen}) < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for tp, records in sorted(batch.items()):
                seen.extend(
                    (tp.partition, int(dict(r.headers)[OUTBOX_ID])) for r in records
                )
        # Anything published twice arrives right after the rest.
        for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
            seen.extend(
                (tp.partition, int(dict(r.headers)[OUTBOX_ID])) for r in records
            )
    finally:
        await consumer.stop()
    return seen


def test_crash_between_outbox_commit_and_publish_loses_no_message(
    kafka_bootstrap: str, postgres_dsn: str, unique_name: str, tmp_path: Path
) -> None:
    """iot-energy with 1,000 devices, 5,000 readings: 1,000 alerts, each a
    row and a staged message.  Run 1 (relay off) is SIGKILLed once all are
    committed, none published; run 2 is SIGKILLed while its relay publishes
    (100 a round); run 3 finishes.  Every staged message is on the topic,
    in order per partition; duplicates <= republished (the metric) <= one
    round."""
    devices, readings, batch = 1000, 5000, 100
    env = environment(
        "IOT_ENERGY_",
        kafka__bootstrap_servers=kafka_bootstrap,
        kafka__enable_idempotence="false",
        kafka__name_prefix=f"{unique_name}.",
        kafka__session_timeout_ms="1000",
        kafka__heartbeat_interval_ms="300",
        database__url=postgres_dsn,
        database__migrate="true",
        runner__environment="production",
        http__port="0",
        devices=str(devices),
        outbox__batch_size=str(batch),
    ) | {"PYTHONPATH": str(IOT_SRC)}
    log = tmp_path / "log"
    alerts = "SELECT count(*) FROM alerts"
    staged = "SELECT count(*) FROM svcforge_outbox"
    sent = "SELECT count(*) FROM svcforge_outbox WHERE sent_at IS NOT NULL"

    def staged_rows() -> int:
        if not query(postgres_dsn, "SELECT to_regclass('svcforge_outbox') IS NOT NULL"):
            return 0
        return query(postgres_dsn, staged)

    def start(**values: str) -> subprocess.Popen[bytes]:
        extra = {f"IOT_ENERGY_{k.upper()}": v for k, v in values.items()}
        with log.open("a") as fh:
            return subprocess.Popen(
                [sys.executable, "-m", "iot_energy"],
                env=env | extra,
                stdout=fh,
                stderr=subprocess.STDOUT,
            )

    def kill(proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    proc = start(outbox__enabled="false", simulate_readings=str(readings))
    try:
        until(
            lambda: (
                query(postgres_dsn, "SELECT to_regclass('svcforge_outbox') IS NOT NULL")
                == 1
                and query(postgres_dsn, staged) >= devices
            ),
            "every alert committed with its staged message",
            120,
        )
        kill(proc)
    finally:
        if proc.poll() is None:
            kill(proc)
    committed = (query(postgres_dsn, alerts), query(postgres_dsn, staged))
    unsent_at_crash = committed[1] - query(postgres_dsn, sent)

    proc = start(simulate_readings="0")
    try:
        until(lambda: query(postgres_dsn, sent) > 0, "the relay publishing", 60)
        kill(proc)
    finally:
        if proc.poll() is None:
            kill(proc)
    sent_before_second_crash = query(postgres_dsn, sent)

    port = free_port()
    proc = start(simulate_readings="0", http__port=str(port))
    try:
        until(lambda: query(postgres_dsn, sent) == devices, "every message sent", 60)
        republished = metric(
            port, "svcforge_outbox_republished_total", 'channel="alerts"'
        )
        published = metric(port, "svcforge_outbox_published_total", 'channel="alerts"')
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    seen = asyncio.run(
        outbox_records(kafka_bootstrap, f"{unique_name}.iot-energy.alerts", devices)
    )
    ids = Counter(i for _, i in seen)
    staged_ids = query(postgres_dsn, "SELECT count(DISTINCT id) FROM svcforge_outbox")
    duplicates = sum(c - 1 for c in ids.values())
    # The order of first arrival, per partition: a republished message comes
    # again later, but the first time each came in staging order.
    first: set[int] = set()
    firsts: dict[int, list[int]] = {}
    for partition, i in seen:
        if i not in first:
            first.add(i)
            firsts.setdefault(partition, []).append(i)
    in_order = all(v == sorted(v) for v in firsts.values())
    print(
        f"\n[outbox] alerts={committed[0]} staged={committed[1]} "
        f"unsent_at_first_crash={unsent_at_crash} "
        f"sent_before_second_crash={sent_before_second_crash} "
        f"published_after_restart={published:.0f} on_topic={len(seen)} "
        f"distinct={len(ids)} lost={staged_ids - len(ids)} duplicates={duplicates} "
        f"republished_metric={republished:.0f} in_order={in_order}"
    )
    assert committed == (devices, devices)
    assert unsent_at_crash == devices
    assert 0 < sent_before_second_crash < devices
    assert len(ids) == staged_ids == devices
    assert duplicates <= republished <= batch
    assert in_order
    assert code == 0, log.read_text()[-3000:]

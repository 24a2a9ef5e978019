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
from svcforge.messaging import Messaging

from market_data.app import (
    TradeBook,
    collect,
    main,
    run_in_memory,
    simulated_trades,
    wire,
)

SRC = Path(__file__).resolve().parent.parent / "src"


def test_consumer_stores_every_trade_once() -> None:
    async def scenario() -> TradeBook:
        messaging = Messaging.in_memory()
        book = TradeBook()
        channels = wire(messaging, book)
        async with messaging:
            trades = simulated_trades(12)
            await collect(channels, trades + trades[:3])  # redelivered duplicates
            await messaging.drain()
        return book

    book = asyncio.run(scenario())
    assert len(book.seen) == 12
    assert book.trades == {"AAPL": 4, "MSFT": 4, "NVDA": 4}


def test_in_memory_run_reports_what_it_did() -> None:
    lines = asyncio.run(run_in_memory(9))
    assert lines[0].startswith("published 9 trades to channel 'trades'")
    assert lines[1].startswith("consumed and stored 9 trades")


def test_main_prints_summary(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--count", "6"])
    out = capsys.readouterr().out
    assert "in-memory broker" in out and "consumed and stored 6 trades" in out


def test_runs_as_a_service_on_real_servers(
    kafka_bootstrap: str, redis_url: str, tmp_path: Path
) -> None:
    """``python -m market_data`` against the real broker and Redis: it collects
    and consumes, then stops cleanly on SIGTERM."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    log = tmp_path / "log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "market_data",
                "--kafka",
                kafka_bootstrap,
                "--redis",
                redis_url,
                "--no-idempotence",
                "--count",
                "20",
                "--http-port",
                "0",
            ],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while '"collected"' not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    out = log.read_text()
    assert proc.returncode == 0, out
    assert '"collected"' in out and '"service stopped"' in out

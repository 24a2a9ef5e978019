"""Fault tests of the messaging runtime against the real Kafka-protocol broker
and Redis (never restarted: the consumer process is killed instead).

Consumers run as real subprocesses (tests/fault_worker.py) that are sent
SIGKILL or SIGTERM by PID.  Each test states exact counts and prints them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from messaging_support import Server, Trade, publish, trades

from svcforge.messaging import (
    Channel,
    MessageContext,
    Messaging,
    RetryPolicy,
)

pytestmark = pytest.mark.fault

WORKER = Path(__file__).with_name("fault_worker.py")
BATCH = 10


@pytest.fixture(params=["kafka", "redis"])
def server(request: pytest.FixtureRequest, unique_name: str) -> Server:
    if request.param == "kafka":
        return Server(
            "kafka", request.getfixturevalue("kafka_bootstrap"), f"{unique_name}."
        )
    return Server("redis", request.getfixturevalue("redis_url"), f"{unique_name}:")


class Worker:
    def __init__(
        self, server: Server, out: Path, *, delay: float, claim_idle_ms: int = 1000
    ) -> None:
        self.out = out
        self.log = out.with_suffix(f".{time.monotonic_ns()}.log")
        with self.log.open("w") as fh:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    str(WORKER),
                    "--transport",
                    server.transport,
                    "--server",
                    server.address,
                    "--prefix",
                    server.prefix,
                    "--out",
                    str(out),
                    "--delay",
                    str(delay),
                    "--batch",
                    str(BATCH),
                    "--claim-idle-ms",
                    str(claim_idle_ms),
                ],
                stdout=fh,
                stderr=subprocess.STDOUT,
            )

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = 30) -> int:
        return self.proc.wait(timeout)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text()


def lines(path: Path) -> tuple[list[int], list[int]]:
    starts, dones = [], []
    if path.exists():
        for line in path.read_text().splitlines():
            kind, _, seq = line.partition(" ")
            if kind == "start":
                starts.append(int(seq))
            elif kind == "done":
                dones.append(int(seq))
    return starts, dones


def wait_until(check: Callable[[], bool], what: str, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_sigkill_mid_stream_loses_nothing(server: Server, tmp_path: Path) -> None:
    """(a) A consumer killed with SIGKILL mid-stream and restarted: every one
    of N messages is processed at least once; duplicates are at most one
    fetch batch (processed, not yet committed/acked)."""
    n = 300
    asyncio.run(publish(server, trades(n)))
    first = tmp_path / "first"
    w1 = Worker(server, first, delay=0.003)
    wait_until(lambda: len(lines(first)[1]) >= 100, "the first consumer to process 100")
    w1.signal(signal.SIGKILL)
    assert w1.wait() == -signal.SIGKILL
    _, done1 = lines(first)

    second = tmp_path / "second"
    w2 = Worker(server, second, delay=0.0, claim_idle_ms=500)
    wait_until(
        lambda: set(done1) | set(lines(second)[1]) >= set(range(n)), "all N processed"
    )
    w2.signal(signal.SIGTERM)
    assert w2.wait() == 0, w2.output()
    _, done2 = lines(second)
    seen = Counter(done1 + done2)
    duplicates = sum(c - 1 for c in seen.values())
    lost = n - len(seen)
    print(
        f"\n[{server.transport}] (a) SIGKILL: N={n} processed_before_kill={len(done1)} "
        f"after_restart={len(done2)} distinct={len(seen)} lost={lost} "
        f"duplicates={duplicates}"
    )
    assert lost == 0
    assert set(seen) == set(range(n))
    assert duplicates <= BATCH


def test_sigterm_finishes_in_flight_then_restart_reprocesses_none(
    server: Server, tmp_path: Path
) -> None:
    """(b) SIGTERM mid-stream: the handlers in flight finish, their offsets or
    acks are committed, the process exits 0; a restart re-processes at most
    the ones that were in flight (here: none)."""
    n = 200
    asyncio.run(publish(server, trades(n)))
    first = tmp_path / "first"
    w1 = Worker(server, first, delay=0.02)
    wait_until(lambda: len(lines(first)[1]) >= 40, "the first consumer to process 40")
    w1.signal(signal.SIGTERM)
    starts_at_signal, dones_at_signal = lines(first)
    in_flight = len(starts_at_signal) - len(dones_at_signal)
    assert w1.wait() == 0, w1.output()
    starts1, done1 = lines(first)
    assert sorted(starts1) == sorted(done1), "an in-flight handler did not finish"
    assert "exit" in first.read_text()

    second = tmp_path / "second"
    w2 = Worker(server, second, delay=0.0, claim_idle_ms=500)
    wait_until(
        lambda: set(done1) | set(lines(second)[1]) >= set(range(n)), "all N processed"
    )
    w2.signal(signal.SIGTERM)
    assert w2.wait() == 0, w2.output()
    _, done2 = lines(second)
    reprocessed = len(set(done1) & set(done2))
    print(
        f"\n[{server.transport}] (b) SIGTERM: N={n} in_flight_at_signal={in_flight} "
        f"finished_before_exit={len(done1)} after_restart={len(done2)} "
        f"reprocessed={reprocessed}"
    )
    assert in_flight <= 1  # one handler at a time per partition/stream
    assert reprocessed <= in_flight
    assert reprocessed == 0
    assert sorted(done1 + done2) == list(range(n))


def test_poison_message_is_dead_lettered_while_the_stream_flows(server: Server) -> None:
    """(c) A message whose handler always fails runs exactly ``attempts`` times,
    then goes to the dead-letter target with error headers; all the others are
    processed."""
    n, poison, attempts = 60, 17, 3

    async def scenario() -> tuple[Counter[int], list[Any], Messaging]:
        await publish(server, trades(n))
        messaging = server.messaging()
        spec = server.spec(
            retry=RetryPolicy(attempts=attempts, backoff_ms=10, max_backoff_ms=50)
        )
        channel = Channel(spec, messaging)
        calls: Counter[int] = Counter()

        @channel.handler
        async def handle(trade: Trade, ctx: MessageContext) -> None:
            calls[trade.sequence] += 1
            if trade.sequence == poison:
                raise ValueError(f"cannot price trade {trade.sequence}")

        async with messaging:
            deadline = time.monotonic() + 30
            while len(calls) < n and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            dead = await read_dead_letters(server, messaging, spec)
        return calls, dead, messaging

    calls, dead, messaging = asyncio.run(scenario())
    value = messaging.metrics.registry.get_sample_value
    labels = {"channel": "trades", "transport": server.transport}
    print(
        f"\n[{server.transport}] (c) poison: N={n} handler_runs_of_poison={calls[poison]} "
        f"others_processed={sum(1 for s in calls if s != poison)} dead_letters={len(dead)}"
    )
    assert calls[poison] == attempts
    assert all(calls[s] == 1 for s in range(n) if s != poison)
    assert len(calls) == n
    assert len(dead) == 1
    headers = dead[0]
    assert headers["error-reason"] == b"handler-failed"
    assert headers["error-type"] == b"ValueError"
    assert headers["error-message"] == f"cannot price trade {poison}".encode()
    assert headers["error-attempts"] == str(attempts).encode()
    assert headers["message-type"] == b"com.svcforge.marketdata.Trade"
    if server.transport == "kafka":
        assert headers["source-topic"] == f"{server.prefix}market-data.trades".encode()
        assert int(headers["source-partition"]) in range(3)
        assert int(headers["source-offset"]) >= 0
    else:
        assert headers["source-stream"] == f"{server.prefix}market-data:trades".encode()
        assert b"-" in headers["source-id"]
    assert value("svcforge_messages_consumed_total", labels) == n - 1
    assert value("svcforge_messages_failed_total", labels) == attempts
    assert value("svcforge_messages_retried_total", labels) == attempts - 1
    assert (
        value(
            "svcforge_messages_dead_lettered_total",
            {**labels, "reason": "handler-failed"},
        )
        == 1
    )


async def read_dead_letters(
    server: Server, messaging: Messaging, spec: Any
) -> list[dict[str, bytes]]:
    """The dead-letter target's records' headers, read with the raw clients."""
    if server.transport == "kafka":
        import aiokafka

        consumer = aiokafka.AIOKafkaConsumer(
            server.prefix + spec.kafka.dead_letter,
            bootstrap_servers=server.address,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            batch = await consumer.getmany(timeout_ms=3000)
            return [dict(r.headers) for recs in batch.values() for r in recs]
        finally:
            await consumer.stop()
    from redis.asyncio import Redis

    client = Redis.from_url(server.address)
    try:
        entries = await client.xrange(server.prefix + spec.redis.dead_letter)
        return [
            {k[2:].decode(): v for k, v in fields.items() if k.startswith(b"h:")}
            for _, fields in entries
        ]
    finally:
        await client.aclose()


def test_redis_pending_entries_of_a_dead_consumer_are_claimed(
    redis_url: str, unique_name: str, tmp_path: Path
) -> None:
    """(d) A Redis consumer dies (SIGKILL) with entries pending; another
    consumer claims them (XAUTOCLAIM) and processes them; nothing stays
    pending."""
    server = Server("redis", redis_url, f"{unique_name}:")
    n = 120
    asyncio.run(publish(server, trades(n)))
    first = tmp_path / "first"
    w1 = Worker(server, first, delay=0.02)
    wait_until(lambda: len(lines(first)[1]) >= 15, "the first consumer to process 15")
    w1.signal(signal.SIGKILL)
    w1.wait()
    _, done1 = lines(first)

    async def pending() -> tuple[int, dict[str, int]]:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        try:
            info = await client.xpending(
                f"{server.prefix}market-data:trades",
                f"{server.prefix}market-data-store",
            )
            consumers = {
                (
                    c["name"].decode() if isinstance(c["name"], bytes) else c["name"]
                ): int(c["pending"])
                for c in info["consumers"]
            }
            return int(info["pending"]), consumers
        finally:
            await client.aclose()

    pending_at_kill, by_consumer = asyncio.run(pending())
    assert pending_at_kill >= 1 and len(by_consumer) == 1

    second = tmp_path / "second"
    w2 = Worker(server, second, delay=0.0, claim_idle_ms=500)
    wait_until(
        lambda: set(done1) | set(lines(second)[1]) >= set(range(n)), "all N processed"
    )
    w2.signal(signal.SIGTERM)
    assert w2.wait() == 0, w2.output()
    _, done2 = lines(second)
    pending_after, _ = asyncio.run(pending())
    claimed = [
        line for line in w2.output().splitlines() if "claimed pending entries" in line
    ]
    duplicates = len(set(done1) & set(done2))
    print(
        f"\n[redis] (d) claim: N={n} processed_before_kill={len(done1)} "
        f"pending_at_kill={pending_at_kill} after_claim={len(done2)} "
        f"pending_after={pending_after} duplicates={duplicates}"
    )
    assert claimed, w2.output()
    assert pending_after == 0
    assert set(done1) | set(done2) == set(range(n))
    assert duplicates <= pending_at_kill

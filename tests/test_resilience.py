"""Resilience policies: the circuit breaker's states (with its gauge and
readiness on a running service's HTTP endpoint), bulkheads, timeouts,
retries, and token buckets — local, and shared through a real Redis by
three processes."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from svcforge.resilience import (
    BreakerOpen,
    BreakerSpec,
    BulkheadFull,
    BulkheadSpec,
    Policies,
    PolicySpec,
    RateLimited,
    RateLimitSpec,
    RetrySpec,
)
from svcforge.service import HttpSettings, ServiceParts, ServiceSettings

HERE = Path(__file__).resolve().parent


class Dependency:
    """A venue feed that is down (raises) or up (answers) after ``delay_s``."""

    def __init__(self, delay_s: float = 0.002) -> None:
        self.up = False
        self.calls = 0
        self.delay_s = delay_s

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if not self.up:
            raise ConnectionError("venue feed down")
        return "quote"


def states(registry: CollectorRegistry, name: str) -> dict[str, float | None]:
    return {
        s: registry.get_sample_value(
            "svcforge_circuit_breaker_state", {"breaker": name, "state": s}
        )
        for s in ("closed", "open", "half_open")
    }


def only(state: str) -> dict[str, float]:
    return {s: float(s == state) for s in ("closed", "open", "half_open")}


def test_breaker_opens_fails_fast_half_opens_and_closes() -> None:
    async def scenario() -> None:
        registry = CollectorRegistry()
        policies = Policies(registry)
        # reset_s: far longer than the fail-fast loop takes on a loaded machine.
        spec = PolicySpec("venue", breaker=BreakerSpec(failures=3, reset_s=1.5))
        policy = policies.policy(spec)
        feed = Dependency()
        assert states(registry, "venue") == only("closed")

        for _ in range(3):
            with pytest.raises(ConnectionError):
                await policy.call(feed)
        assert feed.calls == 3
        assert states(registry, "venue") == only("open")
        assert "circuit open after 3 failures" in policies.problems()["breaker venue"]

        # Open: refused without calling the feed, far faster than a call.
        n = 2000
        began = time.perf_counter()
        for _ in range(n):
            with pytest.raises(BreakerOpen):
                await policy.call(feed)
        fail_fast_s = (time.perf_counter() - began) / n
        assert feed.calls == 3
        assert fail_fast_s < 0.001, f"{fail_fast_s * 1e6:.0f} us per refused call"
        assert fail_fast_s < feed.delay_s / 10
        rejected = registry.get_sample_value(
            "svcforge_policy_rejected_total",
            {"policy": "venue", "reason": "BreakerOpen"},
        )
        assert rejected == n

        # Half-open after the reset timeout: one trial; a failure reopens.
        await asyncio.sleep(1.55)
        assert states(registry, "venue") == only("half_open")
        assert policies.problems() == {}
        with pytest.raises(ConnectionError):
            await policy.call(feed)
        assert states(registry, "venue") == only("open")

        # Half-open again: while the trial runs, other calls fail fast; its
        # success closes the circuit.
        await asyncio.sleep(1.55)
        feed.up = True
        feed.delay_s = 0.5
        trial = asyncio.ensure_future(policy.call(feed))
        await asyncio.sleep(0.02)
        with pytest.raises(BreakerOpen, match="trial"):
            await policy.call(feed)
        assert states(registry, "venue") == only("half_open")
        assert await trial == "quote"
        assert states(registry, "venue") == only("closed")
        feed.delay_s = 0.002
        assert await policy.call(feed) == "quote"
        assert feed.calls == 6

    asyncio.run(scenario())


def test_a_cancelled_trial_neither_closes_nor_reopens_the_breaker() -> None:
    async def scenario() -> None:
        policy = Policies().policy(
            PolicySpec("feed", breaker=BreakerSpec(failures=1, reset_s=0.2))
        )
        breaker = policy.breaker
        assert breaker is not None
        feed = Dependency()
        with pytest.raises(ConnectionError):
            await policy.call(feed)
        await asyncio.sleep(0.25)
        feed.up, feed.delay_s = True, 5.0
        trial = asyncio.ensure_future(policy.call(feed))
        await asyncio.sleep(0.02)
        trial.cancel()
        with pytest.raises(asyncio.CancelledError):
            await trial
        assert breaker.state == "half_open"
        feed.up, feed.delay_s = False, 0.001
        with pytest.raises(ConnectionError):  # the next call is the trial
            await policy.call(feed)
        assert breaker.state == "open"

    asyncio.run(scenario())


class _Settings(BaseModel):
    """The smallest settings a ``ServiceParts`` runs on: the runner alone."""

    service: ServiceSettings


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_open_breaker_shows_in_readiness_and_metrics() -> None:
    runner = ServiceSettings(
        http=HttpSettings(host="127.0.0.1", port=0), ready_cache_s=0
    )
    parts = ServiceParts(_Settings(service=runner))
    spec = PolicySpec("venue-feed", breaker=BreakerSpec(failures=2, reset_s=3.0))
    policy = parts.policy(spec)
    feed = Dependency()
    seen: dict[str, tuple[int, str]] = {}

    async def main() -> None:
        http = parts.service.http
        assert http is not None
        seen["before"] = await asyncio.to_thread(get, f"{http.url}/health/ready")
        for _ in range(2):
            with pytest.raises(ConnectionError):
                await policy.call(feed)
        seen["open"] = await asyncio.to_thread(get, f"{http.url}/health/ready")
        seen["metrics"] = await asyncio.to_thread(get, f"{http.url}/metrics")
        await asyncio.sleep(3.05)
        feed.up = True
        await policy.call(feed)
        seen["closed"] = await asyncio.to_thread(get, f"{http.url}/health/ready")

    asyncio.run(parts.service.run(main, stop_when_main_returns=True))
    assert seen["before"][0] == 200, seen["before"]
    status, body = seen["open"]
    assert status == 503 and "breaker venue-feed" in body and "circuit open" in body
    metrics = seen["metrics"][1]
    assert 'svcforge_circuit_breaker_state{breaker="venue-feed",state="open"} 1.0' in (
        metrics
    )
    assert seen["closed"][0] == 200, seen["closed"]


def test_bulkhead_timeout_and_retry() -> None:
    async def scenario() -> None:
        policies = Policies()
        bulk = policies.policy(
            PolicySpec("db", bulkhead=BulkheadSpec(max_concurrent=2, max_wait_s=0))
        )
        release = asyncio.Event()
        running = 0
        peak = 0

        async def slow() -> None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await release.wait()
            running -= 1

        tasks = [asyncio.ensure_future(bulk.call(slow)) for _ in range(2)]
        await asyncio.sleep(0.01)
        with pytest.raises(BulkheadFull):
            await bulk.call(slow)
        release.set()
        await asyncio.gather(*tasks)
        assert peak == 2 and bulk.bulkhead is not None and bulk.bulkhead.in_use == 0

        timed = policies.policy(
            PolicySpec("slow", timeout_s=0.05, retry=RetrySpec(2, 1, 2))
        )
        attempts = 0

        async def hangs() -> None:
            nonlocal attempts
            attempts += 1
            await asyncio.sleep(10)

        began = time.monotonic()
        with pytest.raises(TimeoutError):
            await timed.call(hangs)
        assert attempts == 2 and time.monotonic() - began < 1

        flaky = policies.policy(PolicySpec("flaky", retry=RetrySpec(3, 1, 2)))
        tries = 0

        async def third_time() -> int:
            nonlocal tries
            tries += 1
            if tries < 3:
                raise ConnectionError("again")
            return tries

        assert await flaky(third_time)() == 3

    asyncio.run(scenario())


def test_local_token_bucket_admits_its_rate_and_refuses_beyond_max_wait() -> None:
    async def scenario() -> tuple[int, float]:
        policy = Policies().policy(
            PolicySpec("publish", rate_limit=RateLimitSpec(rate=200, burst=10))
        )
        began = time.monotonic()
        admitted = 0

        async def noop() -> None:
            nonlocal admitted
            admitted += 1

        while time.monotonic() - began < 1.0:
            await policy.call(noop)
        refusing = Policies().policy(
            PolicySpec(
                "strict", rate_limit=RateLimitSpec(rate=1, burst=1, max_wait_s=0)
            )
        )
        await refusing.call(noop)
        with pytest.raises(RateLimited):
            await refusing.call(noop)
        return admitted, time.monotonic() - began

    admitted, _ = asyncio.run(scenario())
    assert 200 <= admitted <= 215  # the burst, then 200 a second


def test_redis_rate_limit_is_shared_by_three_processes(redis_url: str) -> None:
    """Three processes on one 100/s bucket admit 100 ± 5 per second in total."""
    start = time.time() + 2.0
    duration = 4.0
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(HERE / "ratelimit_worker.py"),
                redis_url,
                "shared-test",
                "100",
                repr(start),
                repr(duration),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    admitted: list[list[float]] = []
    for w in workers:
        out, err = w.communicate(timeout=60)
        assert w.returncode == 0, err
        admitted.append([float(line) for line in out.split()])
    assert all(len(a) > 50 for a in admitted), [len(a) for a in admitted]
    every = sorted(t for a in admitted for t in a)
    # The first second holds the burst (5 tokens); then the steady rate.
    per_second = [
        sum(start + s <= t < start + s + 1 for t in every) for s in range(1, 4)
    ]
    assert all(95 <= n <= 105 for n in per_second), per_second


def test_policies_guard_database_calls_on_a_real_postgres(postgres_dsn: str) -> None:
    """The generated ``App.db``: repositories' calls under the postgres
    policy; a statement past the timeout fails, and failures open the
    breaker, after which calls never reach the server."""
    from svcforge.db import Database
    from svcforge.resilience import GuardedExecutor

    async def scenario() -> None:
        policies = Policies()
        spec = PolicySpec(
            "postgres", timeout_s=0.2, breaker=BreakerSpec(failures=2, reset_s=60)
        )
        async with Database(postgres_dsn) as database:
            db = GuardedExecutor(database, policies.policy(spec))
            assert await db.fetchval("SELECT 41 + 1") == 42
            for _ in range(2):
                with pytest.raises(TimeoutError):
                    await db.execute("SELECT pg_sleep(5)")
            began = time.monotonic()
            with pytest.raises(BreakerOpen):
                await db.fetchval("SELECT 1")
            assert time.monotonic() - began < 0.1
            assert "breaker postgres" in policies.problems()
            # The server is fine: only the guarded path fails fast.
            assert await database.fetchval("SELECT 1") == 1

    asyncio.run(scenario())


def test_a_guarded_channel_publishes_at_its_rate() -> None:
    """A channel's policy applies to each publish: 30 messages through a
    20/s bucket (burst 10) take about a second."""
    from messaging_support import TRADES, example_trade

    from svcforge.messaging import Channel, Messaging

    async def scenario() -> float:
        messaging = Messaging.in_memory()
        channel = Channel(TRADES, messaging)
        policy = Policies().policy(
            PolicySpec("channel:trades", rate_limit=RateLimitSpec(rate=20, burst=10))
        )
        channel.guard(policy)
        assert [g.name for g in channel.guards] == ["channel:trades"]
        async with messaging:
            began = time.monotonic()
            for _ in range(30):
                await channel.publish(example_trade())
            return time.monotonic() - began

    elapsed = asyncio.run(scenario())
    assert 0.9 <= elapsed < 3.0, elapsed


def test_bench_quick_prints_the_table_and_the_bench_line() -> None:
    """Format only: never a speed assertion."""
    out = subprocess.run(
        [sys.executable, str(HERE.parent / "bench" / "resilience.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert "open breaker refuses" in out.stdout
    assert re.fullmatch(
        r"bench: closed_breaker_vs_plain=\S+ bucket_vs_plain=\S+ "
        r"fail_fast_vs_plain=\S+ fail_fast_vs_purgatory=\S+ "
        r"fail_fast_vs_1ms_call=\S+",
        lines[-1],
    ), lines[-1]

"""What the resilience policies cost per call, and how fast an open breaker
refuses: a plain awaited call is the baseline, measured in the same run.

    python bench/resilience.py [--quick]

Rows: a plain ``await fn()``; the same call through a policy with a closed
breaker; through a local token bucket (a rate so high it never waits); an
open breaker refusing (``BreakerOpen``, the feed never called); purgatory's
own refusal for comparison (the library the breaker runs on); a dependency
call that takes 1 ms, which an open breaker saves.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Awaitable, Callable

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from svcforge.resilience import (
    BreakerOpen,
    BreakerSpec,
    Policies,
    PolicySpec,
    RateLimitSpec,
)


async def noop() -> None:
    return None


async def down() -> None:
    raise ConnectionError("down")


async def one_ms() -> None:
    await asyncio.sleep(0.001)


async def timed(n: int, call: Callable[[], Awaitable[object]]) -> float:
    """Seconds per call, best of three rounds of ``n``."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        for _ in range(n):
            with contextlib.suppress(BreakerOpen, OpenedState):
                await call()
        best = min(best, (time.perf_counter() - began) / n)
    return best


async def run(n: int) -> dict[str, float]:
    policies = Policies()
    closed = policies.policy(PolicySpec("closed", breaker=BreakerSpec(5, 60)))
    bucket = policies.policy(PolicySpec("bucket", rate_limit=RateLimitSpec(1e12)))
    tripped = policies.policy(PolicySpec("open", breaker=BreakerSpec(1, 60)))
    with contextlib.suppress(ConnectionError):
        await tripped.call(down)
    factory = AsyncCircuitBreakerFactory(default_threshold=1, default_ttl=60)
    raw = await factory.get_breaker("raw")
    try:
        async with raw:
            await down()
    except ConnectionError:
        pass

    async def purgatory_open() -> None:
        breaker = await factory.get_breaker("raw")
        async with breaker:
            await noop()

    return {
        "plain await": await timed(n, noop),
        "policy, breaker closed": await timed(n, lambda: closed.call(noop)),
        "policy, local bucket": await timed(n, lambda: bucket.call(noop)),
        "open breaker refuses": await timed(n, lambda: tripped.call(noop)),
        "purgatory refuses": await timed(n, purgatory_open),
        "dependency call, 1 ms": await timed(max(n // 200, 20), one_ms),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    n = 2_000 if quick else 50_000
    results = asyncio.run(run(n))
    print(f"resilience: {n} calls per row (best of 3)")
    print(f"{'case':<26}{'us/call':>10}")
    for name, seconds in results.items():
        print(f"{name:<26}{seconds * 1e6:>10.2f}")
    plain = results["plain await"]
    refuse = results["open breaker refuses"]
    print(
        "bench: "
        f"closed_breaker_vs_plain={results['policy, breaker closed'] / plain:.2f} "
        f"bucket_vs_plain={results['policy, local bucket'] / plain:.2f} "
        f"fail_fast_vs_plain={refuse / plain:.2f} "
        f"fail_fast_vs_purgatory={refuse / results['purgatory refuses']:.2f} "
        f"fail_fast_vs_1ms_call={refuse / results['dependency call, 1 ms']:.4f}"
    )


if __name__ == "__main__":
    main()

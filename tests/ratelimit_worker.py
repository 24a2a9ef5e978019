"""One replica of a rate-limited service (run by tests/test_resilience.py):
from ``start`` (epoch seconds) for ``duration`` seconds, take tokens of the
Redis bucket ``name`` as fast as they come, then print the epoch time of
each admission, one per line."""

from __future__ import annotations

import asyncio
import sys
import time

from svcforge.resilience import RateLimitSpec, RedisTokenBucket


async def main(url: str, name: str, rate: float, start: float, duration: float) -> None:
    bucket = RedisTokenBucket(name, RateLimitSpec(rate=rate, burst=5, shared=True), url)
    admitted: list[float] = []
    await bucket.redis.ping()  # connected before the start
    await asyncio.sleep(max(0.0, start - time.time()))
    while time.time() < start + duration:
        await bucket.acquire()
        admitted.append(time.time())
    await bucket.close()
    print("\n".join(f"{t:.6f}" for t in admitted))


if __name__ == "__main__":
    url, name, rate, start, duration = sys.argv[1:6]
    asyncio.run(main(url, name, float(rate), float(start), float(duration)))

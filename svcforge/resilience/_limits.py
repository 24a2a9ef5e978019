"""Bulkheads and token-bucket rate limits, in one process or shared through
Redis.

The rate limits reserve: a caller takes its token at once (the bucket may go
below zero) and sleeps until the token is due, so that waiting callers are
served in arrival order and the admitted rate is exact, in one process as
across replicas.  ``limits`` (the well-kept library) has fixed, moving and
sliding windows but no token bucket, and its waits are polling loops; the
bucket is a few lines, and the Redis one a script that runs atomically on
Redis's own clock."""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Any, Protocol

from svcforge.resilience._errors import BulkheadFull, RateLimited
from svcforge.resilience._spec import BulkheadSpec, RateLimitSpec

__all__ = ["Bulkhead", "Limiter", "LocalTokenBucket", "RedisTokenBucket"]


class Bulkhead:
    """``async with bulkhead:`` at most ``max_concurrent`` bodies at once."""

    def __init__(self, name: str, spec: BulkheadSpec) -> None:
        self.name = name
        self.spec = spec
        self._slots = asyncio.Semaphore(spec.max_concurrent)
        self.in_use = 0

    async def __aenter__(self) -> None:
        wait = self.spec.max_wait_s
        if wait is None:
            await self._slots.acquire()
        elif self._slots.locked() and wait <= 0:
            raise BulkheadFull(self.name, f"{self.spec.max_concurrent} calls running")
        else:
            try:
                async with asyncio.timeout(wait):
                    await self._slots.acquire()
            except TimeoutError:
                raise BulkheadFull(
                    self.name,
                    f"{self.spec.max_concurrent} calls running for {wait:g} s",
                ) from None
        self.in_use += 1

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.in_use -= 1
        self._slots.release()


class Limiter(Protocol):
    async def acquire(self) -> None:
        """Return when the caller may go (raise ``RateLimited`` if not in
        time)."""

    async def close(self) -> None: ...


class LocalTokenBucket:
    """A token bucket of this process (monotonic clock)."""

    def __init__(self, name: str, spec: RateLimitSpec) -> None:
        self.name = name
        self.spec = spec
        self._tokens = float(spec.capacity)
        self._at = time.monotonic()

    def reserve(self) -> float:
        """Take a token; the seconds until it is due (0: now).  Raises
        ``RateLimited`` (taking nothing) when that is beyond ``max_wait_s``."""
        now = time.monotonic()
        spec = self.spec
        tokens = min(float(spec.capacity), self._tokens + (now - self._at) * spec.rate)
        wait = max(0.0, (1.0 - tokens) / spec.rate)
        if spec.max_wait_s is not None and wait > spec.max_wait_s:
            raise RateLimited(self.name, _refusal(spec))
        self._tokens, self._at = tokens - 1.0, now
        return wait

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    async def close(self) -> None:
        return None


# KEYS[1]: the bucket (a hash: tokens, ts in microseconds of Redis's clock).
# ARGV: rate per second, capacity, max wait in microseconds (-1: unbounded).
# Returns the microseconds until the reserved token is due, or -1 (refused,
# nothing taken).  Reads TIME: Redis 7 replicates a script's effects, so a
# script may read the clock.
_TOKEN_BUCKET = """
local now_s = redis.call('TIME')
local now = tonumber(now_s[1]) * 1000000 + tonumber(now_s[2])
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000000)
local wait = 0
if tokens < 1 then
  wait = math.ceil((1 - tokens) * 1000000 / rate)
end
if max_wait >= 0 and wait > max_wait then
  return -1
end
tokens = tokens - 1
-- Numbers as strings: Lua would print a 16-digit timestamp with 14 digits.
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
  'ts', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * 1000 / rate) + 1000)
return wait
"""


class RedisTokenBucket:
    """One token bucket for every process that names it, kept in Redis.
    ``redis`` is a ``redis.asyncio.Redis`` client (or a URL: the bucket
    then owns a client of its own and closes it)."""

    def __init__(
        self, name: str, spec: RateLimitSpec, redis: Any, *, prefix: str = ""
    ) -> None:
        self.name = name
        self.spec = spec
        self.key = f"{prefix}svcforge:rate:{name}"
        self._owned = isinstance(redis, str)
        if isinstance(redis, str):
            from redis.asyncio import Redis

            redis = Redis.from_url(redis)
        self.redis = redis
        self._script = redis.register_script(_TOKEN_BUCKET)

    async def reserve(self) -> float:
        spec = self.spec
        limit = -1 if spec.max_wait_s is None else int(spec.max_wait_s * 1e6)
        wait = int(
            await self._script(
                keys=[self.key], args=[repr(spec.rate), spec.capacity, limit]
            )
        )
        if wait < 0:
            raise RateLimited(self.name, _refusal(spec))
        return wait / 1e6

    async def acquire(self) -> None:
        wait = await self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    async def close(self) -> None:
        if self._owned:
            await self.redis.aclose()


def _refusal(spec: RateLimitSpec) -> str:
    return f"rate limit {spec.rate:g}/s: no token within {spec.max_wait_s:g} s"

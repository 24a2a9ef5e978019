"""A policy (timeout, retry, breaker, bulkhead, rate limit) around calls to
one dependency, and ``Policies``: a service's policies, their metrics and
their readiness."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from tenacity import (
    AsyncRetrying,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from svcforge.resilience._breaker import STATES, Breaker
from svcforge.resilience._errors import PolicyRejected
from svcforge.resilience._limits import (
    Bulkhead,
    Limiter,
    LocalTokenBucket,
    RedisTokenBucket,
)
from svcforge.resilience._spec import PolicySpec

__all__ = ["Policies", "Policy"]

P = ParamSpec("P")
T = TypeVar("T")


class Policy:
    """``await policy.call(fn, *args)`` or ``@policy`` on an ``async def``:
    retry (tenacity) around attempts, each of which takes a rate-limit token,
    passes the breaker, holds a bulkhead slot and runs under the timeout."""

    def __init__(
        self,
        spec: PolicySpec,
        *,
        limiter: Limiter | None = None,
        rejected: Counter | None = None,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.breaker = (
            None if spec.breaker is None else Breaker(spec.name, spec.breaker)
        )
        self.bulkhead = (
            None if spec.bulkhead is None else Bulkhead(spec.name, spec.bulkhead)
        )
        if limiter is None and spec.rate_limit is not None:
            limiter = LocalTokenBucket(spec.name, spec.rate_limit)
        self.limiter = limiter
        self._rejected = rejected

    def __call__(self, fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(fn)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            return await self.call(fn, *args, **kwargs)

        return guarded

    async def call(
        self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        try:
            retry = self.spec.retry
            if retry is None or retry.attempts <= 1:
                return await self._attempt(fn, *args, **kwargs)
            backoff = retry.backoff_ms / 1000
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(retry.attempts),
                wait=wait_exponential_jitter(
                    multiplier=backoff, max=retry.max_backoff_ms / 1000, jitter=backoff
                ),
                retry=retry_if_not_exception_type(PolicyRejected),
                reraise=True,
            ):
                with attempt:
                    return await self._attempt(fn, *args, **kwargs)
            raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover
        except PolicyRejected as exc:
            if self._rejected is not None:
                self._rejected.labels(self.name, type(exc).__name__).inc()
            raise

    async def _attempt(
        self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self.limiter is not None:
            await self.limiter.acquire()
        if self.breaker is None:
            return await self._bounded(fn, *args, **kwargs)

        async def bounded() -> T:
            return await self._bounded(fn, *args, **kwargs)

        return await self.breaker.call(bounded)

    async def _bounded(
        self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self.bulkhead is None:
            return await self._timed(fn, *args, **kwargs)
        async with self.bulkhead:
            return await self._timed(fn, *args, **kwargs)

    async def _timed(
        self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self.spec.timeout_s is None:
            return await fn(*args, **kwargs)
        async with asyncio.timeout(self.spec.timeout_s):
            return await fn(*args, **kwargs)

    def problem(self) -> str | None:
        """Readiness: an open breaker."""
        return None if self.breaker is None else self.breaker.problem()


class _BreakerStates(Collector):
    """``svcforge_circuit_breaker_state{breaker, state}``: 1 for the state
    each breaker is in, 0 for the others, read when scraped (a breaker turns
    half-open by the clock, not by an event)."""

    def __init__(self, policies: Policies) -> None:
        self._policies = policies

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "svcforge_circuit_breaker_state",
            "Circuit breaker state: 1 for the current one of closed, open, half_open.",
            labels=["breaker", "state"],
        )
        for breaker in self._policies.breakers():
            now = breaker.state
            for state in STATES:
                gauge.add_metric([breaker.name, state], 1.0 if state == now else 0.0)
        yield gauge


class Policies:
    """A service's policies by name, with their metrics in ``registry``
    (the breakers' state gauge, ``svcforge_policy_rejected_total``).
    ``redis`` (a client or URL) backs the shared rate limits; without it a
    shared limit is one per process."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        redis: Any = None,
        prefix: str = "",
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._redis = redis
        self._prefix = prefix
        self._policies: dict[str, Policy] = {}
        self._rejected = Counter(
            "svcforge_policy_rejected_total",
            "Calls a policy refused without running them, by reason.",
            ["policy", "reason"],
            registry=self.registry,
        )
        self.registry.register(_BreakerStates(self))
        self.name = "policies"

    def policy(self, spec: PolicySpec) -> Policy:
        """The policy of ``spec.name``, made on first use."""
        found = self._policies.get(spec.name)
        if found is not None:
            if found.spec != spec:
                raise ValueError(f"policy {spec.name!r} declared twice, differently")
            return found
        limiter: Limiter | None = None
        limit = spec.rate_limit
        if limit is not None and limit.shared and self._redis is not None:
            limiter = RedisTokenBucket(
                spec.name, limit, self._redis, prefix=self._prefix
            )
        made = self._policies[spec.name] = Policy(
            spec, limiter=limiter, rejected=self._rejected
        )
        return made

    def __getitem__(self, name: str) -> Policy:
        return self._policies[name]

    def breakers(self) -> list[Breaker]:
        return [p.breaker for p in self._policies.values() if p.breaker is not None]

    def problems(self) -> dict[str, str]:
        """Readiness: each open breaker and why."""
        out = {}
        for name, policy in sorted(self._policies.items()):
            found = policy.problem()
            if found is not None:
                out[f"breaker {name}"] = found
        return out

    # A runner worker: nothing to start; the shared limits' clients close.
    async def start(self) -> None:
        return None

    async def stop(self, timeout: float) -> None:
        for policy in self._policies.values():
            if policy.limiter is not None:
                await policy.limiter.close()

    def problem(self) -> str | None:
        """Liveness: an open breaker is a dependency's trouble, not ours."""
        return None

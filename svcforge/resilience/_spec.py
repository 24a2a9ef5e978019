"""What a resilience policy is made of, as plain frozen data: what the
generated wiring writes from ``[tool.svcforge.policies]`` and what code may
build by hand.  Importing it needs nothing beyond the standard library."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BreakerSpec",
    "BulkheadSpec",
    "PolicySpec",
    "RateLimitSpec",
    "RetrySpec",
]


@dataclass(frozen=True, slots=True)
class RetrySpec:
    """Attempts of one call, with exponential backoff and jitter between them
    (tenacity).  A call refused by a breaker, bulkhead or rate limit is not
    retried: the refusal is the answer."""

    attempts: int = 3
    backoff_ms: int = 100
    max_backoff_ms: int = 10_000


@dataclass(frozen=True, slots=True)
class BreakerSpec:
    """A circuit breaker: ``failures`` failed calls in a row open it; while
    open, calls fail fast with ``BreakerOpen``; ``reset_s`` after it opened,
    one trial call goes through (half-open), and its outcome closes or
    reopens it."""

    failures: int = 5
    reset_s: float = 30.0


@dataclass(frozen=True, slots=True)
class BulkheadSpec:
    """At most ``max_concurrent`` calls at once; a call waits up to
    ``max_wait_s`` for a slot (0: refused at once, ``None``: as long as it
    takes), then fails with ``BulkheadFull``."""

    max_concurrent: int
    max_wait_s: float | None = 0.0


@dataclass(frozen=True, slots=True)
class RateLimitSpec:
    """A token bucket: ``rate`` calls per second on average, bursts of up to
    ``burst`` (default: one second's worth, at least 1).  ``shared``: one
    bucket in Redis for every replica of the service (an atomic script, on
    Redis's own clock); else one per process.  A call waits for its token up
    to ``max_wait_s`` (``None``: as long as it takes), then fails with
    ``RateLimited``."""

    rate: float
    burst: int | None = None
    shared: bool = False
    max_wait_s: float | None = None

    @property
    def capacity(self) -> int:
        return self.burst if self.burst is not None else max(1, int(self.rate))


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """Everything guarding calls to one dependency (or one channel's
    publishing).  Applied outside in: retry, then for each attempt the rate
    limit, the breaker, the bulkhead and the timeout."""

    name: str
    timeout_s: float | None = None
    retry: RetrySpec | None = None
    breaker: BreakerSpec | None = None
    bulkhead: BulkheadSpec | None = None
    rate_limit: RateLimitSpec | None = None

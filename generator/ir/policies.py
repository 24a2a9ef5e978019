"""Resilience policies of ``[tool.svcforge.policies]`` and of a channel's
``policy``: what guards calls to a dependency, or a channel's publishing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.ir.base import Span

PolicyTarget = Literal["external", "postgres", "kafka", "redis", "channel"]
"""What a policy guards: a named external dependency (code calls it), the
database calls of repositories and queries, publishing on every channel of
a transport, or one channel's publishing."""


@dataclass(frozen=True, slots=True)
class PolicyRetry:
    attempts: int
    backoff_ms: int
    max_backoff_ms: int


@dataclass(frozen=True, slots=True)
class PolicyBreaker:
    failures: int
    reset_s: float


@dataclass(frozen=True, slots=True)
class PolicyBulkhead:
    max_concurrent: int
    max_wait_s: float


@dataclass(frozen=True, slots=True)
class PolicyRateLimit:
    rate: float
    burst: int | None
    shared: bool
    max_wait_s: float | None


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    """The runtime's name for it (metrics labels, the Redis bucket's key):
    the table's name, ``channel:<name>`` for a channel's policy."""
    target: PolicyTarget
    py_name: str
    """The attribute of the generated ``Policies`` class (dependencies only)."""
    constant: str
    """The module-level ``PolicySpec`` constant of ``wiring.py``."""
    span: Span
    timeout_s: float | None = None
    retry: PolicyRetry | None = None
    breaker: PolicyBreaker | None = None
    bulkhead: PolicyBulkhead | None = None
    rate_limit: PolicyRateLimit | None = None

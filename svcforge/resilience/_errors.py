"""Why a policy refused a call without running it."""

from __future__ import annotations

__all__ = ["BreakerOpen", "BulkheadFull", "PolicyRejected", "RateLimited"]


class PolicyRejected(Exception):
    """A policy refused the call (it never reached the dependency).  Not
    retried, and not counted as a failure by the breaker."""

    def __init__(self, policy: str, reason: str) -> None:
        super().__init__(f"{policy}: {reason}")
        self.policy = policy
        self.reason = reason


class BreakerOpen(PolicyRejected):
    """The circuit breaker is open (or a half-open trial is in flight)."""


class BulkheadFull(PolicyRejected):
    """Every slot of the bulkhead stayed taken for ``max_wait_s``."""


class RateLimited(PolicyRejected):
    """No token within ``max_wait_s``."""

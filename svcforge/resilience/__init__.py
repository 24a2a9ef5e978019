"""Resilience policies: timeouts, retries (tenacity), circuit breakers
(purgatory's state machine), bulkheads and token-bucket rate limits, local
or shared by every replica through Redis.

The specs (``PolicySpec`` and its parts) and the errors import nothing
beyond the standard library; the policies themselves need the ``service``
extra and are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from svcforge.resilience._errors import (
    BreakerOpen,
    BulkheadFull,
    PolicyRejected,
    RateLimited,
)
from svcforge.resilience._spec import (
    BreakerSpec,
    BulkheadSpec,
    PolicySpec,
    RateLimitSpec,
    RetrySpec,
)

if TYPE_CHECKING:
    from svcforge.resilience._breaker import Breaker, BreakerState
    from svcforge.resilience._executor import GuardedExecutor
    from svcforge.resilience._limits import (
        Bulkhead,
        LocalTokenBucket,
        RedisTokenBucket,
    )
    from svcforge.resilience._policy import Policies, Policy

__all__ = [
    "Breaker",
    "BreakerOpen",
    "BreakerSpec",
    "BreakerState",
    "Bulkhead",
    "BulkheadFull",
    "BulkheadSpec",
    "GuardedExecutor",
    "LocalTokenBucket",
    "Policies",
    "Policy",
    "PolicyRejected",
    "PolicySpec",
    "RateLimitSpec",
    "RateLimited",
    "RedisTokenBucket",
    "RetrySpec",
]

_LAZY = {
    "Breaker": "svcforge.resilience._breaker",
    "BreakerState": "svcforge.resilience._breaker",
    "Bulkhead": "svcforge.resilience._limits",
    "GuardedExecutor": "svcforge.resilience._executor",
    "LocalTokenBucket": "svcforge.resilience._limits",
    "Policies": "svcforge.resilience._policy",
    "Policy": "svcforge.resilience._policy",
    "RedisTokenBucket": "svcforge.resilience._limits",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'svcforge.resilience' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

"""The service runner: structlog, prometheus metrics, health and metrics over
HTTP, graceful shutdown on SIGTERM/SIGINT.

The settings models import nothing beyond pydantic; the runner's parts
(which need the ``service`` extra: structlog, prometheus-client, tenacity) are
imported on first use, so generated settings work with the bare runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from svcforge.service._settings import HttpSettings, LoggingSettings, ServiceSettings

if TYPE_CHECKING:
    from svcforge.service._http import HealthServer
    from svcforge.service._logging import configure_logging
    from svcforge.service._runner import Check, Service, ServiceFailed

__all__ = [
    "Check",
    "HealthServer",
    "HttpSettings",
    "LoggingSettings",
    "Service",
    "ServiceFailed",
    "ServiceSettings",
    "configure_logging",
]

_LAZY = {
    "Check": "svcforge.service._runner",
    "Service": "svcforge.service._runner",
    "ServiceFailed": "svcforge.service._runner",
    "HealthServer": "svcforge.service._http",
    "configure_logging": "svcforge.service._logging",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'svcforge.service' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

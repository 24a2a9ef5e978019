"""The service runner: structlog, prometheus metrics, health and metrics over
HTTP, graceful shutdown on SIGTERM/SIGINT.

The settings models import nothing beyond pydantic; the runner's parts
(which need the ``service`` extra: structlog, prometheus-client, tenacity) are
imported on first use, so generated settings work with the bare runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from svcforge.service._settings import (
    Environment,
    HttpSettings,
    LoggingSettings,
    OutboxSettings,
    RunnerSettings,
    ServiceSettings,
)

if TYPE_CHECKING:
    from svcforge.service._http import HealthServer
    from svcforge.service._logging import configure_logging
    from svcforge.service._outbox import OUTBOX_ID, OutboxChannel, OutboxRelay
    from svcforge.service._parts import ServiceParts, settings_or_exit
    from svcforge.service._reload import SettingsReloader, reloadable_paths
    from svcforge.service._runner import Check, Service, ServiceFailed, Setup, Worker
    from svcforge.service._stores import StoreHandler, StoreHook

__all__ = [
    "OUTBOX_ID",
    "Check",
    "Environment",
    "HealthServer",
    "HttpSettings",
    "LoggingSettings",
    "OutboxChannel",
    "OutboxRelay",
    "OutboxSettings",
    "RunnerSettings",
    "Service",
    "ServiceFailed",
    "ServiceParts",
    "ServiceSettings",
    "SettingsReloader",
    "Setup",
    "StoreHandler",
    "StoreHook",
    "Worker",
    "configure_logging",
    "reloadable_paths",
    "settings_or_exit",
]

_LAZY = {
    "OUTBOX_ID": "svcforge.service._outbox",
    "OutboxChannel": "svcforge.service._outbox",
    "OutboxRelay": "svcforge.service._outbox",
    "ServiceParts": "svcforge.service._parts",
    "settings_or_exit": "svcforge.service._parts",
    "SettingsReloader": "svcforge.service._reload",
    "reloadable_paths": "svcforge.service._reload",
    "StoreHandler": "svcforge.service._stores",
    "StoreHook": "svcforge.service._stores",
    "Check": "svcforge.service._runner",
    "Service": "svcforge.service._runner",
    "ServiceFailed": "svcforge.service._runner",
    "Setup": "svcforge.service._runner",
    "Worker": "svcforge.service._runner",
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

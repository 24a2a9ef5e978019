"""The service runner: structlog, prometheus metrics, health and metrics over
HTTP, graceful shutdown on SIGTERM/SIGINT."""

from svcforge.service._http import HealthServer
from svcforge.service._logging import configure_logging
from svcforge.service._runner import Check, Service
from svcforge.service._settings import HttpSettings, LoggingSettings, ServiceSettings

__all__ = [
    "Check",
    "HealthServer",
    "HttpSettings",
    "LoggingSettings",
    "Service",
    "ServiceSettings",
    "configure_logging",
]

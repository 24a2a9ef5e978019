"""Settings of the service runner, one pydantic model per concern.

Every field has a default, so each model works on its own; a service's
generated settings class nests them (``LOGGING__LEVEL=DEBUG``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HttpSettings", "LoggingSettings", "ServiceSettings"]


class LoggingSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    format: Literal["auto", "json", "console"] = "auto"
    """``auto``: console lines in development, JSON lines in production."""


class HttpSettings(BaseModel):
    """The health and metrics endpoint: ``/health/live``, ``/health/ready``,
    ``/metrics``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=0, le=65535)
    """0 picks a free port (tests)."""


class ServiceSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    environment: Literal["development", "production"] = "production"
    logging: LoggingSettings = LoggingSettings()
    http: HttpSettings = HttpSettings()
    shutdown_timeout_s: float = Field(default=20.0, gt=0)
    """How long in-flight handlers may take to finish after SIGTERM."""
    startup_timeout_s: float = Field(default=60.0, ge=0)
    """How long start-up waits for Kafka, Redis and PostgreSQL, retrying with
    backoff (not ready meanwhile), before the service exits with status 1."""
    ready_cache_s: float = Field(default=1.0, ge=0)
    """How long a readiness result is reused: a flood of probes costs the
    dependencies one check per interval."""

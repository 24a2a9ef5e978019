"""Settings of the service runner, one pydantic model per concern.

Every field has a default, so each model works on its own; a service's
generated settings class nests them (``LOGGING__LEVEL=DEBUG``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Environment",
    "HttpSettings",
    "LoggingSettings",
    "OutboxSettings",
    "RunnerSettings",
    "ServiceSettings",
]

Environment = Literal["development", "production"]


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


class RunnerSettings(BaseModel):
    """How the service runs: where, and how long it waits at start and stop."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    environment: Literal["development", "production"] = "development"
    """``development``: console logs, and a server none of whose settings is
    given runs embedded (the in-memory broker, a throwaway PostgreSQL).
    ``production``: JSON logs, and every server must be configured."""
    shutdown_timeout_s: float = Field(default=20.0, gt=0)
    """How long in-flight handlers may take to finish after SIGTERM."""
    startup_timeout_s: float = Field(default=60.0, ge=0)
    """How long start-up waits for Kafka, Redis and PostgreSQL, retrying with
    backoff (not ready meanwhile), before the service exits with status 1."""
    ready_cache_s: float = Field(default=1.0, ge=0)
    """How long a readiness result is reused: a flood of probes costs the
    dependencies one check per interval."""

    def service(
        self, *, logging: LoggingSettings, http: HttpSettings
    ) -> ServiceSettings:
        """The runner's settings with these logging and HTTP groups."""
        return ServiceSettings(
            environment=self.environment,
            shutdown_timeout_s=self.shutdown_timeout_s,
            startup_timeout_s=self.startup_timeout_s,
            ready_cache_s=self.ready_cache_s,
            logging=logging,
            http=http,
        )


class OutboxSettings(BaseModel):
    """The outbox relay: publishes the messages staged in ``svcforge_outbox``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    """Run the relay in this process (off: another process of the service
    publishes the staged messages)."""
    batch_size: int = Field(default=500, gt=0)
    """Staged messages published per round; after a crash at most this many
    are published again (counted in ``svcforge_outbox_republished_total``)."""
    poll_interval_s: float = Field(default=1.0, gt=0)
    """How often the relay looks for staged messages when no notification
    came (a commit that stages one wakes it at once)."""
    retention_s: float = Field(default=86400.0, ge=0)
    """How long sent messages stay in the table before they are deleted."""


class ServiceSettings(RunnerSettings):
    """Everything ``Service`` reads: ``RunnerSettings`` with the logging and
    HTTP groups.  Made by hand, it defaults to production."""

    environment: Literal["development", "production"] = "production"
    logging: LoggingSettings = LoggingSettings()
    http: HttpSettings = HttpSettings()

"""structlog set up once per process: JSON lines in production, readable
console lines in development; the standard library's loggers (aiokafka,
redis) go through the same renderer."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from svcforge.messaging import add_message_fields
from svcforge.service._settings import LoggingSettings
from svcforge.settings._secret import scrub
from svcforge.tracing import add_trace_fields

__all__ = ["configure_logging", "scrub_secrets"]


def scrub_secrets(
    logger: object, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: every secret the settings hold, and URL
    passwords, masked in every text of the line (tracebacks included)."""
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = scrub(value)
        elif value is not None and not isinstance(value, int | float | bool):
            text = str(value)
            masked = scrub(text)
            if masked != text:  # else keep its type (a list stays a list)
                event[key] = masked
    return event


class _Handler(logging.StreamHandler[Any]):
    """Ours, so that configuring again replaces it rather than adding one."""


def configure_logging(
    settings: LoggingSettings | None = None,
    *,
    environment: str = "production",
    stream: Any = None,
) -> None:
    settings = settings or LoggingSettings()
    fmt = settings.format
    if fmt == "auto":
        fmt = "console" if environment == "development" else "json"
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_message_fields,
        add_trace_fields,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                scrub_secrets,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level)

"""structlog set up once per process: JSON lines in production, readable
console lines in development; the standard library's loggers (aiokafka,
redis) go through the same renderer."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from svcforge.messaging import add_message_fields
from svcforge.service._settings import LoggingSettings

__all__ = ["configure_logging"]


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
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level)

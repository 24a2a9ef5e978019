"""Tracing with OpenTelemetry (``pip install 'svcforge[otel]'``).

Off until the service runner starts with ``OTEL_TRACES_EXPORTER`` set
(``configure_tracing``), or until ``enable_tracing`` is given a tracer
provider of the application's own.  Then every publish is a PRODUCER span
whose context goes in the message's ``traceparent`` header, every handled
message a CONSUMER span whose parent is the ``traceparent`` it carries, and
every database call of the generated repositories and named queries a
CLIENT span named after the query.  Off, the runtime never imports
OpenTelemetry, and each of those costs one attribute read.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from importlib import metadata
from typing import Any

from svcforge.tracing._switch import switch

__all__ = [
    "TRACER_NAME",
    "add_trace_fields",
    "configure_tracing",
    "disable_tracing",
    "enable_tracing",
    "shutdown_tracing",
    "tracing_enabled",
]

TRACER_NAME = "svcforge"
"""The instrumentation scope of svcforge's spans."""

_provider: Any = None
"""The provider ``configure_tracing`` made (shut down by ``shutdown_tracing``)."""
_made: Any = None
"""The global provider, when ``configure_tracing`` set it (OpenTelemetry
sets it once per process: a later configuration makes a provider of its own)."""


def tracing_enabled() -> bool:
    return switch.hooks is not None


def enable_tracing(tracer_provider: Any = None) -> None:
    """Trace with ``tracer_provider`` (by default OpenTelemetry's global
    one, configured by the application or ``opentelemetry-instrument``)."""
    try:
        from opentelemetry import trace
    except ImportError:
        raise RuntimeError(
            "tracing needs OpenTelemetry: pip install 'svcforge[otel]'"
        ) from None
    from svcforge.tracing._spans import OtelHooks

    try:
        version: str | None = metadata.version("svcforge")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree
        version = None
    provider = tracer_provider or trace.get_tracer_provider()
    switch.hooks = OtelHooks(provider.get_tracer(TRACER_NAME, version))


def disable_tracing() -> None:
    switch.hooks = None


def configure_tracing(service_name: str = "") -> bool:
    """Turn tracing on from OpenTelemetry's environment variables, as the
    service runner does at start: when ``OTEL_TRACES_EXPORTER`` names an
    exporter (``otlp``, ``console``, ...) and ``OTEL_SDK_DISABLED`` is not
    ``true``.  ``service_name`` is the resource's ``service.name`` unless
    ``OTEL_SERVICE_NAME`` says otherwise.  Returns whether tracing is on.
    Raises ``RuntimeError`` when the variables ask for what is not
    installed or valid."""
    global _provider, _made
    exporters = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not exporters or exporters == "none":
        return tracing_enabled()
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return tracing_enabled()
    try:
        from opentelemetry import trace

        from svcforge.tracing._setup import TracingError, make_provider
    except ImportError:
        raise RuntimeError(
            f"OTEL_TRACES_EXPORTER={exporters} needs OpenTelemetry: "
            "pip install 'svcforge[otel]'"
        ) from None
    current = trace.get_tracer_provider()
    if not isinstance(current, trace.ProxyTracerProvider) and current is not _made:
        # Set up already (``opentelemetry-instrument``, the application):
        # the same variables made it, and its exporters are the process's.
        enable_tracing(current)
        return True
    try:
        provider = make_provider(service_name)
    except TracingError as exc:
        raise RuntimeError(str(exc)) from None
    if provider is None:
        return tracing_enabled()
    shutdown_tracing()
    _provider = provider
    if isinstance(current, trace.ProxyTracerProvider):
        # Instrumentations of other libraries then join the same traces.
        trace.set_tracer_provider(provider)
        _made = provider
    enable_tracing(provider)
    return True


def shutdown_tracing() -> None:
    """Export what is pending and stop tracing (the runner calls it after
    stopping); a provider passed to ``enable_tracing`` is its owner's."""
    global _provider
    provider, _provider = _provider, None
    if provider is not None:
        switch.hooks = None
        provider.shutdown()


def add_trace_fields(
    logger: object, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: ``trace_id`` and ``span_id`` of the current span
    (the message being handled, say) on every log line, while tracing is on."""
    hooks = switch.hooks
    if hooks is not None:
        ids = hooks.current_ids()
        if ids is not None:
            event.setdefault("trace_id", ids[0])
            event.setdefault("span_id", ids[1])
    return event

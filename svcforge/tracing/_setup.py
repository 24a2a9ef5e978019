"""A tracer provider made from OpenTelemetry's standard environment
variables, the way the SDK's own autoconfiguration reads them: exporters by
their entry points (``OTEL_TRACES_EXPORTER``), the resource from
``OTEL_SERVICE_NAME``/``OTEL_RESOURCE_ATTRIBUTES``, the sampler from
``OTEL_TRACES_SAMPLER``/``..._ARG`` and the exporters' and batch processor's
own variables (``OTEL_EXPORTER_OTLP_*``, ``OTEL_BSP_*``) read by their
constructors.  Only traces: metrics stay with prometheus, logs with
structlog."""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.metadata import entry_points

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

__all__ = ["TracingError", "exporter_names", "make_provider"]

_GROUP = "opentelemetry_traces_exporter"
_BY_PROTOCOL = {"http/protobuf": "otlp_proto_http", "grpc": "otlp_proto_grpc"}


class TracingError(ValueError):
    """The tracing variables name something that is not installed or valid."""


def exporter_names(env: Mapping[str, str]) -> list[str]:
    """The entry-point names of ``OTEL_TRACES_EXPORTER`` (empty: ``none``).
    ``otlp`` follows ``OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`` or
    ``OTEL_EXPORTER_OTLP_PROTOCOL``, by default ``http/protobuf`` (the
    specification's default; the Python SDK's own is gRPC, which svcforge
    does not install)."""
    names = []
    for raw in env.get("OTEL_TRACES_EXPORTER", "").split(","):
        name = raw.strip().lower()
        if not name or name == "none":
            continue
        if name == "otlp":
            protocol = (
                env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                or "http/protobuf"
            ).strip()
            if protocol not in _BY_PROTOCOL:
                raise TracingError(
                    f"OTEL_EXPORTER_OTLP_PROTOCOL: {protocol!r} is not one of "
                    f"{', '.join(sorted(_BY_PROTOCOL))}"
                )
            name = _BY_PROTOCOL[protocol]
        names.append(name)
    return names


def _exporter(name: str) -> SpanExporter:
    found = list(entry_points(group=_GROUP, name=name))
    if not found:
        hint = " (pip install 'svcforge[otel]')" if name.startswith("otlp") else ""
        raise TracingError(
            f"OTEL_TRACES_EXPORTER: no trace exporter {name!r} is installed{hint}"
        )
    cls = found[0].load()
    exporter = cls()
    if not isinstance(exporter, SpanExporter):
        raise TracingError(f"OTEL_TRACES_EXPORTER: {name!r} is not a span exporter")
    return exporter


def make_provider(service_name: str) -> TracerProvider | None:
    """A provider exporting to the exporters the environment names, each
    behind a batch processor; None when it names none.  ``service_name``
    unless ``OTEL_SERVICE_NAME`` (or ``service.name`` in
    ``OTEL_RESOURCE_ATTRIBUTES``) says otherwise."""
    names = exporter_names(os.environ)
    if not names:
        return None
    exporters = [_exporter(n) for n in names]
    resource = Resource.create()
    named = str(resource.attributes.get(SERVICE_NAME, ""))
    if named.startswith("unknown_service") and service_name:
        resource = resource.merge(Resource({SERVICE_NAME: service_name}))
    provider = TracerProvider(resource=resource)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider

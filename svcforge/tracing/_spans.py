"""The OpenTelemetry side of tracing: spans of publishes, handled messages
and database calls, with the semantic conventions' attributes, and the W3C
context carried in the headers messages already have (through the global
propagator, so ``OTEL_PROPAGATORS`` applies)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextvars import Token
from typing import Any, cast

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from svcforge.tracing._names import statement_name
from svcforge.tracing._switch import Endpoint

__all__ = ["OtelHooks"]


class _HeaderGetter(Getter[Mapping[str, bytes]]):
    """Reads the propagator's fields from a message's headers (bytes)."""

    def get(self, carrier: Mapping[str, bytes], key: str) -> list[str] | None:
        value = carrier.get(key)
        return None if value is None else [value.decode("latin-1")]

    def keys(self, carrier: Mapping[str, bytes]) -> list[str]:
        return list(carrier)


_GETTER = _HeaderGetter()


class OtelHooks:
    """``SpanHooks`` on an OpenTelemetry ``Tracer``."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer

    # -- messaging ----------------------------------------------------------

    def start_send(
        self,
        system: str,
        destination: str,
        channel: str,
        key: bytes | None,
        operation: str,
        fallback: str | None,
    ) -> tuple[Any, list[tuple[str, bytes]]]:
        parent = None
        if fallback is not None and not (
            trace.get_current_span().get_span_context().is_valid
        ):
            parent = propagate.extract({"traceparent": fallback})
        attributes: dict[str, Any] = {
            "messaging.system": system,
            "messaging.destination.name": destination,
            "messaging.operation.type": operation,
            "messaging.operation.name": operation,
            "svcforge.channel": channel,
        }
        if key is not None and system == "kafka":
            attributes["messaging.kafka.message.key"] = key.decode("utf-8", "replace")
        span = self.tracer.start_span(
            f"{operation} {destination}",
            context=parent,
            kind=SpanKind.PRODUCER,
            attributes=attributes,
        )
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(span, parent))
        return span, [(k, v.encode("latin-1")) for k, v in carrier.items()]

    def end_when_done(self, span: Any, future: Any) -> None:
        def done(fut: asyncio.Future[Any]) -> None:
            cancelled = fut.cancelled()
            self.end(span, asyncio.CancelledError() if cancelled else fut.exception())

        future.add_done_callback(done)

    def start_process(
        self,
        system: str,
        channel: str,
        group: str | None,
        ctx: Any,
    ) -> Any:
        parent = propagate.extract(ctx.headers, getter=_GETTER)
        attributes: dict[str, Any] = {
            "messaging.system": system,
            "messaging.destination.name": ctx.source,
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "svcforge.channel": channel,
        }
        if group is not None:
            attributes["messaging.consumer.group.name"] = group
        if ctx.entry_id is not None:
            attributes["messaging.message.id"] = ctx.entry_id
        if ctx.partition is not None:
            attributes["messaging.destination.partition.id"] = str(ctx.partition)
        if ctx.offset is not None:
            attributes["messaging.kafka.offset"] = ctx.offset
        if ctx.key is not None and system == "kafka":
            attributes["messaging.kafka.message.key"] = ctx.key.decode(
                "utf-8", "replace"
            )
        if ctx.deliveries > 1:
            attributes["svcforge.deliveries"] = ctx.deliveries
        return self.tracer.start_span(
            f"process {ctx.source}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        )

    def start_batch(self, system: str, destination: str, spans: Sequence[Any]) -> Any:
        return self.tracer.start_span(
            f"process batch {destination}",
            context=otel_context.Context(),
            kind=SpanKind.INTERNAL,
            links=[Link(s.get_span_context()) for s in spans],
            attributes={
                "messaging.system": system,
                "messaging.destination.name": destination,
                "messaging.batch.message_count": len(spans),
            },
        )

    def activate(self, span: Any) -> object:
        return otel_context.attach(trace.set_span_in_context(span))

    def deactivate(self, token: object) -> None:
        otel_context.detach(cast("Token[otel_context.Context]", token))

    def end(self, span: Any, error: BaseException | None = None) -> None:
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}"))
        span.end()

    def fail_current(self, reason: str, message: str) -> None:
        span = trace.get_current_span()
        span.set_attribute("svcforge.dead_letter.reason", reason)
        span.set_status(Status(StatusCode.ERROR, message[:500]))

    # -- database -----------------------------------------------------------

    def start_statement(
        self, method: str, query: str, endpoint: Endpoint | None, batch: int | None
    ) -> Any:
        attributes: dict[str, Any] = {
            "db.system.name": "postgresql",
            "db.system": "postgresql",
        }
        if method == "copy_records_to_table":
            attributes["db.operation.name"] = "COPY"
            attributes["db.collection.name"] = query
        else:
            attributes["db.query.text"] = query.strip()
        if batch is not None:
            attributes["db.operation.batch.size"] = batch
        if endpoint is not None:
            host, port, database = endpoint
            attributes["server.address"] = host
            if port is not None:
                attributes["server.port"] = port
            if database is not None:
                attributes["db.namespace"] = database
        return self.tracer.start_span(
            statement_name(query, method), kind=SpanKind.CLIENT, attributes=attributes
        )

    # -- logs and lifecycle -------------------------------------------------

    def current_ids(self) -> tuple[str, str] | None:
        sc = trace.get_current_span().get_span_context()
        if not sc.is_valid:
            return None
        return f"{sc.trace_id:032x}", f"{sc.span_id:016x}"

    def shutdown(self) -> None:
        """Nothing of its own: the provider is shut down by whoever made it."""

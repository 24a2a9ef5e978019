"""Spans as the tracing tests read them back: from the ``console``
exporter's output, or from OTLP/HTTP exports received by a server of the
test's own (the protobuf ``ExportTraceServiceRequest`` decoded)."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan


@dataclass(frozen=True)
class Span:
    name: str
    kind: str
    """``PRODUCER``, ``CONSUMER``, ``CLIENT``, ``INTERNAL``."""
    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    attributes: dict[str, Any] = field(default_factory=dict)


def console_spans(text: str) -> list[Span]:
    """The spans the ``console`` exporter printed in ``text`` (one JSON
    object each, other output around them)."""
    decoder = json.JSONDecoder()
    spans, i = [], 0
    while (i := text.find("{\n", i)) != -1:
        try:
            obj, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            i += 1
            continue
        i = end
        if not (isinstance(obj, dict) and "context" in obj and "kind" in obj):
            continue
        parent = obj.get("parent_id")
        spans.append(
            Span(
                name=obj["name"],
                kind=obj["kind"].removeprefix("SpanKind."),
                trace_id=obj["context"]["trace_id"].removeprefix("0x"),
                span_id=obj["context"]["span_id"].removeprefix("0x"),
                parent_id=parent.removeprefix("0x") if parent else None,
                service=obj["resource"]["attributes"].get("service.name", ""),
                attributes=obj.get("attributes") or {},
            )
        )
    return spans


def _value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


_KINDS = {
    ProtoSpan.SPAN_KIND_INTERNAL: "INTERNAL",
    ProtoSpan.SPAN_KIND_SERVER: "SERVER",
    ProtoSpan.SPAN_KIND_CLIENT: "CLIENT",
    ProtoSpan.SPAN_KIND_PRODUCER: "PRODUCER",
    ProtoSpan.SPAN_KIND_CONSUMER: "CONSUMER",
}


def otlp_spans(request: ExportTraceServiceRequest) -> list[Span]:
    out = []
    for rs in request.resource_spans:
        resource = {a.key: _value(a.value) for a in rs.resource.attributes}
        for ss in rs.scope_spans:
            for s in ss.spans:
                out.append(
                    Span(
                        name=s.name,
                        kind=_KINDS.get(s.kind, "UNSPECIFIED"),
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_id=s.parent_span_id.hex() or None,
                        service=str(resource.get("service.name", "")),
                        attributes={a.key: _value(a.value) for a in s.attributes},
                    )
                )
    return out


class Receiver:
    """What an OTLP/HTTP collector received: the decoded requests."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        self.paths: list[str] = []
        self.lock = threading.Lock()
        self.endpoint = ""

    def spans(self) -> list[Span]:
        with self.lock:
            return [s for r in self.requests for s in otlp_spans(r)]


@contextmanager
def otlp_receiver() -> Iterator[Receiver]:
    """An OTLP/HTTP trace receiver on loopback, for the test's lifetime."""
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            with received.lock:
                received.requests.append(request)
                received.paths.append(self.path)
            reply = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


def check_messaging_trace(
    spans: list[Span], count: int, *, all_handled: bool = True
) -> None:
    """Every CONSUMER span is the child of a PRODUCER span of the same trace
    and destination; with ``all_handled``, every publish was handled."""
    producers = {s.span_id: s for s in spans if s.kind == "PRODUCER"}
    consumers = [s for s in spans if s.kind == "CONSUMER"]
    assert len(producers) >= count, sorted(s.name for s in spans)
    assert len(consumers) >= count, sorted(s.name for s in spans)
    for c in consumers:
        assert c.parent_id in producers, (c, sorted(producers))
        parent = producers[c.parent_id]
        assert parent.trace_id == c.trace_id
        assert (
            parent.attributes["messaging.destination.name"]
            == (c.attributes["messaging.destination.name"])
        )
    if all_handled:
        handled = {c.parent_id for c in consumers}
        assert handled == set(producers), "a publish nobody handled"

"""Headers every message carries, and W3C trace context propagation."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = [
    "CONTENT_TYPE",
    "MESSAGE_TYPE",
    "PRODUCED_AT",
    "SCHEMA_ID",
    "TRACEPARENT",
    "TRACESTATE",
    "Headers",
    "TraceContext",
    "current_trace",
]

MESSAGE_TYPE = "message-type"
"""Full name of the message's schema, e.g. ``com.acme.OrderPlaced``."""
SCHEMA_ID = "schema-id"
"""Hex of the framing's schema identification: the CRC-64-AVRO fingerprint
(single-object encoding) or the registry id (Confluent wire format)."""
CONTENT_TYPE = "content-type"
PRODUCED_AT = "produced-at"
"""Milliseconds since the Unix epoch, as decimal digits."""
TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

# Added when a message is dead-lettered.
ERROR_REASON = "error-reason"
ERROR_TYPE = "error-type"
ERROR_MESSAGE = "error-message"
ERROR_ATTEMPTS = "error-attempts"
SOURCE_CHANNEL = "source-channel"
SOURCE_TOPIC = "source-topic"
SOURCE_PARTITION = "source-partition"
SOURCE_OFFSET = "source-offset"
SOURCE_STREAM = "source-stream"
SOURCE_ID = "source-id"
DEAD_LETTERED_AT = "dead-lettered-at"
ORIGINAL_SIZE = "original-size"
"""Bytes of the record's value, when the dead-letter record holds less."""
TRUNCATED = "dead-letter-truncated"
"""``true`` when the dead-letter record holds only the start of the value."""

Headers = list[tuple[str, bytes]]
"""Message headers in wire order (Kafka headers are a list of pairs)."""

_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})\Z")


@dataclass(frozen=True, slots=True)
class TraceContext:
    """A W3C trace context: the trace a message belongs to and its parent span."""

    trace_id: str
    span_id: str
    flags: str = "01"
    state: str | None = None

    @classmethod
    def parse(
        cls, traceparent: str, tracestate: str | None = None
    ) -> TraceContext | None:
        m = _TRACEPARENT.match(traceparent.strip().lower())
        if m is None or m[1] == "0" * 32 or m[2] == "0" * 16:
            return None
        return cls(m[1], m[2], m[3], tracestate)

    @classmethod
    def new(cls) -> TraceContext:
        return cls(f"{random.getrandbits(128) or 1:032x}", _span_id())

    def child(self) -> TraceContext:
        """The context of a message produced within this one: same trace, new span."""
        return TraceContext(self.trace_id, _span_id(), self.flags, self.state)

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


def _span_id() -> str:
    return f"{random.getrandbits(64) or 1:016x}"


current_trace: ContextVar[TraceContext | None] = ContextVar(
    "svcforge_current_trace", default=None
)
"""A trace to continue when publishing (set it in, say, an HTTP request
handler); inside a message handler the message's own trace is continued."""


_now: tuple[int, bytes] = (-1, b"")


def now_ms() -> bytes:
    """Milliseconds since the Unix epoch, as decimal digits (made once per
    millisecond: many messages are produced in the same one)."""
    global _now
    ms = time.time_ns() // 1_000_000
    cached = _now
    if cached[0] != ms:
        cached = _now = (ms, str(ms).encode())
    return cached[1]


def new_traceparent() -> bytes:
    """The ``traceparent`` of a new trace (sampled), as ``TraceContext.new()``
    would give, without building it."""
    return b"00-%032x-%016x-01" % (_bits(128) or 1, _bits(64) or 1)


_bits = random.getrandbits


def trace_headers(trace: TraceContext) -> Headers:
    out = [(TRACEPARENT, trace.traceparent.encode())]
    if trace.state:
        out.append((TRACESTATE, trace.state.encode()))
    return out


def header_map(headers: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    """Last value wins, as in most Kafka clients' header lookups."""
    return dict(headers)


def text(headers: Mapping[str, bytes], name: str) -> str | None:
    value = headers.get(name)
    return None if value is None else value.decode("utf-8", "replace")

"""What a handler learns about the message it handles, besides the message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from svcforge.messaging import _headers as h

__all__ = ["MessageContext"]

_LOG: Any = structlog.get_logger("svcforge.handler")


@dataclass(slots=True, eq=False)
class MessageContext:
    """Where a message came from and how it travelled.

    ``log`` is a structlog logger; every line logged while the handler runs
    (through it or any other structlog logger) carries the channel, the
    topic and partition/offset or the stream and entry id.
    """

    channel: str
    transport: str
    source: str
    """Topic or stream name on the broker."""
    partition: int | None = None
    offset: int | None = None
    entry_id: str | None = None
    key: bytes | None = None
    headers: Mapping[str, bytes] = field(default_factory=dict)
    deliveries: int = 1
    """How often the broker delivered the message (Redis counts redeliveries)."""
    attempt: int = 1
    """1 on the first run of the handler, 2 on the first retry, ..."""
    trace: h.TraceContext | None = None
    log: Any = _LOG

    @property
    def message_type(self) -> str | None:
        return h.text(self.headers, h.MESSAGE_TYPE)

    @property
    def schema_id(self) -> str | None:
        return h.text(self.headers, h.SCHEMA_ID)

    @property
    def content_type(self) -> str | None:
        return h.text(self.headers, h.CONTENT_TYPE)

    @property
    def traceparent(self) -> str | None:
        return self.trace.traceparent if self.trace is not None else None

    @property
    def produced_at(self) -> datetime | None:
        raw = h.text(self.headers, h.PRODUCED_AT)
        if raw is None or not raw.isdigit():
            return None
        return datetime.fromtimestamp(int(raw) / 1000, tz=UTC)

    def log_fields(self) -> dict[str, object]:
        fields: dict[str, object] = {"channel": self.channel}
        if self.entry_id is not None:
            fields["stream"] = self.source
            fields["entry_id"] = self.entry_id
        else:
            fields["topic"] = self.source
            fields["partition"] = self.partition
            fields["offset"] = self.offset
        return fields

"""What a handler learns about the message it handles, besides the message."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from svcforge.messaging import _headers as h

__all__ = ["MessageContext", "add_message_fields", "current_message"]


@dataclass(slots=True, eq=False)
class MessageContext:
    """Where a message came from and how it travelled.

    ``log`` is a structlog logger bound to the channel, the topic and
    partition/offset (or the stream and entry id).  With the logging that
    ``svcforge.service.configure_logging`` sets up (or the
    ``add_message_fields`` processor in your own), every line logged while a
    handler runs carries them, through any structlog logger.
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
    _log: Any = field(default=None, init=False, repr=False)

    @property
    def log(self) -> Any:
        if self._log is None:
            self._log = structlog.get_logger("svcforge.handler").bind(
                **self.log_fields()
            )
        return self._log

    @property
    def trace(self) -> h.TraceContext | None:
        """The W3C trace context the message carries (``traceparent``)."""
        raw = self.headers.get(h.TRACEPARENT)
        if raw is None:
            return None
        state = self.headers.get(h.TRACESTATE)
        return h.TraceContext.parse(
            raw.decode("latin-1"), state.decode("latin-1") if state else None
        )

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


current_message: ContextVar[MessageContext | None] = ContextVar(
    "svcforge_current_message", default=None
)
"""The message whose handler is running (one ``ContextVar.set`` per message:
cheaper than binding each field)."""


def add_message_fields(
    logger: object, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the channel, topic/partition/offset or stream/entry
    id of the message being handled, on every log line of its handler."""
    ctx = current_message.get()
    if ctx is not None:
        for k, v in ctx.log_fields().items():
            event.setdefault(k, v)
    return event

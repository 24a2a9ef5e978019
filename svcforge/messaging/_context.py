"""What a handler learns about the message it handles, besides the message."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import structlog

from svcforge.messaging import _headers as h

__all__ = ["MessageContext", "add_message_fields", "current_message"]


class MessageContext:
    """Where a message came from and how it travelled.

    ``log`` is a structlog logger bound to the channel, the topic and
    partition/offset (or the stream and entry id).  With the logging that
    ``svcforge.service.configure_logging`` sets up (or the
    ``add_message_fields`` processor in your own), every line logged while a
    handler runs carries them, through any structlog logger.

    The headers are parsed from the record when first asked for (most
    handlers never look at them).
    """

    __slots__ = (
        "_headers",
        "_log",
        "_raw",
        "_unpack",
        "attempt",
        "channel",
        "deliveries",
        "entry_id",
        "key",
        "offset",
        "partition",
        "source",
        "transport",
    )

    channel: str
    transport: str
    source: str
    """Topic or stream name on the broker."""
    partition: int | None
    offset: int | None
    entry_id: str | None
    key: bytes | None
    deliveries: int
    """How often the broker delivered the message (Redis counts redeliveries)."""
    attempt: int
    """1 on the first run of the handler, 2 on the first retry, ..."""

    def __init__(
        self,
        channel: str,
        transport: str,
        source: str,
        partition: int | None = None,
        offset: int | None = None,
        entry_id: str | None = None,
        key: bytes | None = None,
        headers: Mapping[str, bytes] | None = None,
        deliveries: int = 1,
        attempt: int = 1,
        *,
        raw_headers: Any = None,
        unpack: Callable[[Any], h.Headers] | None = None,
    ) -> None:
        """``headers``, or the record's headers as they came (``raw_headers``:
        name/value pairs, or what ``unpack`` turns into them), parsed lazily."""
        self.channel = channel
        self.transport = transport
        self.source = source
        self.partition = partition
        self.offset = offset
        self.entry_id = entry_id
        self.key = key
        self.deliveries = deliveries
        self.attempt = attempt
        self._headers = headers
        self._raw = raw_headers
        self._unpack = unpack
        self._log: Any = None

    def __repr__(self) -> str:
        where = (
            f"entry_id={self.entry_id!r}"
            if self.entry_id is not None
            else f"partition={self.partition!r}, offset={self.offset!r}"
        )
        return (
            f"MessageContext(channel={self.channel!r}, "
            f"transport={self.transport!r}, source={self.source!r}, {where}, "
            f"deliveries={self.deliveries}, attempt={self.attempt})"
        )

    def header_list(self) -> h.Headers:
        """The headers in wire order (a name may repeat)."""
        if self._headers is not None and self._raw is None:
            return list(self._headers.items())
        raw: Iterable[tuple[str, bytes]] = (
            self._unpack(self._raw) if self._unpack is not None else self._raw or ()
        )
        return list(raw)

    @property
    def headers(self) -> Mapping[str, bytes]:
        """By name; the last value wins, as in most Kafka clients."""
        found = self._headers
        if found is None:
            found = self._headers = dict(self.header_list())
        return found

    @headers.setter
    def headers(self, value: Mapping[str, bytes]) -> None:
        self._headers = value
        self._raw = self._unpack = None

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
        headers = self.headers
        raw = headers.get(h.TRACEPARENT)
        if raw is None:
            return None
        state = headers.get(h.TRACESTATE)
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
        trace = self.trace
        return trace.traceparent if trace is not None else None

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

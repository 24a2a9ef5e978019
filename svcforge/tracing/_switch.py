"""Whether tracing is on, read by the runtime's hot paths (publish,
dispatch, statements) without importing OpenTelemetry: a module attribute
that stays ``None`` until ``configure_tracing`` or ``enable_tracing`` set it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["Endpoint", "SpanHooks", "current_span", "switch"]

Endpoint = tuple[str, int | None, str | None]
"""A database's server address, port and database name (span attributes)."""


class SpanHooks(Protocol):
    """What the runtime asks of tracing (``svcforge.tracing._spans`` is the
    OpenTelemetry implementation).  Spans are opaque to the callers."""

    def start_send(
        self,
        system: str,
        destination: str,
        channel: str,
        key: bytes | None,
        operation: str,
        fallback: str | None,
    ) -> tuple[Any, list[tuple[str, bytes]]]:
        """A PRODUCER span (``operation``: ``send`` or ``create``) and the
        headers that carry its context (``traceparent``, ...).  ``fallback``:
        a ``traceparent`` to continue when no span is current."""

    def end_when_done(self, span: Any, future: Any) -> None:
        """End ``span`` once the broker acknowledged (or refused) the record."""

    def start_process(
        self,
        system: str,
        channel: str,
        group: str | None,
        ctx: Any,
    ) -> Any:
        """A CONSUMER span whose parent is the context the record carries;
        ``ctx`` is its ``MessageContext``."""

    def start_batch(self, system: str, destination: str, spans: Sequence[Any]) -> Any:
        """An INTERNAL span for a batch handler, linked to its messages' spans."""

    def activate(self, span: Any) -> object:
        """Make ``span`` the current one; returns the token for ``deactivate``."""

    def deactivate(self, token: object) -> None: ...

    def end(self, span: Any, error: BaseException | None = None) -> None: ...

    def fail_current(self, reason: str, message: str) -> None:
        """Mark the current span failed (a message dead-lettered)."""

    def start_statement(
        self, method: str, query: str, endpoint: Endpoint | None, batch: int | None
    ) -> Any:
        """A CLIENT span of one database call, named after the query."""

    def current_ids(self) -> tuple[str, str] | None:
        """The current span's trace id and span id, as hex."""

    def shutdown(self) -> None: ...


class _Switch:
    __slots__ = ("hooks",)

    def __init__(self) -> None:
        self.hooks: SpanHooks | None = None


switch = _Switch()
"""``switch.hooks`` is None while tracing is off: one attribute read per
publish, message and statement is all it costs then."""


@contextmanager
def current_span(hooks: SpanHooks, span: Any) -> Iterator[None]:
    """``span`` current for the block, then ended (with the block's error,
    if it raised one)."""
    token = hooks.activate(span)
    error: BaseException | None = None
    try:
        yield
    except BaseException as exc:
        error = exc
        raise
    finally:
        hooks.deactivate(token)
        hooks.end(span, error)

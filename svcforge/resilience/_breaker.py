"""A circuit breaker on purgatory's state machine, with what purgatory does
not do: one trial call at a time while half-open (purgatory lets every
concurrent call through to the recovering dependency), a state that turns
half-open when the reset timeout passed (purgatory changes it only when the
next call arrives), and the state for metrics and readiness."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal, ParamSpec, TypeVar

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.messages.events import CircuitBreakerFailed, ContextChanged
from purgatory.domain.model import OpenedState

from svcforge.resilience._errors import BreakerOpen, PolicyRejected
from svcforge.resilience._spec import BreakerSpec

__all__ = ["STATES", "Breaker", "BreakerState"]

BreakerState = Literal["closed", "open", "half_open"]
STATES: tuple[BreakerState, ...] = ("closed", "open", "half_open")

P = ParamSpec("P")
T = TypeVar("T")

# Neither a cancelled call nor a call another policy refused says anything
# about the dependency's health: not a failure, not a success.
_NOT_FAILURES = (asyncio.CancelledError, PolicyRejected)


class Breaker:
    """``await breaker.call(fn, *args)``: ``fn`` runs while the circuit is
    closed; ``spec.failures`` failures in a row open it and calls then fail
    fast with ``BreakerOpen``; ``spec.reset_s`` later one trial call runs
    (half-open): success closes the circuit, failure reopens it."""

    def __init__(self, name: str, spec: BreakerSpec | None = None) -> None:
        self.name = name
        self.spec = spec or BreakerSpec()
        self._factory = AsyncCircuitBreakerFactory(
            default_threshold=self.spec.failures,
            default_ttl=self.spec.reset_s,
        )
        self._factory.add_listener(self._event)
        self._engine_state: str = "closed"
        self._opened_at: float | None = None
        self._failures = 0
        self._trial = False

    def _event(self, name: str, kind: str, event: Any) -> None:
        if isinstance(event, ContextChanged):
            self._engine_state = event.state
            self._opened_at = event.opened_at
            if event.state == "closed":
                self._failures = 0
        elif isinstance(event, CircuitBreakerFailed):
            self._failures = event.failure_count

    @property
    def state(self) -> BreakerState:
        engine, opened = self._engine_state, self._opened_at
        if engine == "closed":
            return "closed"
        if engine == "half-opened" or opened is None:
            return "half_open"
        # purgatory reads the wall clock; so must this, to agree with it.
        return "half_open" if time.time() > opened + self.spec.reset_s else "open"

    @property
    def failures(self) -> int:
        """Failures in a row so far (the count that opened it, while open)."""
        return self._failures

    def problem(self) -> str | None:
        """Readiness: why calls fail fast now, or None."""
        opened = self._opened_at
        if self.state != "open" or opened is None:
            return None
        left = opened + self.spec.reset_s - time.time()
        return (
            f"circuit open after {self.spec.failures} failures in a row; "
            f"a trial call in {max(left, 0.0):.1f} s"
        )

    async def call(
        self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        state = self.state
        # Refused here, before purgatory: the fast path of an open circuit
        # is a clock read, no awaiting.
        if state == "open":
            raise BreakerOpen(self.name, "circuit open")
        trial = state == "half_open"
        if trial:
            if self._trial:
                raise BreakerOpen(self.name, "circuit half-open, a trial call runs")
            self._trial = True
        try:
            return await self._run(fn, *args, **kwargs)
        finally:
            if trial:
                self._trial = False

    async def _run(
        self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        # purgatory's context manager would count an excluded exception as a
        # success (closing a half-open circuit on a cancelled trial), so its
        # state machine is driven here: success, failure, or neither.
        guard = await self._factory.get_breaker(self.name)
        context = guard.context
        try:
            context.handle_new_request()
        except OpenedState:
            raise BreakerOpen(self.name, "circuit open") from None
        try:
            result = await fn(*args, **kwargs)
        except _NOT_FAILURES:
            raise
        except Exception as exc:
            context.handle_exception(exc)
            raise
        else:
            context.handle_end_request()
            return result
        finally:
            while context.messages:
                await guard.messagebus.handle(context.messages.pop(0), guard.uow)

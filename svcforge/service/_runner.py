"""The ``Service`` runner: settings, logging, metrics, health and graceful
shutdown around a service's channels and database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

import structlog
from prometheus_client import CollectorRegistry

from svcforge.messaging import Messaging
from svcforge.service._http import HealthServer
from svcforge.service._logging import configure_logging
from svcforge.service._settings import ServiceSettings
from svcforge.settings._secret import describe, scrub
from svcforge.tracing import configure_tracing, shutdown_tracing

if TYPE_CHECKING:
    from svcforge.db import Database

__all__ = ["Check", "Service", "ServiceFailed", "Setup", "Worker"]

Check = Callable[[], Awaitable[str | None]]
"""A readiness check: None when fine, else the problem."""

Setup = Callable[[], Awaitable[None]]
"""A start-up step between opening the database and starting the brokers
(migrations, say); retried with the rest while dependencies are down."""


class Worker(Protocol):
    """A task the runner starts after the brokers and stops before them (the
    outbox relay): it may publish until ``stop`` returned."""

    async def start(self) -> None: ...

    async def stop(self, timeout: float) -> None: ...

    def problem(self) -> str | None:
        """Why it no longer works (None while it does): liveness."""


State = Literal["created", "starting", "running", "stopping", "stopped", "failed"]

_log = structlog.get_logger("svcforge.service")
_WATCH_S = 0.5


class ServiceFailed(SystemExit):
    """The service could not start, or a consumer died: ``asyncio.run``
    ends the process with status 1 and this message, so that a supervisor
    restarts it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Service:
    """Runs a service until SIGTERM or SIGINT.

    ``start``: the HTTP endpoint first (live, not ready), then the database
    and every broker connection and consumer, retried with backoff for up to
    ``startup_timeout_s`` while dependencies are down; ready once every
    producer is connected, every consumer is in its group and the database
    answers.  A consumer that dies turns liveness 503 and ends ``run`` with
    ``ServiceFailed``.  ``stop``: stop fetching, let in-flight handlers
    finish within ``shutdown_timeout_s``, commit or ack, close the
    connections, and the HTTP endpoint last.
    """

    def __init__(
        self,
        name: str,
        *,
        messaging: Messaging | None = None,
        database: Database | None = None,
        settings: ServiceSettings | None = None,
        checks: Mapping[str, Check] | None = None,
        setup: Sequence[Setup] = (),
        workers: Sequence[Worker] = (),
    ) -> None:
        self.name = name
        self.setup = list(setup)
        self.workers = list(workers)
        self.settings = settings or ServiceSettings()
        self.messaging = messaging
        self.database = database
        self.registry: CollectorRegistry = (
            messaging.metrics.registry if messaging is not None else CollectorRegistry()
        )
        self.checks = dict(checks or {})
        self.state: State = "created"
        self.failure: str | None = None
        self.http: HealthServer | None = None
        self._ready: tuple[float, int, dict[str, str | None]] | None = None
        self._checking: asyncio.Task[dict[str, str | None]] | None = None
        http = self.settings.http
        if http.enabled:
            self.http = HealthServer(
                http.host,
                http.port,
                live=self.liveness,
                ready=self.readiness,
                registry=self.registry,
            )

    # -- health -------------------------------------------------------------

    async def liveness(self) -> dict[str, str | None]:
        """Live unless the service failed or a consumer died."""
        out: dict[str, str | None] = {
            "service": self.failure or ("failed" if self.state == "failed" else None)
        }
        return out | self.problems()

    def problems(self) -> dict[str, str]:
        """What stopped working: a consumer, a worker."""
        out = self.messaging.problems() if self.messaging is not None else {}
        for i, worker in enumerate(self.workers):
            found = worker.problem()
            if found is not None:
                out[getattr(worker, "name", f"worker {i}")] = found
        return out

    async def readiness(self) -> dict[str, str | None]:
        """Ready only while running with every dependency up.  The checks run
        at most once per ``ready_cache_s``, however many probes come: the
        probes of a flood share one run and its result."""
        out: dict[str, str | None] = {
            "service": None if self.state == "running" else f"service {self.state}"
        }
        if self.state != "running":
            return out
        cached = self._ready
        if (
            cached is not None
            and time.monotonic() < cached[0]
            and cached[1] == self._troubles()
        ):
            return out | cached[2]
        task = self._checking
        if task is None:
            troubles = self._troubles()
            task = self._checking = asyncio.ensure_future(self._check_all())
            task.add_done_callback(lambda t: self._checked(t, troubles))
        return out | await asyncio.shield(task)

    def _troubles(self) -> int:
        return self.messaging.troubles() if self.messaging is not None else 0

    def _checked(
        self, task: asyncio.Task[dict[str, str | None]], troubles: int
    ) -> None:
        """Cache a result until ``ready_cache_s`` passed or a consumer or
        publisher met an error (the result may then be stale)."""
        self._checking = None
        if not task.cancelled() and task.exception() is None:
            expires = time.monotonic() + self.settings.ready_cache_s
            self._ready = (expires, troubles, task.result())

    async def _check_all(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        names: list[str] = []
        checks: list[Awaitable[str | None]] = []
        if self.database is not None:
            names.append("database")
            checks.append(self.database.check())
        for name, check in sorted(self.checks.items()):
            names.append(name)
            checks.append(check())
        if self.messaging is not None:
            out |= await self.messaging.check()
        found = await asyncio.gather(*checks, return_exceptions=True)
        for name, result in zip(names, found, strict=True):
            out[name] = (
                describe(result) if isinstance(result, BaseException) else result
            )
        return {k: scrub(v) if v else v for k, v in out.items()}

    async def serve_http(self) -> None:
        """Start the health endpoint (``start`` does it too)."""
        if self.http is not None and self.http._server is None:
            await self.http.start()
            _log.info("health endpoint listening", url=self.http.url)

    # -- lifecycle ----------------------------------------------------------

    async def start(self) -> None:
        """Connect everything, waiting with backoff (not ready meanwhile) up
        to ``startup_timeout_s``; then ``ServiceFailed``."""
        await self.serve_http()
        self.state = "starting"
        deadline = time.monotonic() + self.settings.startup_timeout_s
        wait = 0.2
        attempt = 1
        while True:
            try:
                await self._connect()
                break
            except Exception as exc:
                reason = describe(exc)
                await self._disconnect()
                left = deadline - time.monotonic()
                if left <= 0:
                    self._fail(
                        f"{self.name}: dependencies not reachable after "
                        f"{self.settings.startup_timeout_s:g} s ({attempt} "
                        f"attempts): {reason}"
                    )
                _log.warning(
                    "dependencies not reachable; retrying",
                    service=self.name,
                    attempt=attempt,
                    retry_in_s=round(min(wait, left), 2),
                    error=reason,
                )
                await asyncio.sleep(min(wait, left))
                wait = min(wait * 2, 5.0)
                attempt += 1
        self.state = "running"
        _log.info("service started", service=self.name)

    def _fail(self, message: str) -> None:
        self.state = "failed"
        self.failure = scrub(message)
        _log.error("service failed", service=self.name, error=self.failure)
        raise ServiceFailed(self.failure)

    async def _connect(self) -> None:
        if self.database is not None:
            await self.database.open()
        for step in self.setup:
            await step()
        if self.messaging is not None:
            await self.messaging.start()
        for worker in self.workers:
            await worker.start()

    async def _stop_workers(self, timeout: float) -> None:
        for worker in reversed(self.workers):
            await worker.stop(timeout)

    async def _disconnect(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(Exception):
            await self._stop_workers(timeout)
        with contextlib.suppress(Exception):
            if self.messaging is not None:
                await self.messaging.stop(timeout)
        with contextlib.suppress(Exception):
            if self.database is not None:
                await self.database.close(timeout)

    async def stop(self, timeout: float | None = None) -> None:
        if self.state in ("stopping", "stopped"):
            return
        failed = self.state == "failed"
        self.state = "stopping"
        timeout = self.settings.shutdown_timeout_s if timeout is None else timeout
        _log.info("service stopping", service=self.name, timeout_s=timeout)
        await self._stop_workers(timeout)
        if self.messaging is not None:
            await self.messaging.stop(timeout)
        if self.database is not None:
            await self.database.close(timeout)
        if self.http is not None:
            await self.http.stop()
        self.state = "failed" if failed else "stopped"
        _log.info("service stopped", service=self.name, state=self.state)

    async def run(
        self,
        main: Callable[[], Awaitable[None]] | None = None,
        *,
        stop_when_main_returns: bool = False,
        configure_logs: bool = True,
    ) -> None:
        """Start, run ``main`` (a publisher loop, say) beside the consumers,
        and stop gracefully on SIGTERM/SIGINT (or when ``main`` returns, if
        asked).  Raises ``ServiceFailed`` when the service cannot start or a
        consumer dies (after stopping the rest)."""
        if configure_logs:
            configure_logging(
                self.settings.logging, environment=self.settings.environment
            )
        traced = self._start_tracing()
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        signals = (signal.SIGTERM, signal.SIGINT)
        for sig in signals:
            loop.add_signal_handler(sig, stopping.set)
        main_task: asyncio.Task[None] | None = None
        try:
            if not await self._start_unless(stopping):
                _log.info("shutdown requested while starting", service=self.name)
                return
            if main is not None:
                main_task = asyncio.ensure_future(main())
            await self._serve(stopping, main_task, stop_when_main_returns)
        finally:
            if main_task is not None and not main_task.done():
                main_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await main_task
            await self.stop()
            for sig in signals:
                loop.remove_signal_handler(sig)
            if traced:
                # Export what the batch processors hold before the process ends.
                await asyncio.to_thread(shutdown_tracing)
        if self.state == "failed":
            raise ServiceFailed(self.failure or f"{self.name} failed")

    def _start_tracing(self) -> bool:
        """Tracing from OpenTelemetry's variables (``OTEL_TRACES_EXPORTER``,
        ...); a setting that cannot work fails the start."""
        traced = False
        try:
            traced = configure_tracing(self.name)
        except RuntimeError as exc:
            self._fail(f"{self.name}: {exc}")
        if traced:
            _log.info(
                "tracing",
                service=self.name,
                exporter=os.environ.get("OTEL_TRACES_EXPORTER"),
            )
        return traced

    async def _start_unless(self, stopping: asyncio.Event) -> bool:
        """``start``, unless a signal comes first (while dependencies are
        waited for): then False, and a supervisor's SIGTERM is obeyed at
        once."""
        starting = asyncio.ensure_future(self.start())
        signalled = asyncio.ensure_future(stopping.wait())
        try:
            await asyncio.wait(
                [starting, signalled], return_when=asyncio.FIRST_COMPLETED
            )
        except BaseException:
            starting.cancel()
            raise
        finally:
            signalled.cancel()
        if starting.done():
            starting.result()
            return True
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        return False

    async def _serve(
        self,
        stopping: asyncio.Event,
        main_task: asyncio.Task[None] | None,
        stop_when_main_returns: bool,
    ) -> None:
        """Until a signal, the end of ``main`` (if asked), or a dead
        consumer (checked every half second)."""
        waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(stopping.wait())]
        if main_task is not None:
            waiters.append(main_task)
        try:
            while True:
                done, _ = await asyncio.wait(
                    waiters, timeout=_WATCH_S, return_when=asyncio.FIRST_COMPLETED
                )
                problems = self.problems()
                if problems:
                    reason = "; ".join(f"{k}: {v}" for k, v in sorted(problems.items()))
                    self.state = "failed"
                    self.failure = scrub(f"{self.name}: {reason}")
                    _log.error("service failed", service=self.name, error=self.failure)
                    return
                if main_task is not None and main_task in done:
                    main_task.result()  # a failing main stops the service
                    if stop_when_main_returns:
                        break
                    waiters.remove(main_task)
                    continue
                if done:
                    break
            _log.info("shutdown requested", service=self.name)
        finally:
            waiters[0].cancel()

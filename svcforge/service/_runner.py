"""The ``Service`` runner: settings, logging, metrics, health and graceful
shutdown around a service's channels."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import structlog
from prometheus_client import CollectorRegistry

from svcforge.messaging import Messaging
from svcforge.service._http import HealthServer
from svcforge.service._logging import configure_logging
from svcforge.service._settings import ServiceSettings

__all__ = ["Check", "Service"]

Check = Callable[[], Awaitable[str | None]]
"""A readiness check: None when fine, else the problem."""

State = Literal["created", "starting", "running", "stopping", "stopped", "failed"]

_log = structlog.get_logger("svcforge.service")


class Service:
    """Runs a service until SIGTERM or SIGINT.

    ``start``: the HTTP endpoint first (live, not ready), then every broker
    connection and consumer; ready once all are up.  ``stop``: stop fetching,
    let in-flight handlers finish within ``shutdown_timeout_s``, commit or
    ack, close the connections, and the HTTP endpoint last.
    """

    def __init__(
        self,
        name: str,
        *,
        messaging: Messaging | None = None,
        settings: ServiceSettings | None = None,
        checks: Mapping[str, Check] | None = None,
    ) -> None:
        self.name = name
        self.settings = settings or ServiceSettings()
        self.messaging = messaging
        self.registry: CollectorRegistry = (
            messaging.metrics.registry if messaging is not None else CollectorRegistry()
        )
        self.checks = dict(checks or {})
        self.state: State = "created"
        self.http: HealthServer | None = None
        http = self.settings.http
        if http.enabled:
            self.http = HealthServer(
                http.host,
                http.port,
                live=self.liveness,
                ready=self.readiness,
                registry=self.registry,
            )

    async def liveness(self) -> dict[str, str | None]:
        """Live unless the service failed to start or a consumer died."""
        out: dict[str, str | None] = {
            "service": "failed" if self.state == "failed" else None
        }
        if self.messaging is not None:
            out |= self.messaging.problems()
        return out

    async def readiness(self) -> dict[str, str | None]:
        """Ready only while running with every connection up."""
        out: dict[str, str | None] = {
            "service": None if self.state == "running" else f"service {self.state}"
        }
        if self.state != "running":
            return out
        if self.messaging is not None:
            out |= await self.messaging.check()
        for name, check in sorted(self.checks.items()):
            try:
                out[name] = await check()
            except Exception as exc:
                out[name] = repr(exc)
        return out

    async def serve_http(self) -> None:
        """Start the health endpoint (``start`` does it too)."""
        if self.http is not None and self.http._server is None:
            await self.http.start()
            _log.info("health endpoint listening", url=self.http.url)

    async def start(self) -> None:
        await self.serve_http()
        self.state = "starting"
        try:
            if self.messaging is not None:
                await self.messaging.start()
        except BaseException:
            self.state = "failed"
            raise
        self.state = "running"
        _log.info("service started", service=self.name)

    async def stop(self, timeout: float | None = None) -> None:
        if self.state in ("stopping", "stopped"):
            return
        self.state = "stopping"
        timeout = self.settings.shutdown_timeout_s if timeout is None else timeout
        _log.info("service stopping", service=self.name, timeout_s=timeout)
        if self.messaging is not None:
            await self.messaging.stop(timeout)
        if self.http is not None:
            await self.http.stop()
        self.state = "stopped"
        _log.info("service stopped", service=self.name)

    async def run(
        self,
        main: Callable[[], Awaitable[None]] | None = None,
        *,
        stop_when_main_returns: bool = False,
        configure_logs: bool = True,
    ) -> None:
        """Start, run ``main`` (a publisher loop, say) beside the consumers,
        and stop gracefully on SIGTERM/SIGINT (or when ``main`` returns, if
        asked)."""
        if configure_logs:
            configure_logging(
                self.settings.logging, environment=self.settings.environment
            )
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        signals = (signal.SIGTERM, signal.SIGINT)
        for sig in signals:
            loop.add_signal_handler(sig, stopping.set)
        main_task: asyncio.Task[None] | None = None
        try:
            await self.start()
            waiters: list[asyncio.Future[Any]] = [
                asyncio.ensure_future(stopping.wait())
            ]
            if main is not None:
                main_task = asyncio.ensure_future(main())
                waiters.append(main_task)
            while True:
                done, _ = await asyncio.wait(
                    waiters, return_when=asyncio.FIRST_COMPLETED
                )
                if main_task is not None and main_task in done:
                    main_task.result()  # a failing main stops the service
                    if stop_when_main_returns:
                        break
                    waiters.remove(main_task)
                    continue
                break
            _log.info("shutdown requested", service=self.name)
        finally:
            for w in (main_task,):
                if w is not None and not w.done():
                    w.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await w
            await self.stop()
            for sig in signals:
                loop.remove_signal_handler(sig)

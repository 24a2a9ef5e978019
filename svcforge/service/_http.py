"""``/health/live``, ``/health/ready`` and ``/metrics`` over HTTP/1.1.

Three fixed GET routes do not justify a web framework in the runtime (it
would be the heaviest dependency of a service that serves no other HTTP):
asyncio's streams serve them, prometheus-client renders the metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from svcforge.settings._secret import scrub

__all__ = ["HealthServer", "Probe"]

Probe = Callable[[], Awaitable[dict[str, str | None]]]
"""Checks by name: None when fine, else the problem."""

_REASONS = {
    200: "OK",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        live: Probe,
        ready: Probe,
        registry: CollectorRegistry,
    ) -> None:
        self.host = host
        self._port = port
        self._live = live
        self._ready = ready
        self._registry = registry
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        # A deep accept queue: a burst of probes waits to be served rather
        # than having its connections dropped.
        self._server = await asyncio.start_server(
            self._serve, self.host, self._port, backlog=4096
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            method, target, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            status, ctype, body = await self._route(method, target.split("?", 1)[0])
            writer.write(
                (
                    f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n"
                    f"Content-Type: {ctype}\r\n"
                    f"Content-Length: {len(body)}\r\n"
                    "Connection: close\r\n\r\n"
                ).encode("latin-1")
                + (body if method != "HEAD" else b"")
            )
            await writer.drain()
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
            ValueError,
            ConnectionError,
        ):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _route(self, method: str, path: str) -> tuple[int, str, bytes]:
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"method not allowed\n"
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, generate_latest(self._registry)
        if path in ("/health/live", "/health/ready"):
            probe = self._live if path == "/health/live" else self._ready
            checks = await probe()
            ok = all(v is None for v in checks.values())
            body = {
                "status": "ok" if ok else "unavailable",
                "checks": {
                    k: scrub(v) if v else "ok" for k, v in sorted(checks.items())
                },
            }
            return (
                (200 if ok else 503),
                "application/json",
                json.dumps(body).encode() + b"\n",
            )
        return 404, "text/plain", b"not found\n"

"""Fault tests of the whole service, run as a subprocess (tests/
fault_service.py) against real Kafka-protocol, Redis and PostgreSQL servers:
a flood of readiness probes, consumers that die, dependencies that are down
at start.  Each test prints and asserts exact counts."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from fault_support import get, raw_get

from svcforge.testing import free_port, start_redis

pytestmark = pytest.mark.fault

SERVICE = Path(__file__).with_name("fault_service.py")


class Proc:
    """The service subprocess and what it wrote."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.out = tmp / f"events-{time.monotonic_ns()}"
        self.log = self.out.with_suffix(".log")
        self.port = free_port()
        with self.log.open("w") as fh:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    str(SERVICE),
                    "--out",
                    str(self.out),
                    "--port",
                    str(self.port),
                    *args,
                ],
                stdout=fh,
                stderr=subprocess.STDOUT,
            )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def events(self) -> list[str]:
        return self.out.read_text().splitlines() if self.out.exists() else []

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)

    def probe(self, path: str) -> tuple[int, str]:
        try:
            return get(self.url(path), timeout=5)
        except OSError as exc:
            return 0, repr(exc)


def until(check: Callable[[], bool], what: str, timeout: float = 30) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def counts(events: list[str], transport: str) -> dict[str, int]:
    published = {
        e.split()[2] for e in events if e.startswith(f"published {transport} ")
    }
    handled = Counter(
        e.split()[2] for e in events if e.startswith(f"handled {transport} ")
    )
    return {
        "published": len(published),
        "handled": len(handled),
        "dead_lettered": 0,
        "lost": len(published - set(handled)),
        "duplicates": sum(c - 1 for c in handled.values()),
    }


def test_2000_concurrent_readiness_probes_no_false_503_no_data_path_error(
    kafka_bootstrap: str,
    redis_url: str,
    postgres_dsn: str,
    unique_name: str,
    tmp_path: Path,
) -> None:
    """While the service publishes and consumes on Kafka and Redis (a
    Redis pool of 4 connections) and queries PostgreSQL (a pool of 2),
    2,000 concurrent readiness probes: every one says 200, and the data
    path meets no error (everything published is handled)."""
    n, probes = 600, 2000
    svc = Proc(
        tmp_path,
        "--kafka", kafka_bootstrap,
        "--redis", redis_url,
        "--postgres", postgres_dsn,
        "--prefix", f"{unique_name}.",
        "--publish", str(n),
        "--rate", "300",
        "--queries", "2000",
        "--redis-connections", "4",
    )  # fmt: skip
    try:
        until(lambda: svc.probe("/health/ready")[0] == 200, "ready", 30)

        async def flood() -> Counter[int]:
            async def one() -> int:
                try:
                    status, _ = await raw_get("127.0.0.1", svc.port, "/health/ready")
                except OSError:
                    return 0
                return status

            got = await asyncio.gather(*(one() for _ in range(probes)))
            return Counter(got)

        start = time.monotonic()
        statuses = asyncio.run(flood())
        flood_s = time.monotonic() - start
        until(lambda: "main done" in svc.events(), "main to finish", 60)
        until(
            lambda: all(
                counts(svc.events(), t)["handled"] == n for t in ("kafka", "redis")
            ),
            "everything handled",
            30,
        )
    finally:
        code = svc.stop()
    events = svc.events()
    errors = [e for e in events if e.startswith("error")]
    by_transport = {t: counts(events, t) for t in ("kafka", "redis")}
    print(
        f"\n[flood] probes={probes} statuses={dict(statuses)} in {flood_s:.2f}s "
        f"data_path_errors={len(errors)} queries={n and 2000} "
        f"kafka={by_transport['kafka']} redis={by_transport['redis']}"
    )
    assert statuses == Counter({200: probes}), svc.output()[-3000:]
    assert errors == []
    for t in ("kafka", "redis"):
        assert by_transport[t] == {
            "published": n,
            "handled": n,
            "dead_lettered": 0,
            "lost": 0,
            "duplicates": 0,
        }
    assert "queries 2000" in events
    assert code == 0, svc.output()[-3000:]
    assert "MaxConnectionsError" not in svc.output()


@pytest.mark.parametrize("transport", ["kafka", "redis"])
def test_a_dead_consumer_fails_liveness_and_the_process_exits_non_zero(
    transport: str, unique_name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A consumer task that ends (cancelled from outside, as a library bug
    would): liveness turns 503 naming it, and the process exits with status
    1 and the reason, for its supervisor to restart it."""
    address = request.getfixturevalue(
        "kafka_bootstrap" if transport == "kafka" else "redis_url"
    )
    live = asyncio.run(_liveness_after_consumer_death(transport, address, unique_name))
    svc = Proc(
        tmp_path,
        f"--{transport}", address,
        "--prefix", f"{unique_name}.",
        "--publish", "50",
        "--kill-consumers-after", "2",
    )  # fmt: skip
    try:
        code = svc.proc.wait(30)
    finally:
        svc.stop()
    output = svc.output()
    events = svc.events()
    c = counts(events, transport)
    print(
        f"\n[{transport}] dead consumer: live_before={live[0][0]} "
        f"live_after={live[1][0]} exit={code} published={c['published']} "
        f"handled={c['handled']} lost={c['lost']}"
    )
    assert live[0][0] == 200
    assert live[1][0] == 503
    assert "consumer task cancelled" in json.loads(live[1][1])["checks"][transport]
    assert code == 1
    assert "consumer task cancelled" in output.splitlines()[-1]  # the reason
    assert "exit failed" in events


async def _liveness_after_consumer_death(
    transport: str, address: str, prefix: str
) -> list[tuple[int, str]]:
    """/health/live of a running service before and after its consumer task
    is cancelled from outside."""
    from dataclasses import replace

    from fault_support import fetch
    from messaging_support import Server

    from svcforge.messaging import ConsumeChannel
    from svcforge.service import HttpSettings, Service, ServiceSettings

    server = Server(transport, address, f"{prefix}-live.")  # type: ignore[arg-type]
    messaging = server.messaging()
    channel = ConsumeChannel(replace(server.spec()), messaging)

    @channel.handler
    async def handle(trade: object, ctx: object) -> None:
        pass

    service = Service(
        "live",
        messaging=messaging,
        settings=ServiceSettings(http=HttpSettings(host="127.0.0.1", port=0)),
    )
    await service.start()
    try:
        assert service.http is not None
        url = f"{service.http.url}/health/live"
        before = await fetch(url)
        await _kill_consumers(f"{transport}-consumer:")
        after = before
        for _ in range(100):
            await asyncio.sleep(0.02)
            after = await fetch(url)
            if after[0] != 200:
                break
        return [before, after]
    finally:
        await service.stop()


async def _kill_consumers(prefix: str) -> None:
    """Cancel the consumer tasks until they end (a client library may turn
    one cancellation into an error of its own, which the loop survives)."""
    tasks = [t for t in asyncio.all_tasks() if t.get_name().startswith(prefix)]
    assert tasks
    for _ in range(100):
        for t in tasks:
            t.cancel()
        await asyncio.sleep(0.02)
        if all(t.done() for t in tasks):
            return
    raise AssertionError("the consumer tasks did not end")


def test_start_waits_for_dependencies_then_exits_non_zero(
    unique_name: str, tmp_path: Path
) -> None:
    """Redis down at start: the service retries with backoff, live but not
    ready, for ``startup_timeout_s``; then it exits with status 1, a clear
    message and the state ``failed``."""
    port = free_port()  # nothing listens there
    svc = Proc(
        tmp_path,
        "--redis", f"redis://127.0.0.1:{port}/0",
        "--prefix", f"{unique_name}:",
        "--startup-timeout", "3",
    )  # fmt: skip
    seen: list[int] = []
    try:
        until(lambda: svc.probe("/health/live")[0] == 200, "the endpoint", 15)
        while svc.proc.poll() is None:
            seen.append(svc.probe("/health/ready")[0])
            time.sleep(0.1)
        code = svc.proc.wait(30)
    finally:
        svc.stop()
    output = svc.output()
    attempts = output.count("dependencies not reachable; retrying")
    print(
        f"\n[start] dependencies down: exit={code} attempts={attempts} "
        f"ready_probes={Counter(seen)}"
    )
    assert code == 1
    assert attempts >= 3
    assert seen and set(seen) <= {503, 0}
    assert "dependencies not reachable after 3 s" in output
    assert "exit failed" in svc.events()


def test_sigterm_while_waiting_for_dependencies_stops_at_once(
    unique_name: str, tmp_path: Path
) -> None:
    """A supervisor's SIGTERM while the service waits for a dependency: it
    stops at once (exit 0), without waiting out ``startup_timeout_s``."""
    port = free_port()
    svc = Proc(
        tmp_path,
        "--redis", f"redis://127.0.0.1:{port}/0",
        "--prefix", f"{unique_name}:",
        "--startup-timeout", "60",
    )  # fmt: skip
    try:
        until(lambda: svc.probe("/health/live")[0] == 200, "the endpoint", 15)
        time.sleep(1)
        start = time.monotonic()
        svc.proc.send_signal(signal.SIGTERM)
        code = svc.proc.wait(30)
        took = time.monotonic() - start
    finally:
        svc.stop()
    print(f"\n[start] SIGTERM while waiting: exit={code} after_s={took:.2f}")
    assert code == 0, svc.output()[-2000:]
    assert took < 5
    assert "exit stopped" in svc.events()


def test_start_waits_for_a_dependency_that_comes_up(
    unique_name: str, tmp_path: Path
) -> None:
    """Redis comes up 2 s after the service: it starts, becomes ready, and
    handles what it publishes."""
    port = free_port()
    svc = Proc(
        tmp_path,
        "--redis", f"redis://127.0.0.1:{port}/0",
        "--prefix", f"{unique_name}:",
        "--publish", "20",
        "--startup-timeout", "30",
    )  # fmt: skip
    server = None
    try:
        until(lambda: svc.probe("/health/live")[0] == 200, "the endpoint", 15)
        assert svc.probe("/health/ready")[0] == 503
        time.sleep(2)
        server = start_redis(port=port)
        waited = until(lambda: svc.probe("/health/ready")[0] == 200, "ready", 20)
        until(lambda: counts(svc.events(), "redis")["handled"] == 20, "handled", 20)
        code = svc.stop()
    finally:
        svc.stop()
        if server is not None:
            server.stop()
    c = counts(svc.events(), "redis")
    print(f"\n[start] dependency up after 2 s: ready_after_s={waited:.2f} {c}")
    assert code == 0
    assert c == {
        "published": 20,
        "handled": 20,
        "dead_lettered": 0,
        "lost": 0,
        "duplicates": 0,
    }

"""Shared by the runtime fault tests: running a consumer scenario on a real
server, reading a dead-letter target with the raw clients, probing HTTP."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from messaging_support import Server


@dataclass
class DeadLetter:
    headers: dict[str, bytes]
    value: bytes | None


@dataclass
class Tally:
    """What a scenario counts: published, handled (by sequence), handler
    runs, and what reached the dead-letter target."""

    published: list[int] = field(default_factory=list)
    handled: list[int] = field(default_factory=list)
    runs: dict[int, int] = field(default_factory=dict)

    def run(self, seq: int) -> None:
        self.runs[seq] = self.runs.get(seq, 0) + 1

    def report(self, dead: int) -> dict[str, int]:
        distinct = set(self.handled)
        return {
            "published": len(self.published),
            "handled": len(distinct),
            "dead_lettered": dead,
            "lost": len(set(self.published) - distinct) - dead,
            "duplicates": len(self.handled) - len(distinct),
        }


async def dead_letters(server: Server, target: str) -> list[DeadLetter]:
    """Every record of a dead-letter topic or stream (named without the
    test's prefix)."""
    name = server.prefix + target
    if server.transport == "kafka":
        import aiokafka

        consumer = aiokafka.AIOKafkaConsumer(
            name,
            bootstrap_servers=server.address,
            auto_offset_reset="earliest",
            fetch_max_bytes=64 << 20,
            max_partition_fetch_bytes=64 << 20,
        )
        await consumer.start()
        try:
            out: list[DeadLetter] = []
            for _ in range(10):
                batch = await consumer.getmany(timeout_ms=300)
                out += [
                    DeadLetter(dict(r.headers), r.value)
                    for recs in batch.values()
                    for r in recs
                ]
                if out and not batch:
                    break
            return out
        finally:
            await consumer.stop()
    from redis.asyncio import Redis

    client = Redis.from_url(server.address)
    try:
        entries = await client.xrange(name)
        return [
            DeadLetter(
                {k[2:].decode(): v for k, v in f.items() if k.startswith(b"h:")},
                f.get(b"value"),
            )
            for _, f in entries
        ]
    finally:
        await client.aclose()


async def wait_for(check: Callable[[], bool], what: str, timeout: float = 20) -> float:
    """Seconds it took ``check`` to hold."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


def get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


async def fetch(url: str) -> tuple[int, str]:
    return await asyncio.to_thread(get, url)


async def raw_get(host: str, port: int, path: str) -> tuple[int, bytes]:
    """One HTTP/1.1 GET on a connection of its own (for floods: no thread
    per request)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def sample(registry: Any, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else float(value)

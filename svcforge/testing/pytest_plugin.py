"""pytest plugin (entry point ``svcforge``): real PostgreSQL, Redis and Kafka
-protocol servers on loopback, started once per session on first use and
stopped by their PID at the end.

Per-test isolation: ``postgres_dsn`` is a fresh database, ``redis_url`` a fresh
logical database (flushed), and ``kafka_bootstrap`` comes with a unique
``unique_name`` for topics and groups (Tansu cannot delete records).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest

from svcforge.testing.servers import (
    KafkaServer,
    PostgresServer,
    RedisServer,
    start_kafka,
    start_postgres,
    start_redis,
)

_db_counter = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer) -> Iterator[str]:
    """DSN of a new, empty database, dropped after the test."""
    import asyncio

    import asyncpg

    name = f"test_{next(_db_counter)}_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(postgres_server.dsn())
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_server.dsn(name)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL of the Redis server, its database flushed before the test."""
    import socket

    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=5) as s:
        s.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
        reply = s.recv(64)
    if not reply.startswith(b"+OK"):
        raise RuntimeError(f"FLUSHALL failed: {reply!r}")
    return redis_server.url


@pytest.fixture(scope="session")
def kafka_server() -> Iterator[KafkaServer]:
    server = start_kafka()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kafka_bootstrap(kafka_server: KafkaServer) -> str:
    return kafka_server.bootstrap


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A name unique to this test, for topics, streams and consumer groups."""
    base = "".join(c if c.isalnum() else "-" for c in request.node.name)[:40]
    return f"{base}-{uuid.uuid4().hex[:8]}"

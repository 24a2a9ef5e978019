"""The test servers the runtime's pytest plugin starts are real and isolated."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from svcforge.testing import PostgresServer, start_redis


def test_postgres_gives_each_test_a_fresh_database(postgres_dsn: str) -> None:
    async def go() -> tuple[str, int]:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            await conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
            await conn.execute("INSERT INTO t VALUES (1), (2)")
            return str(await conn.fetchval("SELECT version()")), int(
                await conn.fetchval("SELECT count(*) FROM t")
            )
        finally:
            await conn.close()

    version, count = asyncio.run(go())
    assert version.startswith("PostgreSQL") and count == 2


def test_postgres_databases_do_not_leak_between_tests(
    postgres_dsn: str, postgres_server: PostgresServer
) -> None:
    async def tables() -> list[str]:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            rows = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
            return [r["tablename"] for r in rows]
        finally:
            await conn.close()

    assert asyncio.run(tables()) == []
    assert postgres_server.dsn().startswith("postgresql://postgres@127.0.0.1:")


def test_redis_streams_work(redis_url: str) -> None:
    async def go() -> int:
        client = aioredis.from_url(redis_url)
        try:
            await client.xadd("s", {"v": b"\x00\xff"})
            await client.xgroup_create("s", "g", id="0", mkstream=True)
            got = await client.xreadgroup("g", "c", {"s": ">"}, count=10)
            return len(got[0][1])
        finally:
            await client.aclose()

    assert asyncio.run(go()) == 1


def test_kafka_protocol_broker_round_trip(
    kafka_bootstrap: str, unique_name: str
) -> None:
    async def go() -> list[bytes | None]:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for i in range(3):
                await producer.send_and_wait(unique_name, f"m{i}".encode(), key=b"k")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            unique_name,
            bootstrap_servers=kafka_bootstrap,
            group_id=unique_name,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            session_timeout_ms=1000,
            heartbeat_interval_ms=300,
        )
        await consumer.start()
        try:
            values: list[bytes | None] = []
            while len(values) < 3:
                batch = await consumer.getmany(timeout_ms=2000)
                values += [r.value for records in batch.values() for r in records]
            return values
        finally:
            await consumer.stop()

    assert asyncio.run(go()) == [b"m0", b"m1", b"m2"]


def test_server_stops_by_pid_and_cleans_up() -> None:
    server = start_redis()
    assert server.alive() and server.workdir.is_dir()
    server.stop()
    assert not server.alive() and not server.workdir.exists()
    with pytest.raises(ConnectionRefusedError):
        import socket

        socket.create_connection(("127.0.0.1", server.port), timeout=1)

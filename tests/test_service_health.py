"""The Service runner's HTTP endpoint: health before start, while running and
while a dependency is down, and /metrics after a known workload — against
real servers this test starts (and stops) itself."""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace

import messaging_support as ms
import pytest

from svcforge.messaging import (
    Channel,
    KafkaBroker,
    MessageContext,
    Messaging,
    RedisBroker,
    RetryPolicy,
)
from svcforge.service import HttpSettings, Service, ServiceSettings
from svcforge.testing import KafkaServer, RedisServer, start_kafka, start_redis


@pytest.fixture
def servers() -> Iterator[tuple[KafkaServer, RedisServer]]:
    """Servers of this test's own, so that it may stop them."""
    kafka, redis = start_kafka(), start_redis()
    try:
        yield kafka, redis
    finally:
        kafka.stop()
        redis.stop()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


async def fetch(url: str) -> tuple[int, str]:
    return await asyncio.to_thread(get, url)


def test_health_and_metrics_through_the_service_lifecycle(
    servers: tuple[KafkaServer, RedisServer], unique_name: str
) -> None:
    kafka_server, redis_server = servers
    kafka = ms.Server("kafka", kafka_server.bootstrap, f"{unique_name}.")
    redis = ms.Server("redis", redis_server.url, f"{unique_name}:")
    messaging = Messaging(
        kafka=KafkaBroker(kafka.kafka_settings()),
        redis=RedisBroker(redis.redis_settings()),
    )
    spec = replace(
        ms.TRADES, retry=RetryPolicy(attempts=2, backoff_ms=1, max_backoff_ms=2)
    )
    trades = Channel(spec, messaging)
    handled: list[int] = []

    @trades.handler
    async def store(trade: ms.Trade, ctx: MessageContext) -> None:
        if trade.sequence == 99:
            raise RuntimeError("poison")
        handled.append(trade.sequence)

    service = Service(
        "health-test",
        messaging=messaging,
        settings=ServiceSettings(http=HttpSettings(host="127.0.0.1", port=0)),
    )

    async def scenario() -> dict[str, tuple[int, str]]:
        seen: dict[str, tuple[int, str]] = {}
        await service.serve_http()
        assert service.http is not None
        base = service.http.url
        seen["live_before"] = await fetch(f"{base}/health/live")
        seen["ready_before"] = await fetch(f"{base}/health/ready")
        await service.start()
        # Ready once the Kafka consumer joined its group (about a second).
        seen["ready_starting"] = await fetch(f"{base}/health/ready")
        for _ in range(200):
            seen["ready_running"] = await fetch(f"{base}/health/ready")
            if seen["ready_running"][0] == 200:
                break
            await asyncio.sleep(0.05)
        batch = ms.trades(5)
        poison = ms.trades(1)[0]
        poison.sequence = 99
        for t in [*batch, poison]:
            await trades.publish(t)
        for _ in range(200):
            if len(handled) == 5 and service.registry.get_sample_value(
                "svcforge_messages_dead_lettered_total",
                {"channel": "trades", "transport": "kafka", "reason": "handler-failed"},
            ):
                break
            await asyncio.sleep(0.05)
        seen["metrics"] = await fetch(f"{base}/metrics")
        redis_server.stop(signal.SIGKILL)
        await asyncio.sleep(service.settings.ready_cache_s)
        seen["ready_redis_down"] = await fetch(f"{base}/health/ready")
        seen["live_redis_down"] = await fetch(f"{base}/health/live")
        kafka_server.stop(signal.SIGKILL)
        await asyncio.sleep(service.settings.ready_cache_s)
        seen["ready_both_down"] = await fetch(f"{base}/health/ready")
        seen["missing"] = await fetch(f"{base}/nope")
        await service.stop(timeout=3)
        return seen

    seen = asyncio.run(scenario())
    assert seen["live_before"][0] == 200
    status, body = seen["ready_before"]
    assert status == 503
    assert json.loads(body) == {
        "status": "unavailable",
        "checks": {"service": "service created"},
    }
    status, body = seen["ready_starting"]
    assert status == 503 and "has not joined its group" in body
    status, body = seen["ready_running"]
    assert status == 200, body
    assert json.loads(body) == {
        "status": "ok",
        "checks": {"kafka": "ok", "redis": "ok", "service": "ok"},
    }
    status, body = seen["ready_redis_down"]
    checks = json.loads(body)["checks"]
    assert (
        status == 503
        and checks["kafka"] == "ok"
        and "redis unreachable" in checks["redis"]
    )
    assert seen["live_redis_down"][0] == 200
    status, body = seen["ready_both_down"]
    checks = json.loads(body)["checks"]
    assert status == 503 and "kafka unreachable" in checks["kafka"]
    assert seen["missing"][0] == 404

    status, metrics = seen["metrics"]
    assert status == 200
    expected = [
        'svcforge_messages_published_total{channel="trades",transport="kafka"} 6.0',
        'svcforge_messages_published_total{channel="trades",transport="redis"} 6.0',
        'svcforge_messages_consumed_total{channel="trades",transport="kafka"} 5.0',
        'svcforge_messages_failed_total{channel="trades",transport="kafka"} 2.0',
        'svcforge_messages_retried_total{channel="trades",transport="kafka"} 1.0',
        'svcforge_messages_dead_lettered_total{channel="trades",reason="handler-failed",transport="kafka"} 1.0',
        'svcforge_handler_duration_seconds_count{channel="trades",transport="kafka"} 5.0',
    ]
    for line in expected:
        assert line in metrics.splitlines(), line
    lag = [
        line
        for line in metrics.splitlines()
        if line.startswith("svcforge_consumer_lag{")
    ]
    assert lag and all(line.endswith(" 0.0") for line in lag)

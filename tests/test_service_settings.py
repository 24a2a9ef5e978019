"""The runtime's settings models work alone and nest in a pydantic-settings
class (what the settings generator will emit), filled from the environment."""

from __future__ import annotations

import asyncio
import os

import messaging_support as ms
import pytest
from pydantic_settings import BaseSettings, SettingsConfigDict

from svcforge.messaging import KafkaSettings, RedisSettings
from svcforge.service import ServiceSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MD_", env_nested_delimiter="__")

    kafka: KafkaSettings = KafkaSettings()
    redis: RedisSettings = RedisSettings()
    service: ServiceSettings = ServiceSettings()


def test_defaults_suit_a_real_kafka_cluster() -> None:
    s = KafkaSettings()
    assert s.acks == "all" and s.enable_idempotence is True
    assert s.auto_offset_reset == "earliest"


def test_settings_nest_and_read_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MD_KAFKA__BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("MD_KAFKA__ENABLE_IDEMPOTENCE", "false")
    monkeypatch.setenv("MD_REDIS__URL", "redis://cache:6379/2")
    monkeypatch.setenv("MD_SERVICE__LOGGING__LEVEL", "DEBUG")
    monkeypatch.setenv("MD_SERVICE__HTTP__PORT", "9100")
    s = Settings()
    assert s.kafka.bootstrap_servers == "k1:9092,k2:9092"
    assert s.kafka.enable_idempotence is False
    assert s.redis.url == "redis://cache:6379/2"
    assert s.service.logging.level == "DEBUG" and s.service.http.port == 9100


@pytest.mark.skipif(
    not os.environ.get("SVCFORGE_REAL_KAFKA"),
    reason="idempotent producers need a real Apache Kafka: set SVCFORGE_REAL_KAFKA=host:port",
)
def test_idempotent_producer_on_real_kafka(unique_name: str) -> None:
    server = ms.Server("kafka", os.environ["SVCFORGE_REAL_KAFKA"], f"{unique_name}.")

    async def scenario() -> None:
        messaging = server.messaging(enable_idempotence=True)
        from svcforge.messaging import PublishChannel

        channel = PublishChannel(server.spec(), messaging)
        async with messaging:
            await channel.publish(ms.example_trade())

    asyncio.run(scenario())

"""Test support shipped with the runtime: real servers on loopback and the
pytest plugin that starts them (fixtures ``postgres_server``, ``postgres_dsn``,
``redis_server``, ``redis_url``, ``kafka_server``, ``kafka_bootstrap``)."""

from svcforge.testing.servers import (
    KafkaServer,
    PostgresServer,
    RedisServer,
    ServerError,
    free_port,
    start_kafka,
    start_postgres,
    start_redis,
)

__all__ = [
    "KafkaServer",
    "PostgresServer",
    "RedisServer",
    "ServerError",
    "free_port",
    "start_kafka",
    "start_postgres",
    "start_redis",
]

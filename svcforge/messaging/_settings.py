"""Connection settings of the messaging transports.

Plain pydantic models with a default for every field, usable on their own
(``KafkaSettings(bootstrap_servers="kafka:9092")``) and meant to be nested in a
service's settings class, where pydantic-settings fills them from the
environment (``KAFKA__BOOTSTRAP_SERVERS``, ``REDIS__URL``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, SecretStr

from svcforge.settings._secret import MaskedModel, SecretUrl

__all__ = ["Compression", "KafkaSettings", "RedisSettings"]

Compression = Literal["none", "gzip", "snappy", "lz4", "zstd"]


# A value that fails validation is never echoed: it may be a secret.
_CONFIG = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class KafkaSettings(MaskedModel):
    """How to reach Kafka and how the producer and consumers behave."""

    model_config = _CONFIG

    bootstrap_servers: str = "localhost:9092"
    """Comma-separated ``host:port`` list."""
    client_id: str = "svcforge"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = (
        "PLAINTEXT"
    )
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    name_prefix: str = ""
    """Put in front of every topic and consumer group name (``staging.``)."""
    # Producer.
    acks: Literal["all", 1, 0] = "all"
    enable_idempotence: bool = True
    """Exactly-once-per-partition producing.  Keep it on for real Kafka
    clusters; brokers without InitProducerId support (test brokers) need it off."""
    linger_ms: int = Field(default=5, ge=0)
    max_batch_size: int = Field(default=65536, gt=0)
    compression: Compression = "none"
    """Default compression; a channel's own ``compression`` wins."""
    request_timeout_ms: int = Field(default=30000, gt=0)
    max_request_size: int = Field(default=1048576, gt=0)
    """Largest request the producer sends, in bytes: a bigger record cannot
    be published, and a bigger record dead-lettered is truncated to fit
    (its original size, topic, partition and offset go in its headers)."""
    # Consumers.
    session_timeout_ms: int = Field(default=10000, gt=0)
    heartbeat_interval_ms: int = Field(default=3000, gt=0)
    max_poll_interval_ms: int = Field(default=300000, gt=0)
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    """Where a new consumer group starts.  ``earliest`` loses nothing."""
    fetch_max_records: int = Field(default=500, gt=0)
    """Most records one fetch hands to the handlers (per commit)."""
    fetch_max_bytes: int = Field(default=52428800, gt=0)
    """Most bytes one fetch returns, over all partitions."""
    max_partition_fetch_bytes: int = Field(default=1048576, gt=0)
    """Most bytes one fetch returns per partition (a bigger record still
    comes, alone)."""
    fetch_max_wait_ms: int = Field(default=500, ge=0)
    """How long the broker may hold a fetch while it has no new data for it
    (aiokafka's default).  The consumer has one fetch in flight per broker:
    while the broker holds a fetch of idle partitions, busy ones wait too."""
    max_concurrency: int = Field(default=8, gt=0)
    """Partitions whose handlers run at the same time (one at a time within
    a partition, so that its order is kept)."""
    create_topics: bool = True
    """Create missing topics (with the channel's partitions) at start."""
    replication_factor: int = Field(default=1, gt=0)
    dead_letter_attempts: int = Field(default=5, gt=0)
    """Tries to dead-letter a record before it is skipped (an ERROR log and
    ``svcforge_messages_skipped_total``): a partition never waits forever."""
    debug_payloads: bool = False
    """Show payload bytes in log lines and dead-letter error headers.  For
    debugging only: payloads may hold personal data."""


class RedisSettings(MaskedModel):
    """How to reach Redis and how stream consumers behave."""

    model_config = _CONFIG

    url: SecretUrl = "redis://localhost:6379/0"
    """Shown with its password masked (``redis://:***@host``)."""
    name_prefix: str = ""
    """Put in front of every stream and consumer group name."""
    consumer_name: str | None = None
    """This consumer's name in its groups.  A stable name (the pod name) lets a
    restarted process take back its own pending entries at once; by default a
    unique name is made and other consumers claim what it left pending."""
    start: Literal["earliest", "latest"] = "earliest"
    """Where a new consumer group starts reading, also when it is made again
    because the server lost it: ``earliest`` loses nothing still in the
    stream."""
    read_count: int = Field(default=100, gt=0)
    """Entries read (and acknowledged) per XREADGROUP."""
    block_ms: int = Field(default=1000, ge=0)
    claim_idle_ms: int = Field(default=30000, ge=0)
    """Entries pending that long with another consumer are claimed (XAUTOCLAIM)."""
    claim_interval_ms: int = Field(default=5000, gt=0)
    maxlen: int = Field(default=1_000_000, gt=0)
    """Approximate stream length kept (XADD MAXLEN ~); a channel's own wins."""
    pipeline_size: int = Field(default=1000, gt=0)
    """Most XADDs sent in one round trip when publishers are concurrent."""
    socket_timeout_s: float = Field(default=5.0, gt=0)
    max_connections: int = Field(default=100, gt=0)
    """Connections of the data path's pool; when all are busy a command
    waits for one (up to ``socket_timeout_s``) instead of failing."""
    dead_letter_attempts: int = Field(default=5, gt=0)
    """Tries to dead-letter an entry before it is skipped (an ERROR log and
    ``svcforge_messages_skipped_total``)."""
    debug_payloads: bool = False
    """Show payload bytes in log lines and dead-letter error headers.  For
    debugging only: payloads may hold personal data."""

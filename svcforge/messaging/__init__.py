"""Typed channels over Kafka and Redis Streams, and an in-memory broker.

Generated ``channels.py`` modules declare a ``ChannelSpec`` per channel and
bind them to a ``Messaging`` hub::

    messaging = Messaging(kafka=KafkaBroker(KafkaSettings(...)))
    channels = Channels(messaging)

    @channels.trades.handler
    async def store(trade: Trade, ctx: MessageContext) -> None: ...

    async with messaging:
        await channels.trades.publish(trade)

Delivery is at-least-once: a record is committed (Kafka) or acknowledged
(Redis) only after its handler succeeded or it went to the dead-letter target.
aiokafka and redis are imported only when a Kafka or Redis broker starts.
"""

from svcforge.messaging._batch import BatchHandler
from svcforge.messaging._broker import Broker, Delivery, Handler
from svcforge.messaging._channel import (
    Channel,
    ConsumeChannel,
    Messaging,
    PublishChannel,
)
from svcforge.messaging._context import (
    MessageContext,
    add_message_fields,
    current_message,
)
from svcforge.messaging._headers import Headers, TraceContext, current_trace
from svcforge.messaging._kafka import KafkaBroker
from svcforge.messaging._memory import InMemoryBroker, StoredMessage
from svcforge.messaging._metrics import MessagingMetrics
from svcforge.messaging._redis import RedisBroker
from svcforge.messaging._settings import Compression, KafkaSettings, RedisSettings
from svcforge.messaging._spec import (
    ChannelSpec,
    Codec,
    KafkaRoute,
    MessageCatalog,
    RedisRoute,
    RetryPolicy,
    Transport,
)

__all__ = [
    "BatchHandler",
    "Broker",
    "Channel",
    "ChannelSpec",
    "Codec",
    "Compression",
    "ConsumeChannel",
    "Delivery",
    "Handler",
    "Headers",
    "InMemoryBroker",
    "KafkaBroker",
    "KafkaRoute",
    "KafkaSettings",
    "MessageCatalog",
    "MessageContext",
    "Messaging",
    "MessagingMetrics",
    "PublishChannel",
    "RedisBroker",
    "RedisRoute",
    "RedisSettings",
    "RetryPolicy",
    "StoredMessage",
    "TraceContext",
    "Transport",
    "add_message_fields",
    "current_message",
    "current_trace",
]

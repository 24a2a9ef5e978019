"""aiokafka, imported at first use, and what the Kafka broker and its
consumers share."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any, TypeAlias

import structlog

from svcforge.messaging._broker import Route
from svcforge.messaging._spec import KafkaRoute
from svcforge.settings._secret import describe

# aiokafka ships without type information: its objects are ``Any`` here, and
# it is imported by name (at first use) so that mypy never analyses it and an
# install without the kafka extra can still use the other brokers.
AIOKafkaConsumer: TypeAlias = Any
AIOKafkaProducer: TypeAlias = Any
ConsumerRecord: TypeAlias = Any
TopicPartition: TypeAlias = Any

__all__ = [
    "AIOKafkaConsumer",
    "AIOKafkaProducer",
    "ConsumerRecord",
    "TopicPartition",
    "aiokafka",
    "kafka_route",
    "quietly",
]

_log = structlog.get_logger("svcforge.kafka")


def aiokafka(module: str = "aiokafka") -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError(
            "Kafka channels need aiokafka: pip install 'svcforge[kafka]'"
        ) from None


def kafka_route(route: Route) -> KafkaRoute:
    if not isinstance(route, KafkaRoute):
        raise TypeError(f"the Kafka broker cannot serve {route!r}")
    return route


async def quietly(closing: Any) -> None:
    """Close an aiokafka client as well as can be: with the broker gone, its
    background tasks end in errors or in a CancelledError of their own, which
    must not abort the shutdown (a cancellation of ours still propagates)."""
    try:
        await closing
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
    except Exception as exc:
        _log.warning("error while closing a Kafka client", error=describe(exc))

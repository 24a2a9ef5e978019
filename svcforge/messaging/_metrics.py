"""Prometheus metrics of the channels, in a registry of their own so that
several services (or tests) in one process do not share counters."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["ChannelMetrics", "MessagingMetrics"]

_LABELS = ("channel", "transport")


class MessagingMetrics:
    """published, consumed, failed, retried and dead-lettered messages per
    channel and transport; handler duration; consumer lag."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.published = Counter(
            "svcforge_messages_published",
            "Messages the broker acknowledged.",
            _LABELS,
            registry=r,
        )
        self.consumed = Counter(
            "svcforge_messages_consumed",
            "Messages whose handler succeeded.",
            _LABELS,
            registry=r,
        )
        self.failed = Counter(
            "svcforge_messages_failed",
            "Handler runs that raised (every attempt counts).",
            _LABELS,
            registry=r,
        )
        self.retried = Counter(
            "svcforge_messages_retried",
            "Handler runs that were retries of a failed one.",
            _LABELS,
            registry=r,
        )
        self.dead_lettered = Counter(
            "svcforge_messages_dead_lettered",
            "Messages sent to the dead-letter target, by reason.",
            (*_LABELS, "reason"),
            registry=r,
        )
        self.handler_duration = Histogram(
            "svcforge_handler_duration_seconds",
            "Time a successful handler run took.",
            _LABELS,
            registry=r,
            buckets=(
                0.0005,
                0.001,
                0.0025,
                0.005,
                0.01,
                0.025,
                0.05,
                0.1,
                0.25,
                0.5,
                1,
                2.5,
                5,
                10,
            ),
        )
        self.lag = Gauge(
            "svcforge_consumer_lag",
            "Messages not yet consumed, per partition (Kafka) or group (Redis).",
            (*_LABELS, "partition"),
            registry=r,
        )
        self._channels: dict[tuple[str, str], ChannelMetrics] = {}

    def channel(self, channel: str, transport: str) -> ChannelMetrics:
        """The metric children of one channel, looked up once."""
        key = (channel, transport)
        found = self._channels.get(key)
        if found is None:
            found = ChannelMetrics(
                self,
                channel,
                transport,
                self.published.labels(channel, transport),
                self.consumed.labels(channel, transport),
                self.failed.labels(channel, transport),
                self.retried.labels(channel, transport),
                self.handler_duration.labels(channel, transport),
            )
            self._channels[key] = found
        return found


@dataclass(frozen=True, slots=True, eq=False)
class ChannelMetrics:
    parent: MessagingMetrics
    channel: str
    transport: str
    published: Counter
    consumed: Counter
    failed: Counter
    retried: Counter
    duration: Histogram

    def dead_lettered(self, reason: str) -> None:
        self.parent.dead_lettered.labels(self.channel, self.transport, reason).inc()

    def lag(self, partition: str, value: float) -> None:
        self.parent.lag.labels(self.channel, self.transport, partition).set(value)

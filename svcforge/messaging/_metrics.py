"""Prometheus metrics of the channels, in a registry of their own so that
several services (or tests) in one process do not share counters.

The per-message counts (published, consumed, handler durations) are kept in
plain Python numbers by the event loop and pushed into the prometheus
metrics in bulk: at the end of every batch, and by a collector registered
ahead of the metrics, whenever the registry is collected (``/metrics``,
``get_sample_value``).  A scrape therefore always sees every message counted
so far, and a message costs an addition instead of a locked increment (and,
for the histogram, a bucket search and two locked increments).
"""

from __future__ import annotations

import asyncio
import threading
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric

__all__ = ["ChannelMetrics", "CountTally", "DurationTally", "MessagingMetrics"]

_LABELS = ("channel", "transport")
_BUCKETS = (
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
)

# Publish -> handler: a few milliseconds on a healthy service, seconds behind
# a backlog.
_LATENCY_BUCKETS = (
    0.001,
    0.002,
    0.003,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.02,
    0.03,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
    60,
)


class CountTally:
    """Increments of one prometheus counter child, counted by the event loop
    (``tally.n += k``) and pushed by ``flush``.

    ``watch(future)`` counts a future once it succeeded, without a done
    callback per future (a callback costs a scheduled call each): watched
    futures are swept on the event loop as they pile up, and ``flush``
    counts the finished ones still in the list.

    Only the event loop writes ``n`` and the list; ``flush`` may run in
    another thread (a scrape), so it reads them and pushes the difference to
    what it pushed before, under a lock (a read racing a sweep can only come
    out low, and is caught up by the next flush)."""

    __slots__ = ("_counter", "_lock", "_pushed", "_sweep_at", "n", "pending")

    def __init__(self, counter: Counter) -> None:
        self._counter = counter
        self._lock = threading.Lock()
        self._pushed = 0
        self._sweep_at = _SWEEP_AT
        self.n = 0
        self.pending: list[asyncio.Future[Any]] = []

    def watch(self, future: asyncio.Future[Any]) -> None:
        """Count ``future`` once it completed without an exception."""
        pending = self.pending
        pending.append(future)
        if len(pending) >= self._sweep_at:
            self.sweep()

    def sweep(self) -> None:
        """Count the watched futures that finished, drop them (event loop)."""
        still: list[asyncio.Future[Any]] = []
        ok = 0
        for fut in self.pending:
            if not fut.done():
                still.append(fut)
            elif not fut.cancelled() and fut.exception() is None:
                ok += 1
        self.pending = still  # first: a concurrent flush may then read low
        self.n += ok
        self._sweep_at = max(_SWEEP_AT, 2 * len(still))

    def total(self) -> int:
        """``n`` and the watched futures that succeeded so far."""
        n = self.n
        for fut in self.pending:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                n += 1
        return n

    def flush(self) -> None:
        with self._lock:
            n = self.total() if self.pending else self.n
            if n > self._pushed:
                self._counter.inc(n - self._pushed)
                self._pushed = n


_SWEEP_AT = 1024


class DurationTally:
    """Observations of one prometheus histogram child, kept as per-bucket
    counts and a sum by the event loop (``observe``) and pushed by ``flush``
    (same rules as ``CountTally``)."""

    __slots__ = (
        "_bounds",
        "_buckets",
        "_histogram",
        "_lock",
        "_pushed",
        "_pushed_sum",
        "_sum",
        "counts",
        "sum",
    )

    def __init__(self, histogram: Histogram, bounds: Iterable[float]) -> None:
        self._histogram = histogram
        self._bounds = tuple(float(b) for b in bounds)
        # The child's bucket values and sum, to add whole counts at once.
        # prometheus-client keeps them in ``_buckets`` (one per bound, the
        # last for +Inf) and ``_sum``; should that ever change, each
        # observation is replayed through the public ``observe``.
        buckets: Any = getattr(histogram, "_buckets", None)
        total: Any = getattr(histogram, "_sum", None)
        usable = (
            isinstance(buckets, list)
            and len(buckets) == len(self._bounds) + 1
            and all(hasattr(b, "inc") for b in buckets)
            and hasattr(total, "inc")
        )
        self._buckets: list[Any] | None = buckets if usable else None
        self._sum: Any = total if usable else None
        self._lock = threading.Lock()
        slots = len(self._bounds) + 1
        self.counts = [0] * slots
        self._pushed = [0] * slots
        self.sum = 0.0
        self._pushed_sum = 0.0

    def observe(self, seconds: float) -> None:
        # ``le`` buckets: the first bound >= seconds (past the end: +Inf).
        self.counts[bisect_left(self._bounds, seconds)] += 1
        self.sum += seconds

    def flush(self) -> None:
        with self._lock:
            counts, pushed = self.counts, self._pushed
            if counts == pushed:
                return
            total = self.sum
            buckets = self._buckets
            if buckets is not None:
                for i, n in enumerate(counts):
                    if n != pushed[i]:
                        buckets[i].inc(n - pushed[i])
                        pushed[i] = n
                self._sum.inc(total - self._pushed_sum)
            else:  # pragma: no cover - only with another prometheus-client
                observe = self._histogram.observe
                bounds = (*self._bounds, float("inf"))
                for i, n in enumerate(counts):
                    for _ in range(n - pushed[i]):
                        observe(bounds[i])
                    pushed[i] = n
            self._pushed_sum = total


class _FlushTallies:
    """A collector that exposes nothing: collecting it pushes the tallies,
    and it is registered before the metrics, so a scrape sees them."""

    def __init__(self, metrics: MessagingMetrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> list[Metric]:
        self._metrics.flush()
        return []


class MessagingMetrics:
    """published, consumed, failed, retried, dead-lettered and skipped
    messages per channel and transport; handler duration; consumer lag."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._channels: dict[tuple[str, str], ChannelMetrics] = {}
        r.register(_FlushTallies(self))
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
        self.skipped = Counter(
            "svcforge_messages_skipped",
            "Messages given up on: not handled and not dead-lettered, by reason.",
            (*_LABELS, "reason"),
            registry=r,
        )
        self.handler_duration = Histogram(
            "svcforge_handler_duration_seconds",
            "Time a successful handler run took.",
            _LABELS,
            registry=r,
            buckets=_BUCKETS,
        )
        self.delivery_latency = Histogram(
            "svcforge_delivery_latency_seconds",
            "From publishing (the produced-at header, in milliseconds) to the "
            "handler's start.",
            _LABELS,
            registry=r,
            buckets=_LATENCY_BUCKETS,
        )
        self.lag = Gauge(
            "svcforge_consumer_lag",
            "Messages not yet consumed, per partition (Kafka) or group (Redis).",
            (*_LABELS, "partition"),
            registry=r,
        )

    def channel(self, channel: str, transport: str) -> ChannelMetrics:
        """The metric children of one channel, looked up once."""
        key = (channel, transport)
        found = self._channels.get(key)
        if found is None:
            duration = self.handler_duration.labels(channel, transport)
            published = self.published.labels(channel, transport)
            consumed = self.consumed.labels(channel, transport)
            found = ChannelMetrics(
                self,
                channel,
                transport,
                published,
                consumed,
                self.failed.labels(channel, transport),
                self.retried.labels(channel, transport),
                duration,
                CountTally(published),
                CountTally(consumed),
                DurationTally(duration, _BUCKETS),
                DurationTally(
                    self.delivery_latency.labels(channel, transport), _LATENCY_BUCKETS
                ),
            )
            self._channels[key] = found
        return found

    def flush(self) -> None:
        """Push every channel's tallies into the prometheus metrics."""
        for c in list(self._channels.values()):
            c.flush()


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
    published_tally: CountTally = field(repr=False)
    """``n += 1`` per acknowledged message (pushed to ``published``)."""
    consumed_tally: CountTally = field(repr=False)
    """``n += 1`` per successful handler run (pushed to ``consumed``)."""
    duration_tally: DurationTally = field(repr=False)
    """``observe(seconds)`` per successful handler run (pushed to ``duration``)."""
    latency_tally: DurationTally = field(repr=False)
    """``observe(seconds)`` per message handed to its handler: publish ->
    handler (pushed to ``svcforge_delivery_latency_seconds``)."""

    def flush(self) -> None:
        self.published_tally.flush()
        self.consumed_tally.flush()
        self.duration_tally.flush()
        self.latency_tally.flush()

    def dead_lettered(self, reason: str) -> None:
        self.parent.dead_lettered.labels(self.channel, self.transport, reason).inc()

    def skipped(self, reason: str) -> None:
        self.parent.skipped.labels(self.channel, self.transport, reason).inc()

    def lag(self, partition: str, value: float) -> None:
        self.parent.lag.labels(self.channel, self.transport, partition).set(value)

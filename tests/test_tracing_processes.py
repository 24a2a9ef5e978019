"""Traces across processes, on real servers: a trade published by one
process (to Kafka and to Redis: the channel fans out) and handled by another
gives a PRODUCER span and a CONSUMER span of one trace, the consumer the
producer's child, exported over OTLP/HTTP (decoded by a receiver of the
test's own) or printed by the ``console`` exporter.  And the market-data
example on its embedded servers, ``OTEL_TRACES_EXPORTER=console``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tracing_support import (
    Span,
    check_messaging_trace,
    console_spans,
    otlp_receiver,
)

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "tracing_worker.py"
COUNT = 3


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env |= {"OTEL_BSP_SCHEDULE_DELAY": "100", **extra}
    return env


def _worker(role: str, kafka: str, redis: str, prefix: str, env: dict[str, str]) -> str:
    """Run one side to its end; its stdout."""
    done = subprocess.run(
        [
            sys.executable,
            str(WORKER),
            role,
            "--kafka",
            kafka,
            "--redis",
            redis,
            "--prefix",
            prefix,
            "--count",
            str(COUNT),
        ],
        env=env | {"OTEL_SERVICE_NAME": f"tracing-{role}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    if role == "consume":
        handled = [ln for ln in done.stderr.splitlines() if ln.startswith("handled ")]
        assert len(handled) == 2 * COUNT, done.stderr[-3000:]
    return done.stdout


def _by_service(spans: list[Span]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for s in spans:
        out.setdefault(s.service, set()).add(s.kind)
    return out


def test_a_trace_crosses_processes_over_otlp_http(
    kafka_bootstrap: str, redis_url: str, unique_name: str
) -> None:
    with otlp_receiver() as receiver:
        env = _env(
            OTEL_TRACES_EXPORTER="otlp", OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint
        )
        _worker("publish", kafka_bootstrap, redis_url, unique_name, env)
        _worker("consume", kafka_bootstrap, redis_url, unique_name, env)
        deadline = time.monotonic() + 10
        while len(receiver.spans()) < 4 * COUNT and time.monotonic() < deadline:
            time.sleep(0.05)
        spans = receiver.spans()
    assert set(receiver.paths) == {"/v1/traces"}
    # One PRODUCER span per transport of each publish, in the publisher;
    # one CONSUMER span per record, in the consumer.
    assert _by_service(spans) == {
        "tracing-publish": {"PRODUCER"},
        "tracing-consume": {"CONSUMER"},
    }
    check_messaging_trace(spans, 2 * COUNT)
    systems = {s.attributes["messaging.system"] for s in spans}
    assert systems == {"kafka", "redis"}
    consumer = next(s for s in spans if s.kind == "CONSUMER")
    assert consumer.attributes["messaging.operation.type"] == "process"
    assert consumer.attributes["messaging.consumer.group.name"]


def test_a_trace_crosses_processes_printed_by_the_console_exporter(
    kafka_bootstrap: str, redis_url: str, unique_name: str
) -> None:
    env = _env(OTEL_TRACES_EXPORTER="console")
    published = _worker("publish", kafka_bootstrap, redis_url, unique_name, env)
    handled = _worker("consume", kafka_bootstrap, redis_url, unique_name, env)
    spans = console_spans(published) + console_spans(handled)
    assert _by_service(spans) == {
        "tracing-publish": {"PRODUCER"},
        "tracing-consume": {"CONSUMER"},
    }
    check_messaging_trace(spans, 2 * COUNT)


@pytest.mark.slow
def test_market_data_on_embedded_servers_prints_its_traces() -> None:
    """``OTEL_TRACES_EXPORTER=console python -m market_data``: every
    consumer span's parent is a producer span of the same trace."""
    example = ROOT / "generated-examples/market-data"
    env = _env(OTEL_TRACES_EXPORTER="console")
    env["PYTHONPATH"] = str(example / "src")
    env = {k: v for k, v in env.items() if not k.startswith("MARKET_DATA_")}
    env["MARKET_DATA_COLLECT_TRADES"] = "20"
    done = subprocess.run(
        [sys.executable, "-m", "market_data"],
        cwd=example,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "stored 20 trades" in done.stdout
    spans = console_spans(done.stdout)
    assert {s.service for s in spans} == {"market-data"}
    # Trades fan out to Kafka and Redis, order books go to Kafka; the
    # service consumes trades from one transport (its store) and the books.
    producers = [s for s in spans if s.kind == "PRODUCER"]
    consumers = [s for s in spans if s.kind == "CONSUMER"]
    assert len(producers) == 3 * 20
    assert len(consumers) == 2 * 20
    check_messaging_trace(spans, 2 * 20, all_handled=False)
    batches = {s.span_id for s in spans if s.name.startswith("process batch")}
    assert batches
    # The store's statements run in its batch span.
    store = [s for s in spans if s.name.startswith("Store.")]
    assert store
    assert all(s.parent_id in batches for s in store)
    # The store writes each batch in a span of its own, linked to the
    # messages; database calls are named after the generated function.
    names = {s.name for s in spans if s.kind == "CLIENT"}
    assert "trade_count" in names
    assert "InstrumentRepository.get" in names

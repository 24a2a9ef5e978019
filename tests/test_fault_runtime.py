"""Fault tests of the runtime against real servers (Tansu, Redis): records
that cannot be dead-lettered whole, handlers that raise ``CancelledError``,
tombstones, decoding bombs, an exhausted connection pool.  Each test prints
and asserts exact counts: published, handled, dead-lettered, lost,
duplicates."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace

import pytest
from fault_support import Tally, dead_letters, raw_get, sample, wait_for
from messaging_support import TRADE_AVRO, Server, Trade, publish, trades
from test_runtime_limits import CODEC as BOMB_CODEC
from test_runtime_limits import Bomb, payload

from svcforge.messaging import (
    Channel,
    ChannelSpec,
    ConsumeChannel,
    KafkaRoute,
    MessageContext,
    PublishChannel,
    RedisRoute,
    RetryPolicy,
)
from svcforge.service import HttpSettings, Service, ServiceSettings

pytestmark = pytest.mark.fault

FAST_RETRY = RetryPolicy(attempts=3, backoff_ms=1, max_backoff_ms=5)


@pytest.fixture(params=["kafka", "redis"])
def server(request: pytest.FixtureRequest, unique_name: str) -> Server:
    if request.param == "kafka":
        return Server(
            "kafka", request.getfixturevalue("kafka_bootstrap"), f"{unique_name}."
        )
    return Server("redis", request.getfixturevalue("redis_url"), f"{unique_name}:")


def print_counts(label: str, counts: dict[str, int], **extra: object) -> None:
    facts = " ".join(f"{k}={v}" for k, v in {**counts, **extra}.items())
    print(f"\n{label}: {facts}")


def test_kafka_5mb_poison_record_is_dead_lettered_truncated_and_its_partition_flows(
    kafka_bootstrap: str, unique_name: str
) -> None:
    """A 5 MB record whose handler fails cannot be dead-lettered whole (the
    producer's limit is 1 MB): it goes truncated, with its original size,
    topic, partition and offset in headers, and the 20 records after it on
    its partition are handled within 10 s."""
    server = Server("kafka", kafka_bootstrap, f"{unique_name}.")
    spec = server.spec(retry=FAST_RETRY)
    topic = server.prefix + spec.kafka.topic
    poison = trades(1)[0]
    poison.sequence = 999
    poison.conditions = ["x" * 1000] * 5243  # 5 MB of Avro
    poison_value = TRADE_AVRO.encode(poison)
    after = trades(20)
    tally = Tally(published=[999, *range(20)])

    async def scenario() -> tuple[float, float, int, list]:  # type: ignore[type-arg]
        import aiokafka

        raw = aiokafka.AIOKafkaProducer(
            bootstrap_servers=kafka_bootstrap,
            max_request_size=8 << 20,
            enable_idempotence=False,
        )
        await raw.start()
        try:
            await raw.send_and_wait(topic, poison_value, partition=0)
            for t in after:
                await raw.send_and_wait(topic, TRADE_AVRO.encode(t), partition=0)
        finally:
            await raw.stop()
        messaging = server.messaging()  # max_request_size: the 1 MB default
        channel = ConsumeChannel(spec, messaging)

        @channel.handler
        async def handle(trade: Trade, ctx: MessageContext) -> None:
            tally.run(trade.sequence)
            if trade.sequence == 999:
                raise ValueError("too big to price")
            tally.handled.append(trade.sequence)

        start = time.monotonic()
        async with messaging:
            await wait_for(lambda: 0 in tally.handled, "the next record", 10)
            next_after = time.monotonic() - start
            await wait_for(lambda: len(tally.handled) == 20, "every record", 10)
        dead = await dead_letters(server, spec.kafka.dead_letter)
        registry = messaging.metrics.registry
        labels = {"channel": "trades", "transport": "kafka"}
        dl = sample(
            registry,
            "svcforge_messages_dead_lettered_total",
            **labels,
            reason="handler-failed",
        )
        skipped = sample(
            registry,
            "svcforge_messages_skipped_total",
            **labels,
            reason="handler-failed",
        )
        return next_after, dl + skipped, len(poison_value), dead

    next_after, given_up, size, dead = asyncio.run(scenario())
    counts = tally.report(len(dead))
    print_counts(
        "[kafka] 5 MB poison",
        counts,
        poison_bytes=size,
        dead_letter_bytes=len(dead[0].value or b"") if dead else 0,
        next_record_handled_after_s=round(next_after, 2),
    )
    assert size > 5_000_000
    assert counts == {
        "published": 21,
        "handled": 20,
        "dead_lettered": 1,
        "lost": 0,
        "duplicates": 0,
    }
    assert tally.handled == list(range(20))  # in partition order
    assert tally.runs[999] == FAST_RETRY.attempts
    assert next_after < 10
    assert given_up == 1
    headers, value = dead[0].headers, dead[0].value
    assert value is not None and 0 < len(value) < 1_048_576
    assert value == poison_value[: len(value)]
    assert headers["original-size"] == str(size).encode()
    assert headers["dead-letter-truncated"] == b"true"
    assert headers["source-topic"] == topic.encode()
    assert headers["source-partition"] == b"0"
    assert headers["source-offset"] == b"0"
    assert headers["error-reason"] == b"handler-failed"


def test_handler_raising_cancelled_error_is_a_failed_delivery(server: Server) -> None:
    """A handler that raises ``CancelledError`` (it awaited something
    cancelled elsewhere) for 20 messages: each is retried, then
    dead-lettered; the 21st is handled, and the consumer lives on."""
    n, bad = 21, 20
    spec = server.spec(retry=FAST_RETRY)
    tally = Tally(published=list(range(n)))

    async def scenario() -> tuple[list, dict[str, float], str | None]:  # type: ignore[type-arg]
        await publish(server, trades(n))
        messaging = server.messaging()
        channel = ConsumeChannel(spec, messaging)

        @channel.handler
        async def handle(trade: Trade, ctx: MessageContext) -> None:
            tally.run(trade.sequence)
            if trade.sequence < bad:
                elsewhere = asyncio.ensure_future(asyncio.sleep(10))
                elsewhere.cancel()
                await elsewhere  # raises CancelledError in this handler
            tally.handled.append(trade.sequence)

        async with messaging:
            await wait_for(lambda: n - 1 in tally.handled, "the 21st message", 30)
            await wait_for(
                lambda: (
                    sample(
                        messaging.metrics.registry,
                        "svcforge_messages_dead_lettered_total",
                        channel="trades",
                        transport=server.transport,
                        reason="handler-failed",
                    )
                    == bad
                ),
                "20 dead letters",
                10,
            )
            problem = messaging.problems().get(server.transport)
        dead = await dead_letters(server, spec.route(server.transport).dead_letter)
        labels = {"channel": "trades", "transport": server.transport}
        registry = messaging.metrics.registry
        metrics = {
            name: sample(registry, f"svcforge_messages_{name}_total", **labels)
            for name in ("failed", "retried", "consumed")
        }
        return dead, metrics, problem

    dead, metrics, problem = asyncio.run(scenario())
    counts = tally.report(len(dead))
    print_counts(
        f"[{server.transport}] CancelledError",
        counts,
        handler_runs=sum(tally.runs.values()),
        **{k: int(v) for k, v in metrics.items()},
    )
    assert counts == {
        "published": n,
        "handled": 1,
        "dead_lettered": bad,
        "lost": 0,
        "duplicates": 0,
    }
    assert all(tally.runs[s] == FAST_RETRY.attempts for s in range(bad))
    assert metrics == {
        "failed": bad * FAST_RETRY.attempts,
        "retried": bad * (FAST_RETRY.attempts - 1),
        "consumed": 1,
    }
    assert {d.headers["error-type"] for d in dead} == {b"CancelledError"}
    assert problem is None


def test_kafka_tombstones_get_their_reason_or_their_handler(
    kafka_bootstrap: str, unique_name: str
) -> None:
    """Records without a value: dead-lettered with the reason ``tombstone``
    (no more TypeError), or given to the channel's tombstone handler."""
    server = Server("kafka", kafka_bootstrap, f"{unique_name}.")
    spec = server.spec()
    other = server.spec(group=f"{unique_name}-deletes")

    async def scenario() -> tuple[list, list[bytes | None], int]:  # type: ignore[type-arg]
        import aiokafka

        topic = server.prefix + spec.kafka.topic
        raw = aiokafka.AIOKafkaProducer(
            bootstrap_servers=kafka_bootstrap, enable_idempotence=False
        )
        await raw.start()
        try:
            await raw.send_and_wait(topic, TRADE_AVRO.encode(trades(1)[0]), key=b"a")
            for key in (b"k1", b"k2", b"k3"):
                await raw.send_and_wait(topic, None, key=key)
        finally:
            await raw.stop()
        handled: list[int] = []
        deleted: list[bytes | None] = []
        messaging = server.messaging()
        plain, with_handler = ConsumeChannel(spec, messaging), None
        plain.handler(lambda t, ctx: _append(handled, t.sequence))
        second = server.messaging()
        with_handler = ConsumeChannel(other, second)
        with_handler.handler(lambda t, ctx: _append(handled, t.sequence))

        @with_handler.tombstones
        async def gone(ctx: MessageContext) -> None:
            deleted.append(ctx.key)

        async with messaging, second:
            await wait_for(lambda: len(deleted) == 3 and len(handled) == 2, "all", 20)
            await wait_for(
                lambda: (
                    sample(
                        messaging.metrics.registry,
                        "svcforge_messages_dead_lettered_total",
                        channel="trades",
                        transport="kafka",
                        reason="tombstone",
                    )
                    == 3
                ),
                "3 tombstones dead-lettered",
                10,
            )
        dead = await dead_letters(server, spec.kafka.dead_letter)
        return dead, deleted, len(handled)

    dead, deleted, handled = asyncio.run(scenario())
    print(
        f"\n[kafka] tombstones: published=4 (3 without value) handled={handled} "
        f"dead_lettered={len(dead)} to_tombstone_handler={len(deleted)} lost=0"
    )
    assert handled == 2
    assert len(dead) == 3
    assert {d.headers["error-reason"] for d in dead} == {b"tombstone"}
    assert all(d.value is None for d in dead)
    assert sorted(deleted) == [b"k1", b"k2", b"k3"]  # type: ignore[type-var]


async def _append(out: list[int], seq: int) -> None:
    out.append(seq)


def test_decoding_bombs_are_dead_lettered_while_health_answers(server: Server) -> None:
    """Payloads of a few bytes that claim 10 million zero-byte items, or
    2**40 of them, are decode errors (dead-lettered), fast: the health
    endpoint answers every probe meanwhile, and the good record after them
    is handled."""
    route_kafka = KafkaRoute("limits.bombs", "limits.bombs.dlq", partitions=1)
    route_redis = RedisRoute("limits:bombs", "limits:bombs:dlq")
    spec: ChannelSpec[Bomb] = ChannelSpec(
        name="bombs",
        message_type="test.limits.Bomb",
        codec=BOMB_CODEC,
        kafka=route_kafka if server.transport == "kafka" else None,
        redis=route_redis if server.transport == "redis" else None,
        consume_from=server.transport,
        group="limits",
    )
    header = BOMB_CODEC.framing.header
    bombs = [header + payload(10_000_000), header + payload(2**40)] * 10
    good = Bomb(xs=[None] * 3, tags={"a": None})
    handled: list[Bomb] = []
    latencies: list[float] = []

    async def scenario() -> list:  # type: ignore[type-arg]
        messaging = server.messaging()
        channel = Channel(spec, messaging)
        channel.handler(lambda m, ctx: _keep(handled, m))
        service = Service(
            "bombs",
            messaging=messaging,
            settings=ServiceSettings(http=HttpSettings(host="127.0.0.1", port=0)),
        )
        await service.start()
        assert service.http is not None
        port = service.http.port
        broker = messaging.broker(server.transport)
        route = spec.route(server.transport)
        assert route is not None

        async def probe() -> None:
            while not handled:
                start = time.monotonic()
                status, _ = await raw_get("127.0.0.1", port, "/health/live")
                assert status == 200
                latencies.append(time.monotonic() - start)
                await asyncio.sleep(0.01)

        prober = asyncio.ensure_future(probe())
        try:
            for bomb in bombs:
                await (await broker.send(route, None, bomb, []))
            await channel.publish(good)
            await wait_for(lambda: bool(handled), "the good record", 30)
            await prober
        finally:
            prober.cancel()
            await service.stop()
        return await dead_letters(server, route.dead_letter)

    dead = asyncio.run(scenario())
    print(
        f"\n[{server.transport}] bombs: published={len(bombs) + 1} handled="
        f"{len(handled)} dead_lettered={len(dead)} lost=0 duplicates=0 "
        f"health_probes={len(latencies)} slowest_probe_s={max(latencies):.3f}"
    )
    assert handled == [good]
    assert len(dead) == len(bombs)
    assert {d.headers["error-reason"] for d in dead} == {b"decode-error"}
    assert all(b"max_items" in d.headers["error-message"] for d in dead)
    assert latencies and max(latencies) < 1.0


async def _keep(out: list[Bomb], m: Bomb) -> None:
    out.append(m)


def test_redis_pool_exhaustion_on_the_data_path_is_waited_out(
    redis_url: str, unique_name: str
) -> None:
    """A data path of 2 connections, a consumer blocking in XREADGROUP on
    one of them, 500 concurrent publishes and a flood of readiness probes:
    commands wait for a connection instead of failing; all 500 are handled."""
    server = Server("redis", redis_url, f"{unique_name}:")
    n = 500
    tally = Tally(published=list(range(n)))
    errors: list[BaseException] = []

    async def scenario() -> None:
        messaging = server.messaging(max_connections=2)
        channel = Channel(server.spec(retry=FAST_RETRY), messaging)

        @channel.handler
        async def handle(trade: Trade, ctx: MessageContext) -> None:
            tally.handled.append(trade.sequence)

        service = Service(
            "pool",
            messaging=messaging,
            settings=ServiceSettings(http=HttpSettings(enabled=False)),
        )
        await service.start()
        try:
            publishes = [channel.publish(t) for t in trades(n)]
            probes = [service.readiness() for _ in range(500)]
            for result in await asyncio.gather(
                *publishes, *probes, return_exceptions=True
            ):
                if isinstance(result, BaseException):
                    errors.append(result)
            await wait_for(lambda: len(set(tally.handled)) == n, "all handled", 30)
        finally:
            await service.stop()

    asyncio.run(scenario())
    counts = tally.report(0)
    print_counts("[redis] pool of 2", counts, errors=len(errors))
    assert errors == []
    assert counts == {
        "published": n,
        "handled": n,
        "dead_lettered": 0,
        "lost": 0,
        "duplicates": 0,
    }


def test_publish_channel_on_kafka_refuses_records_over_max_request_size(
    kafka_bootstrap: str, unique_name: str
) -> None:
    """``max_request_size`` is the producer's: a bigger record fails to
    publish (the caller learns it), a smaller one goes."""
    server = Server("kafka", kafka_bootstrap, f"{unique_name}.")
    big = trades(1)[0]
    big.conditions = ["y" * 1000] * 300  # 300 KB

    async def scenario() -> tuple[str, bool]:
        messaging = server.messaging(max_request_size=100_000)
        channel = PublishChannel(replace(server.spec(), consume_from=None), messaging)
        async with messaging:
            try:
                await channel.publish(big)
            except Exception as exc:
                refused = type(exc).__name__
            else:
                refused = ""
            await channel.publish(trades(1)[0])
        return refused, True

    refused, small_ok = asyncio.run(scenario())
    assert refused == "MessageSizeTooLargeError" and small_ok


def test_redis_restarted_empty_recreates_the_group_and_readiness_tells(
    unique_name: str,
) -> None:
    """Redis killed mid-stream and restarted without its data: the consumer
    makes its group again (a WARNING says messages may have been lost),
    every message published after the restart is handled, and no readiness
    probe said 200 while the group was missing."""
    import signal

    from redis.asyncio import Redis

    from svcforge.testing import start_redis

    first = start_redis()
    port = first.port
    servers = [first]
    server = Server("redis", first.url, f"{unique_name}:")
    spec = server.spec(retry=FAST_RETRY)
    stream, group = server.prefix + spec.redis.stream, server.prefix + spec.group
    tally = Tally()
    after_restart: list[int] = []
    samples: list[tuple[bool, int, bool]] = []
    restarted = asyncio.Event()

    async def group_exists(raw: Redis) -> bool:
        try:
            groups = await raw.xinfo_groups(stream)
        except Exception:
            return False
        return any(g["name"] in (group, group.encode()) for g in groups)

    async def scenario() -> list[str]:
        messaging = server.messaging()
        channel = Channel(spec, messaging)

        @channel.handler
        async def handle(trade: Trade, ctx: MessageContext) -> None:
            tally.handled.append(trade.sequence)

        service = Service(
            "redis-restart",
            messaging=messaging,
            settings=ServiceSettings(http=HttpSettings(host="127.0.0.1", port=0)),
        )
        await service.start()
        assert service.http is not None
        http = service.http.port
        raw = Redis.from_url(server.address, socket_timeout=1)

        async def publisher() -> None:
            template = trades(1)[0]
            i = -1
            while len(after_restart) < 150:
                i += 1
                t = template.model_copy(update={"sequence": i})
                try:
                    await asyncio.wait_for(channel.publish(t), 2)
                except Exception:
                    continue  # not acknowledged: not published
                tally.published.append(i)
                if restarted.is_set():
                    after_restart.append(i)
                await asyncio.sleep(0.005)

        async def prober() -> None:
            while not publishing.done():
                before = await group_exists(raw)
                status, _ = await raw_get("127.0.0.1", http, "/health/ready")
                samples.append((before, status, await group_exists(raw)))
                await asyncio.sleep(0.01)

        publishing = asyncio.ensure_future(publisher())
        probing = asyncio.ensure_future(prober())
        try:
            await wait_for(lambda: len(tally.handled) >= 100, "100 handled", 20)
            servers[0].stop(signal.SIGKILL)
            await asyncio.sleep(0.3)
            servers.append(start_redis(port=port))
            restarted.set()
            await probing
            await publishing
            await wait_for(
                lambda: set(after_restart) <= set(tally.handled),
                "every message published after the restart",
                20,
            )
        finally:
            publishing.cancel()
            probing.cancel()
            await raw.aclose()
            await service.stop()
        return []

    from structlog.testing import capture_logs

    try:
        with capture_logs() as logs:
            asyncio.run(scenario())
    finally:
        for s in servers:
            s.stop()
    records = [str(e.get("event")) for e in logs if e.get("log_level") == "warning"]
    handled = set(tally.handled)
    lost_after = len(set(after_restart) - handled)
    lost_before = len(set(tally.published) - set(after_restart) - handled)
    missing = [s for s in samples if not s[0] and not s[2]]
    false_ready = [s for s in missing if s[1] == 200]
    print(
        f"\n[redis] restart empty: published={len(tally.published)} "
        f"published_after_restart={len(after_restart)} handled={len(handled)} "
        f"lost_after_restart={lost_after} lost_with_the_server={lost_before} "
        f"duplicates={len(tally.handled) - len(handled)} "
        f"probes={len(samples)} probes_while_group_missing={len(missing)} "
        f"of_them_200={len(false_ready)}"
    )
    assert len(after_restart) == 150
    assert lost_after == 0
    assert false_ready == []
    assert missing, "no probe ran while the group was missing"
    assert any("consumer group missing" in r for r in records)


def test_database_ready_is_false_on_any_error_and_true_again(tmp_path: object) -> None:
    """PostgreSQL killed under an open ``Database``: ``ready()`` returns False
    (never raises) and ``check()`` names the error; the data path fails as
    it should; on a server back on the same port both recover."""
    import signal

    from svcforge.db import Database, DatabaseSettings
    from svcforge.testing import start_postgres

    first = start_postgres()
    servers = [first]
    results: list[object] = []

    async def scenario() -> None:
        db = Database(DatabaseSettings(url=first.dsn(), connect_timeout=2))
        async with db:
            results.append(await db.ready())
            servers[0].stop(signal.SIGKILL)
            for _ in range(3):
                results.append(await db.ready(timeout=2))
            results.append(await db.check(timeout=2))
            try:
                await db.fetchval("SELECT 1")
            except Exception as exc:
                results.append(type(exc).__name__)

    try:
        asyncio.run(scenario())
    finally:
        for s in servers:
            s.stop()
    print(f"\n[postgres] killed: ready={results[:4]} check={results[4]!r}")
    assert results[0] is True
    assert results[1:4] == [False, False, False]
    assert isinstance(results[4], str) and "database unreachable" in results[4]
    assert isinstance(results[5], str)  # the data path raised, as it should


@pytest.mark.parametrize("debug", [False, True])
def test_payload_bytes_reach_logs_and_dead_letters_only_in_debug(
    redis_url: str, unique_name: str, debug: bool
) -> None:
    """A JSON record that fails validation: its contents (personal data,
    say) stay out of the log line and the dead-letter error headers unless
    ``debug_payloads`` is on."""
    from market_data.generated.codecs import TRADE_JSON
    from structlog.testing import capture_logs

    server = Server("redis", redis_url, f"{unique_name}:")
    spec = replace(server.spec(), codec=TRADE_JSON)
    personal = "Jane-Doe-1970-01-01"
    good = trades(1)[0]
    bad = json.loads(TRADE_JSON.encode(good))
    bad["sequence"] = personal  # not an integer: a validation error quoting it

    async def scenario() -> list:  # type: ignore[type-arg]
        messaging = server.messaging(debug_payloads=debug)
        channel = ConsumeChannel(spec, messaging)
        handled: list[int] = []
        channel.handler(lambda t, ctx: _append(handled, t.sequence))
        broker = messaging.broker("redis")
        async with messaging:
            await (await broker.send(spec.redis, None, json.dumps(bad).encode(), []))
            await (await broker.send(spec.redis, None, TRADE_JSON.encode(good), []))
            await wait_for(lambda: handled == [good.sequence], "the good record")
        return await dead_letters(server, spec.redis.dead_letter)

    with capture_logs() as logs:
        dead = asyncio.run(scenario())
    line = next(e for e in logs if e["event"] == "message dead-lettered")
    header = dead[0].headers["error-message"].decode()
    print(
        f"\n[redis] debug_payloads={debug}: published=2 handled=1 dead_lettered="
        f"{len(dead)} lost=0 in_log={personal in repr(line)} in_header={personal in header}"
    )
    assert len(dead) == 1 and dead[0].headers["error-reason"] == b"decode-error"
    assert "sequence" in header  # what failed is said either way
    assert (personal in header) is debug
    assert (personal in repr(line)) is debug
    assert ("payload" in line) is debug


def test_a_record_that_cannot_be_dead_lettered_is_skipped_not_retried_forever(
    redis_url: str, unique_name: str
) -> None:
    """The dead-letter stream cannot take entries (its key holds a string:
    WRONGTYPE): the poison entry is tried ``dead_letter_attempts`` times,
    then skipped with an ERROR log and ``svcforge_messages_skipped_total``;
    the stream flows on and nothing stays pending."""
    from redis.asyncio import Redis
    from structlog.testing import capture_logs

    server = Server("redis", redis_url, f"{unique_name}:")
    spec = server.spec(retry=FAST_RETRY)
    n, poison = 30, 7
    tally = Tally(published=list(range(n)))

    async def scenario() -> tuple[float, int]:
        raw = Redis.from_url(redis_url)
        await raw.set(server.prefix + spec.redis.dead_letter, b"not a stream")
        await publish(server, trades(n))
        messaging = server.messaging(dead_letter_attempts=3)
        channel = ConsumeChannel(spec, messaging)

        @channel.handler
        async def handle(trade: Trade, ctx: MessageContext) -> None:
            tally.run(trade.sequence)
            if trade.sequence == poison:
                raise ValueError("poison")
            tally.handled.append(trade.sequence)

        registry = messaging.metrics.registry
        async with messaging:
            await wait_for(lambda: len(tally.handled) == n - 1, "the others", 20)
            await wait_for(
                lambda: (
                    sample(
                        registry,
                        "svcforge_messages_skipped_total",
                        channel="trades",
                        transport="redis",
                        reason="handler-failed",
                    )
                    == 1
                ),
                "the skip",
                10,
            )
        pending = await raw.xpending(
            server.prefix + spec.redis.stream, server.prefix + spec.group
        )
        await raw.aclose()
        dl = sample(
            registry,
            "svcforge_messages_dead_lettered_total",
            channel="trades",
            transport="redis",
            reason="handler-failed",
        )
        return dl, int(pending["pending"])

    with capture_logs() as logs:
        dead_lettered, pending = asyncio.run(scenario())
    skipped = [e for e in logs if e["event"].startswith("message skipped")]
    retries = [e for e in logs if e["event"] == "dead-lettering failed; retrying"]
    counts = tally.report(0)
    counts["skipped"] = len(skipped)
    counts["lost"] -= len(skipped)  # the poison is skipped, on purpose
    print_counts(
        "[redis] dead letter refused",
        counts,
        dead_letter_tries=len(retries) + 1,
        pending=pending,
    )
    assert counts == {
        "published": n,
        "handled": n - 1,
        "dead_lettered": 0,
        "lost": 0,
        "duplicates": 0,
        "skipped": 1,
    }
    assert dead_lettered == 0
    assert len(skipped) == 1 and skipped[0]["log_level"] == "error"
    assert "WRONGTYPE" in skipped[0]["dead_letter_error"]
    assert len(retries) == 2
    assert tally.runs[poison] == FAST_RETRY.attempts
    assert pending == 0

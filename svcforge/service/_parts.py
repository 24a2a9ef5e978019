"""A service's runtime parts, made from its generated ``Settings`` in one
call: the brokers, the database, the runner, the stores and the outbox relay.

``ServiceParts(settings, enums=..., migrations=...)`` reads the settings
groups the service has (``kafka``, ``redis``, ``database``, ``avro``,
``outbox``, ``http``, ``logging``, ``runner``).  A server none of whose
variables is set runs **embedded** while the environment is
``development`` (the default): Kafka and Redis on one in-memory broker,
PostgreSQL as a throwaway server on loopback (its binaries must be
installed), with the migrations applied.  In ``production`` every server the
service uses must be configured: a missing group is a ``SettingsError``
naming its variable.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel

from svcforge.db import Database, DatabaseSettings, Migration, RowCache
from svcforge.db._outbox import OUTBOX_MIGRATION
from svcforge.messaging import (
    Broker,
    ConsumeChannel,
    InMemoryBroker,
    KafkaBroker,
    Messaging,
    PublishChannel,
    RedisBroker,
)
from svcforge.resilience import Policies, Policy, PolicySpec
from svcforge.service._outbox import OutboxChannel, OutboxRelay
from svcforge.service._reload import SettingsReloader
from svcforge.service._runner import Service, Setup
from svcforge.service._settings import OutboxSettings, ServiceSettings
from svcforge.service._stores import StoreHandler, StoreMetrics
from svcforge.settings import Problem, SettingsError

__all__ = ["SERVERS", "ServiceParts", "settings_or_exit"]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

SERVERS = ("database", "kafka", "redis")
"""The settings groups that say where a server is."""
_ADDRESS = {"database": "url", "kafka": "bootstrap_servers", "redis": "url"}

_log = structlog.get_logger("svcforge.service")


class ServiceParts:
    """Everything a service runs on, made from its settings.

    ``messaging`` (the brokers), ``database`` (None unless the service uses
    PostgreSQL) and ``service`` (the runner: HTTP port, logging, shutdown)
    are ready to use; ``store`` and ``outbox`` add consume -> store handlers
    and outbox channels; ``run`` starts embedded servers, runs the service
    until SIGTERM and stops them.
    """

    def __init__(
        self,
        settings: Any,
        *,
        enums: Sequence[Any] = (),
        migrations: Sequence[Migration] = (),
    ) -> None:
        self.settings = settings
        name = str(getattr(type(settings), "service_name", "service"))
        runner: ServiceSettings = settings.service
        given = set(settings.model_fields_set)
        self.embedded = tuple(
            g for g in SERVERS if hasattr(settings, g) and g not in given
        )
        if self.embedded and runner.environment == "production":
            raise SettingsError(name, [_unset(settings, g) for g in self.embedded])
        avro = getattr(settings, "avro", None)
        if avro is not None:
            avro.apply()
        self.messaging = Messaging(
            kafka=self._broker(settings, "kafka"), redis=self._broker(settings, "redis")
        )
        self.database: Database | None = None
        if hasattr(settings, "database"):
            self.database = Database(settings.database, enums=enums)
        self.migrations = list(migrations)
        self.relay: OutboxRelay | None = None
        self._store_metrics: StoreMetrics | None = None
        self._policies: Policies | None = None
        self._cache: RowCache | None = None
        self._postgres: Any = None
        self.service = Service(
            name,
            messaging=self.messaging,
            database=self.database,
            settings=runner,
            setup=[self._started, self._migrate],
        )
        # Settings marked reloadable are re-read on SIGHUP and when .env
        # changes, for as long as the service runs.
        self.reloader: SettingsReloader[Any] = SettingsReloader(settings)
        if hasattr(type(settings), "load"):
            self.service.workers.append(self.reloader)

    def _broker(self, settings: Any, group: str) -> Broker | None:
        if not hasattr(settings, group):
            return None
        if group in self.embedded:
            memory = getattr(self, "_memory", None)
            if memory is None:
                memory = self._memory = InMemoryBroker()
            return memory
        config = getattr(settings, group)
        return KafkaBroker(config) if group == "kafka" else RedisBroker(config)

    def setup(self, step: Setup) -> Setup:
        """Run ``step`` at start-up, after the migrations and before the
        brokers start (usable as a decorator): reference data a consumer
        needs, say.  Retried with the rest while dependencies are down, so
        it should be idempotent."""
        self.service.setup.append(step)
        return step

    def require_database(self) -> Database:
        if self.database is None:
            raise LookupError(
                "the service has no database: add postgres to [tool.svcforge] uses"
            )
        return self.database

    def row_cache(self) -> RowCache | None:
        """The Redis that the repositories of cached tables read through
        (closed when the service stops); None while Redis runs embedded (the
        in-memory broker keeps no keys): they then read PostgreSQL alone."""
        if (
            self._cache is None
            and hasattr(self.settings, "redis")
            and "redis" not in self.embedded
        ):
            self._cache = RowCache(
                self.settings.redis.url, registry=self.messaging.metrics.registry
            )
            self.service.workers.append(self._cache)
        return self._cache

    def store(self, channel: ConsumeChannel[M], spec: Any) -> StoreHandler[M]:
        """Consume ``channel`` by storing each batch in ``spec``'s table
        (a ``StoreSpec`` of ``generated/stores.py``)."""
        if self._store_metrics is None:
            self._store_metrics = StoreMetrics(self.messaging.metrics.registry)
        handler: StoreHandler[M] = StoreHandler(
            self.require_database(), spec, self._store_metrics
        )
        channel.batch_handler(handler)
        return handler

    def outbox(self, channel: PublishChannel[M]) -> OutboxChannel[M]:
        """Publish ``channel`` through the outbox: staged in the caller's
        transaction, published by the relay this adds to the runner."""
        database = self.require_database()
        if self.relay is None:
            group = getattr(self.settings, "outbox", None)
            self.relay = OutboxRelay(
                lambda: database.settings.url,
                {},
                group if isinstance(group, OutboxSettings) else OutboxSettings(),
                self.messaging.metrics.registry,
            )
            self.service.workers.append(self.relay)
            if OUTBOX_MIGRATION not in self.migrations:
                self.migrations.append(OUTBOX_MIGRATION)
        self.relay.channels[channel.name] = channel
        return OutboxChannel(channel)

    def policy(self, spec: PolicySpec) -> Policy:
        """The ``svcforge.resilience.Policy`` of ``spec``: its breaker's state
        in the metrics and, while open, in readiness; a shared rate limit in
        the service's Redis (one per process while Redis runs embedded)."""
        policies = self._policies
        if policies is None:
            redis = getattr(self.settings, "redis", None)
            if redis is None or "redis" in self.embedded:
                url, prefix = None, ""
            else:
                url, prefix = str(redis.url), str(redis.name_prefix)
            policies = self._policies = Policies(
                self.messaging.metrics.registry, redis=url, prefix=prefix
            )
            self.service.workers.append(policies)
        made = policies.policy(spec)
        if made.breaker is not None:
            name = f"breaker {spec.name}"

            async def check() -> str | None:
                return made.problem()

            self.service.checks[name] = check
        return made

    async def _started(self) -> None:
        for group in self.embedded:
            where = (
                "a throwaway PostgreSQL on loopback"
                if group == "database"
                else "the in-memory broker"
            )
            _log.warning(
                f"{group} runs embedded: {where}; nothing is kept after the "
                f"process ends (set {_variable(self.settings, group)} for a "
                "real server)",
            )

    async def _migrate(self) -> None:
        db = self.database
        if db is None or not self.migrations:
            return
        settings: DatabaseSettings = db.settings
        if "database" in self.embedded or settings.migrate:
            applied = await db.migrate(self.migrations)
            if applied:
                _log.info("migrations applied", migrations=applied)

    async def run(
        self,
        main: Callable[[], Awaitable[None]] | None = None,
        *,
        stop_when_main_returns: bool = False,
    ) -> None:
        """Start the embedded servers, run the service until SIGTERM (or
        until ``main`` returns, if asked), then stop them."""
        try:
            if "database" in self.embedded and self.database is not None:
                await self._start_postgres(self.database)
            await self.service.run(main, stop_when_main_returns=stop_when_main_returns)
        finally:
            server, self._postgres = self._postgres, None
            if server is not None:
                await asyncio.to_thread(server.stop, signal.SIGINT)

    async def _start_postgres(self, database: Database) -> None:
        from svcforge.testing.servers import ServerError, start_postgres

        try:
            self._postgres = server = await asyncio.to_thread(start_postgres)
        except ServerError as exc:
            prefix = _variable(self.settings, "database")
            raise SettingsError(
                str(getattr(type(self.settings), "service_name", "service")),
                [Problem(prefix, f"not set, and no embedded PostgreSQL: {exc}")],
            ) from None
        database.settings = database.settings.model_copy(update={"url": server.dsn()})


def settings_or_exit(make: Callable[[], T]) -> T:
    """``make()`` (which loads settings, say ``Settings.load()``), or exit
    with status 2 listing every problem, secrets never shown: what a service
    started from its environment does."""
    try:
        return make()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def _variable(settings: Any, group: str) -> str:
    prefix = str(type(settings).model_config.get("env_prefix", ""))
    return f"{prefix}{group}__{_ADDRESS[group]}".upper()


def _unset(settings: Any, group: str) -> Problem:
    return Problem(
        _variable(settings, group),
        "not set: in production every server the service uses is configured "
        "(in development it would run embedded)",
    )

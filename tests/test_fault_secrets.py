"""No planted secret leaves the process.  One test walks every settings
field of the runtime (PostgreSQL, Kafka, Redis, HTTP, logging, the runner)
and of the generated example settings (accounts), plants a distinct secret
in every field that can carry a credential (URLs and DSNs with ``@`` and a
space in the password and a ``?password=`` parameter, secret strings), runs
a service on those settings against real servers, and looks for the
secrets in repr, str, model_dump(), model_dump_json(), the JSON Schema
defaults, the logs, error messages (validation errors included), /metrics,
the health bodies and the dead-letter headers."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fault_support import dead_letters, fetch, wait_for
from messaging_support import Server, Trade, publish, trades
from pydantic import BaseModel, SecretStr, ValidationError, create_model

from svcforge.db import Database, DatabaseSettings
from svcforge.messaging import (
    ConsumeChannel,
    KafkaSettings,
    MessageContext,
    RedisSettings,
    RetryPolicy,
)
from svcforge.service import (
    HttpSettings,
    LoggingSettings,
    Service,
    ServiceSettings,
    configure_logging,
)
from svcforge.settings import SecretUrl, SettingsError
from svcforge.settings._errors import is_secret, model_of

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "generated-examples/accounts/src")
)
from accounts.generated.settings import Settings as AccountsSettings

pytestmark = pytest.mark.fault

RUNTIME = (
    DatabaseSettings,
    KafkaSettings,
    RedisSettings,
    HttpSettings,
    LoggingSettings,
    ServiceSettings,
)
# The fields that can carry a credential: the walk must find every one.
EXPECTED = {
    "DatabaseSettings.url",
    "KafkaSettings.sasl_password",
    "RedisSettings.url",
    "JwtSettings.signing_secret",
    "ApiKeysSettings.hash_pepper",
}


def credential_fields(
    model: type[BaseModel], seen: set[type[BaseModel]] | None = None
) -> list[tuple[type[BaseModel], str]]:
    """Every (settings class, field) under ``model`` that carries a
    credential, nested groups walked."""
    seen = set() if seen is None else seen
    if model in seen:
        return []
    seen.add(model)
    out = []
    for name, info in model.model_fields.items():
        group = model_of(info.annotation)
        if group is not None:
            out += credential_fields(group, seen)
        elif is_secret(name, info.annotation) or any(
            repr(m) == "SECRET_URL" for m in info.metadata
        ):
            out.append((model, name))
    return out


class Planted:
    """Distinct secrets, and the values carrying them."""

    def __init__(self) -> None:
        self.secrets: list[str] = []

    def secret(self, tag: str) -> str:
        value = f"Pl4nted{tag}Zq"
        self.secrets.append(value)
        return value

    def url(
        self, scheme: str, user: str, host: str, tag: str, *, encoded: bool = False
    ) -> str:
        """'@' and a space in the password (percent-encoded for a URL that
        clients parse), and a second secret as a ?password= parameter."""
        password = f"p@ss {self.secret(tag + 'Pw')}"
        if encoded:
            password = quote(password, safe="")
        param = self.secret(tag + "Param")
        return f"{scheme}://{user}:{password}@{host}?sslmode=disable&password={param}"

    def found_in(self, text: str) -> list[str]:
        return [s for s in self.secrets if s in text]


def test_no_planted_secret_leaves_the_process(
    postgres_server: Any,
    redis_url: str,
    kafka_bootstrap: str,
    unique_name: str,
) -> None:
    fields = [
        f"{m.__name__}.{n}"
        for root in (*RUNTIME, AccountsSettings)
        for m, n in credential_fields(root)
    ]
    assert set(fields) == EXPECTED, fields
    planted = Planted()
    redis_host = redis_url.split("://", 1)[1].rsplit("/", 1)[0]
    redis_password = f"p@ss {planted.secret('RedisPw')}"
    environ = {
        "ACCOUNTS_JWT__SIGNING_SECRET": planted.secret("Jwt") * 3,
        "ACCOUNTS_API_KEYS__HASH_PEPPER": planted.secret("Pepper") * 2,
        "ACCOUNTS_DATABASE__URL": planted.url(
            "postgresql",
            "postgres",
            f"127.0.0.1:{postgres_server.port}/postgres",
            "Db",
            encoded=True,
        ),
        "ACCOUNTS_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "ACCOUNTS_KAFKA__SASL_PASSWORD": planted.secret("Sasl"),
        "ACCOUNTS_KAFKA__ENABLE_IDEMPOTENCE": "false",
        "ACCOUNTS_KAFKA__NAME_PREFIX": f"{unique_name}.",
    }
    settings = AccountsSettings.load(environ=environ, env_file=None)
    redis = RedisSettings(
        url=f"redis://svc:{quote(redis_password, safe='')}@{redis_host}/0",
        name_prefix=f"{unique_name}:",
        block_ms=100,
    )
    places: dict[str, str] = {}
    raw_db = DatabaseSettings(url=planted.url("postgresql", "u", "h/db", "RawDb"))
    raw_redis = RedisSettings(url=planted.url("redis", "u", "h:1/0", "RawRedis"))

    # repr, str, model_dump, model_dump_json, redacted, JSON Schema.
    for name, obj in {
        "settings": settings,
        "database": settings.database,
        "kafka": settings.kafka,
        "redis": redis,
        "raw_db": raw_db,
        "raw_redis": raw_redis,
    }.items():
        places[f"repr({name})"] = repr(obj)
        places[f"str({name})"] = str(obj)
        places[f"{name}.model_dump()"] = repr(obj.model_dump())
        places[f"{name}.model_dump(mode=json)"] = json.dumps(
            obj.model_dump(mode="json")
        )
        places[f"{name}.model_dump_json()"] = obj.model_dump_json()
    places["redacted()"] = json.dumps(settings.redacted())
    places["json schema"] = json.dumps(AccountsSettings.model_json_schema())
    for model, name in credential_fields(AccountsSettings) + credential_fields(
        RedisSettings
    ):
        # A default as code would write it: a URL on a SecretUrl field, a
        # SecretStr on a secret field.
        info = model.model_fields[name]
        value: Any = planted.url("redis", "u", "h:1/0", f"Default{name}")
        annotated: Any = info.annotation
        if any(repr(m) == "SECRET_URL" for m in info.metadata):
            annotated = SecretUrl
        else:
            value = SecretStr(value)
        with_default = create_model(  # type: ignore[call-overload]
            f"Planted{model.__name__}", __base__=model, **{name: (annotated, value)}
        )
        places[f"json schema default {model.__name__}.{name}"] = json.dumps(
            with_default.model_json_schema()
        ) + json.dumps(with_default.model_json_schema(mode="serialization"))

    # Values that fail validation.
    bad = dict(environ)
    bad["ACCOUNTS_JWT__SIGNING_SECRET"] = planted.secret("Short")
    bad["ACCOUNTS_DATABASE__URL"] = "[" + planted.secret("BadJson")
    try:
        AccountsSettings.load(environ=bad, env_file=None)
    except SettingsError as exc:
        places["SettingsError"] = str(exc)
    for cls, field, value in (
        (DatabaseSettings, "url", [planted.secret("DbList")]),
        (RedisSettings, "url", {"x": planted.secret("RedisDict")}),
        (KafkaSettings, "sasl_password", [planted.secret("SaslList")]),
    ):
        try:
            cls.model_validate({field: value})
        except ValidationError as exc:
            places[f"ValidationError {cls.__name__}.{field}"] = str(exc) + repr(
                exc.errors(include_input=False)
            )

    # A service on those settings against the real servers: logs, health,
    # metrics, dead letters, and errors that quote the URLs.
    logs = io.StringIO()
    configure_logging(LoggingSettings(level="DEBUG", format="json"), stream=logs)
    server = Server("redis", redis.url, redis.name_prefix)
    db_url = settings.database.url

    async def scenario() -> None:
        admin = Database(postgres_server.dsn())
        async with admin:
            await admin.execute(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                "'postgres') THEN RAISE 'no role'; END IF; END $$"
            )
        from redis.asyncio import Redis

        raw = Redis.from_url(redis_url)
        await raw.execute_command(
            "ACL", "SETUSER", "svc", "on", f">{redis_password}", "~*", "&*", "+@all"
        )
        await raw.aclose()
        messaging = server.messaging()
        messaging = type(messaging)(redis=type(messaging.broker("redis"))(redis))
        spec = replace(server.spec(), retry=RetryPolicy(attempts=1))
        channel = ConsumeChannel(spec, messaging)

        @channel.handler
        async def handle(trade: Trade, ctx: MessageContext) -> None:
            if trade.sequence == 1:
                # A careless handler quoting its settings in an error.
                raise RuntimeError(f"cannot reach {db_url} or {redis.url}")

        async def custom() -> str | None:
            return f"upstream down at {db_url}"

        database = Database(settings.database)
        service = Service(
            "accounts",
            messaging=messaging,
            database=database,
            settings=ServiceSettings(
                http=HttpSettings(host="127.0.0.1", port=0), startup_timeout_s=10
            ),
            checks={"custom": custom},
        )
        await service.start()
        try:
            assert service.http is not None
            base = service.http.url
            await publish(server, trades(3))
            await wait_for(
                lambda: (
                    (
                        messaging.metrics.registry.get_sample_value(
                            "svcforge_messages_dead_lettered_total",
                            {
                                "channel": "trades",
                                "transport": "redis",
                                "reason": "handler-failed",
                            },
                        )
                        or 0
                    )
                    >= 1
                ),
                "the dead letter",
            )
            for path in ("/health/live", "/health/ready", "/metrics"):
                places[f"GET {path}"] = (await fetch(base + path))[1]
            dead = await dead_letters(server, spec.redis.dead_letter)
            places["dead-letter headers"] = repr([d.headers for d in dead])
            assert await database.ready()
        finally:
            await service.stop()
        # Dependencies that refuse: their errors, logged and in the message.
        refused = Service(
            "refused",
            database=Database(
                DatabaseSettings(
                    url=db_url.replace(str(postgres_server.port), "9"),
                    connect_timeout=0.5,
                )
            ),
            settings=ServiceSettings(
                http=HttpSettings(enabled=False), startup_timeout_s=0.5
            ),
        )
        try:
            await refused.start()
        except SystemExit as exc:
            places["ServiceFailed"] = str(exc)

    try:
        asyncio.run(scenario())
    finally:
        configure_logging(LoggingSettings(level="WARNING"))
    places["logs"] = logs.getvalue()
    assert "cannot reach" in places["logs"]  # the careless error was logged
    assert "ServiceFailed" in places and "SettingsError" in places
    leaks = {where: planted.found_in(text) for where, text in places.items()}
    leaks = {k: v for k, v in leaks.items() if v}
    print(
        f"\n[secrets] planted={len(planted.secrets)} in fields={sorted(set(fields))} "
        f"places_checked={len(places)} leaks={len(leaks)}"
    )
    assert leaks == {}

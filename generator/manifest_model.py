"""What ``[tool.svcforge]`` may hold, declared once as pydantic models.

Each field's ``description`` is the phrase an error message puts after
"must be" (``partitions must be a positive integer, found 0``), and its
``examples`` give the hint for a missing or wrong required key; ``tomlcheck``
turns validation errors into diagnostics at the TOML ``line:col``.  Checks
that involve several keys raise ``problem(...)``, whose message is already in
the project's words.  Messages name keys, never the ``[tool.svcforge]`` table
or the channel: the caller adds where they were written.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from generator.ir import ChannelTransport, Compression, RetryPolicy, StoreConflict
from generator.manifest_policies import PolicyDecl
from generator.tomlcheck import problem

RuntimePart = Literal["kafka", "postgres", "redis"]
Encoding = Literal["avro", "json"]
CompatMode = Literal[
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
]
_COMPAT_MODES = f"one of {', '.join(get_args(CompatMode))}"

NonEmpty = Annotated[str, StringConstraints(min_length=1)]
PackageName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"),
]
ChannelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")]
BrokerName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:\-]+$")]

_TRANSPORTS: tuple[ChannelTransport, ...] = get_args(ChannelTransport)
_RETRY = RetryPolicy()
_BROKER_NAME = "a non-empty name (letters, digits, . _ : -)"
_POSITIVE = "a positive integer"


def _words(options: tuple[str, ...], last: str) -> str:
    """``"a", "b" or "c"``: TOML strings, as the user would write them."""
    quoted = [f'"{o}"' for o in options]
    return f"{', '.join(quoted[:-1])} {last} {quoted[-1]}"


class _Table(BaseModel):
    # strict: TOML values are typed, so "5" is not a number and true not 1.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RetryDecl(_Table):
    """``retry = { ... }`` of a channel: handler runs and their backoff."""

    attempts: PositiveInt = Field(default=_RETRY.attempts, description=_POSITIVE)
    backoff_ms: NonNegativeInt = Field(
        default=_RETRY.backoff_ms, description="an integer >= 0"
    )
    max_backoff_ms: PositiveInt = Field(
        default=_RETRY.max_backoff_ms, description=_POSITIVE
    )
    max_deliveries: PositiveInt = Field(
        default=_RETRY.max_deliveries, description=_POSITIVE
    )

    @model_validator(mode="after")
    def _backoff_fits(self) -> RetryDecl:
        low, high = self.backoff_ms, self.max_backoff_ms
        if high >= low:
            return self
        if "max_backoff_ms" in self.model_fields_set:
            raise problem(
                f"retry.max_backoff_ms ({high}) is below retry.backoff_ms ({low})",
                at="max_backoff_ms",
            )
        raise problem(
            f"retry.backoff_ms ({low}) is above the default retry.max_backoff_ms "
            f"({high})",
            hint=f"set retry.max_backoff_ms to {low} or more",
            at="backoff_ms",
        )

    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.attempts,
            backoff_ms=self.backoff_ms,
            max_backoff_ms=self.max_backoff_ms,
            max_deliveries=self.max_deliveries,
        )


def _only_on(transport: ChannelTransport, value: Any, info: ValidationInfo) -> Any:
    on = info.data.get("transport")
    if on is not None and transport not in on:
        other = ", ".join(on)
        raise problem(
            f"{info.field_name} applies to {transport} channels; this one is on "
            f"{other}",
            hint=f"remove {info.field_name}, or put the channel on both: "
            f'transport = ["kafka", "redis"]',
        )
    return value


class ChannelDecl(_Table):
    """One channel, as ``[tool.svcforge.channels.<name>]`` or an entry of
    ``[[tool.svcforge.channels]]`` declares it.  Its message and key field
    are bound to the schemas by the channels front-end.

    Field order matters: a validator reads the keys declared above it.
    """

    name: ChannelName = Field(
        description="a letter, then letters, digits, '_' or '-'",
        examples=["orders_placed"],
    )
    message: NonEmpty = Field(
        description="the full or short name of a message schema",
        examples=["com.acme.OrderPlaced"],
    )
    transport: Annotated[tuple[ChannelTransport, ...], Field(min_length=1)] = Field(
        default=("kafka",),
        strict=False,  # a TOML array arrives as a list
        description='"kafka", "redis" or ["kafka", "redis"]',
    )
    publish: bool = Field(default=True, description="true or false")
    consume: bool | ChannelTransport = Field(
        default=False, description=f"true, false, {_words(_TRANSPORTS, 'or')}"
    )
    topic: BrokerName | None = Field(default=None, description=_BROKER_NAME)
    partitions: PositiveInt | None = Field(default=None, description=_POSITIVE)
    compression: Compression | None = Field(
        default=None, description=f"one of {', '.join(get_args(Compression))}"
    )
    stream: BrokerName | None = Field(default=None, description=_BROKER_NAME)
    maxlen: PositiveInt | None = Field(default=None, description=_POSITIVE)
    dead_letter: BrokerName | None = Field(default=None, description=_BROKER_NAME)
    group: BrokerName | None = Field(default=None, description=_BROKER_NAME)
    key: NonEmpty | None = Field(
        default=None, description="the name of a field of the message"
    )
    retry: RetryDecl = Field(
        default=RetryDecl(),
        description="a table like { attempts = 5, backoff_ms = 200 }",
    )
    encoding: Encoding | None = Field(default=None, description='"avro" or "json"')
    store: NonEmpty | None = Field(
        default=None,
        description="the name of a table of schemas/tables",
        examples=["trades"],
    )
    on_conflict: StoreConflict | None = Field(
        default=None, description='"ignore" or "update"'
    )
    outbox: bool = Field(default=False, description="true or false")
    compat: CompatMode | None = Field(
        default=None,
        description=_COMPAT_MODES,
        examples=["FULL"],
    )
    policy: PolicyDecl | None = Field(
        default=None,
        description="a table like { rate_limit = { rate = 100 } }",
    )

    @field_validator("transport", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("transport")
    @classmethod
    def _distinct(
        cls, value: tuple[ChannelTransport, ...]
    ) -> tuple[ChannelTransport, ...]:
        for t in _TRANSPORTS:
            if value.count(t) > 1:
                raise problem(f"transport lists {t} twice")
        return tuple(t for t in _TRANSPORTS if t in value)

    @field_validator("topic", "partitions", "compression")
    @classmethod
    def _kafka_only(cls, value: Any, info: ValidationInfo) -> Any:
        return _only_on("kafka", value, info)

    @field_validator("stream", "maxlen")
    @classmethod
    def _redis_only(cls, value: Any, info: ValidationInfo) -> Any:
        return _only_on("redis", value, info)

    @field_validator("consume")
    @classmethod
    def _consumable(
        cls, value: bool | ChannelTransport, info: ValidationInfo
    ) -> bool | ChannelTransport:
        on = info.data.get("transport")
        if on is None:
            return value
        if value is True and len(on) > 1:
            raise problem(
                "a channel on both transports is consumed from one of them",
                hint='write consume = "kafka" or consume = "redis"',
            )
        if isinstance(value, str) and value not in on:
            raise problem(
                f"consume = {value!r} but the channel is not on {value}",
                hint=f'add "{value}" to transport, or consume from {on[0]}',
            )
        return value

    @model_validator(mode="after")
    def _used(self) -> ChannelDecl:
        if not self.publish and self.consume is False:
            raise problem(
                "neither published nor consumed by this service",
                hint="set publish = true or consume = true",
            )
        if self.store is not None and self.consume is False:
            raise problem(
                "store applies to a channel this service consumes",
                hint="add consume = true, or remove store",
                at="store",
            )
        if self.on_conflict is not None and self.store is None:
            raise problem(
                "on_conflict applies to a channel with store",
                hint='add store = "<table>", or remove on_conflict',
                at="on_conflict",
            )
        if self.policy is not None and not self.publish:
            raise problem(
                "policy guards publishing, and this service does not publish "
                "the channel",
                hint="set publish = true, or remove policy",
                at="policy",
            )
        if self.outbox and not self.publish:
            raise problem(
                "outbox applies to a channel this service publishes",
                hint="set publish = true, or remove outbox",
                at="outbox",
            )
        return self

    @property
    def consumed_from(self) -> ChannelTransport | None:
        """The transport this service consumes the channel from, if any."""
        if isinstance(self.consume, str):
            return self.consume
        return self.transport[0] if self.consume else None


class CompatDecl(_Table):
    """``[tool.svcforge.compat]``: the mode ``svcforge compat`` checks message
    schemas under, by default and per message (full or short name)."""

    mode: CompatMode = Field(default="BACKWARD", description=_COMPAT_MODES)
    messages: dict[str, CompatMode] = Field(
        default_factory=dict,
        description=f"a table of message names to modes, each {_COMPAT_MODES}",
    )


class CacheDecl(_Table):
    """``cache = { ttl_s = 30 }`` of a table: its repository's gets read
    through Redis (``svcforge.db.RowCache``)."""

    ttl_s: PositiveInt = Field(
        description="a positive integer (seconds a cached row is kept)",
        examples=[30],
    )


class TableDecl(_Table):
    """``[tool.svcforge.tables.<name>]``: what the service adds to a table of
    ``schemas/tables`` (named as there, ``users`` or ``public.users``)."""

    cache: CacheDecl | None = Field(
        default=None, description="a table like { ttl_s = 30 }"
    )


class ServiceTable(_Table):
    """``[tool.svcforge]``: the package to generate into and its channels."""

    package: PackageName = Field(
        description="a Python import name", examples=["my_service"]
    )
    name: NonEmpty | None = Field(default=None, description="a non-empty string")
    src: NonEmpty = Field(default="src", description="a non-empty string")
    tests: NonEmpty = Field(default="tests", description="a non-empty string")
    uses: tuple[RuntimePart, ...] = Field(
        default=(),
        strict=False,  # a TOML array arrives as a list
        description=f"a list drawn from {_words(get_args(RuntimePart), 'and')}",
    )
    compat: CompatDecl = Field(
        default=CompatDecl(), description='a table like { mode = "FULL" }'
    )
    strict_keywords: bool = Field(
        default=False,
        description="true or false (a warning for each keyword of a JSON Schema "
        "that its draft does not define)",
    )
    # Each channel is checked on its own (ChannelDecl), so that every entry's
    # errors name that channel; here only the shape of the whole is checked.
    channels: dict[str, Any] | list[Any] | None = Field(
        default=None,
        description="tables: [tool.svcforge.channels.<name>] or "
        "[[tool.svcforge.channels]]",
    )
    # Each policy is checked on its own (``manifest_policies``).
    policies: dict[str, Any] | None = Field(
        default=None, description="tables: [tool.svcforge.policies.<name>]"
    )
    # Each table is checked on its own (TableDecl), like the channels.
    tables: dict[str, Any] | None = Field(
        default=None, description="tables: [tool.svcforge.tables.<name>]"
    )
    # Checked by ``manifest_sql`` (``[tool.svcforge.sql.types]``).
    sql: dict[str, Any] | None = Field(
        default=None, description="a table: [tool.svcforge.sql]"
    )

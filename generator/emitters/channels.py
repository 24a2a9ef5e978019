"""Channels: a typed ``ChannelSpec`` per channel of the manifest, a
``Channels`` class binding them to brokers, and their round-trip tests."""

from __future__ import annotations

import textwrap

from jinja2 import Environment

from generator import ir
from generator.avro_schema import message_sources
from generator.emitters.pysrc import (
    INDENT,
    call,
    docstring,
    header,
    imports,
    py_str,
    tuple_expr,
)

PYPROJECT = "pyproject.toml"


def _sources(service: ir.Service) -> list[str]:
    used = {c.message for c in service.channels}
    messages = [m for m in service.messages if m.fullname in used]
    return [PYPROJECT, *message_sources(service, messages)]


def _message(service: ir.Service, channel: ir.Channel) -> ir.Message:
    return next(m for m in service.messages if m.fullname == channel.message)


def _codec(service: ir.Service, channel: ir.Channel) -> str:
    const = _message(service, channel).constant
    return f"{const}_{'JSON' if channel.encoding == 'json' else 'AVRO'}"


def _key_function(
    service: ir.Service, channel: ir.Channel, model: str
) -> tuple[str, str] | None:
    if channel.key is None:
        return None
    message = _message(service, channel)
    if isinstance(message.root, ir.Union) and isinstance(
        message.root.branches[0], ir.Ref
    ):
        # A union message: each record has the key field, alike.
        record = service.record(message.root.branches[0].fullname)
    else:
        record = service.record(channel.message)
    field = next(f for f in record.fields if f.name == channel.key)
    attr = f"message.{field.py_name}"
    match field.type:
        case ir.Primitive("string"):
            expr = attr
        case ir.Ref():
            expr = f"{attr}.value"
        case _:
            expr = f"str({attr})"
    name = f"{channel.py_name}_key"
    lines = [
        f"def {name}(message: {model}) -> str:",
        *docstring(
            f"The key of each ``{channel.name}`` message: its ``{field.name}`` field.",
            INDENT,
        ),
        f"{INDENT}return {expr}",
    ]
    return name, "\n".join(lines)


def _retry(policy: ir.RetryPolicy) -> str:
    return call(
        "RetryPolicy",
        [
            f"attempts={policy.attempts}",
            f"backoff_ms={policy.backoff_ms}",
            f"max_backoff_ms={policy.max_backoff_ms}",
            f"max_deliveries={policy.max_deliveries}",
        ],
    )


def _kafka(target: ir.KafkaTarget) -> str:
    items = [
        f"topic={py_str(target.topic)}",
        f"dead_letter={py_str(target.dead_letter)}",
    ]
    if target.partitions is not None:
        items.append(f"partitions={target.partitions}")
    if target.compression is not None:
        items.append(f"compression={py_str(target.compression)}")
    return call("KafkaRoute", items)


def _redis(target: ir.RedisTarget) -> str:
    items = [
        f"stream={py_str(target.stream)}",
        f"dead_letter={py_str(target.dead_letter)}",
    ]
    if target.maxlen is not None:
        items.append(f"maxlen={target.maxlen}")
    return call("RedisRoute", items)


def _describe(channel: ir.Channel, model: str) -> str:
    where = []
    if channel.kafka is not None:
        where.append(f"Kafka topic ``{channel.kafka.topic}``")
    if channel.redis is not None:
        where.append(f"Redis stream ``{channel.redis.stream}``")
    roles = []
    if channel.publish:
        roles.append("published")
    if channel.consume is not None:
        roles.append(
            f"consumed from {channel.consume.capitalize()} by group ``{channel.group}``"
        )
    text = (
        f"``{channel.name}``: {model} on {' and '.join(where)}; "
        f"{' and '.join(roles)} by this service."
    )
    return "\n".join(textwrap.wrap(text, 80, break_on_hyphens=False))


def _dict(entries: str) -> str:
    """A dict display of ``entries``, one per line (a trailing comma)."""
    return f"{{{entries},}}" if entries else "{}"


def _channel_class(channel: ir.Channel) -> str:
    if channel.publish and channel.consume is not None:
        return "Channel"
    return "PublishChannel" if channel.publish else "ConsumeChannel"


def emit_channels(service: ir.Service, env: Environment) -> dict[str, str]:
    """``channels.py`` and ``tests/generated/test_channels.py``."""
    if not service.channels:
        return {}
    return {
        f"{service.generated_dir}/channels.py": _channels_module(service, env),
        f"{service.generated_tests_dir}/test_channels.py": _channel_tests(service, env),
    }


def _channels_module(service: ir.Service, env: Environment) -> str:
    avro = [m for m in service.messages if m.encoding == "avro"]
    catalog_codecs = {m.fullname: f"{m.constant}_AVRO" for m in avro}
    needed = {
        "from svcforge.messaging import ChannelSpec, MessageCatalog, Messaging, RetryPolicy",
        *(f"from .codecs import {c}" for c in catalog_codecs.values()),
    }
    blocks, attributes, constants = [], [], []
    for c in service.channels:
        model = _message(service, c).py_name
        codec = _codec(service, c)
        needed.add(f"from .codecs import {codec}")
        const = c.constant
        constants.append(const)
        cls = _channel_class(c)
        needed.add(f"from svcforge.messaging import {cls}")
        items = [
            f"name={py_str(c.name)}",
            f"message_type={py_str(c.message)}",
            f"codec={codec}",
        ]
        if c.kafka is not None:
            needed.add("from svcforge.messaging import KafkaRoute")
            items.append(f"kafka={_kafka(c.kafka)}")
        if c.redis is not None:
            needed.add("from svcforge.messaging import RedisRoute")
            items.append(f"redis={_redis(c.redis)}")
        key = _key_function(service, c, model)
        if key is not None:
            module = next(m.module for m in service.messages if m.fullname == c.message)
            needed.add(f"from .{module} import {model}")  # the key function's
            items.append(f"key={key[0]}")
        if c.group is not None:
            items.append(f"group={py_str(c.group)}")
        if c.consume is not None:
            items.append(f"consume_from={py_str(c.consume)}")
        items += [
            f"publishes={c.publish}",
            f"retry={_retry(c.retry)}",
            "catalog=CATALOG",
        ]
        blocks.append(
            {
                "key_function": key[1] if key else "",
                "spec": f"{const}: Final = {call('ChannelSpec', items, magic=True)}",
                "doc": "\n".join(docstring(_describe(c, model), "")),
            }
        )
        attributes.append(
            f"{2 * INDENT}self.{c.py_name}: Final = {cls}({const}, messaging)"
        )
    entries = ", ".join(f"{py_str(k)}: {v}" for k, v in sorted(catalog_codecs.items()))
    return env.get_template("channels.py.j2").render(
        header=header(_sources(service)),
        service=service.name,
        import_block=imports(needed),
        catalog=f"CATALOG: Final = {call('MessageCatalog', [_dict(entries)], magic=bool(entries))}",
        blocks=blocks,
        attributes=attributes,
        all_line=f"ALL: Final = {tuple_expr(sorted(constants))}",
    )


def _channel_tests(service: ir.Service, env: Environment) -> str:
    cases: dict[str, list[str]] = {"kafka": [], "redis": []}
    needed = {f"from {service.package}.generated.channels import Channels"}
    attributes = []
    for c in service.channels:
        const, example = c.constant, _message(service, c).example
        needed.add(f"from {service.package}.generated.channels import {const}")
        needed.add(f"from {service.package}.generated.examples import {example}")
        attributes.append((c.py_name, const))
        for transport in ("kafka", "redis"):
            if getattr(c, transport) is None:
                continue
            args = [
                const,
                example,
                py_str(transport),
                f"id={py_str(f'{c.name}-{transport}')}",
            ]
            cases[transport].append(call("pytest.param", args))
    return env.get_template("test_channels.py.j2").render(
        header=header(_sources(service)),
        kafka_cases=cases["kafka"],
        redis_cases=cases["redis"],
        attributes=attributes,
        local_imports=imports(needed),
    )

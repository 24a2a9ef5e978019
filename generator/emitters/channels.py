"""Channels: a typed ``ChannelSpec`` per channel of the manifest, a
``Channels`` class binding them to brokers, and their round-trip tests."""

from __future__ import annotations

import textwrap

from jinja2 import Environment

from generator import ir
from generator.emitters.codecs import constant_prefix
from generator.emitters.pysrc import (
    INDENT,
    Expr,
    Group,
    docstring,
    from_import,
    header,
    layout,
    py_str,
)

PYPROJECT = "pyproject.toml"


def _sources(service: ir.Service) -> list[str]:
    used = {c.message for c in service.channels}
    return [PYPROJECT, *(m.source for m in service.messages if m.fullname in used)]


def _codec(service: ir.Service, channel: ir.Channel) -> str:
    const = constant_prefix(service.record(channel.message))
    return f"{const}_{'JSON' if channel.encoding == 'json' else 'AVRO'}"


def spec_constant(channel: ir.Channel, taken: set[str]) -> str:
    name = channel.py_name.upper()
    return f"{name}_CHANNEL" if name in taken else name


def _key_function(
    service: ir.Service, channel: ir.Channel, model: str
) -> tuple[str, str] | None:
    if channel.key is None:
        return None
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


def _retry(policy: ir.RetryPolicy) -> Group:
    return Group(
        "RetryPolicy(",
        (
            ("attempts=", str(policy.attempts)),
            ("backoff_ms=", str(policy.backoff_ms)),
            ("max_backoff_ms=", str(policy.max_backoff_ms)),
            ("max_deliveries=", str(policy.max_deliveries)),
        ),
        ")",
    )


def _kafka(target: ir.KafkaTarget) -> Group:
    items: list[tuple[str, Expr]] = [
        ("topic=", py_str(target.topic)),
        ("dead_letter=", py_str(target.dead_letter)),
    ]
    if target.partitions is not None:
        items.append(("partitions=", str(target.partitions)))
    if target.compression is not None:
        items.append(("compression=", py_str(target.compression)))
    return Group("KafkaRoute(", tuple(items), ")")


def _redis(target: ir.RedisTarget) -> Group:
    items: list[tuple[str, Expr]] = [
        ("stream=", py_str(target.stream)),
        ("dead_letter=", py_str(target.dead_letter)),
    ]
    if target.maxlen is not None:
        items.append(("maxlen=", str(target.maxlen)))
    return Group("RedisRoute(", tuple(items), ")")


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


def _channel_class(channel: ir.Channel) -> str:
    if channel.publish and channel.consume is not None:
        return "Channel"
    return "PublishChannel" if channel.publish else "ConsumeChannel"


def emit_channels(service: ir.Service, env: Environment) -> str:
    avro = [m for m in service.messages if m.encoding == "avro"]
    catalog_codecs = {
        m.fullname: f"{constant_prefix(service.record(m.fullname))}_AVRO" for m in avro
    }
    codecs = set(catalog_codecs.values())
    models: set[str] = set()
    runtime = {"ChannelSpec", "MessageCatalog", "Messaging", "RetryPolicy"}
    taken = {*catalog_codecs.values(), "ALL", "CATALOG"}
    blocks, attributes, constants = [], [], []
    for c in service.channels:
        model = service.record(c.message).py_name
        codec = _codec(service, c)
        codecs.add(codec)
        const = spec_constant(c, taken)
        constants.append(const)
        cls = _channel_class(c)
        runtime.add(cls)
        items: list[tuple[str, Expr]] = [
            ("name=", py_str(c.name)),
            ("message_type=", py_str(c.message)),
            ("codec=", codec),
        ]
        if c.kafka is not None:
            runtime.add("KafkaRoute")
            items.append(("kafka=", _kafka(c.kafka)))
        if c.redis is not None:
            runtime.add("RedisRoute")
            items.append(("redis=", _redis(c.redis)))
        key = _key_function(service, c, model)
        if key is not None:
            models.add(model)  # only the key function names the model
            items.append(("key=", key[0]))
        if c.group is not None:
            items.append(("group=", py_str(c.group)))
        if c.consume is not None:
            items.append(("consume_from=", py_str(c.consume)))
        items += [
            ("publishes=", str(c.publish)),
            ("retry=", _retry(c.retry)),
            ("catalog=", "CATALOG"),
        ]
        spec = layout(
            Group("ChannelSpec(", tuple(items), ")", magic=True),
            "",
            f"{const}: Final = ",
        )
        blocks.append(
            {
                "key_function": key[1] if key else "",
                "spec": "\n".join(spec),
                "doc": "\n".join(docstring(_describe(c, model), "")),
            }
        )
        attributes.append(
            "\n".join(
                layout(
                    Group(f"{cls}(", (("", const), ("", "messaging")), ")"),
                    2 * INDENT,
                    f"{2 * INDENT}self.{c.py_name}: Final = ",
                )
            )
        )
    catalog = layout(
        Group(
            "MessageCatalog(",
            (
                (
                    "",
                    Group(
                        "{",
                        tuple(
                            (f"{py_str(k)}: ", v)
                            for k, v in sorted(catalog_codecs.items())
                        ),
                        "}",
                        magic=True,
                    ),
                ),
            ),
            ")",
        ),
        "",
        "CATALOG: Final = ",
    )
    names = sorted(constants)
    all_line = (
        [f"ALL: Final = ({names[0]},)"]
        if len(names) == 1
        else layout(Group("(", tuple(("", c) for c in names), ")"), "", "ALL: Final = ")
    )
    return env.get_template("channels.py.j2").render(
        header=header(_sources(service)),
        service=service.name,
        svcforge_import="\n".join(from_import("svcforge.messaging", runtime)),
        local_imports="\n".join(
            [
                *from_import(".codecs", codecs),
                *(from_import(".models", models) if models else []),
            ]
        ),
        catalog="\n".join(catalog),
        blocks=blocks,
        attributes=attributes,
        all_line="\n".join(all_line),
    )


def emit_channel_tests(service: ir.Service, env: Environment, package: str) -> str:
    taken = {
        *(
            f"{constant_prefix(service.record(m.fullname))}_AVRO"
            for m in service.messages
        ),
        "ALL",
        "CATALOG",
    }
    cases: dict[str, list[str]] = {"kafka": [], "redis": []}
    examples, constants, attributes = set(), set(), []
    for c in service.channels:
        const = spec_constant(c, taken)
        constants.add(const)
        example = f"example_{constant_prefix(service.record(c.message)).lower()}"
        examples.add(example)
        attributes.append((c.py_name, const))
        for transport in ("kafka", "redis"):
            if getattr(c, transport) is None:
                continue
            cases[transport].append(
                "\n".join(
                    layout(
                        Group(
                            "pytest.param(",
                            (
                                ("", const),
                                ("", example),
                                ("", py_str(transport)),
                                ("id=", py_str(f"{c.name}-{transport}")),
                            ),
                            ")",
                        ),
                        INDENT,
                        INDENT,
                        ",",
                    )
                )
            )
    return env.get_template("test_channels.py.j2").render(
        header=header(_sources(service)),
        kafka_cases=cases["kafka"],
        redis_cases=cases["redis"],
        attributes=attributes,
        channels_import="\n".join(
            from_import(f"{package}.generated.channels", {"Channels", *constants})
        ),
        example_import="\n".join(
            from_import(f"{package}.generated.examples", examples)
        ),
    )

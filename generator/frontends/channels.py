"""Channels: the manifest's channel declarations bound to the service's
messages and their key fields, as ``ir.Channel``s."""

from __future__ import annotations

from generator import ir
from generator.errors import Diagnostic, SchemaError, did_you_mean
from generator.frontends.policies import channel_policy
from generator.manifest import ChannelEntry
from generator.manifest_model import ChannelDecl
from generator.naming import channel_constants, channel_names

KEY_TYPES = "string, enum, uuid, int or long"


def parse_channels(
    entries: tuple[ChannelEntry, ...], service: ir.Service
) -> tuple[ir.Channel, ...]:
    """Bind each declared channel to its message and key field; raise
    ``SchemaError`` naming every channel that refers to something unknown."""
    py_names = channel_names(e.decl.name for e in entries)
    taken = [n for m in service.messages for n in _module_names(m)]
    constants = channel_constants(py_names, taken)
    errors: list[Diagnostic] = []
    out: list[ir.Channel] = []
    for entry in entries:
        name = entry.decl.name
        try:
            out.append(_channel(entry, service, py_names[name], constants[name]))
        except SchemaError as exc:
            errors.extend(exc.diagnostics)
    if errors:
        raise SchemaError(errors)
    return tuple(out)


def _module_names(message: ir.Message) -> tuple[str, ...]:
    """Names the channels module may import for a message."""
    return (message.py_name, f"{message.constant}_AVRO", f"{message.constant}_JSON")


def _problem(entry: ChannelEntry, key: str, text: str, hint: str = "") -> SchemaError:
    return SchemaError([entry.where.diagnostic((key,), text, hint)])


def _channel(
    entry: ChannelEntry, service: ir.Service, py_name: str, constant: str
) -> ir.Channel:
    decl = entry.decl
    message = _message(entry, service)
    key = None if decl.key is None else _key(entry, service, message)
    encoding = decl.encoding or message.encoding
    if encoding == "avro" and message.encoding != "avro":
        raise _problem(
            entry,
            "encoding",
            f"{message.fullname} is a JSON Schema message; it has no Avro encoding",
            'remove encoding, or write encoding = "json"',
        )
    consume = decl.consumed_from
    return ir.Channel(
        name=decl.name,
        py_name=py_name,
        constant=constant,
        message=message.fullname,
        span=entry.span,
        kafka=_kafka(decl),
        redis=_redis(decl),
        key=key,
        publish=decl.publish,
        consume=consume,
        group=(decl.group or service.name) if consume else decl.group,
        retry=decl.retry.policy(),
        encoding="json" if encoding == "json" else "avro",
        outbox=decl.outbox,
        policy=None
        if decl.policy is None
        else channel_policy(
            decl.policy, decl.name, constant, entry.value_span("policy")
        ),
    )


def _kafka(decl: ChannelDecl) -> ir.KafkaTarget | None:
    if "kafka" not in decl.transport:
        return None
    topic = decl.topic or decl.name
    return ir.KafkaTarget(
        topic=topic,
        dead_letter=decl.dead_letter or f"{topic}.dlq",
        partitions=decl.partitions,
        compression=decl.compression,
    )


def _redis(decl: ChannelDecl) -> ir.RedisTarget | None:
    if "redis" not in decl.transport:
        return None
    stream = decl.stream or decl.name
    return ir.RedisTarget(
        stream=stream,
        dead_letter=decl.dead_letter or f"{stream}.dlq",
        maxlen=decl.maxlen,
    )


def _short(fullname: str) -> str:
    return fullname.rpartition(".")[2]


def _message(entry: ChannelEntry, service: ir.Service) -> ir.Message:
    """The message a channel names, by full name or, when that is unique,
    by its short name."""
    wanted = entry.decl.message
    for m in service.messages:
        if m.fullname == wanted:
            return m
    short = [m for m in service.messages if _short(m.fullname) == wanted]
    if len(short) == 1:
        return short[0]
    if short:
        raise _problem(
            entry,
            "message",
            f"message {wanted!r} is ambiguous: " + ", ".join(m.fullname for m in short),
            "write the full name",
        )
    fullnames = [m.fullname for m in service.messages]
    names = sorted({*fullnames, *(_short(n) for n in fullnames)})
    raise _problem(
        entry,
        "message",
        f"unknown message {wanted!r}",
        did_you_mean(wanted, names)
        + f"messages of this service: {', '.join(fullnames) or 'none'}",
    )


def _key(entry: ChannelEntry, service: ir.Service, message: ir.Message) -> str:
    """The key field of a record message, or of every record of a union
    message (the same field in each, so that one function reads it)."""
    if message.kind == "root":
        raise _problem(
            entry,
            "key",
            f"message {message.fullname} is an Avro "
            f"{'union' if isinstance(message.root, ir.Union) else 'value'} "
            "with no fields; it cannot have a key field",
            "remove key",
        )
    if message.kind == "record":
        return _key_field(entry, service, service.record(message.fullname))
    assert isinstance(message.root, ir.Union)
    records = [
        service.record(b.fullname)
        for b in message.root.branches
        if isinstance(b, ir.Ref)
    ]
    name = _key_field(entry, service, records[0])
    first = next(f for f in records[0].fields if f.name == name)
    for r in records[1:]:
        field = next((f for f in r.fields if f.name == name), None)
        if field is None:
            raise _problem(entry, "key", f"record {r.fullname} has no field {name!r}")
        if (field.type, field.py_name) != (first.type, first.py_name):
            raise _problem(
                entry,
                "key",
                f"key field {name!r} of {r.fullname} differs from the one of "
                f"{records[0].fullname}; a union's key has one type in every record",
            )
    return name


def _key_field(entry: ChannelEntry, service: ir.Service, record: ir.Record) -> str:
    """The wire name of the key field, which may be given by its wire name or
    its Python name, and has a type that reads as a string key."""
    wanted = entry.decl.key
    field = next((f for f in record.fields if wanted in (f.name, f.py_name)), None)
    if wanted is None or field is None:
        names = [f.name for f in record.fields]
        raise _problem(
            entry,
            "key",
            f"message {record.fullname} has no field {wanted!r}",
            did_you_mean(str(wanted), names) + f"fields: {', '.join(names)}",
        )
    if not _key_type_ok(service, field.type):
        raise _problem(
            entry,
            "key",
            f"key field {field.name!r} cannot be a key; a key is a {KEY_TYPES} field",
        )
    return field.name


def _key_type_ok(service: ir.Service, t: ir.Type) -> bool:
    match t:
        case ir.Primitive("string" | "int" | "long"):
            return True
        case ir.Logical("uuid"):
            return True
        case ir.Ref(fullname):
            return isinstance(service.named(fullname), ir.Enum)
    return False

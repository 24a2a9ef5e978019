"""Channels: what consumers on the other side of a topic or stream rely on.

A channel is matched by its name (else by its topic or stream): its topic
and stream, its message (another message must be compatible under the
channel's mode), its key field, its Kafka partitions and its encoding."""

from __future__ import annotations

from generator import ir
from generator.compat.messages import Modes, Version, compare
from generator.compat.rules import Break, Mode, directions


def channel_breaks(
    old: Version, new: Version, modes: Modes, channel_modes: dict[str, Mode]
) -> list[Break]:
    out: list[Break] = []
    after = {c.name: c for c in new.service.channels}
    for c in old.service.channels:
        now = after.get(c.name) or _same_target(c, new.service.channels)
        if now is None:
            out.append(
                Break(
                    "CHANNEL_REMOVED",
                    ir.Span("pyproject.toml", 1, 1),
                    f"channel {c.name} ({_targets(c)}) is gone: its consumers get no "
                    f"more messages (old: {c.span})",
                    c.name,
                    c.span,
                )
            )
            continue
        out += _targets_changed(c, now)
        out += _message_changed(
            c, now, old, new, channel_modes.get(now.name) or modes.default
        )
        out += _key_changed(c, now, old, new)
        out += _partitions(c, now)
        if c.encoding != now.encoding:
            out.append(
                _break(
                    "CHANNEL_ENCODING_CHANGED",
                    now,
                    c,
                    f"channel {now.name} changed "
                    f"encoding from {c.encoding} to {now.encoding}: consumers cannot "
                    "decode the new framing",
                )
            )
    return out


def _break(rule: str, now: ir.Channel, before: ir.Channel, text: str) -> Break:
    return Break(rule, now.span, f"{text} (old: {before.span})", now.name, before.span)


def _same_target(c: ir.Channel, channels: tuple[ir.Channel, ...]) -> ir.Channel | None:
    for other in channels:
        if c.kafka and other.kafka and c.kafka.topic == other.kafka.topic:
            return other
        if c.redis and other.redis and c.redis.stream == other.redis.stream:
            return other
    return None


def _targets(c: ir.Channel) -> str:
    parts = []
    if c.kafka:
        parts.append(f"topic {c.kafka.topic}")
    if c.redis:
        parts.append(f"stream {c.redis.stream}")
    return ", ".join(parts)


def _targets_changed(c: ir.Channel, now: ir.Channel) -> list[Break]:
    out = []
    if c.kafka and (now.kafka is None or now.kafka.topic != c.kafka.topic):
        where = f"topic {now.kafka.topic}" if now.kafka else "no Kafka topic"
        out.append(
            _break(
                "CHANNEL_TOPIC_CHANGED",
                now,
                c,
                f"channel {now.name} moved from topic {c.kafka.topic} to {where}",
            )
        )
    if c.redis and (now.redis is None or now.redis.stream != c.redis.stream):
        where = f"stream {now.redis.stream}" if now.redis else "no Redis stream"
        out.append(
            _break(
                "CHANNEL_TOPIC_CHANGED",
                now,
                c,
                f"channel {now.name} moved from stream {c.redis.stream} to {where}",
            )
        )
    return out


def _message_changed(
    c: ir.Channel, now: ir.Channel, old: Version, new: Version, mode: Mode
) -> list[Break]:
    if c.message == now.message or c.encoding != now.encoding:
        return []
    found = compare(old, c.message, new, now.message, directions(mode), mode)
    if not found:
        return []
    first = found[0]
    return [
        _break(
            "CHANNEL_MESSAGE_INCOMPATIBLE",
            now,
            c,
            f"channel {now.name} now carries "
            f"{now.message} instead of {c.message}, not compatible under {mode}: "
            f"{first.rule}: {first.message}",
        )
    ]


def _key_type(v: Version, message: str, key: str | None) -> str:
    if key is None:
        return ""
    try:
        record = v.service.record(message)
    except KeyError:
        return ""
    f = next((f for f in record.fields if f.name == key), None)
    return repr(f.type) if f is not None else ""


def _key_changed(
    c: ir.Channel, now: ir.Channel, old: Version, new: Version
) -> list[Break]:
    if c.key != now.key:
        return [
            _break(
                "CHANNEL_KEY_CHANGED",
                now,
                c,
                f"channel {now.name} keys by "
                f"{now.key or 'nothing'} instead of {c.key or 'nothing'}: messages of "
                "one key land on other partitions, and per-key order is lost",
            )
        ]
    before, after = (
        _key_type(old, c.message, c.key),
        _key_type(new, now.message, now.key),
    )
    if before and after and before != after:
        return [
            _break(
                "CHANNEL_KEY_CHANGED",
                now,
                c,
                f"the key field {now.key} of channel "
                f"{now.name} changed type: the same key hashes to another partition",
            )
        ]
    return []


def _partitions(c: ir.Channel, now: ir.Channel) -> list[Break]:
    before = c.kafka.partitions if c.kafka else None
    after = now.kafka.partitions if now.kafka else None
    if before and after and after < before:
        return [
            _break(
                "CHANNEL_PARTITIONS_DECREASED",
                now,
                c,
                f"channel {now.name} has "
                f"{after} partitions instead of {before}: Kafka cannot remove "
                "partitions, and keys would map to other ones",
            )
        ]
    return []

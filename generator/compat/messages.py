"""Message schemas compared under their modes: each message of the revision
against the new tree, and under a ``_TRANSITIVE`` mode against every earlier
version of it in the revision's history too."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from generator import ir
from generator.avro_schema import message_schema
from generator.compat.avro import AvroCheck
from generator.compat.jsonschema import JsonCheck
from generator.compat.jsonschema_norm import Node, Side
from generator.compat.rules import (
    DEFAULT_MODE,
    Break,
    Direction,
    Mode,
    Problem,
    directions,
    rule_for,
    transitive,
)
from generator.errors import Diagnostic
from generator.jsonsource import JsonDocument
from generator.manifest import Manifest


@dataclass(slots=True)
class Version:
    """The message schemas of one version of the service."""

    service: ir.Service
    json: Side
    revision: str = ""
    """The commit, for an earlier version found in the history."""

    @classmethod
    def of(
        cls,
        service: ir.Service,
        schemas: tuple[ir.JsonSchemaDef, ...],
        documents: dict[str, JsonDocument],
        revision: str = "",
    ) -> Version:
        return cls(service, Side.of(schemas, documents), revision)

    def fingerprint(self, fullname: str) -> str:
        """The message's whole schema as text: equal versions need one check."""
        m = self.message(fullname)
        if m is None:
            return ""
        if m.encoding == "avro":
            return json.dumps(message_schema(self.service, fullname), sort_keys=True)
        names, todo = set(), [fullname]
        while todo:
            name = todo.pop()
            if name in names or name not in self.json.defs:
                continue
            names.add(name)
            text = json.dumps(self.json.defs[name].schema, sort_keys=True)
            todo += re.findall(r'"#/\$defs/([^/"]+)', text)
        return json.dumps(
            {n: self.json.defs[n].schema for n in sorted(names)}, sort_keys=True
        )

    def message(self, fullname: str) -> ir.Message | None:
        return next((m for m in self.service.messages if m.fullname == fullname), None)


@dataclass(slots=True)
class Modes:
    """The mode of each message: its own (or the default), and the modes of
    the channels that carry it; the directions of all of them are checked."""

    default: Mode = DEFAULT_MODE
    messages: dict[str, Mode] = field(default_factory=dict)
    channels: dict[str, list[tuple[str, Mode]]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, manifest: Manifest | None, service: ir.Service, errors: list[Diagnostic]
    ) -> Modes:
        if manifest is None:
            return cls()
        out = cls(manifest.compat.mode)
        for name, mode in manifest.compat.messages.items():
            found = _resolve(name, service)
            if found is None:
                errors.append(
                    Diagnostic(
                        ir.Span("pyproject.toml", 1, 1),
                        f"[tool.svcforge.compat.messages]: unknown message {name!r}",
                    )
                )
                continue
            out.messages[found] = mode
        modes = {e.decl.name: e.decl.compat for e in manifest.channels}
        for channel in service.channels:
            channel_mode = modes.get(channel.name)
            if channel_mode:
                out.channels.setdefault(channel.message, []).append(
                    (channel.name, channel_mode)
                )
        return out

    def of_message(self, fullname: str) -> tuple[dict[Direction, bool], str]:
        """Directions to check, each with whether it is transitive, and the
        modes' names for messages."""
        own = self.messages.get(fullname, self.default)
        modes = [(own, "")] + [
            (m, f"channel {c}") for c, m in self.channels.get(fullname, [])
        ]
        wanted: dict[Direction, bool] = {}
        for mode, _ in modes:
            for d in directions(mode):
                wanted[d] = wanted.get(d, False) or transitive(mode)
        label = ", ".join(f"{m} ({why})" if why else m for m, why in modes)
        return wanted, label


def _resolve(name: str, service: ir.Service) -> str | None:
    names = [m.fullname for m in service.messages]
    if name in names:
        return name
    short = [n for n in names if n.rpartition(".")[2] == name]
    return short[0] if len(short) == 1 else None


def counterpart(m: ir.Message, old: Version, new: Version) -> ir.Message | None:
    """The new tree's message for ``m``: the same full name, an Avro record
    naming it as an alias, or the only message of the same file."""
    same = new.message(m.fullname)
    if same is not None:
        return same
    for candidate in new.service.messages:
        if candidate.encoding == "avro" and m.encoding == "avro":
            named = new.service.named(candidate.fullname)
            if m.fullname in named.aliases:
                return candidate
    in_file = [c for c in new.service.messages if c.source == m.source]
    return (
        in_file[0] if len(in_file) == 1 and len(_in_file(old, m.source)) == 1 else None
    )


def _in_file(v: Version, source: str) -> list[ir.Message]:
    return [m for m in v.service.messages if m.source == source]


def compare(
    old: Version,
    old_name: str,
    new: Version,
    new_name: str,
    dirs: Iterable[Direction],
    mode: str,
) -> list[Break]:
    """Breaks between one message's old and new schema, in each direction."""
    out: list[Break] = []
    before, after = old.message(old_name), new.message(new_name)
    if before is None or after is None:
        return out
    if before.encoding != after.encoding:
        return [
            Break(
                "MESSAGE_REMOVED",
                ir.Span(after.source, 1, 1),
                f"message {old_name} changed from {before.encoding} to {after.encoding} "
                f"(was {before.source})",
                old_name,
                ir.Span(before.source, 1, 1),
                old.revision,
                mode,
            )
        ]
    for d in dirs:
        writer, reader = (old, new) if d == "backward" else (new, old)
        wname, rname = (old_name, new_name) if d == "backward" else (new_name, old_name)
        problems = _problems(
            writer, wname, reader, rname, d == "backward", before.encoding
        )
        out += [_as_break(p, d, old.revision, mode) for p in problems]
    return out


def _problems(
    writer: Version,
    wname: str,
    reader: Version,
    rname: str,
    reader_is_new: bool,
    encoding: str,
) -> list[Problem]:
    if encoding == "avro":
        return AvroCheck(writer.service, reader.service, reader_is_new).message(
            wname, rname
        )

    def locate(node: Node, in_writer: bool) -> ir.Span:
        return (writer if in_writer else reader).json.span(node.where)

    return JsonCheck(writer.json, reader.json, reader_is_new, locate).message(
        wname, rname
    )


def _as_break(p: Problem, d: Direction, revision: str, mode: str) -> Break:
    new, old = (p.reader, p.writer) if d == "backward" else (p.writer, p.reader)
    where = f"{old}" + (f" at {revision[:12]}" if revision else "")
    return Break(
        rule_for(p.kind, d),
        new if new.path else old,
        f"{p.message} (old: {where})",
        p.subject,
        old,
        revision,
        mode,
    )


def message_breaks(
    old: Version, new: Version, modes: Modes, history: Callable[[], list[Version]]
) -> list[Break]:
    out: list[Break] = []
    earlier: list[Version] | None = None
    for m in old.service.messages:
        dirs, label = modes.of_message(m.fullname)
        target = counterpart(m, old, new)
        if not dirs:
            continue
        if target is None:
            out.append(
                Break(
                    "MESSAGE_REMOVED",
                    ir.Span(m.source, 1, 1),
                    f"message {m.fullname} ({m.source}) is gone, and nothing names it as an alias",
                    m.fullname,
                    ir.Span(m.source, 1, 1),
                    "",
                    label,
                )
            )
            continue
        out += compare(old, m.fullname, new, target.fullname, list(dirs), label)
        deep = [d for d, t in dirs.items() if t]
        if deep:
            earlier = history() if earlier is None else earlier
            seen = {old.fingerprint(m.fullname)}
            for version in earlier:
                if version.message(m.fullname) is None:
                    continue
                fingerprint = version.fingerprint(m.fullname)
                if fingerprint not in seen:
                    seen.add(fingerprint)
                    out += compare(
                        version, m.fullname, new, target.fullname, deep, label
                    )
    return dedupe(out)


def dedupe(breaks: list[Break]) -> list[Break]:
    """One break per rule, subject and place (the first found: the revision's
    own before earlier versions')."""
    seen: set[tuple[str, str, str, int, int]] = set()
    out = []
    for b in breaks:
        key = (b.rule, b.subject, b.span.path, b.span.line, b.span.col)
        if key not in seen:
            seen.add(key)
            out.append(b)
    return out

"""The ``[tool.svcforge]`` table of a service's ``pyproject.toml``."""

from __future__ import annotations

import keyword
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.ir import Span
from generator.manifest_sql import TypeOverride, parse_sql_table
from generator.naming import module_name

_KNOWN = {"package", "name", "src", "tests", "uses", "channels", "sql"}
RUNTIME_PARTS = ("kafka", "postgres", "redis")
_PACKAGE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


@dataclass(frozen=True, slots=True)
class Manifest:
    name: str
    """The service's name (``[project].name`` unless overridden)."""
    package: str
    """The import name of the service's package."""
    src: str = "src"
    tests: str = "tests"
    uses: tuple[str, ...] = ()
    """Runtime parts the service uses: kafka, postgres, redis."""
    channels: tuple[ChannelDecl, ...] = ()
    """``[tool.svcforge.channels]``, checked; resolved by ``resolve_channels``."""
    sql_types: tuple[TypeOverride, ...] = ()
    """``[tool.svcforge.sql.types]``, checked; applied to the replayed schema."""

    @property
    def package_dir(self) -> str:
        return f"{self.src}/{self.package.replace('.', '/')}"

    @property
    def generated_dirs(self) -> tuple[str, ...]:
        """The folders svcforge owns: everything in them is regenerated."""
        return (f"{self.package_dir}/generated", f"{self.tests}/generated")


def _line_of(text: str, pattern: str) -> Span:
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(pattern, line)
        if m:
            return Span("pyproject.toml", n, m.start(1) + 1 if m.groups() else 1)
    return Span("pyproject.toml", 1, 1)


def load_manifest(root: Path) -> Manifest:
    path = root / "pyproject.toml"
    if not path.is_file():
        raise SchemaError(
            [
                Diagnostic(
                    Span("pyproject.toml"),
                    "no pyproject.toml in the service root",
                    "svcforge regen runs in a service folder (or give its path)",
                )
            ]
        )
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        span = (
            Span("pyproject.toml", int(m[1]), int(m[2]))
            if m
            else Span("pyproject.toml")
        )
        raise SchemaError([Diagnostic(span, f"invalid TOML: {exc}")]) from None
    table = data.get("tool", {}).get("svcforge")
    if not isinstance(table, dict):
        raise SchemaError(
            [
                Diagnostic(
                    Span("pyproject.toml", 1, 1),
                    "no [tool.svcforge] table",
                    'add [tool.svcforge] with package = "my_service"',
                )
            ]
        )
    errors = []
    for key in sorted(set(table) - _KNOWN):
        errors.append(
            Diagnostic(
                _line_of(text, rf"\s*({re.escape(key)})\s*="),
                f"unknown key {key!r} in [tool.svcforge]",
                f"known keys: {', '.join(sorted(_KNOWN))}",
            )
        )
    package = table.get("package")
    if not isinstance(package, str) or not _PACKAGE.match(package):
        errors.append(
            Diagnostic(
                _line_of(text, r"\s*package\s*=\s*(\S)")
                if package is not None
                else _line_of(text, r"\s*\[\s*(tool\s*\.\s*svcforge)\s*\]"),
                "[tool.svcforge] package must be a Python import name"
                + ("" if package is None else f", found {package!r}"),
            )
        )
    for key in ("src", "tests", "name"):
        if key in table and not (isinstance(table[key], str) and table[key]):
            errors.append(
                Diagnostic(
                    _line_of(text, rf"\s*{key}\s*=\s*(\S)"),
                    f"[tool.svcforge] {key} must be a non-empty string",
                )
            )
    uses = table.get("uses", [])
    if not isinstance(uses, list) or not all(u in RUNTIME_PARTS for u in uses):
        errors.append(
            Diagnostic(
                _line_of(text, r"\s*uses\s*=\s*(\S)"),
                "[tool.svcforge] uses must be a list drawn from "
                + ", ".join(repr(p) for p in RUNTIME_PARTS)
                + f", found {uses!r}",
            )
        )
    channels = parse_channels(table.get("channels"), text, errors)
    sql_types = parse_sql_table(table.get("sql"), text, errors)
    if errors:
        raise SchemaError(errors)
    assert isinstance(package, str)
    project_name = data.get("project", {}).get("name")
    name = table.get("name") or project_name or module_name(root.resolve().name)
    return Manifest(
        name=str(name),
        package=package,
        src=str(table.get("src", "src")).strip("/"),
        tests=str(table.get("tests", "tests")).strip("/"),
        uses=tuple(sorted(set(uses))),
        channels=channels,
        sql_types=sql_types,
    )


# --- Channels: [tool.svcforge.channels.<name>] or [[tool.svcforge.channels]] --

_CHANNEL_KEYS = (
    "compression",
    "consume",
    "dead_letter",
    "encoding",
    "group",
    "key",
    "maxlen",
    "message",
    "name",
    "partitions",
    "publish",
    "retry",
    "stream",
    "topic",
    "transport",
)
_RETRY_KEYS = ("attempts", "backoff_ms", "max_backoff_ms", "max_deliveries")
_TRANSPORT_NAMES: tuple[ir.ChannelTransport, ...] = ("kafka", "redis")
_TRANSPORTS: tuple[str, ...] = _TRANSPORT_NAMES
_COMPRESSION_NAMES: dict[str, ir.Compression] = {
    "none": "none",
    "gzip": "gzip",
    "snappy": "snappy",
    "lz4": "lz4",
    "zstd": "zstd",
}
_COMPRESSIONS = tuple(_COMPRESSION_NAMES)
_CHANNEL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_BROKER_NAME = re.compile(r"[A-Za-z0-9._:\-]+\Z")
_KEY_TYPES = "string, enum, uuid, int or long"


@dataclass(frozen=True, slots=True)
class ChannelDecl:
    """A channel as the manifest declares it, checked on its own; its message
    and key field are resolved against the schemas by ``resolve_channels``."""

    name: str
    span: Span
    message: str
    message_span: Span
    transports: tuple[ir.ChannelTransport, ...]
    topic: str
    stream: str
    dead_letter: str | None
    key: str | None
    key_span: Span
    publish: bool
    consume: ir.ChannelTransport | None
    group: str | None
    retry: ir.RetryPolicy
    partitions: int | None
    compression: ir.Compression | None
    maxlen: int | None
    encoding: str | None
    encoding_span: Span


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _dotted(text: str) -> list[str]:
    return [_unquote(p) for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.\s]+', text)]


class _Spans:
    """Where each channel key was written, found by scanning the text (tomllib
    keeps no positions).  Channels are identified by name (tables) or index
    (arrays of tables); key paths are ``key`` or ``retry.attempts``."""

    def __init__(self, text: str) -> None:
        self.keys: dict[tuple[str | int, str], Span] = {}
        self.values: dict[tuple[str | int, str], Span] = {}
        self.headers: dict[str | int, Span] = {}
        current: str | int | None = None
        sub = ""
        index = -1
        for n, line in enumerate(text.splitlines(), 1):
            col = len(line) - len(line.lstrip()) + 1
            if re.match(r"\s*\[\[\s*tool\s*\.\s*svcforge\s*\.\s*channels\s*\]\]", line):
                index += 1
                current, sub = index, ""
                self.headers[current] = Span("pyproject.toml", n, col)
                continue
            m = re.match(
                r"\s*\[\s*tool\s*\.\s*svcforge\s*\.\s*channels\s*\.(.+?)\]", line
            )
            if m:
                parts = _dotted(m[1])
                current, sub = parts[0], ".".join(parts[1:])
                self.headers.setdefault(current, Span("pyproject.toml", n, col))
                continue
            if line.lstrip().startswith("["):
                current = None
                continue
            if current is None:
                continue
            m = re.match(r"\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)\s*=\s*", line)
            if not m:
                continue
            path = f"{sub}.{_unquote(m[1])}" if sub else _unquote(m[1])
            self.keys[(current, path)] = Span("pyproject.toml", n, m.start(1) + 1)
            self.values[(current, path)] = Span("pyproject.toml", n, m.end() + 1)
            rest = line[m.end() :]
            if rest.startswith("{"):
                for im in re.finditer(r"([A-Za-z0-9_-]+)\s*=\s*", rest):
                    inner = f"{path}.{im[1]}"
                    self.keys[(current, inner)] = Span(
                        "pyproject.toml", n, m.end() + im.start(1) + 1
                    )
                    self.values[(current, inner)] = Span(
                        "pyproject.toml", n, m.end() + im.end() + 1
                    )

    def header(self, ident: str | int, fallback: Span) -> Span:
        return self.headers.get(ident, fallback)

    def key(self, ident: str | int, path: str, fallback: Span) -> Span:
        return self.keys.get((ident, path), fallback)

    def value(self, ident: str | int, path: str, fallback: Span) -> Span:
        return self.values.get((ident, path), fallback)


def parse_channels(
    raw: object, text: str, errors: list[Diagnostic]
) -> tuple[ChannelDecl, ...]:
    """The channels of ``[tool.svcforge]``; problems go to ``errors``."""
    if raw is None:
        return ()
    spans = _Spans(text)
    top = _line_of(text, r"\s*\[\s*tool\s*\.\s*svcforge\s*\.\s*(channels)")
    entries: list[tuple[str | int, str | None, object]] = []
    if isinstance(raw, dict):
        entries = [(name, name, table) for name, table in raw.items()]
    elif isinstance(raw, list):
        for i, table in enumerate(raw):
            name = table.get("name") if isinstance(table, dict) else None
            entries.append((i, name if isinstance(name, str) else None, table))
    else:
        errors.append(
            Diagnostic(
                top,
                "[tool.svcforge] channels must be tables: [tool.svcforge.channels.<name>]"
                " or [[tool.svcforge.channels]]",
            )
        )
        return ()
    out: list[ChannelDecl] = []
    seen: dict[str, Span] = {}
    for ident, name, table in entries:
        header = spans.header(ident, top)
        if not isinstance(table, dict):
            errors.append(Diagnostic(header, f"channel {ident!r} must be a table"))
            continue
        if name is None:
            errors.append(
                Diagnostic(
                    header,
                    "a [[tool.svcforge.channels]] entry needs a name",
                    'add name = "orders_placed"',
                )
            )
            continue
        if not _CHANNEL_NAME.match(name):
            errors.append(
                Diagnostic(
                    header,
                    f"channel name {name!r} must start with a letter and hold only "
                    "letters, digits, '_' and '-'",
                )
            )
            continue
        if name in seen:
            errors.append(
                Diagnostic(
                    header,
                    f"channel {name!r} is declared twice (first at {seen[name]})",
                )
            )
            continue
        seen[name] = header
        decl = _channel(ident, name, table, spans, header, errors)
        if decl is not None:
            out.append(decl)
    return tuple(sorted(out, key=lambda c: c.name))


def _channel(
    ident: str | int,
    name: str,
    table: dict[str, object],
    spans: _Spans,
    header: Span,
    errors: list[Diagnostic],
) -> ChannelDecl | None:
    n_errors = len(errors)
    where = f"channel {name!r}"

    def key_span(path: str) -> Span:
        return spans.key(ident, path, header)

    def value_span(path: str) -> Span:
        return spans.value(ident, path, header)

    def fail(path: str, message: str, hint: str = "") -> None:
        errors.append(Diagnostic(value_span(path), f"{where}: {message}", hint))

    for k in sorted(set(table) - set(_CHANNEL_KEYS)):
        errors.append(
            Diagnostic(
                key_span(k),
                f"{where}: unknown key {k!r}",
                f"known keys: {', '.join(_CHANNEL_KEYS)}",
            )
        )

    def string(
        path: str, value: object, pattern: re.Pattern[str] | None = None
    ) -> str | None:
        if value is None:
            return None
        if (
            not isinstance(value, str)
            or not value
            or (pattern and not pattern.match(value))
        ):
            fail(
                path,
                f"{path} must be a non-empty name (letters, digits, . _ : -), found {value!r}",
            )
            return None
        return value

    def positive(path: str, value: object) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            fail(path, f"{path} must be a positive integer, found {value!r}")
            return None
        return value

    message = table.get("message")
    if not isinstance(message, str) or not message:
        errors.append(
            Diagnostic(
                value_span("message") if "message" in table else header,
                f"{where}: message must name a message schema"
                + ("" if message is None else f", found {message!r}"),
                'e.g. message = "com.acme.OrderPlaced"',
            )
        )
        message = ""

    transports: tuple[ir.ChannelTransport, ...] = ("kafka",)
    raw_t = table.get("transport", "kafka")
    listed = raw_t if isinstance(raw_t, list) else [raw_t]
    if (
        not listed
        or not all(t in _TRANSPORTS for t in listed)
        or len(set(listed)) != len(listed)
    ):
        fail(
            "transport",
            f'transport must be "kafka", "redis" or ["kafka", "redis"], found {raw_t!r}',
        )
    else:
        transports = tuple(t for t in _TRANSPORT_NAMES if t in listed)

    for path, only in (
        ("topic", "kafka"),
        ("partitions", "kafka"),
        ("compression", "kafka"),
        ("stream", "redis"),
        ("maxlen", "redis"),
    ):
        if path in table and only not in transports:
            fail(
                path,
                f"{path} applies to {only} channels; this one is on {', '.join(transports)}",
            )

    topic = string("topic", table.get("topic"), _BROKER_NAME) or name
    stream = string("stream", table.get("stream"), _BROKER_NAME) or name
    dead_letter = string("dead_letter", table.get("dead_letter"), _BROKER_NAME)
    group = string("group", table.get("group"), _BROKER_NAME)
    key = table.get("key")
    if key is not None and (not isinstance(key, str) or not key):
        fail("key", f"key must name a field of the message, found {key!r}")
        key = None

    publish = table.get("publish", True)
    if not isinstance(publish, bool):
        fail("publish", f"publish must be true or false, found {publish!r}")
        publish = True
    consume_raw = table.get("consume", False)
    consume: ir.ChannelTransport | None = None
    if consume_raw is True:
        if len(transports) > 1:
            fail(
                "consume",
                "a channel on both transports is consumed from one of them",
                'write consume = "kafka" or consume = "redis"',
            )
        else:
            consume = transports[0]
    elif consume_raw in _TRANSPORTS:
        if consume_raw not in transports:
            fail(
                "consume",
                f"consume = {consume_raw!r} but the channel is not on {consume_raw}",
            )
        else:
            consume = "kafka" if consume_raw == "kafka" else "redis"
    elif consume_raw is not False:
        fail(
            "consume",
            f'consume must be true, false, "kafka" or "redis", found {consume_raw!r}',
        )
    if not publish and consume_raw is False:
        errors.append(
            Diagnostic(
                header,
                f"{where}: neither published nor consumed by this service",
                "set publish = true or consume = true",
            )
        )

    retry = _retry(table.get("retry"), fail, positive, key_span, where, errors)
    partitions = positive("partitions", table.get("partitions"))
    maxlen = positive("maxlen", table.get("maxlen"))
    compression = table.get("compression")
    if compression is not None and compression not in _COMPRESSIONS:
        fail(
            "compression",
            f"compression must be one of {', '.join(_COMPRESSIONS)}, found {compression!r}",
        )
        compression = None
    encoding = table.get("encoding")
    if encoding is not None and encoding not in ("avro", "json"):
        fail("encoding", f'encoding must be "avro" or "json", found {encoding!r}')
        encoding = None
    if len(errors) > n_errors:
        return None
    return ChannelDecl(
        name=name,
        span=header,
        message=message,
        message_span=value_span("message"),
        transports=transports,
        topic=topic,
        stream=stream,
        dead_letter=dead_letter,
        key=key if isinstance(key, str) else None,
        key_span=value_span("key"),
        publish=publish,
        consume=consume,
        group=group,
        retry=retry,
        partitions=partitions,
        compression=_COMPRESSION_NAMES.get(str(compression)),
        maxlen=maxlen,
        encoding=encoding if isinstance(encoding, str) else None,
        encoding_span=value_span("encoding"),
    )


def _retry(
    raw: object,
    fail: Callable[[str, str], None],
    positive: Callable[[str, object], int | None],
    key_span: Callable[[str], Span],
    where: str,
    errors: list[Diagnostic],
) -> ir.RetryPolicy:
    default = ir.RetryPolicy()
    if raw is None:
        return default
    if not isinstance(raw, dict):
        fail(
            "retry",
            f"retry must be a table like {{ attempts = 5, backoff_ms = 200 }}, found {raw!r}",
        )
        return default
    for k in sorted(set(raw) - set(_RETRY_KEYS)):
        errors.append(
            Diagnostic(
                key_span(f"retry.{k}"),
                f"{where}: unknown retry key {k!r}",
                f"known keys: {', '.join(_RETRY_KEYS)}",
            )
        )
    values: dict[str, int] = {}
    for k in _RETRY_KEYS:
        if k not in raw:
            continue
        v = raw[k]
        if k == "backoff_ms":
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                fail(f"retry.{k}", f"retry.{k} must be an integer >= 0, found {v!r}")
                continue
            values[k] = v
        else:
            checked = positive(f"retry.{k}", v)
            if checked is not None:
                values[k] = checked
    policy = ir.RetryPolicy(
        attempts=values.get("attempts", default.attempts),
        backoff_ms=values.get("backoff_ms", default.backoff_ms),
        max_backoff_ms=values.get("max_backoff_ms", default.max_backoff_ms),
        max_deliveries=values.get("max_deliveries", default.max_deliveries),
    )
    if policy.max_backoff_ms < policy.backoff_ms:
        fail(
            "retry.max_backoff_ms",
            f"retry.max_backoff_ms ({policy.max_backoff_ms}) is below "
            f"retry.backoff_ms ({policy.backoff_ms})",
        )
    return policy


def _key_type_ok(service: ir.Service, t: ir.Type) -> bool:
    match t:
        case ir.Primitive("string" | "int" | "long"):
            return True
        case ir.Logical("uuid"):
            return True
        case ir.Ref(fullname):
            return isinstance(service.named(fullname), ir.Enum)
    return False


def _resolve_message(service: ir.Service, decl: ChannelDecl) -> ir.Message | None:
    for m in service.messages:
        if decl.message == m.fullname:
            return m
    short = [
        m for m in service.messages if m.fullname.rpartition(".")[2] == decl.message
    ]
    return short[0] if len(short) == 1 else None


def resolve_channels(
    channels: tuple[ChannelDecl, ...], service: ir.Service
) -> tuple[ir.Channel, ...]:
    """Bind each declared channel to its message and key field; raise
    ``SchemaError`` naming every channel that refers to something unknown."""
    errors: list[Diagnostic] = []
    out: list[ir.Channel] = []
    py_names: dict[str, str] = {}
    known = ", ".join(m.fullname for m in service.messages) or "none"
    for decl in channels:
        where = f"channel {decl.name!r}"
        message = _resolve_message(service, decl)
        if message is None:
            errors.append(
                Diagnostic(
                    decl.message_span,
                    f"{where}: unknown message {decl.message!r}",
                    f"messages of this service: {known}",
                )
            )
            continue
        record = service.record(message.fullname)
        key: str | None = None
        if decl.key is not None:
            field_ = next(
                (f for f in record.fields if decl.key in (f.name, f.py_name)), None
            )
            if field_ is None:
                errors.append(
                    Diagnostic(
                        decl.key_span,
                        f"{where}: message {record.fullname} has no field {decl.key!r}",
                        "fields: " + ", ".join(f.name for f in record.fields),
                    )
                )
                continue
            if not _key_type_ok(service, field_.type):
                errors.append(
                    Diagnostic(
                        decl.key_span,
                        f"{where}: key field {field_.name!r} cannot be a key; a key "
                        f"is a {_KEY_TYPES} field",
                    )
                )
                continue
            key = field_.name
        encoding = decl.encoding or message.encoding
        if encoding == "avro" and message.encoding != "avro":
            errors.append(
                Diagnostic(
                    decl.encoding_span,
                    f"{where}: {record.fullname} is a JSON Schema message; it has no "
                    "Avro encoding",
                )
            )
            continue
        py_name = _channel_py_name(decl.name)
        if py_name in py_names:
            errors.append(
                Diagnostic(
                    decl.span,
                    f"{where}: becomes the attribute {py_name!r}, like channel "
                    f"{py_names[py_name]!r}",
                    "rename one of them",
                )
            )
            continue
        py_names[py_name] = decl.name
        out.append(_channel_ir(decl, service, message, key, py_name, encoding))
    if errors:
        raise SchemaError(errors)
    return tuple(out)


def _channel_py_name(name: str) -> str:
    py = re.sub(r"[^0-9a-zA-Z_]", "_", name)
    py = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", py).lower()
    if keyword.iskeyword(py) or py in ("messaging", "spec", "name"):
        py += "_"
    return py


def _channel_ir(
    decl: ChannelDecl,
    service: ir.Service,
    message: ir.Message,
    key: str | None,
    py_name: str,
    encoding: str,
) -> ir.Channel:
    kafka = redis = None
    if "kafka" in decl.transports:
        kafka = ir.KafkaTarget(
            topic=decl.topic,
            dead_letter=decl.dead_letter or f"{decl.topic}.dlq",
            partitions=decl.partitions,
            compression=decl.compression,
        )
    if "redis" in decl.transports:
        redis = ir.RedisTarget(
            stream=decl.stream,
            dead_letter=decl.dead_letter or f"{decl.stream}.dlq",
            maxlen=decl.maxlen,
        )
    return ir.Channel(
        name=decl.name,
        py_name=py_name,
        message=message.fullname,
        span=decl.span,
        kafka=kafka,
        redis=redis,
        key=key,
        publish=decl.publish,
        consume=decl.consume,
        group=(decl.group or service.name) if decl.consume else decl.group,
        retry=decl.retry,
        encoding="json" if encoding == "json" else "avro",
    )

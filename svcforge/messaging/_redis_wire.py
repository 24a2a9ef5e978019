"""Stream entries on the wire: the fields of an entry (``value``, ``key``,
``h:<name>`` headers) and XADD commands packed in the Redis protocol."""

from __future__ import annotations

from typing import Any

from svcforge.messaging import _headers as h
from svcforge.messaging._broker import Route
from svcforge.messaging._spec import RedisRoute

__all__ = [
    "HEADER",
    "KEY",
    "VALUE",
    "Xadd",
    "decode_entry",
    "encode_entry",
    "entry_headers",
    "flat_headers",
    "redis_route",
    "value_key",
]

VALUE = b"value"
KEY = b"key"
HEADER = b"h:"


def encode_entry(
    key: bytes | None, value: bytes | None, headers: h.Headers
) -> dict[Any, Any]:
    """A record as stream entry fields: ``value`` (none for a tombstone),
    ``key`` and ``h:<name>``."""
    fields: dict[Any, Any] = {} if value is None else {VALUE: value}
    if key is not None:
        fields[KEY] = key
    for name, v in headers:
        fields[HEADER + name.encode()] = v
    return fields


def decode_entry(
    fields: dict[bytes, bytes],
) -> tuple[bytes | None, bytes | None, h.Headers]:
    headers = [
        (k[2:].decode("utf-8", "replace"), v)
        for k, v in fields.items()
        if k.startswith(HEADER)
    ]
    return fields.get(KEY), fields.get(VALUE), headers


_names: dict[bytes, str] = {}


def _header_name(field: bytes) -> str:
    name = _names.get(field)
    if name is None:
        name = field[2:].decode("utf-8", "replace")
        if len(_names) < 10_000:
            _names[field] = name
    return name


def entry_headers(fields: dict[bytes, bytes]) -> h.Headers:
    """The ``h:<name>`` fields of a stream entry, as headers."""
    return [(_header_name(k), v) for k, v in fields.items() if k.startswith(HEADER)]


# Commands are written in the Redis protocol here, not by redis-py's command
# packer (pure Python, about a microsecond per argument): a channel's XADD
# prefix and constant header fields are packed once.
_CRLF = b"\r\n"
_fields: dict[str, bytes] = {}


def _bulk(data: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(data), data)


def _header_field(name: str) -> bytes:
    """``h:<name>`` as a bulk string."""
    packed = _fields.get(name)
    if packed is None:
        packed = _bulk(HEADER + name.encode())
        if len(_fields) < 10_000:
            _fields[name] = packed
    return packed


_VALUE = _bulk(VALUE)
_KEY = _bulk(KEY)


class Xadd:
    """XADD of one stream with its MAXLEN, and headers every entry carries,
    packed once; ``command`` adds an entry's value, key and other headers."""

    __slots__ = ("_args", "_prefix", "_static")

    def __init__(self, stream: str, maxlen: int, headers: h.Headers) -> None:
        words = [b"XADD", stream.encode(), b"MAXLEN", b"~", str(maxlen).encode(), b"*"]
        self._prefix = b"".join(map(_bulk, words))
        self._static = b"".join(_header_field(n) + _bulk(v) for n, v in headers)
        self._args = len(words) + 2 * len(headers)

    def command(self, key: bytes | None, value: bytes, headers: h.Headers) -> bytes:
        # Fields: value, key, the constant headers, then the entry's own
        # (the order ``encode_entry`` gives).
        args = self._args + 2 + 2 * len(headers)
        parts = [b"*%d\r\n" % (args + 2 if key is not None else args), self._prefix]
        parts += (_VALUE, b"$%d\r\n" % len(value), value, _CRLF)
        if key is not None:
            parts += (_KEY, b"$%d\r\n" % len(key), key, _CRLF)
        parts.append(self._static)
        for name, v in headers:
            parts += (_header_field(name), b"$%d\r\n" % len(v), v, _CRLF)
        return b"".join(parts)


def flat_headers(fields: list[bytes]) -> h.Headers:
    """The ``h:<name>`` fields of a stream entry as Redis sends them (a flat
    list of names and values), as headers."""
    return [
        (_header_name(k), v)
        for k, v in zip(fields[::2], fields[1::2], strict=False)
        if k.startswith(HEADER)
    ]


def value_key(fields: list[bytes]) -> tuple[bytes | None, bytes | None]:
    """The value and key of a stream entry's flat field list (looked up where
    ``encode_entry`` puts them first)."""
    if fields[0] == VALUE:
        if len(fields) > 3 and fields[2] == KEY:
            return fields[1], fields[3]
        if KEY not in fields[2::2]:
            return fields[1], None
    found = dict(zip(fields[::2], fields[1::2], strict=False))
    return found.get(VALUE), found.get(KEY)


def redis_route(route: Route) -> RedisRoute:
    if not isinstance(route, RedisRoute):
        raise TypeError(f"the Redis broker cannot serve {route!r}")
    return route

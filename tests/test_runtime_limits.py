"""Decoding bombs: a few bytes that claim millions of items fail fast, as a
``DecodeError``, whichever path decodes them (the generated readers or
fastavro's schema resolution), and the limits can be changed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from svcforge import AvroCodec, DecodeError, JsonCodec
from svcforge import avro_binary as ab

BOMB_SCHEMA = {
    "type": "record",
    "name": "Bomb",
    "namespace": "test.limits",
    "fields": [
        {"name": "xs", "type": {"type": "array", "items": "null"}},
        {"name": "tags", "type": {"type": "map", "values": "null"}},
    ],
}
# An older writer schema (one more field): its payloads go through fastavro.
OLD_SCHEMA = {
    **BOMB_SCHEMA,
    "fields": [*BOMB_SCHEMA["fields"], {"name": "n", "type": "int"}],
}


class Bomb(BaseModel):
    xs: list[None]
    tags: dict[str, None]


_read_xs = ab.array_reader(ab.read_null)
_read_tags = ab.map_reader(ab.read_null)
_write_xs = ab.array_writer(ab.write_null)
_write_tags = ab.map_writer(ab.write_null)


def _read_bomb(data: bytes, pos: int) -> tuple[Bomb, int]:
    xs, pos = _read_xs(data, pos)
    tags, pos = _read_tags(data, pos)
    return Bomb(xs=xs, tags=tags), pos


def _write_bomb(out: bytearray, m: Bomb) -> None:
    _write_xs(out, m.xs)
    _write_tags(out, m.tags)


CODEC = AvroCodec(Bomb, BOMB_SCHEMA, write=_write_bomb, read=_read_bomb)


def payload(count: int, blocks: int = 1) -> bytes:
    """An array of ``blocks`` blocks of ``count`` nulls (zero bytes each)."""
    out = bytearray()
    for _ in range(blocks):
        ab.write_long(out, count)
    out.append(0)  # end of the array
    out.append(0)  # empty map
    return bytes(out)


@pytest.fixture
def limits() -> Iterator[None]:
    previous = ab.decode_limits()
    yield
    ab.set_decode_limits(previous)


def test_ten_million_zero_byte_items_fail_fast_on_both_paths() -> None:
    bomb = payload(10_000_000)
    assert len(bomb) < 15
    old = CODEC.framing.header
    for data in (old + bomb, _fastavro_framed(bomb)):
        start = time.perf_counter()
        with pytest.raises(DecodeError, match="max_items"):
            CODEC.decode(data)
        assert time.perf_counter() - start < 0.05


def test_a_count_of_two_to_the_forty_fails_at_once() -> None:
    start = time.perf_counter()
    with pytest.raises(DecodeError, match="max_items"):
        CODEC.decode(CODEC.framing.header + payload(2**40))
    with pytest.raises(DecodeError, match="max_items"):
        CODEC.decode(_fastavro_framed(payload(2**40)))
    assert time.perf_counter() - start < 0.05


def test_many_blocks_each_under_the_limit_add_up() -> None:
    with pytest.raises(DecodeError, match="max_items"):
        CODEC.decode(CODEC.framing.header + payload(600_000, blocks=2))


def test_the_decoded_size_limit_spans_every_array_of_a_message(
    limits: None,
) -> None:
    ab.set_decode_limits(ab.DecodeLimits(max_decoded_bytes=ab.ITEM_COST * 1000))
    ok = Bomb(xs=[None] * 500, tags={str(i): None for i in range(400)})
    assert CODEC.decode(CODEC.encode(ok)) == ok
    too_big = Bomb(xs=[None] * 600, tags={str(i): None for i in range(500)})
    with pytest.raises(DecodeError, match="max_decoded_bytes"):
        CODEC.decode(CODEC.encode(too_big))


def test_limits_are_configurable_and_payload_size_is_bounded(limits: None) -> None:
    within = Bomb(xs=[None] * 50, tags={})
    assert CODEC.decode(CODEC.encode(within)) == within
    ab.set_decode_limits(ab.DecodeLimits(max_items=10))
    with pytest.raises(DecodeError, match=r"50 items .* max_items \(10\)"):
        CODEC.decode(CODEC.encode(within))
    ab.set_decode_limits(ab.DecodeLimits(max_message_bytes=8))
    with pytest.raises(DecodeError, match="max_message_bytes"):
        CODEC.decode(CODEC.encode(within))
    with pytest.raises(DecodeError, match="max_message_bytes"):
        JsonCodec(Bomb).decode(b'{"xs": [], "tags": {}}')


def test_legitimate_large_arrays_still_decode() -> None:
    big = Bomb(xs=[None] * 900_000, tags={})
    assert len(CODEC.decode(CODEC.encode(big)).xs) == 900_000
    old = CODEC.framing.magic + CODEC.add_writer_schema(OLD_SCHEMA)
    assert CODEC.decode(old + CODEC.encode_payload(big) + b"\x02") == big


def _fastavro_framed(bomb: bytes) -> bytes:
    """The bomb under another writer schema's key: fastavro's path."""
    key = CODEC.add_writer_schema(OLD_SCHEMA)
    assert key != CODEC.fingerprint
    return CODEC.framing.magic + key + bomb + b"\x02"

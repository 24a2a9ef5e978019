"""The Avro codec runtime: framings, fingerprints, errors, schema evolution, and
the generated per-record codecs checked against fastavro.

The generated codecs (``svcforge.avro_binary`` + the functions
``generator.emitters.codecs.binary`` writes) replace fastavro's interpretation of
the schema, so they are held to it: for any value, the same bytes as fastavro
writes from ``model_dump``, and the same model as fastavro + validation reads,
types included.  Besides the examples under ``generated-examples/``, a small
service defined here (``SHAPES``) covers unions, recursion, fixed and every
logical type.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

import avro.schema
import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import to_parsing_canonical_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, field_validator

from generator import ir
from generator.emitters.codecs import emit_codecs
from generator.emitters.models import emit_models
from generator.pipeline import load_service
from generator.resources import jinja_env
from svcforge import (
    AvroCodec,
    ConfluentFraming,
    DecodeError,
    FramingError,
    SingleObjectFraming,
    UnknownSchemaError,
    crc64_avro,
    schema_fingerprint,
)
from svcforge import avro_binary as ab
from tests.examples_support import assert_same, avro_cases
from tests.strategies import ValueStrategies, contains_nan

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generated-examples" / "market-data" / "src"))

from market_data.generated import codecs as market  # noqa: E402
from market_data.generated.examples import example_trade  # noqa: E402
from market_data.generated.models import Trade  # noqa: E402

AGREE = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fastavro_bytes(codec: AvroCodec[Any], message: BaseModel) -> bytes:
    buf = BytesIO()
    schemaless_writer(buf, codec._parsed, message.model_dump(by_alias=True))
    return buf.getvalue()


def fastavro_model(codec: AvroCodec[Any], payload: bytes) -> BaseModel:
    record = schemaless_reader(BytesIO(payload), codec._parsed, None)
    return codec.model.model_validate(record)


def generic(codec: AvroCodec[Any]) -> AvroCodec[Any]:
    """The same codec without the generated functions: fastavro's path."""
    return AvroCodec(codec.model, codec.schema, fingerprint=codec.fingerprint)


# -- framing and fingerprints ---------------------------------------------------


def test_single_object_header_is_magic_and_fingerprint() -> None:
    trade = example_trade()
    codec = market.TRADE_AVRO
    data = codec.encode(trade)
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == codec.fingerprint == schema_fingerprint(codec.schema)
    assert data[10:] == codec.encode_payload(trade)
    assert codec.framing.header == b"\xc3\x01" + codec.fingerprint


def test_confluent_header_is_zero_and_big_endian_schema_id() -> None:
    framing = ConfluentFraming(0x01020304)
    assert framing.header == b"\x00\x01\x02\x03\x04"
    codec = market.TRADE_AVRO.with_framing(framing)
    trade = example_trade()
    data = codec.encode(trade)
    assert data == b"\x00\x01\x02\x03\x04" + market.TRADE_AVRO.encode_payload(trade)
    assert_same(trade, codec.decode(data))


@pytest.mark.parametrize("bad", [-1, 2**31])
def test_confluent_schema_id_is_a_positive_int32(bad: int) -> None:
    with pytest.raises(ValueError, match="schema id"):
        ConfluentFraming(bad)


def test_single_object_fingerprint_has_eight_bytes() -> None:
    with pytest.raises(ValueError, match="8 bytes"):
        SingleObjectFraming(b"\x00" * 4)


SCHEMAS = [
    '"null"',
    '"int"',
    '{"type": "fixed", "name": "foo", "size": 15}',
    '{"type": "array", "items": {"type": "map", "values": ["null", "double"]}}',
    *[json.dumps(c.avro.schema) for c in avro_cases() if c.avro is not None],
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_crc64_avro_matches_apache_avro(schema: str) -> None:
    """Our CRC-64-AVRO of the Parsing Canonical Form is the fingerprint the
    Apache library computes, byte for byte (little-endian)."""
    canonical = to_parsing_canonical_form(parse_schema(json.loads(schema)))
    expected = avro.schema.parse(canonical).fingerprint()
    assert crc64_avro(canonical.encode()) == expected
    if schema.startswith("{"):
        assert schema_fingerprint(schema) == expected


def test_crc64_avro_of_null_is_the_specification_test_vector() -> None:
    # Avro's own test vector: the fingerprint of "null" is 0x63dd24e7cc258f8a.
    assert crc64_avro(b'"null"') == (0x63DD24E7CC258F8A).to_bytes(8, "little")


# -- errors -------------------------------------------------------------------

BOTH_PATHS = [
    pytest.param(market.TRADE_AVRO, id="generated"),
    pytest.param(generic(market.TRADE_AVRO), id="fastavro"),
]


@pytest.mark.parametrize("codec", BOTH_PATHS)
def test_unknown_fingerprint_is_unknown_schema_error(codec: AvroCodec[Trade]) -> None:
    data = bytearray(codec.encode(example_trade()))
    data[2:10] = b"\x01" * 8
    with pytest.raises(UnknownSchemaError) as info:
        codec.decode(bytes(data))
    assert info.value.key == b"\x01" * 8
    assert "Trade" in str(info.value)


@pytest.mark.parametrize("codec", BOTH_PATHS)
@pytest.mark.parametrize("data", [b"", b"\x00\x01", b"{}", b"\xc3\x02" + b"\x00" * 20])
def test_wrong_magic_is_framing_error(codec: AvroCodec[Trade], data: bytes) -> None:
    with pytest.raises(FramingError) as info:
        codec.decode(data)
    assert not isinstance(info.value, UnknownSchemaError)
    assert "single-object" in str(info.value)


def test_truncated_header_is_framing_error() -> None:
    with pytest.raises(FramingError, match="truncated"):
        market.TRADE_AVRO.decode(b"\xc3\x01\x32\x1d")


@pytest.mark.parametrize("codec", BOTH_PATHS)
def test_truncated_payload_is_decode_error(codec: AvroCodec[Trade]) -> None:
    data = codec.encode(example_trade())
    for end in range(10, len(data)):
        with pytest.raises(DecodeError):
            codec.decode(data[:end])


@pytest.mark.parametrize("codec", BOTH_PATHS)
def test_trailing_bytes_are_decode_error(codec: AvroCodec[Trade]) -> None:
    data = codec.encode(example_trade())
    with pytest.raises(DecodeError, match="2 trailing bytes"):
        codec.decode(data + b"\x00\x00")
    with pytest.raises(DecodeError, match="trailing"):
        codec.decode_payload(codec.encode_payload(example_trade()) + b"\x00")


def _trade_payload(**changes: Any) -> bytes:
    """A trade payload written by fastavro from a plain record (decimals of any
    precision: the precision does not change the encoding)."""
    record = example_trade().model_dump(by_alias=True) | changes
    schema = json.loads(
        json.dumps(market.TRADE_AVRO.schema).replace(
            '"precision": 18', '"precision": 38'
        )
    )
    buf = BytesIO()
    schemaless_writer(buf, parse_schema(schema), record)
    return buf.getvalue()


MALFORMED = {
    # uuid (37 bytes), symbol (7), then the venue enum's index.
    "enum index out of range": lambda p: p[:44] + b"\x0a" + p[45:],
    "negative enum index": lambda p: p[:44] + b"\x01" + p[45:],
    "negative string length": lambda p: b"\x01" + p[1:],
    "invalid UTF-8": lambda p: p[:38] + b"\xff" + p[39:],
    # ... then buyerOrderId's union index, 13 bytes of string, 14 to the end.
    "union index out of range": lambda p: p[:-28] + b"\x04" + p[-27:],
    "boolean byte 2": lambda p: p[:-1] + b"\x02",
    "varint of 11 bytes": lambda p: p[:-1] + b"\xff" * 10 + b"\x01",
}


@pytest.mark.parametrize("how", sorted(MALFORMED))
def test_malformed_payload_is_decode_error(how: str) -> None:
    payload = MALFORMED[how](_trade_payload())
    with pytest.raises(DecodeError):
        market.TRADE_AVRO.decode_payload(payload)


def test_values_out_of_the_models_range_are_decode_errors() -> None:
    """What validation would reject, the generated readers reject."""
    wide = _trade_payload(price=Decimal("12345678901.00000000"))
    with pytest.raises(DecodeError, match="18 digits"):
        market.TRADE_AVRO.decode_payload(wide)
    with pytest.raises(DecodeError):
        generic(market.TRADE_AVRO).decode_payload(wide)
    buf = BytesIO()
    schemaless_writer(buf, parse_schema("long"), 2**40)
    with pytest.raises(ValueError, match="int out of range"):
        ab.read_int(buf.getvalue(), 0)
    with pytest.raises(ValueError, match="long out of range"):
        ab.read_long(b"\xff" * 9 + b"\x7f", 0)


def test_decodes_bytearray_and_memoryview() -> None:
    data = market.TRADE_AVRO.encode(example_trade())
    for view in (bytearray(data), memoryview(data)):
        assert_same(example_trade(), market.TRADE_AVRO.decode(view))


# -- schema evolution -----------------------------------------------------------


def _without(schema: dict[str, Any], *names: str) -> dict[str, Any]:
    fields = [f for f in schema["fields"] if f["name"] not in names]
    return {**schema, "fields": fields}


def test_older_writer_schema_decodes_into_the_current_model() -> None:
    """Bytes of a schema without fields that have defaults decode once that
    schema is added; the missing fields take their defaults."""
    current = market.TRADE_AVRO.schema
    old = _without(current, "is_block", "conditions")
    codec = market.TRADE_AVRO.with_framing(market.TRADE_AVRO.framing)
    record = example_trade().model_dump(by_alias=True)
    buf = BytesIO()
    schemaless_writer(buf, parse_schema(old), record)
    data = b"\xc3\x01" + schema_fingerprint(old) + buf.getvalue()
    with pytest.raises(UnknownSchemaError):
        codec.decode(data)
    assert codec.add_writer_schema(old) == schema_fingerprint(old)
    decoded = codec.decode(data)
    assert decoded == example_trade().model_copy(
        update={"is_block": False, "conditions": []}
    )
    # The codec's own bytes still take the generated path.
    assert_same(example_trade(), codec.decode(codec.encode(example_trade())))


def test_newer_writer_schema_with_an_extra_field_decodes() -> None:
    newer = dict(market.TRADE_AVRO.schema)
    newer["fields"] = [*newer["fields"], {"name": "venue_ref", "type": "string"}]
    record = example_trade().model_dump(by_alias=True) | {"venue_ref": "x-1"}
    buf = BytesIO()
    schemaless_writer(buf, parse_schema(newer), record)
    codec = generic(market.TRADE_AVRO)
    codec.add_writer_schema(newer)
    data = b"\xc3\x01" + schema_fingerprint(newer) + buf.getvalue()
    assert codec.decode(data) == example_trade()


def test_confluent_writer_schema_is_keyed_by_registry_id() -> None:
    old = _without(market.TRADE_AVRO.schema, "is_block")
    codec = market.TRADE_AVRO.with_framing(ConfluentFraming(7))
    codec.add_writer_schema(old, key=(6).to_bytes(4, "big"))
    buf = BytesIO()
    schemaless_writer(buf, parse_schema(old), example_trade().model_dump(by_alias=True))
    decoded = codec.decode(b"\x00\x00\x00\x00\x06" + buf.getvalue())
    assert decoded == example_trade().model_copy(update={"is_block": False})
    with pytest.raises(UnknownSchemaError):
        codec.decode(b"\x00\x00\x00\x00\x05" + buf.getvalue())


# -- the binary primitives ------------------------------------------------------


@given(st.integers(-(2**63), 2**63 - 1))
def test_long_encoding_is_fastavros(value: int) -> None:
    out = bytearray()
    ab.write_long(out, value)
    buf = BytesIO()
    schemaless_writer(buf, parse_schema("long"), value)
    assert bytes(out) == buf.getvalue()
    assert ab.read_long(bytes(out), 0) == (value, len(out))


@given(st.text(), st.binary())
def test_strings_and_bytes_of_any_length(text: str, raw: bytes) -> None:
    out = bytearray()
    ab.write_string(out, text)
    ab.write_bytes(out, raw)
    data = bytes(out)
    s, pos = ab.read_string(data, 0)
    b, end = ab.read_bytes(data, pos)
    assert (s, b, end) == (text, raw, len(data))


def test_arrays_and_maps_read_blocks_with_byte_sizes() -> None:
    """Writers may split an array in blocks, with a negative count followed by
    the block's size in bytes; the readers take any blocking."""
    ints = ab.array_reader(ab.read_int)
    data = b"\x03\x04\x02\x04" + b"\x02\x06" + b"\x00"  # [1, 2] as -2 (size 2), [3]
    assert ints(data, 0) == ([1, 2, 3], len(data))
    doubles = ab.map_reader(ab.read_int)
    data = b"\x01\x04" + b"\x02a\x02" + b"\x02\x02b\x04" + b"\x00"
    assert doubles(data, 0) == ({"a": 1, "b": 2}, len(data))


def test_union_writer_picks_the_branch_by_class() -> None:
    write = ab.union_writer(
        (type(None), ab.write_null), (str, ab.write_string), (int, ab.write_int)
    )
    read = ab.union_reader(ab.read_null, ab.read_string, ab.read_int)
    for value in (None, "x", 5):
        out = bytearray()
        write(out, value)
        assert read(bytes(out), 0) == (value, len(out))
    with pytest.raises(ValueError, match="no branch"):
        write(bytearray(), 1.5)


class Validated(BaseModel):
    n: int

    @field_validator("n")
    @classmethod
    def double(cls, v: int) -> int:
        return v * 2


class Plain(BaseModel):
    n: int
    tags: list[str] = []


class Symbol(StrEnum):
    A = "A"


class EnumValues(BaseModel):
    model_config = ConfigDict(use_enum_values=True)
    s: Symbol


def test_model_builder_constructs_plain_models_and_validates_others() -> None:
    plain = ab.model_builder(Plain)({"n": 1, "tags": ["a"]})
    assert plain == Plain(n=1, tags=["a"])
    assert plain.model_fields_set == {"n", "tags"}
    plain.n = 3  # assignment works on a built model
    assert plain.model_dump() == {"n": 3, "tags": ["a"]}
    # A validator, or a setting that changes what validation gives, validates.
    assert ab.model_builder(Validated)({"n": 1}).n == 2
    built = ab.model_builder(EnumValues)({"s": Symbol.A})
    assert type(built.s) is str


# -- generated codecs agree with fastavro ---------------------------------------

SHAPES = {
    "shapes.avsc": {
        "type": "record",
        "name": "Shapes",
        "namespace": "test.codec",
        "fields": [
            {"name": "flag", "type": "boolean"},
            {"name": "small", "type": "int"},
            {"name": "big", "type": "long"},
            {"name": "ratio", "type": "float"},
            {"name": "exact", "type": "double"},
            {"name": "raw", "type": "bytes"},
            {"name": "text", "type": "string"},
            {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 4}},
            {
                "name": "amount",
                "type": {
                    "type": "fixed",
                    "name": "Amount",
                    "size": 9,
                    "logicalType": "decimal",
                    "precision": 20,
                    "scale": 4,
                },
            },
            {
                "name": "wide",
                "type": {
                    "type": "bytes",
                    "logicalType": "decimal",
                    "precision": 40,
                    "scale": 12,
                },
            },
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "t_ms", "type": {"type": "int", "logicalType": "time-millis"}},
            {"name": "t_us", "type": {"type": "long", "logicalType": "time-micros"}},
            {
                "name": "ts_ms",
                "type": {"type": "long", "logicalType": "timestamp-millis"},
            },
            {
                "name": "ts_us",
                "type": {"type": "long", "logicalType": "timestamp-micros"},
            },
            {
                "name": "local_ms",
                "type": {"type": "long", "logicalType": "local-timestamp-millis"},
            },
            {
                "name": "local_us",
                "type": {"type": "long", "logicalType": "local-timestamp-micros"},
            },
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {
                "name": "color",
                "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]},
            },
            {
                "name": "points",
                "type": {
                    "type": "array",
                    "items": {
                        "type": "record",
                        "name": "Point",
                        "fields": [
                            {"name": "x", "type": "int"},
                            {"name": "y", "type": ["null", "double"]},
                        ],
                    },
                },
            },
            {"name": "anything", "type": ["null", "string", "long", "Point"]},
            {"name": "later", "type": ["Point", "null"]},
            {
                "name": "groups",
                "type": {"type": "map", "values": {"type": "array", "items": "Color"}},
            },
            {"name": "next", "type": ["null", "Shapes"], "default": None},
        ],
    },
    "ambiguous.avsc": {
        "type": "record",
        "name": "Ambiguous",
        "namespace": "test.codec",
        "doc": "Unions the model cannot tell apart: fastavro writes it.",
        "fields": [
            {"name": "whole", "type": ["int", "long"]},
            {"name": "blob", "type": ["bytes", "test.codec.Digest"]},
        ],
    },
}


@functools.cache
def shapes_service(root: Path) -> tuple[ir.Service, ModuleType, ModuleType]:
    """Generate models and codecs of ``SHAPES`` under ``root`` and import them."""
    (root / "schemas" / "messages").mkdir(parents=True)
    for name, schema in SHAPES.items():
        (root / "schemas" / "messages" / name).write_text(json.dumps(schema))
    (root / "pyproject.toml").write_text(
        '[project]\nname = "codec-shapes"\n\n[tool.svcforge]\npackage = "codec_shapes"\n'
    )
    _, service = load_service(root)
    env = jinja_env()
    package = root / "src" / "codec_shapes"
    (package / "generated").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "generated" / "__init__.py").write_text("")
    for emitted in (emit_models(service, env), emit_codecs(service, env)):
        for rel, text in emitted.items():
            (root / rel).write_text(text)
    sys.path.insert(0, str(root / "src"))
    models = importlib.import_module("codec_shapes.generated.models")
    codecs = importlib.import_module("codec_shapes.generated.codecs")
    return service, models, codecs


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ...]]:
    yield shapes_service(tmp_path_factory.mktemp("shapes"))


def _agree(codec: AvroCodec[Any], message: BaseModel, bytes_too: bool = True) -> None:
    payload = codec.encode_payload(message)
    if bytes_too:
        assert payload == fastavro_bytes(codec, message)
    decoded = codec.decode_payload(payload)
    reference = fastavro_model(codec, payload)
    if not contains_nan(message):
        assert decoded == message
    assert_same(message, decoded)
    assert_same(reference, decoded)
    assert decoded.model_fields_set == reference.model_fields_set


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id) for c in avro_cases() if c.avro is not None]
)
@AGREE
@given(data=st.data())
def test_generated_codecs_of_the_examples_agree_with_fastavro(
    case: Any, data: st.DataObject
) -> None:
    message = data.draw(
        ValueStrategies(case.service, case.example.models).record(case.record.fullname)
    )
    _agree(case.avro, message)


@pytest.mark.parametrize("name", ["Shapes", "Ambiguous"])
@AGREE
@given(data=st.data())
def test_generated_codecs_of_unions_recursion_and_logical_types_agree(
    shapes: tuple[ir.Service, ModuleType, ModuleType], name: str, data: st.DataObject
) -> None:
    service, models, codecs = shapes
    record = service.record(f"test.codec.{name}")
    const = next(m.constant for m in service.messages if m.fullname == record.fullname)
    codec = getattr(codecs, f"{const}_AVRO")
    message = data.draw(ValueStrategies(service, models).record(record.fullname))
    # fastavro picks the first branch a value fits; the generated writer picks
    # the branch of the value's class.  Both read back the same.
    _agree(codec, message, bytes_too=name != "Ambiguous")


def test_undecidable_unions_keep_fastavros_writer(
    shapes: tuple[ir.Service, ModuleType, ModuleType],
) -> None:
    _, _, codecs = shapes
    assert codecs.AMBIGUOUS_AVRO._write is None
    assert codecs.AMBIGUOUS_AVRO._read is not None
    assert codecs.SHAPES_AVRO._write is not None


def test_timestamps_decode_as_utc() -> None:
    decoded = market.TRADE_AVRO.decode(market.TRADE_AVRO.encode(example_trade()))
    assert decoded.executed_at.tzinfo is UTC or decoded.executed_at.utcoffset() == (
        datetime(2000, 1, 1, tzinfo=UTC).utcoffset()
    )

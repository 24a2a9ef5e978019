"""Avro messages of every shape, generated and run: every message of every
golden case and example service round-trips exactly through its Avro codec
and its JSON codec (plain JSON, or Avro's JSON encoding where plain JSON would
confuse a union's branches); union messages decode to the very record that was
encoded, travel on channels and reach typed handlers.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastavro import json_writer, parse_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from generator import ir
from generator.pipeline import load_service
from svcforge import AvroCodec, AvroJsonCodec, JsonCodec, message_union
from svcforge.messaging import ChannelSpec, KafkaRoute, MessageContext, Messaging
from tests.examples_support import assert_same, example_roots
from tests.strategies import contains_nan, message_values

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
EXACT = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True, eq=False)
class Service:
    name: str
    service: ir.Service
    models: ModuleType
    codecs: ModuleType


def _projects() -> Iterator[tuple[str, Path, Path]]:
    """(name, folder with the schemas, folder with the generated ``src``)."""
    for case in sorted(GOLDEN.iterdir()):
        src = case / "expected" / "src"
        if (case / "pyproject.toml").is_file() and src.is_dir():
            yield f"golden/{case.name}", case, src
    for root in example_roots():
        yield f"examples/{root.name}", root, root / "src"


@functools.cache
def _load(name: str, root: Path, src: Path) -> Service:
    _, service = load_service(root)
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    base = f"{service.package}.generated"
    return Service(
        name,
        service,
        importlib.import_module(f"{base}.models"),
        importlib.import_module(f"{base}.codecs"),
    )


@pytest.fixture(autouse=True, scope="module")
def _forget_imports() -> Iterator[None]:
    """Leave no golden package imported: other tests import them afresh."""
    before = set(sys.modules)
    paths = list(sys.path)
    yield
    _load.cache_clear()
    sys.path[:] = paths
    for name in set(sys.modules) - before:
        if name.split(".")[0].startswith("golden_"):
            del sys.modules[name]


def _cases() -> list[Any]:
    out = []
    for name, root, src in _projects():
        _, service = load_service(root)
        for m in service.messages:
            if m.encoding == "avro" and service.messages:
                out.append(pytest.param(name, root, src, m, id=f"{name}:{m.py_name}"))
    return out


CASES = _cases()


def _assert_exact(original: BaseModel, decoded: BaseModel) -> None:
    if not contains_nan(original):
        assert decoded == original
    assert_same(original, decoded)


def test_every_kind_of_message_is_covered() -> None:
    kinds = {m.kind for *_, m in (c.values for c in CASES)}
    assert kinds == {"record", "root", "union"}
    assert any(m.json == "avro" for *_, m in (c.values for c in CASES))


@pytest.mark.parametrize(("name", "root", "src", "message"), CASES)
@EXACT
@given(data=st.data())
def test_every_message_round_trips_exactly(
    name: str, root: Path, src: Path, message: ir.Message, data: st.DataObject
) -> None:
    """Avro and JSON: the same model back (same types, float signs, decimal
    exponents, union branches), and the same bytes when encoded again."""
    loaded = _load(name, root, src)
    avro = getattr(loaded.codecs, f"{message.constant}_AVRO")
    json_codec = getattr(loaded.codecs, f"{message.constant}_JSON")
    assert isinstance(json_codec, AvroJsonCodec) == (message.json == "avro")
    value = data.draw(message_values(loaded.service, loaded.models, message))
    encoded = avro.encode(value)
    _assert_exact(value, avro.decode(encoded))
    text = json_codec.encode(value)
    decoded = json_codec.decode(text)
    _assert_exact(value, decoded)
    assert json_codec.encode(decoded) == text


# --- Avro's JSON encoding -----------------------------------------------------


def _golden(case: str) -> Service:
    return _load(f"golden/{case}", GOLDEN / case, GOLDEN / case / "expected" / "src")


def test_plain_json_would_lose_the_branch_that_avro_json_keeps() -> None:
    """An enum symbol and a string are both a JSON string in plain JSON, which
    decodes as the string; Avro's JSON encoding names the branch."""
    g = _golden("avro_messages")
    labelled, known = g.models.Labelled, g.models.Known
    message = labelled(label=known.HOT, raw=b"abc")
    plain = JsonCodec(labelled)
    assert type(plain.decode(plain.encode(message)).label) is str  # lossy
    codec = g.codecs.LABELLED_JSON
    written = json.loads(codec.encode(message))
    assert written["label"] == {"Known": "HOT"}
    assert written["raw"] == {"bytes": "abc"}
    decoded = codec.decode(codec.encode(message))
    assert type(decoded.label) is known and decoded.raw == b"abc"


def test_avro_json_is_what_fastavro_writes() -> None:
    """The encoding is Avro's own: fastavro's JSON writer gives the same JSON
    for the same datum."""
    g = _golden("avro_messages")
    codec = g.codecs.ORDER_EVENTS_JSON
    event = g.models.OrderCancelled(
        order_id="o-1", reason="late", grace=bytes(range(12)), refund=b"\xff\x00"
    )
    datum = ("shop.OrderCancelled", event.model_dump(by_alias=True))
    out = io.StringIO()
    json_writer(out, parse_schema(g.codecs.ORDER_EVENTS_SCHEMA), [datum])
    assert json.loads(out.getvalue()) == json.loads(codec.encode(event))


def test_avro_json_refuses_what_is_not_the_schema() -> None:
    codec = _golden("avro_messages").codecs.ORDER_EVENTS_JSON
    for bad in (
        b'{"shop.Nope": {}}',
        b'{"order_id": "a"}',
        b"[1]",
        b'{"shop.OrderCancelled": {"order_id": 1}}',
        b"not json",
    ):
        with pytest.raises(ValueError):
            codec.decode(bad)


# --- union messages -----------------------------------------------------------


def test_a_union_message_decodes_to_the_record_encoded() -> None:
    g = _golden("avro_messages")
    avro = g.codecs.ORDER_EVENTS_AVRO
    placed = g.codecs.ORDER_PLACED_AVRO.decode(
        g.codecs.ORDER_PLACED_AVRO.encode(
            importlib.import_module(
                f"{g.service.package}.generated.examples"
            ).example_order_placed()
        )
    )
    cancelled = g.models.OrderCancelled(
        order_id="o-1", grace=bytes(12), refund=b"\x01\x02"
    )
    for event in (placed, cancelled):
        decoded = avro.decode(avro.encode(event))
        assert type(decoded) is type(event) and decoded == event
    assert isinstance(placed, avro.model) and isinstance(cancelled, avro.model)
    assert avro.model.__name__ == "OrderEvents"
    with pytest.raises(ValueError, match="no branch"):
        avro.encode(g.models.Labelled(label="x"))


class _A(BaseModel):
    x: int


class _B(BaseModel):
    x: int


def test_records_alike_keep_their_branch_without_generated_functions() -> None:
    """fastavro writes the branch the value belongs to (tuple notation), not
    the first record whose fields fit."""
    schema = [
        {"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]},
        {"type": "record", "name": "B", "fields": [{"name": "x", "type": "int"}]},
    ]
    codec = AvroCodec[_A | _B](message_union("AB", {"A": _A, "B": _B}), schema)
    assert codec.encode_payload(_B(x=1)) == b"\x02\x02"
    assert codec.encode_payload(_A(x=1)) == b"\x00\x02"


def test_a_union_message_travels_on_one_channel() -> None:
    asyncio.run(_union_on_a_channel())


async def _union_on_a_channel() -> None:
    """Publish takes any record of the union; the handler receives each as
    the record it is and dispatches with ``match``."""
    g = _golden("avro_messages")
    spec: ChannelSpec[Any] = ChannelSpec(
        name="orders",
        message_type="shop.order_events",
        codec=g.codecs.ORDER_EVENTS_AVRO,
        kafka=KafkaRoute(topic="orders", dead_letter="orders.dlq"),
        group="test",
        consume_from="kafka",
    )
    from svcforge.messaging import Channel

    messaging = Messaging.in_memory()
    channel: Channel[Any] = Channel(spec, messaging)
    seen: list[str] = []

    @channel.handler
    async def handle(event: Any, ctx: MessageContext) -> None:
        match event:
            case g.models.OrderPlaced():
                seen.append(f"placed {event.order_id}")
            case g.models.OrderCancelled():
                seen.append(f"cancelled {event.order_id}")

    async with messaging:
        await channel.publish(
            g.models.OrderCancelled(order_id="o-2", grace=bytes(12), refund=b"")
        )
        await messaging.drain()
        with pytest.raises(TypeError):
            await channel.publish(g.models.Labelled(label="x"))
    assert seen == ["cancelled o-2"]

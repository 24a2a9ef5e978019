"""Any value of any generated message model survives its Avro and JSON codecs.

Values come from strategies derived from the IR (``tests/strategies.py``), for
every message of every service under ``generated-examples/``.  Decoding must
give back an equal model (``==``) and, stricter, the same types, float signs,
decimal exponents and UTC offsets (``assert_same``); NaN only defeats ``==``.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from tests.examples_support import MessageCase, assert_same, message_cases
from tests.strategies import ValueStrategies, contains_nan

ROUND_TRIP = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CASES = message_cases()
AVRO_CASES = [pytest.param(c, id=c.id) for c in CASES if c.avro is not None]
ALL_CASES = [pytest.param(c, id=c.id) for c in CASES]


@functools.cache
def _strategies(case: MessageCase) -> ValueStrategies:
    return ValueStrategies(case.service, case.example.models)


def messages(case: MessageCase) -> st.SearchStrategy[BaseModel]:
    return _strategies(case).record(case.record.fullname)


def assert_decoded(original: BaseModel, decoded: BaseModel) -> None:
    if not contains_nan(original):
        assert decoded == original
    assert_same(original, decoded)


def test_every_example_has_messages() -> None:
    """The examples are found at all (an empty parametrization would pass)."""
    assert CASES, "no messages found under generated-examples/*/pyproject.toml"


@pytest.mark.parametrize("case", AVRO_CASES)
@ROUND_TRIP
@given(data=st.data())
def test_avro_round_trip(case: MessageCase, data: st.DataObject) -> None:
    """Framed Avro bytes decode to the same model, and re-encode to the same
    bytes."""
    codec = case.avro
    assert codec is not None
    message = data.draw(messages(case), label="message")
    encoded = codec.encode(message)
    assert encoded[:2] == b"\xc3\x01"
    assert encoded[2:10] == codec.fingerprint
    decoded = codec.decode(encoded)
    assert_decoded(message, decoded)
    assert codec.encode(decoded) == encoded


@pytest.mark.parametrize("case", AVRO_CASES)
@ROUND_TRIP
@given(data=st.data())
def test_avro_payload_round_trip(case: MessageCase, data: st.DataObject) -> None:
    """The bare payload is the framed bytes without the header, and decodes to
    the same model."""
    codec = case.avro
    assert codec is not None
    message = data.draw(messages(case), label="message")
    payload = codec.encode_payload(message)
    assert codec.encode(message) == codec.framing.header + payload
    assert_decoded(message, codec.decode_payload(payload))


@pytest.mark.parametrize("case", ALL_CASES)
@ROUND_TRIP
@given(data=st.data())
def test_json_round_trip(case: MessageCase, data: st.DataObject) -> None:
    """JSON text decodes to the same model, and re-encodes to the same text."""
    message = data.draw(messages(case), label="message")
    encoded = case.json.encode(message)
    decoded = case.json.decode(encoded)
    assert_decoded(message, decoded)
    assert case.json.encode(decoded) == encoded


@pytest.mark.parametrize("case", ALL_CASES)
def test_example_round_trips(case: MessageCase) -> None:
    """The generated example instance survives both codecs."""
    assert case.make_example is not None, f"no example function for {case.id}"
    message = case.make_example()
    if case.avro is not None:
        assert_decoded(message, case.avro.decode(case.avro.encode(message)))
    assert_decoded(message, case.json.decode(case.json.encode(message)))

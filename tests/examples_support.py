"""The services under ``generated-examples/``, loaded for property tests.

Every directory with a ``pyproject.toml`` is an example: its IR comes from
``generator.pipeline.load_service`` and its generated package is imported from
its own ``src`` folder, so a new example is picked up without touching the tests.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from generator import ir
from generator.pipeline import load_service
from svcforge import AvroCodec, JsonCodec

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "generated-examples"


@dataclass(frozen=True, eq=False)
class Example:
    """One example service: its IR and its imported generated modules."""

    name: str
    root: Path
    service: ir.Service
    models: ModuleType
    """The Avro models (``models.py``), else the generated package."""
    codecs: ModuleType
    examples: ModuleType | None
    package: ModuleType
    """The generated package: every message model, Avro or JSON Schema."""


@dataclass(frozen=True, eq=False, repr=False)
class MessageCase:
    """One message of one example, with what the tests need to exercise it.

    Compared and hashed by identity (IR defaults may hold lists), and shown by
    its id so that Hypothesis reports stay short."""

    example: Example
    message: ir.Message
    record: ir.Record
    model: type[BaseModel]
    avro: AvroCodec[Any] | None
    json: JsonCodec[Any]
    make_example: Callable[[], BaseModel] | None

    @property
    def id(self) -> str:
        return f"{self.example.name}:{self.record.py_name}"

    @property
    def service(self) -> ir.Service:
        return self.example.service

    def __repr__(self) -> str:
        return f"<{self.id}>"


def example_roots() -> list[Path]:
    return sorted(p.parent for p in EXAMPLES_DIR.glob("*/pyproject.toml"))


def _import_generated(root: Path, src: str, package: str) -> ModuleType:
    src_dir = str(root / src)
    if src_dir not in sys.path:
        sys.path.insert(0, src_dir)
    generated = importlib.import_module(f"{package}.generated")
    origin = Path(generated.__file__ or "").resolve()
    # Two examples with the same package name would silently share one import.
    if not origin.is_relative_to((root / src).resolve()):
        raise RuntimeError(
            f"{root.name}: {generated.__name__} was already imported from "
            f"{origin}; examples need distinct package names"
        )
    return generated


@functools.cache
def load_example(root: Path) -> Example:
    manifest, service = load_service(root)
    generated = _import_generated(root, manifest.src, manifest.package)
    base = generated.__name__
    examples: ModuleType | None = None
    if service.messages:
        examples = importlib.import_module(f"{base}.examples")
    return Example(
        name=root.name,
        root=root,
        service=service,
        models=importlib.import_module(f"{base}.models")
        if service.named_types
        else generated,
        codecs=importlib.import_module(f"{base}.codecs"),
        examples=examples,
        package=generated,
    )


def _case(example: Example, message: ir.Message) -> MessageCase:
    record = example.service.record(message.fullname)
    const = message.constant
    model = getattr(example.package, message.py_name)
    avro = getattr(example.codecs, f"{const}_AVRO", None)
    if message.encoding == "avro" and avro is None:
        raise RuntimeError(f"{example.name}: no {const}_AVRO codec for an Avro message")
    make = getattr(example.examples, message.example, None)
    return MessageCase(
        example=example,
        message=message,
        record=record,
        model=model,
        avro=avro,
        json=getattr(example.codecs, f"{const}_JSON"),
        make_example=make,
    )


def message_cases() -> list[MessageCase]:
    """Every Avro message of every example, in a stable order.  (Values of JSON
    Schema messages come from their schemas instead, with their constraints:
    ``tests/test_jsonschema_roundtrip.py``.)"""
    cases = []
    for root in example_roots():
        example = load_example(root)
        cases += [
            _case(example, m) for m in example.service.messages if m.encoding == "avro"
        ]
    return cases


def avro_cases() -> list[MessageCase]:
    return [c for c in message_cases() if c.avro is not None]


def assert_same(expected: object, actual: object, path: str = "$") -> None:
    """Stricter than ``==``: the same types (``1`` is not ``True``, a ``date``
    is not a ``datetime``), floats bit for bit in sign (``-0.0`` is not ``0.0``)
    while NaN matches NaN, decimals with the same exponent (``1.50`` is not
    ``1.5``), datetimes with the same UTC offset."""
    kind = type(expected)
    assert type(actual) is kind, f"{path}: {actual!r} is not a {kind.__name__}"
    match expected:
        case BaseModel():
            assert isinstance(actual, BaseModel)
            for name in type(expected).model_fields:
                assert_same(
                    getattr(expected, name), getattr(actual, name), f"{path}.{name}"
                )
        case float():
            assert isinstance(actual, float)
            if math.isnan(expected):
                assert math.isnan(actual), f"{path}: {actual!r} is not NaN"
            else:
                assert expected == actual, f"{path}: {actual!r} != {expected!r}"
                assert math.copysign(1, expected) == math.copysign(1, actual), (
                    f"{path}: {actual!r} has another sign than {expected!r}"
                )
        case Decimal():
            assert isinstance(actual, Decimal)
            assert expected.as_tuple() == actual.as_tuple(), (
                f"{path}: {actual!r} is not {expected!r}"
            )
        case dt.datetime():
            assert isinstance(actual, dt.datetime)
            assert expected == actual, f"{path}: {actual!r} != {expected!r}"
            assert expected.utcoffset() == actual.utcoffset(), (
                f"{path}: {actual!r} has another UTC offset than {expected!r}"
            )
        case list() | tuple():
            assert isinstance(actual, list | tuple)
            assert len(expected) == len(actual), f"{path}: {actual!r} != {expected!r}"
            for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
                assert_same(e, a, f"{path}[{i}]")
        case dict():
            assert isinstance(actual, dict)
            assert list(expected) == list(actual), (
                f"{path}: keys {list(actual)!r} != {list(expected)!r}"
            )
            for key, value in expected.items():
                assert_same(value, actual[key], f"{path}[{key!r}]")
        case _:
            assert expected == actual, f"{path}: {actual!r} != {expected!r}"

"""Hypothesis strategies derived from the IR: valid values of generated models.

Nothing here is written per message.  Each ``ir.Type`` maps to a strategy of
the Python values the generated pydantic model holds for it, kept inside the
Avro domain of the type so that an exact round trip is a fair expectation:

* ``int``/``long`` span the full signed 32/64-bit ranges;
* ``float`` draws only float32 values (Avro writes 4 bytes), ``double`` any
  float; both include NaN, infinities and -0.0, which the JSON codec carries
  as constants;
* decimals have at most ``precision`` digits and exactly the schema's scale
  (the exponent is ``-scale``, as Avro's reader gives back);
* ``timestamp-millis``/``time-millis`` values have millisecond precision,
  ``-micros`` ones microsecond precision; ``timestamp-*`` are UTC-aware,
  ``local-timestamp-*`` naive;
* fixed values have exactly ``size`` bytes, enums draw their members, unions
  pick a branch, and records are built with their generated model class (looked
  up by ``Record.py_name``), leaving out fields with defaults now and then.

Records that refer to themselves are bounded: past ``max_depth`` nested records
a union prefers its non-record branches and arrays and maps are empty.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from types import ModuleType
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from generator import ir

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_EPOCH = dt.datetime(1970, 1, 1)

Strategy = st.SearchStrategy[Any]


def decimals(precision: int, scale: int) -> st.SearchStrategy[Decimal]:
    """Decimals with at most ``precision`` digits and exponent ``-scale``."""
    bound = 10**precision - 1
    # Built from text, not with ``scaleb``: the default context (28 digits)
    # would round values of a wider precision.
    return st.integers(-bound, bound).map(lambda n: Decimal(f"{n}E-{scale}"))


def _micros_of_day(step: int) -> st.SearchStrategy[dt.time]:
    per_day = 86_400_000_000 // step
    return st.integers(0, per_day - 1).map(
        lambda n: (_EPOCH + dt.timedelta(microseconds=n * step)).time()
    )


def _instants(step: int) -> st.SearchStrategy[dt.datetime]:
    """Naive datetimes over Python's whole range, truncated to ``step`` µs.

    ``fold`` is left at 0: it means nothing for UTC or naive instants and no
    wire format carries it."""
    return st.datetimes().map(
        lambda d: d.replace(microsecond=d.microsecond - d.microsecond % step, fold=0)
    )


def logical(t: ir.Logical, service: ir.Service) -> Strategy:
    match t.name:
        case "decimal":
            if t.fixed is not None:
                fixed = service.named(t.fixed)
                assert isinstance(fixed, ir.Fixed) and fixed.logical is not None
                return decimals(fixed.logical.precision, fixed.logical.scale)
            return decimals(t.precision, t.scale)
        case "date":
            return st.dates()
        case "time-millis":
            return _micros_of_day(1000)
        case "time-micros":
            return _micros_of_day(1)
        case "timestamp-millis":
            return _instants(1000).map(lambda d: d.replace(tzinfo=dt.UTC))
        case "timestamp-micros":
            return _instants(1).map(lambda d: d.replace(tzinfo=dt.UTC))
        case "local-timestamp-millis":
            return _instants(1000)
        case "local-timestamp-micros":
            return _instants(1)
        case "uuid":
            return st.uuids()
    raise TypeError(f"no strategy for logical type {t.name!r}")


_PRIMITIVES: dict[str, Strategy] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(*INT32),
    "long": st.integers(*INT64),
    "float": st.floats(width=32),
    "double": st.floats(),
    "bytes": st.binary(max_size=32),
    "string": st.text(max_size=16),
}


class ValueStrategies:
    """Strategies for the values of one service's types, built from its IR and
    its generated models module."""

    def __init__(
        self,
        service: ir.Service,
        models: ModuleType,
        *,
        max_depth: int = 3,
        max_size: int = 4,
    ) -> None:
        self.service = service
        self.models = models
        self.max_depth = max_depth
        self.max_size = max_size
        self._cache: dict[tuple[ir.Type, int], Strategy] = {}

    def record(self, fullname: str, depth: int = 0) -> st.SearchStrategy[BaseModel]:
        """Instances of the generated model of a record."""
        return self.of(ir.Ref(fullname), depth)

    def of(self, t: ir.Type, depth: int = 0) -> Strategy:
        key = (t, depth)
        if key not in self._cache:
            self._cache[key] = self._build(t, depth)
        return self._cache[key]

    def _build(self, t: ir.Type, depth: int) -> Strategy:
        match t:
            case ir.Primitive(name):
                return _PRIMITIVES[name]
            case ir.Logical():
                return logical(t, self.service)
            case ir.Array(items):
                if self._bounded(depth):
                    return st.just([])
                return st.lists(self.of(items, depth), max_size=self.max_size)
            case ir.Map(values):
                if self._bounded(depth):
                    return st.just({})
                return st.dictionaries(
                    st.text(max_size=8), self.of(values, depth), max_size=self.max_size
                )
            case ir.Union():
                return st.one_of([self.of(b, depth) for b in self._branches(t, depth)])
            case ir.Ref(fullname):
                return self._named(self.service.named(fullname), depth)
        raise TypeError(f"no strategy for {t!r}")

    def _bounded(self, depth: int) -> bool:
        return depth >= self.max_depth

    def _branches(self, t: ir.Union, depth: int) -> tuple[ir.Type, ...]:
        if not self._bounded(depth):
            return t.branches
        leaves = tuple(b for b in t.branches if not self._is_record(b))
        return leaves or t.branches

    def _is_record(self, t: ir.Type) -> bool:
        return isinstance(t, ir.Ref) and isinstance(
            self.service.named(t.fullname), ir.Record
        )

    def _named(self, t: ir.NamedType, depth: int) -> Strategy:
        match t:
            case ir.Enum():
                cls = getattr(self.models, t.py_name)
                assert issubclass(cls, Enum), t.py_name
                return st.sampled_from([cls[s.py_name] for s in t.symbols])
            case ir.Fixed(logical=ir.Logical(name="uuid")):
                return st.uuids()
            case ir.Fixed(logical=ir.Logical() as dec):
                return decimals(dec.precision, dec.scale)
            case ir.Fixed(size=size):
                return st.binary(min_size=size, max_size=size)
            case ir.Record():
                return self._record(t, depth)
        raise TypeError(f"no strategy for {t!r}")

    def _record(self, t: ir.Record, depth: int) -> st.SearchStrategy[BaseModel]:
        # Past max_depth only records that cannot stop (a required field of a
        # record type, all the way down) keep nesting: such a schema has no
        # finite value.
        if depth > self.max_depth + len(self.service.named_types):
            raise ValueError(f"{t.fullname} has no value of bounded depth")
        cls = getattr(self.models, t.py_name)
        assert issubclass(cls, BaseModel), t.py_name
        required: dict[str, Strategy] = {}
        optional: dict[str, Strategy] = {}
        for f in t.fields:
            fields = required if f.default is ir.MISSING else optional
            fields[f.py_name] = self.of(f.type, depth + 1)
        # Optional keys may be left out: the model then fills in the default,
        # which must round-trip like any other value.
        return st.fixed_dictionaries(required, optional=optional).map(
            lambda kwargs: cls(**kwargs)
        )


def model_values(
    service: ir.Service, models: ModuleType, fullname: str
) -> st.SearchStrategy[BaseModel]:
    """Instances of the generated model of the record ``fullname``."""
    return ValueStrategies(service, models).record(fullname)


def message_values(
    service: ir.Service, models: ModuleType, message: ir.Message
) -> st.SearchStrategy[BaseModel]:
    """Values of an Avro message: instances of its record's model, of its root
    model, or of any record of its union."""
    values = ValueStrategies(service, models)
    if message.root is None:
        return values.record(message.fullname)
    if message.kind == "union":
        return values.of(message.root)
    model = getattr(models, message.py_name)
    return values.of(message.root).map(model)


def contains_nan(value: object) -> bool:
    """Whether a model or value holds a NaN anywhere (NaN != NaN defeats ==)."""
    match value:
        case float():
            return value != value
        case BaseModel():
            return any(contains_nan(v) for v in value.__dict__.values())
        case list() | tuple():
            return any(contains_nan(v) for v in value)
        case dict():
            return any(contains_nan(v) for v in value.values())
    return False

"""IR types -> Python annotations and literal expressions (pure)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from generator import ir
from generator.emitters.pysrc import call, py_bytes, py_float, py_str

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

Imports = set[str]
"""Import statements a generated module needs (``from decimal import Decimal``);
the formatter sorts and merges them."""

_PRIMITIVE = {
    "null": "None",
    "boolean": "bool",
    "float": "float",
    "double": "float",
    "bytes": "bytes",
    "string": "str",
}


def decimal_alias(precision: int, scale: int) -> str:
    return f"Decimal{precision}_{scale}"


class TypeNamer:
    """Renders IR types as annotations of the models module."""

    def __init__(self, service: ir.Service, imports: Imports) -> None:
        self.service = service
        self.imports = imports
        self.decimals: set[tuple[int, int]] = set()

    def annotation(self, t: ir.Type) -> str:
        match t:
            case ir.Primitive("int"):
                self.imports.add("from svcforge import Int32")
                return "Int32"
            case ir.Primitive("long"):
                self.imports.add("from svcforge import Int64")
                return "Int64"
            case ir.Primitive(name):
                return _PRIMITIVE[name]
            case ir.Logical(name="decimal", fixed=str(fixed)):
                return self.service.named(fixed).py_name
            case ir.Logical():
                return self._logical(t)
            case ir.Array(items):
                return f"list[{self.annotation(items)}]"
            case ir.Map(values):
                return f"dict[str, {self.annotation(values)}]"
            case ir.Union(branches):
                parts = [self.annotation(b) for b in branches if b != ir.NULL]
                if len(parts) < len(branches):
                    parts.append("None")
                # float and double are both ``float``: name each type once.
                return " | ".join(dict.fromkeys(parts))
            case ir.Ref(fullname):
                return self.service.named(fullname).py_name
        raise TypeError(t)

    def _logical(self, t: ir.Logical) -> str:
        name = t.name
        if name == "decimal":
            self.decimals.add((t.precision, t.scale))
            return decimal_alias(t.precision, t.scale)
        if name == "date":
            self.imports.add("from datetime import date")
            return "date"
        if name.startswith("time-"):
            self.imports.add("from datetime import time")
            return "time"
        if name.startswith("timestamp-"):
            self.imports.add("from pydantic import AwareDatetime")
            return "AwareDatetime"
        if name.startswith("local-timestamp-"):
            self.imports.add("from pydantic import NaiveDatetime")
            return "NaiveDatetime"
        self.imports.add("from uuid import UUID")
        return "UUID"


class Literals:
    """Python expressions for values given in Avro's JSON encoding."""

    def __init__(self, service: ir.Service, imports: Imports) -> None:
        self.service = service
        self.imports = imports

    def expr(self, value: Any, t: ir.Type) -> str:
        match t:
            case ir.Union(branches):
                return self.expr(value, branches[0])
            case ir.Primitive("null"):
                return "None"
            case ir.Primitive("boolean"):
                return "True" if value else "False"
            case ir.Primitive("int" | "long"):
                return str(int(value))
            case ir.Primitive("float" | "double"):
                return py_float(float(value))
            case ir.Primitive("string"):
                return py_str(str(value))
            case ir.Primitive("bytes"):
                return py_bytes(str(value).encode("latin-1"))
            case ir.Logical():
                return self.value(logical_value(value, t, self.service))
            case ir.Array(items):
                return "[" + ", ".join(self.expr(v, items) for v in value) + "]"
            case ir.Map(values):
                pairs = (
                    f"{py_str(k)}: {self.expr(v, values)}" for k, v in value.items()
                )
                return "{" + ", ".join(pairs) + "}"
            case ir.Ref(fullname):
                return self._named(value, self.service.named(fullname))
        raise TypeError(t)

    def _named(self, value: Any, t: ir.NamedType) -> str:
        if isinstance(t, ir.Enum):
            member = next(s.py_name for s in t.symbols if s.name == value)
            return f"{t.py_name}.{member}"
        if isinstance(t, ir.Fixed):
            if t.logical is not None:
                return self.value(logical_value(value, t.logical, self.service))
            return py_bytes(str(value).encode("latin-1"))
        args = (
            f"{f.py_name}={self.expr(value[f.name], f.type)}"
            for f in t.fields
            if f.name in value
        )
        return call(t.py_name, args)

    def value(self, value: Any) -> str:
        """A Python expression for an already converted Python value."""
        if isinstance(value, Decimal):
            self.imports.add("from decimal import Decimal")
            return _call("Decimal", py_str(str(value)))
        if isinstance(value, dt.datetime):
            self.imports.add("from datetime import datetime")
            args = [
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
            ]
            if value.tzinfo is not None:
                self.imports.add("from datetime import UTC")
                return _call("datetime", *map(str, args), "tzinfo=UTC")
            return _call("datetime", *map(str, args))
        if isinstance(value, dt.date):
            self.imports.add("from datetime import date")
            return _call("date", str(value.year), str(value.month), str(value.day))
        if isinstance(value, dt.time):
            self.imports.add("from datetime import time")
            args = [value.hour, value.minute, value.second, value.microsecond]
            return _call("time", *map(str, args))
        if isinstance(value, uuid.UUID):
            self.imports.add("from uuid import UUID")
            return _call("UUID", py_str(str(value)))
        if isinstance(value, bytes):
            return py_bytes(value)
        if isinstance(value, float):
            return py_float(value)
        return repr(value)


def _call(name: str, *args: str) -> str:
    return call(name, args)


def logical_value(value: Any, t: ir.Logical, service: ir.Service) -> Any:
    """Convert a default written in Avro's JSON encoding (the underlying type's
    value) to the Python value of the logical type."""
    name = t.name
    if name == "date":
        return dt.date(1970, 1, 1) + dt.timedelta(days=int(value))
    if name in ("time-millis", "time-micros"):
        micros = int(value) * (1000 if name == "time-millis" else 1)
        return (dt.datetime.min + dt.timedelta(microseconds=micros)).time()
    if name.endswith("timestamp-millis") or name.endswith("timestamp-micros"):
        micros = int(value) * (1000 if name.endswith("millis") else 1)
        moment = _EPOCH + dt.timedelta(microseconds=micros)
        return moment if not name.startswith("local-") else moment.replace(tzinfo=None)
    if name == "uuid":
        if t.fixed:
            return uuid.UUID(bytes=str(value).encode("latin-1"))
        return uuid.UUID(str(value))
    raw = str(value).encode("latin-1")
    unscaled = int.from_bytes(raw, "big", signed=True) if raw else 0
    # Exact whatever the size: no context rounds or overflows a tuple.
    sign, digits, _ = Decimal(unscaled).as_tuple()
    return Decimal((sign, digits, -t.scale))

"""Example messages: one deterministic, valid instance per message, for the
generated tests, the team's own tests and demos."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from jinja2 import Environment

from generator import ir
from generator.avro_schema import message_sources
from generator.emitters.pysrc import (
    INDENT,
    call,
    header,
    imports,
    json_expr,
    py_bytes,
    py_str,
    spread_item,
)
from generator.emitters.pytypes import Imports, Literals

# The example value of each primitive type but string (named after its field).
_PRIMITIVES = {
    "null": "None",
    "boolean": "True",
    "int": "7",
    "long": "1700000000123",
    "float": "1.5",
    "double": "1.5",
    "bytes": 'b"\\x00\\x01\\xfe\\xff"',
}


class _Examples:
    def __init__(self, service: ir.Service, imports: Imports) -> None:
        self.service = service
        self.imports = imports
        self.literals = Literals(service, imports)
        self.used: set[str] = set()

    def expr(self, t: ir.Type, hint: str, stack: tuple[str, ...]) -> str:
        match t:
            case ir.Primitive("string"):
                return py_str(hint)
            case ir.Primitive(name):
                return _PRIMITIVES[name]
            case ir.Logical():
                return self.literals.value(self._logical(t))
            case ir.Array(items):
                if self._recurses(items, stack):
                    return "[]"
                return f"[{spread_item(self.expr(items, hint, stack))}]"
            case ir.Map(values):
                if self._recurses(values, stack):
                    return "{}"
                return f'{{"key": {spread_item(self.expr(values, hint, stack))}}}'
            case ir.Union(branches):
                for b in branches:
                    if b != ir.NULL and not self._recurses(b, stack):
                        return self.expr(b, hint, stack)
                return "None"
            case ir.Ref(fullname):
                return self.named(self.service.named(fullname), stack)
        raise TypeError(t)

    def _recurses(self, t: ir.Type, stack: tuple[str, ...]) -> bool:
        return isinstance(t, ir.Ref) and t.fullname in stack

    def _logical(self, t: ir.Logical) -> object:
        match t.name:
            case "date":
                return dt.date(2024, 3, 15)
            case "time-millis" | "time-micros":
                return dt.time(9, 30, 15, 250000)
            case "timestamp-millis" | "timestamp-micros":
                return dt.datetime(2024, 3, 15, 9, 30, 15, 250000, tzinfo=dt.UTC)
            case "local-timestamp-millis" | "local-timestamp-micros":
                return dt.datetime(2024, 3, 15, 9, 30, 15, 250000)
            case "uuid":
                return uuid.UUID("6f1c2a5e-4b7d-4e8a-9c3f-2d1b0a9e8f7c")
        whole = "1" if t.precision > t.scale else "0"
        frac = ("25" + "0" * min(t.scale, 32))[: t.scale]
        return Decimal(f"{whole}.{frac}" if t.scale else whole)

    def named(self, t: ir.NamedType, stack: tuple[str, ...]) -> str:
        if isinstance(t, ir.Enum):
            self.used.add(t.py_name)
            return f"{t.py_name}.{t.symbols[0].py_name}"
        if isinstance(t, ir.Fixed):
            if t.logical is not None:
                return self.literals.value(self._logical(t.logical))
            if t.size > 32:
                return f"bytes({t.size})"
            return py_bytes(bytes(range(t.size)))
        self.used.add(t.py_name)
        args = (
            f"{f.py_name}={self.expr(f.type, f.name, (*stack, t.fullname))}"
            for f in t.fields
        )
        # One argument per line with a magic trailing comma: ruff format keeps
        # that layout whatever the line length, and examples read better so.
        return call(t.py_name, args, magic=True)


def json_example_body(service: ir.Service, message: ir.Message) -> str:
    """``Model.model_validate({...})`` of a JSON Schema message's example
    instance (wire names as keys, as JSON has them)."""
    assert service.json_models is not None
    example = next(
        m.example
        for m in service.json_models.messages
        if m.fullname == message.fullname
    )
    return f"{message.fullname}.model_validate({json_expr(example)})"


def emit_examples(service: ir.Service, env: Environment) -> dict[str, str]:
    """``examples.py``: an ``example_<message>()`` function per message."""
    if not service.messages:
        return {}
    needed: Imports = set()
    ex = _Examples(service, needed)
    functions = []
    for m in service.messages:
        name = m.example
        if m.encoding == "json":
            # JSON Schema messages: the example instance, validated.
            needed.add(f"from .{m.module} import {m.py_name}")
            body = f"{INDENT}return {json_example_body(service, m)}"
        elif m.kind == "union":
            # A union message's example is its first record's.
            assert isinstance(m.root, ir.Union) and isinstance(
                m.root.branches[0], ir.Ref
            )
            first = service.named(m.root.branches[0].fullname)
            body = f"{INDENT}return {ex.named(first, ())}"
        elif m.root is not None:
            value = ex.expr(m.root, m.fullname.rpartition(".")[2], ())
            body = f"{INDENT}return {m.py_name}({value})"
        else:
            body = f"{INDENT}return {ex.named(service.record(m.fullname), ())}"
        if m.encoding != "json":
            ex.used.add(m.py_name)
        functions.append(
            {
                "signature": f"def {name}() -> {m.py_name}:",
                "model": m.py_name,
                "body": body,
            }
        )
    needed |= {f"from .models import {name}" for name in ex.used}
    text = env.get_template("examples.py.j2").render(
        header=header(message_sources(service, service.messages)),
        import_block=imports(needed),
        functions=functions,
    )
    return {f"{service.generated_dir}/examples.py": text}

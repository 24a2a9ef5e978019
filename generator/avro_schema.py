"""IR -> self-contained Avro schema JSON for one message (pure).

Each named type is written in full at its first use and by full name after
that, so the result parses on its own with fastavro and the Apache library.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from generator import ir


def message_schema(service: ir.Service, fullname: str) -> dict[str, Any]:
    written: set[str] = set()
    schema = _named(service, service.named(fullname), written)
    assert isinstance(schema, dict)
    return schema


def named_schema(service: ir.Service, t: ir.NamedType) -> dict[str, Any]:
    """One named type alone: the other named types it uses by full name."""
    others = {n.fullname for n in service.named_types} - {t.fullname}
    schema = _named(service, t, others)
    assert isinstance(schema, dict)
    return schema


def message_type(message: ir.Message) -> ir.Type:
    """The schema of an Avro message as an IR type: its record, or the type
    of a ``root`` or ``union`` message."""
    return message.root if message.root is not None else ir.Ref(message.fullname)


def type_message_schema(service: ir.Service, t: ir.Type) -> Any:
    """The self-contained schema of a message of type ``t``."""
    return type_schema(service, t, set())


def root_schema(service: ir.Service, t: ir.Type) -> Any:
    """The schema of a root or union message with its named types by full
    name only (``svcforge.avro_root_schema`` writes them in full at import); a
    primitive as an object, ``{"type": "string"}``, as codecs take objects."""
    schema = type_schema(service, t, {n.fullname for n in service.named_types})
    if isinstance(schema, str) and schema in _PRIMITIVES:
        return {"type": schema}
    return schema


_PRIMITIVES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)


def reachable(service: ir.Service, fullname: str) -> list[ir.NamedType]:
    """The named types a message's schema holds (itself included), sorted."""
    return reachable_from(service, ir.Ref(fullname))


def reachable_from(service: ir.Service, t: ir.Type) -> list[ir.NamedType]:
    """The named types a value of ``t`` may hold, sorted."""
    seen: dict[str, ir.NamedType] = {}
    stack = sorted(_refs(t))
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        named = seen[name] = service.named(name)
        if isinstance(named, ir.Record):
            for f in named.fields:
                stack.extend(sorted(_refs(f.type)))
    return [seen[n] for n in sorted(seen)]


def message_sources(service: ir.Service, messages: Iterable[ir.Message]) -> set[str]:
    """Every schema file the given messages are built from: an Avro message's
    file and the files of the named types it uses; for a JSON Schema message,
    every JSON Schema file (its ``$ref``s may reach any of them)."""
    sources: set[str] = set()
    for m in messages:
        sources.add(m.source)
        if m.encoding == "avro":
            types = reachable_from(service, message_type(m))
            sources |= {t.span.path for t in types}
        elif service.json_models is not None:
            sources |= set(service.json_models.sources)
    return sources


def _refs(t: ir.Type) -> set[str]:
    match t:
        case ir.Ref(fullname) | ir.Logical(fixed=str(fullname)):
            return {fullname}
        case ir.Array(items):
            return _refs(items)
        case ir.Map(values):
            return _refs(values)
        case ir.Union(branches):
            return set().union(*(_refs(b) for b in branches))
    return set()


def _named(
    service: ir.Service, t: ir.NamedType, written: set[str]
) -> dict[str, Any] | str:
    if t.fullname in written:
        return t.fullname
    written.add(t.fullname)
    kind = "record" if isinstance(t, ir.Record) else type(t).__name__.lower()
    out: dict[str, Any] = {"type": kind, "name": t.fullname}
    if "." not in t.fullname:
        # Written inside a record of some namespace, a name without a dot
        # would take that namespace: say that it has none.
        out["namespace"] = ""
    if t.doc:
        out["doc"] = t.doc
    if t.aliases:
        out["aliases"] = list(t.aliases)
    if isinstance(t, ir.Record):
        out["fields"] = [_field(service, f, written) for f in t.fields]
    elif isinstance(t, ir.Enum):
        out["symbols"] = [s.name for s in t.symbols]
        if t.default is not None:
            out["default"] = t.default
    else:
        out["size"] = t.size
        if t.logical is not None:
            out["logicalType"] = t.logical.name
            if t.logical.name == "decimal":
                out["precision"] = t.logical.precision
                out["scale"] = t.logical.scale
    return out


def _field(service: ir.Service, f: ir.Field, written: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": f.name,
        "type": type_schema(service, f.type, written),
    }
    if f.doc:
        out["doc"] = f.doc
    if f.default is not ir.MISSING:
        out["default"] = f.default
    if f.order != "ascending":
        out["order"] = f.order
    if f.aliases:
        out["aliases"] = list(f.aliases)
    return out


def type_schema(service: ir.Service, t: ir.Type, written: set[str]) -> Any:
    match t:
        case ir.Primitive(name):
            return name
        case ir.Logical(name="decimal", fixed=str(fixed)):
            return _named(service, service.named(fixed), written)
        case ir.Logical(name="decimal", precision=p, scale=s):
            return {
                "type": "bytes",
                "logicalType": "decimal",
                "precision": p,
                "scale": s,
            }
        case ir.Logical(name=name, base=base):
            return {"type": base, "logicalType": name}
        case ir.Array(items):
            return {"type": "array", "items": type_schema(service, items, written)}
        case ir.Map(values):
            return {"type": "map", "values": type_schema(service, values, written)}
        case ir.Union(branches):
            return [type_schema(service, b, written) for b in branches]
        case ir.Ref(fullname):
            return _named(service, service.named(fullname), written)
    raise TypeError(t)

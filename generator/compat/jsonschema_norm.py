"""JSON Schema nodes flattened for comparison, and a small validator.

A bundle (``ir.JsonSchemaDef``s, ``$ref``s pointing at ``#/$defs/<name>``) is
one side.  ``flatten`` follows ``$ref`` and merges ``allOf`` into one ``Norm``
holding, per keyword, everything an instance must satisfy: a conjunction
stays exact because lists are kept (every pattern, every ``multipleOf``, each
conjunct's own ``additionalProperties`` with the names it declares).  Only the
keywords the JSON Schema front-end accepts appear here.
"""

from __future__ import annotations

import ipaddress
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from generator import ir
from generator.jsonsource import JsonDocument

TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
_LOWER = {"minimum": False, "exclusiveMinimum": True}
_UPPER = {"maximum": False, "exclusiveMaximum": True}


@dataclass(frozen=True, slots=True)
class Node:
    """A schema and where it sits: (name in the bundle, pointer inside it)."""

    schema: Any
    where: tuple[str, str]


@dataclass(slots=True)
class Norm:
    types: set[str] | None = None
    """Allowed instance types (``None``: any); ``integer`` inside ``number``."""
    values: list[Any] | None = None
    """``enum``/``const``: the only values allowed."""
    props: dict[str, list[Node]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    extras: list[tuple[frozenset[str], Node]] = field(default_factory=list)
    """Each conjunct's ``additionalProperties`` (not ``true``) with the names
    that conjunct declares: a property outside them must match it."""
    items: list[Node] = field(default_factory=list)
    lower: tuple[float, bool, Node] | None = None
    upper: tuple[float, bool, Node] | None = None
    counts: dict[str, tuple[int, Node]] = field(default_factory=dict)
    """minLength, maxLength, minItems, maxItems: the tightest of each."""
    multiples: list[tuple[float, Node]] = field(default_factory=list)
    patterns: list[tuple[str, Node]] = field(default_factory=list)
    formats: list[tuple[str, Node]] = field(default_factory=list)
    unique: Node | None = None
    unions: list[tuple[str, list[Node], Node]] = field(default_factory=list)
    """(``oneOf`` or ``anyOf``, branches, the node declaring it)."""
    origin: Node | None = None


@dataclass(slots=True)
class Side:
    """One version of a service's JSON Schema bundle, and the folder its files
    are in (to tell where a node was written)."""

    defs: dict[str, ir.JsonSchemaDef]
    documents: dict[str, JsonDocument] = field(default_factory=dict)

    @classmethod
    def of(
        cls, schemas: tuple[ir.JsonSchemaDef, ...], documents: dict[str, JsonDocument]
    ) -> Side:
        return cls({d.name: d for d in schemas}, documents)

    def span(self, where: tuple[str, str]) -> ir.Span:
        d = self.defs.get(where[0])
        if d is None:
            return ir.Span("")
        doc = self.documents.get(d.source)
        if doc is None:
            return ir.Span(d.source, 1, 1)
        return doc.span(d.pointer + where[1])

    def node(self, name: str) -> Node:
        return Node(self.defs[name].schema, (name, ""))

    def resolve(self, ref: str) -> Node | None:
        if not ref.startswith("#/$defs/"):
            return None
        name, _, rest = ref[len("#/$defs/") :].partition("/")
        if name not in self.defs:
            return None
        value: Any = self.defs[name].schema
        ptr = ""
        for token in rest.split("/") if rest else ():
            key = token.replace("~1", "/").replace("~0", "~")
            if isinstance(value, list) and key.isdigit():
                value = value[int(key)]
            elif isinstance(value, dict) and key in value:
                value = value[key]
            else:
                return None
            ptr += "/" + token
        return Node(value, (name, ptr))


def child(node: Node, *keys: str | int) -> Node:
    value = node.schema
    ptr = node.where[1]
    for key in keys:
        value = value[key]
        ptr += "/" + str(key).replace("~", "~0").replace("/", "~1")
    return Node(value, (node.where[0], ptr))


Where = tuple[str, str]


def flatten(
    side: Side, nodes: list[Node], skip: frozenset[Where] = frozenset()
) -> Norm:
    """Everything the conjunction of ``nodes`` requires, in one ``Norm``;
    the unions declared at ``skip`` are left out (a check that distributes
    over a union's branches leaves that union out)."""
    out = Norm(origin=nodes[0] if nodes else None)
    for node in nodes:
        _merge(side, node, out, skip, 0)
    return out


def _merge(
    side: Side, node: Node, out: Norm, skip: frozenset[Where], depth: int
) -> None:
    schema = node.schema
    if schema is True or depth > 64:
        return
    if schema is False:
        out.types = set()
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = side.resolve(ref)
        if target is not None:
            _merge(side, target, out, skip, depth + 1)
    for i, _ in enumerate(schema.get("allOf", ())):
        _merge(side, child(node, "allOf", i), out, skip, depth + 1)
    _merge_type(schema, out)
    _merge_object(node, out)
    _merge_constraints(node, out)
    for kind in ("oneOf", "anyOf"):
        branches = schema.get(kind)
        declared = child(node, kind) if kind in schema else None
        if isinstance(branches, list) and declared and declared.where not in skip:
            nodes = [child(node, kind, i) for i in range(len(branches))]
            out.unions.append((kind, nodes, declared))
    if "items" in schema:
        out.items.append(child(node, "items"))


def _merge_type(schema: dict[str, Any], out: Norm) -> None:
    kind = schema.get("type")
    if kind is not None:
        kinds = set(kind if isinstance(kind, list) else [kind])
        if "number" in kinds:
            kinds.add("integer")
        out.types = kinds if out.types is None else out.types & kinds
    literal: list[Any] | None = None
    if "const" in schema:
        literal = [schema["const"]]
    if isinstance(schema.get("enum"), list):
        enum = list(schema["enum"])
        literal = enum if literal is None else [v for v in literal if _member(v, enum)]
    if literal is not None:
        out.values = (
            literal
            if out.values is None
            else [v for v in out.values if _member(v, literal)]
        )


def _merge_object(node: Node, out: Norm) -> None:
    schema = node.schema
    props = schema.get("properties")
    names: frozenset[str] = frozenset(props) if isinstance(props, dict) else frozenset()
    for name in sorted(names):
        out.props.setdefault(name, []).append(child(node, "properties", name))
    required = schema.get("required")
    if isinstance(required, list):
        out.required |= {r for r in required if isinstance(r, str)}
    extra = schema.get("additionalProperties", True)
    if extra is not True and extra != {}:
        out.extras.append((names, child(node, "additionalProperties")))


def _merge_constraints(node: Node, out: Norm) -> None:
    schema = node.schema
    for key, exclusive in _LOWER.items():
        value = schema.get(key)
        if _number(value) and _tighter_lower((value, exclusive), out.lower):
            out.lower = (value, exclusive, child(node, key))
    for key, exclusive in _UPPER.items():
        value = schema.get(key)
        if _number(value) and _tighter_upper((value, exclusive), out.upper):
            out.upper = (value, exclusive, child(node, key))
    for key in ("minLength", "minItems", "maxLength", "maxItems"):
        value = schema.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        have = out.counts.get(key)
        better = key.startswith("min") and (have is None or value > have[0])
        better |= key.startswith("max") and (have is None or value < have[0])
        if better:
            out.counts[key] = (value, child(node, key))
    if _number(schema.get("multipleOf")):
        out.multiples.append((schema["multipleOf"], child(node, "multipleOf")))
    if isinstance(schema.get("pattern"), str):
        out.patterns.append((schema["pattern"], child(node, "pattern")))
    if isinstance(schema.get("format"), str):
        out.formats.append((schema["format"], child(node, "format")))
    if schema.get("uniqueItems") is True:
        out.unique = child(node, "uniqueItems")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _tighter_lower(
    new: tuple[float, bool], have: tuple[float, bool, Node] | None
) -> bool:
    return have is None or new[0] > have[0] or (new[0] == have[0] and new[1])


def _tighter_upper(
    new: tuple[float, bool], have: tuple[float, bool, Node] | None
) -> bool:
    return have is None or new[0] < have[0] or (new[0] == have[0] and new[1])


def _member(value: Any, values: list[Any]) -> bool:
    return any(same_value(value, v) for v in values)


def same_value(a: Any, b: Any) -> bool:
    """JSON equality: ``1 == 1.0`` but ``true != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            same_value(x, y) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return bool(type(a) is type(b) or (_number(a) and _number(b))) and a == b


def type_of(value: Any) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "boolean"
        case int():
            return "integer"
        case float():
            return "integer" if value.is_integer() else "number"
        case str():
            return "string"
        case list():
            return "array"
    return "object"


def allows_type(types: set[str] | None, kind: str) -> bool:
    return types is None or kind in types or (kind == "integer" and "number" in types)


# --- a small validator, for enum and const values -------------------------------


def accepts(side: Side, nodes: list[Node], value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is valid under the conjunction of ``nodes``."""
    if depth > 32:
        return True
    norm = flatten(side, nodes)
    if not allows_type(norm.types, type_of(value)):
        return False
    if norm.values is not None and not _member(value, norm.values):
        return False
    if not _accepts_scalar(norm, value):
        return False
    if isinstance(value, dict) and not _accepts_object(side, norm, value, depth):
        return False
    if isinstance(value, list):
        if norm.unique is not None and _has_repeats(value):
            return False
        if not all(accepts(side, norm.items, v, depth + 1) for v in value):
            return False
    for kind, branches, _ in norm.unions:
        hits = sum(accepts(side, [b], value, depth + 1) for b in branches)
        if hits == 0 or (kind == "oneOf" and hits > 1):
            return False
    return True


def _accepts_scalar(norm: Norm, value: Any) -> bool:
    if _number(value):
        if norm.lower and (
            value < norm.lower[0] or (norm.lower[1] and value == norm.lower[0])
        ):
            return False
        if norm.upper and (
            value > norm.upper[0] or (norm.upper[1] and value == norm.upper[0])
        ):
            return False
        if any(not _is_multiple(value, m) for m, _ in norm.multiples):
            return False
    size = len(value) if isinstance(value, str | list) else None
    if size is not None:
        prefix = "Length" if isinstance(value, str) else "Items"
        low = norm.counts.get("min" + prefix)
        high = norm.counts.get("max" + prefix)
        if (low and size < low[0]) or (high and size > high[0]):
            return False
    if isinstance(value, str):
        if any(re.search(p, value) is None for p, _ in norm.patterns):
            return False
        if any(not format_ok(f, value) for f, _ in norm.formats):
            return False
    return True


def _accepts_object(side: Side, norm: Norm, value: dict[str, Any], depth: int) -> bool:
    if not norm.required <= value.keys():
        return False
    for key, item in value.items():
        if key in norm.props and not accepts(side, norm.props[key], item, depth + 1):
            return False
        for names, extra in norm.extras:
            if key not in names and not accepts(side, [extra], item, depth + 1):
                return False
    return True


def _has_repeats(items: list[Any]) -> bool:
    return any(same_value(a, b) for i, a in enumerate(items) for b in items[i + 1 :])


def _is_multiple(value: float, step: float) -> bool:
    quotient = value / step
    return math.isclose(quotient, round(quotient), rel_tol=0, abs_tol=1e-9)


def format_ok(name: str, value: str) -> bool:
    """The formats the generated models check; others are annotations."""
    checks = {
        "uuid": lambda v: bool(uuid.UUID(v)) and len(v) == 36,
        "date": date.fromisoformat,
        "date-time": lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")).tzinfo,
        "email": lambda v: re.fullmatch(r"[^@\s]+@[^@\s]+", v),
        "ipv4": ipaddress.IPv4Address,
        "ipv6": ipaddress.IPv6Address,
    }
    check = checks.get(name)
    if check is None:
        return True
    try:
        return check(value) is not None
    except ValueError:
        return False

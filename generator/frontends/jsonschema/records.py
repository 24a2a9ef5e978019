"""The Python attributes of the classes in the bundle, and a record per
JSON Schema message (its top-level properties as IR fields, so that channels
can key on them).

svcforge names every top-level property of every class it names (messages
and definitions) with ``naming.field_names``, as for Avro, and hands the names
to datamodel-code-generator as scoped aliases (``"Class.wire": attribute``).
A class that extends others (``allOf`` with a ``$ref``) keeps their
attributes for the properties it inherits.  Read from the bundle alone:
nothing here depends on the generated code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator import ir
from generator.json_names import property_attributes
from generator.jsonsource import JsonDocument, pointer

_PREFIX = "#/$defs/"


@dataclass(slots=True)
class ClassNames:
    """Attributes of the bundle's classes, worked out on demand."""

    defs: dict[str, Any]
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    def of(self, name: str, seen: frozenset[str] = frozenset()) -> dict[str, str]:
        """wire -> attribute of every top-level property of the class ``name``
        (inherited ones first)."""
        if name in self.attributes:
            return self.attributes[name]
        node = self.defs.get(name)
        inherited: dict[str, str] = {}
        for base in _bases(node):
            if base not in seen and base != name:
                for wire, attr in self.of(base, seen | {name}).items():
                    inherited.setdefault(wire, attr)
        out = property_attributes(_own(node), inherited)
        self.attributes[name] = out
        return out

    def aliases(self) -> tuple[tuple[str, str], ...]:
        """``("Class.wire", attribute)`` of every class, where the attribute
        is not the wire name, sorted."""
        out = []
        for name in sorted(self.defs):
            for wire, attr in self.of(name).items():
                if attr != wire:
                    out.append((f"{name}.{wire}", attr))
        return tuple(sorted(out))


def is_class(
    defs: dict[str, Any], node: Any, seen: frozenset[int] = frozenset()
) -> bool:
    """Whether datamodel-code-generator makes a model class (rather than a
    ``RootModel``) of a bundled schema."""
    if not isinstance(node, dict) or id(node) in seen:
        return False
    if isinstance(node.get("properties"), dict):
        return True
    if "oneOf" in node or "anyOf" in node:
        return False  # a union of variants
    if node.get("type") == "object" and not (
        isinstance(node.get("additionalProperties"), dict)
        or "patternProperties" in node
    ):
        return True
    parts = node.get("allOf")
    for part in parts if isinstance(parts, list) else ():
        target = _target(defs, part) if isinstance(part, dict) else None
        if is_class(defs, target if target is not None else part, seen | {id(node)}):
            return True
    return False


def message_record(
    names: ClassNames, name: str, doc: JsonDocument, spans: dict[str, ir.Span]
) -> ir.Record:
    """The record of the message ``name`` (a class, not a root model)."""
    node = names.defs[name]
    fields = []
    for wire, attr in names.of(name).items():
        prop, required, default = _property(names.defs, node, wire, frozenset())
        kind = _key_type(_resolved(names.defs, prop))
        missing = not required and not default
        fields.append(
            ir.Field(
                name=wire,
                py_name=attr,
                type=ir.Union((kind, ir.NULL)) if missing else kind,
                span=spans.get(wire, doc.span("")),
                doc=_description(names.defs, prop),
            )
        )
    return ir.Record(
        fullname=name,
        py_name=name,
        fields=tuple(fields),
        span=doc.span(""),
        doc=str(doc.value.get("description", "")),
    )


def property_spans(doc: JsonDocument, registry_expand: Any) -> dict[str, ir.Span]:
    """Where each top-level property of a message is declared (its own file
    or the file of a definition it extends)."""
    out: dict[str, ir.Span] = {}
    for d, ptr, node in registry_expand:
        props = node.get("properties")
        for wire in props if isinstance(props, dict) else ():
            out.setdefault(wire, d.span(pointer(pointer(ptr, "properties"), wire)))
    return out


def _target(defs: dict[str, Any], node: dict[str, Any]) -> Any:
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith(_PREFIX):
        return None
    name, _, rest = ref[len(_PREFIX) :].partition("/")
    target = defs.get(name)
    for token in rest.split("/") if rest else ():
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict):
            target = target.get(key)
        elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
            target = target[int(key)]
        else:
            return None
    return target


def _bases(node: Any) -> list[str]:
    """The classes a class extends: its ``allOf`` parts that are plain
    references to a definition."""
    parts = node.get("allOf") if isinstance(node, dict) else None
    out = []
    for part in parts if isinstance(parts, list) else ():
        ref = part.get("$ref") if isinstance(part, dict) else None
        if isinstance(ref, str) and ref.startswith(_PREFIX) and "/" not in ref[8:]:
            out.append(ref[len(_PREFIX) :])
    return out


def _own(node: Any) -> list[str]:
    """The properties a class declares itself, with those of its inline
    ``allOf`` parts (which datamodel-code-generator merges into it)."""
    if not isinstance(node, dict):
        return []
    wires = (
        list(node.get("properties") or {})
        if isinstance(node.get("properties"), dict)
        else []
    )
    for part in node.get("allOf") or [] if isinstance(node.get("allOf"), list) else []:
        if isinstance(part, dict) and "$ref" not in part:
            wires += _own(part)
    return wires


def _property(
    defs: dict[str, Any], node: Any, wire: str, seen: frozenset[int]
) -> tuple[Any, bool, bool]:
    """The schema of property ``wire`` of a class, whether it is required and
    whether it has a default."""
    if not isinstance(node, dict) or id(node) in seen:
        return None, False, False
    seen = seen | {id(node)}
    required = (
        wire in (node.get("required") or [])
        if isinstance(node.get("required"), list)
        else False
    )
    props = node.get("properties")
    if isinstance(props, dict) and wire in props:
        prop = props[wire]
        default = isinstance(prop, dict) and "default" in prop
        return prop, required, default
    for part in node.get("allOf") or [] if isinstance(node.get("allOf"), list) else []:
        target = _target(defs, part) if isinstance(part, dict) else None
        found, req, default = _property(
            defs, target if target is not None else part, wire, seen
        )
        if found is not None:
            return found, req or required, default
    return None, required, False


def _resolved(defs: dict[str, Any], node: Any) -> Any:
    for _ in range(32):
        if not isinstance(node, dict) or "$ref" not in node:
            break
        target = _target(defs, node)
        if target is None:
            break
        node = target
    return node


def _description(defs: dict[str, Any], prop: Any) -> str:
    for node in (prop, _resolved(defs, prop)):
        if isinstance(node, dict) and isinstance(node.get("description"), str):
            return str(node["description"])
    return ""


def _key_type(node: Any) -> ir.Type:
    """An IR type good enough to decide whether a property can key a channel."""
    if not isinstance(node, dict):
        return ir.Map(ir.Primitive("string"))
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if isinstance(node.get("enum"), list) and all(
        isinstance(v, str) for v in node["enum"]
    ):
        kinds = ["string"]
    base: ir.Type
    match next((k for k in kinds if k != "null"), None):
        case "string" if node.get("format") == "uuid":
            base = ir.Logical("uuid", "string")
        case "string":
            base = ir.Primitive("string")
        case "integer":
            base = ir.Primitive("long")
        case "number":
            base = ir.Primitive("double")
        case "boolean":
            base = ir.Primitive("boolean")
        case "array":
            base = ir.Array(ir.Primitive("string"))
        case _:
            base = ir.Map(ir.Primitive("string"))
    return ir.Union((base, ir.NULL)) if "null" in kinds else base

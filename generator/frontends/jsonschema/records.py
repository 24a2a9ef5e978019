"""A record per JSON Schema message: its top-level properties as IR fields,
read from the generated classes (attribute names, aliases, which may be
missing) and from the schema (types and docs), so that channels can key on
them."""

from __future__ import annotations

import ast
from typing import Any

from generator import ir
from generator.frontends.jsonschema.registry import Registry, Target
from generator.jsonsource import JsonDocument, pointer


def classes_of(code: str) -> dict[str, ast.ClassDef]:
    """The classes of a generated models module, by name."""
    tree = ast.parse(code)
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}


def message_record(
    registry: Registry,
    doc: JsonDocument,
    name: str,
    classes: dict[str, ast.ClassDef],
) -> ir.Record:
    """The record of the message ``doc``, whose class is ``name``."""
    props = _properties(registry, doc)
    fields = []
    for attr, wire, missing in _fields(name, classes):
        where, schema = props.get(wire, (doc, ""))
        target = _resolved(registry, where, schema)
        kind = _key_type(target)
        fields.append(
            ir.Field(
                name=wire,
                py_name=attr,
                type=ir.Union((kind, ir.NULL)) if missing else kind,
                span=where.span(pointer(pointer("", "properties"), wire)),
                doc=str(target.get("description", ""))
                if isinstance(target, dict)
                else "",
            )
        )
    return ir.Record(
        fullname=name,
        py_name=name,
        fields=tuple(fields),
        span=doc.span(""),
        doc=str(doc.value.get("description", "")),
    )


def _fields(name: str, classes: dict[str, ast.ClassDef]) -> list[tuple[str, str, bool]]:
    """``(attribute, wire name, may be missing)`` of a class and its generated
    bases, bases first, as pydantic orders them."""
    node = classes[name]
    out: list[tuple[str, str, bool]] = []
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id in classes and base.id != name:
            out += [f for f in _fields(base.id, classes) if f not in out]
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            attr = stmt.target.id
            if attr == "model_config":
                continue
            out = [f for f in out if f[0] != attr]
            missing = isinstance(stmt.value, ast.Name) and stmt.value.id == "MISSING"
            out.append((attr, _alias(stmt) or attr, missing))
    return out


def _alias(stmt: ast.AnnAssign) -> str | None:
    for node in ast.walk(stmt):
        if (
            isinstance(node, ast.keyword)
            and node.arg == "alias"
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    return None


def _properties(
    registry: Registry, doc: JsonDocument
) -> dict[str, tuple[JsonDocument, Any]]:
    out: dict[str, tuple[JsonDocument, Any]] = {}
    for d, node in registry.expand(doc, doc.value):
        props = node.get("properties")
        for key, value in props.items() if isinstance(props, dict) else ():
            out.setdefault(key, (d, value))
    return out


def _resolved(registry: Registry, doc: JsonDocument, node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
        target = registry.resolve(doc, node["$ref"])
        if not isinstance(target, Target):
            break
        doc, node, seen = target.doc, target.node, seen + 1
    return node


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

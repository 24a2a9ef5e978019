"""JSON Schema front-end: ``schemas/messages/**/*.json`` -> IR.

Draft 2020-12 and draft-07 files, with ``$ref`` across files (by relative path
or by ``$id``), ``$defs``/``definitions``, enums, formats, ``oneOf``/``anyOf``
with discriminators, ``allOf``, defaults and constraints.

A file whose root is a schema is a *message*; its class is named after its
``title`` (else its file name).  A file holding only ``$defs`` is a library of
definitions for the others.

The steps: every file is checked here first (``jsonschema_check``: positions
and JSON pointers in every diagnostic, unsupported keywords rejected, every
``$ref`` resolved); the files are bundled into one document
(``jsonschema_bundle``); datamodel-code-generator turns it into one module of
pydantic models, in process and once per service (``jsonschema_models``); an
example instance of each message is made (``jsonschema_example``).  The IR
holds the finished module, the messages, and a record per message describing
its top-level properties, so that channels can key on them.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.frontends.jsonschema_bundle import Bundle, bundle
from generator.frontends.jsonschema_check import Checker, Registry, Target
from generator.frontends.jsonschema_example import ExampleMaker
from generator.frontends.jsonschema_models import generate_models
from generator.jsonsource import JsonDocument, pointer


@dataclass(frozen=True, slots=True)
class JsonSchemaIR:
    models: ir.JsonModels
    records: tuple[ir.Record, ...]
    messages: tuple[ir.Message, ...]


def parse_jsonschema(documents: Sequence[JsonDocument]) -> JsonSchemaIR | None:
    """The models, records and messages of every JSON Schema file; raise
    ``SchemaError`` listing every problem found.  None when there are none."""
    if not documents:
        return None
    documents = sorted(documents, key=lambda d: d.path)
    checker, bundled = _checked_bundle(documents)
    errors = list(bundled.diagnostics)
    for m in bundled.messages:
        problem = _root_problem(checker, m.doc)
        if problem:
            errors.append(
                Diagnostic(
                    m.doc.span(""),
                    f"a message schema must be an object (at /): {problem}",
                    "put unions and scalars in a property of an object",
                )
            )
    if errors:
        raise SchemaError(errors)
    maker = ExampleMaker(checker.registry)
    examples = {m.name: maker.message(m.doc) for m in bundled.messages}
    if maker.diagnostics:
        raise SchemaError(maker.diagnostics)
    try:
        code = generate_models(bundled.schema)
    except Exception as exc:  # datamodel-code-generator reports with plain exceptions
        raise SchemaError(
            [
                Diagnostic(
                    ir.Span(documents[0].path, 1, 1),
                    f"datamodel-code-generator failed: {exc}",
                )
            ]
        ) from None
    classes = _classes(code)
    missing = [m for m in bundled.messages if m.name not in classes]
    if missing:
        raise SchemaError(
            Diagnostic(
                m.doc.span(""),
                f"datamodel-code-generator made no class {m.name!r} of this message",
                'give the schema another "title"',
            )
            for m in missing
        )
    json_messages = tuple(
        sorted(
            (
                ir.JsonMessage(
                    fullname=m.name,
                    source=m.doc.path,
                    span=m.doc.span(""),
                    example=examples[m.name],
                    doc=str(m.doc.value.get("description", "")),
                )
                for m in bundled.messages
            ),
            key=lambda m: m.fullname,
        )
    )
    records = tuple(
        _record(checker, m.doc, m.name, classes)
        for m in sorted(bundled.messages, key=lambda m: m.name)
    )
    return JsonSchemaIR(
        models=ir.JsonModels(
            code=code,
            sources=tuple(d.path for d in documents),
            messages=json_messages,
            classes=tuple(sorted(classes)),
            schemas=_schema_defs(bundled),
        ),
        records=records,
        messages=tuple(
            ir.Message(m.fullname, m.source, encoding="json") for m in json_messages
        ),
    )


def parse_jsonschema_schemas(
    documents: Sequence[JsonDocument],
) -> tuple[ir.JsonSchemaDef, ...]:
    """The bundle alone (checked, no models): for reading many revisions of
    the schemas quickly, as ``svcforge compat`` does along the history."""
    _, bundled = _checked_bundle(sorted(documents, key=lambda d: d.path))
    if bundled.diagnostics:
        raise SchemaError(bundled.diagnostics)
    return _schema_defs(bundled)


def _checked_bundle(documents: Sequence[JsonDocument]) -> tuple[Checker, Bundle]:
    registry = Registry.of(documents)
    checker = Checker(registry)
    for doc in documents:
        checker.check_document(doc)
    if checker.diagnostics:
        raise SchemaError(checker.diagnostics)
    return checker, bundle(documents, registry)


def _schema_defs(bundled: Bundle) -> tuple[ir.JsonSchemaDef, ...]:
    defs = bundled.schema["$defs"]
    return tuple(
        ir.JsonSchemaDef(name, *bundled.origins[name], schema=defs[name])
        for name in sorted(defs)
        if name in bundled.origins
    )


def _root_problem(checker: Checker, doc: JsonDocument) -> str:
    for _, node in checker.expand(doc, doc.value):
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            return ""
        if kind is not None and kind != "object":
            return f"its type is {kind!r}"
        if "oneOf" in node or "anyOf" in node:
            return "it is a union"
    return "it declares no type or properties"


def _classes(code: str) -> dict[str, ast.ClassDef]:
    tree = ast.parse(code)
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}


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


def _record(
    checker: Checker, doc: JsonDocument, name: str, classes: dict[str, ast.ClassDef]
) -> ir.Record:
    props = _properties(checker, doc)
    fields = []
    for attr, wire, missing in _fields(name, classes):
        where, schema = props.get(wire, (doc, ""))
        target = _resolved(checker, where, schema)
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


def _properties(
    checker: Checker, doc: JsonDocument
) -> dict[str, tuple[JsonDocument, Any]]:
    out: dict[str, tuple[JsonDocument, Any]] = {}
    for d, node in checker.expand(doc, doc.value):
        props = node.get("properties")
        for key, value in props.items() if isinstance(props, dict) else ():
            out.setdefault(key, (d, value))
    return out


def _resolved(checker: Checker, doc: JsonDocument, node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
        target = checker.registry.resolve(doc, node["$ref"])
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

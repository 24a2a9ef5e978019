"""JSON Schema front-end: ``schemas/messages/**/*.json`` -> IR.

Draft 2020-12 and draft-07 files, with ``$ref`` across files (by relative path
or by ``$id``), ``$defs``/``definitions``, enums, formats, ``oneOf``/``anyOf``
with discriminators, ``allOf``, defaults and constraints.

A file whose root is a schema is a *message*; its class is named after its
``title`` (else its file name).  A file holding only ``$defs`` is a library of
definitions for the others.

The steps: every file is checked first (``check``: positions and JSON pointers
in every diagnostic, unsupported keywords rejected, every ``$ref`` resolved);
the files are bundled into one document (``bundle``); an example instance of
each message is made (``examples``); datamodel-code-generator turns the bundle
into one module of pydantic models, in process and once per service
(``models``).  The IR holds the finished module, the messages, and a record per
message describing its top-level properties (``records``), so that channels can
key on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.frontends.jsonschema.bundle import Bundle, bundle
from generator.frontends.jsonschema.check import Checker
from generator.frontends.jsonschema.examples import ExampleMaker
from generator.frontends.jsonschema.models import generate_models
from generator.frontends.jsonschema.records import classes_of, message_record
from generator.frontends.jsonschema.registry import Registry
from generator.jsonsource import JsonDocument
from generator.naming import message_names


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
    registry, bundled = _checked_bundle(documents)
    errors = [*bundled.diagnostics, *_root_errors(registry, bundled)]
    if errors:
        raise SchemaError(errors)
    maker = ExampleMaker(registry)
    examples = {m.name: maker.message(m.doc) for m in bundled.messages}
    if maker.diagnostics:
        raise SchemaError(maker.diagnostics)
    code = _models(documents, bundled)
    classes = classes_of(code)
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
        message_record(registry, m.doc, m.name, classes)
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
            ir.Message(
                m.fullname,
                m.source,
                m.fullname,
                *message_names(m.fullname),
                encoding="json",
            )
            for m in json_messages
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


def _checked_bundle(documents: Sequence[JsonDocument]) -> tuple[Registry, Bundle]:
    registry = Registry.of(documents)
    checker = Checker(registry)
    for doc in documents:
        checker.check_document(doc)
    if checker.diagnostics:
        raise SchemaError(checker.diagnostics)
    return registry, bundle(documents, registry)


def _schema_defs(bundled: Bundle) -> tuple[ir.JsonSchemaDef, ...]:
    defs = bundled.schema["$defs"]
    return tuple(
        ir.JsonSchemaDef(name, *bundled.origins[name], schema=defs[name])
        for name in sorted(defs)
        if name in bundled.origins
    )


def _root_errors(registry: Registry, bundled: Bundle) -> list[Diagnostic]:
    """A message's root must be an object: its properties are the fields."""
    errors = []
    for m in bundled.messages:
        problem = _root_problem(registry, m.doc)
        if problem:
            errors.append(
                Diagnostic(
                    m.doc.span(""),
                    f"a message schema must be an object (at /): {problem}",
                    "put unions and scalars in a property of an object",
                )
            )
    return errors


def _root_problem(registry: Registry, doc: JsonDocument) -> str:
    for _, node in registry.expand(doc, doc.value):
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            return ""
        if kind is not None and kind != "object":
            return f"its type is {kind!r}"
        if "oneOf" in node or "anyOf" in node:
            return "it is a union"
    return "it declares no type or properties"


def _models(documents: Sequence[JsonDocument], bundled: Bundle) -> str:
    """The models module, with a failure of datamodel-code-generator turned
    into a diagnostic."""
    try:
        return generate_models(bundled.schema)
    except Exception as exc:  # datamodel-code-generator reports with plain exceptions
        raise SchemaError(
            [
                Diagnostic(
                    ir.Span(documents[0].path, 1, 1),
                    f"datamodel-code-generator failed: {exc}",
                )
            ]
        ) from None

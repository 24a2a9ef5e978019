"""JSON Schema front-end: ``schemas/messages/**/*.json`` -> IR.

Drafts 4, 6, 7, 2019-09 and 2020-12 (``drafts``), with ``$ref`` across files
(by relative path, ``$id`` or ``$anchor``), ``$defs``/``definitions``, and
every keyword: the models express what they can (``keywords.TYPED``), and a
message whose schema says more gets the exact validator in its codec.

A file whose root is a schema is a *message*; its class is named after its
``title`` (else its file name).  A file holding only ``$defs`` is a library of
definitions for the others.

The steps: every file is checked as written (``check``: its draft, its
meta-schema, positions and JSON pointers in every diagnostic) and normalised
to one dialect (``normalize``); every ``$ref`` must resolve (``registry``);
the files are bundled into one document, loosened where the models cannot
hold a keyword (``bundle``, ``exactness``); svcforge names the attributes of
the classes it names (``records``); an example of each message is made and
checked against the schema itself (``examples``, ``example_search``,
``exact``).  The IR holds the bundle and those names: running
datamodel-code-generator is an emitter's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.frontends.jsonschema.bundle import Bundle, BundledMessage, bundle
from generator.frontends.jsonschema.check import Checker
from generator.frontends.jsonschema.drafts import declared
from generator.frontends.jsonschema.exact import ExactSchemas
from generator.frontends.jsonschema.exactness import reasons
from generator.frontends.jsonschema.example_search import (
    NOT_FOUND,
    forbidden,
    repaired,
)
from generator.frontends.jsonschema.examples import ExampleMaker, SchemaValues
from generator.frontends.jsonschema.normalize import normalize
from generator.frontends.jsonschema.patterns import with_escaped_patterns
from generator.frontends.jsonschema.records import (
    ClassNames,
    is_class,
    message_record,
    property_spans,
)
from generator.frontends.jsonschema.registry import META, Registry, Target, file_uri
from generator.frontends.jsonschema.walk import subschemas
from generator.json_names import JSON_MODELS_MODULE
from generator.jsonsource import JsonDocument
from generator.naming import message_names


@dataclass(frozen=True, slots=True)
class JsonSchemaIR:
    models: ir.JsonModels
    records: tuple[ir.Record, ...]
    messages: tuple[ir.Message, ...]


def parse_jsonschema(documents: Sequence[JsonDocument]) -> JsonSchemaIR | None:
    """The bundle, names, records and messages of every JSON Schema file;
    raise ``SchemaError`` listing every problem found.  None when there are
    no files."""
    if not documents:
        return None
    documents = sorted(documents, key=lambda d: d.path)
    usable, registry, bundled = _checked_bundle(documents)
    exact_bundle = bundle(registry_documents(registry, usable), registry, loosen=False)
    names = ClassNames(bundled.schema["$defs"])
    builder = _Messages(registry, ExactSchemas.of(usable, registry), names)
    json_messages = [builder.message(m) for m in bundled.messages]
    errors = [*builder.diagnostics, *builder.maker.diagnostics]
    if errors:
        raise SchemaError(errors)
    messages = tuple(sorted((m for m in json_messages if m), key=lambda m: m.fullname))
    exact_paths = [m.source for m in messages if m.exact]
    return JsonSchemaIR(
        models=ir.JsonModels(
            bundle=bundled.schema,
            sources=tuple(d.path for d in documents),
            messages=messages,
            aliases=names.aliases(),
            resources=_resources(builder.exact, exact_paths),
            module=JSON_MODELS_MODULE,
            schemas=_schema_defs(exact_bundle),
        ),
        records=tuple(sorted(builder.records, key=lambda r: r.fullname)),
        messages=tuple(
            ir.Message(
                m.fullname,
                m.source,
                m.fullname,
                *message_names(m.fullname),
                encoding="json",
                module=JSON_MODELS_MODULE,
            )
            for m in messages
        ),
    )


def parse_jsonschema_schemas(
    documents: Sequence[JsonDocument],
) -> tuple[ir.JsonSchemaDef, ...]:
    """The bundle alone (checked, no models, no examples): for reading many
    revisions of the schemas quickly, as ``svcforge compat`` does along the
    history."""
    usable, registry, _ = _checked_bundle(sorted(documents, key=lambda d: d.path))
    exact = bundle(registry_documents(registry, usable), registry, loosen=False)
    return _schema_defs(exact)


def _checked_bundle(
    documents: Sequence[JsonDocument],
) -> tuple[list[JsonDocument], Registry, Bundle]:
    """The files as written that check, the registry of their normalised
    form, and their bundle; ``SchemaError`` with every problem found."""
    checker = Checker()
    documents = [replace(d, value=with_escaped_patterns(d.value)) for d in documents]
    usable = [d for d in documents if checker.check_document(d)]
    if checker.diagnostics:
        raise SchemaError(checker.diagnostics)
    normalised = [
        replace(d, value=normalize(d.value, declared(d.value))) for d in usable
    ]
    registry = Registry.of(normalised)
    for doc in normalised:
        checker.check_references(registry, doc)
    if checker.diagnostics:
        raise SchemaError(checker.diagnostics)
    bundled = bundle(normalised, registry)
    if bundled.diagnostics:
        raise SchemaError(bundled.diagnostics)
    return usable, registry, bundled


def registry_documents(
    registry: Registry, usable: Sequence[JsonDocument]
) -> list[JsonDocument]:
    """The normalised documents the registry holds, in the order of ``usable``."""
    return [registry.documents[d.path] for d in usable]


def _schema_defs(bundled: Bundle) -> tuple[ir.JsonSchemaDef, ...]:
    defs = bundled.schema["$defs"]
    origins = bundled.origins
    return tuple(
        ir.JsonSchemaDef(name, *origins[name], schema=defs[name])
        for name in sorted(defs)
        if name in origins
    )


def _resources(exact: ExactSchemas, paths: list[str]) -> tuple[ir.JsonResource, ...]:
    """The files the exact validators read, and the meta-schemas they
    refer to."""
    reached = exact.reachable(paths)
    return (
        *(exact.resource(p) for p in reached),
        *exact.meta_resources(reached),
    )


@dataclass(slots=True)
class _Messages:
    registry: Registry
    exact: ExactSchemas
    names: ClassNames
    maker: ExampleMaker = field(init=False)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    records: list[ir.Record] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.maker = ExampleMaker(self.registry)

    def message(self, m: BundledMessage) -> ir.JsonMessage | None:
        validator = self.exact.validator(m.doc.path)
        if isinstance(validator, str):
            self.diagnostics.append(
                Diagnostic(m.doc.span(""), f"the schema does not compile: {validator}")
            )
            return None
        made = self.maker.message(m.doc)
        example = repaired(validator, made, SchemaValues(self.maker, m.doc))
        if example is NOT_FOUND:
            self.diagnostics.append(
                Diagnostic(
                    m.doc.span(""),
                    "cannot find an example message that the schema accepts; "
                    f"it may accept nothing ({_first_error(validator, made)})",
                    'if it does accept something, add "examples": [...] to it',
                )
            )
            return None
        found = _Reasons(self.registry)
        found.walk(m.doc)
        why = tuple(sorted(found.keywords))
        root_model = not is_class(self.names.defs, self.names.defs[m.name])
        spans = property_spans(m.doc, self.registry.expand_at(m.doc, "", m.doc.value))
        record = message_record(self.names, m.name, m.doc, spans)
        # A root model has no fields: a channel cannot key on it.
        self.records.append(replace(record, fields=()) if root_model else record)
        return ir.JsonMessage(
            fullname=m.name,
            source=m.doc.path,
            span=m.doc.span(""),
            example=example,
            doc=str(m.doc.value.get("description", "")),
            root_model=root_model,
            exact=why,
            exact_uri=file_uri(m.doc.path) if why else "",
            forbidden=tuple(
                sorted(
                    forbidden(
                        validator,
                        example,
                        why,
                        found.values,
                        frozenset(found.ref_sites),
                        made,
                    ).items()
                )
            ),
        )


@dataclass(slots=True)
class _Reasons:
    """Every keyword only the exact validator enforces, in the schemas a
    message's root reaches; and what its tests can build instances from."""

    registry: Registry
    keywords: set[str] = field(default_factory=set)
    values: list[Any] = field(default_factory=list)
    """Consts, enum values and bounds met on the way (for ``forbidden``)."""
    ref_sites: set[str] = field(default_factory=set)
    """Pointers of ``$ref`` with asserting keywords beside them."""

    def walk(self, doc: JsonDocument) -> None:
        seen: set[tuple[str, str]] = set()
        todo: list[tuple[JsonDocument, str, Any]] = [(doc, "", doc.value)]
        while todo:
            d, at, node = todo.pop()
            if (d.path, at) in seen:
                continue
            seen.add((d.path, at))
            for ptr, sub in subschemas(node, at):
                self._node(ptr, sub)
                ref = sub.get("$ref") if isinstance(sub, dict) else None
                target = (
                    self.registry.resolve(d, ref, ptr) if isinstance(ref, str) else None
                )
                if isinstance(target, Target) and target.doc is META:
                    self.keywords.add("$ref")  # any schema: only the validator knows
                elif isinstance(target, Target):
                    todo.append((target.doc, target.ptr, target.node))

    def _node(self, ptr: str, sub: Any) -> None:
        if sub is False and ptr.rpartition("/")[2] in _CLOSING:
            return  # said by its own keyword (extra="forbid", or exact)
        found = reasons(sub)
        self.keywords |= found
        if "$ref" in found:
            self.ref_sites.add(ptr)
        if not isinstance(sub, dict):
            return
        if "const" in sub:
            self.values.append(sub["const"])
        if isinstance(sub.get("enum"), list):
            self.values.extend(sub["enum"][:8])
        for key, step in _BOUNDS.items():
            if isinstance(sub.get(key), int | float) and not isinstance(sub[key], bool):
                self.values.append(sub[key] + step)


_CLOSING = frozenset(
    {"additionalProperties", "items", "unevaluatedProperties", "unevaluatedItems"}
)
_BOUNDS = {"minimum": -1, "maximum": 1, "exclusiveMinimum": 0, "exclusiveMaximum": 0}


def _first_error(validator: Any, value: Any) -> str:
    """Where and why the schema refuses the example first made."""
    for error in validator.iter_errors(value):
        where = "".join(f"/{p}" for p in error.instance_path) or "/"
        return f"at {where} of the first try: {error.message}"
    return "no try succeeded"

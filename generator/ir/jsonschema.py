"""JSON Schema messages: the bundle datamodel-code-generator reads, and
the names svcforge decided for it."""

from __future__ import annotations

from dataclasses import dataclass

from generator.ir.base import JsonValue, Span


@dataclass(frozen=True, slots=True)
class JsonMessage:
    """A JSON Schema message: the root schema of one ``schemas/messages/*.json``
    file, and the model class made of it."""

    fullname: str
    """The model's class name (JSON Schema has no namespaces)."""
    source: str
    span: Span
    example: JsonValue
    """A valid instance: the schema's first ``examples`` entry, or one built
    from its types, formats, defaults and constraints, checked against the
    schema itself."""
    doc: str = ""
    root_model: bool = False
    """The root is no object (a string, an array, a union...): the model is a
    ``RootModel`` and the message has no fields to key a channel on."""
    exact: tuple[str, ...] = ()
    """The keywords of its schema the model cannot express, sorted; when there
    are any, its codec also validates against the schema itself, starting at
    ``exact_uri`` (see ``JsonModels.resources``)."""
    exact_uri: str = ""
    forbidden: tuple[tuple[str, JsonValue], ...] = ()
    """``(keyword, instance)``: for keywords of ``exact``, an instance the
    schema forbids because of that keyword (the generated tests decode it)."""


@dataclass(frozen=True, slots=True)
class JsonResource:
    """One schema file as the exact validator reads it: as written, compact,
    under each URI a ``$ref`` may name it by."""

    uris: tuple[str, ...]
    schema: str


@dataclass(frozen=True, slots=True)
class JsonModels:
    """The JSON Schema messages of a service: the one bundled schema document
    that datamodel-code-generator turns into the models module (an emitter
    runs it), and the names svcforge decided for it."""

    bundle: JsonValue
    """Every message and definition of every file under ``$defs``, keyed by
    its class name, with every ``$ref`` pointing inside the document."""
    sources: tuple[str, ...]
    """The schema files the models come from, sorted."""
    messages: tuple[JsonMessage, ...]
    """Sorted by full name."""
    aliases: tuple[tuple[str, str], ...] = ()
    """``("Class.wire_name", attribute)``: the Python attribute of each
    top-level property of each message (``naming.field_names``), sorted."""
    resources: tuple[JsonResource, ...] = ()
    """The schema files the exact validators need, sorted by first URI."""
    module: str = "json_models"
    """The generated module that holds the models."""
    schemas: tuple[JsonSchemaDef, ...] = ()
    """The bundle the models are made of, one entry per message and
    definition, with where each was written: what ``compat`` and the AsyncAPI
    document read."""


@dataclass(frozen=True, slots=True)
class JsonSchemaDef:
    """One schema of the JSON Schema bundle: a message's root or a definition,
    with every ``$ref`` rewritten to ``#/$defs/<name>``."""

    name: str
    """Its key in the bundle's ``$defs`` (a message's is its class name)."""
    source: str
    pointer: str
    """Where it was written in ``source``: ``""`` for a message's root."""
    schema: JsonValue

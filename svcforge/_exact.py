"""Exact validation of JSON messages against their own JSON Schema.

A model generated from a JSON Schema expresses most keywords; for a message
whose schema says more (``not``, ``if``/``then``/``else``, ``propertyNames``,
``contains``...) the model accepts a superset, and the message's JSON codec
also validates every payload against the schema itself, as written, with
jsonschema-rs (the fastest of the validators measured, and the only one that
passes the whole JSON Schema Test Suite of every draft).  Messages without
such keywords have no validator and pay nothing.

The generated ``codecs.py`` holds the schema files once (``JsonSchemas``),
each under every URI a ``$ref`` may name it by, and gives each codec that
needs it the validator of its message (``JsonSchemas.validator``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["ExactSchema", "JsonSchemas", "SchemaViolation"]


class SchemaViolation(ValueError):
    """A JSON value the message's schema refuses: the validator's message
    and the JSON pointer of the place."""

    def __init__(self, reason: str, pointer: str) -> None:
        super().__init__(f"{reason} (at {pointer or '/'})")
        self.reason = reason
        self.pointer = pointer


class ExactSchema:
    """The compiled schema of one message."""

    __slots__ = ("_validator", "uri")

    def __init__(self, validator: Any, uri: str) -> None:
        self._validator = validator
        self.uri = uri

    def violation(self, value: Any) -> SchemaViolation | None:
        """Why the schema refuses ``value`` (a JSON value), or None."""
        validator = self._validator
        if validator.is_valid(value):
            return None
        error = next(iter(validator.iter_errors(value)))
        pointer = "".join(
            "/" + str(p).replace("~", "~0").replace("/", "~1")
            for p in error.instance_path
        )
        return SchemaViolation(str(error.message), pointer)

    def check(self, value: Any) -> None:
        """Raise ``SchemaViolation`` when the schema refuses ``value``."""
        problem = self.violation(value)
        if problem is not None:
            raise problem


class JsonSchemas:
    """The schema files of a service's JSON messages: ``(uris, JSON text)``
    each, compiled into one registry the first time a validator is asked
    for."""

    __slots__ = ("_documents", "_registry", "_resources")

    def __init__(self, resources: Sequence[tuple[Sequence[str], str]]) -> None:
        self._resources = resources
        self._registry: Any = None
        self._documents: dict[str, Any] = {}

    def validator(self, uri: str) -> ExactSchema:
        """The validator of the schema file known as ``uri``."""
        import jsonschema_rs

        if self._registry is None:
            pairs = []
            for uris, text in self._resources:
                value = json.loads(text)
                for name in uris:
                    self._documents[name] = value
                    pairs.append((name, value))
            self._registry = jsonschema_rs.Registry(pairs)
        compiled = jsonschema_rs.validator_for(
            self._documents[uri], registry=self._registry, base_uri=uri
        )
        return ExactSchema(compiled, uri)

"""The exact validators: each message's schema file as written, compiled by
jsonschema-rs with every schema file of the service in its registry, as the
generated codecs compile it at import.

The front-end uses them to check that an example is valid and to find
instances a schema forbids; the IR carries what the codecs need to rebuild
them (``ir.JsonResource``).  Every file is known by ``svcforge:/<path>`` and
by its absolute ``$id``; its ``$schema`` is spelled as validators know it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
from jsonschema_specifications import REGISTRY as META_SCHEMAS

from generator import ir
from generator.frontends.jsonschema.drafts import CANONICAL, declared
from generator.frontends.jsonschema.registry import META, Registry, Target, file_uri
from generator.frontends.jsonschema.walk import subschemas
from generator.jsonsource import JsonDocument


def as_written(doc: JsonDocument) -> dict[str, Any]:
    """The file's schema with its draft named canonically."""
    value = dict(doc.value)
    value["$schema"] = CANONICAL[declared(doc.value)]
    return value


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


@dataclass(slots=True)
class ExactSchemas:
    """The validators of a service's JSON Schema files."""

    originals: dict[str, JsonDocument]
    registry: Registry
    """The normalised files: their URIs and where their references lead."""
    _compiled: dict[str, jsonschema_rs.Validator | str] = field(default_factory=dict)
    _shared: jsonschema_rs.Registry | None = None

    @classmethod
    def of(cls, originals: Sequence[JsonDocument], registry: Registry) -> ExactSchemas:
        return cls({d.path: d for d in originals}, registry)

    def resource(self, path: str) -> ir.JsonResource:
        return ir.JsonResource(
            uris=tuple(self.registry.uris[path]),
            schema=compact(as_written(self.originals[path])),
        )

    def meta_resources(self, paths: Sequence[str]) -> list[ir.JsonResource]:
        """The drafts' meta-schemas (with their vocabularies), when a schema
        of ``paths`` refers to one: the validators read them from here, never
        from the network."""
        if not any(self._refers_to_meta(p) for p in paths):
            return []
        return [
            ir.JsonResource((uri,), compact(META_SCHEMAS.contents(uri)))
            for uri in sorted(META_SCHEMAS)
            if "draft-03" not in uri
        ]

    def _refers_to_meta(self, path: str) -> bool:
        doc = self.registry.documents[path]
        for ptr, node in subschemas(doc.value):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if isinstance(ref, str):
                target = self.registry.resolve(doc, ref, ptr)
                if isinstance(target, Target) and target.doc is META:
                    return True
        return False

    def reachable(self, paths: Sequence[str]) -> list[str]:
        """The files the schemas of ``paths`` refer to, directly or not, and
        those files, sorted."""
        seen = set(paths)
        todo = list(paths)
        while todo:
            doc = self.registry.documents[todo.pop()]
            for ptr, node in subschemas(doc.value):
                ref = node.get("$ref") if isinstance(node, dict) else None
                target = (
                    self.registry.resolve(doc, ref, ptr)
                    if isinstance(ref, str)
                    else None
                )
                if (
                    isinstance(target, Target)
                    and target.doc.path in self.originals
                    and target.doc.path not in seen
                ):
                    seen.add(target.doc.path)
                    todo.append(target.doc.path)
        return sorted(seen)

    def validator(self, path: str) -> jsonschema_rs.Validator | str:
        """The validator of the file ``path``'s root schema, or why
        jsonschema-rs cannot compile it."""
        if path not in self._compiled:
            self._compiled[path] = self._compile(path)
        return self._compiled[path]

    def _compile(self, path: str) -> jsonschema_rs.Validator | str:
        try:
            if self._shared is None:
                metas = self.meta_resources(sorted(self.originals))
                self._shared = jsonschema_rs.Registry(
                    [
                        *(
                            (uri, as_written(doc))
                            for p, doc in sorted(self.originals.items())
                            for uri in self.registry.uris[p]
                        ),
                        *((m.uris[0], json.loads(m.schema)) for m in metas),
                    ]
                )
            return jsonschema_rs.validator_for(
                as_written(self.originals[path]),
                registry=self._shared,
                base_uri=file_uri(path),
            )
        except Exception as exc:  # jsonschema-rs reports with several classes
            return str(exc).splitlines()[0]

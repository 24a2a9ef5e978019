"""Schema files by path and by ``$id``, and where a ``$ref`` leads."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from generator.jsonsource import JsonDocument


@dataclass(frozen=True, slots=True)
class Target:
    """Where a ``$ref`` leads: a document and a JSON pointer into it."""

    doc: JsonDocument
    ptr: str
    node: Any


@dataclass(slots=True)
class Registry:
    """Schema files by path (relative to the service root) and by ``$id``."""

    documents: dict[str, JsonDocument] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, documents: Sequence[JsonDocument]) -> Registry:
        registry = cls()
        for doc in documents:
            registry.documents[doc.path] = doc
            ident = doc.value.get("$id") if isinstance(doc.value, dict) else None
            if isinstance(ident, str) and urlsplit(ident).scheme:
                registry.ids[ident.partition("#")[0]] = doc.path
        return registry

    def resolve(self, doc: JsonDocument, ref: str) -> Target | str:
        """The target of ``ref`` written in ``doc``, or why there is none."""
        location, _, fragment = ref.partition("#")
        path = doc.path
        if location:
            found = self._file(doc, location)
            if found is None:
                if urlsplit(location).scheme in ("http", "https", "urn", "file"):
                    return (
                        f"{location} is not a schema file of this service "
                        "(remote references are not fetched)"
                    )
                return f"no schema file {location!r} next to {doc.path}"
            path = found
        target = self.documents[path]
        fragment = unquote(fragment)
        if fragment and not fragment.startswith("/"):
            return f"{fragment!r} is not a JSON pointer (anchors are not supported)"
        node: Any = target.value
        for token in fragment.split("/")[1:]:
            key = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return f"{target.path} has nothing at {fragment}"
        return Target(target, fragment, node)

    def _file(self, doc: JsonDocument, location: str) -> str | None:
        base = doc.value.get("$id") if isinstance(doc.value, dict) else None
        if isinstance(base, str) and urlsplit(base).scheme:
            absolute = urljoin(base, location)
            if absolute in self.ids:
                return self.ids[absolute]
        if location in self.ids:
            return self.ids[location]
        if urlsplit(location).scheme:
            return None
        rel = posixpath.normpath(posixpath.join(posixpath.dirname(doc.path), location))
        return rel if rel in self.documents else None

    def expand(
        self, doc: JsonDocument, node: Any
    ) -> Iterator[tuple[JsonDocument, Any]]:
        """``node`` with its ``$ref`` followed and its ``allOf`` parts (what an
        object's properties, or a discriminator tag, may come from)."""
        seen: set[int] = set()
        stack = [(doc, node)]
        while stack:
            d, n = stack.pop()
            if not isinstance(n, dict) or id(n) in seen:
                continue
            seen.add(id(n))
            yield d, n
            ref = n.get("$ref")
            if isinstance(ref, str):
                target = self.resolve(d, ref)
                if isinstance(target, Target):
                    stack.append((target.doc, target.node))
            for part in n.get("allOf", []) if isinstance(n.get("allOf"), list) else []:
                stack.append((d, part))

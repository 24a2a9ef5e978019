"""Schema files and the resources inside them, by URI, and where a ``$ref``
leads.

Every file has the URI ``svcforge:/<path relative to the service root>``, so
that relative references between files resolve as paths do, and also its own
``$id`` when that is absolute.  A subschema with an ``$id`` is a resource of
its own (its relative references resolve against it); ``$anchor`` and
``$dynamicAnchor`` name a subschema inside its resource.  The documents are
normalised ones (``normalize``): draft-04 ``id`` and fragment ``$id`` are
already ``$id`` and ``$anchor``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from jsonschema_specifications import REGISTRY as META_SCHEMAS

from generator.frontends.jsonschema.drafts import declared, parse_draft
from generator.frontends.jsonschema.normalize import HELD, normalize
from generator.frontends.jsonschema.walk import children
from generator.jsonsource import JsonDocument

SCHEME = "svcforge:"
"""The URI scheme of the service's own schema files."""
META = JsonDocument("<meta-schema>", {}, {})
"""Where a ``$ref`` to a draft's meta-schema leads ("any JSON Schema"): the
models take any JSON value there, and the exact validator, which knows the
meta-schemas, checks it."""


def _meta(uri: str) -> bool:
    """A draft's meta-schema or one of its vocabularies'."""
    parts = urlsplit(uri)
    return parts.netloc.lower() in ("json-schema.org", "www.json-schema.org") and (
        parse_draft(uri) is not None or parts.path.startswith("/draft/")
    )


@cache
def meta_registry() -> Registry:
    """The drafts' meta-schemas (jsonschema-specifications' copies),
    normalised, as a registry of their own: the example-maker reads the parts
    of them that a schema refers to."""
    docs = []
    for uri in sorted(META_SCHEMAS):
        value = META_SCHEMAS.contents(uri)
        if "draft-03" not in uri and isinstance(value, dict):
            docs.append(
                JsonDocument(META.path + uri, normalize(value, declared(value)), {})
            )
    return Registry.of(docs)


def is_meta(doc: JsonDocument) -> bool:
    """A document of ``meta_registry``."""
    return doc.path.startswith(META.path)


def file_uri(path: str) -> str:
    return f"{SCHEME}/{path}"


def join(base: str, ref: str) -> str:
    """``ref`` resolved against ``base`` (RFC 3986), for the ``svcforge:``
    scheme too, which ``urljoin`` does not know."""
    if urlsplit(ref).scheme:
        return ref
    if ref.startswith("#"):
        return base.partition("#")[0] + ref
    if base.startswith(SCHEME + "/"):
        joined = urljoin("file://" + base[len(SCHEME) :], ref)
        return SCHEME + joined[len("file://") :]
    return urljoin(base, ref)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a ``$ref`` leads: a document and a JSON pointer into it."""

    doc: JsonDocument
    ptr: str
    node: Any


@dataclass(slots=True)
class Registry:
    """Schema files by path, and every resource and anchor by URI."""

    documents: dict[str, JsonDocument] = field(default_factory=dict)
    resources: dict[str, tuple[str, str]] = field(default_factory=dict)
    """URI (no fragment) -> (path, pointer of the resource's root)."""
    anchors: dict[str, tuple[str, str]] = field(default_factory=dict)
    """``uri#name`` -> (path, pointer)."""
    bases: dict[tuple[str, str], str] = field(default_factory=dict)
    """(path, pointer) of every subschema with an ``$id`` -> its URI."""
    uris: dict[str, list[str]] = field(default_factory=dict)
    """Path -> every URI of the file itself (``svcforge:/…`` first)."""

    @classmethod
    def of(cls, documents: Sequence[JsonDocument]) -> Registry:
        registry = cls()
        for doc in documents:
            registry.add(doc)
        return registry

    def add(self, doc: JsonDocument) -> None:
        self.documents[doc.path] = doc
        own = file_uri(doc.path)
        self.uris[doc.path] = [own]
        self.resources.setdefault(own, (doc.path, ""))
        stack: list[tuple[str, Any, str]] = [("", doc.value, own)]
        while stack:
            ptr, node, base = stack.pop()
            if not isinstance(node, dict):
                continue
            ident = node.get("$id")
            if isinstance(ident, str) and ident.partition("#")[0]:
                base = join(base, ident.partition("#")[0])
                self.resources.setdefault(base, (doc.path, ptr))
                self.bases[(doc.path, ptr)] = base
                if not ptr and base != own:
                    self.uris[doc.path].append(base)
            for key in ("$anchor", "$dynamicAnchor"):
                name = node.get(key)
                if isinstance(name, str) and name:
                    self.anchors.setdefault(f"{base}#{name}", (doc.path, ptr))
            stack.extend((p, sub, base) for p, sub in children(node, ptr))

    def base_at(self, doc: JsonDocument, ptr: str) -> str:
        """The base URI of the subschema at ``ptr``: the nearest enclosing
        ``$id``, else the file's."""
        while True:
            found = self.bases.get((doc.path, ptr))
            if found is not None:
                return found
            if not ptr:
                return file_uri(doc.path)
            ptr = ptr.rpartition("/")[0]

    def resolve(self, doc: JsonDocument, ref: str, at: str = "") -> Target | str:
        """The target of ``ref`` written at ``at`` in ``doc``, or why there is
        none."""
        uri = join(self.base_at(doc, at), ref)
        location = uri.partition("#")[0]
        if location not in self.resources and _meta(location):
            return Target(META, "", META.value)
        return self.resolve_uri(uri, lambda: self._missing(doc, ref, location))

    def meta_target(self, doc: JsonDocument, ref: str, at: str = "") -> Target | None:
        """Where ``ref``, a reference into a draft's meta-schema, leads in
        that meta-schema (``meta_registry``); ``None`` for the whole of it."""
        uri = join(self.base_at(doc, at), ref)
        if not uri.partition("#")[2].strip("/"):
            return None
        found = meta_registry().resolve_uri(uri, lambda: "")
        return found if isinstance(found, Target) else None

    def resolve_uri(self, uri: str, missing: Callable[[], str]) -> Target | str:
        """The target of an absolute URI, or ``missing()``."""
        location, _, fragment = uri.partition("#")
        resource = self.resources.get(location)
        if resource is None:
            return missing()
        path, root = resource
        target = self.documents[path]
        fragment = unquote(fragment)
        if fragment and not fragment.startswith("/"):
            anchor = self.anchors.get(f"{location}#{fragment}")
            if anchor is None:
                return f"{target.path} has no anchor {fragment!r}"
            path, ptr = anchor
            return Target(self.documents[path], ptr, self.node(path, ptr))
        return self._pointer(target, root, fragment)

    def _pointer(self, target: JsonDocument, root: str, fragment: str) -> Target | str:
        node = self.node(target.path, root)
        tokens = fragment.split("/")[1:]
        for i, token in enumerate(tokens):
            key = token.replace("~1", "/").replace("~0", "~")
            if (
                key == "items"
                and isinstance(node, dict)
                and isinstance(node.get("prefixItems"), list)
                and not isinstance(node.get("items"), list)
            ):
                # An array ``items`` (before 2020-12) was normalised.
                key = tokens[i] = "prefixItems"
            held = node.get(HELD) if isinstance(node, dict) else None
            if isinstance(held, dict) and key in held and key not in node:
                # A keyword this draft does not know (normalize kept it aside).
                tokens[i] = f"{HELD}/{token}"
                node = held
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return f"{target.path} has nothing at {fragment}"
        return Target(target, root + "".join(f"/{t}" for t in tokens), node)

    def _missing(self, doc: JsonDocument, ref: str, location: str) -> str:
        written = ref.partition("#")[0]
        if location.startswith(SCHEME + "/"):
            return f"no schema file {written!r} next to {doc.path}"
        return (
            f"{location} is not a schema file of this service "
            "(remote references are not fetched)"
        )

    def node(self, path: str, ptr: str) -> Any:
        node = self.documents[path].value
        for token in ptr.split("/")[1:]:
            key = token.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def expand(
        self, doc: JsonDocument, node: Any, at: str = ""
    ) -> Iterator[tuple[JsonDocument, Any]]:
        """``node`` with its ``$ref`` followed and its ``allOf`` parts (what an
        object's properties, or a discriminator tag, may come from)."""
        for d, _, n in self.expand_at(doc, at, node):
            yield d, n

    def expand_at(
        self, doc: JsonDocument, at: str, node: Any
    ) -> Iterator[tuple[JsonDocument, str, Any]]:
        """As ``expand``, with the pointer of each part."""
        seen: set[int] = set()
        stack = [(doc, at, node)]
        while stack:
            d, p, n = stack.pop()
            if not isinstance(n, dict) or id(n) in seen:
                continue
            seen.add(id(n))
            yield d, p, n
            ref = n.get("$ref")
            if isinstance(ref, str):
                target = self.resolve(d, ref, p)
                if isinstance(target, Target):
                    stack.append((target.doc, target.ptr, target.node))
            parts = n.get("allOf")
            for i, part in (
                reversed(list(enumerate(parts))) if isinstance(parts, list) else ()
            ):
                stack.append((d, f"{p}/allOf/{i}", part))

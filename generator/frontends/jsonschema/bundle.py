"""Every JSON Schema file of a service bundled into one schema document.

datamodel-code-generator then runs once, in memory, over one document whose
``$defs`` hold each message (named after its class) and each definition of
every file; every ``$ref`` is rewritten to point inside the bundle.  So the
generator needs no file system, names are decided here (stable, and unique
across files), and all models land in one module, like the Avro ones.
"""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.errors import Diagnostic
from generator.frontends.jsonschema.drafts import DRAFT_2020_12
from generator.frontends.jsonschema.models import MODULE_NAMES
from generator.frontends.jsonschema.registry import Registry, Target
from generator.jsonsource import JsonDocument, pointer
from generator.naming import RESERVED_CLASS_NAMES, pascal_case

RESERVED = RESERVED_CLASS_NAMES | MODULE_NAMES
_DEFS = ("$defs", "definitions")
_META = frozenset({"$schema", "$id", "$comment", "title", "description", *_DEFS})


@dataclass(frozen=True, slots=True)
class BundledMessage:
    name: str
    doc: JsonDocument


@dataclass(slots=True)
class Bundle:
    schema: dict[str, Any]
    messages: list[BundledMessage]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Where each ``$defs`` entry was written: (file, JSON pointer)."""


def is_message(doc: JsonDocument) -> bool:
    """A file whose root is a schema (not only a holder of definitions)."""
    return isinstance(doc.value, dict) and bool(set(doc.value) - _META)


def message_name(doc: JsonDocument) -> str:
    title = doc.value.get("title")
    stem = posixpath.splitext(posixpath.basename(doc.path))[0]
    return pascal_case(title if isinstance(title, str) and title.strip() else stem)


def bundle(documents: Sequence[JsonDocument], registry: Registry) -> Bundle:
    out = Bundle({"$schema": DRAFT_2020_12, "$defs": {}}, [])
    taken: dict[str, str] = {}
    for doc in documents:
        if not is_message(doc):
            continue
        name = message_name(doc)
        problem = _name_problem(name, taken)
        if problem:
            out.diagnostics.append(
                Diagnostic(
                    doc.span(""),
                    f"message class {name!r} {problem}",
                    'give the schema another "title"',
                )
            )
            continue
        taken[name] = doc.path
        out.messages.append(BundledMessage(name, doc))
    def_names: dict[tuple[str, str], str] = {}
    for doc in documents:
        stem = pascal_case(posixpath.splitext(posixpath.basename(doc.path))[0])
        for container in _DEFS:
            defs = doc.value.get(container)
            for key in defs if isinstance(defs, dict) else ():
                name = pascal_case(key) or "Definition"
                if _name_problem(name, taken):
                    name = stem + name
                if _name_problem(name, taken):
                    out.diagnostics.append(
                        Diagnostic(
                            doc.span(pointer(pointer("", container), key), key=True),
                            f"definition {key!r} would be the class {name!r}, which "
                            f"{_name_problem(name, taken)}",
                        )
                    )
                    continue
                taken[name] = doc.path
                def_names[(doc.path, f"/{container}/{key}")] = name
    if out.diagnostics:
        return out
    rewriter = _Rewriter(
        registry, {m.doc.path: m.name for m in out.messages}, def_names, out
    )
    defs = out.schema["$defs"]
    for m in out.messages:
        root = {
            k: v for k, v in m.doc.value.items() if k not in ("$schema", "$id", *_DEFS)
        }
        defs[m.name] = rewriter.rewrite(m.doc, "", root)
        out.origins[m.name] = (m.doc.path, "")
    for (path, ptr), name in def_names.items():
        doc = registry.documents[path]
        container, key = ptr[1:].split("/", 1)
        defs[name] = rewriter.rewrite(doc, ptr, doc.value[container][key])
        out.origins[name] = (path, ptr)
    out.schema["$defs"] = dict(sorted(defs.items()))
    return out


def _name_problem(name: str, taken: dict[str, str]) -> str:
    if not name or not name[0].isalpha():
        return "is not a valid class name"
    if name in RESERVED:
        return "is a name the generated module needs for itself"
    if name in taken:
        return f"is already taken by {taken[name]}"
    return ""


@dataclass(slots=True)
class _Rewriter:
    registry: Registry
    messages: dict[str, str]
    defs: dict[tuple[str, str], str]
    out: Bundle

    def rewrite(self, doc: JsonDocument, ptr: str, node: Any) -> Any:
        node = copy.deepcopy(node)
        self._walk(doc, ptr, node)
        return node

    def _walk(self, doc: JsonDocument, ptr: str, node: Any) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                self._walk(doc, pointer(ptr, i), item)
            return
        if not isinstance(node, dict):
            return
        for key, value in list(node.items()):
            if key == "$ref" and isinstance(value, str):
                node[key] = self.target(doc, pointer(ptr, key), value)
            elif key == "discriminator" and isinstance(value, dict):
                mapping = value.get("mapping")
                if not isinstance(mapping, dict):
                    continue
                for tag, ref in mapping.items():
                    where = pointer(pointer(pointer(ptr, key), "mapping"), tag)
                    mapping[tag] = self.target(doc, where, ref)
            elif key in ("default", "examples", "const", "enum"):
                continue  # values, not schemas
            else:
                self._walk(doc, pointer(ptr, key), value)

    def target(self, doc: JsonDocument, where: str, ref: str) -> str:
        found = self.registry.resolve(doc, ref)
        if not isinstance(found, Target):
            return ref  # reported by the checker
        return "#/$defs/" + self._bundled(found, doc, where)

    def _bundled(self, target: Target, doc: JsonDocument, where: str) -> str:
        path, ptr = target.doc.path, target.ptr
        for container in _DEFS:
            prefix = f"/{container}/"
            if ptr.startswith(prefix):
                key, _, rest = ptr[len(prefix) :].partition("/")
                name = self.defs.get((path, f"/{container}/{key}"))
                if name is not None:
                    return name + (f"/{rest}" if rest else "")
        message = self.messages.get(path)
        if message is None:
            self.out.diagnostics.append(
                Diagnostic(
                    doc.span(where),
                    f"$ref leads to {path}#{ptr}, which holds no schema of its own "
                    f"(at {where})",
                    "refer to one of its $defs",
                )
            )
            return "Missing"
        return message + ptr

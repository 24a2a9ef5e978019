"""Every JSON Schema file of a service bundled into one schema document.

datamodel-code-generator then runs once, in memory, over one document whose
``$defs`` hold each message (named after its class) and each definition of
every file; every ``$ref`` is rewritten to point inside the bundle.  So the
generator needs no file system, names are decided here (stable, and unique
across files), and all models land in one module.  The schemas in the bundle
are normalised (2020-12) and loosened (``exactness``): the models accept a
superset of what the schemas accept, and the exact validator does the rest.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.errors import Diagnostic
from generator.frontends.jsonschema.drafts import DRAFT_2020_12
from generator.frontends.jsonschema.exactness import loosened
from generator.frontends.jsonschema.keywords import (
    DEFS,
    SCHEMA,
    SCHEMA_LIST,
    SCHEMA_MAP,
)
from generator.frontends.jsonschema.records import is_class
from generator.frontends.jsonschema.registry import META, Registry, Target
from generator.json_names import RESERVED, class_name
from generator.jsonsource import JsonDocument, pointer
from generator.naming import unique

_META = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "$anchor",
        "$dynamicAnchor",
        "$vocabulary",
        *DEFS,
    }
)


@dataclass(frozen=True, slots=True)
class BundledMessage:
    name: str
    doc: JsonDocument


@dataclass(slots=True)
class Bundle:
    schema: dict[str, Any]
    messages: list[BundledMessage]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    defs: dict[tuple[str, str], str] = field(default_factory=dict)
    """(path, pointer of a definition) -> its class name."""
    taken: dict[str, str] = field(default_factory=dict)
    """Class name -> the file that took it."""

    @property
    def origins(self) -> dict[str, tuple[str, str]]:
        """Where each message and definition was written: class name ->
        (file, JSON pointer; ``""`` for a message's root)."""
        out = {m.name: (m.doc.path, "") for m in self.messages}
        out.update({name: where for where, name in self.defs.items()})
        return out


def is_message(doc: JsonDocument) -> bool:
    """A file whose root is a schema (not only a holder of definitions)."""
    return isinstance(doc.value, dict) and bool(set(doc.value) - _META)


def message_name(doc: JsonDocument) -> str:
    title = doc.value.get("title")
    stem = posixpath.splitext(posixpath.basename(doc.path))[0]
    return class_name(title if isinstance(title, str) and title.strip() else stem)


def bundle(
    documents: Sequence[JsonDocument], registry: Registry, *, loosen: bool = True
) -> Bundle:
    """Every message and definition in one document.  ``loosen`` takes out
    what the models would enforce wrongly (for datamodel-code-generator);
    without it the schemas stay exact (for compat and AsyncAPI)."""
    out = Bundle({"$schema": DRAFT_2020_12, "$defs": {}}, [])
    taken = out.taken
    for doc in documents:
        if not is_message(doc):
            continue
        name = message_name(doc)
        if name in taken:
            # tag.json in two folders (v1/, v2/): the second is Tag + its folder.
            name = _folder_name(name, doc.path, taken)
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
    _name_definitions(documents, taken, out)
    if out.diagnostics:
        return out
    rewriter = _Rewriter(
        registry, {m.doc.path: m.name for m in out.messages}, out, loosen
    )
    defs = out.schema["$defs"]
    for m in out.messages:
        root = {k: v for k, v in m.doc.value.items() if k not in (*DEFS, "$schema")}
        defs[m.name] = rewriter.schema(m.doc, "", root)
        if "enum" in defs[m.name]:
            # An enum class is no model: the message is a RootModel of it.
            value = _free(f"{m.name}Value", taken)
            taken[value] = m.doc.path
            defs[value] = defs[m.name]
            defs[m.name] = {"$ref": f"#/$defs/{value}"}
    for (path, ptr), name in out.defs.items():
        doc = registry.documents[path]
        defs[name] = rewriter.schema(doc, ptr, registry.node(path, ptr))
    _detach_root_messages(out)
    out.schema["$defs"] = dict(sorted(out.schema["$defs"].items()))
    return out


def _detach_root_messages(out: Bundle) -> None:
    """A message that becomes a ``RootModel`` (a map, a union, an enum...)
    and that other schemas refer to: they refer to a copy instead, for
    datamodel-code-generator collapses a referred root model into its users'
    fields and makes no class of it (the message's codec needs one)."""
    defs = out.schema["$defs"]
    roots = {m.name for m in out.messages if not is_class(defs, defs[m.name])}
    referred = roots & set(_referred(defs))
    copies = {}
    for name in sorted(referred):
        copy = _free(f"{name}Value", out.taken)
        out.taken[copy] = out.taken.get(name, "")
        copies[f"#/$defs/{name}"] = f"#/$defs/{copy}"
        defs[copy] = defs[name]
    if copies:
        out.schema["$defs"] = _retarget(defs, copies)


def _referred(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            yield ref[len("#/$defs/") :]
        for value in node.values():
            yield from _referred(value)
    elif isinstance(node, list):
        for value in node:
            yield from _referred(value)


def _retarget(node: Any, copies: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            k: copies.get(v, v)
            if k == "$ref" and isinstance(v, str)
            else _retarget(v, copies)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_retarget(v, copies) for v in node]
    return node


def _folder_name(name: str, path: str, taken: dict[str, str]) -> str:
    folders = posixpath.dirname(path).split("/")
    if folders[:2] == ["schemas", "messages"]:
        folders = folders[2:]
    if not folders or not any(folders):
        return name
    other = class_name(f"{name} {' '.join(folders)}")
    return name if other in taken else other


def _name_definitions(
    documents: Sequence[JsonDocument], taken: dict[str, str], out: Bundle
) -> None:
    for doc in documents:
        stem = class_name(posixpath.splitext(posixpath.basename(doc.path))[0])
        for container in DEFS:
            defs = doc.value.get(container)
            for key in defs if isinstance(defs, dict) else ():
                name = class_name(key) or "Definition"
                if _name_problem(name, taken):
                    name = stem + name
                problem = _name_problem(name, taken)
                if problem:
                    out.diagnostics.append(
                        Diagnostic(
                            doc.span(pointer(pointer("", container), key), key=True),
                            f"definition {key!r} would be the class {name!r}, "
                            f"which {problem}",
                        )
                    )
                    continue
                taken[name] = doc.path
                out.defs[(doc.path, pointer(pointer("", container), key))] = name


_NOTHING = frozenset({"title", "description", "$comment", "examples", "default"})


def _empty(part: Any, in_class: bool) -> bool:
    """An ``allOf`` part the model takes nothing from: annotations only, or,
    in a class, a union of variants without properties of its own (which
    would turn the class into a RootModel; the exact validator checks it)."""
    if part is True:
        return True
    if not isinstance(part, dict):
        return False
    keys = {k for k, v in part.items() if not (k == "required" and not v)}
    if keys <= _NOTHING:
        return True
    return in_class and bool(keys & {"oneOf", "anyOf"}) and not keys & _SHAPES


_SHAPES = frozenset({"properties", "$ref", "allOf", "type"})


def _is_object(node: dict[str, Any]) -> bool:
    return isinstance(node.get("properties"), dict) or node.get("type") == "object"


def _free(name: str, taken: dict[str, str]) -> str:
    return unique(name, {*taken, *RESERVED}, sep="")


def _name_problem(name: str, taken: dict[str, str]) -> str:
    if not name or not name[0].isalpha() or not name.isidentifier():
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
    out: Bundle
    loosen: bool = True

    def schema(self, doc: JsonDocument, ptr: str, node: Any) -> Any:
        """A loosened copy of the schema at ``ptr`` with every ``$ref``
        pointing into the bundle."""
        if not isinstance(node, dict):
            return node
        out = loosened(node) if self.loosen else dict(node)
        ref = out.get("$ref")
        if isinstance(ref, str):
            out["$ref"] = self.target(doc, ptr, ref)
        mapping = (out.get("discriminator") or {}).get("mapping")
        if isinstance(mapping, dict):
            out["discriminator"] = {
                **out["discriminator"],
                "mapping": {
                    tag: self.target(doc, ptr, to) if isinstance(to, str) else to
                    for tag, to in mapping.items()
                },
            }
        for key in SCHEMA:
            if key in out:
                out[key] = self.schema(doc, pointer(ptr, key), out[key])
        for key in SCHEMA_LIST:
            if isinstance(out.get(key), list):
                out[key] = [
                    self.schema(doc, pointer(pointer(ptr, key), i), sub)
                    for i, sub in enumerate(out[key])
                ]
        parts = [p for p in out.get("allOf", []) if not _empty(p, _is_object(out))]
        if self.loosen and "allOf" in out and parts != out["allOf"]:
            # Parts left with nothing the model holds (a condition, a not).
            out["allOf"] = parts
            if not parts:
                del out["allOf"]
        for key in SCHEMA_MAP:
            if isinstance(out.get(key), dict):
                out[key] = {
                    name: self.schema(doc, pointer(pointer(ptr, key), name), sub)
                    for name, sub in out[key].items()
                }
        return out

    def target(self, doc: JsonDocument, ptr: str, ref: str) -> str:
        found = self.registry.resolve(doc, ref, ptr)
        if not isinstance(found, Target):
            return ref  # reported by the checker
        if found.doc is META:
            return "#/$defs/" + self._any()
        return "#/$defs/" + self._bundled(found, doc, pointer(ptr, "$ref"))

    def _any(self) -> str:
        """The definition a meta-schema reference becomes: any JSON value."""
        defs = self.out.schema["$defs"]
        name = "AnySchema"
        n = 2
        while name in self.out.taken and self.out.taken[name] != META.path:
            name, n = f"AnySchema{n}", n + 1
        self.out.taken[name] = META.path
        defs[name] = {"description": "A JSON Schema."}
        return name

    def _bundled(self, target: Target, doc: JsonDocument, where: str) -> str:
        path, ptr = target.doc.path, target.ptr
        for container in DEFS:
            prefix = f"/{container}/"
            if ptr.startswith(prefix):
                key, _, rest = ptr[len(prefix) :].partition("/")
                name = self.out.defs.get((path, pointer(pointer("", container), key)))
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

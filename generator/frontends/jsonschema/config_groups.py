"""Config schemas (JSON Schema objects) -> settings groups and settings.

A property is a setting; an object property is a nested group.  Supported:
string, integer, number, boolean, arrays of those, ``null`` in a type list,
enums and const, defaults, descriptions, the numeric, length and pattern
constraints, and ``$ref`` to ``$defs`` or another config file.  A string with
``writeOnly: true`` or ``format: password`` is a secret (``SecretStr``); it may
not have a default, which would be committed.  ``"x-svcforge-reload": true`` on a
setting (or on a group: every setting in it) makes it reloadable: the running
service re-reads it on SIGHUP and when its env file changes.  Unions, maps and conditionals
have no environment-variable form and are rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from generator import ir
from generator.errors import Diagnostic
from generator.frontends.jsonschema.examples import (
    FORMAT_EXAMPLES,
    integer_example,
    number_example,
)
from generator.frontends.jsonschema.keywords import EXACT, describe
from generator.frontends.jsonschema.registry import Registry, Target
from generator.jsonsource import JsonDocument, pointer
from generator.naming import field_names, pascal_case, unique

RELOAD = "x-svcforge-reload"
"""The annotation that makes a setting (or a group) reloadable."""

_CONSTRAINT_NAMES = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "multipleOf": "multiple_of",
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
    "minItems": "min_length",
    "maxItems": "max_length",
}
# Keywords of message schemas that settings cannot have (besides ``EXACT``).
_NO_ENV_FORM = {
    "oneOf": "unions",
    "anyOf": "unions",
    "allOf": "schema compositions",
    "patternProperties": "maps",
    "$dynamicAnchor": "dynamic references",
    "$recursiveAnchor": "recursive references",
}
_SCALARS: dict[str, ir.SettingKind] = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
}
_JSON_KINDS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


@dataclass(slots=True)
class SettingsParser:
    """Config schemas -> settings groups, collecting diagnostics; every nested
    group it makes is appended to ``groups``."""

    registry: Registry
    diagnostics: list[Diagnostic] = field(default_factory=list)
    groups: list[ir.SettingsGroup] = field(default_factory=list)
    taken: set[str] = field(default_factory=lambda: {"Settings"})

    def error(self, doc: JsonDocument, ptr: str, message: str, hint: str = "") -> None:
        self.diagnostics.append(
            Diagnostic(doc.span(ptr), f"{message} (at {ptr or '/'})", hint)
        )

    def class_name(self, base: str) -> str:
        return unique(pascal_case(base) + "Settings", self.taken, sep="")

    def group(
        self, doc: JsonDocument, ptr: str, node: Any, py_name: str
    ) -> ir.SettingsGroup:
        doc, ptr, node = self.follow(doc, ptr, node)
        settings: list[ir.Setting] = []
        if not isinstance(node, dict):
            self.error(doc, ptr, f"expected an object schema, found {describe(node)}")
            return ir.SettingsGroup(py_name, (), doc.span(ptr))
        self.keywords(doc, ptr, node)
        props = node.get("properties", {})
        required = node.get("required", [])
        if not isinstance(props, dict):
            self.error(doc, pointer(ptr, "properties"), "properties must be an object")
            props = {}
        names = field_names(props)
        for (wire, sub), name in zip(props.items(), names, strict=True):
            where = pointer(pointer(ptr, "properties"), wire)
            if name != wire:
                self.error(
                    doc,
                    where,
                    f"setting {wire!r} is not a lower-case Python name",
                    f"call it {name!r}: it names the environment variable",
                )
                continue
            settings.append(self.setting(doc, where, wire, sub, wire in required))
        group = ir.SettingsGroup(
            py_name=py_name,
            settings=tuple(settings),
            span=doc.span(ptr),
            doc=" ".join(str(node.get("description", "")).split()),
        )
        return group

    def follow(
        self, doc: JsonDocument, ptr: str, node: Any
    ) -> tuple[JsonDocument, str, Any]:
        for _ in range(32):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                break
            target = self.registry.resolve(doc, node["$ref"], ptr)
            if not isinstance(target, Target):
                self.error(
                    doc,
                    pointer(ptr, "$ref"),
                    f"unresolvable $ref {node['$ref']!r}: {target}",
                )
                return doc, ptr, {}
            doc, ptr, node = target.doc, target.ptr, target.node
        return doc, ptr, node

    def keywords(self, doc: JsonDocument, ptr: str, node: dict[str, Any]) -> None:
        """Keywords that assert what a setting cannot: refused.  Unknown
        keywords are annotations, as in message schemas."""
        for key in node:
            reason = _NO_ENV_FORM.get(key) or EXACT.get(key)
            if reason is None:
                continue
            self.error(
                doc,
                pointer(ptr, key),
                f"unsupported keyword {key!r} in a config schema: {reason} "
                "have no environment-variable form",
            )
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) or (extra is True and "properties" not in node):
            self.error(
                doc,
                pointer(ptr, "additionalProperties"),
                "maps have no environment-variable form in a config schema",
            )

    def setting(
        self, doc: JsonDocument, ptr: str, name: str, node: Any, required: bool
    ) -> ir.Setting:
        doc, ptr, node = self.follow(doc, ptr, node)
        if not isinstance(node, dict):
            self.error(doc, ptr, f"expected a schema, found {describe(node)}")
            return ir.Setting(name, ir.SettingType("string"), doc.span(ptr))
        self.keywords(doc, ptr, node)
        doc_text = " ".join(str(node.get("description", "")).split())
        reloadable = self.reloadable(doc, ptr, node)
        if node.get("type") == "object" or "properties" in node:
            nested = self.nested(doc, ptr, name, node, required, doc_text)
            if reloadable:
                self.reload_group(nested.type.group)
            return nested
        kind = self.setting_type(doc, ptr, node)
        secret = node.get("writeOnly") is True or node.get("format") == "password"
        if secret and kind.kind != "string":
            self.error(doc, ptr, "only a string setting can be a secret")
        default: Any = ir.MISSING
        if "default" in node:
            default = node["default"]
            if secret:
                self.error(
                    doc,
                    pointer(ptr, "default"),
                    "a secret may not have a default: it would be committed",
                    "set it in the environment or in .env",
                )
            else:
                self.check_value(doc, pointer(ptr, "default"), kind, default)
        elif not required:
            default = None
            kind = ir.SettingType(
                kind.kind, kind.format, kind.choices, kind.items, kind.group, True
            )
        constraints = tuple(
            (_CONSTRAINT_NAMES[k], v)
            for k, v in node.items()
            if k in _CONSTRAINT_NAMES and isinstance(v, int | float | str)
        )
        return ir.Setting(
            name=name,
            type=kind,
            span=doc.span(ptr),
            default=default,
            doc=doc_text,
            secret=secret,
            constraints=constraints,
            example=self.example(doc, ptr, node, kind, name)
            if default is ir.MISSING
            else None,
            reloadable=reloadable,
        )

    def reloadable(self, doc: JsonDocument, ptr: str, node: dict[str, Any]) -> bool:
        """``"x-svcforge-reload"``: true or false, nothing else."""
        value = node.get(RELOAD, False)
        if isinstance(value, bool):
            return value
        self.error(
            doc,
            pointer(ptr, RELOAD),
            f"{RELOAD} must be true or false, found {describe(value)}",
        )
        return False

    def reload_group(self, py_name: str) -> None:
        """Mark every setting of the group ``py_name`` (and of its groups)
        reloadable."""
        for i, group in enumerate(self.groups):
            if group.py_name != py_name:
                continue
            settings = tuple(replace(s, reloadable=True) for s in group.settings)
            self.groups[i] = replace(group, settings=settings)
            for s in settings:
                if s.type.kind == "group":
                    self.reload_group(s.type.group)

    def nested(
        self,
        doc: JsonDocument,
        ptr: str,
        name: str,
        node: dict[str, Any],
        required: bool,
        doc_text: str,
    ) -> ir.Setting:
        group = self.group(doc, ptr, node, self.class_name(name))
        self.groups.append(group)
        has_required = any(s.default is ir.MISSING for s in group.settings)
        return ir.Setting(
            name=name,
            type=ir.SettingType("group", group=group.py_name),
            span=doc.span(ptr),
            default=ir.MISSING if has_required else {},
            doc=doc_text or group.doc,
        )

    def setting_type(
        self, doc: JsonDocument, ptr: str, node: dict[str, Any]
    ) -> ir.SettingType:
        kinds = node.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
        nullable = "null" in kinds
        kinds = [k for k in kinds if k != "null"]
        choices: tuple[Any, ...] = ()
        if isinstance(node.get("enum"), list):
            choices = tuple(v for v in node["enum"] if v is not None)
            nullable |= None in node["enum"]
        elif "const" in node:
            choices = (node["const"],)
        if not kinds and choices:
            kinds = [_kind_of(choices[0])]
        if len(kinds) != 1 or kinds[0] not in (*_SCALARS, "array"):
            self.error(
                doc,
                ptr,
                "a setting must have one type: string, integer, number, boolean, "
                f"array or object, found {kinds or 'none'}",
            )
            return ir.SettingType("string", nullable=nullable)
        fmt = node.get("format", "")
        if kinds[0] == "array":
            items_doc, items_ptr, items = self.follow(
                doc, pointer(ptr, "items"), node.get("items", {"type": "string"})
            )
            item = (
                self.setting_type(items_doc, items_ptr, items)
                if isinstance(items, dict)
                else ir.SettingType("string")
            )
            if item.kind == "array":
                self.error(doc, ptr, "arrays of arrays are not supported in settings")
            return ir.SettingType("array", items=item, nullable=nullable)
        return ir.SettingType(
            _SCALARS[kinds[0]],
            format=fmt if isinstance(fmt, str) else "",
            choices=choices,
            nullable=nullable,
        )

    def check_value(
        self, doc: JsonDocument, ptr: str, kind: ir.SettingType, value: Any
    ) -> None:
        if value is None and kind.nullable:
            return
        if kind.kind == "array":
            if not isinstance(value, list):
                self.error(
                    doc, ptr, f"the default must be an array, found {describe(value)}"
                )
                return
            assert kind.items is not None
            for i, v in enumerate(value):
                self.check_value(doc, pointer(ptr, i), kind.items, v)
            return
        ok = isinstance(value, _JSON_KINDS.get(kind.kind, (object,))) and not (
            kind.kind != "boolean" and isinstance(value, bool)
        )
        if not ok:
            self.error(
                doc, ptr, f"the default must be a {kind.kind}, found {describe(value)}"
            )
        elif kind.choices and value not in kind.choices:
            self.error(
                doc, ptr, f"the default {value!r} is not one of {list(kind.choices)}"
            )

    def example(
        self,
        doc: JsonDocument,
        ptr: str,
        node: dict[str, Any],
        kind: ir.SettingType,
        name: str,
    ) -> Any:
        examples = node.get("examples")
        if isinstance(examples, list) and examples:
            return examples[0]
        if kind.choices:
            return kind.choices[0]
        match kind.kind:
            case "integer":
                return integer_example(node)
            case "number":
                return number_example(node)
            case "boolean":
                return True
            case "array":
                return []
        low = node.get("minLength", 0)
        text = FORMAT_EXAMPLES.get(kind.format, f"example-{name.replace('_', '-')}")
        text += "x" * max(0, low - len(text))
        if node.get("pattern") is not None and not re.search(node["pattern"], text):
            self.error(
                doc,
                ptr,
                f"cannot make an example value for the pattern {node['pattern']!r}",
                'add "examples": [...] to this setting',
            )
        return text


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"

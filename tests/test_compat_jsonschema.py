"""JSON Schema compat verdicts agree with instance sets: instances valid
under the writer schema (old for BACKWARD, new for FORWARD), validated by the
``jsonschema`` library against the reader schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator import ir
from generator.compat.load import load_messages
from generator.compat.messages import Version, compare
from generator.compat.rules import MODES, Direction, directions
from tests.json_truth import accepted

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def obj(
    props: dict[str, Any], required: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "title": "M",
        "type": "object",
        "properties": {"id": {"type": "string"}, **props},
        "required": ["id", *required],
        **extra,
    }


def prop(old: Any, new: Any, **extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return obj({"v": old}, ("v",), **extra), obj({"v": new}, ("v",), **extra)


CLOSED = {"additionalProperties": False}
KIND_A = {
    "type": "object",
    "properties": {"kind": {"const": "a"}, "x": {"type": "integer"}},
    "required": ["kind", "x"],
}
KIND_B = {
    "type": "object",
    "properties": {"kind": {"const": "b"}, "y": {"type": "string"}},
    "required": ["kind", "y"],
}
KIND_C = {
    "type": "object",
    "properties": {"kind": {"const": "c"}},
    "required": ["kind"],
}
ENVELOPE = {
    "type": "object",
    "properties": {"event_id": {"type": "string"}},
    "required": ["event_id"],
}
ENVELOPE_MORE = {
    "type": "object",
    "properties": {"event_id": {"type": "string"}, "seq": {"type": "integer"}},
    "required": ["event_id"],
}

CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "identical": prop({"type": "string"}, {"type": "string"}),
    "optional_added_open": (obj({}), obj({"n": {"type": "integer"}})),
    "optional_added_open_any": (obj({}), obj({"n": {}})),
    "optional_added_closed": (
        obj({}, **CLOSED),
        obj({"n": {"type": "integer"}}, **CLOSED),
    ),
    "required_added_closed": (
        obj({}, **CLOSED),
        obj({"n": {"type": "integer"}}, ("n",), **CLOSED),
    ),
    "property_removed_closed": (
        obj({"n": {"type": "integer"}}, **CLOSED),
        obj({}, **CLOSED),
    ),
    "property_removed_open": (obj({"n": {"type": "integer"}}), obj({})),
    "required_removed": (
        obj({"n": {"type": "integer"}}, ("n",)),
        obj({"n": {"type": "integer"}}),
    ),
    "integer_to_number": prop({"type": "integer"}, {"type": "number"}),
    "number_to_integer": prop({"type": "number"}, {"type": "integer"}),
    "string_to_nullable": prop({"type": "string"}, {"type": ["string", "null"]}),
    "nullable_to_string": prop({"type": ["string", "null"]}, {"type": "string"}),
    "string_to_integer": prop({"type": "string"}, {"type": "integer"}),
    "enum_value_added": prop({"enum": ["a", "b"]}, {"enum": ["a", "b", "c"]}),
    "enum_value_removed": prop({"enum": ["a", "b", "c"]}, {"enum": ["a", "b"]}),
    "const_changed": prop({"const": "a"}, {"const": "b"}),
    "enum_to_string": prop({"type": "string", "enum": ["a", "b"]}, {"type": "string"}),
    "max_length_decreased": prop(
        {"type": "string", "maxLength": 10}, {"type": "string", "maxLength": 5}
    ),
    "max_length_increased": prop(
        {"type": "string", "maxLength": 5}, {"type": "string", "maxLength": 10}
    ),
    "min_length_increased": prop(
        {"type": "string", "minLength": 1}, {"type": "string", "minLength": 3}
    ),
    "pattern_added": prop(
        {"type": "string"}, {"type": "string", "pattern": "^[a-z]+$"}
    ),
    "pattern_removed": prop(
        {"type": "string", "pattern": "^[a-z]+$"}, {"type": "string"}
    ),
    "format_added": prop({"type": "string"}, {"type": "string", "format": "uuid"}),
    "format_removed": prop({"type": "string", "format": "email"}, {"type": "string"}),
    "minimum_increased": prop(
        {"type": "integer", "minimum": 0}, {"type": "integer", "minimum": 5}
    ),
    "maximum_decreased": prop(
        {"type": "number", "maximum": 100}, {"type": "number", "maximum": 10}
    ),
    "maximum_increased": prop(
        {"type": "number", "maximum": 10}, {"type": "number", "maximum": 100}
    ),
    "exclusive_minimum_added": prop(
        {"type": "number", "minimum": 0}, {"type": "number", "exclusiveMinimum": 0}
    ),
    "integer_minimum_as_exclusive": prop(
        {"type": "integer", "minimum": 1}, {"type": "integer", "exclusiveMinimum": 0}
    ),
    "multiple_of_added": prop(
        {"type": "integer"}, {"type": "integer", "multipleOf": 2}
    ),
    "multiple_of_tightened": prop(
        {"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 4}
    ),
    "multiple_of_loosened": prop(
        {"type": "integer", "multipleOf": 4}, {"type": "integer", "multipleOf": 2}
    ),
    "min_items_added": prop(
        {"type": "array", "items": {"type": "integer"}},
        {"type": "array", "items": {"type": "integer"}, "minItems": 1},
    ),
    "max_items_decreased": prop(
        {"type": "array", "items": {"type": "integer"}, "maxItems": 4},
        {"type": "array", "items": {"type": "integer"}, "maxItems": 2},
    ),
    "unique_items_added": prop(
        {"type": "array", "items": {"type": "integer"}},
        {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
    ),
    "items_narrowed": prop(
        {"type": "array", "items": {"type": "number"}},
        {"type": "array", "items": {"type": "integer"}},
    ),
    "items_widened": prop(
        {"type": "array", "items": {"type": "integer"}},
        {"type": "array", "items": {"type": "number"}},
    ),
    "model_closed": (obj({}), obj({}, **CLOSED)),
    "model_opened": (obj({}, **CLOSED), obj({})),
    "additional_schema_widened": (
        obj({}, additionalProperties={"type": "string"}),
        obj({}, additionalProperties={"type": ["string", "integer"]}),
    ),
    "oneof_branch_added_disjoint": prop(
        {"oneOf": [KIND_A, KIND_B]}, {"oneOf": [KIND_A, KIND_B, KIND_C]}
    ),
    "oneof_branch_removed": prop(
        {"oneOf": [KIND_A, KIND_B, KIND_C]}, {"oneOf": [KIND_A, KIND_B]}
    ),
    "anyof_branch_added_overlapping": prop(
        {"anyOf": [{"type": "string"}]},
        {"anyOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]},
    ),
    "oneof_branch_added_overlapping": prop(
        {"oneOf": [{"type": "string"}]},
        {"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]},
    ),
    "ref_retargeted_same_shape": (
        obj(
            {"v": {"$ref": "#/$defs/A"}},
            ("v",),
            **{"$defs": {"A": {"type": "integer"}, "B": {"type": "integer"}}},
        ),
        obj(
            {"v": {"$ref": "#/$defs/B"}},
            ("v",),
            **{"$defs": {"A": {"type": "integer"}, "B": {"type": "integer"}}},
        ),
    ),
    "ref_retargeted_narrower": (
        obj(
            {"v": {"$ref": "#/$defs/A"}},
            ("v",),
            **{"$defs": {"A": {"type": "number"}, "B": {"type": "integer"}}},
        ),
        obj(
            {"v": {"$ref": "#/$defs/B"}},
            ("v",),
            **{"$defs": {"A": {"type": "number"}, "B": {"type": "integer"}}},
        ),
    ),
    "envelope_gains_property_open": (
        obj({}, allOf=[{"$ref": "#/$defs/E"}], **{"$defs": {"E": ENVELOPE}}),
        obj({}, allOf=[{"$ref": "#/$defs/E"}], **{"$defs": {"E": ENVELOPE_MORE}}),
    ),
    "nested_object_property_narrowed": prop(
        {"type": "object", "properties": {"a": {"type": "number"}}},
        {"type": "object", "properties": {"a": {"type": "integer"}}},
    ),
}


def _verdicts(
    tmp: Path, old: dict[str, Any], new: dict[str, Any]
) -> dict[Direction, list[str]]:
    versions = []
    for side, schema in (("old", old), ("new", new)):
        root = tmp / side
        (root / "schemas/messages").mkdir(parents=True)
        (root / "schemas/messages/m.json").write_text(json.dumps(schema, indent=2))
        named, messages, schemas = load_messages(root)
        service = ir.Service("s", "s", named_types=named, messages=messages)
        versions.append(Version.of(service, schemas, {}))
    out: dict[Direction, list[str]] = {}
    for d in ("backward", "forward"):
        breaks = compare(versions[0], "M", versions[1], "M", [d], "")
        out[d] = sorted({b.rule for b in breaks})
    return out


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", sorted(CASES))
def test_verdict_agrees_with_instances(case: str, tmp_path: Path) -> None:
    old, new = CASES[case]
    compat = _verdicts(tmp_path, old, new)
    truth = {"backward": accepted(old, new), "forward": accepted(new, old)}
    for d, (_, _, tried) in truth.items():
        assert tried >= 3, f"{d}: only {tried} instances"
    for mode in MODES:
        dirs = directions(mode)
        says_ok = not any(compat[d] for d in dirs)
        is_ok = all(truth[d][0] for d in dirs)
        why = "; ".join(
            f"{d}: {truth[d][1]!r} is rejected" for d in dirs if not truth[d][0]
        )
        assert says_ok == is_ok, f"{mode}: compat {[compat[d] for d in dirs]}; {why}"

"""Avro compat verdicts equal what fastavro does (``avro_truth``): for every
schema pair and each of BACKWARD, FORWARD and FULL, compat reports a break
exactly when some value of the writer schema does not read (or reads as
something else) with the reader schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator import ir
from generator.compat.load import load_messages
from generator.compat.messages import Version, compare
from generator.compat.rules import MODES, Direction, directions
from tests.avro_truth import readable


def rec(*fields: Any, name: str = "com.x.M", **extra: Any) -> dict[str, Any]:
    out = [f if isinstance(f, dict) else {"name": f[0], "type": f[1]} for f in fields]
    return {
        "type": "record",
        "name": name,
        "fields": [{"name": "id", "type": "string"}, *out],
        **extra,
    }


def f(name: str, t: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": t, **extra}


def one(old: Any, new: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return rec(("v", old)), rec(("v", new))


def enum(*symbols: str, name: str = "Color", **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": name, "symbols": list(symbols), **extra}


def fixed(size: int, name: str = "Hash", **extra: Any) -> dict[str, Any]:
    return {"type": "fixed", "name": name, "size": size, **extra}


def logical(base: Any, name: str, **extra: Any) -> dict[str, Any]:
    return {"type": base, "logicalType": name, **extra}


def dec(p: int, s: int) -> dict[str, Any]:
    return logical("bytes", "decimal", precision=p, scale=s)


def inner(*fields: Any, name: str = "Inner", **extra: Any) -> dict[str, Any]:
    out = [x if isinstance(x, dict) else {"name": x[0], "type": x[1]} for x in fields]
    return {"type": "record", "name": name, "fields": out, **extra}


DIRECTIONS: tuple[Direction, ...] = ("backward", "forward")
NODE_OLD = {
    "type": "record",
    "name": "Node",
    "fields": [f("value", "int"), f("next", ["null", "Node"], default=None)],
}
NODE_NEW = {
    "type": "record",
    "name": "Node",
    "fields": [
        f("value", "int"),
        f("next", ["null", "Node"], default=None),
        f("tag", "string", default=""),
    ],
}

CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "identical": one("int", "int"),
    "field_added_with_default": (rec(), rec(f("n", "int", default=0))),
    "field_added_without_default": (rec(), rec(f("n", "int"))),
    "field_removed_with_default": (rec(f("n", "int", default=0)), rec()),
    "field_removed_without_default": (rec(f("n", "int")), rec()),
    "int_to_long": one("int", "long"),
    "long_to_int": one("long", "int"),
    "int_to_float": one("int", "float"),
    "int_to_double": one("int", "double"),
    "long_to_double": one("long", "double"),
    "long_to_float": one("long", "float"),
    "float_to_double": one("float", "double"),
    "double_to_float": one("double", "float"),
    "string_to_bytes": one("string", "bytes"),
    "bytes_to_string": one("bytes", "string"),
    "string_to_int": one("string", "int"),
    "boolean_to_int": one("boolean", "int"),
    "enum_symbol_added": one(enum("R", "G"), enum("R", "G", "B")),
    "enum_symbol_removed": one(enum("R", "G", "B"), enum("R", "G")),
    "enum_symbol_removed_reader_default": one(
        enum("R", "G", "B", default="R"), enum("R", "G", default="R")
    ),
    "enum_symbol_added_with_default": one(
        enum("R", "G", default="R"), enum("R", "G", "B", default="R")
    ),
    "enum_reordered": one(enum("R", "G", "B"), enum("B", "R", "G")),
    "union_branch_added": one(["null", "string"], ["null", "string", "int"]),
    "union_branch_removed": one(["null", "string", "int"], ["null", "string"]),
    "optional_to_required": one(["null", "string"], "string"),
    "required_to_optional": one("string", ["null", "string"]),
    "plain_to_union_without_it": one("int", ["null", "string"]),
    "union_reordered": one(["null", "string", "int"], ["int", "null", "string"]),
    "union_promotion": one(["int", "string"], ["long", "string"]),
    "union_demotion": one(["long", "string"], ["int", "string"]),
    "plain_into_union_promoted": one("int", ["null", "long"]),
    "union_int_to_double": one(["null", "int"], ["null", "double"]),
    "fixed_same": one(fixed(4), fixed(4)),
    "fixed_size_changed": one(fixed(4), fixed(8)),
    "fixed_renamed_with_alias": one(
        fixed(4), fixed(4, name="Digest", aliases=["Hash"])
    ),
    "fixed_renamed_without_alias": one(fixed(4), fixed(4, name="Digest")),
    "record_renamed_without_alias": one(
        inner(("a", "int")), inner(("a", "int"), name="Other")
    ),
    "record_renamed_with_alias": one(
        inner(("a", "int")), inner(("a", "int"), name="Other", aliases=["Inner"])
    ),
    "record_namespace_changed": one(
        inner(("a", "int")), inner(("a", "int"), name="y.Inner")
    ),
    "enum_renamed_without_alias": one(enum("R", "G"), enum("R", "G", name="Hue")),
    "enum_renamed_with_alias": one(
        enum("R", "G"), enum("R", "G", name="Hue", aliases=["Color"])
    ),
    "field_renamed_with_alias": (rec(f("a", "int")), rec(f("b", "int", aliases=["a"]))),
    "field_renamed_without_alias": (rec(f("a", "int")), rec(f("b", "int"))),
    "field_renamed_alias_and_default": (
        rec(f("a", "int")),
        rec(f("b", "int", aliases=["a"], default=0)),
    ),
    "timestamp_millis_to_micros": one(
        logical("long", "timestamp-millis"), logical("long", "timestamp-micros")
    ),
    "timestamp_millis_to_long": one(logical("long", "timestamp-millis"), "long"),
    "long_to_timestamp_millis": one("long", logical("long", "timestamp-millis")),
    "timestamp_to_local": one(
        logical("long", "timestamp-millis"), logical("long", "local-timestamp-millis")
    ),
    "date_to_int": one(logical("int", "date"), "int"),
    "date_same": one(logical("int", "date"), logical("int", "date")),
    "time_millis_to_micros": one(
        logical("int", "time-millis"), logical("long", "time-micros")
    ),
    "uuid_to_string": one(logical("string", "uuid"), "string"),
    "decimal_precision_up": one(dec(10, 2), dec(12, 2)),
    "decimal_precision_down": one(dec(10, 2), dec(8, 2)),
    "decimal_scale_changed": one(dec(10, 2), dec(10, 3)),
    "decimal_bytes_to_fixed": one(
        dec(6, 2),
        logical(fixed(8, name="D"), "decimal", precision=6, scale=2)
        | {"type": "fixed", "name": "D", "size": 8},
    ),
    "array_int_to_long": one(
        {"type": "array", "items": "int"}, {"type": "array", "items": "long"}
    ),
    "array_long_to_int": one(
        {"type": "array", "items": "long"}, {"type": "array", "items": "int"}
    ),
    "map_string_to_bytes": one(
        {"type": "map", "values": "string"}, {"type": "map", "values": "bytes"}
    ),
    "map_int_to_string": one(
        {"type": "map", "values": "int"}, {"type": "map", "values": "string"}
    ),
    "array_to_map": one(
        {"type": "array", "items": "int"}, {"type": "map", "values": "int"}
    ),
    "array_of_enum_symbol_removed": one(
        {"type": "array", "items": enum("R", "G", "B")},
        {"type": "array", "items": enum("R", "G")},
    ),
    "nested_field_added_with_default": one(
        inner(("a", "int")), inner(("a", "int"), f("b", "string", default="x"))
    ),
    "nested_field_added_without_default": one(
        inner(("a", "int")), inner(("a", "int"), ("b", "string"))
    ),
    "optional_record_gains_required_field": one(
        ["null", inner(("a", "int"))], ["null", inner(("a", "int"), ("b", "int"))]
    ),
    "map_of_records_int_to_long": one(
        {"type": "map", "values": inner(("a", "int"))},
        {"type": "map", "values": inner(("a", "long"))},
    ),
    "optional_field_with_null_default_added": (
        rec(),
        rec(f("n", ["null", "string"], default=None)),
    ),
    "two_fields_added_one_without_default": (
        rec(),
        rec(f("a", "int", default=1), f("b", "int")),
    ),
    "field_swapped_for_defaulted_one": (
        rec(f("a", "int", default=0)),
        rec(f("b", "long", default=5)),
    ),
    "recursive_node_gains_defaulted_field": one(NODE_OLD, NODE_NEW),
    "int_to_string_in_array_of_unions": one(
        {"type": "array", "items": ["null", "int"]},
        {"type": "array", "items": ["null", "string"]},
    ),
}


def _verdicts(
    tmp: Path, old: dict[str, Any], new: dict[str, Any]
) -> dict[str, list[str]]:
    versions = []
    for side, schema in (("old", old), ("new", new)):
        root = tmp / side
        (root / "schemas/messages").mkdir(parents=True)
        (root / "schemas/messages/m.avsc").write_text(json.dumps(schema))
        named, messages, schemas = load_messages(root)
        versions.append(
            Version.of(
                ir.Service("s", "s", named_types=named, messages=messages),
                schemas,
                {},
            )
        )
    out = {}
    for d in DIRECTIONS:
        breaks = compare(versions[0], "com.x.M", versions[1], "com.x.M", [d], "")
        out[d] = sorted({b.rule for b in breaks})
    return out


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", sorted(CASES))
def test_verdict_is_what_fastavro_does(case: str, tmp_path: Path) -> None:
    old, new = CASES[case]
    compat = _verdicts(tmp_path, old, new)
    truth = {"backward": readable(old, new), "forward": readable(new, old)}
    for mode in MODES:
        dirs = directions(mode)
        says_ok = not any(compat[d] for d in dirs)
        is_ok = all(truth[d][0] for d in dirs)
        why = "; ".join(f"{d}: {truth[d][1]}" for d in dirs if truth[d][1])
        assert says_ok == is_ok, (
            f"{mode}: compat {[compat[d] for d in dirs]}, fastavro: {why}"
        )

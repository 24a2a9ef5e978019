"""Bad JSON Schema and config input: ``svcforge regen`` exits 2, names the
file, line, column and JSON pointer of every problem, and writes nothing."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from generator.cli import EXIT_BAD_INPUT, main

PYPROJECT = '[project]\nname = "bad-input"\n\n[tool.svcforge]\npackage = "bad_input"\n'
COMMON = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {"Id": {"type": "string", "format": "uuid"}},
}


def service(tmp_path: Path, files: dict[str, object]) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        path.write_text(text)
    return tmp_path


def regen_fails(root: Path) -> str:
    """Run regen; it must exit 2 and write nothing.  Returns stderr."""
    before = sorted(p for p in root.rglob("*"))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["regen", str(root)])
    assert code == EXIT_BAD_INPUT, err.getvalue()
    assert out.getvalue() == ""
    assert sorted(p for p in root.rglob("*")) == before, "regen wrote files"
    return err.getvalue()


def message(props: dict[str, object], **extra: object) -> dict[str, object]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Thing",
        "type": "object",
        "properties": props,
        **extra,
    }


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    root = service(
        tmp_path,
        {"schemas/messages/thing.json": '{\n  "type": "object",\n  "title": }\n'},
    )
    err = regen_fails(root)
    assert "schemas/messages/thing.json:3:12: invalid JSON" in err


def test_unresolvable_ref_to_a_missing_file(tmp_path: Path) -> None:
    root = service(
        tmp_path,
        {
            "schemas/messages/thing.json": message(
                {"id": {"$ref": "nope.json#/$defs/Id"}}
            )
        },
    )
    err = regen_fails(root)
    assert "schemas/messages/thing.json:7:15: unresolvable $ref" in err
    assert "(at /properties/id/$ref)" in err
    assert "no schema file 'nope.json'" in err


def test_unresolvable_ref_to_a_missing_definition(tmp_path: Path) -> None:
    root = service(
        tmp_path,
        {
            "schemas/messages/common.json": COMMON,
            "schemas/messages/thing.json": message(
                {"id": {"$ref": "common.json#/$defs/Missing"}}
            ),
        },
    )
    err = regen_fails(root)
    assert "schemas/messages/thing.json:7:15: unresolvable $ref" in err
    assert "schemas/messages/common.json has nothing at /$defs/Missing" in err
    assert "(at /properties/id/$ref)" in err


def test_remote_refs_are_not_fetched(tmp_path: Path) -> None:
    ref = "https://example.com/schemas/id.json"
    root = service(
        tmp_path, {"schemas/messages/thing.json": message({"id": {"$ref": ref}})}
    )
    err = regen_fails(root)
    assert "remote references are not fetched" in err
    assert "(at /properties/id/$ref)" in err


def test_unknown_keywords_are_annotations(tmp_path: Path) -> None:
    """The specification says unknown keywords are annotations: a misspelt
    ``required`` is no error (and requires nothing)."""
    root = service(
        tmp_path,
        {
            "schemas/messages/thing.json": message(
                {"a": {"type": "string", "example": "x", "x-owner": "team"}},
                requried=["a"],
                version=3,
            )
        },
    )
    assert regen_ok(root)


def regen_ok(root: Path) -> bool:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["regen", str(root)])
    assert code == 0, err.getvalue()
    return True


def test_a_discriminated_union_needs_const_tags(tmp_path: Path) -> None:
    branch = {"type": "object", "properties": {"kind": {"type": "string"}}}
    root = service(
        tmp_path,
        {
            "schemas/messages/thing.json": message(
                {
                    "body": {
                        "oneOf": [branch, branch],
                        "discriminator": {"propertyName": "kind"},
                    }
                }
            )
        },
    )
    err = regen_fails(root)
    assert "(at /properties/body/oneOf/0)" in err
    assert "needs a property 'kind' with a const value" in err


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    root = service(
        tmp_path,
        {
            "schemas/messages/a.json": message({"x": {"type": "strnig"}}),
            "schemas/messages/b.json": message({"y": {"minLength": -2}}, title="Other"),
        },
    )
    err = regen_fails(root)
    assert "schemas/messages/a.json" in err and "schemas/messages/b.json" in err
    assert "svcforge: 2 errors; nothing written" in err


def test_two_messages_may_not_share_a_class_name(tmp_path: Path) -> None:
    root = service(
        tmp_path,
        {
            "schemas/messages/a.json": message({"x": {"type": "string"}}),
            "schemas/messages/b.json": message({"y": {"type": "string"}}),
        },
    )
    err = regen_fails(root)
    assert "schemas/messages/b.json:1:1: message class 'Thing' is already taken" in err


def test_a_schema_file_must_be_an_object(tmp_path: Path) -> None:
    root = service(tmp_path, {"schemas/messages/thing.json": "[1, 2]"})
    err = regen_fails(root)
    assert (
        "schemas/messages/thing.json:1:1: a schema file must hold a JSON object" in err
    )


def test_an_unknown_draft_is_refused(tmp_path: Path) -> None:
    schema = message({"a": {"type": "string"}})
    schema["$schema"] = "http://json-schema.org/draft-03/schema#"
    root = service(tmp_path, {"schemas/messages/thing.json": schema})
    err = regen_fails(root)
    assert "schemas/messages/thing.json:2:14: unknown $schema" in err
    assert "svcforge reads drafts 4, 6, 7, 2019-09 and 2020-12" in err


def test_a_schema_nested_too_deeply_is_refused(tmp_path: Path) -> None:
    node: dict[str, object] = {"type": "string"}
    for _ in range(60):
        node = {"type": "object", "properties": {"a": node}}
    root = service(tmp_path, {"schemas/messages/thing.json": message({"a": node})})
    err = regen_fails(root)
    assert "the schema nests more than 100 levels" in err


def test_an_unsatisfiable_schema_is_refused(tmp_path: Path) -> None:
    schema = message(
        {"a": {"type": "integer", "minimum": 5, "maximum": 3}}, required=["a"]
    )
    root = service(tmp_path, {"schemas/messages/thing.json": schema})
    err = regen_fails(root)
    assert "schemas/messages/thing.json:1:1: cannot find an example message" in err
    assert "it may accept nothing (at /a of the first try" in err


def test_config_secret_with_a_default_is_rejected(tmp_path: Path) -> None:
    config = {
        "type": "object",
        "properties": {
            "token": {"type": "string", "writeOnly": True, "default": "hunter2"}
        },
    }
    root = service(tmp_path, {"schemas/config/settings.json": config})
    err = regen_fails(root)
    assert "schemas/config/settings.json:7:18: a secret may not have a default" in err
    assert "(at /properties/token/default)" in err


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (
            {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "unsupported keyword 'oneOf'",
        ),
        (
            {"type": "object", "additionalProperties": {"type": "string"}},
            "maps have no environment-variable form",
        ),
        (
            {"type": "string", "default": 3},
            "the default must be a string, found the number 3",
        ),
        (
            {"enum": ["a", "b"], "default": "c"},
            "the default 'c' is not one of ['a', 'b']",
        ),
        ({"$ref": "#/$defs/Missing"}, "unresolvable $ref '#/$defs/Missing'"),
    ],
)
def test_config_constructs_without_an_environment_form_are_rejected(
    tmp_path: Path, schema: dict[str, object], expected: str
) -> None:
    config = {"type": "object", "properties": {"value": schema}}
    root = service(tmp_path, {"schemas/config/settings.json": config})
    err = regen_fails(root)
    assert "schemas/config/settings.json:" in err
    assert expected in err
    assert "(at /properties/value" in err


def test_config_names_become_variables_so_they_must_be_snake_case(
    tmp_path: Path,
) -> None:
    config = {"type": "object", "properties": {"tokenTtl": {"type": "integer"}}}
    root = service(tmp_path, {"schemas/config/settings.json": config})
    err = regen_fails(root)
    assert "setting 'tokenTtl' is not a lower-case Python name" in err
    assert "hint: call it 'token_ttl'" in err


def test_config_may_not_take_a_runtime_group_name(tmp_path: Path) -> None:
    config = {"type": "object", "properties": {"logging": {"type": "string"}}}
    root = service(tmp_path, {"schemas/config/settings.json": config})
    err = regen_fails(root)
    assert "setting 'logging' is the name of a runtime settings group" in err


def test_a_ref_to_something_that_is_no_schema(tmp_path: Path) -> None:
    """SchemaStore's tslint.json refers to a draft-04 tuple's array of items:
    no validator can compile that."""
    schema = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "definitions": {"o": {"type": "array", "items": [{"type": "string"}]}},
        "type": "object",
        "properties": {"a": {"$ref": "#/definitions/o/items"}},
    }
    root = service(tmp_path, {"schemas/messages/thing.json": schema})
    err = regen_fails(root)
    assert (
        "schemas/messages/thing.json:16:15: $ref '#/definitions/o/items' leads to "
        "an array, which is no schema"
    ) in err

"""Schema shapes found in published collections (``bench/wild.py``), each
modelled by a small file of ``tests/golden/json_schema_wild``: they generate,
and the generated codecs behave as the schemas say."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from pydantic import MISSING, TypeAdapter, ValidationError

from generator.cli import main
from svcforge import DecodeError, EmailStr

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "tests" / "golden" / "json_schema_wild"


@pytest.fixture(scope="module")
def codecs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("wild") / "json_schema_wild"
    shutil.copytree(CASE, root, ignore=shutil.ignore_patterns("expected"))
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["regen", str(root)]) == 0
    sys.path.insert(0, str(root / "src"))
    try:
        return importlib.import_module("golden_json_schema_wild.generated.codecs")
    finally:
        sys.path.remove(str(root / "src"))


def test_a_root_map_another_message_refers_to_is_a_message_too(codecs: Any) -> None:
    assert codecs.SCOPES_JSON.decode('{"read": "Read it"}').root == {"read": "Read it"}
    with pytest.raises(ValidationError):
        codecs.SCOPES_JSON.decode('{"read": 1}')
    tag = codecs.TAG_JSON.decode('{"name": "a", "scopes": {"read": "r"}}')
    assert tag.scopes == {"read": "r"}


def test_the_same_file_name_in_two_folders_makes_two_messages(codecs: Any) -> None:
    assert codecs.TAG_JSON.model.__name__ == "Tag"
    assert codecs.TAG_V2_JSON.model.__name__ == "TagV2"
    with pytest.raises(ValidationError):
        codecs.TAG_V2_JSON.decode('{"name": ""}')


def test_an_email_is_checked_and_kept_as_written(codecs: Any) -> None:
    data = '{"name":"a","contact":"\\"joe bloggs\\"@[IPv6:::1]"}'
    assert codecs.TAG_V2_JSON.encode(codecs.TAG_V2_JSON.decode(data)) == data.encode()
    # pydantic's EmailStr would accept these and rewrite them.
    for written in (" ada@example.com", "Ada <ada@example.com>"):
        with pytest.raises(ValidationError):
            codecs.TAG_V2_JSON.decode(json.dumps({"name": "a", "contact": written}))


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("joe.bloggs@example.com", True),
        ("te~st@example.com", True),
        ('"joe..bloggs"@example.com', True),
        ("joe.bloggs@[127.0.0.1]", True),
        ("joe.bloggs@[IPv6:::1]", True),
        ("실례@실례.테스트", True),
        ("a@localhost", True),
        ("2962", False),
        (".test@example.com", False),
        ("test.@example.com", False),
        ("te..st@example.com", False),
        ("joe.bloggs@invalid=domain.com", False),
        ("joe.bloggs@[127.0.0.300]", False),
        ("joe.bloggs@[IPv6:::12345]", False),
        ("a@-b.com", False),
        ("a@b.com\n", False),
    ],
)
def test_email_syntax_is_rfc_5321_and_6531(text: str, valid: bool) -> None:
    adapter: TypeAdapter[str] = TypeAdapter(EmailStr)
    if valid:
        assert adapter.validate_python(text) == text
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(text)


def test_parts_of_a_meta_schema_are_what_the_meta_schema_says(codecs: Any) -> None:
    codec = codecs.FIELD_DOC_JSON
    assert codec.decode('{"title": "t", "minLength": 0, "schema": {}}') is not None
    with pytest.raises(DecodeError):
        codec.decode('{"title": 5, "minLength": 0}')
    with pytest.raises(DecodeError):
        codec.decode('{"title": "t", "minLength": -1}')


def test_a_pointer_into_a_draft_04_tuple_reaches_its_item(codecs: Any) -> None:
    assert codecs.PAIR_JSON.decode('{"mode": "dev", "level": 2}') is not None
    with pytest.raises(DecodeError):
        codecs.PAIR_JSON.decode('{"mode": "prod"}')
    with pytest.raises(DecodeError):
        codecs.PAIR_JSON.decode('{"level": "high"}')


def test_a_default_that_holds_itself_is_missing_when_absent(codecs: Any) -> None:
    node = codecs.NODE_JSON.decode('{"name": "a"}')
    assert node.more is MISSING
    inner = codecs.NODE_JSON.decode('{"more": {"more": true}}')
    assert inner.more.more is True


def test_a_pointer_to_a_keyword_the_draft_does_not_know_reaches_it(
    codecs: Any,
) -> None:
    step = codecs.STEP_JSON.decode('{"if": "build.branch == \'main\'", "key": "k"}')
    assert step.if_ == "build.branch == 'main'"
    with pytest.raises(ValidationError):
        codecs.STEP_JSON.decode('{"if": ""}')
    with pytest.raises(ValidationError):
        codecs.STEP_JSON.decode('{"if": 1}')


def test_a_message_whose_one_value_is_null_generates(codecs: Any) -> None:
    assert codecs.NOTHING_JSON.decode(b"null").root is None
    with pytest.raises(ValidationError):
        codecs.NOTHING_JSON.decode(b"0")


def test_annotations_of_the_wrong_type_are_passed_over(codecs: Any) -> None:
    config = codecs.TOOL_CONFIG_JSON.decode('{"name": "ab"}')
    assert config.audit is MISSING  # not the string "false"
    assert codecs.TOOL_CONFIG_JSON.encode(config) == b'{"name":"ab"}'
    with pytest.raises(ValidationError):
        codecs.TOOL_CONFIG_JSON.decode('{"name": "a"}')


def test_a_pattern_in_web_syntax_has_literal_braces_and_brackets(
    codecs: Any,
) -> None:
    codec = codecs.WORKFLOW_OUTPUT_JSON
    assert codec.decode('{"value": "${{ if x }}", "path": "$[*][0]"}').path == "$[*][0]"
    for bad in ('{"value": "${ if x }"}', '{"value": "${{ if }}", "path": "$[a]"}'):
        with pytest.raises((DecodeError, ValidationError)):
            codec.decode(bad)


def test_a_class_written_before_its_local_base_is_moved_after_it() -> None:
    """datamodel-code-generator may write an inline class extending a
    recursive class it writes later (AsyncAPI 2.x's message ``headers``)."""
    from generator.emitters.jsonmodels.dmcg import finish

    code = (
        "from __future__ import annotations\n"
        "from enum import Enum\n"
        "from svcforge import JsonSchemaModel\n"
        "class Headers(Schema):\n"
        "    kind: Kind = Kind.object\n"
        "class Schema(JsonSchemaModel):\n"
        "    items: Schema | bool | None = None\n"
        "class Kind(Enum):\n"
        "    object = 'object'\n"
        "Schema.model_rebuild()\n"
    )
    module = types.ModuleType("wild_late_base")
    sys.modules[module.__name__] = module
    try:
        exec(compile(finish(code), "<models>", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    headers = module.Headers.model_validate({"items": {"items": True}})
    assert headers.kind.value == "object"
    assert headers.items.items is True


def test_a_default_of_the_wrong_kind_is_dropped() -> None:
    """AsyncAPI's ``items`` (a schema or an array of them, default ``{}``):
    datamodel-code-generator gives the ``{}`` to the array branch too, which
    mypy --strict refuses."""
    from generator.emitters.jsonmodels.dmcg import finish

    code = (
        "from __future__ import annotations\n"
        "from typing import Annotated\n"
        "from pydantic import Field, RootModel\n"
        "from svcforge import JsonSchemaModel\n"
        "class Item(JsonSchemaModel):\n"
        "    name: str | None = None\n"
        "class Items(RootModel[list[Item]]):\n"
        "    root: Annotated[list[Item], Field(min_length=1)] = {}\n"
        "class Other(JsonSchemaModel):\n"
        "    tags: list[str] = {}\n"
        "    counts: dict[str, int] = {}\n"
        "    size: int = None\n"
        "    flag: bool | None = 'false'\n"
        "    kind: Item = None\n"
        "    ratio: float | None = 1\n"
    )
    text = finish(code)
    assert "size: int | MISSING = MISSING" in text
    assert "flag: bool | MISSING | None = MISSING" in text
    assert "kind: Item | MISSING = MISSING" in text
    assert "ratio: float | None = 1" in text
    assert "root: Annotated[list[Item], Field(min_length=1)]\n" in text
    assert "tags: list[str] | MISSING = MISSING" in text
    assert "counts: dict[str, int] = Field(default_factory=dict)" in text


def test_a_closed_tuple_is_a_tuple(codecs: Any) -> None:
    codec = codecs.SPAN_JSON
    span = codec.decode('{"range": ["a", 2], "open": ["b", 3]}')
    assert span.range == ("a", 2)
    assert codec.encode(span) == b'{"range":["a",2],"open":["b",3]}'
    assert codec.model.model_fields["range"].annotation == tuple[str, int]
    for bad in ('{"range": ["a"]}', '{"range": ["a", 2, 3]}', '{"range": [1, 2]}'):
        with pytest.raises(ValidationError):  # the model alone refuses them
            codec.model.model_validate_json(bad)
    with pytest.raises(DecodeError):  # an open tuple: the exact validator
        codec.decode('{"range": ["a", 2], "open": [1]}')


@pytest.mark.parametrize("strict", [False, True])
def test_strict_keywords_warns_of_keywords_the_draft_does_not_define(
    tmp_path: Path, strict: bool
) -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLenght": 2, "examples": ["ab"]},
            "tags": {"type": "array", "prefixItems": [{"type": "string"}]},
        },
    }
    (tmp_path / "schemas" / "messages").mkdir(parents=True)
    (tmp_path / "schemas" / "messages" / "thing.json").write_text(
        json.dumps(schema, indent=2)
    )
    option = "strict_keywords = true\n" if strict else ""
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.svcforge]\npackage = "strict_case"\n{option}'
    )
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert main(["regen", str(tmp_path)]) == 0
    warnings = [line for line in err.getvalue().splitlines() if "warning:" in line]
    if not strict:
        assert warnings == []
        return
    assert warnings == [
        "schemas/messages/thing.json:7:7: warning: unknown keyword 'minLenght': "
        "draft 7 does not define it, so it is an annotation "
        "(at /properties/name/minLenght)",
        "schemas/messages/thing.json:14:7: warning: unknown keyword 'prefixItems': "
        "draft 7 does not define it, so it is an annotation "
        "(at /properties/tags/prefixItems)",
    ]

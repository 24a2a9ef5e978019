"""Typed where possible, validated exactly always: every keyword a model
cannot express gets, in the generated tests of the ``json_schema_exact``
golden case, an instance the schema forbids refused on decode (and the
example, valid, accepted); encoding a model instance the schema forbids fails
too.  Drafts 4 to 2020-12 are read with their own meaning."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from generator.cli import main
from generator.frontends.jsonschema.drafts import parse_draft
from generator.frontends.jsonschema.keywords import EXACT, EXACT_WHEN
from generator.frontends.jsonschema.normalize import HELD, normalize
from generator.pipeline import load_service
from svcforge import DecodeError, SchemaViolation

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "tests" / "golden" / "json_schema_exact"
# Draft-specific spellings are normalised to the 2020-12 keyword that the
# analysis names (``items`` means its array form here).
SAME_AS = {
    "dependencies": {"dependentRequired", "dependentSchemas"},
    "additionalItems": {"prefixItems"},
    "items": {"prefixItems"},
    "$recursiveRef": {"$dynamicRef"},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exact") / "json_schema_exact"
    shutil.copytree(CASE, root, ignore=shutil.ignore_patterns("expected"))
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["regen", str(root)]) == 0
    return root


def test_every_keyword_of_the_exact_column_has_a_forbidden_instance(
    project: Path,
) -> None:
    _, service = load_service(project)
    assert service.json_models is not None
    covered = {k for m in service.json_models.messages for k, _ in m.forbidden}
    for keyword in sorted({*EXACT, *EXACT_WHEN}):
        names = SAME_AS.get(keyword, {keyword})
        assert names & covered, f"no generated test refuses an instance for {keyword}"


def test_the_generated_tests_pass_with_deprecations_as_errors(project: Path) -> None:
    """Valid examples accepted, forbidden instances refused on decode."""
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error::DeprecationWarning",
            "tests/generated",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_the_schema_refuses_what_the_model_cannot_express" in (
        (project / "tests" / "generated" / "test_json_messages.py").read_text()
    )


def _codecs(project: Path) -> Any:
    sys.path.insert(0, str(project / "src"))
    try:
        return importlib.import_module("golden_json_schema_exact.generated.codecs")
    finally:
        sys.path.remove(str(project / "src"))


def test_encoding_what_the_schema_forbids_fails(project: Path) -> None:
    codecs = _codecs(project)
    codec = codecs.SHIPMENT_JSON
    valid = {"kind": "letter", "weight_g": 3}
    assert codec.decode(json.dumps(valid)).kind.value == "letter"
    # The model cannot hold "not": it accepts the value, the schema does not.
    message = codec.model.model_validate({**valid, "tracking": "none"})
    with pytest.raises(SchemaViolation, match=r"\(at /tracking\)"):
        codec.encode(message)
    with pytest.raises(DecodeError, match=r"bad Shipment payload: .* \(at /tracking\)"):
        codec.decode(json.dumps({**valid, "tracking": "none"}))


def test_messages_without_such_keywords_get_no_validator(project: Path) -> None:
    codecs = _codecs(project)
    assert codecs.READING_JSON.validator is None
    assert codecs.SHIPMENT_JSON.validator is not None


def test_root_models_and_draft_meanings(project: Path) -> None:
    codecs = _codecs(project)
    assert codecs.TEMPERATURE_JSON.decode("21.5").root == 21.5
    with pytest.raises(ValidationError):
        codecs.TEMPERATURE_JSON.decode("-300")
    # draft-04: a boolean exclusiveMinimum makes the minimum exclusive.
    with pytest.raises(ValidationError):
        codecs.READING_JSON.decode('{"celsius": -273.15}')
    assert codecs.READING_JSON.decode('{"celsius": -273.0}').celsius == -273.0
    # draft-07: dependencies; a tuple with additionalItems false.
    with pytest.raises(DecodeError):
        codecs.LEGACY_JSON.decode('{"a": "x"}')
    with pytest.raises(DecodeError):
        codecs.LEGACY_JSON.decode('{"pair": ["x", 1, 2]}')
    # draft-07: keywords beside a $ref are ignored (minimum 100 is not).
    assert codecs.LEGACY_JSON.decode('{"d": 5}') is not None
    # 2019-09 $recursiveRef and 2020-12 $dynamicRef: the children are trees.
    with pytest.raises(DecodeError):
        codecs.TREE_JSON.decode('{"value": 1, "children": [{"value": "x"}]}')
    with pytest.raises(DecodeError):
        codecs.OUTLINE_JSON.decode('{"heading": "a", "sections": [{"heading": ""}]}')
    # A union at the root: exactly one branch.
    assert codecs.EVENT_JSON.decode('{"login": "ada"}') is not None
    with pytest.raises(DecodeError):
        codecs.EVENT_JSON.decode('{"login": "ada", "logout": "ada"}')


@pytest.mark.parametrize(
    ("spelling", "draft"),
    [
        ("http://json-schema.org/draft-04/schema#", "4"),
        ("https://json-schema.org/draft-04/schema", "4"),
        ("http://json-schema.org/draft-06/schema", "6"),
        ("https://json-schema.org/draft-07/schema#", "7"),
        ("http://json-schema.org/draft/2019-09/schema#", "2019-09"),
        ("https://json-schema.org/draft/2020-12/schema", "2020-12"),
        (" https://json-schema.org/draft/2020-12/schema# ", "2020-12"),
        ("http://json-schema.org/schema#", "2020-12"),
        ("http://json-schema.org/draft-03/schema#", None),
        ("https://example.com/my-meta-schema", None),
    ],
)
def test_drafts_in_any_common_spelling(spelling: str, draft: str | None) -> None:
    assert parse_draft(spelling) == draft


def test_normalising_keeps_each_drafts_meaning() -> None:
    four = normalize(
        {
            "id": "https://example.com/a.json",
            "properties": {
                "n": {"minimum": 3, "exclusiveMinimum": True},
                "m": {"maximum": 3, "exclusiveMaximum": False},
                "t": {"items": [{"type": "string"}], "additionalItems": False},
                "r": {"$ref": "#/definitions/x", "maxLength": 3},
            },
            "dependencies": {"a": ["b"], "c": {"required": ["a"]}},
            "const": "ignored in draft-04",
        },
        "4",
    )
    assert four["$id"] == "https://example.com/a.json"
    assert four["properties"]["n"] == {"exclusiveMinimum": 3}
    assert four["properties"]["m"] == {"maximum": 3}
    assert four["properties"]["t"] == {
        "prefixItems": [{"type": "string"}],
        "items": False,
    }
    assert four["properties"]["r"] == {"$ref": "#/definitions/x"}
    assert four["dependentRequired"] == {"a": ["b"]}
    assert four["dependentSchemas"] == {"c": {"required": ["a"]}}
    assert "const" not in four
    # Kept aside, where a JSON pointer still finds it.
    assert four[HELD] == {"const": "ignored in draft-04"}
    seven = normalize({"$id": "#anchor", "type": "string"}, "7")
    assert seven == {"$anchor": "anchor", "type": "string"}
    # 2020-12 has no "dependencies": an annotation, which the models ignore.
    twenty = normalize({"type": "object", "dependencies": {"a": ["b"]}}, "2020-12")
    assert twenty == {"type": "object", HELD: {"dependencies": {"a": ["b"]}}}
    recursive = normalize({"$recursiveRef": "#"}, "2019-09")
    assert recursive == {"$dynamicRef": "#", "$ref": "#"}

"""JSON Schema messages: any instance of a message's schema survives its model
and JSON codec, and what the codec writes is valid against the source schema.

Instances come from the schemas themselves (hypothesis-jsonschema over the
bundle that datamodel-code-generator read), and are checked against the
original files with the ``jsonschema`` library, an independent validator that
resolves ``$ref`` across files on its own.  Every example message generated in
``examples.py`` is checked against its source schema the same way.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import BaseModel
from referencing import Registry, Resource

from generator import ir
from generator.frontends.jsonschema.bundle import bundle
from generator.frontends.jsonschema.registry import Registry as SchemaFiles
from generator.jsonsource import load_json
from tests.examples_support import example_roots, load_example

ROUND_TRIP = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# Formats hypothesis-jsonschema does not know (it would draw any string), and
# emails drawn plainly, as the models' email validator accepts them.
_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
CUSTOM_FORMATS = {
    "uuid": st.uuids().map(str),
    "email": st.builds(
        "{}@{}.{}".format, _LABEL, _LABEL, st.sampled_from(["com", "org", "dev", "io"])
    ),
}


def _cases() -> list[Any]:
    out = []
    for root in example_roots():
        service = load_example(root).service
        for m in service.messages:
            if m.encoding == "json":
                out.append(
                    pytest.param(root, m.fullname, id=f"{root.name}:{m.fullname}")
                )
    return out


CASES = _cases()


@functools.cache
def _documents(root: Path) -> tuple[Any, ...]:
    paths = sorted((root / "schemas" / "messages").glob("**/*.json"))
    return tuple(
        load_json(p.relative_to(root).as_posix(), p.read_text()) for p in paths
    )


@functools.cache
def _registry(root: Path) -> Registry:
    """The service's schema files, by file URI and by ``$id``."""
    resources = []
    for doc in _documents(root):
        resource = Resource.from_contents(
            doc.value, default_specification=_spec(doc.value)
        )
        resources.append(((root / doc.path).as_uri(), resource))
        if isinstance(doc.value.get("$id"), str):
            resources.append((doc.value["$id"], resource))
    return Registry().with_resources(resources)


def _spec(schema: dict[str, Any]) -> Any:
    from referencing.jsonschema import DRAFT7, DRAFT202012

    return DRAFT7 if "draft-07" in str(schema.get("$schema", "")) else DRAFT202012


def validator(root: Path, source: str) -> jsonschema.protocols.Validator:
    """A validator of the message's own file, as written."""
    path = root / source
    schema = json.loads(path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    base = schema.get("$id") or path.as_uri()
    return cls(
        {**schema, "$id": base},
        registry=_registry(root),
        format_checker=cls.FORMAT_CHECKER,
    )


@functools.cache
def _bundle(root: Path) -> dict[str, Any]:
    docs = list(_documents(root))
    return bundle(docs, SchemaFiles.of(docs)).schema


def _message(root: Path, fullname: str) -> tuple[ir.JsonMessage, type[BaseModel], Any]:
    example = load_example(root)
    models = example.service.json_models
    assert models is not None
    message = next(m for m in models.messages if m.fullname == fullname)
    model = getattr(example.package, fullname)
    codec = next(
        v
        for k, v in vars(example.codecs).items()
        if k.endswith("_JSON") and getattr(v, "model", None) is model
    )
    return message, model, codec


def test_the_examples_have_json_schema_messages() -> None:
    """An empty parametrization would pass; the accounts example has five."""
    assert len(CASES) >= 4


@pytest.mark.parametrize(("root", "fullname"), CASES)
def test_every_example_message_validates_against_its_source_schema(
    root: Path, fullname: str
) -> None:
    """The instance made at generation time, and what the generated example
    function encodes, are valid JSON for the message's own schema file."""
    message, model, codec = _message(root, fullname)
    check = validator(root, message.source)
    check.validate(message.example)
    examples = load_example(root).examples
    make: Callable[[], BaseModel] = getattr(examples, f"example_{codec_name(model)}")
    instance = make()
    assert isinstance(instance, model)
    check.validate(json.loads(codec.encode(instance)))


def codec_name(model: type[BaseModel]) -> str:
    from generator.naming import snake_case

    return snake_case(model.__name__)


@pytest.mark.parametrize(("root", "fullname"), CASES)
@pytest.mark.filterwarnings("ignore:Overriding standard format 'email'")
@ROUND_TRIP
@given(data=st.data())
def test_any_valid_instance_round_trips(
    root: Path, fullname: str, data: st.DataObject
) -> None:
    """Any instance of the schema validates as the model; model -> JSON ->
    model gives the same model; the JSON written is valid for the source
    schema and is written the same way again."""
    message, model, codec = _message(root, fullname)
    schema = {**_bundle(root), "$ref": f"#/$defs/{fullname}"}
    instance = data.draw(
        from_schema(schema, custom_formats=CUSTOM_FORMATS), label="instance"
    )
    # The bundle is loosened where only the exact validator holds a rule:
    # keep the instances of the schema itself.
    assume(validator(root, message.source).is_valid(instance))
    value = model.model_validate(instance)
    encoded = codec.encode(value)
    validator(root, message.source).validate(json.loads(encoded))
    decoded = codec.decode(encoded)
    assert decoded == value
    assert codec.encode(decoded) == encoded


@pytest.mark.parametrize(("root", "fullname"), CASES)
def test_an_invalid_instance_is_rejected_like_the_schema_rejects_it(
    root: Path, fullname: str
) -> None:
    """Dropping a required property, or giving it the wrong type, fails both
    the schema and the model."""
    message, model, _ = _message(root, fullname)
    check = validator(root, message.source)
    assert isinstance(message.example, dict)
    example = dict(message.example)
    for key in list(example):
        broken = {k: v for k, v in example.items() if k != key}
        if check.is_valid(broken):
            continue
        with pytest.raises(Exception):  # noqa: B017 - pydantic's ValidationError
            model.model_validate(broken)
        wrong = {**example, key: {"not": ["what", "the", "schema", "says"]}}
        assert not check.is_valid(wrong)
        with pytest.raises(Exception):  # noqa: B017
            model.model_validate(wrong)

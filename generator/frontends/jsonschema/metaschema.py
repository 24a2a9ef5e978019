"""Each schema file checked against its draft's meta-schema, every problem
reported at its position: what a validator of that draft would refuse to
compile, svcforge refuses too (nothing else: unknown keywords are
annotations).  jsonschema-rs does the checking, the same library that runs
the exact validators; the meta-schemas come from jsonschema-specifications.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema_rs
from jsonschema_specifications import REGISTRY

from generator.frontends.jsonschema.drafts import CANONICAL, Draft
from generator.jsonsource import pointer


@cache
def _validator(draft: Draft) -> jsonschema_rs.Validator:
    # Formats asserted: "pattern" values are checked as regular expressions.
    return jsonschema_rs.validator_for(
        REGISTRY.contents(CANONICAL[draft]), validate_formats=True
    )


def meta_problems(value: Any, draft: Draft) -> list[tuple[str, str]]:
    """``(JSON pointer, message)`` of each way ``value`` breaks its draft's
    meta-schema, in document order."""
    out = []
    for error in _validator(draft).iter_errors(value):
        ptr = ""
        for token in error.instance_path:
            ptr = pointer(ptr, token)
        out.append((ptr, _message(error)))
    return sorted(set(out))


def _message(error: jsonschema_rs.ValidationError) -> str:
    text = str(error.message)
    suffix = ' is not a "regex"'
    if text.endswith(suffix):
        return f"{text[: -len(suffix)]} is not a valid regular expression (ECMA-262)"
    if text.endswith("'anyOf' keyword") and list(error.schema_path)[-2:-1] == ["type"]:
        return "not a JSON Schema type, nor a list of them"
    return text

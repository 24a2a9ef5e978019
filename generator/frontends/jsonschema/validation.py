"""The value of each validation keyword, checked on its own, for plainer
messages than the meta-schema's: one function per keyword, found in a
table.  Patterns are ECMA-262 regular expressions, which the meta-schema
check (``metaschema``) compiles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator.frontends.jsonschema.drafts import Draft
from generator.frontends.jsonschema.keywords import TYPES, describe

_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COUNT_KEYS = ("minLength", "maxLength", "minItems", "maxItems")


def validation_problem(key: str, value: Any, draft: Draft = "2020-12") -> str:
    """Why ``value`` is no valid value of the validation keyword ``key`` in
    ``draft``, or ''."""
    if draft == "4" and key in ("exclusiveMinimum", "exclusiveMaximum"):
        return _boolean(key, value)
    if draft != "4" and key in _COUNT_KEYS and _integral(value):
        return ""  # since draft-06, 2.0 is an integer
    check = _CHECKS.get(key)
    return check(key, value) if check else ""


def _integral(value: Any) -> bool:
    return isinstance(value, float) and value.is_integer() and value >= 0


def _type(key: str, value: Any) -> str:
    kinds = value if isinstance(value, list) else [value]
    bad = [k for k in kinds if k not in TYPES]
    if bad or not kinds:
        return (
            f"type must be one of {', '.join(TYPES)} (or a list of them), "
            f"found {describe(bad[0] if bad else value)}"
        )
    return ""


def _enum(key: str, value: Any) -> str:
    if not isinstance(value, list):
        return f"enum must be an array, found {describe(value)}"
    return ""


def _required(key: str, value: Any) -> str:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "required must be an array of property names"
    return ""


def _string(key: str, value: Any) -> str:
    return (
        ""
        if isinstance(value, str)
        else f"{key} must be a string, found {describe(value)}"
    )


def _number(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{key} must be a number, found {describe(value)}"
    if key == "multipleOf" and value <= 0:
        return f"multipleOf must be greater than 0, found {value!r}"
    return ""


def _count(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return f"{key} must be a non-negative integer, found {describe(value)}"
    return ""


def _boolean(key: str, value: Any) -> str:
    return (
        ""
        if isinstance(value, bool)
        else f"{key} must be a boolean, found {describe(value)}"
    )


def _object(key: str, value: Any) -> str:
    return (
        ""
        if isinstance(value, dict)
        else f"{key} must be an object, found {describe(value)}"
    )


_CHECKS: dict[str, Callable[[str, Any], str]] = {
    "type": _type,
    "enum": _enum,
    "required": _required,
    "pattern": _string,
    "format": _string,
    **dict.fromkeys((*_NUMBER_KEYS, "multipleOf"), _number),
    **dict.fromkeys(_COUNT_KEYS, _count),
    "uniqueItems": _boolean,
    "discriminator": _object,
}

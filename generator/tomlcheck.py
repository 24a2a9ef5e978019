"""Check a TOML table against a pydantic model, and report what is wrong at
the TOML ``line:col`` in the project's words.

A pydantic error's ``loc`` is a path of field names and list indexes (with
the odd union member tag, which is not a key); followed through the model's
fields it gives the key path the scanner of ``tomlsource`` recorded.  The
message comes from the field's ``description`` (what the value must be),
never from pydantic's own text, which names Python types and links to its
documentation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, TypeGuard, TypeVar, get_args

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from generator.errors import Diagnostic, did_you_mean
from generator.ir import Span
from generator.tomlsource import KeyPath, TomlDocument

M = TypeVar("M", bound=BaseModel)

PROBLEM = "svcforge"
"""The pydantic error type of ``problem``: its context holds the message, a
hint, and the key it is about when that is not where the error arose."""


def problem(message: str, *, hint: str = "", at: str = "") -> PydanticCustomError:
    """For a model's validators: an error in the project's own words, which
    ``check_table`` reports as it is; ``at`` names the key it points at when
    that is not the key being validated."""
    return PydanticCustomError(
        PROBLEM, "{message}", {"message": message, "hint": hint, "at": at}
    )


@dataclass(frozen=True, slots=True)
class Where:
    """A TOML table being checked: its document, key path, and the words that
    name it in messages (``channel 'trades'``, ``[tool.svcforge]``)."""

    document: TomlDocument
    path: KeyPath
    name: str

    def span(self, path: KeyPath = (), *, key: bool = False) -> Span:
        return self.document.span((*self.path, *path), key=key)

    def diagnostic(self, path: KeyPath, text: str, hint: str = "") -> Diagnostic:
        return Diagnostic(self.span(path), f"{self.name}: {text}", hint)


def check_table(
    model: type[M], data: object, where: Where
) -> tuple[M | None, list[Diagnostic]]:
    """``data`` validated as ``model``, or every problem found in it."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    locs = [e["loc"] for e in errors]
    return None, [
        _diagnostic(model, e, where)
        for e in errors
        if not any(_inside(other, e["loc"]) for other in locs)
    ]


def _inside(loc: tuple[int | str, ...], outer: tuple[int | str, ...]) -> bool:
    """An error deeper in a value says more than one about the whole value
    (pydantic reports both for an invalid list element)."""
    return len(loc) > len(outer) and loc[: len(outer)] == outer


@dataclass(frozen=True, slots=True)
class _Place:
    path: KeyPath
    """The keys of ``loc`` that name fields (or list items)."""
    field: FieldInfo | None
    """The field at ``path``; None at the top."""
    model: type[BaseModel] | None
    """The model the next key of ``loc`` belongs to, if any."""


def _place(model: type[BaseModel], loc: tuple[int | str, ...]) -> _Place:
    path: list[str | int] = []
    field: FieldInfo | None = None
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            path.append(part)
            current = None
        elif current is not None and part in current.model_fields:
            path.append(part)
            field = current.model_fields[part]
            current = _model_of(field.annotation)
        else:
            break  # a union member's tag, or an unknown key
    return _Place(tuple(path), field, current)


def _model_of(annotation: object) -> type[BaseModel] | None:
    """The model of a field holding one (or None: ``cache = { ... }``)."""
    if _is_model(annotation):
        return annotation
    members = [a for a in get_args(annotation) if a is not type(None)]
    if len(members) == 1 and _is_model(members[0]):
        return members[0]
    return None


def _is_model(annotation: object) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _label(path: KeyPath) -> str:
    return ".".join(p for p in path if isinstance(p, str))


def _diagnostic(
    model: type[BaseModel], error: ErrorDetails, where: Where
) -> Diagnostic:
    place = _place(model, error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key(place, str(error["loc"][-1]), where)
    if kind == PROBLEM:
        ctx = error.get("ctx", {})
        at = (ctx["at"],) if ctx.get("at") else ()
        return where.diagnostic((*place.path, *at), ctx["message"], ctx["hint"])
    if kind == "missing":
        return _missing(place, where)
    label = _label(place.path)
    found = _shown(error["input"])
    if place.field is None:
        return Diagnostic(where.span(), f"{where.name} must be a table, found {found}")
    expected = place.field.description or "valid"
    hint = ""
    if place.field.examples:
        hint = f"e.g. {label} = {_toml(place.field.examples[0])}"
    return where.diagnostic(
        place.path, f"{label} must be {expected}, found {found}", hint
    )


def _unknown_key(place: _Place, key: str, where: Where) -> Diagnostic:
    known = sorted(place.model.model_fields) if place.model is not None else []
    parent = _label(place.path)
    text = f"unknown {parent} key {key!r}" if parent else f"unknown key {key!r}"
    hint = did_you_mean(key, known) + f"known keys: {', '.join(known)}"
    return Diagnostic(
        where.span((*place.path, key), key=True), f"{where.name}: {text}", hint
    )


def _missing(place: _Place, where: Where) -> Diagnostic:
    label = _label(place.path)
    hint = ""
    if place.field is not None and place.field.examples:
        example = _toml(place.field.examples[0])
        hint = f"add {label} = {example} ({place.field.description})"
    return where.diagnostic(place.path, f"{label} is missing", hint)


def _toml(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _shown(value)


def _shown(value: Any) -> str:
    """A found value as the message shows it: strings quoted as in the rest of
    the messages, other scalars as TOML writes them, a table not spelled out."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)

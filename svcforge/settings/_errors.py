"""Validation errors of a settings class, as one readable list of problems by
environment variable name, without the value of any secret."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, SecretBytes, SecretStr, ValidationError
from pydantic.fields import FieldInfo

from svcforge.settings._secret import SECRET_NAME, is_secret_url, scrub

__all__ = ["Problem", "SettingsError"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One setting that is missing or invalid."""

    variable: str
    """The environment variable, as written in a ``.env`` file."""
    message: str

    def __str__(self) -> str:
        return f"{self.variable}: {self.message}"


class SettingsError(ValueError):
    """Settings that failed validation: every problem, one per line."""

    def __init__(self, settings: str, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(set(problems), key=lambda p: p.variable))
        n = len(self.problems)
        lines = [
            f"invalid {settings} settings: {n} problem{'s' if n != 1 else ''}",
            *(f"  {p}" for p in self.problems),
        ]
        super().__init__("\n".join(lines))


def is_secret(name: str, annotation: Any) -> bool:
    """A field whose value must never be shown."""
    if SECRET_NAME.search(name) or is_secret_url(annotation):
        return True
    stack = [annotation]
    while stack:
        t = stack.pop()
        if isinstance(t, type) and issubclass(t, SecretStr | SecretBytes):
            return True
        stack.extend(get_args(t))
    return False


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings group a field holds, if any (``Group | None`` too)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = model_of(arg)
        if found is not None:
            return found
    return None


def variable_name(prefix: str, path: Iterable[str]) -> str:
    return (prefix + "__".join(path)).upper()


def required_leaves(
    model: type[BaseModel], path: tuple[str, ...]
) -> list[tuple[tuple[str, ...], FieldInfo]]:
    """The required settings under a group, with their paths."""
    out = []
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        group = model_of(info.annotation)
        if group is None:
            out.append(((*path, name), info))
        else:
            out += required_leaves(group, (*path, name))
    return out


def problems_of(
    settings: type[BaseModel],
    prefix: str,
    exc: ValidationError,
    present: Mapping[str, str],
) -> list[Problem]:
    """The problems of a validation error; ``present`` are the variables set
    with the prefix that name no setting, for "did you mean" hints."""
    out: list[Problem] = []
    for error in exc.errors(include_url=False):
        for problem in _problems(settings, prefix, error, present):
            if problem not in out:
                out.append(problem)
    return out


def _problems(
    settings: type[BaseModel],
    prefix: str,
    error: Any,
    present: Mapping[str, str],
) -> list[Problem]:
    model: type[BaseModel] | None = settings
    path: list[str] = []
    rest: list[str] = []
    secret = False
    info: FieldInfo | None = None
    for part in error["loc"]:
        if not rest and model is not None and isinstance(part, str):
            info = model.model_fields.get(part)
            if info is not None:
                path.append(part)
                secret |= is_secret(part, info.annotation)
                model = model_of(info.annotation)
                continue
        rest.append(f"[{part!r}]" if isinstance(part, int | str) else str(part))
    kind = error["type"]
    if kind == "missing":
        group = model_of(info.annotation) if info is not None and not rest else None
        leaves = required_leaves(group, tuple(path)) if group else [(tuple(path), info)]
        return [
            Problem(
                variable_name(prefix, p),
                "required, not set" + _did_you_mean(variable_name(prefix, p), present),
            )
            for p, _ in leaves
        ]
    if kind == "extra_forbidden":
        name = variable_name(prefix, [str(p) for p in error["loc"]])
        # pydantic-settings >= 2.15 reports a .env entry by its full name,
        # prefix included; earlier versions without it.
        doubled = (prefix + prefix).upper()
        if prefix and name.startswith(doubled):
            name = name[len(prefix) :]
        return [Problem(name, "unknown variable (no such setting)")]
    where = "".join(rest)
    message = f"{where}: {error['msg']}" if where else str(error["msg"])
    value = error.get("input")
    if (
        not secret
        and isinstance(value, str | int | float)
        and not isinstance(value, bool)
    ):
        message += f" (found {scrub(str(value))!r})"
    return [Problem(variable_name(prefix, path), message)]


def _did_you_mean(variable: str, present: Mapping[str, str]) -> str:
    close = difflib.get_close_matches(
        variable, [k.upper() for k in present], n=1, cutoff=0.8
    )
    return f"; did you mean to set it, not {close[0]}?" if close else ""

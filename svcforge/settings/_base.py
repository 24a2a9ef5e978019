"""``SettingsBase``: pydantic-settings with svcforge's conventions.

Environment variables first, then a ``.env`` file in the working directory;
nested groups through ``__``; every setting frozen after loading; unknown
variables in ``.env`` rejected.  ``load()`` turns validation errors into a
``SettingsError`` listing every problem by variable name.  ``repr()`` and
``redacted()`` never show a secret: ``SecretStr`` values, fields named like
credentials (a runtime group's ``sasl_password``) and passwords inside URLs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, SecretBytes, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings import SettingsError as SourceError

from svcforge.settings._errors import (
    Problem,
    SettingsError,
    is_secret,
    problems_of,
    variable_name,
)
from svcforge.settings._secret import mask_url, remember_values

__all__ = ["SettingsBase", "redacted"]

MASK = "**********"
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar(
    "svcforge_settings_environ", default=None
)


class _MappingEnvSource(EnvSettingsSource):
    """Environment variables from a mapping instead of ``os.environ``."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        self._environ = dict(environ)
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        if self.case_sensitive:
            return dict(self._environ)
        return {k.lower(): v for k, v in self._environ.items()}


class SettingsBase(BaseSettings):
    """Base of a service's generated ``Settings``; the subclass sets
    ``env_prefix``."""

    model_config = SettingsConfigDict(
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        frozen=True,
        case_sensitive=False,
        # A value that fails validation may be a secret: never echo it.
        hide_input_in_errors=True,
    )
    service_name: ClassVar[str] = "service"
    """Named in error messages."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environ = _ENVIRON.get()
        if environ is not None:
            env_settings = _MappingEnvSource(settings_cls, environ)
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    @classmethod
    def load(
        cls,
        *,
        env_file: str | Path | None = ".env",
        environ: Mapping[str, str] | None = None,
    ) -> Self:
        """Read and check every setting; raise ``SettingsError`` listing every
        problem.  ``environ`` replaces ``os.environ`` (tests); ``env_file=None``
        reads no ``.env`` file."""
        prefix = str(cls.model_config.get("env_prefix", ""))
        known = {*cls.variables(), *_group_variables(cls, prefix)}
        from_file = _env_file_keys(env_file)
        # A typo in the service's own .env is an error; the environment may
        # hold other variables with the prefix (Kubernetes adds some).
        unknown = [
            Problem(k.upper(), "unknown variable (no such setting)")
            for k in from_file
            if k.upper().startswith(prefix.upper()) and k.upper() not in known
        ]
        unset = {
            k: v
            for k, v in {
                **from_file,
                **(os.environ if environ is None else environ),
            }.items()
            if k.upper().startswith(prefix.upper()) and k.upper() not in known
        }
        token = _ENVIRON.set(environ)
        try:
            settings = cls(_env_file=env_file)  # type: ignore[call-arg]
        except ValidationError as exc:
            problems = problems_of(cls, prefix, exc, unset)
            raise SettingsError(cls.service_name, [*problems, *unknown]) from None
        except SourceError as exc:
            raise SettingsError(
                cls.service_name, [_source_problem(prefix, exc)]
            ) from None
        finally:
            _ENVIRON.reset(token)
        if unknown:
            raise SettingsError(cls.service_name, unknown)
        return settings

    @classmethod
    def variables(cls) -> list[str]:
        """Every environment variable the settings read, in field order."""
        prefix = str(cls.model_config.get("env_prefix", ""))
        return [variable_name(prefix, path) for path in _paths(cls, ())]

    def model_post_init(self, context: Any, /) -> None:
        # Whatever leaks into a log line or an error text later gets masked.
        remember_values(self)

    def redacted(self) -> dict[str, Any]:
        """The settings as plain data with every secret masked: safe to log."""
        data: dict[str, Any] = redacted(self)
        return data

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, _Shown(name or "", value)


def _group_variables(model: type[BaseModel], prefix: str) -> set[str]:
    """Variables that set a whole group as JSON: ``ACCOUNTS_JWT``."""
    out: set[str] = set()
    for path in _paths(model, ()):
        out |= {variable_name(prefix, path[:i]) for i in range(1, len(path))}
    return out


def _env_file_keys(env_file: str | Path | None) -> dict[str, str]:
    if env_file is None or not Path(env_file).is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v or "" for k, v in dotenv_values(env_file).items()}


def _paths(model: type[BaseModel], path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    from svcforge.settings._errors import model_of

    for name, info in model.model_fields.items():
        group = model_of(info.annotation)
        if group is None:
            yield (*path, name)
        else:
            yield from _paths(group, (*path, name))


def _source_problem(prefix: str, exc: SourceError) -> Problem:
    # pydantic-settings names the field whose variable held bad JSON.
    m = re.search(r'field "([^"]+)"', str(exc))
    name = variable_name(prefix, [m[1]]) if m else prefix.upper() + "*"
    return Problem(name, "not valid JSON (lists and groups are written as JSON)")


def redacted(value: Any, name: str = "") -> Any:
    """``value`` as plain data, secrets replaced by ``**********``."""
    if isinstance(value, SecretStr | SecretBytes):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, BaseModel):
        return {k: redacted(getattr(value, k), k) for k in type(value).model_fields}
    if name and is_secret(name, type(value)) and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return mask_url(value)
    if isinstance(value, list | tuple):
        return [redacted(v) for v in value]
    if isinstance(value, dict):
        return {k: redacted(v, str(k)) for k, v in value.items()}
    return value


class _Shown:
    """A field's value in ``repr()``, secrets masked, nested groups too."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: Any) -> None:
        self.name, self.value = name, value

    def __repr__(self) -> str:
        value = self.value
        if isinstance(value, BaseModel) and not isinstance(value, SettingsBase):
            args = ", ".join(
                f"{k}={_Shown(k, getattr(value, k))!r}"
                for k in type(value).model_fields
            )
            return f"{type(value).__name__}({args})"
        if isinstance(value, SecretStr | SecretBytes):
            return repr(value)
        shown = redacted(value, self.name)
        return repr(value) if shown == value else repr(shown)

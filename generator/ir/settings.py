"""The service's settings, from ``schemas/config``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.ir.base import MISSING, JsonValue, Missing, Span

SettingKind = Literal["string", "integer", "number", "boolean", "array", "group"]


@dataclass(frozen=True, slots=True)
class SettingType:
    kind: SettingKind
    format: str = ""
    """JSON Schema format of a string: date-time, date, uuid, uri, password…"""
    choices: tuple[str | int | float | bool, ...] = ()
    """The allowed values of an enum."""
    items: SettingType | None = None
    """The element type of an array."""
    group: str = ""
    """The class name of a nested group."""
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: a variable (or a nested group of them)."""

    name: str
    """The Python attribute, which is also the variable's name part."""
    type: SettingType
    span: Span
    default: JsonValue | Missing = MISSING
    doc: str = ""
    secret: bool = False
    """``writeOnly: true`` or ``format: password``: a ``SecretStr``, never shown."""
    constraints: tuple[tuple[str, int | float | str], ...] = ()
    """Pydantic ``Field`` constraints in schema order: ``("ge", 60)``…"""
    example: JsonValue = None
    """A valid value, for the generated tests (required settings only)."""
    reloadable: bool = False
    """``"x-svcforge-reload": true`` (on it or on a group holding it): re-read
    while the service runs (SIGHUP, a changed env file)."""


@dataclass(frozen=True, slots=True)
class SettingsGroup:
    """A nested group of settings: a class of the generated module, or a group
    the runtime defines (``runtime`` names its module and class)."""

    py_name: str
    settings: tuple[Setting, ...]
    span: Span
    doc: str = ""
    runtime: str = ""
    """``svcforge.messaging:KafkaSettings`` for a group defined by the runtime."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The service's settings class: its own settings from the config schemas,
    then one group per runtime part the service uses."""

    env_prefix: str
    """``ACCOUNTS_``: put before every variable name."""
    root: SettingsGroup
    groups: tuple[SettingsGroup, ...]
    """Every nested group, the generated ones in definition order (a group
    before the groups that hold it) and then the runtime's."""
    sources: tuple[str, ...]

"""Config front-end: ``schemas/config/*.json`` (JSON Schema) -> ``ir.Settings``.

``settings.json`` holds the service's top-level settings; any other file
``x.json`` becomes the nested group ``x`` (``config_groups`` reads each
schema).  The runtime's groups for each part the service uses
(``[tool.svcforge] uses``) follow the service's own settings
(``config_runtime``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import replace

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.frontends.jsonschema.check import Checker
from generator.frontends.jsonschema.config_groups import SettingsParser
from generator.frontends.jsonschema.config_runtime import (
    RUNTIME_GROUPS,
    runtime_groups,
)
from generator.frontends.jsonschema.drafts import declared
from generator.frontends.jsonschema.keywords import describe
from generator.frontends.jsonschema.normalize import normalize
from generator.frontends.jsonschema.registry import Registry
from generator.jsonsource import JsonDocument
from generator.naming import module_name

ROOT_FILE = "settings.json"


def env_prefix(service_name: str) -> str:
    """``accounts`` -> ``ACCOUNTS_``; ``market-data`` -> ``MARKET_DATA_``."""
    return module_name(service_name).upper().strip("_") + "_"


def parse_config(
    documents: Sequence[JsonDocument], service_name: str
) -> ir.Settings | None:
    """The service's own settings (no runtime group yet: see
    ``add_runtime_groups``), None without config schemas; raise
    ``SchemaError`` listing every problem."""
    if not documents:
        return None
    documents = sorted(
        documents, key=lambda d: (posixpath.basename(d.path) != ROOT_FILE, d.path)
    )
    # Checked as message schemas are (draft, meta-schema, nesting), and read
    # in one dialect: a draft-04 boolean exclusiveMinimum is a bound here too.
    checker = Checker()
    if not all([checker.check_document(d) for d in documents]):
        raise SchemaError(checker.diagnostics)
    documents = [
        replace(d, value=normalize(d.value, declared(d.value))) for d in documents
    ]
    parser = SettingsParser(Registry.of(documents))
    root_settings, docs = _file_settings(parser, documents)
    parser.diagnostics += _name_clashes(root_settings)
    if parser.diagnostics:
        raise SchemaError(parser.diagnostics)
    root = ir.SettingsGroup(
        py_name="Settings",
        settings=tuple(root_settings),
        span=documents[0].span(""),
        doc=docs,
    )
    return ir.Settings(
        env_prefix=env_prefix(service_name),
        root=root,
        groups=tuple(parser.groups),
        sources=("pyproject.toml", *(d.path for d in documents)),
    )


def add_runtime_groups(
    settings: ir.Settings | None, service_name: str, parts: tuple[str, ...]
) -> ir.Settings:
    """``settings`` (or, without config schemas, a settings class of the
    runtime's groups alone) followed by the runtime's group of each part the
    service uses (``uses``, ``avro``, ``outbox``) and those every service
    gets (logging, the HTTP endpoint, the runner)."""
    if settings is None:
        settings = ir.Settings(
            env_prefix=env_prefix(service_name),
            root=ir.SettingsGroup(
                py_name="Settings", settings=(), span=ir.Span("pyproject.toml")
            ),
            groups=(),
            sources=("pyproject.toml",),
        )
    runtime = runtime_groups(parts)
    root_settings = [
        *settings.root.settings,
        *(
            ir.Setting(
                name=attr,
                type=ir.SettingType("group", group=group.py_name),
                span=group.span,
                default={},
                doc=group.doc,
            )
            for attr, group in runtime
        ),
    ]
    return replace(
        settings,
        root=replace(settings.root, settings=tuple(root_settings)),
        groups=(*settings.groups, *(g for _, g in runtime)),
    )


def _file_settings(
    parser: SettingsParser, documents: Sequence[JsonDocument]
) -> tuple[list[ir.Setting], str]:
    """The top-level settings of every file (``settings.json`` first), and
    the description of the service's settings."""
    root_settings: list[ir.Setting] = []
    docs = ""
    for doc in documents:
        if not isinstance(doc.value, dict):
            parser.error(
                doc,
                "",
                f"a config schema must be an object, found {describe(doc.value)}",
            )
            continue
        stem = posixpath.splitext(posixpath.basename(doc.path))[0]
        reloadable = parser.reloadable(doc, "", doc.value)
        if posixpath.basename(doc.path) == ROOT_FILE:
            group = parser.group(doc, "", doc.value, "Settings")
            root_settings += [
                replace(s, reloadable=True) if reloadable else s for s in group.settings
            ]
            for s in group.settings if reloadable else ():
                if s.type.kind == "group":
                    parser.reload_group(s.type.group)
            docs = group.doc
            continue
        name = module_name(stem)
        group = parser.group(doc, "", doc.value, parser.class_name(name))
        parser.groups.append(group)
        if reloadable:
            parser.reload_group(group.py_name)
        root_settings.append(
            ir.Setting(
                name=name,
                type=ir.SettingType("group", group=group.py_name),
                span=doc.span(""),
                default=ir.MISSING
                if any(s.default is ir.MISSING for s in group.settings)
                else {},
                doc=group.doc,
            )
        )
    return root_settings, docs


def _name_clashes(root_settings: list[ir.Setting]) -> list[Diagnostic]:
    """Top-level settings named like a runtime group, or twice."""
    runtime_names = {attr for attr, *_ in RUNTIME_GROUPS}
    out: list[Diagnostic] = []
    seen: dict[str, ir.Setting] = {}
    for s in root_settings:
        if s.name in runtime_names:
            out.append(
                Diagnostic(
                    s.span,
                    f"setting {s.name!r} is the name of a runtime settings group",
                    "pick another name",
                )
            )
        elif s.name in seen:
            out.append(
                Diagnostic(
                    s.span,
                    f"setting {s.name!r} is defined twice (first at {seen[s.name].span})",
                )
            )
        seen[s.name] = s
    return out

"""Settings: the service's pydantic-settings ``Settings`` class, a
``.env.example`` listing every variable, a Markdown configuration reference,
and tests of loading them."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import (
    INDENT,
    docstring,
    field_call,
    fits,
    header,
    imports,
    json_expr,
    py_str,
)
from generator.emitters.settings.docs import emit_env_example, emit_reference
from generator.emitters.settings.tests import emit_settings_tests


def emit_settings(service: ir.Service, env: Environment) -> dict[str, str]:
    """``settings.py``, ``.env.example``, ``CONFIGURATION.md`` (beside the
    generated code) and ``test_settings.py`` (for the generated tests)."""
    settings = service.settings
    if settings is None:
        return {}
    pkg, tests = service.generated_dir, service.generated_tests_dir
    return {
        f"{pkg}/settings.py": _module(service, settings, env),
        f"{pkg}/.env.example": emit_env_example(service, settings, env),
        f"{pkg}/CONFIGURATION.md": emit_reference(service, settings, env),
        f"{tests}/test_settings.py": emit_settings_tests(service, settings, env),
    }


# Runtime groups keep their own documentation; the root does not repeat it.
_runtime_classes = {
    "AvroSettings",
    "DatabaseSettings",
    "KafkaSettings",
    "RedisSettings",
    "HttpSettings",
    "LoggingSettings",
    "OutboxSettings",
    "RunnerSettings",
}


Imports = set[str]


def _module(service: ir.Service, settings: ir.Settings, env: Environment) -> str:
    needed = {
        "from svcforge.settings import SettingsBase",
        "from pydantic_settings import SettingsConfigDict",
        "from typing import ClassVar",
        "from svcforge.service import ServiceSettings",
    }
    blocks = []
    for group in settings.groups:
        if group.runtime:
            module, _, cls = group.runtime.partition(":")
            needed.add(f"from {module} import {cls}")
            continue
        needed.add("from pydantic import BaseModel, ConfigDict")
        lines = [f"class {group.py_name}(BaseModel):"]
        lines += docstring(group.doc or f"The ``{group.py_name}`` group.", INDENT)
        lines += ["", f'{INDENT}model_config = ConfigDict(frozen=True, extra="forbid")']
        if group.settings:
            lines.append("")
        lines += [_field(s, needed) for s in group.settings]
        blocks.append("\n".join(lines))
    root = [_field(s, needed) for s in settings.root.settings]
    return env.get_template("settings.py.j2").render(
        header=header(settings.sources),
        service=service.name,
        prefix=settings.env_prefix,
        import_block=imports(needed),
        blocks=blocks,
        doc="\n".join(
            docstring(
                settings.root.doc or f"Settings of the {service.name} service.", INDENT
            )
        ),
        fields="\n".join(root),
        service_name=py_str(service.name),
    )


def annotation(t: ir.SettingType, secret: bool, needed: Imports) -> str:
    if t.kind == "array":
        assert t.items is not None
        base = f"list[{annotation(t.items, False, needed)}]"
    elif t.kind == "group":
        base = t.group
    elif t.choices:
        needed.add("from typing import Literal")
        base = f"Literal[{', '.join(json_expr(c) for c in t.choices)}]"
    elif secret:
        needed.add("from pydantic import SecretStr")
        base = "SecretStr"
    else:
        base = {
            "string": "str",
            "integer": "int",
            "number": "float",
            "boolean": "bool",
        }[t.kind]
    return f"{base} | None" if t.nullable else base


def _field(s: ir.Setting, needed: Imports) -> str:
    ann = annotation(s.type, s.secret, needed)
    args: list[str] = []
    if s.type.kind == "group" and s.default is not ir.MISSING:
        args.append(f"default_factory={s.type.group}")
    elif isinstance(s.default, list) and s.default:
        args.append(f"default_factory=lambda: {json_expr(s.default)}")
    elif isinstance(s.default, list):
        args.append("default_factory=list")
    elif not isinstance(s.default, ir.Missing):
        args.append(f"default={json_expr(s.default)}")
    args += [f"{k}={json_expr(v)}" for k, v in s.constraints]
    if s.reloadable:
        # Read by svcforge.service.SettingsReloader: re-read while running.
        args.append('json_schema_extra={"x-svcforge-reload": True}')
    if s.doc and not (s.type.kind == "group" and s.type.group in _runtime_classes):
        args.append(f"description={py_str(s.doc)}")
    lead = f"{INDENT}{s.name}: {ann}"
    if not args:
        return lead
    plain = f"{lead} = {args[0].removeprefix('default=')}"
    if len(args) == 1 and args[0].startswith("default=") and fits(plain):
        return plain
    needed.add("from pydantic import Field")
    return field_call(lead, args)

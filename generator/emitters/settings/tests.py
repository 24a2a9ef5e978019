"""``tests/generated/test_settings.py``: the service's settings load from the
environment and from a ``.env`` file, with their types, nesting and defaults;
secrets stay out of ``repr`` and errors; bad values are listed by variable."""

from __future__ import annotations

import json

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import INDENT, header, json_expr, py_str
from generator.emitters.settings.docs import Variable, variables

_BAD = {
    "integer": "not-a-number",
    "number": "not-a-number",
    "boolean": "maybe",
}


def _env_value(value: ir.JsonValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _attr(settings: ir.Settings, v: Variable) -> str:
    path = v.name.removeprefix(settings.env_prefix).lower().split("__")
    return "settings." + ".".join(path)


def _expected(
    v: Variable, value: ir.JsonValue, attr: str
) -> list[tuple[str, str, str]]:
    if v.setting.secret:
        return [(f"{attr}.get_secret_value()", "==", py_str(str(value)))]
    if isinstance(value, bool) or value is None:
        return [(attr, "is", repr(value))]
    if v.setting.type.format and v.setting.type.kind == "string":
        return [(f"str({attr})", "==", py_str(str(value)))]
    return [(attr, "==", json_expr(value))]


def _asserts(comparisons: list[tuple[str, str, str]]) -> str:
    """``assert left op right`` lines of a test body."""
    out = [f"{INDENT}assert {left} {op} {right}" for left, op, right in comparisons]
    return "\n".join(out) if out else f"{INDENT}assert settings is not None"


def _dict(name: str, items: dict[str, str]) -> str:
    entries = ", ".join(f"{py_str(k)}: {py_str(v)}" for k, v in items.items())
    return (
        f"{name}: dict[str, str] = {{{entries},}}"
        if entries
        else f"{name}: dict[str, str] = {{}}"
    )


def emit_settings_tests(
    service: ir.Service, settings: ir.Settings, env: Environment
) -> str:
    all_vars = list(variables(settings))
    required = [v for v in all_vars if v.setting.default is ir.MISSING]
    values = {v.name: _env_value(v.setting.example) for v in required}
    secrets = [v.name for v in required if v.setting.secret]
    loaded = []
    for v in required:
        loaded += _expected(v, v.setting.example, _attr(settings, v))
    own_defaults = []
    runtime_groups = {g.py_name for g in settings.groups if g.runtime}
    runtime_attrs = [
        s.name for s in settings.root.settings if s.type.group in runtime_groups
    ]
    for v in all_vars:
        default = v.setting.default
        if isinstance(default, ir.Missing) or v.section.split(".")[0] in runtime_attrs:
            continue
        own_defaults += _expected(v, default, _attr(settings, v))
    own_defaults += [
        (f"settings.{a}", "==", f"type(settings.{a})()") for a in runtime_attrs
    ]
    prefix = settings.env_prefix
    bad = {f"{prefix}HTTP__PORT": "99999", f"{prefix}LOGGING__LEVEL": "LOUD"}
    for v in all_vars:
        s = v.setting
        if s.secret or v.section.split(".")[0] in runtime_attrs:
            continue
        if s.type.choices or s.type.kind in _BAD:
            bad[v.name] = "not-one-of-them" if s.type.choices else _BAD[s.type.kind]
            break
    short_secret = ""
    for v in required:
        low = dict(v.setting.constraints).get("min_length")
        if v.setting.secret and isinstance(low, int) and low > 1:
            short_secret = v.name
            break
    return env.get_template("test_settings.py.j2").render(
        header=header(settings.sources),
        settings_import=f"from {service.package}.generated.settings import Settings",
        prefix=prefix,
        required=_dict("REQUIRED", values),
        bad=_dict("BAD", bad),
        secrets=f"SECRETS: list[str] = [{', '.join(py_str(s) for s in secrets)}]",
        loaded=_asserts(loaded),
        defaults=_asserts(own_defaults),
        short_secret=py_str(short_secret) if short_secret else "",
    )

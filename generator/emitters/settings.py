"""Settings: the service's pydantic-settings ``Settings`` class, a
``.env.example`` listing every variable, a Markdown configuration reference,
and tests of loading them."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.jsonmodels import json_expr
from generator.emitters.pysrc import (
    INDENT,
    BinOp,
    Expr,
    Group,
    annotated,
    docstring,
    flat,
    from_import,
    header,
    layout,
    py_str,
)
from generator.emitters.settings_docs import emit_env_example, emit_reference
from generator.emitters.settings_tests import emit_settings_tests


def emit_settings(
    service: ir.Service, env: Environment, package: str
) -> dict[str, str]:
    """``settings.py``, ``.env.example``, ``CONFIGURATION.md`` (beside the
    generated code) and ``test_settings.py`` (for the generated tests)."""
    settings = service.settings
    assert settings is not None
    return {
        "settings.py": _module(service, settings, env),
        ".env.example": emit_env_example(service, settings, env),
        "CONFIGURATION.md": emit_reference(service, settings, env),
        "test_settings.py": emit_settings_tests(service, settings, env, package),
    }


# Runtime groups keep their own documentation; the root does not repeat it.
_runtime_classes = {
    "DatabaseSettings",
    "KafkaSettings",
    "RedisSettings",
    "HttpSettings",
    "LoggingSettings",
}


class _Imports:
    def __init__(self) -> None:
        self.names: dict[str, set[str]] = {}

    def add(self, module: str, *names: str) -> None:
        self.names.setdefault(module, set()).update(names)

    def block(self) -> str:
        stdlib = {m: n for m, n in self.names.items() if m == "typing"}
        third = {m: n for m, n in self.names.items() if m != "typing"}
        return "\n\n".join(
            "\n".join(line for m in sorted(s) for line in from_import(m, s[m]))
            for s in (stdlib, third)
            if s
        )


def _module(service: ir.Service, settings: ir.Settings, env: Environment) -> str:
    imports = _Imports()
    imports.add("svcforge.settings", "SettingsBase")
    imports.add("pydantic_settings", "SettingsConfigDict")
    imports.add("typing", "ClassVar")
    imports.add("svcforge.service", "ServiceSettings")
    blocks = []
    for group in settings.groups:
        if group.runtime:
            module, _, cls = group.runtime.partition(":")
            imports.add(module, cls)
            continue
        imports.add("pydantic", "BaseModel", "ConfigDict")
        lines = [f"class {group.py_name}(BaseModel):"]
        lines += docstring(group.doc or f"The ``{group.py_name}`` group.", INDENT)
        lines += ["", f'{INDENT}model_config = ConfigDict(frozen=True, extra="forbid")']
        if group.settings:
            lines.append("")
        for s in group.settings:
            lines += _field(s, imports)
        blocks.append("\n".join(lines))
    root = [_field(s, imports) for s in settings.root.settings]
    return env.get_template("settings.py.j2").render(
        header=header(settings.sources),
        service=service.name,
        prefix=settings.env_prefix,
        import_block=imports.block(),
        blocks=blocks,
        doc="\n".join(
            docstring(
                settings.root.doc or f"Settings of the {service.name} service.", INDENT
            )
        ),
        fields="\n".join(line for f in root for line in f),
        service_name=py_str(service.name),
    )


def annotation(t: ir.SettingType, secret: bool, imports: _Imports) -> Expr:
    base: Expr
    if t.kind == "array":
        assert t.items is not None
        base = Group(
            "list[", (("", annotation(t.items, False, imports)),), "]", comma=False
        )
    elif t.kind == "group":
        base = t.group
    elif t.choices:
        imports.add("typing", "Literal")
        base = Group("Literal[", tuple(("", json_expr(c)) for c in t.choices), "]")
    elif secret:
        imports.add("pydantic", "SecretStr")
        base = "SecretStr"
    else:
        base = {
            "string": "str",
            "integer": "int",
            "number": "float",
            "boolean": "bool",
        }[t.kind]
    return BinOp((base, "None")) if t.nullable else base


def _field(s: ir.Setting, imports: _Imports) -> list[str]:
    ann = annotation(s.type, s.secret, imports)
    args: list[tuple[str, Expr]] = []
    if s.type.kind == "group" and s.default is not ir.MISSING:
        args.append(("default_factory=", s.type.group))
    elif isinstance(s.default, list) and s.default:
        args.append(("default_factory=lambda: ", json_expr(s.default)))
    elif isinstance(s.default, list):
        args.append(("default_factory=", "list"))
    elif not isinstance(s.default, ir._Missing):
        args.append(("default=", json_expr(s.default)))
    args += [(f"{k}=", json_expr(v)) for k, v in s.constraints]
    if s.doc and not (s.type.kind == "group" and s.type.group in _runtime_classes):
        args.append(("description=", py_str(s.doc)))
    lead = f"{INDENT}{s.name}: "
    if not args:
        return annotated(lead, ann, None, INDENT)
    if len(args) == 1 and args[0][0] == "default=":
        one = f"{lead}{flat(ann)} = {flat(args[0][1])}"
        if len(one) <= 88:
            return [one]
    imports.add("pydantic", "Field")
    return annotated(lead, ann, Group("Field(", tuple(args), ")"), INDENT)


__all__ = ["annotation", "emit_settings", "layout"]

"""What to set: ``.env.example`` and ``CONFIGURATION.md``, from the same list
of variables as the settings class."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import header

RELOAD_NOTE = "Reloaded while running (SIGHUP, or a changed .env file)."


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    setting: ir.Setting
    section: str
    """The group it belongs to: ``""`` for top-level settings, else its path."""


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    doc: str
    variables: tuple[Variable, ...]


def variables(settings: ir.Settings) -> Iterator[Variable]:
    groups = {g.py_name: g for g in settings.groups}

    def walk(group: ir.SettingsGroup, path: tuple[str, ...]) -> Iterator[Variable]:
        for s in group.settings:
            if s.type.kind == "group":
                yield from walk(groups[s.type.group], (*path, s.name))
            else:
                name = (settings.env_prefix + "__".join((*path, s.name))).upper()
                yield Variable(name, s, ".".join(path))

    yield from walk(settings.root, ())


def sections(settings: ir.Settings) -> list[Section]:
    groups = {g.py_name: g for g in settings.groups}
    by_section: dict[str, list[Variable]] = {}
    for v in variables(settings):
        by_section.setdefault(v.section.split(".")[0], []).append(v)
    out = []
    for key, items in by_section.items():
        setting = next((s for s in settings.root.settings if s.name == key), None)
        group = groups.get(setting.type.group) if setting else None
        title = key or "service"
        if group is not None and group.runtime:
            title += f" (``{group.runtime.replace(':', '.')}``)"
        doc = (setting.doc if setting else settings.root.doc) or ""
        if group is not None and group.runtime:
            doc = first_sentence(doc)
        out.append(Section(title, doc, tuple(items)))
    return out


def type_text(t: ir.SettingType, secret: bool) -> str:
    if t.kind == "array":
        assert t.items is not None
        text = f"list of {type_text(t.items, False)} (JSON)"
    elif t.choices:
        text = "one of " + ", ".join(_value(c) for c in t.choices)
    else:
        text = t.kind
        if t.format and not secret:
            text = f"{t.format} {text}"
        if secret:
            text = f"secret {text}"
    return f"{text} or empty" if t.nullable and not t.choices else text


_CONSTRAINT_TEXT = {
    "ge": "≥ {}",
    "gt": "> {}",
    "le": "≤ {}",
    "lt": "< {}",
    "multiple_of": "a multiple of {}",
    "pattern": "matching {}",
}


def constraint_text(s: ir.Setting) -> str:
    parts = []
    unit = "items" if s.type.kind == "array" else "characters"
    for key, value in s.constraints:
        if key == "min_length":
            parts.append(f"at least {value} {unit}")
        elif key == "max_length":
            parts.append(f"at most {value} {unit}")
        else:
            parts.append(_CONSTRAINT_TEXT[key].format(value))
    return ", ".join(parts)


def _value(value: object) -> str:
    """A value as it is written in the environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def default_text(s: ir.Setting) -> str | None:
    """The default as written in the environment; None when required."""
    return None if s.default is ir.MISSING else _value(s.default)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + dot.strip()


def _comment(text: str) -> list[str]:
    return [
        f"# {line}" if line else "#"
        for line in textwrap.wrap(text, 77, break_on_hyphens=False)
    ] or ["#"]


def emit_env_example(
    service: ir.Service, settings: ir.Settings, env: Environment
) -> str:
    blocks = []
    for section in sections(settings):
        lines = _comment(
            f"--- {section.title}" + (f": {section.doc}" if section.doc else "")
        )
        for v in section.variables:
            facts = [v.setting.doc.rstrip(".") + "." if v.setting.doc else ""]
            facts.append(_sentence(type_text(v.setting.type, v.setting.secret)))
            if constraint_text(v.setting):
                facts.append(_sentence(constraint_text(v.setting)))
            default = default_text(v.setting)
            facts.append("Required." if default is None else "Optional.")
            if v.setting.reloadable:
                facts.append(RELOAD_NOTE)
            lines += ["", *_comment(" ".join(f for f in facts if f))]
            lines.append(f"{v.name}=" if default is None else f"# {v.name}={default}")
        blocks.append("\n".join(lines))
    return env.get_template("settings.env.j2").render(
        header=header(settings.sources),
        service=service.name,
        blocks=blocks,
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def emit_reference(service: ir.Service, settings: ir.Settings, env: Environment) -> str:
    tables = []
    for section in sections(settings):
        rows = []
        for v in section.variables:
            kind = type_text(v.setting.type, v.setting.secret)
            if constraint_text(v.setting):
                kind += f"; {constraint_text(v.setting)}"
            default = default_text(v.setting)
            shown = (
                "**required**"
                if default is None
                else f"`{default}`"
                if default
                else "(empty)"
            )
            doc = v.setting.doc
            if v.setting.reloadable:
                doc = f"{doc.rstrip('.')}. {RELOAD_NOTE}" if doc else RELOAD_NOTE
            rows.append(
                f"| `{v.name}` | {_cell(kind)} | {_cell(shown)} | {_cell(doc)} |"
            )
        tables.append(
            {
                "title": section.title.replace("``", "`"),
                "doc": section.doc,
                "rows": rows,
            }
        )
    return env.get_template("settings.md.j2").render(
        header="\n".join(line[2:] for line in header(settings.sources).splitlines()),
        service=service.name,
        prefix=settings.env_prefix,
        tables=tables,
    )

"""The ``[tool.svcforge]`` table of a service's ``pyproject.toml``."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from generator.errors import Diagnostic, SchemaError
from generator.ir import Span
from generator.naming import module_name

_KNOWN = {"package", "name", "src", "tests", "uses"}
RUNTIME_PARTS = ("kafka", "postgres", "redis")
_PACKAGE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


@dataclass(frozen=True, slots=True)
class Manifest:
    name: str
    """The service's name (``[project].name`` unless overridden)."""
    package: str
    """The import name of the service's package."""
    src: str = "src"
    tests: str = "tests"
    uses: tuple[str, ...] = ()
    """Runtime parts the service uses: kafka, postgres, redis."""

    @property
    def package_dir(self) -> str:
        return f"{self.src}/{self.package.replace('.', '/')}"

    @property
    def generated_dirs(self) -> tuple[str, ...]:
        """The folders svcforge owns: everything in them is regenerated."""
        return (f"{self.package_dir}/generated", f"{self.tests}/generated")


def _line_of(text: str, pattern: str) -> Span:
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(pattern, line)
        if m:
            return Span("pyproject.toml", n, m.start(1) + 1 if m.groups() else 1)
    return Span("pyproject.toml", 1, 1)


def load_manifest(root: Path) -> Manifest:
    path = root / "pyproject.toml"
    if not path.is_file():
        raise SchemaError(
            [
                Diagnostic(
                    Span("pyproject.toml"),
                    "no pyproject.toml in the service root",
                    "svcforge regen runs in a service folder (or give its path)",
                )
            ]
        )
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        span = (
            Span("pyproject.toml", int(m[1]), int(m[2]))
            if m
            else Span("pyproject.toml")
        )
        raise SchemaError([Diagnostic(span, f"invalid TOML: {exc}")]) from None
    table = data.get("tool", {}).get("svcforge")
    if not isinstance(table, dict):
        raise SchemaError(
            [
                Diagnostic(
                    Span("pyproject.toml", 1, 1),
                    "no [tool.svcforge] table",
                    'add [tool.svcforge] with package = "my_service"',
                )
            ]
        )
    errors = []
    for key in sorted(set(table) - _KNOWN):
        errors.append(
            Diagnostic(
                _line_of(text, rf"\s*({re.escape(key)})\s*="),
                f"unknown key {key!r} in [tool.svcforge]",
                f"known keys: {', '.join(sorted(_KNOWN))}",
            )
        )
    package = table.get("package")
    if not isinstance(package, str) or not _PACKAGE.match(package):
        errors.append(
            Diagnostic(
                _line_of(text, r"\s*(package)\s*="),
                "[tool.svcforge] package must be a Python import name"
                + ("" if package is None else f", found {package!r}"),
            )
        )
    for key in ("src", "tests", "name"):
        if key in table and not (isinstance(table[key], str) and table[key]):
            errors.append(
                Diagnostic(
                    _line_of(text, rf"\s*({key})\s*="),
                    f"[tool.svcforge] {key} must be a non-empty string",
                )
            )
    uses = table.get("uses", [])
    if not isinstance(uses, list) or not all(u in RUNTIME_PARTS for u in uses):
        errors.append(
            Diagnostic(
                _line_of(text, r"\s*(uses)\s*="),
                "[tool.svcforge] uses must be a list drawn from "
                + ", ".join(repr(p) for p in RUNTIME_PARTS)
                + f", found {uses!r}",
            )
        )
    if errors:
        raise SchemaError(errors)
    assert isinstance(package, str)
    project_name = data.get("project", {}).get("name")
    name = table.get("name") or project_name or module_name(root.resolve().name)
    return Manifest(
        name=str(name),
        package=package,
        src=str(table.get("src", "src")).strip("/"),
        tests=str(table.get("tests", "tests")).strip("/"),
        uses=tuple(sorted(set(uses))),
    )

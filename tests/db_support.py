"""Helpers for the PostgreSQL tests: tiny services generated into a temporary
folder and imported, so tests exercise the real generated code."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from generator.cli import main


def make_service(
    root: Path,
    package: str,
    tables: dict[str, str],
    queries: dict[str, str] | None = None,
) -> Path:
    """Write a service with these migrations and query files; run regen."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{package}"\n\n[tool.svcforge]\npackage = "{package}"\n'
    )
    for folder, files in (("tables", tables), ("queries", queries or {})):
        (root / "schemas" / folder).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (root / "schemas" / folder / name).write_text(text)
    assert main(["regen", str(root)]) == 0
    return root


def import_generated(root: Path, package: str, module: str) -> ModuleType:
    """``<package>.generated.<module>`` from the service's ``src``."""
    src = str(root / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]
    return importlib.import_module(f"{package}.generated.{module}")

"""The one formatting step: every generated Python file goes through ruff.

Emitters write plain, valid Python without caring about line length, import
order or which of the names they import end up used; this step sorts and
merges the imports, drops the unused ones and lays every file out as
``ruff format`` does.  It runs ruff once over the whole batch (two processes:
``check --fix`` for imports, then ``format``), in a temporary folder that
mirrors the service's layout, with fixed settings, so the bytes depend on the
schemas and the tool versions only, never on the service's own configuration.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from generator.errors import Diagnostic, SchemaError
from generator.ir import Span

LINE_LENGTH = 88
# Import sorting and unused-import removal only: the layout itself is
# ``ruff format``'s.  F401 lets emitters import what a module may need
# without tracking each use.
_FIXES = ("I", "F401")


def ruff_binary() -> str:
    """The ruff executable that comes with the ``gen`` extra."""
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError:  # pragma: no cover - ruff installed without its module
        found = shutil.which("ruff")
        if found is None:
            raise SchemaError(
                [
                    Diagnostic(
                        Span("pyproject.toml"),
                        "ruff is needed to format generated code: "
                        "pip install 'svcforge[gen]'",
                    )
                ]
            ) from None
        return found
    return str(find_ruff_bin())


def _settings(first_party: str) -> list[str]:
    settings = [
        "--isolated",
        "--line-length",
        str(LINE_LENGTH),
        "--target-version",
        "py311",
        "--config",
        "lint.isort.known-third-party=['svcforge', 'pydantic', 'pytest']",
    ]
    if first_party:
        settings += [
            "--config",
            f"lint.isort.known-first-party=['{first_party}']",
        ]
    return settings


def format_python(files: Mapping[str, str], first_party: str = "") -> dict[str, str]:
    """``files`` with every ``*.py`` text formatted; other files as they are.

    ``first_party`` is the service's top-level package: its absolute imports
    (in the generated tests) sort after the third-party ones.
    """
    python = {rel: text for rel, text in files.items() if rel.endswith(".py")}
    out = dict(files)
    if not python:
        return out
    ruff = ruff_binary()
    settings = _settings(first_party)
    with tempfile.TemporaryDirectory(prefix="svcforge-format-") as tmp:
        root = Path(tmp)
        for rel, text in python.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        targets = sorted(python)
        _run(
            [ruff, "check", "--fix-only", "--exit-zero", "--select", ",".join(_FIXES)],
            settings,
            targets,
            root,
        )
        _run([ruff, "format"], settings, targets, root)
        for rel in python:
            out[rel] = (root / rel).read_text(encoding="utf-8")
    return out


def _run(
    command: list[str], settings: list[str], targets: list[str], cwd: Path
) -> None:
    result = subprocess.run(
        [*command, "--no-cache", "--quiet", *settings, "--", *targets],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        # Generated code that ruff cannot parse is a bug of svcforge, not of
        # the schemas: say so with ruff's own words.
        raise RuntimeError(
            f"svcforge produced Python that ruff cannot format "
            f"({' '.join(command[1:])}):\n{result.stderr or result.stdout}"
        )

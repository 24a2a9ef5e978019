"""Helpers for the compat tests: tiny services in throwaway git repositories,
and ``svcforge compat`` run in process."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
from pathlib import Path
from typing import Any

from generator.cli import main

PYPROJECT = '[project]\nname = "svc"\n\n[tool.svcforge]\npackage = "svc"\n'


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.invalid",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": "/usr/bin:/bin",
        },
    )
    return result.stdout


def write(root: Path, files: dict[str, str | None]) -> None:
    """Write (or with None, delete) files under ``root``."""
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def new_repo(
    root: Path, files: dict[str, str | None], pyproject: str = PYPROJECT
) -> Path:
    """A git repository holding one service, with ``files`` committed."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write(root, {"pyproject.toml": pyproject, **files})
    commit(root, "v1")
    return root


def commit(root: Path, message: str, files: dict[str, str | None] | None = None) -> str:
    if files:
        write(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def compat(root: Path, *args: str) -> tuple[int, str, str]:
    """``svcforge compat ROOT ARGS``: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["compat", str(root), *args])
    return code, out.getvalue(), err.getvalue()


def compat_json(root: Path, *args: str) -> dict[str, Any]:
    code, out, _ = compat(root, *args, "--format", "json")
    document: dict[str, Any] = json.loads(out)
    assert document["exit_code"] == code
    return document


def rules(root: Path, *args: str) -> list[str]:
    """The rule of every break, sorted."""
    return sorted(b["rule"] for b in compat_json(root, *args)["breaks"])


def avsc(name: str, fields: list[dict[str, Any]], **extra: Any) -> str:
    return json.dumps(
        {"type": "record", "name": name, "fields": fields, **extra}, indent=2
    )

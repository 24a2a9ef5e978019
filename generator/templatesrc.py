"""Where ``svcforge new`` takes the copier template from.

``copier update`` merges later template changes by replaying the template at
the commit a service was made from, so a service can only be updated when
it was copied from a git repository (``_src_path`` and ``_commit`` in its
``.copier-answers.yml``).  The template svcforge carries in its wheel has no
history; when svcforge was installed from git, pip recorded the URL and the
commit (``direct_url.json``, PEP 610), and that is a source copier can use.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from generator.resources import data_root

DISTRIBUTION = "svcforge"


@dataclass(frozen=True, slots=True)
class TemplateSource:
    path: str
    """What copier copies from: a local folder or a git URL."""
    ref: str | None = None
    """The commit to copy (None: copier's choice, the latest tag or HEAD)."""
    problem: str = ""
    """Why services made from it cannot ``copier update``; empty when they can."""


HOW = (
    "install svcforge from git (pip install 'svcforge[gen] @ git+<URL>') or "
    "from a clone in editable mode (pip install -e '<clone>[gen]'), or pass "
    "--template <git URL or clone of svcforge> to svcforge new"
)
"""How to get a template source that ``copier update`` can use."""


def template_source(explicit: str | None = None) -> TemplateSource:
    """``explicit`` (``--template``) as given; else the checkout svcforge
    runs from; else the git repository pip installed it from; else the
    template in the wheel, with the reason it cannot be updated."""
    if explicit:
        local = Path(explicit).expanduser()
        if local.is_dir() and _git_top(local) != local.resolve():
            return TemplateSource(explicit, problem=f"{explicit} is no git repository")
        return TemplateSource(explicit)
    root = data_root()
    if not _packaged(root):
        if _git_top(root) == root.resolve():
            return TemplateSource(str(root))
        return TemplateSource(
            str(root), problem=f"svcforge runs from {root}, which is no git repository"
        )
    origin = _direct_url()
    vcs = origin.get("vcs_info")
    url = origin.get("url")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and isinstance(url, str):
        commit = vcs.get("commit_id")
        reachable = _git_reachable(url)
        if reachable and isinstance(commit, str):
            return TemplateSource(f"git+{url}", ref=commit)
        return TemplateSource(
            str(root), problem=f"svcforge's git repository {url} cannot be reached"
        )
    return TemplateSource(
        str(root),
        problem=f"svcforge was installed from {_described(origin)}, not from git",
    )


def _packaged(root: Path) -> bool:
    return root.name == "_data"


def _direct_url() -> dict[str, Any]:
    try:
        text = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return {}
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _described(origin: dict[str, Any]) -> str:
    url = origin.get("url")
    if not isinstance(url, str):
        return "a package index"
    if isinstance(origin.get("archive_info"), dict):
        return f"an archive ({url})"
    return url


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(["git", *args], 1, "", str(exc))


def _git_top(path: Path) -> Path | None:
    proc = _git("rev-parse", "--show-toplevel", cwd=path)
    return Path(proc.stdout.strip()).resolve() if proc.returncode == 0 else None


def _git_reachable(url: str) -> bool:
    return _git("ls-remote", "--exit-code", "--heads", "--", url).returncode in (0, 2)

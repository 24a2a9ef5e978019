"""The README's Usage block, run as written on a fresh virtual environment in
a scratch folder: install svcforge from git, ``svcforge new``, install the
service's ``dev`` extra, its tests pass, and every later command works
(``copier update`` pulls a template change made after the service).

Two things differ from a new machine, and neither changes a command:
``<svcforge git URL>`` is a scratch git repository holding this checkout's
files, and the new virtual environment sees this one's third-party
packages (a ``.pth`` file, svcforge itself left out) instead of downloading
them again.  A run against the package index takes a minute longer and
was done by hand (see the report of issue 14).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PLACEHOLDER = "<svcforge git URL>"
SHIPPED = (
    "pyproject.toml",
    "README.md",
    "copier.yml",
    "generator",
    "svcforge",
    "templates",
)
GIT_ID = {
    "GIT_AUTHOR_NAME": "readme",
    "GIT_AUTHOR_EMAIL": "readme@example.invalid",
    "GIT_COMMITTER_NAME": "readme",
    "GIT_COMMITTER_EMAIL": "readme@example.invalid",
}
TEMPLATE_V2 = "Template v2 adds this line."


def usage_commands() -> list[str]:
    """The command lines of the first ``sh`` block under ``## Usage``."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("\n## Usage\n") :]
    block = section[section.index("```sh\n") + 6 :]
    block = block[: block.index("```")]
    return [line for line in block.splitlines() if line.strip()]


def scratch_repository(dest: Path) -> Path:
    """A git repository of what the wheel is built from, as it is now."""
    dest.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_data")
    for name in SHIPPED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-qm", "svcforge")):
        subprocess.run(
            ["git", "-c", "init.defaultBranch=main", *args],
            cwd=dest,
            check=True,
            env={**os.environ, **GIT_ID},
        )
    return dest


# What the commands run as programs (pip puts them in the environment's bin/
# only when it installs them), and svcforge itself: installed, not borrowed.
NOT_BORROWED = ("svcforge", "_editable", "pytest", "_pytest", "ruff", "mypy", "copier")


def borrowed_packages(dest: Path) -> Path:
    """This environment's third-party packages, but for ``NOT_BORROWED``,
    as one folder of links for the new environment's ``.pth`` file."""
    dest.mkdir()
    for site in (p for p in sys.path if p.endswith("site-packages")):
        for entry in Path(site).iterdir():
            name = entry.name.lower()
            if name.startswith(NOT_BORROWED) or entry.suffix == ".pth":
                continue
            link = dest / entry.name
            if not link.exists():
                link.symlink_to(entry)
    return dest


def script(commands: list[str], hooks: dict[str, str]) -> str:
    """The commands in order, each announced on both streams, with the
    test's own steps after the command whose start they name."""
    lines = ["set -euo pipefail"]
    for n, command in enumerate(commands):
        lines.append(f"echo '### {n}'; echo '### {n}' >&2")
        lines.append(command)
        for start, hook in hooks.items():
            if command.startswith(start):
                lines.append(hook)
    return "\n".join(lines) + "\n"


def sections(text: str, count: int) -> list[str]:
    parts = re.split(r"^### (\d+)\n", text, flags=re.MULTILINE)
    found = {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}
    return [found.get(n, "") for n in range(count)]


@pytest.mark.slow
def test_readme_usage_runs_as_written(tmp_path: Path) -> None:
    commands = usage_commands()
    assert commands[0].startswith("python3 -m venv .venv")
    assert any(PLACEHOLDER in c for c in commands)
    repo = scratch_repository(tmp_path / "svcforge-git")
    url = f"file://localhost{repo}"  # pip 23 wants a host in a git+file URL
    work = tmp_path / "scratch"
    work.mkdir()
    # `python3` is this interpreter's base, whatever PATH holds.
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "python3").write_text(f'#!/bin/sh\nexec "{sys._base_executable}" "$@"\n')
    (shims / "python3").chmod(0o755)
    packages = borrowed_packages(tmp_path / "packages")
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    hooks = {
        "python3 -m venv": f"echo '{packages}' > "
        f".venv/lib/python{version}/site-packages/_borrowed.pth",
        "git init": f"(cd '{repo}' && echo '{TEMPLATE_V2}' >> "
        "templates/service/README.md.jinja && git commit -qam 'template v2')",
        'eval "$(svcforge dev up)"': 'echo "broker=$MY_SERVICE_KAFKA__BOOTSTRAP_SERVERS"',
    }
    text = script([c.replace(PLACEHOLDER, url) for c in commands], hooks)
    own_bin = str(Path(sys.executable).parent)
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p != own_bin]
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "VIRTUAL_ENV")
        },
        **GIT_ID,
        "PATH": os.pathsep.join([str(shims), *path]),
    }
    service = work / "my-service"
    try:
        proc = subprocess.run(
            ["bash", "-c", text],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        if (service / ".svcforge/dev.json").exists():
            subprocess.run(
                [str(work / ".venv/bin/svcforge"), "dev", "down"],
                cwd=service,
                check=False,
            )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    out = sections(proc.stdout, len(commands))
    err = sections(proc.stderr, len(commands))
    at = {c.split("#")[0].strip(): n for n, c in enumerate(commands)}

    assert out[at["svcforge --version"]] == "svcforge 0.1.0\n"
    created = out[at["svcforge new my-service"]]
    assert "svcforge new: created my-service in my-service/" in created
    assert "next steps:" in created
    assert "cannot update" not in err[at["svcforge new my-service"]]
    tests = out[at["pytest"]]
    assert re.search(r"\b\d+ passed\b", tests) and "failed" not in tests, tests
    assert "in sync" in out[at["svcforge check"]]
    assert "compatible with HEAD" in err[at["svcforge compat --against HEAD"]]
    # The template changed after the service was made: the update merged it,
    # with the command the service's own README gives.
    readme = (service / "README.md").read_text()
    assert readme.rstrip().endswith(TEMPLATE_V2)
    assert "\ncopier update --trust --defaults " in readme
    answers = (service / ".copier-answers.yml").read_text()
    assert f"_src_path: git+{url}" in answers
    document = json.loads((service / "asyncapi.json").read_text())
    assert document["asyncapi"].startswith("3.")
    broker = re.search(
        r"broker=(127\.0\.0\.1:\d+)", out[at['eval "$(svcforge dev up)"']]
    )
    assert broker, err[at['eval "$(svcforge dev up)"']]
    assert "stopped kafka" in err[at["svcforge dev down"]]

    bad = subprocess.run(
        [str(work / ".venv/bin/svcforge"), "new", "Bad_Name"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.startswith(
        "svcforge: service name 'Bad_Name': lowercase letters, digits and single "
        "dashes, starting with a letter"
    )
    assert not (work / "Bad_Name").exists()

"""``svcforge new`` and ``svcforge demo``: services from the copier template."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from generator.errors import UsageError
from generator.resources import data_root

_SERVICE_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")


def template_source() -> str:
    """The copier template: this checkout (a git repository, so that services
    made from it can ``copier update``), or the copy packaged with the wheel."""
    return str(data_root())


def new_service(dest: Path, data: dict[str, Any], *, defaults: bool = True) -> None:
    import copier

    if dest.exists() and any(dest.iterdir()):
        raise UsageError(f"{dest}: exists and is not empty")
    answers = dict(data)
    name = dest.resolve().name
    if "service_name" not in answers and _SERVICE_NAME.match(name):
        answers["service_name"] = name
    copier.run_copy(
        template_source(),
        dest,
        data=answers,
        defaults=defaults,
        unsafe=True,  # the template's only task is `svcforge regen`
        quiet=True,
    )


def demo(dest: Path) -> int:
    """Create a demo service (or reuse the one a previous demo made), generate
    its code, run it and its tests, and say what happened at each step."""
    marker = dest / ".copier-answers.yml"
    if dest.exists() and not marker.is_file():
        raise UsageError(f"{dest}: exists and was not made by svcforge demo")
    if marker.is_file():
        print(f"[1/4] reusing the demo service in {dest}/ (made by an earlier demo)")
    else:
        print(
            f"[1/4] creating {dest}/ from the copier template (copier copy --defaults)"
        )
        new_service(dest, {"service_name": "demo-service"})
    print("[2/4] generating code from its schemas (svcforge regen)")
    from generator.pipeline import generate
    from generator.writer import write_tree

    manifest, files = generate(dest)
    changes = write_tree(dest, manifest, files)
    print(f"      {len(files)} generated files, {len(changes.written)} rewritten:")
    for rel in files:
        print(f"      - {rel}")
    env = {**os.environ, "PYTHONPATH": str((dest / manifest.src).resolve())}
    print(f"[3/4] running it: python -m {manifest.package}")
    run = subprocess.run(
        [sys.executable, "-m", manifest.package], cwd=dest, env=env, check=False
    )
    if run.returncode != 0:
        return run.returncode
    print("[4/4] running its test suite: pytest -q")
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=dest,
        env=env,
        check=False,
    )
    if tests.returncode == 0:
        print(f"demo done: the service is in {dest}/; try `svcforge check {dest}`")
    return tests.returncode

"""``svcforge new`` and ``svcforge demo``: services from the copier template."""

from __future__ import annotations

import keyword
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from generator.errors import UsageError, did_you_mean
from generator.templatesrc import HOW, TemplateSource, template_source

SERVICE_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")
SERVICE_RULE = "lowercase letters, digits and single dashes, starting with a letter"
PACKAGE_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
PACKAGE_RULE = "a Python identifier in lowercase, not a keyword"
_BOOLS = {"true": True, "yes": True, "on": True, "1": True}
_BOOLS |= {"false": False, "no": False, "off": False, "0": False}
QUESTIONS = ("service_name", "package_name", "description")
FLAGS = ("use_kafka", "use_redis", "use_postgres")
"""The questions of ``copier.yml`` (a test keeps the two lists alike)."""


def check_answers(dest: Path, given: dict[str, str]) -> dict[str, Any]:
    """The answers to pass to copier, checked here so that a bad one is one
    line and exit 2 before anything is written (copier would raise).  The
    service is named after its folder unless ``service_name`` is given."""
    problems: list[str] = []
    answers: dict[str, Any] = {}
    for key, value in given.items():
        if key in FLAGS:
            flag = _BOOLS.get(value.strip().lower())
            if flag is None:
                problems.append(f"{key}={value!r}: expected true or false")
            answers[key] = flag
        elif key in QUESTIONS:
            answers[key] = value
        else:
            hint = did_you_mean(key, (*QUESTIONS, *FLAGS))
            problems.append(
                f"{key}: no such question; {hint or ''}the questions are "
                f"{', '.join((*QUESTIONS, *FLAGS))}"
            )
    name = answers.setdefault("service_name", dest.resolve().name)
    if not SERVICE_NAME.match(name):
        problems.append(_bad_service_name(name, "service_name" in given, dest))
    elif not _is_package(answers.get("package_name", name.replace("-", "_"))):
        package = answers.get("package_name", name.replace("-", "_"))
        hint = (
            ""
            if "package_name" in given
            else f"\n  hint: -d package_name={package}_svc"
        )
        problems.append(f"package name {package!r}: {PACKAGE_RULE}{hint}")
    if problems:
        raise UsageError("\nsvcforge: ".join(problems))
    return answers


def _is_package(name: str) -> bool:
    return bool(PACKAGE_NAME.match(name)) and not keyword.iskeyword(name)


def _bad_service_name(name: str, given: bool, dest: Path) -> str:
    text = f"service name {name!r}: {SERVICE_RULE}"
    fixed = "-".join(re.findall(r"[a-z0-9]+", name.lower())).lstrip("-0123456789")
    if not given:
        text += " (the service is named after its folder)"
    if not SERVICE_NAME.match(fixed):
        return text
    if given:
        return f"{text}\n  hint: -d service_name={fixed}"
    return (
        f"{text}\n  hint: svcforge new {dest.parent / fixed}, or keep the folder "
        f"and name the service: svcforge new {dest} -d service_name={fixed}"
    )


def new_service(
    dest: Path,
    data: dict[str, str],
    *,
    defaults: bool = True,
    template: str | None = None,
    quiet: bool = False,
) -> TemplateSource:
    """Copy the template into ``dest`` (which must not exist or be empty)
    and generate the service's code; say where the template came from."""
    import copier
    from copier.errors import CopierError

    if dest.exists() and any(dest.iterdir()):
        raise UsageError(f"{dest}: exists and is not empty")
    answers = check_answers(dest, data)
    source = template_source(template)
    existed = dest.exists()
    try:
        copier.run_copy(
            source.path,
            dest,
            data=answers,
            vcs_ref=source.ref,
            defaults=defaults,
            unsafe=True,  # the template's only task is `svcforge regen`
            quiet=True,
        )
    except (CopierError, ValueError, subprocess.CalledProcessError) as exc:
        _undo(dest, existed)
        raise UsageError(f"copier failed: {exc}") from None
    if not (dest / "pyproject.toml").is_file():
        _undo(dest, existed)
        raise UsageError(f"{source.path}: no svcforge service template there")
    if not quiet:
        _next_steps(dest, answers, source)
    return source


def _undo(dest: Path, existed: bool) -> None:
    """Remove what a failed copy wrote: the folder, or its content."""
    import shutil

    if not existed:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for path in dest.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _next_steps(dest: Path, answers: dict[str, Any], source: TemplateSource) -> None:
    name = answers["service_name"]
    print(f"svcforge new: created {name} in {dest}/ (template: {source.path})")
    print(
        "next steps:\n"
        f"  cd {dest}\n"
        "  pip install -e '.[dev]'   # the service, its test tools and test broker\n"
        "  pytest                    # its tests, on servers they start on loopback\n"
        f'  git init && git add -A && git commit -m "{name}: new service"'
        "   # copier update needs git"
    )
    if source.problem:
        print(
            f"svcforge new: warning: `copier update` cannot update this service: "
            f"{source.problem}\n  hint: {HOW}",
            file=sys.stderr,
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
        new_service(dest, {"service_name": "demo-service"}, quiet=True)
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

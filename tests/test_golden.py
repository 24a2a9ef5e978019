"""Golden tests: every folder under tests/golden/ is a tiny service.

A case whose ``expected/`` holds a generated tree must regenerate to exactly
that tree; a case whose ``expected/`` holds ``stderr.txt`` is bad input, which
must fail with exactly that message, exit code 2, and write nothing.  A good
case's warnings (on stderr, exit 0) are ``expected/warnings.txt``.
``pytest tests/test_golden.py --update-goldens`` rewrites ``expected/``.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.cli import EXIT_BAD_INPUT, EXIT_OK, main
from generator.pipeline import generate

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "pyproject.toml").is_file())
STDERR = "stderr.txt"
WARNINGS = "warnings.txt"
UPDATE = "pytest tests/test_golden.py --update-goldens"
_SKIP = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})


def _ignore(folder: str, names: list[str]) -> set[str]:
    """What a case copy leaves out: caches, expected/, and generated output
    someone may have left by running svcforge inside tests/golden."""
    top = Path(folder).parent == GOLDEN
    return {
        n for n in names if n in _SKIP or (top and n in ("expected", "src", "tests"))
    }


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (caches excluded), by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not _SKIP.intersection(p.parts)
    }


def run(*argv: str) -> tuple[int, str, str]:
    """The CLI in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def copy_case(case: str, dest: Path) -> Path:
    project = dest / case
    shutil.copytree(GOLDEN / case, project, ignore=_ignore)
    return project


def package_of(project: Path) -> str | None:
    try:
        data = tomllib.loads((project / "pyproject.toml").read_text())
        package = data["tool"]["svcforge"]["package"]
    except (tomllib.TOMLDecodeError, KeyError, TypeError):
        return None
    return package if isinstance(package, str) and package.isidentifier() else None


def is_negative(case: str) -> bool:
    return (GOLDEN / case / "expected" / STDERR).is_file()


def diff(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    """A unified diff of two trees, as text."""
    out: list[str] = []
    for rel in sorted(expected.keys() | actual.keys()):
        old, new = expected.get(rel), actual.get(rel)
        if old == new:
            continue
        out += difflib.unified_diff(
            (old or b"").decode("utf-8", "replace").splitlines(keepends=True),
            (new or b"").decode("utf-8", "replace").splitlines(keepends=True),
            fromfile=f"expected/{rel}" if old is not None else "/dev/null",
            tofile=f"actual/{rel}" if new is not None else "/dev/null",
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def check_golden(case: str, actual: dict[str, bytes], update: bool) -> None:
    """Compare ``actual`` with the case's expected/ tree, or rewrite it."""
    expected_dir = GOLDEN / case / "expected"
    expected = snapshot(expected_dir) if expected_dir.is_dir() else {}
    if expected == actual:
        return
    if update:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, data in actual.items():
            path = expected_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return
    pytest.fail(
        f"golden case {case!r} differs from tests/golden/{case}/expected/:\n"
        f"{diff(expected, actual)}\n"
        f"If the change is intended, run: {UPDATE}",
        pytrace=False,
    )


@pytest.fixture
def update(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path, update: bool) -> None:
    """Each case regenerates to exactly its expected/ (output or error)."""
    project = copy_case(case, tmp_path)
    if is_negative(case):
        check_bad_input(case, project, update)
        return
    code, _, err = run("regen", str(project))
    if update and code == EXIT_BAD_INPUT and not (GOLDEN / case / "expected").exists():
        # A new case that fails is a bad-input case: record its error.
        check_golden(case, {STDERR: err.encode()}, update)
        return
    assert code == EXIT_OK, err
    generated = snapshot(project)
    tree = {rel: data for rel, data in generated.items() if _is_generated(rel)}
    check_golden(case, {**tree, WARNINGS: err.encode()} if err else tree, update)
    check_deterministic(project, generated, err)
    check_compiles(tree)
    check_round_trips(project)


def _is_generated(rel: str) -> bool:
    return rel.startswith(("src/", "tests/")) and "/generated/" in rel


def check_deterministic(
    project: Path, generated: dict[str, bytes], warnings: str
) -> None:
    """A second regen writes nothing (and warns alike), and generating twice
    gives equal text."""
    code, out, err = run("regen", str(project))
    assert (code, err) == (EXIT_OK, warnings)
    assert "0 written, 0 removed" in out
    assert snapshot(project) == generated
    assert generate(project) == generate(project)


def check_compiles(tree: dict[str, bytes]) -> None:
    for rel, data in tree.items():
        if rel.endswith(".py"):
            compile(data, rel, "exec", dont_inherit=True)


@contextlib.contextmanager
def imported(project: Path) -> Iterator[tuple[Any, Any]]:
    """The case's generated codecs and examples modules, imported from its copy
    and forgotten afterwards (package names are distinct per case)."""
    package = package_of(project)
    assert package is not None
    assert package not in sys.modules, f"{package} is already imported"
    sys.path.insert(0, str(project / "src"))
    try:
        codecs = importlib.import_module(f"{package}.generated.codecs")
        examples = importlib.import_module(f"{package}.generated.examples")
        yield codecs, examples
    finally:
        sys.path.remove(str(project / "src"))
        for name in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[name]


def check_round_trips(project: Path) -> None:
    """Every example, and the same message with its defaults, survives its
    message's Avro and JSON codecs."""
    if not list(project.glob("src/*/generated/examples.py")):
        return  # no messages, nothing to send
    with imported(project) as (codecs, examples):
        names = sorted(n for n in vars(examples) if n.startswith("example_"))
        # Every message has a JSON codec; JSON Schema messages have no Avro one.
        consts = sorted(
            n.removesuffix("_JSON") for n in vars(codecs) if n.endswith("_JSON")
        )
        assert [n.removeprefix("example_").upper() for n in names] == consts
        for name in names:
            message = getattr(examples, name)()
            const = name.removeprefix("example_").upper()
            avro = getattr(codecs, f"{const}_AVRO", None)
            json_codec = getattr(codecs, f"{const}_JSON")
            # The same message with every field left at its default.
            model = type(message)
            required = {
                attr: getattr(message, attr)
                for attr, info in model.model_fields.items()
                if info.is_required()
            }
            for m in (message, model(**required)):
                if m is not message and _refused(json_codec, m):
                    continue  # defaults that break a rule only a validator knows
                if avro is not None:
                    assert avro.decode(avro.encode(m)) == m, name
                assert json_codec.decode(json_codec.encode(m)) == m, name


def _refused(codec: Any, message: Any) -> bool:
    """Whether the exact validator of a JSON codec refuses the message."""
    validator = getattr(codec, "validator", None)
    if validator is None:
        return False
    data = message.model_dump_json(by_alias=True, exclude_unset=True)
    return validator.violation(json.loads(data)) is not None


def check_bad_input(case: str, project: Path, update: bool) -> None:
    """regen and check exit 2 with exactly the expected message, and leave the
    project as it was, stale generated files included."""
    package = package_of(project) or "old_service"
    stale = {
        f"src/{package}/generated/__init__.py": "# from an earlier regen\n",
        f"src/{package}/generated/models.py": "# from an earlier regen\n",
        "tests/generated/test_gone.py": "# from an earlier regen\n",
    }
    for rel, text in stale.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    before = snapshot(project)
    code, out, err = run("regen", str(project))
    assert snapshot(project) == before, "regen wrote files despite bad input"
    assert (code, out) == (EXIT_BAD_INPUT, ""), out
    check_golden(case, {STDERR: err.encode()}, update)
    assert run("check", str(project)) == (EXIT_BAD_INPUT, "", err)
    assert snapshot(project) == before


def test_golden_packages_are_distinct() -> None:
    """Cases are imported into one interpreter: their packages must differ."""
    packages = [
        p for c in CASES if not is_negative(c) and (p := package_of(GOLDEN / c))
    ]
    assert len(packages) == len(set(packages))


def test_enough_bad_input_cases() -> None:
    assert sum(is_negative(c) for c in CASES) >= 18


@pytest.mark.slow
def test_generated_code_is_lint_and_type_clean(tmp_path: Path) -> None:
    """ruff check, ruff format --check and mypy --strict, with each project's own
    configuration, over every positive case and every generated example."""
    projects = []
    for case in CASES:
        if not is_negative(case):
            project = copy_case(case, tmp_path)
            assert run("regen", str(project))[0] == EXIT_OK
            projects.append(project)
    projects += sorted(
        p.parent for p in (ROOT / "generated-examples").glob("*/pyproject.toml")
    )
    env = {**os.environ, "MYPYPATH": "src"}
    commands = [
        ["ruff", "check", "--no-cache", "."],
        ["ruff", "format", "--no-cache", "--check", "."],
        [
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "src",
            "tests",
        ],
    ]
    failures = []
    for project in projects:
        for command in commands:
            done = subprocess.run(
                command, cwd=project, env=env, capture_output=True, text=True
            )
            if done.returncode != 0:
                failures.append(
                    f"$ cd {project} && {' '.join(command)}\n{done.stdout}{done.stderr}"
                )
    assert not failures, "\n".join(failures)

"""Apache Avro's own schema test suites (``tests/avro_spec/``, vendored with
their licence): every schema they expect to be valid generates code that
imports and round-trips its examples, or is refused by a documented rule
(``generator.frontends.avro.rules``); every schema they expect to be invalid is
refused with ``path:line:col``, exit 2, nothing written.

Protocols (``.avpr``) are not schema files: the types they define are, listed
in an ``.avsc``.  Avro IDL (``.avdl``) needs an IDL compiler and is not read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from generator.cli import EXIT_BAD_INPUT, EXIT_OK
from generator.frontends.avro.rules import refusal_rule
from tests.test_golden import check_round_trips, run, snapshot

SPEC = Path(__file__).resolve().parent / "avro_spec"
PASS = sorted(
    [*(SPEC / "c" / "pass").iterdir(), *(SPEC / "share").glob("*.avsc")],
    key=lambda p: p.relative_to(SPEC).as_posix(),
)
FAIL = sorted((SPEC / "c" / "fail").iterdir())
PROTOCOLS = sorted((SPEC / "share").glob("*.avpr"))
DIAGNOSTIC = re.compile(r"^schemas/messages/[^:]+:\d+:\d+: \S")
_packages = iter(range(10_000))


def _service(tmp_path: Path, name: str, text: str) -> Path:
    """A throwaway service holding one message schema file."""
    package = f"avro_spec_{next(_packages)}"
    root = tmp_path / package
    (root / "schemas" / "messages").mkdir(parents=True)
    stem = re.sub(r"\W", "_", name.removesuffix(".avsc").removesuffix(".avpr"))
    (root / "schemas" / "messages" / f"{stem}.avsc").write_text(text)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{package}"\nversion = "0"\n\n'
        f'[tool.svcforge]\npackage = "{package}"\n'
    )
    return root


def _generates_or_follows_a_rule(root: Path) -> None:
    code, _, err = run("regen", str(root))
    if code == EXIT_OK:
        check_round_trips(root)
        return
    assert code == EXIT_BAD_INPUT, err
    problems = [line for line in err.splitlines() if DIAGNOSTIC.match(line)]
    assert problems, err
    for line in problems:
        assert refusal_rule(line) is not None, f"refused by no documented rule: {line}"


@pytest.mark.parametrize("path", PASS, ids=lambda p: p.relative_to(SPEC).as_posix())
def test_valid_schemas_generate_or_follow_a_documented_rule(
    path: Path, tmp_path: Path
) -> None:
    text = path.read_text(encoding="utf-8")
    _generates_or_follows_a_rule(_service(tmp_path, path.name, text))


@pytest.mark.parametrize("path", FAIL, ids=lambda p: p.relative_to(SPEC).as_posix())
def test_invalid_schemas_are_refused_where_they_go_wrong(
    path: Path, tmp_path: Path
) -> None:
    root = _service(tmp_path, path.name, path.read_text(encoding="utf-8"))
    before = snapshot(root)
    code, out, err = run("regen", str(root))
    assert (code, out) == (EXIT_BAD_INPUT, "")
    assert any(DIAGNOSTIC.match(line) for line in err.splitlines()), err
    assert "Traceback" not in err
    assert snapshot(root) == before


def _protocol_types(protocol: dict[str, Any]) -> list[Any]:
    """A protocol's named types, each in the protocol's namespace unless it
    names its own (as the protocol specification says)."""
    namespace = protocol.get("namespace")
    types = []
    for t in protocol.get("types", []):
        if namespace and "namespace" not in t and "." not in t["name"]:
            t = {**t, "namespace": namespace}
        types.append(t)
    return types


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.name)
def test_the_types_of_each_protocol_generate(path: Path, tmp_path: Path) -> None:
    types = _protocol_types(json.loads(path.read_text(encoding="utf-8")))
    root = _service(tmp_path, path.name, json.dumps(types, indent=1))
    _generates_or_follows_a_rule(root)


def test_the_suites_are_there() -> None:
    assert len(PASS) >= 30 and len(FAIL) >= 10 and PROTOCOLS
    assert (SPEC / "LICENSE.txt").is_file() and (SPEC / "NOTICE.txt").is_file()

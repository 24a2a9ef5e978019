"""The committed examples' generated database tests, run inside this suite
against the session's PostgreSQL: every table of every example gets its CRUD
round trip in CI, not only when someone runs the example's own tests."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(
    [
        *(ROOT / "generated-examples").glob("*/tests/generated/test_db_*.py"),
        *(ROOT / "tests/golden").glob("*/expected/tests/generated/test_db_*.py"),
    ]
)


def _label(path: Path) -> str:
    root = path.parents[2]
    return root.parent.name if root.name == "expected" else root.name


def _load(path: Path) -> ModuleType:
    example = path.parents[2]
    src = str(example / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    label = example.parent.name if example.name == "expected" else example.name
    name = f"_example_{label.replace('-', '_')}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_examples_have_database_tests() -> None:
    examples = {_label(p) for p in CASES}
    assert {"market-data", "iot-energy", "sql_tables"} <= examples


@pytest.mark.parametrize("path", CASES, ids=[f"{_label(p)}:{p.stem}" for p in CASES])
def test_example_crud_round_trip(path: Path, postgres_dsn: str) -> None:
    module = _load(path)
    asyncio.run(module.crud_round_trip(postgres_dsn))


def test_bench_quick_mode_prints_the_table_and_the_bench_line() -> None:
    """Format only: never a speed assertion."""
    import subprocess

    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "repository.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].split()[:4] == ["operation", "generated", "raw", "asyncpg"]
    assert any(line.startswith("get by pk") for line in lines)
    assert any(line.startswith("cached get (hits)") for line in lines)
    assert any("dataclass(slots=True)" in line for line in lines)
    last = lines[-1]
    assert last.startswith("bench: ")
    keys = [kv.split("=")[0] for kv in last.removeprefix("bench: ").split()]
    assert keys == [
        "get_vs_raw",
        "copy_vs_raw",
        "list_vs_raw",
        "get_vs_orm",
        "insert_vs_raw",
        "insert_default_vs_raw",
        "cached_get_vs_raw",
    ]
    for kv in last.removeprefix("bench: ").split():
        float(kv.split("=")[1])

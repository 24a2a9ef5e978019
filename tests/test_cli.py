"""regen and check through the command line: determinism, ownership, drift."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.cli import main

EXAMPLE = Path(__file__).parent.parent / "generated-examples" / "market-data"
GENERATED = "src/market_data/generated"


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture
def service(tmp_path: Path) -> Path:
    """A fresh copy of the market-data example, in sync."""
    root = tmp_path / "market-data"
    shutil.copytree(
        EXAMPLE,
        root,
        symlinks=False,
        ignore=shutil.ignore_patterns(
            "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"
        ),
    )
    assert main(["regen", str(root)]) == 0
    return root


def test_check_passes_right_after_regen(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["check", str(service)]) == 0
    assert "in sync" in capsys.readouterr().out


def test_regen_twice_changes_nothing(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(service)
    capsys.readouterr()
    assert main(["regen", str(service)]) == 0
    assert "0 written, 0 removed" in capsys.readouterr().out
    assert snapshot(service) == before


def test_committed_example_is_in_sync(capsys: pytest.CaptureFixture[str]) -> None:
    """The drift check CI runs over generated-examples/."""
    for example in sorted((EXAMPLE.parent).glob("*/pyproject.toml")):
        assert main(["check", str(example.parent)]) == 0, capsys.readouterr().out


def test_check_detects_hand_edited_file(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = service / GENERATED / "models.py"
    models.write_text(models.read_text().replace("BUY = ", "BUY_ = "))
    capsys.readouterr()
    assert main(["check", str(service)]) == 1
    out = capsys.readouterr().out
    assert f"--- a/{GENERATED}/models.py" in out
    assert '-    BUY_ = "BUY"' in out and '+    BUY = "BUY"' in out


def test_check_detects_deleted_file(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (service / GENERATED / "codecs.py").unlink()
    capsys.readouterr()
    assert main(["check", str(service)]) == 1
    assert f"+++ b/{GENERATED}/codecs.py" in capsys.readouterr().out


def test_check_detects_stale_extra_file(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (service / GENERATED / "old_models.py").write_text("# left over\n")
    (service / "tests/generated/test_gone.py").write_text("# left over\n")
    capsys.readouterr()
    assert main(["check", str(service)]) == 1
    out = capsys.readouterr().out
    assert f"--- a/{GENERATED}/old_models.py" in out
    assert "--- a/tests/generated/test_gone.py" in out


def test_check_detects_schema_change_without_regen(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = service / "schemas/messages/candle.avsc"
    schema.write_text(schema.read_text().replace('"M15", ', '"M15", "M30", '))
    capsys.readouterr()
    assert main(["check", str(service)]) == 1
    assert '+    M30 = "M30"' in capsys.readouterr().out
    assert main(["regen", str(service)]) == 0
    assert main(["check", str(service)]) == 0


def test_regen_removes_files_whose_schema_disappeared(service: Path) -> None:
    (service / "schemas/messages/session.avsc").unlink()
    assert main(["regen", str(service)]) == 0
    models = (service / GENERATED / "models.py").read_text()
    assert "TradingSession" not in models and "session.avsc" not in models
    for path in (service / "schemas/messages").glob("*.avsc"):
        path.unlink()
    # Channels name messages: with no message left, a declared channel is an
    # error (exit 2), so the manifest drops them too.
    pyproject = service / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text[: text.index("[tool.svcforge.channels")])
    for path in [
        *(service / "schemas/tables").glob("*.sql"),
        *(service / "schemas/queries").glob("*.sql"),
    ]:
        path.unlink()
    assert main(["regen", str(service)]) == 0
    # What is left comes from `uses` and the config schemas: settings and wiring.
    assert sorted(p.name for p in (service / GENERATED).iterdir()) == [
        ".env.example",
        "CONFIGURATION.md",
        "__init__.py",
        "settings.py",
        "wiring.py",
    ]
    assert not (service / "tests/generated/test_messages.py").exists()
    assert not list((service / "tests/generated").glob("test_db_*.py"))


def test_regen_never_touches_files_outside_generated_folders(service: Path) -> None:
    (service / "src/market_data/app.py").write_text("# team code\n")
    (service / "tests/test_mine.py").write_text("# team test\n")
    before = {k: v for k, v in snapshot(service).items() if "/generated/" not in k}
    (service / GENERATED / "models.py").write_text("# edited\n")
    (service / GENERATED / "stale.py").write_text("# stale\n")
    assert main(["regen", str(service)]) == 0
    after = {k: v for k, v in snapshot(service).items() if "/generated/" not in k}
    assert after == before


def test_bad_schema_exits_2_and_writes_nothing(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (service / GENERATED / "models.py").write_text("# edited by hand\n")
    schema = service / "schemas/messages/trade.avsc"
    schema.write_text(schema.read_text().replace('"type": "Side"', '"type": "Sidee"'))
    before = snapshot(service)
    capsys.readouterr()
    assert main(["regen", str(service)]) == 2
    err = capsys.readouterr().err
    assert "schemas/messages/trade.avsc:10:30: unknown type 'Sidee'" in err
    assert "nothing written" in err
    assert snapshot(service) == before
    assert main(["check", str(service)]) == 2


def test_missing_manifest_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["regen", str(tmp_path)]) == 2
    assert (
        "pyproject.toml: no pyproject.toml in the service root"
        in capsys.readouterr().err
    )
    assert main(["check", str(tmp_path / "nowhere")]) == 2


def test_regen_is_byte_identical_across_copies(tmp_path: Path) -> None:
    """No timestamps, absolute paths or dict-order effects in the output."""
    outputs = []
    for name in ("one", "two"):
        root = tmp_path / name / "market-data"
        shutil.copytree(
            EXAMPLE,
            root,
            symlinks=False,
            ignore=shutil.ignore_patterns("__pycache__", "generated"),
        )
        assert main(["regen", str(root)]) == 0
        outputs.append({k: v for k, v in snapshot(root).items() if "/generated/" in k})
    assert outputs[0] == outputs[1]
    assert outputs[0] == {
        k: v for k, v in snapshot(EXAMPLE).items() if "/generated/" in k
    }

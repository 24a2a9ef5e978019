"""mypy --strict rejects publishing the wrong model to a generated channel,
registering a handler of the wrong model, and consuming a publish-only
channel; it accepts the typed use."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SRC = HERE.parent.parent / "generated-examples" / "market-data" / "src"


def mypy(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYPYPATH": str(SRC)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--explicit-package-bases",
            "--config-file",
            os.devnull,
            str(path),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=HERE,
    )


@pytest.mark.slow
def test_mypy_rejects_the_wrong_model() -> None:
    result = mypy(HERE / "wrong_model.py")
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    by_line = {int(re.split(r":", e)[1]): e for e in errors}
    source = (HERE / "wrong_model.py").read_text().splitlines()

    def line_of(text: str) -> int:
        return next(n for n, line in enumerate(source, 1) if text in line)

    assert len(errors) == 3, result.stdout
    assert (
        'Argument 1 to "publish" of "PublishChannel" has incompatible type "Candle"; expected "Trade"'
        in by_line[line_of("publish(example_candle())")]
    )
    assert (
        'Argument 1 to "handler" of "ConsumeChannel" has incompatible type'
        in by_line[line_of("trades.handler(handle_candle)")]
    )
    assert (
        '"PublishChannel[Candle]" has no attribute "handler"'
        in by_line[line_of("candles.handler(handle_candle)")]
    )


@pytest.mark.slow
def test_mypy_accepts_the_typed_use() -> None:
    result = mypy(HERE / "right_model.py")
    assert result.returncode == 0, result.stdout + result.stderr

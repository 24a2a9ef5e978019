"""mypy --strict accepts the typed use of a union message's channel and
rejects publishing a model that is no record of the union."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "golden" / "avro_messages" / "expected" / "src"


@pytest.mark.slow
def test_a_union_channel_is_typed() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--explicit-package-bases",
            "--config-file",
            os.devnull,
            str(HERE / "union_channel.py"),
        ],
        env={**os.environ, "MYPYPATH": str(SRC)},
        capture_output=True,
        text=True,
        cwd=HERE,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, result.stdout + result.stderr
    assert 'incompatible type "Labelled"' in errors[0], errors[0]
    assert (
        "publish(labelled)"
        in (HERE / "union_channel.py")
        .read_text()
        .splitlines()[int(errors[0].split(":")[1]) - 1]
    )

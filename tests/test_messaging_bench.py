"""bench/messaging.py prints a table and ends with the contract's ``bench:``
line (the format only: speed is never asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "messaging.py"


@pytest.mark.slow
def test_quick_run_ends_with_the_bench_line() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "-n", "300"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    lines = out.strip().splitlines()
    assert any(line.startswith("case") and "ratio" in line for line in lines)
    assert re.fullmatch(
        r"bench: kafka_publish_vs_raw=\d+\.\d\d kafka_consume_vs_raw=\d+\.\d\d "
        r"redis_publish_vs_raw=\d+\.\d\d redis_consume_vs_raw=\d+\.\d\d",
        lines[-1],
    ), lines[-1]

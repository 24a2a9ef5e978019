"""bench/service.py and bench/store.py print a table and end with the
contract's ``bench:`` line (the format only: speed is never asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
NUMBER = r"\d+\.\d\d"


def quick(script: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    return out.strip().splitlines()


@pytest.mark.slow
def test_service_bench_ends_with_the_bench_line() -> None:
    lines = quick("service.py")
    assert any(line.startswith("resident memory, idle") for line in lines)
    assert any(line.startswith("consume -> store, raw") for line in lines)
    # A latency may be nan when no message arrived after the warm-up.
    latency = rf"(?:{NUMBER}|nan)"
    assert re.fullmatch(
        rf"bench: rss_idle_mib=\d+\.\d rss_load_mib=\d+\.\d "
        rf"redis_p99_ms={latency} kafka_p99_ms={latency} store_vs_raw={NUMBER}",
        lines[-1],
    ), lines[-1]


@pytest.mark.slow
def test_store_bench_ends_with_the_bench_line() -> None:
    lines = quick("store.py")
    assert lines[0].split()[:4] == ["batch", "copy", "executemany", "returning"]
    sizes = ["1", "10", "30", "100", "500"]
    ratios = [
        f"{k}_vs_executemany_b{s}={NUMBER}"
        for k in ("copy", "returning")
        for s in sizes
    ]
    assert re.fullmatch(
        "bench: " + " ".join([*ratios, f"dup_copy_vs_executemany_b100={NUMBER}"]),
        lines[-1],
    ), lines[-1]

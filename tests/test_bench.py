"""``bench/codec.py --quick`` runs and prints what the benchmark contract asks:
a human-readable table, then one ``bench: key=value …`` line.  Only the format
is checked here; speed is never asserted in tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_LINE = re.compile(
    r"bench: encode_ratio=(\d+\.\d\d) decode_ratio=(\d+\.\d\d) "
    r"encode_vs_naive=(\d+\.\d\d) decode_vs_naive=(\d+\.\d\d) "
    r"json_decode_vs_msgspec=(\d+\.\d\d) json_encode_vs_msgspec=(\d+\.\d\d) "
    r"json_exact_decode_vs_msgspec=(\d+\.\d\d) "
    r"json_exact_encode_vs_msgspec=(\d+\.\d\d)"
)


def test_codec_bench_quick_prints_a_table_then_the_bench_line() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "codec.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    match = BENCH_LINE.fullmatch(lines[-1])
    assert match, lines[-1]
    assert all(float(x) > 0 for x in match.groups())
    table = "\n".join(lines[:-1])
    for row in (
        "raw fastavro, plain dict",
        "by hand: pydantic + fastavro",
        "generated codec (TRADE_AVRO)",
        "decode options: Trade",
        "generated reader + model_builder",
        "JSON decode: UserRegistered",
        "JSON encode: ApiKeyRevoked, exact",
        "msgspec, typed Struct",
        "orjson, plain dict",
    ):
        assert row in table
    assert sum(1 for line in lines if "op/s" in line) >= 4


def test_compat_bench_quick_prints_a_table_then_the_bench_line() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "compat.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    match = re.fullmatch(
        r"bench: compat_s=(\d+\.\d\d) compat_vs_regen=(\d+\.\d\d)", lines[-1]
    )
    assert match, lines[-1]
    assert "svcforge compat --against HEAD" in "\n".join(lines[:-1])

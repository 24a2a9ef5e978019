"""``bench/regen.py --quick`` prints a table of regen times for 10, 50 and 200
JSON Schema files beside datamodel-code-generator's CLI, then the line
``bench: growth=… vs_dmcg_cli=…``.  Only the format is checked here; speed
is never asserted in tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_LINE = re.compile(r"bench: growth=(\d+\.\d\d) vs_dmcg_cli=(\d+\.\d\d)")


def test_regen_bench_quick_prints_a_table_then_the_bench_line() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "regen.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    match = BENCH_LINE.fullmatch(lines[-1])
    assert match, lines[-1]
    assert all(float(x) > 0 for x in match.groups())
    rows = [line.split() for line in lines[:-1] if line.strip()[:1].isdigit()]
    assert [row[0] for row in rows] == ["10", "50", "200"]
    assert "DMCG CLI" in lines[1]

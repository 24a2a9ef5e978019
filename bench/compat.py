"""``svcforge compat`` on a service with 100 message schemas (70 Avro, 30
JSON Schema) and 50 commits of history, under ``FULL_TRANSITIVE`` (every
message checked both ways against every earlier version), beside ``svcforge
regen`` of the same service.

Both run as a user runs them: a new process each.  The working tree holds one
more compatible change than HEAD.  Each figure is the median of the rounds.
The last line is ``bench: compat_s=… compat_vs_regen=…``: compat's seconds
and compat's time over regen's (the target: at most 3).  ``--quick`` uses 20
schemas and 5 commits, one round (output format only).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYPROJECT = """[project]
name = "bench-compat"
version = "0.1.0"

[tool.svcforge]
package = "bench_compat"

[tool.svcforge.compat]
mode = "FULL_TRANSITIVE"
"""
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def avro(i: int, extra: int) -> dict[str, object]:
    fields: list[dict[str, object]] = [
        {"name": "id", "type": "string"},
        {
            "name": "amount",
            "type": {
                "type": "bytes",
                "logicalType": "decimal",
                "precision": 12,
                "scale": 2,
            },
        },
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {
            "name": "side",
            "type": {"type": "enum", "name": f"Side{i}", "symbols": ["BUY", "SELL"]},
        },
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ]
    fields += [{"name": f"x{n}", "type": "long", "default": n} for n in range(extra)]
    return {
        "type": "record",
        "name": f"Event{i}",
        "namespace": "com.bench",
        "fields": fields,
    }


def jsonschema(i: int, extra: int) -> dict[str, object]:
    props: dict[str, object] = {
        "id": {"type": "string", "format": "uuid"},
        "kind": {"type": "string", "enum": ["a", "b", "c"]},
        "count": {"type": "integer", "minimum": 0},
        "labels": {"type": "array", "items": {"type": "string", "maxLength": 20}},
    }
    # Under FULL, an open content model can only gain properties of any value.
    props |= {
        f"x{n}": {"description": f"added in version {n + 1}"} for n in range(extra)
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Doc{i}",
        "type": "object",
        "properties": props,
        "required": ["id", "kind"],
    }


def write_schemas(root: Path, n_schemas: int, extras: dict[int, int]) -> None:
    messages = root / "schemas" / "messages"
    messages.mkdir(parents=True, exist_ok=True)
    n_avro = n_schemas * 7 // 10
    for i in range(n_schemas):
        extra = extras.get(i, 0)
        if i < n_avro:
            (messages / f"event{i}.avsc").write_text(
                json.dumps(avro(i, extra), indent=2)
            )
        else:
            (messages / f"doc{i}.json").write_text(
                json.dumps(jsonschema(i, extra), indent=2)
            )


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, env=ENV
    )


def build(root: Path, n_schemas: int, n_commits: int) -> None:
    """A repository whose history changes the schemas ``n_commits`` times,
    each time a compatible change (an optional field) to a few of them."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    git(root, "init", "-q", "-b", "main")
    extras: dict[int, int] = {}
    for c in range(n_commits):
        for i in range(c % 7, n_schemas, 7):
            extras[i] = extras.get(i, 0) + 1
        write_schemas(root, n_schemas, extras)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"schemas v{c + 1}")
    extras[0] = extras.get(0, 0) + 1  # the pending change in the working tree
    write_schemas(root, n_schemas, extras)


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(
            f"{' '.join(cmd[-3:])} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n_schemas, n_commits, rounds = (20, 5, 1) if args.quick else (100, 50, args.rounds)
    svcforge = shutil.which("svcforge") or sys.exit("svcforge is not on PATH")
    with tempfile.TemporaryDirectory(prefix="bench-compat-") as tmp:
        root = Path(tmp) / "service"
        build(root, n_schemas, n_commits)
        compat_times, regen_times = [], []
        for _ in range(rounds):
            compat_times.append(
                timed([svcforge, "compat", str(root), "--against", "HEAD"])
            )
            generated = root / "src"
            shutil.rmtree(generated, ignore_errors=True)
            regen_times.append(timed([svcforge, "regen", str(root)]))
            shutil.rmtree(generated, ignore_errors=True)
            shutil.rmtree(root / "tests", ignore_errors=True)
    compat_s = statistics.median(compat_times)
    regen_s = statistics.median(regen_times)
    print(
        f"service: {n_schemas} message schemas (70% Avro, 30% JSON Schema), {n_commits} commits, FULL_TRANSITIVE"
    )
    print(f"{'command':<40} {'median s':>10}  rounds")
    print(
        f"{'svcforge compat --against HEAD':<40} {compat_s:>10.2f}  {', '.join(f'{t:.2f}' for t in compat_times)}"
    )
    print(
        f"{'svcforge regen':<40} {regen_s:>10.2f}  {', '.join(f'{t:.2f}' for t in regen_times)}"
    )
    print(f"bench: compat_s={compat_s:.2f} compat_vs_regen={compat_s / regen_s:.2f}")


if __name__ == "__main__":
    main()

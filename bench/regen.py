"""Regen time of a service with many JSON Schema message files.

For 10, 50 and 200 schema files (a shared ``common.json`` and messages that
refer to it: enums, formats, constraints, a nested object, a discriminated
union), times ``svcforge regen`` as a user runs it (a new process, from an
empty generated folder: models, codecs, examples, tests) beside
datamodel-code-generator's own command line run once over the same files
(``datamodel-codegen --input schemas/messages``, pydantic v2, Python 3.11,
its default formatting).  Each figure is the median of the rounds.

The last line is ``bench: growth=… vs_dmcg_cli=…``: growth is regen time per
schema at 200 over regen time per schema at 10 (at most 1.3: no worse than
linear); vs_dmcg_cli is the CLI's time over svcforge's at 50 schemas (at
least 1: a whole regen no slower than datamodel-code-generator alone).
``--quick`` runs one round of each (output format only).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COUNTS = (10, 50, 200)
PYPROJECT = """[project]
name = "bench-regen"
version = "0.1.0"

[tool.svcforge]
package = "bench_regen"
"""
COMMON = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "Money": {
            "type": "object",
            "properties": {
                "amount": {
                    "type": "string",
                    "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
                    "examples": ["12.50"],
                },
                "currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]},
            },
            "required": ["amount", "currency"],
        },
        "Actor": {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": ["user", "service"]},
                "id": {"type": "string", "minLength": 1},
            },
            "required": ["kind", "id"],
        },
    },
}


def message(i: int) -> dict[str, object]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Event{i:03d}",
        "description": f"Benchmark event number {i}.",
        "type": "object",
        "properties": {
            "event_id": {"type": "string", "format": "uuid"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "actor": {"$ref": "common.json#/$defs/Actor"},
            "total": {"$ref": "common.json#/$defs/Money"},
            "status": {
                "type": "string",
                "enum": ["new", "done", "failed"],
                "default": "new",
            },
            "count": {"type": "integer", "minimum": 0, "maximum": 1000},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
            "note": {"type": ["string", "null"], "maxLength": 200, "default": None},
            "detail": {
                "oneOf": [
                    {"$ref": "#/$defs/Created"},
                    {"$ref": "#/$defs/Cancelled"},
                ],
                "discriminator": {"propertyName": "type"},
            },
        },
        "required": ["event_id", "occurred_at", "actor", "total", "detail"],
        "$defs": {
            "Created": {
                "type": "object",
                "properties": {"type": {"const": "created"}, "by": {"type": "string"}},
                "required": ["type"],
            },
            "Cancelled": {
                "type": "object",
                "properties": {
                    "type": {"const": "cancelled"},
                    "reason": {"type": "string", "maxLength": 100},
                },
                "required": ["type"],
            },
        },
    }


def make_service(root: Path, count: int) -> Path:
    """A service with ``count`` schema files: common.json and messages."""
    folder = root / f"service-{count}"
    messages = folder / "schemas" / "messages"
    messages.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (messages / "common.json").write_text(json.dumps(COMMON, indent=2))
    for i in range(1, count):
        (messages / f"event_{i:03d}.json").write_text(json.dumps(message(i), indent=2))
    return folder


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def regen_time(service: Path) -> float:
    for generated in (service / "src", service / "tests"):
        shutil.rmtree(generated, ignore_errors=True)
    return timed([sys.executable, "-m", "generator", "regen", "."], service)


def dmcg_time(service: Path, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    dmcg = shutil.which("datamodel-codegen") or "datamodel-codegen"
    return timed(
        [
            dmcg,
            "--input",
            "schemas/messages",
            "--input-file-type",
            "jsonschema",
            "--output",
            str(out),
            "--output-model-type",
            "pydantic_v2.BaseModel",
            "--target-python-version",
            "3.11",
            "--disable-timestamp",
        ],
        service,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round (format check)")
    parser.add_argument("--rounds", type=int, default=0, help="rounds per figure")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 5)
    results: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="svcforge-bench-regen-") as tmp:
        root = Path(tmp)
        for count in COUNTS:
            service = make_service(root, count)
            regen = statistics.median(regen_time(service) for _ in range(rounds))
            dmcg = statistics.median(
                dmcg_time(service, root / f"dmcg-{count}") for _ in range(rounds)
            )
            results[count] = (regen, dmcg)
    print(f"regen of a service with N JSON Schema files (median of {rounds} rounds)")
    print(
        f"{'schemas':>8}  {'svcforge regen':>15}  {'per schema':>11}  {'DMCG CLI':>9}  {'DMCG/regen':>10}"
    )
    for count, (regen, dmcg) in results.items():
        print(
            f"{count:>8}  {regen:>13.2f} s  {regen / count * 1000:>8.1f} ms  "
            f"{dmcg:>7.2f} s  {dmcg / regen:>10.2f}"
        )
    first, last = COUNTS[0], COUNTS[-1]
    growth = (results[last][0] / last) / (results[first][0] / first)
    vs_dmcg = results[50][1] / results[50][0]
    print(f"bench: growth={growth:.2f} vs_dmcg_cli={vs_dmcg:.2f}")


if __name__ == "__main__":
    main()

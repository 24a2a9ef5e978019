"""svcforge on Avro schemas nobody here wrote: published collections, fetched
at run time through pip (nothing is committed), each file generated in a
throwaway service.

Sources (pinned, so that a rerun sees the same files):

* ``acryl-datahub`` (PyPI wheel): DataHub's metadata model, one
  self-contained ``.avsc`` per aspect and event, and ``schema.avsc``, a union
  of all of them;
* ``lsst-alert-packet`` (PyPI wheel): the Rubin Observatory's alert packet
  schemas, every published version, files that refer to each other.

For every file: is it valid Avro at all (fastavro parses it, with the files of
its folder that define the names it uses)?  Then ``svcforge regen`` (the CLI's
``main``, in process) in a service holding the file and those it uses; on
success the generated modules are imported and each message's example goes
through its Avro and JSON codecs; on refusal the message must name a documented
rule (``generator.frontends.avro.rules``).  A sample of the generated packages
is checked with ``mypy --strict``.

Prints, per source, the outcome counts; then the ten most frequent failure
messages (normalised: positions, names and numbers elided); then
``bench: generated_ratio=… imported_ratio=… tracebacks=… undocumented=…
mypy_clean=…`` (ratios over the spec-valid files).  ``--quick`` takes ten
files per source and a sample of two for mypy (output format only).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastavro import parse_schema  # noqa: E402

from generator.cli import main  # noqa: E402
from generator.frontends.avro.rules import refusal_rule  # noqa: E402

SOURCES = {
    "acryl-datahub": ("acryl-datahub==1.7.0.17", "datahub/metadata/"),
    "lsst-alert-packet": ("lsst-alert-packet==30.2026.2700", "lsst/alert/packet/"),
}
MYPY_SAMPLE = 20
DIAGNOSTIC = re.compile(r"^(\S+?):(\d+):(\d+): (.*)$")


@dataclass
class Unit:
    """One schema file, with the files of its folder it refers to."""

    source: str
    name: str
    text: str
    support: dict[str, str] = field(default_factory=dict)


@dataclass
class Tally:
    files: int = 0
    invalid: int = 0
    generated: int = 0
    imported: int = 0
    refused_rule: int = 0
    refused_other: int = 0
    tracebacks: int = 0
    import_failures: int = 0


# --- fetching -------------------------------------------------------------------


def fetch(requirement: str, cache: Path) -> Path:
    """The wheel of ``requirement``, downloaded once into ``cache`` by pip."""
    cache.mkdir(parents=True, exist_ok=True)
    name = requirement.split("==")[0].replace("-", "_")
    version = requirement.split("==")[1]
    found = sorted(cache.glob(f"{name}-{version}-*.whl"))
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "--quiet",
                "-d",
                str(cache),
                requirement,
            ],
            check=True,
        )
        found = sorted(cache.glob(f"{name}-{version}-*.whl"))
    return found[0]


def units(source: str, wheel: Path, prefix: str) -> list[Unit]:
    with zipfile.ZipFile(wheel) as z:
        texts = {
            n: z.read(n).decode("utf-8", "replace")
            for n in sorted(z.namelist())
            if n.startswith(prefix) and n.endswith(".avsc")
        }
    folders: dict[str, dict[str, str]] = {}
    for n, text in texts.items():
        folders.setdefault(n.rpartition("/")[0], {})[n] = text
    out = []
    for n, text in texts.items():
        siblings = folders[n.rpartition("/")[0]]
        out.append(Unit(source, n, text, _needed(n, siblings)))
    return out


_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
_NAMED = {"record", "error", "enum", "fixed"}


def _names(node: Any, ns: str, defined: set[str], used: set[str]) -> None:
    """Collect the full names a schema defines and those it refers to."""
    if isinstance(node, str):
        if node not in _PRIMITIVES:
            used.add(node if "." in node or not ns else f"{ns}.{node}")
            used.add(node)
    elif isinstance(node, list):
        for branch in node:
            _names(branch, ns, defined, used)
    elif isinstance(node, dict):
        kind = node.get("type")
        if kind in _NAMED and isinstance(node.get("name"), str):
            name = node["name"]
            space = node.get("namespace", ns) or ""
            full = name if "." in name or not space else f"{space}.{name}"
            defined.add(full)
            inner = full.rpartition(".")[0]
            for f in node.get("fields") or []:
                if isinstance(f, dict):
                    _names(f.get("type"), inner, defined, used)
        elif kind in ("array", "map"):
            _names(node.get("items", node.get("values")), ns, defined, used)
        else:
            _names(kind, ns, defined, used)


def _scan(text: str) -> tuple[set[str], set[str]]:
    defined: set[str] = set()
    used: set[str] = set()
    with contextlib.suppress(ValueError):
        _names(json.loads(text), "", defined, used)
    return defined, used


def _needed(name: str, siblings: dict[str, str]) -> dict[str, str]:
    """The sibling files defining names that ``name`` uses and does not
    define itself, transitively."""
    scans = {n: _scan(t) for n, t in siblings.items()}
    need: dict[str, str] = {}
    todo = [name]
    while todo:
        defined, used = scans[todo.pop()]
        missing = used - defined
        for other, (theirs, _) in scans.items():
            if other != name and other not in need and missing & theirs:
                need[other] = siblings[other]
                todo.append(other)
    return need


def spec_valid(unit: Unit) -> bool:
    """Whether fastavro, an independent Avro implementation, parses the file
    (its support files first, so that their names are known)."""
    named: dict[str, Any] = {}
    pending = [*unit.support.values()]
    for _ in range(len(pending) + 1):
        left = []
        for text in pending:
            try:
                parse_schema(json.loads(text), named_schemas=named)
            except Exception:
                left.append(text)
        pending = left
    try:
        parse_schema(json.loads(unit.text), named_schemas=named)
    except Exception:
        return False
    return True


# --- one file through svcforge -------------------------------------------------


@dataclass
class Outcome:
    kind: str
    """A ``Tally`` field: imported, refused_rule, refused_other, tracebacks,
    import_failures."""
    messages: list[str] = field(default_factory=list)
    package: str = ""
    root: Path | None = None


def run_unit(unit: Unit, work: Path, index: int) -> Outcome:
    package = f"wild_{index}"
    root = work / package
    messages = root / "schemas" / "messages"
    messages.mkdir(parents=True)
    for n, text in [(unit.name, unit.text), *unit.support.items()]:
        (messages / n.rpartition("/")[2]).write_text(text, encoding="utf-8")
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{package}"\nversion = "0"\n\n'
        f'[tool.svcforge]\npackage = "{package}"\n'
    )
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["regen", str(root)])
    except BaseException as exc:  # what a user would see as a traceback
        return Outcome("tracebacks", [f"{type(exc).__name__}: {exc}"[:300]])
    if code != 0:
        problems = [
            m[4]
            for line in err.getvalue().splitlines()
            if (m := DIAGNOSTIC.match(line))
        ]
        problems = problems or [err.getvalue().strip()[:300]]
        documented = all(refusal_rule(p) for p in problems)
        return Outcome("refused_rule" if documented else "refused_other", problems)
    try:
        _import_and_round_trip(root, package)
    except BaseException as exc:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return Outcome("import_failures", [text[:300]], package, root)
    return Outcome("imported", [], package, root)


def _import_and_round_trip(root: Path, package: str) -> None:
    sys.path.insert(0, str(root / "src"))
    try:
        importlib.import_module(f"{package}.generated.models")
        if (root / "src" / package / "generated" / "codecs.py").is_file():
            codecs = importlib.import_module(f"{package}.generated.codecs")
            examples = importlib.import_module(f"{package}.generated.examples")
            for name in sorted(vars(examples)):
                if not name.startswith("example_"):
                    continue
                const = name.removeprefix("example_").upper()
                message = getattr(examples, name)()
                for codec in (
                    getattr(codecs, f"{const}_AVRO", None),
                    getattr(codecs, f"{const}_JSON"),
                ):
                    if (
                        codec is not None
                        and codec.decode(codec.encode(message)) != message
                    ):
                        raise AssertionError(f"{const}: round trip changed the message")
    finally:
        sys.path.remove(str(root / "src"))
        for name in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[name]


def normalise(message: str) -> str:
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)
    return re.sub(r"\d+", "N", text)[:140]


def mypy_sample(outcomes: list[Outcome], size: int, work: Path) -> tuple[int, int, str]:
    """(clean, checked, first errors) of ``mypy --strict`` on a sample of the
    generated packages, all at once."""
    done = [o for o in outcomes if o.kind == "imported" and o.root is not None]
    sample = random.Random(0).sample(done, min(size, len(done)))
    if not sample:
        return 0, 0, ""
    paths = ":".join(str(o.root / "src") for o in sample if o.root)
    args = [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "--cache-dir",
        str(work / ".mypy"),
    ]
    for o in sample:
        args += ["-p", f"{o.package}.generated"]
    env = {**os.environ, "MYPYPATH": paths}
    result = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    failing = {
        m[0]
        for line in result.stdout.splitlines()
        if ": error:" in line
        for m in [re.search(r"wild_\d+", line)]
        if m
    }
    if result.returncode != 0 and not failing:
        failing = {o.package for o in sample}
    return len(sample) - len(failing), len(sample), result.stdout[-2000:]


def main_bench(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="ten files per source")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "svcforge-wild-avro"
    )
    args = parser.parse_args(argv)
    tallies: dict[str, Tally] = {}
    failures: Counter[str] = Counter()
    outcomes: list[Outcome] = []
    work = Path(tempfile.mkdtemp(prefix="svcforge-wild-"))
    index = 0
    try:
        for source, (requirement, prefix) in SOURCES.items():
            found = units(source, fetch(requirement, args.cache), prefix)
            if args.quick:
                found = found[:10]
            tally = tallies[source] = Tally()
            for unit in found:
                tally.files += 1
                if not spec_valid(unit):
                    tally.invalid += 1
                    continue
                index += 1
                outcome = run_unit(unit, work, index)
                outcomes.append(outcome)
                setattr(tally, outcome.kind, getattr(tally, outcome.kind) + 1)
                failures.update(normalise(m) for m in outcome.messages)
            tally.generated = tally.imported + tally.import_failures
        clean, checked, mypy_out = mypy_sample(
            outcomes, 2 if args.quick else MYPY_SAMPLE, work
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _report(tallies, failures, clean, checked, mypy_out)
    return 0


def _report(
    tallies: dict[str, Tally],
    failures: Counter[str],
    clean: int,
    checked: int,
    mypy_out: str,
) -> None:
    cols = (
        "files",
        "invalid",
        "generated",
        "imported",
        "refused_rule",
        "refused_other",
        "tracebacks",
        "import_failures",
    )
    print(f"{'source':<20}" + "".join(f"{c:>16}" for c in cols))
    total = Tally()
    for source, t in tallies.items():
        print(f"{source:<20}" + "".join(f"{getattr(t, c):>16}" for c in cols))
        for c in cols:
            setattr(total, c, getattr(total, c) + getattr(t, c))
    print(f"{'all':<20}" + "".join(f"{getattr(total, c):>16}" for c in cols))
    print("\nmost frequent failure messages (normalised):")
    for message, n in failures.most_common(10):
        print(f"{n:>6}  {message}")
    print(f"\nmypy --strict: {clean} of {checked} sampled packages clean")
    if clean < checked:
        print(mypy_out)
    valid = total.files - total.invalid
    print(
        f"bench: generated_ratio={total.generated / max(valid, 1):.3f} "
        f"imported_ratio={total.imported / max(valid, 1):.3f} "
        f"tracebacks={total.tracebacks} undocumented={total.refused_other} "
        f"mypy_clean={clean}/{checked}"
    )


if __name__ == "__main__":
    sys.exit(main_bench())

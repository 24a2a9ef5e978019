"""``svcforge`` command line: regen, check, new, demo, migrate, compat, asyncapi.

Exit codes: 0 success / in sync; 1 a check found a problem; 2 bad input or
usage (nothing written).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from generator.errors import Diagnostic, SchemaError, UsageError, sorted_diagnostics
from generator.manifest import find_root
from generator.pipeline import generate
from generator.writer import Changes, plan, write_tree

EXIT_OK, EXIT_PROBLEM, EXIT_BAD_INPUT = 0, 1, 2


def _root(path: str | None) -> Path:
    """The service root: ``path`` (default: the current folder) or the
    nearest folder above it that holds a service, as git finds a repository."""
    start = Path(path or ".")
    if not start.is_dir():
        raise UsageError(f"{start}: not a directory")
    root = find_root(start)
    if root == start.resolve():
        return start
    print(f"svcforge: service root: {_shown(root)}", file=sys.stderr)
    return root


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when that is shorter."""
    rel = os.path.relpath(path)
    return rel if len(rel) < len(str(path)) else str(path)


def version() -> str:
    from importlib import metadata  # only --version needs it

    try:
        return metadata.version("svcforge")
    except metadata.PackageNotFoundError:  # run from a checkout without installing
        return "unknown (not installed)"


def cmd_regen(args: argparse.Namespace) -> int:
    root = _root(args.path)
    manifest, files = generate(root, args.warnings)
    changes = write_tree(root, manifest, files)
    for rel in changes.written:
        print(f"wrote   {rel}")
    for rel in changes.removed:
        print(f"removed {rel}")
    print(
        f"svcforge regen: {len(changes.written)} written, {len(changes.removed)} "
        f"removed, {len(changes.unchanged)} unchanged"
    )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    root = _root(args.path)
    manifest, files = generate(root, args.warnings)
    _print_warnings(args.warnings)
    changes = plan(root, manifest, files)
    if changes.clean:
        print(f"svcforge check: {len(files)} generated files in sync")
        return EXIT_OK
    for diff in changes.diffs:
        sys.stdout.write(diff if diff.endswith("\n") else diff + "\n")
    for line in drift_report(changes):
        print(line, file=sys.stderr)
    return EXIT_PROBLEM


_CAUSES = (
    ("edited", "edited by hand: it no longer matches the hash in its header"),
    ("stale", "stale: generated from older schemas (or an older svcforge)"),
    ("missing", "missing"),
    ("removed", "no longer generated"),
)


def drift_report(changes: Changes) -> list[str]:
    """One line per file that differs, saying why, then what to do."""
    lines = [
        f"{rel}: {text}" for cause, text in _CAUSES for rel in getattr(changes, cause)
    ]
    counts = ", ".join(
        f"{len(getattr(changes, cause))} {cause}"
        for cause, _ in _CAUSES
        if getattr(changes, cause)
    )
    lines.append(
        f"svcforge check: generated code is out of date ({counts}); "
        "run `svcforge regen`"
    )
    if changes.edited:
        lines.append(
            "  hint: regen discards hand edits; move them into the schemas "
            "or into your own code first"
        )
    return lines


def cmd_new(args: argparse.Namespace) -> int:
    from generator.scaffold import new_service

    new_service(
        Path(args.dest),
        data=dict(args.data or []),
        defaults=args.defaults,
        template=args.template,
    )
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from generator.scaffold import demo

    return demo(Path(args.dest))


def cmd_dev(args: argparse.Namespace) -> int:
    from generator.devservers import dev_down, dev_up

    start = Path(args.path or ".")
    if not start.is_dir():
        raise UsageError(f"{start}: not a directory")
    if args.action == "down":
        return dev_down(start)
    return dev_up(start, args.servers)


def _servers(text: str) -> tuple[str, ...]:
    from generator.devservers import SERVERS

    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in SERVERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected some of {','.join(SERVERS)}, got {text!r}"
        )
    return tuple(n for n in SERVERS if n in names)


def _add_dev(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dev = sub.add_parser(
        "dev",
        help="start (up) or stop (down) PostgreSQL, Redis and a Kafka-protocol "
        "broker on loopback for a manual run",
        description="up: start the servers the service uses (uses = [...]) on "
        "free loopback ports, print `export` lines for its settings (eval "
        '"$(svcforge dev up)") and record their PIDs in .svcforge/dev.json; '
        "down: stop exactly those.",
    )
    dev.add_argument("action", choices=("up", "down"))
    dev.add_argument("path", nargs="?", help="service root (default: current folder)")
    dev.add_argument(
        "--servers",
        type=_servers,
        metavar="LIST",
        help="up: which servers, e.g. postgres,redis (default: what the service "
        "uses, or all three)",
    )
    dev.set_defaults(func=cmd_dev)


def cmd_migrate(args: argparse.Namespace) -> int:
    from generator.migrate import migrate

    return migrate(_root(args.path), args.dsn)


def cmd_compat(args: argparse.Namespace) -> int:
    from generator.compat import github_report, json_report, run_compat, text_report

    outcome = run_compat(_root(args.path), args.against)
    if args.format == "json":
        print(json_report(outcome))
    elif args.format == "github":
        print("\n".join(github_report(outcome)))
    else:
        out, err = text_report(outcome)
        for line in out:
            print(line)
        for line in err:
            print(line, file=sys.stderr)
    return outcome.exit_code


def cmd_asyncapi(args: argparse.Namespace) -> int:
    from generator.asyncapi import asyncapi_document

    text = asyncapi_document(_root(args.path))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _add_compat(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    compat = sub.add_parser(
        "compat",
        help="exit 1 when the schemas break compatibility with a git revision",
    )
    compat.add_argument(
        "path", nargs="?", help="service root (default: current folder)"
    )
    compat.add_argument(
        "--against",
        default="HEAD",
        metavar="REF",
        help="git revision to compare with (default: HEAD; in CI: origin/main)",
    )
    compat.add_argument("--format", choices=("text", "json", "github"), default="text")
    compat.set_defaults(func=cmd_compat)
    asyncapi = sub.add_parser(
        "asyncapi", help="write the service's AsyncAPI 3.0 document (JSON)"
    )
    asyncapi.add_argument(
        "path", nargs="?", help="service root (default: current folder)"
    )
    asyncapi.add_argument("-o", "--output", metavar="FILE", help="default: stdout")
    asyncapi.set_defaults(func=cmd_asyncapi)


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="svcforge",
        description="Generate typed service code from message, table and config schemas.",
    )
    p.add_argument("--version", action="version", version=f"svcforge {version()}")
    sub = p.add_subparsers(dest="command", required=True)
    regen = sub.add_parser("regen", help="rewrite the generated folders of a service")
    regen.add_argument("path", nargs="?", help="service root (default: current folder)")
    regen.set_defaults(func=cmd_regen)
    check = sub.add_parser(
        "check", help="exit 1 with a diff when generated code is stale or edited"
    )
    check.add_argument("path", nargs="?", help="service root (default: current folder)")
    check.set_defaults(func=cmd_check)
    new = sub.add_parser("new", help="create a service from the copier template")
    new.add_argument("dest", help="folder of the new service")
    new.add_argument(
        "--data",
        "-d",
        action="append",
        type=_pair,
        metavar="KEY=VALUE",
        help="answer a template question (repeatable)",
    )
    new.add_argument(
        "--defaults",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="use defaults for unanswered questions (default: yes)",
    )
    new.add_argument(
        "--template",
        metavar="SRC",
        help="copy the template from this git URL or clone of svcforge (default: "
        "the svcforge that runs, or the git repository it was installed from)",
    )
    new.set_defaults(func=cmd_new)
    demo = sub.add_parser(
        "demo", help="create a demo service, generate its code and run it"
    )
    demo.add_argument("dest", nargs="?", default="demo-service")
    demo.set_defaults(func=cmd_demo)
    migrate = sub.add_parser(
        "migrate",
        help="apply schemas/tables migrations to a PostgreSQL database (each once)",
    )
    migrate.add_argument(
        "path", nargs="?", help="service root (default: current folder)"
    )
    migrate.add_argument(
        "--dsn",
        help="postgresql://... (default: the service's <PREFIX>_DATABASE__URL "
        "environment variable, as its settings read it)",
    )
    migrate.set_defaults(func=cmd_migrate)
    _add_compat(sub)
    _add_dev(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Problems that do not stop a command (an unknown Avro logical type):
    # printed on stderr, whatever the outcome, before any error.
    warnings: list[Diagnostic] = []
    args.warnings = warnings
    try:
        code: int = args.func(args)
    except SchemaError as exc:
        _print_warnings(warnings)
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        n = len(exc.diagnostics)
        print(
            f"svcforge: {n} error{'s' if n != 1 else ''}; nothing written",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except UsageError as exc:
        _print_warnings(warnings)
        print(f"svcforge: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    _print_warnings(warnings)
    return code


def _print_warnings(warnings: list[Diagnostic]) -> None:
    """Print the warnings collected so far, once."""
    for d in sorted_diagnostics(warnings):
        print(d.as_warning(), file=sys.stderr)
    warnings.clear()


if __name__ == "__main__":
    sys.exit(main())

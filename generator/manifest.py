"""The ``[tool.svcforge]`` table of a service's ``pyproject.toml``: read,
checked against ``manifest_model``, and kept with the positions of its keys
so that later stages (the channels front-end) can point at them."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import Diagnostic, SchemaError
from generator.ir import Span
from generator.manifest_model import (
    ChannelDecl,
    CompatDecl,
    ServiceTable,
    TableDecl,
)
from generator.manifest_policies import PolicyEntry, parse_policies
from generator.manifest_sql import TypeOverride, parse_sql_table
from generator.naming import module_name
from generator.tomlcheck import Where, check_table
from generator.tomlsource import KeyPath, TomlDocument, load_toml

PYPROJECT = "pyproject.toml"
TABLE: KeyPath = ("tool", "svcforge")
CHANNELS: KeyPath = (*TABLE, "channels")
TABLES: KeyPath = (*TABLE, "tables")


@dataclass(frozen=True, slots=True)
class ChannelEntry:
    """A declared channel, checked on its own, and where it was written."""

    decl: ChannelDecl
    where: Where

    @property
    def span(self) -> Span:
        """Its header (``[tool.svcforge.channels.<name>]`` or ``[[...]]``)."""
        return self.where.span(key=True)

    def value_span(self, key: str) -> Span:
        """Where the value of ``key`` was written (the header if it was not)."""
        return self.where.span((key,))


@dataclass(frozen=True, slots=True)
class TableEntry:
    """``[tool.svcforge.tables.<name>]``, checked, and where it was written."""

    name: str
    decl: TableDecl
    where: Where


@dataclass(frozen=True, slots=True)
class Manifest:
    name: str
    """The service's name (``[project].name`` unless overridden)."""
    package: str
    """The import name of the service's package."""
    src: str = "src"
    tests: str = "tests"
    uses: tuple[str, ...] = ()
    """Runtime parts the service uses: kafka, postgres, redis."""
    channels: tuple[ChannelEntry, ...] = ()
    """``[tool.svcforge.channels]``, sorted by name; the channels front-end
    binds them to the schemas."""
    sql_types: tuple[TypeOverride, ...] = ()
    """``[tool.svcforge.sql.types]``, checked; applied to the replayed schema."""
    compat: CompatDecl = field(default_factory=CompatDecl)
    """``[tool.svcforge.compat]``: the modes ``svcforge compat`` checks under."""
    policies: tuple[PolicyEntry, ...] = ()
    """``[tool.svcforge.policies]``, checked, sorted by name."""
    strict_keywords: bool = False
    """A warning for each JSON Schema keyword its draft does not define
    (annotations, which the specification says to ignore, otherwise)."""
    tables: tuple[TableEntry, ...] = ()
    """``[tool.svcforge.tables]``, sorted by name; bound to the tables of
    ``schemas/tables`` by ``frontends.caches``."""

    @property
    def package_dir(self) -> str:
        return f"{self.src}/{self.package.replace('.', '/')}"

    @property
    def generated_dirs(self) -> tuple[str, ...]:
        """The folders svcforge owns: everything in them is regenerated."""
        return (f"{self.package_dir}/generated", f"{self.tests}/generated")


def find_root(start: Path) -> Path:
    """The service ``start`` is in, like git finds its repository: the
    nearest folder from ``start`` up whose ``pyproject.toml`` has a
    ``[tool.svcforge]`` table.  ``start`` itself when there is none, so that
    loading it reports what is missing."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if declares_service(folder / PYPROJECT):
            return folder
    return start


def declares_service(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        # Unreadable: the service may be here; loading it says what is wrong.
        return path.is_file()
    tool = data.get("tool")
    return isinstance(tool, dict) and "svcforge" in tool


def load_manifest(root: Path) -> Manifest:
    path = root / PYPROJECT
    if not path.is_file():
        raise SchemaError(
            [
                Diagnostic(
                    Span(PYPROJECT),
                    "no pyproject.toml in the service root",
                    "svcforge regen runs in a service folder (or give its path)",
                )
            ]
        )
    doc = load_toml(PYPROJECT, path.read_text(encoding="utf-8"))
    raw = doc.value.get("tool", {}).get("svcforge")
    if not isinstance(raw, dict):
        raise SchemaError(
            [
                Diagnostic(
                    doc.span(TABLE) if raw is not None else Span(PYPROJECT, 1, 1),
                    "no [tool.svcforge] table",
                    'add [tool.svcforge] with package = "my_service"',
                )
            ]
        )
    table, errors = check_table(ServiceTable, raw, Where(doc, TABLE, "[tool.svcforge]"))
    channels = _channels(raw.get("channels"), doc, errors)
    sql_types = parse_sql_table(raw.get("sql"), doc, errors)
    policies = parse_policies(raw.get("policies"), doc, errors)
    tables = _tables(raw.get("tables"), doc, errors)
    if table is None or errors:
        raise SchemaError(errors)
    uses = _uses(table.uses if "uses" in raw else None, channels, doc, errors)
    if errors:
        raise SchemaError(errors)
    project_name = doc.value.get("project", {}).get("name")
    name = table.name or project_name or module_name(root.resolve().name)
    return Manifest(
        name=str(name),
        package=table.package,
        src=table.src.strip("/"),
        tests=table.tests.strip("/"),
        uses=uses,
        channels=channels,
        sql_types=sql_types,
        compat=table.compat,
        policies=policies,
        strict_keywords=table.strict_keywords,
        tables=tables,
    )


def _uses(
    written: tuple[str, ...] | None,
    channels: tuple[ChannelEntry, ...],
    doc: TomlDocument,
    errors: list[Diagnostic],
) -> tuple[str, ...]:
    """The runtime parts of the service.  ``uses`` as written must list the
    transport of every channel: it is what the service's dependencies and
    settings were made for (the template writes ``uses`` and the
    ``svcforge[...]`` extras together), so a channel beyond it would fail at
    run time.  Not written, it is the channels' transports."""
    if written is None:
        return tuple(sorted({t for c in channels for t in c.decl.transport}))
    for entry in channels:
        for transport in entry.decl.transport:
            if transport in written:
                continue
            errors.append(
                Diagnostic(
                    _transport_span(entry, transport),
                    f"channel {entry.decl.name!r} is on {transport}, but uses "
                    f"(at {doc.span((*TABLE, 'uses'))}) does not list {transport}",
                    f'add "{transport}" to uses and svcforge[{transport}] to the '
                    f"dependencies, or take the channel off {transport}",
                )
            )
    return tuple(sorted(set(written)))


def _transport_span(entry: ChannelEntry, transport: str) -> Span:
    """Where ``transport`` was written in the channel's ``transport`` value
    (the table's header when the channel is on Kafka by default)."""
    value: Any = entry.where.document.value
    for key in entry.where.path:
        value = value[key]
    written = value.get("transport")
    if isinstance(written, list) and transport in written:
        return entry.where.span(("transport", written.index(transport)))
    return entry.value_span("transport")


def _channels(
    raw: object, doc: TomlDocument, errors: list[Diagnostic]
) -> tuple[ChannelEntry, ...]:
    """Each channel checked on its own; problems go to ``errors``.  A channel
    is named by its table's key, or by ``name`` in an array of tables."""
    entries: list[tuple[Where, object]] = []
    if isinstance(raw, dict):
        entries = [_table_entry(doc, name, body, errors) for name, body in raw.items()]
    elif isinstance(raw, list):
        entries = [
            (Where(doc, (*CHANNELS, i), _entry_name(i, body)), body)
            for i, body in enumerate(raw)
        ]
    out: dict[str, ChannelEntry] = {}
    for where, body in entries:
        decl, problems = check_table(ChannelDecl, body, where)
        errors.extend(problems)
        if decl is None:
            continue
        entry = ChannelEntry(decl, where)
        first = out.setdefault(decl.name, entry)
        if first is not entry:
            errors.append(
                where.diagnostic(
                    (), f"declared twice (first at {first.span})", "rename one of them"
                )
            )
    return tuple(out[name] for name in sorted(out))


def _table_entry(
    doc: TomlDocument, name: str, body: object, errors: list[Diagnostic]
) -> tuple[Where, object]:
    """A ``[tool.svcforge.channels.<name>]`` table, with its name as a key."""
    where = Where(doc, (*CHANNELS, name), f"channel {name!r}")
    if not isinstance(body, dict):
        return where, body
    own = body.get("name", name)
    if own != name:
        errors.append(
            where.diagnostic(
                ("name",),
                f"name {own!r} differs from the name in the table's header",
                "remove name; the header names the channel",
            )
        )
    return where, {**body, "name": name}


def _tables(
    raw: object, doc: TomlDocument, errors: list[Diagnostic]
) -> tuple[TableEntry, ...]:
    """Each ``[tool.svcforge.tables.<name>]`` checked on its own; problems go
    to ``errors`` (a value that is no table at all: ``ServiceTable``)."""
    if not isinstance(raw, dict):
        return ()
    out = []
    for name in sorted(raw):
        where = Where(doc, (*TABLES, name), f"table {name!r}")
        decl, problems = check_table(TableDecl, raw[name], where)
        errors.extend(problems)
        if decl is not None:
            out.append(TableEntry(name, decl, where))
    return tuple(out)


def _entry_name(index: int, body: Any) -> str:
    name = body.get("name") if isinstance(body, dict) else None
    if isinstance(name, str) and name:
        return f"channel {name!r}"
    return f"[[tool.svcforge.channels]] entry {index + 1}"

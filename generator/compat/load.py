"""Every front-end call ``svcforge compat`` makes, in one place.

Compat works on the IR.  It loads a whole service with the pipeline when it
can, and part by part when it cannot (a new tree that no longer generates
must still be compared: its migrations may load while its queries do not).
When the front-ends move, only this module follows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.frontends.avro import parse_avro
from generator.frontends.channels import parse_channels
from generator.frontends.jsonschema import parse_jsonschema, parse_jsonschema_schemas
from generator.frontends.sql.migrations.parse import parse_schema
from generator.frontends.sql.queries.extensions import extensions_used
from generator.frontends.sql.queries.parse import parse_queries
from generator.frontends.sql.source import SqlSource, Statement
from generator.jsonsource import JsonDocument, load_json
from generator.manifest import Manifest, load_manifest
from generator.naming import message_names

__all__ = [
    "JsonDocument",
    "Loaded",
    "QueryContext",
    "load_json",
    "load_messages",
    "load_tree",
    "messages_of",
    "retype_queries",
    "statements",
]
from generator.pipeline import MESSAGES_DIR, QUERIES_DIR, TABLES_DIR


@dataclass(frozen=True, slots=True)
class QueryContext:
    """What the migrations give queries beside enums and tables: the
    functions they create, the extensions whose functions and operators
    queries may use, the sequences queries may read (as the pipeline passes
    them)."""

    functions: tuple[ir.SqlFunction, ...] = ()
    extensions: frozenset[str] = frozenset()
    sequences: tuple[str, ...] = ()


@dataclass(slots=True)
class Loaded:
    """What could be read of one version of a service."""

    root: Path
    manifest: Manifest | None = None
    service: ir.Service = field(default_factory=lambda: ir.Service("", ""))
    json_schemas: tuple[ir.JsonSchemaDef, ...] = ()
    json_documents: dict[str, JsonDocument] = field(default_factory=dict)
    """The JSON Schema files, to tell where a node was written."""
    messages_ok: bool = False
    """Avro and JSON Schema messages loaded."""
    tables_ok: bool = False
    context: QueryContext = QueryContext()
    queries_ok: bool = False
    query_files: tuple[tuple[str, str], ...] = ()
    """``schemas/queries/*.sql`` as (path, text), for typing them again."""
    errors: list[Diagnostic] = field(default_factory=list)


def load_tree(root: Path) -> Loaded:
    """Every part of the service that loads (messages, tables, queries,
    channels: the front-ends the pipeline runs, without the models and
    settings compat has no use for), with the errors of the others."""
    out = Loaded(root, query_files=tuple(_sql_files(root, QUERIES_DIR)))
    for step in (_manifest, _messages, _tables, _queries, _channels):
        try:
            step(out)
        except SchemaError as exc:
            out.errors += exc.diagnostics
    return out


def _manifest(out: Loaded) -> None:
    out.manifest = load_manifest(out.root)


def _messages(out: Loaded) -> None:
    folder = out.root / MESSAGES_DIR
    paths = sorted(folder.glob("**/*.avsc")) + sorted(folder.glob("**/*.json"))
    documents = [_json(out.root, p) for p in paths]
    named, messages, schemas = messages_of(documents)
    out.service = replace(out.service, named_types=named, messages=messages)
    out.json_schemas = schemas
    out.json_documents = {d.path: d for d in documents if d.path.endswith(".json")}
    out.messages_ok = True


def _tables(out: Loaded) -> None:
    sources = _sources(out.root, TABLES_DIR)
    schema = parse_schema(sources)
    out.service = replace(
        out.service,
        sql_enums=schema.enums,
        tables=schema.tables,
        migrations=schema.migrations,
    )
    out.context = QueryContext(
        schema.functions, extensions_used(sources, schema.tables), schema.sequences
    )
    out.tables_ok = True


def _queries(out: Loaded) -> None:
    if not out.tables_ok:
        return
    s = out.service
    queries = _typed(
        _sources(out.root, QUERIES_DIR), s.sql_enums, s.tables, out.context
    )
    out.service = replace(out.service, queries=queries)
    out.queries_ok = True


def _channels(out: Loaded) -> None:
    if out.manifest is None or not out.messages_ok or not out.manifest.channels:
        return
    if out.json_documents:
        # A channel keyed on a JSON Schema message needs the records the full
        # front-end derives (with the models): only then is it run.
        parsed = parse_jsonschema(list(out.json_documents.values()))
        if parsed is not None:
            out.service = replace(out.service, json_records=parsed.records)
    channels = parse_channels(out.manifest.channels, out.service)
    out.service = replace(out.service, channels=channels)


Messages = tuple[
    tuple[ir.NamedType, ...], tuple[ir.Message, ...], tuple[ir.JsonSchemaDef, ...]
]


def load_messages(root: Path) -> Messages:
    """The message schemas of a folder (see ``messages_of``)."""
    folder = root / MESSAGES_DIR
    paths = sorted(folder.glob("**/*.avsc")) + sorted(folder.glob("**/*.json"))
    return messages_of([_json(root, p) for p in paths])


def messages_of(documents: list[JsonDocument]) -> Messages:
    """Avro named types and messages, and the JSON Schema bundle (without
    models): what the message checks need, quickly, for any revision."""
    avro = [d for d in documents if d.path.endswith(".avsc")]
    docs = [d for d in documents if d.path.endswith(".json")]
    named, messages = parse_avro(avro)
    schemas = parse_jsonschema_schemas(docs) if docs else ()
    json_messages = tuple(
        ir.Message(d.name, d.source, d.name, *message_names(d.name), encoding="json")
        for d in schemas
        if d.pointer == ""
    )
    ordered = tuple(sorted((*messages, *json_messages), key=lambda m: m.fullname))
    return named, ordered, schemas


def _json(root: Path, path: Path) -> JsonDocument:
    return load_json(
        path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")
    )


def _sql_files(root: Path, folder: str) -> list[tuple[str, str]]:
    paths = sorted((root / folder).glob("*.sql"), key=lambda p: p.name)
    out = []
    for p in paths:
        try:
            out.append((p.relative_to(root).as_posix(), p.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue
    return out


def _sources(root: Path, folder: str) -> list[SqlSource]:
    return [SqlSource(path, text) for path, text in _sql_files(root, folder)]


@dataclass(frozen=True, slots=True)
class Retyped:
    """A query of one version typed against another version's tables."""

    source: str
    name: str
    query: ir.Query | None
    errors: tuple[Diagnostic, ...] = ()


def _typed(
    sources: list[SqlSource],
    enums: tuple[ir.SqlEnum, ...],
    tables: tuple[ir.Table, ...],
    context: QueryContext,
) -> tuple[ir.Query, ...]:
    return parse_queries(
        sources,
        enums,
        tables,
        functions=context.functions,
        extensions=context.extensions,
        sequences=context.sequences,
    )


def retype_queries(
    files: tuple[tuple[str, str], ...],
    enums: tuple[ir.SqlEnum, ...],
    tables: tuple[ir.Table, ...],
    names: dict[tuple[str, int], str],
    context: QueryContext = QueryContext(),
) -> list[Retyped]:
    """Each named query of ``files`` typed against ``tables``.  Queries are
    independent, so a file whose queries partly fail is typed again with the
    failing statements blanked out.  ``names`` gives each query's name by
    (file, line of its annotation), to name the ones that fail."""
    out: list[Retyped] = []
    for path, text in files:
        out += _retype_file(SqlSource(path, text), enums, tables, names, context)
    return out


def _retype_file(
    source: SqlSource,
    enums: tuple[ir.SqlEnum, ...],
    tables: tuple[ir.Table, ...],
    names: dict[tuple[str, int], str],
    context: QueryContext,
) -> list[Retyped]:
    try:
        statements = source.statements()
    except SchemaError as exc:
        return [Retyped(source.path, "", None, exc.diagnostics)]
    ranges = [
        (
            source.span(s.comments[0][0] if s.comments else s.start).line,
            source.span(s.end).line,
            s,
        )
        for s in statements
    ]
    failed: list[Retyped] = []
    text = source.text
    for _ in range(len(statements) + 1):
        try:
            queries = _typed([SqlSource(source.path, text)], enums, tables, context)
        except SchemaError as exc:
            blank = _failing(ranges, exc.diagnostics)
            if not blank:
                return [*failed, Retyped(source.path, "", None, exc.diagnostics)]
            for first, last, stmt in blank:
                found = [d for d in exc.diagnostics if first <= d.span.line <= last]
                name = next(
                    (
                        n
                        for (p, line), n in names.items()
                        if p == source.path and first <= line <= last
                    ),
                    "",
                )
                failed.append(Retyped(source.path, name, None, tuple(found)))
                # Its name annotation goes too: left alone, it would name
                # the next statement.
                start = stmt.comments[0][0] if stmt.comments else stmt.start
                text = (
                    text[:start]
                    + _spaces(text[start : stmt.end + 1])
                    + text[stmt.end + 1 :]
                )
            continue
        return [*failed, *(Retyped(source.path, q.name, q) for q in queries)]
    return failed


def _failing(
    ranges: list[tuple[int, int, Statement]], diagnostics: tuple[Diagnostic, ...]
) -> list[tuple[int, int, Statement]]:
    lines = {d.span.line for d in diagnostics}
    return [r for r in ranges if any(r[0] <= line <= r[1] for line in lines)]


def _spaces(text: str) -> str:
    return "".join(ch if ch == "\n" else " " for ch in text)


def statements(path: str, text: str) -> list[tuple[object, ir.Span]]:
    """The parsed statements of a SQL file with where each starts."""
    source = SqlSource(path, text)
    try:
        return [(s.node, source.span(s.start)) for s in source.statements()]
    except SchemaError:
        return []

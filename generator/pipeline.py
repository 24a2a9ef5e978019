"""Service folder -> IR -> ``{relative path: text}``; no writing here."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from generator import ir
from generator.deep import run_deep
from generator.emitters import Emitter
from generator.emitters.channels import emit_channels
from generator.emitters.codecs import emit_codecs
from generator.emitters.examples import emit_examples
from generator.emitters.jsonmodels import emit_json_message_tests, emit_json_models
from generator.emitters.models import emit_models
from generator.emitters.package import emit_package_inits
from generator.emitters.queries import emit_queries
from generator.emitters.repo_tests import emit_repo_tests
from generator.emitters.repos import emit_repos
from generator.emitters.settings import emit_settings
from generator.emitters.tests import emit_message_tests
from generator.errors import Diagnostic, SchemaError
from generator.formatter import format_python
from generator.frontends.avro import parse_avro
from generator.frontends.channels import parse_channels
from generator.frontends.jsonschema import parse_config, parse_jsonschema
from generator.frontends.sql.migrations.parse import parse_schema
from generator.frontends.sql.queries.extensions import extensions_used
from generator.frontends.sql.queries.parse import parse_queries
from generator.frontends.sql.source import SqlSource
from generator.frontends.sql.type_overrides import apply_type_overrides
from generator.jsonsource import JsonDocument, load_json
from generator.linking import share_enums
from generator.manifest import Manifest, load_manifest
from generator.resources import jinja_env

MESSAGES_DIR = "schemas/messages"
TABLES_DIR = "schemas/tables"
QUERIES_DIR = "schemas/queries"
CONFIG_DIR = "schemas/config"


def _read(root: Path, path: Path) -> tuple[str, str]:
    rel = path.relative_to(root).as_posix()
    data = path.read_bytes()
    try:
        return rel, data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Point at the offending byte: 1-based line, and column in characters.
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise SchemaError(
            [
                Diagnostic(
                    ir.Span(rel, line, col),
                    f"not UTF-8 text: byte 0x{data[exc.start]:02x} {exc.reason}",
                )
            ]
        ) from None


def _load_json_files(
    root: Path, folder: str, pattern: str, errors: list[Diagnostic]
) -> list[JsonDocument]:
    """Every JSON file matching ``pattern`` under ``folder``, sorted; syntax
    errors are collected into ``errors`` so that all files get reported."""
    documents: list[JsonDocument] = []
    for path in sorted((root / folder).glob(pattern)):
        rel, text = _read(root, path)
        try:
            documents.append(load_json(rel, text))
        except SchemaError as exc:
            errors.extend(exc.diagnostics)
    return documents


def load_service(root: Path) -> tuple[Manifest, ir.Service]:
    """Read the manifest and every schema; raise ``SchemaError`` with every
    problem found."""
    manifest = load_manifest(root)
    errors: list[Diagnostic] = []
    documents = _load_json_files(root, MESSAGES_DIR, "**/*.avsc", errors)
    json_documents = _load_json_files(root, MESSAGES_DIR, "**/*.json", errors)
    if errors:
        raise SchemaError(errors)
    named, messages = parse_avro(documents)
    service = ir.Service(
        name=manifest.name,
        package=manifest.package,
        src=manifest.src,
        tests=manifest.tests,
        named_types=named,
        messages=messages,
        sources=tuple(sorted(d.path for d in documents)),
    )
    service = _with_json_schema(service, json_documents)
    service = _with_database(root, service, manifest)
    service = _with_settings(root, manifest, service)
    if manifest.channels:
        channels = parse_channels(manifest.channels, service)
        service = replace(service, channels=channels)
    return manifest, share_enums(service)


def _with_json_schema(service: ir.Service, documents: list[JsonDocument]) -> ir.Service:
    """JSON Schema messages beside the Avro ones: bundle, records, messages.
    The models live in a module of their own; only a message class may not
    take an Avro class's name (the generated package exports both)."""
    parsed = parse_jsonschema(documents)
    if parsed is None:
        return service
    avro_names = {t.py_name for t in service.named_types}
    avro_constants = {m.constant for m in service.messages}
    by_name = {m.fullname: m.constant for m in parsed.messages}
    clashes = [
        Diagnostic(m.span, f"message class {m.fullname!r} is also an Avro type's name")
        for m in parsed.models.messages
        if m.fullname in avro_names or by_name[m.fullname] in avro_constants
    ]
    if clashes:
        raise SchemaError(clashes)
    return replace(
        service,
        messages=tuple(
            sorted((*service.messages, *parsed.messages), key=lambda m: m.fullname)
        ),
        json_models=parsed.models,
        json_records=parsed.records,
        sources=tuple(sorted({*service.sources, *parsed.models.sources})),
    )


def _with_settings(root: Path, manifest: Manifest, service: ir.Service) -> ir.Service:
    """The settings class, when the service has config schemas."""
    errors: list[Diagnostic] = []
    documents = _load_json_files(root, CONFIG_DIR, "*.json", errors)
    if errors:
        raise SchemaError(errors)
    if not documents:
        return service
    settings = parse_config(documents, manifest.name, manifest.uses)
    return replace(
        service,
        settings=settings,
        sources=tuple(sorted({*service.sources, *settings.sources})),
    )


def _load_sql(root: Path, folder: str) -> list[SqlSource]:
    """The ``*.sql`` files of a schema folder, in file-name order."""
    paths = sorted((root / folder).glob("*.sql"), key=lambda p: p.name)
    return [SqlSource(*_read(root, p)) for p in paths]


def _with_database(root: Path, service: ir.Service, manifest: Manifest) -> ir.Service:
    """Tables (migrations replayed) and named queries."""
    migration_files = _load_sql(root, TABLES_DIR)
    schema = parse_schema(migration_files)
    schema = apply_type_overrides(schema, manifest.sql_types)
    query_files = _load_sql(root, QUERIES_DIR)
    extensions = (
        extensions_used(migration_files, schema.tables) if query_files else None
    )
    queries = parse_queries(
        query_files,
        schema.enums,
        schema.tables,
        functions=schema.functions,
        extensions=extensions or frozenset(),
    )
    sources = {*service.sources, *(m.path for m in schema.migrations)}
    sources |= {q.path for q in query_files}
    return replace(
        service,
        sql_enums=schema.enums,
        tables=schema.tables,
        migrations=schema.migrations,
        queries=queries,
        sources=tuple(sorted(sources)),
        sql_composites=schema.composites,
        sql_functions=schema.functions,
    )


EMITTERS: tuple[Emitter, ...] = (
    emit_package_inits,
    emit_models,
    emit_json_models,
    emit_codecs,
    emit_examples,
    emit_message_tests,
    emit_json_message_tests,
    emit_settings,
    emit_channels,
    emit_repos,
    emit_repo_tests,
    emit_queries,
)
"""Every emitter: ``emit_x(service, env) -> {path relative to the service root:
text}``.  Each owns its paths; the pipeline only merges what they return."""


def render_service(service: ir.Service) -> dict[str, str]:
    """Every generated file of the service, by path relative to its root,
    formatted."""
    env = jinja_env()
    files: dict[str, str] = {}
    for emit in EMITTERS:
        produced = emit(service, env)
        overlap = files.keys() & produced.keys()
        assert not overlap, f"{emit.__name__} and another emitter both write {overlap}"
        files.update(produced)
    return format_python(dict(sorted(files.items())), service.package.split(".")[0])


def generate(root: Path) -> tuple[Manifest, dict[str, str]]:
    def work() -> tuple[Manifest, dict[str, str]]:
        manifest, service = load_service(root)
        return manifest, render_service(service)

    # Deeply nested schemas recurse deeply through every pass.
    return run_deep(work)

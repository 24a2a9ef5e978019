"""Service folder -> IR -> ``{relative path: text}``; no writing here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar

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
from generator.emitters.stores import emit_stores
from generator.emitters.tests import emit_message_tests
from generator.emitters.wiring import emit_wiring
from generator.errors import Diagnostic, SchemaError
from generator.formatter import format_python
from generator.frontends.avro import parse_avro
from generator.frontends.channels import parse_channels
from generator.jsonsource import JsonDocument, load_json
from generator.linking import share_enums
from generator.manifest import Manifest, load_manifest
from generator.resources import jinja_env
from generator.signature import sign

if TYPE_CHECKING:
    from generator.frontends.jsonschema import JsonSchemaIR
    from generator.frontends.sql.source import SqlSource
    from generator.manifest_sql import TypeOverride

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
        try:
            documents.append(load_json(*_read(root, path)))
        except SchemaError as exc:
            errors.extend(exc.diagnostics)
    return documents


_T = TypeVar("_T")


class _Failed:
    """A front-end's result when it reported errors."""


_FAILED: Final = _Failed()


def _attempt(
    errors: list[Diagnostic], step: Callable[..., _T], *args: object
) -> _T | _Failed:
    """``step(*args)``, or ``_FAILED`` with its diagnostics added to
    ``errors``: every front-end that can run reports in the same run."""
    try:
        return step(*args)
    except SchemaError as exc:
        errors.extend(exc.diagnostics)
        return _FAILED


def load_service(
    root: Path, warnings: list[Diagnostic] | None = None
) -> tuple[Manifest, ir.Service]:
    """Read the manifest and every schema; raise ``SchemaError`` with every
    problem found, from every front-end whose input could be read (the
    channels need the messages, the queries the migrations).  Warnings go
    to ``warnings``."""
    errors: list[Diagnostic] = []
    manifest = _attempt(errors, load_manifest, root)
    before = len(errors)
    documents = _load_json_files(root, MESSAGES_DIR, "**/*.avsc", errors)
    avro_read, before = len(errors) == before, len(errors)
    json_documents = _load_json_files(root, MESSAGES_DIR, "**/*.json", errors)
    json_read = len(errors) == before
    avro = _attempt(errors, parse_avro, documents, warnings) if avro_read else _FAILED
    strict = not isinstance(manifest, _Failed) and manifest.strict_keywords
    if strict and json_read and warnings is not None:
        from generator.frontends.jsonschema.strict import unknown_keywords

        warnings.extend(unknown_keywords(json_documents))
    json = _attempt(errors, _jsonschema, json_documents) if json_read else _FAILED
    overrides = None if isinstance(manifest, _Failed) else manifest.sql_types
    database = _attempt(errors, _database, root, overrides)
    if isinstance(manifest, _Failed):
        raise SchemaError(errors)
    settings = _attempt(errors, _settings, root, manifest)
    if isinstance(avro, _Failed) or isinstance(json, _Failed):
        raise SchemaError(errors)
    named, messages = avro
    service = ir.Service(
        name=manifest.name,
        package=manifest.package,
        src=manifest.src,
        tests=manifest.tests,
        named_types=named,
        messages=messages,
        sources=tuple(sorted(d.path for d in documents)),
    )
    with_json = _attempt(errors, _with_json_schema, service, json)
    if not isinstance(with_json, _Failed) and manifest.channels:
        channels = _attempt(errors, parse_channels, manifest.channels, with_json)
        if not isinstance(channels, _Failed):
            with_json = replace(with_json, channels=channels)
    if errors or isinstance(with_json, _Failed) or isinstance(database, _Failed):
        raise SchemaError(errors)
    service = _with(with_json, database)
    if manifest.policies or any(c.policy for c in service.channels):
        from generator.frontends.policies import parse_policies

        policies = parse_policies(manifest, service.channels)
        service = replace(service, policies=policies)
        if not isinstance(settings, ir.Settings) and not manifest.uses:
            # (A channel's policy implies a channel, so uses is not empty.)
            raise SchemaError([_unwired(manifest.policies[0].span)])
    if isinstance(settings, ir.Settings) or manifest.uses:
        from generator.frontends.jsonschema.config import add_runtime_groups

        full = add_runtime_groups(
            settings if isinstance(settings, ir.Settings) else None,
            manifest.name,
            runtime_parts(manifest.uses, service),
        )
        service = replace(
            service,
            settings=full,
            sources=tuple(sorted({*service.sources, *full.sources})),
        )
    service = share_enums(service)
    if any(e.decl.store is not None for e in manifest.channels):
        from generator.frontends.stores import bind_stores

        service = bind_stores(manifest.channels, service)
    if manifest.tables:
        from generator.frontends.caches import bind_caches

        service = bind_caches(manifest, service)
    return manifest, service


def _unwired(span: ir.Span) -> Diagnostic:
    """Policies are applied by ``generated/wiring.py``, which only a service
    with settings gets: without it they would be silently ignored."""
    return Diagnostic(
        span,
        "policies are applied by the generated wiring, and this service has "
        "none (no uses, no channels, no schemas/config)",
        'add uses = ["redis"] (or the servers it runs on) to [tool.svcforge], '
        "or build the policies in code with svcforge.resilience",
    )


def runtime_parts(uses: tuple[str, ...], service: ir.Service) -> tuple[str, ...]:
    """What the runtime settings groups are made for: ``uses``, ``avro`` when a
    channel consumed here carries Avro (the decode limits), ``outbox`` when a
    channel is published through the outbox (its relay)."""
    parts = set(uses)
    if any(c.consume and c.encoding == "avro" for c in service.channels):
        parts.add("avro")
    if any(c.outbox for c in service.channels):
        parts.add("outbox")
    return tuple(sorted(parts))


def _jsonschema(documents: list[JsonDocument]) -> JsonSchemaIR | None:
    if not documents:
        return None
    # The JSON Schema front-end (and its validators) load only for services
    # with JSON Schema messages: a regen is a new process each time.
    from generator.frontends.jsonschema import parse_jsonschema

    return parse_jsonschema(documents)


def _with_json_schema(service: ir.Service, parsed: JsonSchemaIR | None) -> ir.Service:
    """JSON Schema messages beside the Avro ones: bundle, records, messages.
    The models live in a module of their own; only a message class may not
    take an Avro class's name (the generated package exports both)."""
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


def _settings(root: Path, manifest: Manifest) -> ir.Settings | None:
    """The service's own settings, when it has config schemas."""
    errors: list[Diagnostic] = []
    documents = _load_json_files(root, CONFIG_DIR, "*.json", errors)
    if errors:
        raise SchemaError(errors)
    if not documents:
        return None
    from generator.frontends.jsonschema import parse_config

    return parse_config(documents, manifest.name)


def _sql_paths(root: Path, folder: str) -> list[Path]:
    """The ``*.sql`` files of a schema folder, in file-name order."""
    return sorted((root / folder).glob("*.sql"), key=lambda p: p.name)


def _load_sql(root: Path, folder: str) -> list[SqlSource]:
    from generator.frontends.sql.source import SqlSource

    return [SqlSource(*_read(root, p)) for p in _sql_paths(root, folder)]


def _database(root: Path, overrides: tuple[TypeOverride, ...] | None) -> ir.Service:
    """Tables (migrations replayed) and named queries, on an otherwise empty
    service; without the manifest (``overrides`` None) the type overrides it
    declares are not applied."""
    if not (_sql_paths(root, TABLES_DIR) or _sql_paths(root, QUERIES_DIR)):
        return ir.Service(name="", package="")
    # The SQL front-end (and PostgreSQL's parser) load only for services with
    # SQL schemas.
    from generator.frontends.sql.migrations.parse import parse_schema
    from generator.frontends.sql.queries.extensions import extensions_used
    from generator.frontends.sql.queries.parse import parse_queries
    from generator.frontends.sql.type_overrides import apply_type_overrides

    migration_files = _load_sql(root, TABLES_DIR)
    schema = parse_schema(migration_files)
    if overrides is not None:
        schema = apply_type_overrides(schema, overrides)
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
        sequences=schema.sequences,
    )
    sources = {m.path for m in schema.migrations} | {q.path for q in query_files}
    return ir.Service(
        name="",
        package="",
        sql_enums=schema.enums,
        tables=schema.tables,
        migrations=schema.migrations,
        queries=queries,
        sources=tuple(sorted(sources)),
        sql_composites=schema.composites,
        sql_functions=schema.functions,
    )


def _with(service: ir.Service, database: ir.Service) -> ir.Service:
    return replace(
        service,
        sql_enums=database.sql_enums,
        tables=database.tables,
        migrations=database.migrations,
        queries=database.queries,
        sources=tuple(sorted({*service.sources, *database.sources})),
        sql_composites=database.sql_composites,
        sql_functions=database.sql_functions,
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
    emit_stores,
    emit_wiring,
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
    formatted = format_python(
        dict(sorted(files.items())), service.package.split(".")[0]
    )
    return {rel: sign(text) for rel, text in formatted.items()}


def generate(
    root: Path, warnings: list[Diagnostic] | None = None
) -> tuple[Manifest, dict[str, str]]:
    """Every generated file of the service at ``root``; warnings (problems
    that do not stop generation) are added to ``warnings``."""

    def work() -> tuple[Manifest, dict[str, str]]:
        manifest, service = load_service(root, warnings)
        return manifest, render_service(service)

    # Deeply nested schemas recurse deeply through every pass.
    return run_deep(work)

"""Codecs: the Avro schema and fingerprint and the Avro and JSON codec objects
of every top-level message, with the specialised Avro writer and reader
functions the Avro codecs run (``generator.emitters.codecs.binary``).

Schemas are carried as compact JSON, each named type once (``AVRO_TYPES``),
other named types referred to by full name; ``svcforge.avro_schema`` rebuilds
a message's self-contained schema from them at import."""

from __future__ import annotations

import json
from dataclasses import replace

from fastavro import parse_schema
from fastavro.schema import to_parsing_canonical_form
from jinja2 import Environment

from generator import ir
from generator.avro_schema import (
    message_schema,
    message_sources,
    named_schema,
    reachable,
)
from generator.emitters.codecs.binary import emit_binary_codecs
from generator.emitters.pysrc import call, header, imports, py_str
from generator.json_names import EXACT_SCHEMAS
from svcforge import crc64_avro


def fingerprint(schema: dict[str, object]) -> bytes:
    canonical = to_parsing_canonical_form(parse_schema(json.loads(json.dumps(schema))))
    return crc64_avro(canonical.encode())


def _compact(schema: dict[str, object]) -> str:
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=True)


def emit_codecs(service: ir.Service, env: Environment) -> dict[str, str]:
    """``codecs.py``: an Avro and a JSON codec per Avro message, a JSON codec per
    JSON Schema message."""
    if not service.messages:
        return {}
    # JSON Schema messages get a JSON codec only; the rest is about Avro.
    sources = message_sources(service, service.messages)
    json_messages = [m for m in service.messages if m.encoding == "json"]
    service = replace(
        service, messages=tuple(m for m in service.messages if m.encoding == "avro")
    )
    taken = {t.py_name for t in service.named_types} | {"AVRO_TYPES"}
    for m in service.messages:
        taken |= {f"{m.constant}_SCHEMA", f"{m.constant}_AVRO", f"{m.constant}_JSON"}
    binary = emit_binary_codecs(service, taken)
    types = {
        t.fullname: t for m in service.messages for t in reachable(service, m.fullname)
    }
    codecs = []
    for m in service.messages:
        schema = message_schema(service, m.fullname)
        const = m.constant
        fp = fingerprint(schema).hex()
        args = [m.py_name, f"{const}_SCHEMA", f'fingerprint=bytes.fromhex("{fp}")']
        writer = binary.writers[m.fullname]
        if writer is not None:
            args.append(f"write={writer}")
        args.append(f"read={binary.readers[m.fullname]}")
        codecs.append(
            {
                "model": m.py_name,
                "const": const,
                "schema": f"avro_schema({py_str(m.fullname)}, AVRO_TYPES)",
                "avro_lines": f"{const}_AVRO: Final = {call('AvroCodec', args)}",
                "json_lines": f"{const}_JSON: Final = JsonCodec({m.py_name})",
                "source": m.source,
            }
        )
    json_codecs, json_schemas = _json_codecs(service, json_messages)
    needed = {
        "from typing import Final",
        "from svcforge import JsonCodec",
        *binary.imports,
        *(
            f"from .{m.module} import {m.py_name}"
            for m in (*json_messages, *service.messages)
        ),
    }
    if json_schemas:
        needed.add("from svcforge import JsonSchemas")
    if codecs:
        needed.add("from svcforge import AvroCodec, avro_schema")
    text = env.get_template("codecs.py.j2").render(
        header=header(sources),
        codecs=codecs,
        types=[
            f"{py_str(name)}: {py_str(_compact(named_schema(service, t)))},"
            for name, t in sorted(types.items())
        ],
        json_codecs=json_codecs,
        json_schemas=json_schemas,
        import_block=imports(needed),
        functions=binary.functions,
        helpers=[
            "\n".join(binary.helpers[kind])
            for kind in ("build", "read", "write")
            if kind in binary.helpers
        ],
    )
    return {f"{service.generated_dir}/codecs.py": text}


def _json_codecs(
    service: ir.Service, messages: list[ir.Message]
) -> tuple[list[str], list[str]]:
    """The JSON codec of each JSON Schema message, with the exact validator
    where its model cannot express its whole schema; and the entries of
    ``JSON_SCHEMAS``, the schema files those validators read."""
    models = service.json_models
    exact = {m.fullname: m.exact_uri for m in models.messages} if models else {}
    codecs = []
    for m in messages:
        args = [m.py_name, "exclude_unset=True"]
        if exact.get(m.fullname):
            uri = py_str(exact[m.fullname])
            args.append(f"validator={EXACT_SCHEMAS}.validator({uri})")
        codecs.append(f"{m.constant}_JSON: Final = {call('JsonCodec', args)}")
    schemas = [
        f"(({', '.join(py_str(u) for u in r.uris)},), {py_str(r.schema)}),"
        for r in (models.resources if models else ())
    ]
    return codecs, schemas

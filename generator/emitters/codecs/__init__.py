"""Codecs: the Avro schema and fingerprint and the Avro and JSON codec objects
of every top-level message, with the specialised Avro writer and reader
functions the Avro codecs run (``generator.emitters.codecs.binary``).

Schemas are carried as compact JSON, each named type once (``AVRO_TYPES``),
other named types referred to by full name; ``svcforge.avro_schema`` rebuilds
a message's self-contained schema from them at import."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from fastavro.schema import to_parsing_canonical_form
from jinja2 import Environment

from generator import ir
from generator.avro_schema import (
    message_schema,
    message_sources,
    message_type,
    named_schema,
    reachable_from,
    root_schema,
    type_message_schema,
)
from generator.emitters.codecs.binary import BinaryCodecs, emit_binary_codecs
from generator.emitters.pysrc import call, header, imports, json_expr, py_str
from generator.json_names import EXACT_SCHEMAS
from svcforge import crc64_avro


def fingerprint(schema: object) -> bytes:
    # The schema as written, not fastavro's parsed form: that one drops an
    # empty "namespace", so a null-namespace type inside a namespaced record
    # would not parse again.
    canonical = to_parsing_canonical_form(json.loads(json.dumps(schema)))
    return crc64_avro(canonical.encode())


def _compact(schema: object) -> str:
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
        t.fullname: t
        for m in service.messages
        for t in reachable_from(service, message_type(m))
    }
    codecs = [_codec(service, m, binary) for m in service.messages]
    json_codecs, json_schemas = _json_codecs(service, json_messages)
    needed = {
        "from typing import Final",
        *binary.imports,
        *(
            f"from .{m.module} import {m.py_name}"
            for m in (*json_messages, *service.messages)
        ),
    }
    for c in codecs:
        needed |= c.pop("imports")
    if json_messages:
        needed.add("from svcforge import JsonCodec")
    if json_schemas:
        needed.add("from svcforge import JsonSchemas")
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


def _codec(service: ir.Service, m: ir.Message, binary: BinaryCodecs) -> dict[str, Any]:
    """The schema constant and the Avro and JSON codecs of one Avro message."""
    const = m.constant
    needed = {"from svcforge import AvroCodec"}
    if m.root is None:
        needed.add("from svcforge import avro_schema")
        schema = f"avro_schema({py_str(m.fullname)}, AVRO_TYPES)"
        fp = fingerprint(message_schema(service, m.fullname)).hex()
    elif reachable_from(service, m.root):
        needed.add("from svcforge import avro_root_schema")
        schema = (
            f"avro_root_schema({json_expr(root_schema(service, m.root))}, AVRO_TYPES)"
        )
        fp = fingerprint(type_message_schema(service, m.root)).hex()
    else:
        schema = json_expr(root_schema(service, m.root))
        fp = fingerprint(type_message_schema(service, m.root)).hex()
    model, codec = m.py_name, "AvroCodec"
    if m.kind == "union":
        # No class of its own: the codec's type argument names the union.
        needed.add("from svcforge import message_union")
        assert isinstance(m.root, ir.Union)
        branches = {
            py_str(service.named(b.fullname).fullname): service.named(
                b.fullname
            ).py_name
            for b in m.root.branches
            if isinstance(b, ir.Ref)
        }
        mapping = "{" + ", ".join(f"{k}: {v}" for k, v in branches.items()) + "}"
        needed |= {f"from .models import {v}" for v in branches.values()}
        model = call("message_union", [py_str(m.py_name), mapping])
        codec = f"AvroCodec[{m.py_name}]"
    args = [model, f"{const}_SCHEMA", f'fingerprint=bytes.fromhex("{fp}")']
    writer = binary.writers[m.fullname]
    if writer is not None:
        args.append(f"write={writer}")
    args.append(f"read={binary.readers[m.fullname]}")
    if m.json == "avro":
        needed.add("from svcforge import AvroJsonCodec")
        json_codec = f"AvroJsonCodec({const}_AVRO)"
    else:
        needed.add("from svcforge import JsonCodec")
        json_codec = f"JsonCodec({m.py_name})"
    return {
        "model": m.py_name,
        "const": const,
        "schema": schema,
        "avro_lines": f"{const}_AVRO: Final = {call(codec, args)}",
        "json_lines": f"{const}_JSON: Final = {json_codec}",
        "source": m.source,
        "imports": needed,
    }


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

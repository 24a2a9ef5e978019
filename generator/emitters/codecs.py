"""Codecs: the self-contained Avro schema, its fingerprint and the Avro and JSON
codec objects of every top-level message."""

from __future__ import annotations

import json

from fastavro import parse_schema
from fastavro.schema import to_parsing_canonical_form
from jinja2 import Environment

from generator import ir
from generator.avro_schema import message_schema
from generator.emitters.pysrc import call, from_import, header
from generator.naming import snake_case
from svcforge._framing import crc64_avro


def constant_prefix(record: ir.Record) -> str:
    return snake_case(record.py_name).upper()


def fingerprint(schema: dict[str, object]) -> bytes:
    canonical = to_parsing_canonical_form(parse_schema(json.loads(json.dumps(schema))))
    return crc64_avro(canonical.encode())


def emit_codecs(service: ir.Service, env: Environment) -> str:
    codecs = []
    for m in service.messages:
        record = service.record(m.fullname)
        schema = message_schema(service, m.fullname)
        const = constant_prefix(record)
        fp = fingerprint(schema).hex()
        avro = call(
            f"{const}_AVRO: Final = AvroCodec",
            [record.py_name, f"{const}_SCHEMA", f'fingerprint=bytes.fromhex("{fp}")'],
            "",
        )
        codecs.append(
            {
                "model": record.py_name,
                "const": const,
                "schema": json.dumps(schema, indent=2, ensure_ascii=True),
                "avro_lines": "\n".join(avro),
                "source": m.source,
            }
        )
    models = [str(c["model"]) for c in codecs]
    return env.get_template("codecs.py.j2").render(
        header=header(m.source for m in service.messages),
        codecs=codecs,
        model_import="\n".join(from_import(".models", models)),
    )

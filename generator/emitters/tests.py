"""Tests written into the service: real round trips through the codecs."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.codecs import constant_prefix
from generator.emitters.pysrc import (
    INDENT,
    Group,
    assigned,
    call,
    from_import,
    header,
    layout,
)


def emit_message_tests(service: ir.Service, env: Environment, package: str) -> str:
    cases = []
    for m in service.messages:
        record = service.record(m.fullname)
        const = constant_prefix(record)
        example = f"example_{const.lower()}"
        param = call(
            "pytest.param",
            [example, f"{const}_AVRO", f"{const}_JSON", f'id="{record.py_name}"'],
            INDENT,
            ",",
        )
        cases.append(
            {
                "const": const,
                "example": example,
                "model": record.py_name,
                "param": "\n".join(param),
            }
        )
    other_message = ""
    if len(cases) > 1:
        first, second = cases[0], cases[1]
        encode = Group(
            f"{second['const']}_AVRO.encode(", (("", f"{second['example']}()"),), ")"
        )
        decode = Group(f"{first['const']}_AVRO.decode(", (("", "data"),), ")")
        inner = INDENT * 2
        other_message = "\n".join(
            [
                *assigned(f"{INDENT}data = ", encode, INDENT),
                f"{INDENT}with pytest.raises(UnknownSchemaError):",
                *layout(decode, inner, inner),
            ]
        )
    codec_names = [f"{c['const']}_{kind}" for c in cases for kind in ("AVRO", "JSON")]
    return env.get_template("test_messages.py.j2").render(
        header=header(m.source for m in service.messages),
        cases=cases,
        other_message=other_message,
        svcforge_import="\n".join(
            from_import(
                "svcforge",
                [
                    "AvroCodec",
                    "DecodeError",
                    "JsonCodec",
                    "UnknownSchemaError",
                    "schema_fingerprint",
                ],
            )
        ),
        codec_import="\n".join(from_import(f"{package}.generated.codecs", codec_names)),
        example_import="\n".join(
            from_import(f"{package}.generated.examples", [c["example"] for c in cases])
        ),
    )

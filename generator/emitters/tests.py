"""Tests written into the service: real round trips through the codecs."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.avro_schema import message_sources
from generator.emitters.pysrc import INDENT, call, header, imports


def emit_message_tests(service: ir.Service, env: Environment) -> dict[str, str]:
    """``tests/generated/test_messages.py``: Avro and JSON round trips of every
    Avro message's example, and the framing checks."""
    avro = [m for m in service.messages if m.encoding == "avro"]
    if not avro:
        return {}
    cases = []
    needed: set[str] = set()
    for m in avro:
        const, example = m.constant, m.example
        needed |= {
            f"from {service.package}.generated.codecs import {const}_AVRO",
            f"from {service.package}.generated.codecs import {const}_JSON",
            f"from {service.package}.generated.examples import {example}",
        }
        args = [example, f"{const}_AVRO", f"{const}_JSON", f'id="{m.py_name}"']
        cases.append(
            {"const": const, "example": example, "param": call("pytest.param", args)}
        )
    other_message = ""
    if len(cases) > 1:
        first, second = cases[0], cases[1]
        other_message = "\n".join(
            [
                f"{INDENT}data = {second['const']}_AVRO.encode({second['example']}())",
                f"{INDENT}with pytest.raises(UnknownSchemaError):",
                f"{INDENT * 2}{first['const']}_AVRO.decode(data)",
            ]
        )
    text = env.get_template("test_messages.py.j2").render(
        header=header(message_sources(service, avro)),
        cases=cases,
        other_message=other_message,
        local_imports=imports(needed),
    )
    return {f"{service.generated_tests_dir}/test_messages.py": text}

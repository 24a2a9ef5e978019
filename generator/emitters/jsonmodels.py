"""The models module of JSON Schema messages: datamodel-code-generator's
finished output (``ir.JsonModels.code``) under svcforge's header.

A service with both Avro and JSON Schema messages gets one ``models.py`` all
the same: the Avro models module and the JSON Schema one are merged (imports
first, then the Avro classes, then the JSON Schema ones), so that every
message model is imported from the same place.
"""

from __future__ import annotations

import ast

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import (
    call,
    header,
    imports,
)

_DOC_JSON = (
    '"""Message models: pydantic models of the JSON Schema messages, made by\n'
    'datamodel-code-generator."""'
)
_DOC_BOTH = (
    '"""Message models: one class per Avro record, enum and fixed, and the\n'
    'models of the JSON Schema messages (made by datamodel-code-generator)."""'
)


def emit_json_models(
    service: ir.Service, env: Environment, avro_models: str | None = None
) -> str:
    """``models.py``: the JSON Schema models, merged with the Avro models
    module when the service has one."""
    models = service.json_models
    assert models is not None
    sources = [*models.sources, *(t.span.path for t in service.named_types)]
    tpl = env.get_template("json_models.py.j2")
    if avro_models is None:
        return tpl.render(
            header=header(sources), doc=_DOC_JSON, code=models.code.rstrip("\n")
        )
    avro_imports, avro_body = _split(avro_models)
    json_imports, json_body = _split(models.code)
    code = (
        f"{imports([*avro_imports, *json_imports])}\n\n\n{avro_body}\n\n\n{json_body}"
    )
    return tpl.render(header=header(sources), doc=_DOC_BOTH, code=code)


def _split(code: str) -> tuple[list[str], str]:
    """The leading import statements of a module, and the rest of its text
    (after the header and docstring)."""
    tree = ast.parse(code)
    body = list(tree.body)
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
    ):
        body = body[1:]
    statements: list[str] = []
    while body and isinstance(body[0], ast.Import | ast.ImportFrom):
        statements.append(ast.unparse(body.pop(0)))
    if not body:
        return statements, ""
    lines = code.splitlines()
    return statements, "\n".join(lines[body[0].lineno - 1 :]).strip("\n")


def emit_json_message_tests(service: ir.Service, env: Environment) -> dict[str, str]:
    """``tests/generated/test_json_messages.py``: round trips of every JSON
    Schema message's example through its codec."""
    if service.json_models is None:
        return {}
    cases, needed = [], set()
    for m in (m for m in service.messages if m.encoding == "json"):
        const, example = f"{m.constant}_JSON", m.example
        needed.add(f"from {service.package}.generated.codecs import {const}")
        needed.add(f"from {service.package}.generated.examples import {example}")
        cases.append(call("pytest.param", [example, const, f'id="{m.fullname}"']))
    text = env.get_template("test_json_messages.py.j2").render(
        header=header(service.json_models.sources),
        cases=cases,
        local_imports=imports(needed),
    )
    return {f"{service.generated_tests_dir}/test_json_messages.py": text}

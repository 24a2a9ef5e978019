"""The models module of JSON Schema messages: datamodel-code-generator's
finished output (``ir.JsonModels.code``) under svcforge's header.

A service with both Avro and JSON Schema messages gets one ``models.py`` all
the same: the Avro models module and the JSON Schema one are merged (imports
united and sorted as isort does, then the Avro classes, then the JSON Schema
ones), so that every message model is imported from the same place.
"""

from __future__ import annotations

import ast
import sys

from jinja2 import Environment

from generator import ir
from generator.emitters.codecs import json_constant
from generator.emitters.pysrc import (
    INDENT,
    LINE_LENGTH,
    Expr,
    Group,
    call,
    from_import,
    header,
    import_sort_key,
    layout,
    py_float,
    py_str,
)
from generator.naming import snake_case

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
    code = f"{_import_block(avro_imports + json_imports)}\n\n\n{avro_body}\n\n\n{json_body}"
    return tpl.render(header=header(sources), doc=_DOC_BOTH, code=code)


def _split(code: str) -> tuple[list[ast.stmt], str]:
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
    imports: list[ast.stmt] = []
    while body and isinstance(body[0], ast.Import | ast.ImportFrom):
        imports.append(body.pop(0))
    if not body:
        return imports, ""
    lines = code.splitlines()
    return imports, "\n".join(lines[body[0].lineno - 1 :]).strip("\n")


def _import_block(statements: list[ast.stmt]) -> str:
    future: set[str] = set()
    plain: set[str] = set()
    names: dict[str, set[str]] = {}
    for s in statements:
        if isinstance(s, ast.ImportFrom) and s.module == "__future__":
            future |= {a.name for a in s.names}
        elif isinstance(s, ast.ImportFrom) and s.module:
            names.setdefault(s.module, set()).update(a.name for a in s.names)
        elif isinstance(s, ast.Import):
            plain |= {a.name for a in s.names}
    sections: list[list[str]] = []
    if future:
        sections.append(_from_lines("__future__", future))
    for third in (False, True):
        lines = [
            f"import {m}"
            for m in sorted(plain, key=str.lower)
            if _third_party(m) is third
        ]
        for module in sorted(
            (m for m in names if _third_party(m) is third), key=str.lower
        ):
            lines += _from_lines(module, names[module])
        if lines:
            sections.append(lines)
    return "\n\n".join("\n".join(s) for s in sections)


def _third_party(module: str) -> bool:
    return module.split(".")[0] not in sys.stdlib_module_names


def _from_lines(module: str, names: set[str]) -> list[str]:
    ordered = sorted(names, key=import_sort_key)
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= LINE_LENGTH:
        return [line]
    return [f"from {module} import (", *(f"{INDENT}{n}," for n in ordered), ")"]


def json_example_body(service: ir.Service, message: ir.Message) -> list[str]:
    """``return Model.model_validate({...})`` of a JSON Schema message's
    example instance (wire names as keys, as JSON has them)."""
    assert service.json_models is not None
    example = next(
        m.example
        for m in service.json_models.messages
        if m.fullname == message.fullname
    )
    call = Group(
        f"{message.fullname}.model_validate(",
        (("", json_expr(example)),),
        ")",
        comma=False,
    )
    return layout(call, INDENT, f"{INDENT}return ")


def json_expr(value: ir.JsonValue) -> Expr:
    """A JSON value as a Python expression; objects one key per line."""
    match value:
        case None | bool():
            return repr(value)
        case int():
            return str(value)
        case float():
            return py_float(value)
        case str():
            return py_str(value)
        case list():
            return Group("[", tuple(("", json_expr(v)) for v in value), "]", hug=False)
    assert isinstance(value, dict)
    return Group(
        "{",
        tuple((f"{py_str(k)}: ", json_expr(v)) for k, v in value.items()),
        "}",
        magic=bool(value),
    )


def emit_json_message_tests(service: ir.Service, env: Environment, package: str) -> str:
    """``tests/generated/test_json_messages.py``: round trips of every JSON
    Schema message's example through its codec."""
    assert service.json_models is not None
    cases, codecs, examples = [], [], []
    for m in service.json_models.messages:
        const, example = json_constant(m.fullname), f"example_{snake_case(m.fullname)}"
        codecs.append(const)
        examples.append(example)
        cases.append(
            "\n".join(
                call(
                    "pytest.param", [example, const, f'id="{m.fullname}"'], INDENT, ","
                )
            )
        )
    return env.get_template("test_json_messages.py.j2").render(
        header=header(service.json_models.sources),
        cases=cases,
        codec_import="\n".join(from_import(f"{package}.generated.codecs", codecs)),
        example_import="\n".join(
            from_import(f"{package}.generated.examples", examples)
        ),
    )

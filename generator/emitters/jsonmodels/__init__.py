"""The models of the JSON Schema messages, and their generated tests.

Where the models live (the one rule): the Avro models are in
``generated/models.py`` (``emitters.models``), the JSON Schema models in
``generated/json_models.py`` (here: datamodel-code-generator's output, run on
the IR's bundle with the attribute names svcforge decided).  Two modules, so
that a class name datamodel-code-generator picks for an inline schema can
never clash with an Avro class, and no module is merged into another.  Every
message model, Avro or JSON Schema, is also importable from the generated
package itself (``from my_service.generated import Trade, UserRegistered``:
``emitters.package``), and ``ir.Message.module`` says which module defines
it.
"""

from __future__ import annotations

import ast
import json

from jinja2 import Environment

from generator import ir
from generator.emitters.jsonmodels.dmcg import generate_models
from generator.emitters.pysrc import call, header, imports, py_str
from generator.errors import Diagnostic, SchemaError

_DOC = (
    '"""Message models: pydantic models of the JSON Schema messages, made by\n'
    'datamodel-code-generator."""'
)


def emit_json_models(service: ir.Service, env: Environment) -> dict[str, str]:
    """``json_models.py``: the JSON Schema models."""
    models = service.json_models
    if models is None:
        return {}
    code = _generate(models)
    _check(service, models, code)
    text = env.get_template("json_models.py.j2").render(
        header=header(models.sources), doc=_DOC, code=code.rstrip("\n")
    )
    return {f"{service.generated_dir}/{models.module}.py": text}


def _generate(models: ir.JsonModels) -> str:
    """datamodel-code-generator's module; its failure is reported at the
    first schema file, as an input problem (it refuses what it cannot read)."""
    try:
        return generate_models(models.bundle, dict(models.aliases))
    except (Exception, RecursionError) as exc:
        first = (
            models.messages[0].span if models.messages else ir.Span(models.sources[0])
        )
        text = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise SchemaError(
            [Diagnostic(first, f"datamodel-code-generator failed: {text}")]
        ) from None


def _check(service: ir.Service, models: ir.JsonModels, code: str) -> None:
    """Each message has the class, kind and attributes the front-end named:
    the codecs, channels and tests rely on them."""
    classes = {n.name: n for n in ast.parse(code).body if isinstance(n, ast.ClassDef)}
    records = {r.fullname: r for r in service.json_records}
    problems = []
    for m in models.messages:
        node = classes.get(m.fullname)
        if node is None:
            problems.append(Diagnostic(m.span, f"no class {m.fullname!r} was made"))
            continue
        root = any(ast.unparse(b).startswith("RootModel") for b in node.bases)
        if root != m.root_model:
            kind = "a RootModel" if root else "a model class"
            problems.append(Diagnostic(m.span, f"{m.fullname!r} became {kind}"))
            continue
        have = _attributes(m.fullname, classes)
        record = records.get(m.fullname)
        for f in record.fields if record else ():
            if f.py_name not in have:
                problems.append(
                    Diagnostic(f.span, f"{m.fullname}.{f.py_name} was not made")
                )
    if problems:
        raise SchemaError(
            Diagnostic(
                d.span,
                f"datamodel-code-generator did not make what svcforge named: "
                f"{d.message}",
                "please report this schema to svcforge",
            )
            for d in problems
        )


def _attributes(name: str, classes: dict[str, ast.ClassDef]) -> set[str]:
    node = classes.get(name)
    if node is None:
        return set()
    out = {
        s.target.id
        for s in node.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    }
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id != name:
            out |= _attributes(base.id, classes)
    return out


def emit_json_message_tests(service: ir.Service, env: Environment) -> dict[str, str]:
    """``tests/generated/test_json_messages.py``: round trips of every JSON
    Schema message's example through its codec, and, for each keyword only
    the exact validator enforces, an instance it forbids refused on decode."""
    models = service.json_models
    if models is None:
        return {}
    by_name = {m.fullname: m for m in models.messages}
    cases, exact, needed = [], [], set()
    for m in (m for m in service.messages if m.encoding == "json"):
        const, example = f"{m.constant}_JSON", m.example
        needed.add(f"from {service.package}.generated.codecs import {const}")
        needed.add(f"from {service.package}.generated.examples import {example}")
        json_message = by_name[m.fullname]
        malformed = '[b"not json"]' if json_message.root_model else "MALFORMED"
        cases.append(
            call("pytest.param", [example, const, malformed, f'id="{m.fullname}"'])
        )
        for keyword, instance in json_message.forbidden:
            data = py_str(_compact(instance))
            ident = py_str(f"{m.fullname}-{keyword}")
            exact.append(call("pytest.param", [const, data, f"id={ident}"]))
    text = env.get_template("test_json_messages.py.j2").render(
        header=header(models.sources),
        cases=cases,
        exact=exact,
        local_imports=imports(needed),
    )
    return {f"{service.generated_tests_dir}/test_json_messages.py": text}


def _compact(value: ir.JsonValue) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

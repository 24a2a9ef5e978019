"""The ``__init__.py`` of the generated package and of the generated tests.

The generated package re-exports every message model, Avro or JSON Schema,
so that a service imports them all from one place
(``from my_service.generated import Trade, UserRegistered``), whichever
module defines them (``ir.Message.module``)."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import header, py_str


def emit_package_inits(service: ir.Service, env: Environment) -> dict[str, str]:
    tpl = env.get_template("init.py.j2")
    by_module: dict[str, set[str]] = {}
    for m in service.messages:
        by_module.setdefault(m.module, set()).add(m.py_name)
    import_lines = "\n".join(
        f"from .{module} import {', '.join(sorted(names))}"
        for module, names in sorted(by_module.items())
    )
    names = sorted(n for group in by_module.values() for n in group)
    all_lines = f"__all__ = [{', '.join(py_str(n) for n in names)}]" if names else ""
    text = tpl.render(
        header=header(service.sources), import_lines=import_lines, all_lines=all_lines
    )
    tests = tpl.render(header=header(service.sources), import_lines="", all_lines="")
    return {
        f"{service.generated_dir}/__init__.py": text,
        f"{service.generated_tests_dir}/__init__.py": tests,
    }

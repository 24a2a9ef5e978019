"""The ``__init__.py`` of the generated package and of the generated tests."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import header


def emit_package_inits(service: ir.Service, env: Environment) -> dict[str, str]:
    text = env.get_template("init.py.j2").render(
        header=header(service.sources), import_lines="", all_lines=""
    )
    return {
        f"{service.generated_dir}/__init__.py": text,
        f"{service.generated_tests_dir}/__init__.py": text,
    }

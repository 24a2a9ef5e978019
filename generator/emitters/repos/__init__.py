"""Tables -> ``generated/db/``: a module per table (``table``: row, insert and
repository classes; ``statements``: the SQL they run), the service's enum and
composite types (``enums``) and its migrations."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import INDENT, header, py_str
from generator.emitters.repos.enums import emit_enums_module
from generator.emitters.repos.table import TableModule
from generator.emitters.sqlpy import triple_quoted_body


def emit_repos(service: ir.Service, env: Environment) -> dict[str, str]:
    """``generated/db/``: the enum types, the migrations, and a module per
    table."""
    if not service.migrations:
        return {}
    db = f"{service.generated_dir}/db"
    files = {
        f"{db}/__init__.py": _init(service, env),
        f"{db}/enums.py": emit_enums_module(service, env),
        f"{db}/migrations.py": _migrations(service, env),
    }
    for table in service.tables:
        files[f"{db}/{table.module}.py"] = TableModule(service, table).render(env)
    return files


def _init(service: ir.Service, env: Environment) -> str:
    return env.get_template("repo_init.py.j2").render(
        header=header(m.path for m in service.migrations),
    )


def _migrations(service: ir.Service, env: Environment) -> str:
    items = []
    for m in service.migrations:
        name = m.path.rpartition("/")[2]
        body = triple_quoted_body(m.sql, closed_right_after=True)
        items.append(f'{INDENT}Migration({py_str(name)}, """{body}""",),')
    return env.get_template("repo_migrations.py.j2").render(
        header=header(m.path for m in service.migrations),
        items=items,
    )

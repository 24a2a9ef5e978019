"""``generated/db/enums.py``: the service's enum types (or the Avro enum
classes they share: ``generator.linking``) and composite types, and the
``ENUM_TYPES`` registry a ``Database`` decodes them with."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import INDENT, docstring, header, py_str
from generator.emitters.pysrc import imports as imports_text
from generator.emitters.sqlpy import Imports, py_type, spread_tuple


def emit_enums_module(service: ir.Service, env: Environment) -> str:
    imports = Imports()
    imports.add_from("typing", "Final")
    imports.add_from("svcforge.db", "EnumType")
    blocks = []
    for e in service.sql_enums:
        if e.shared:
            # One class for the Avro enum and this type (see generator.linking).
            imports.add(f"from ..models import {e.py_name} as {e.py_name}")
            continue
        imports.add_from("enum", "StrEnum")
        lines = [f"class {e.py_name}(StrEnum):"]
        lines += docstring(e.doc or f"PostgreSQL enum ``{e.qualname}``.", INDENT)
        lines.append("")
        lines += [
            f"{INDENT}{member} = {py_str(label)}"
            for member, label in zip(e.member_names, e.labels, strict=True)
        ]
        blocks.append("\n".join(lines))
    blocks += _composites(service, imports)
    items = [
        f"EnumType({py_str(e.schema)}, {py_str(e.name)}, {e.py_name})"
        for e in service.sql_enums
    ]
    if service.sql_composites:
        imports.add_from("svcforge.db", "CompositeType")
    items += [
        f"CompositeType({py_str(c.schema)}, {py_str(c.name)}, {c.py_name})"
        for c in service.sql_composites
    ]
    if items:
        registry = spread_tuple("ENUM_TYPES: Final = ", items)
    else:
        registry = "ENUM_TYPES: Final[tuple[EnumType, ...]] = ()"
    return env.get_template("repo_enums.py.j2").render(
        header=header(_enum_sources(service))
        if service.sql_enums
        else header(m.path for m in service.migrations),
        import_block=imports_text(imports),
        blocks=blocks,
        registry=registry,
    )


def _enum_sources(service: ir.Service) -> set[str]:
    """The migrations that define the enum types, and the Avro schemas of the
    enums they share a class with."""
    sources = {e.span.path for e in service.sql_enums}
    sources |= {
        service.named(e.shared).span.path for e in service.sql_enums if e.shared
    }
    return sources


def _composites(service: ir.Service, imports: Imports) -> list[str]:
    """Composite types as named tuples (asyncpg's tuple codec turns values
    into them and back)."""
    blocks = []
    for c in service.sql_composites:
        imports.add_from("typing", "NamedTuple")
        lines = [f"class {c.py_name}(NamedTuple):"]
        lines += docstring(
            c.doc or f"PostgreSQL composite type ``{c.qualname}``.", INDENT
        )
        lines.append("")
        lines += [
            f"{INDENT}{f.py_name}: {py_type(f.type, True, service, imports)}"
            for f in c.fields
        ]
        blocks.append("\n".join(lines))
    return blocks

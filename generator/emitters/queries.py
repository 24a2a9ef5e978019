"""Named queries -> ``generated/queries/<file>.py``: a typed async function per
query, its SQL verbatim as a constant beside it.  Results that are exactly a
table's row reuse that table's row class; one-column results are plain values."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import INDENT, docstring, header, imports
from generator.emitters.sqlpy import Imports, py_type, signature, spread, sql_block

I1, I2 = INDENT, INDENT * 2


def emit_queries(service: ir.Service, env: Environment) -> dict[str, str]:
    """``generated/queries/``: a module per query file."""
    if not service.queries:
        return {}
    by_file: dict[str, list[ir.Query]] = {}
    for q in service.queries:
        by_file.setdefault(q.source, []).append(q)
    folder = f"{service.generated_dir}/queries"
    files = {
        f"{folder}/__init__.py": env.get_template("queries_init.py.j2").render(
            header=header(by_file)
        )
    }
    for source, queries in sorted(by_file.items()):
        files[f"{folder}/{queries[0].module}.py"] = _module(
            service, source, queries, env
        )
    return files


def _module(
    service: ir.Service, source: str, queries: list[ir.Query], env: Environment
) -> str:
    needed = Imports(enums_module="..db.enums")
    needed.add_from("svcforge.db", "Executor")
    constants, blocks = [], []
    for q in queries:
        const = q.name.upper()
        constants.append(sql_block(const, q.sql))
        result, row_block = _result(service, q, needed)
        if row_block:
            blocks.append(row_block)
        blocks.append(_function(service, q, const, result, needed))
    return env.get_template("queries.py.j2").render(
        header=header([source, *(m.path for m in service.migrations)]),
        doc="\n".join(docstring(f"Named queries of ``{source}``.", "")),
        import_block=imports(needed),
        constants=constants,
        blocks=blocks,
    )


def _result(service: ir.Service, q: ir.Query, imports: Imports) -> tuple[str, str]:
    """The Python type of one result row, and the class to define for it."""
    if not q.columns:
        return "", ""
    if q.table:
        table = service.table(q.table)
        imports.add_from(f"..db.{table.module}", table.row_class)
        return table.row_class, ""
    if len(q.columns) == 1:
        c = q.columns[0]
        return py_type(c.type, c.nullable, service, imports), ""
    imports.add_from("dataclasses", "dataclass")
    name = q.row_class
    lines = ["@dataclass(slots=True)", f"class {name}:"]
    lines += docstring(f"A row of ``{q.name}``.", I1)
    lines.append("")
    for c in q.columns:
        lines.append(
            f"{I1}{c.py_name}: {py_type(c.type, c.nullable, service, imports)}"
        )
    return name, "\n".join(lines)


def _function(
    service: ir.Service, q: ir.Query, const: str, result: str, imports: Imports
) -> str:
    params = ["db: Executor"]
    params += [
        f"{p.py_name}: {py_type(p.type, p.nullable, service, imports)}"
        for p in q.params
    ]
    args = [const, *(p.py_name for p in q.params)]
    scalar = len(q.columns) == 1 and not q.table
    match q.command:
        case "one":
            returns = (
                result if scalar and result.endswith(" | None") else f"{result} | None"
            )
            if scalar:
                body = [
                    spread("value: " + returns + " = await db.fetchval(", args, ")", I1)
                ]
                body.append(f"{I1}return value")
            else:
                body = [spread("row = await db.fetchrow(", args, ")", I1)]
                body.append(f"{I1}return None if row is None else {result}(*row)")
        case "many":
            returns = f"list[{result}]"
            body = [spread("rows = await db.fetch(", args, ")", I1)]
            if scalar:
                body.append(f"{I1}return [r[0] for r in rows]")
            else:
                imports.add_from("itertools", "starmap")
                body.append(f"{I1}return list(starmap({result}, rows))")
        case "exec":
            returns = "None"
            body = [spread("await db.execute(", args, ")", I1)]
        case _:
            returns = "int"
            body = [spread("status = await db.execute(", args, ")", I1)]
            body.append(f'{I1}return int(status.rpartition(" ")[2])')
    doc = q.doc or f"``{q.name}`` (:{q.command})."
    lines = [signature(q.name, params, returns, ""), *docstring(doc, I1)]
    return "\n".join(lines + body)

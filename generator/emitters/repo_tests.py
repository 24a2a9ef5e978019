"""Tests written into the service: for every table, a CRUD round trip through
its generated repository against a real PostgreSQL (the ``postgres_dsn``
fixture of svcforge's pytest plugin), the migrations applied first."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import INDENT, header, imports
from generator.emitters.repos import TableModule
from generator.emitters.sqlpy import Imports, example, spread

I1, I2, I3 = INDENT, INDENT * 2, INDENT * 3


def emit_repo_tests(service: ir.Service, env: Environment) -> dict[str, str]:
    """``tests/generated/test_db_<table>.py`` for every table with a writable
    column."""
    tests = service.generated_tests_dir
    return {
        f"{tests}/test_db_{t.module}.py": _table_test(service, t, env)
        for t in service.tables
        if [c for c in t.columns if c.writable]
    }


def _values(service: ir.Service, t: ir.Table, n: int, imports: Imports) -> list[str]:
    """Keyword arguments of the ``n``-th example insert.  Row 1 gives every
    value; row 2 leaves server defaults to the server; row 3 stores NULL in
    every nullable column without a default."""
    out = []
    for c in t.columns:
        if not c.writable:
            continue
        if c.identity or (c.default or "").startswith("nextval("):
            continue  # the sequence numbers rows
        if n == 2 and c.has_default:
            continue
        if n == 3 and c.nullable and not c.has_default:
            out.append(f"{c.py_name}=None")
            continue
        out.append(f"{c.py_name}={example(c.type, n, service, imports)}")
    return out


def _table_test(service: ir.Service, t: ir.Table, env: Environment) -> str:
    package = service.package
    m = TableModule(service, t)
    needed = Imports(enums_module=f"{package}.generated.db.enums")
    needed.add("import asyncio")
    needed.add_from("dataclasses", "fields")
    if m.pk:
        needed.add("import pytest")  # pytest.raises around the rolled-back delete
    needed.add_from("svcforge.db", "UNSET", "Database")
    needed.add_from(f"{package}.generated.db", "ENUM_TYPES", "MIGRATIONS")
    needed.add_from(f"{package}.generated.db.{t.module}", m.new, m.repo, m.row)
    examples = [
        spread(f"{m.new}(", _values(service, t, n, needed), "),", I1) for n in (1, 2, 3)
    ]
    body = _crud_body(service, m, needed)
    return env.get_template("test_db_table.py.j2").render(
        header=header(t.sources),
        table=t.qualname,
        import_block=imports(needed),
        examples=examples,
        new=m.new,
        row=m.row,
        body="\n".join(body),
    )


def _key_of(m: TableModule, row: str) -> list[str]:
    return [f"{row}.{c.py_name}" for c in m.pk]


def _tuple(name: str, items: list[str], indent: str) -> str:
    """``name = (a, b)`` (a one-tuple keeps its comma)."""
    if len(items) == 1:
        return f"{indent}{name} = ({items[0]},)"
    return spread(f"{name} = (", items, ")", indent)


def _crud_body(service: ir.Service, m: TableModule, imports: Imports) -> list[str]:
    t = m.table
    lines = [
        f"{I2}repo = {m.repo}(db)",
        f"{I2}first = await repo.insert(EXAMPLES[0])",
        f"{I2}assert_stored(first, EXAMPLES[0])",
    ]
    if m.pk:
        lines.append(_tuple("key", _key_of(m, "first"), I2))
        lines.append(f"{I2}assert await repo.get(*key) == first")
    for k in t.unique_keys:
        args = [f"first.{t.column(c).py_name}" for c in k.columns]
        lines.append(spread(f"found = await repo.{k.lookup}(", args, ")", I2))
        lines.append(f"{I2}assert found == first")
    lines += [
        f"{I2}assert await repo.insert_many(EXAMPLES[1:]) == 2",
        f"{I2}assert await repo.count() == 3",
    ]
    if m.pk:
        last = _key_of(m, "rows[-1]")
        lines.append(f"{I2}rows = await repo.page(limit=2)")
        if len(last) == 1:
            lines.append(f"{I2}rows += await repo.page(after={last[0]}, limit=10)")
        else:
            lines.append(spread("after = (", last, ")", I2))
            lines.append(f"{I2}rows += await repo.page(after=after, limit=10)")
        lines.append(f"{I2}assert len(rows) == 3 and first in rows")
    if m.pk and m.updatable:
        lines += _update_lines(service, m, imports)
    if m.can_upsert():
        imports.add_from("dataclasses", "replace")
        pk = [
            f"{c.py_name}={v}" for c, v in zip(m.pk, _key_of(m, "first"), strict=True)
        ]
        lines.append(spread("stored = replace(", ["EXAMPLES[0]", *pk], ")", I2))
        lines += [
            f"{I2}again = await repo.upsert(stored)",
            f"{I2}assert await repo.get(*key) == again",
            f"{I2}assert await repo.count() == 3",
        ]
    if m.pk:
        lines += [
            f"{I2}with pytest.raises(RuntimeError):",
            f"{I3}async with db.transaction() as tx:",
            f"{I3}{I1}assert await {m.repo}(tx).delete(*key)",
            f'{I3}{I1}raise RuntimeError("roll back")',
            f"{I2}assert await repo.count() == 3",
            f"{I2}assert await repo.delete(*key)",
            f"{I2}assert await repo.get(*key) is None",
            f"{I2}assert not await repo.delete(*key)",
            f"{I2}assert await repo.count() == 2",
        ]
    return lines


def _update_lines(service: ir.Service, m: TableModule, imports: Imports) -> list[str]:
    col = m.updatable[0]
    lines = [f"{I2}new_value = {example(col.type, 4, service, imports)}"]
    lines += [
        f"{I2}updated = await repo.update(*key, {col.py_name}=new_value)",
        f"{I2}assert updated is not None and updated.{col.py_name} == new_value",
        f"{I2}assert await repo.get(*key) == updated",
    ]
    nullable = [c for c in m.updatable if c.nullable]
    if nullable:
        c = nullable[0]
        lines += [
            f"{I2}cleared = await repo.update(*key, {c.py_name}=None)",
            f"{I2}assert cleared is not None and cleared.{c.py_name} is None",
        ]
    return lines

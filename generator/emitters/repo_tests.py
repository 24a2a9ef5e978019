"""Tests written into the service: for every table, a CRUD round trip through
its generated repository against a real PostgreSQL (the ``postgres_dsn``
fixture of svcforge's pytest plugin), the migrations applied first."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import INDENT, header, imports, py_str
from generator.emitters.sqlpy import (
    EXTENSION_OF_TYPE,
    Imports,
    example,
    has_example,
    spread,
    spread_tuple,
)

I1, I2, I3 = INDENT, INDENT * 2, INDENT * 3


def emit_repo_tests(service: ir.Service, env: Environment) -> dict[str, str]:
    """``tests/generated/test_db_<table>.py`` for every table with a writable
    column."""
    tests = service.generated_tests_dir
    return {
        f"{tests}/test_db_{t.module}.py": _table_test(service, t, env)
        for t in service.tables
        if t.insertable and _testable(service, t)
    }


def _testable(service: ir.Service, t: ir.Table) -> bool:
    """Whether the test can give every column that needs a value one (a
    required column of an opaque type, a PostGIS geometry say, needs the
    team's own test)."""
    return all(
        has_example(c.type, service) or c.nullable or c.has_default
        for c in t.insertable
    )


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
        if (n == 2 and c.has_default) or not has_example(c.type, service):
            continue
        if n == 3 and c.nullable and not c.has_default:
            out.append(f"{c.py_name}=None")
            continue
        out.append(f"{c.py_name}={example(c.type, n, service, imports)}")
    return out


def _table_test(service: ir.Service, table: ir.Table, env: Environment) -> str:
    t = table
    package = service.package
    needed = Imports(enums_module=f"{package}.generated.db.enums")
    needed.add("import asyncio")
    needed.add_from("dataclasses", "fields")
    if table.key_columns:
        needed.add("import pytest")  # pytest.raises around the rolled-back delete
    needed.add_from("svcforge.db", "UNSET", "Database")
    needed.add_from(f"{package}.generated.db", "ENUM_TYPES", "MIGRATIONS")
    needed.add_from(
        f"{package}.generated.db.{t.module}",
        table.insert_class,
        table.repository_class,
        table.row_class,
    )
    examples = [
        spread(f"{table.insert_class}(", _values(service, t, n, needed), "),", I1)
        for n in (1, 2, 3)
    ]
    extensions = sorted(
        {
            EXTENSION_OF_TYPE[c.type.name]
            for c in t.columns
            if c.type.name in EXTENSION_OF_TYPE
            and not (c.type.enum or c.type.composite)
        }
    )
    if extensions:
        needed.add("import pytest")
        needed.add_from("svcforge.db", "missing_extensions")
    body = _crud_body(service, table, needed)
    return env.get_template("test_db_table.py.j2").render(
        header=header(t.sources),
        table=t.qualname,
        import_block=imports(needed),
        examples=examples,
        new=table.insert_class,
        row=table.row_class,
        extensions=spread_tuple("", [py_str(e) for e in extensions])
        if extensions
        else "",
        body="\n".join(body),
    )


def _key_of(table: ir.Table, row: str) -> list[str]:
    return [f"{row}.{c.py_name}" for c in table.key_columns]


def _tuple(name: str, items: list[str], indent: str) -> str:
    """``name = (a, b)`` (a one-tuple keeps its comma)."""
    if len(items) == 1:
        return f"{indent}{name} = ({items[0]},)"
    return spread(f"{name} = (", items, ")", indent)


def _crud_body(service: ir.Service, table: ir.Table, imports: Imports) -> list[str]:
    t = table
    lines = [
        f"{I2}repo = {table.repository_class}(db)",
        f"{I2}first = await repo.insert(EXAMPLES[0])",
        f"{I2}assert_stored(first, EXAMPLES[0])",
    ]
    if table.key_columns:
        lines.append(_tuple("key", _key_of(table, "first"), I2))
        lines.append(f"{I2}assert await repo.get(*key) == first")
    for k in t.unique_keys:
        args = [f"first.{t.column(c).py_name}" for c in k.columns]
        lines.append(spread(f"found = await repo.{k.lookup}(", args, ")", I2))
        lines.append(f"{I2}assert found == first")
    lines += [
        f"{I2}assert await repo.insert_many(EXAMPLES[1:]) == 2",
        f"{I2}assert await repo.count() == 3",
    ]
    if table.key_columns:
        last = _key_of(table, "rows[-1]")
        lines.append(f"{I2}rows = await repo.page(limit=2)")
        if len(last) == 1:
            lines.append(f"{I2}rows += await repo.page(after={last[0]}, limit=10)")
        else:
            lines.append(spread("after = (", last, ")", I2))
            lines.append(f"{I2}rows += await repo.page(after=after, limit=10)")
        lines.append(f"{I2}assert len(rows) == 3 and first in rows")
    if table.key_columns and table.updatable:
        lines += _update_lines(service, table, imports)
    if table.upsertable:
        imports.add_from("dataclasses", "replace")
        pk = [
            f"{c.py_name}={v}"
            for c, v in zip(table.key_columns, _key_of(table, "first"), strict=True)
        ]
        lines.append(spread("stored = replace(", ["EXAMPLES[0]", *pk], ")", I2))
        lines += [
            f"{I2}again = await repo.upsert(stored)",
            f"{I2}assert await repo.get(*key) == again",
            f"{I2}assert await repo.count() == 3",
        ]
    if table.key_columns:
        lines += [
            f"{I2}with pytest.raises(RuntimeError):",
            f"{I3}async with db.transaction() as tx:",
            f"{I3}{I1}assert await {table.repository_class}(tx).delete(*key)",
            f'{I3}{I1}raise RuntimeError("roll back")',
            f"{I2}assert await repo.count() == 3",
            f"{I2}assert await repo.delete(*key)",
            f"{I2}assert await repo.get(*key) is None",
            f"{I2}assert not await repo.delete(*key)",
            f"{I2}assert await repo.count() == 2",
        ]
    return lines


def _update_lines(service: ir.Service, table: ir.Table, imports: Imports) -> list[str]:
    cols = [c for c in table.updatable if has_example(c.type, service)]
    if not cols:
        return []
    col = cols[0]
    lines = [f"{I2}new_value = {example(col.type, 4, service, imports)}"]
    lines += [
        f"{I2}updated = await repo.update(*key, {col.py_name}=new_value)",
        f"{I2}assert updated is not None and updated.{col.py_name} == new_value",
        f"{I2}assert await repo.get(*key) == updated",
    ]
    nullable = [c for c in table.updatable if c.nullable]
    if nullable:
        c = nullable[0]
        lines += [
            f"{I2}cleared = await repo.update(*key, {c.py_name}=None)",
            f"{I2}assert cleared is not None and cleared.{c.py_name} is None",
        ]
    return lines

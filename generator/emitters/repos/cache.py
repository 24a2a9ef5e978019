"""The row cache in a table's module (``[tool.svcforge.tables.<name>]
cache``): the ``CACHE`` spec the repository hands to
``svcforge.db.table_cache``, and writes wrapped in the cache's hold."""

from __future__ import annotations

from generator import ir
from generator.emitters.pysrc import INDENT, py_str
from generator.emitters.repos.statements import key_const
from generator.emitters.sqlpy import spread, spread_tuple


def cache_spec(table: ir.Table) -> str:
    """``CACHE: Final = CacheSpec(...)``: the table, the statements that load
    a row, where the key columns are in a row, the TTL."""
    assert table.cache is not None and table.primary_key is not None
    positions = {c.name: i for i, c in enumerate(table.columns)}

    def at(columns: tuple[str, ...]) -> str:
        return spread_tuple("", [str(positions[c]) for c in columns])

    unique = [
        f"({py_str(k.lookup)}, {key_const(k)}, {at(k.columns)})"
        for k in table.unique_keys
    ]
    args = [
        py_str(table.qualname),
        "GET",
        f"key={at(table.primary_key.columns)}",
        f"ttl_s={table.cache.ttl_s}",
    ]
    if unique:
        args.append("unique=" + spread_tuple("", unique))
    return spread("CACHE: Final = CacheSpec(", args, ")", "")


def held(body: list[str], key: list[str], indent: str) -> list[str]:
    """``body`` (statements at ``indent``) inside the cache's hold on the row
    with primary key ``key``: no reader stores the row from before."""
    head = spread("async with self.cache.write(", ["self.db", *key], "):", indent)
    inner = [
        "\n".join(INDENT + x if x else x for x in text.split("\n")) for text in body
    ]
    return [head, *inner]

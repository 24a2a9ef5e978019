"""Consume -> store: ``generated/stores.py``, a typed mapping from each stored
channel's message to its table's insert class, and the ``StoreSpec`` the
runtime writes batches with."""

from __future__ import annotations

import textwrap

from jinja2 import Environment

from generator import ir
from generator.avro_schema import message_sources
from generator.emitters.pysrc import (
    INDENT,
    call,
    docstring,
    header,
    imports,
    py_str,
    tuple_expr,
)

_CONVERSIONS = {
    "none": "{}",
    "enum": "{cls}({}.value)",
    "enum_value": "{}.value",
    "str": "str({})",
    "naive_utc": "naive_utc({})",
    "decimal": "Decimal({})",
    "float": "float({})",
    "json": "json_value({})",
}
_IMPORTS = {
    "naive_utc": "from svcforge.db import naive_utc",
    "decimal": "from decimal import Decimal",
    "json": "from svcforge.db import json_value",
}


def emit_stores(service: ir.Service, env: Environment) -> dict[str, str]:
    """``stores.py``, when a channel declares ``store``."""
    stored = [c for c in service.channels if c.store is not None]
    if not stored:
        return {}
    needed = {"from typing import Final", "from svcforge.db import StoreSpec"}
    blocks = []
    for channel in stored:
        assert channel.store is not None
        blocks.append(_block(service, channel, channel.store, needed))
    tables = [service.table(c.store.table) for c in stored if c.store is not None]
    messages = [
        m for m in service.messages if m.fullname in {c.message for c in stored}
    ]
    sources = [
        "pyproject.toml",
        *message_sources(service, messages),
        *(s for t in tables for s in t.sources),
    ]
    return {
        f"{service.generated_dir}/stores.py": env.get_template("stores.py.j2").render(
            header=header(sources),
            service=service.name,
            import_block=imports(needed),
            blocks=blocks,
            all_line=f"ALL: Final = {tuple_expr([c.constant for c in stored])}",
        )
    }


def _block(
    service: ir.Service, channel: ir.Channel, store: ir.Store, needed: set[str]
) -> dict[str, str]:
    message = next(m for m in service.messages if m.fullname == channel.message)
    table = service.table(store.table)
    needed.add(f"from .{message.module} import {message.py_name}")
    needed.add(f"from .db.{table.module} import {table.insert_class}")
    args = [f"{v.attribute}={_value(v, needed)}" for v in store.values]
    lines = [
        f"def {store.function}(message: {message.py_name}) -> {table.insert_class}:",
        *docstring(
            f"The row of ``{table.qualname}`` that stores a ``{channel.name}`` "
            "message.",
            INDENT,
        ),
        f"{INDENT}return {call(table.insert_class, args, magic=True)}",
    ]
    spec = call(
        "StoreSpec",
        [
            f"channel={py_str(channel.name)}",
            f"schema={py_str(table.schema)}",
            f"table={py_str(table.name)}",
            f"columns={tuple_expr([py_str(v.column) for v in store.values])}",
            f"attributes={tuple_expr([py_str(v.attribute) for v in store.values])}",
            f"key={tuple_expr([py_str(c) for c in store.key])}",
            f"on_conflict={py_str(store.on_conflict)}",
            f"row={store.function}",
        ],
        magic=True,
    )
    what = (
        "a message stored before leaves its row as it is"
        if store.on_conflict == "ignore"
        else "a message stored before updates its row"
    )
    doc = (
        f"``{channel.name}`` stored in ``{table.qualname}``, one row per key "
        f"({', '.join(store.key)}): {what}."
    )
    return {
        "function": "\n".join(lines),
        "spec": f"{channel.constant}: Final = {spec}",
        "doc": "\n".join(docstring("\n".join(textwrap.wrap(doc, 79)), "")),
    }


def _value(v: ir.StoreValue, needed: set[str]) -> str:
    """The expression of one column's value, from ``message``: None where a
    step of the path may be None, the conversion applied to the rest."""
    steps = ["message." + ".".join(v.path[: i + 1]) for i in range(len(v.path))]
    if v.convert in _IMPORTS:
        needed.add(_IMPORTS[v.convert])
    if v.convert == "enum":
        needed.add(f"from .db.enums import {v.enum_class}")
    expr = _CONVERSIONS[v.convert].format(steps[-1], cls=v.enum_class)
    if v.convert != "none" and v.nullable[-1]:
        expr = f"None if {steps[-1]} is None else {expr}"
    for i in reversed(range(len(v.path) - 1)):
        if v.nullable[i]:
            inner = f"({expr})" if " if " in expr else expr
            expr = f"None if {steps[i]} is None else {inner}"
    return expr

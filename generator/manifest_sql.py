"""``[tool.svcforge.sql.types]``: the Python type of a database type, or of
one column, where svcforge's default mapping is not what the service wants.

```toml
[tool.svcforge.sql.types]
geometry = "str"                  # every value of the (PostGIS) type
"public.ledger.amount" = "Decimal" # one column: [schema.]table.column
```

A key of three parts is a column; of one part a type; of two parts a column
when its first part is a table of the public schema, else ``schema.type``.
The value is one of ``PYTHON_TYPES``: the override changes the annotation of
the generated code, so asyncpg must decode the type to it (types svcforge
does not know are exchanged as text, a ``str``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.errors import Diagnostic, did_you_mean
from generator.ir import Span
from generator.tomlcheck import Where
from generator.tomlsource import TomlDocument

# Python annotation -> the import it needs ("" for built-ins).
PYTHON_TYPES = {
    "str": "",
    "bytes": "",
    "int": "",
    "float": "",
    "bool": "",
    "dict[str, str | None]": "",
    "list[float]": "",
    "list[int]": "",
    "list[str]": "",
    "Decimal": "from decimal import Decimal",
    "UUID": "from uuid import UUID",
    "date": "from datetime import date",
    "datetime": "from datetime import datetime",
    "time": "from datetime import time",
    "timedelta": "from datetime import timedelta",
    "JsonValue": "from svcforge.db import JsonValue",
    "Any": "from typing import Any",
}


@dataclass(frozen=True, slots=True)
class TypeOverride:
    key: str
    """As written: ``geometry``, ``public.geometry``, ``orders.total``..."""
    python: str
    span: Span

    @property
    def parts(self) -> list[str]:
        return self.key.split(".")


def parse_sql_table(
    table: object, doc: TomlDocument, errors: list[Diagnostic]
) -> tuple[TypeOverride, ...]:
    """``[tool.svcforge.sql]`` (only ``types`` for now); problems go to
    ``errors``."""
    where = Where(doc, ("tool", "svcforge", "sql"), "[tool.svcforge.sql]")
    if not isinstance(table, dict):
        return ()  # absent, or not a table: ServiceTable reports that
    for key in sorted(set(table) - {"types"}):
        errors.append(
            where.diagnostic((key,), f"unknown key {key!r}", "known keys: types")
        )
    types = table.get("types", {})
    if not isinstance(types, dict):
        errors.append(
            where.diagnostic(
                ("types",),
                f"types must be a table, found {types!r}",
                '[tool.svcforge.sql.types] with geometry = "str" for example',
            )
        )
        return ()
    where = Where(doc, (*where.path, "types"), "[tool.svcforge.sql.types]")
    out = []
    for key, value in types.items():
        problem = _override_problem(key, value)
        if problem:
            errors.append(where.diagnostic((key,), *problem))
        else:
            out.append(TypeOverride(key, str(value), where.span((key,), key=True)))
    return tuple(out)


def _override_problem(key: str, value: object) -> tuple[str, str] | None:
    if not re.fullmatch(r"[^.\s]+(\.[^.\s]+){0,2}", key):
        return (
            f"key {key!r} must be a type ([schema.]type) or a column "
            "([schema.]table.column)",
            "",
        )
    if value not in PYTHON_TYPES:
        return (
            f"{key!r}: unknown Python type {value!r}",
            did_you_mean(str(value), PYTHON_TYPES)
            + "one of: "
            + ", ".join(PYTHON_TYPES),
        )
    return None

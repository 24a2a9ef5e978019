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

from generator.errors import Diagnostic
from generator.ir import Span

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
    table: object, text: str, errors: list[Diagnostic]
) -> tuple[TypeOverride, ...]:
    """``[tool.svcforge.sql]`` (only ``types`` for now); problems go to
    ``errors``."""
    if table is None:
        return ()
    where = _line_of(text, r"\s*\[\s*(tool\s*\.\s*svcforge\s*\.\s*sql)\b")
    if not isinstance(table, dict):
        errors.append(Diagnostic(where, "[tool.svcforge] sql must be a table"))
        return ()
    for key in sorted(set(table) - {"types"}):
        errors.append(
            Diagnostic(
                where,
                f"unknown key {key!r} in [tool.svcforge.sql]",
                "known keys: types",
            )
        )
    types = table.get("types", {})
    if not isinstance(types, dict):
        errors.append(Diagnostic(where, "[tool.svcforge.sql] types must be a table"))
        return ()
    out = []
    for key, value in types.items():
        span = _line_of(text, rf'\s*("?{re.escape(key)}"?)\s*=')
        if not re.fullmatch(r"[^.\s]+(\.[^.\s]+){0,2}", key):
            errors.append(
                Diagnostic(
                    span,
                    f"[tool.svcforge.sql.types] key {key!r} must be a type "
                    "([schema.]type) or a column ([schema.]table.column)",
                )
            )
        elif value not in PYTHON_TYPES:
            errors.append(
                Diagnostic(
                    span,
                    f"[tool.svcforge.sql.types] {key!r}: unknown Python type {value!r}",
                    "one of: " + ", ".join(PYTHON_TYPES),
                )
            )
        else:
            out.append(TypeOverride(key, str(value), span))
    return tuple(out)


def _line_of(text: str, pattern: str) -> Span:
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(pattern, line)
        if m:
            return Span("pyproject.toml", n, m.start(1) + 1)
    return Span("pyproject.toml", 1, 1)

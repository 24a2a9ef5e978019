"""The settings groups the runtime defines (Kafka, Redis, PostgreSQL, logging,
the health and metrics endpoint), described for the generated settings, the
``.env.example`` and the configuration reference.

Read from the runtime's source with ``ast`` rather than imported: the generator
must not need the runtime's optional dependencies (importing
``svcforge.messaging`` pulls in structlog), and the source is the single
definition: the generated settings reuse these classes, never copy them.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import Any

from generator import ir

# Group attribute, runtime part ("" = always), module, class, source file.
# The parts are the manifest's ``uses``, ``avro`` (a channel carries Avro
# messages: the decode limits) and ``outbox`` (a channel is published through
# the outbox: its relay).
RUNTIME_GROUPS = (
    ("database", "postgres", "svcforge.db", "DatabaseSettings", "db/_database.py"),
    ("kafka", "kafka", "svcforge.messaging", "KafkaSettings", "messaging/_settings.py"),
    ("redis", "redis", "svcforge.messaging", "RedisSettings", "messaging/_settings.py"),
    ("avro", "avro", "svcforge.avro_binary", "AvroSettings", "_avro_limits.py"),
    ("outbox", "outbox", "svcforge.service", "OutboxSettings", "service/_settings.py"),
    ("http", "", "svcforge.service", "HttpSettings", "service/_settings.py"),
    ("logging", "", "svcforge.service", "LoggingSettings", "service/_settings.py"),
    ("runner", "", "svcforge.service", "RunnerSettings", "service/_settings.py"),
)
# Annotations whose values are secrets (shown masked, documented as such).
_SECRET_TYPES = frozenset({"SecretStr", "SecretUrl", "SecretBytes"})
_KINDS: dict[str, ir.SettingKind] = {
    "int": "integer",
    "float": "number",
    "bool": "boolean",
}
_CONSTRAINTS = ("ge", "gt", "le", "lt", "min_length", "max_length", "multiple_of")


def runtime_root() -> Path:
    import svcforge

    return Path(svcforge.__file__).resolve().parent


def runtime_groups(parts: tuple[str, ...]) -> list[tuple[str, ir.SettingsGroup]]:
    """``(attribute, group)`` of each runtime group the service gets."""
    return [
        (attr, describe(module, cls, source))
        for attr, part, module, cls, source in RUNTIME_GROUPS
        if not part or part in parts
    ]


@cache
def describe(module: str, cls: str, source: str) -> ir.SettingsGroup:
    path = runtime_root() / source
    tree = ast.parse(path.read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
    span = ir.Span(f"svcforge/{source}", node.lineno, node.col_offset + 1)
    settings = []
    body = node.body
    for i, stmt in enumerate(body):
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        name = stmt.target.id
        if name == "model_config":
            continue
        after = body[i + 1] if i + 1 < len(body) else None
        doc = ""
        if (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            doc = " ".join(after.value.value.split())
        default, constraints = _default(stmt.value)
        settings.append(
            ir.Setting(
                name=name,
                type=_type(stmt.annotation),
                span=ir.Span(span.path, stmt.lineno, stmt.col_offset + 1),
                default=default,
                doc=doc,
                secret=bool(_SECRET_TYPES & _names(stmt.annotation)),
                constraints=constraints,
            )
        )
    doc = ast.get_docstring(node) or ""
    return ir.SettingsGroup(
        py_name=cls,
        settings=tuple(settings),
        span=span,
        doc=" ".join(doc.split()),
        runtime=f"{module}:{cls}",
    )


def _default(
    value: ast.expr | None,
) -> tuple[Any, tuple[tuple[str, int | float | str], ...]]:
    constraints: list[tuple[str, int | float | str]] = []
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "Field"
    ):
        default: Any = ir.MISSING
        for kw in value.keywords:
            if kw.arg == "default":
                default = _literal(kw.value)
            elif kw.arg in _CONSTRAINTS:
                constraints.append((kw.arg, _literal(kw.value)))
        return default, tuple(constraints)
    if value is None:
        return ir.MISSING, ()
    return _literal(value), ()


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def _type(node: ast.expr) -> ir.SettingType:
    parts = _union(node)
    nullable = any(isinstance(p, ast.Constant) and p.value is None for p in parts)
    parts = [p for p in parts if not (isinstance(p, ast.Constant) and p.value is None)]
    first = parts[0] if parts else node
    if isinstance(first, ast.Subscript) and ast.unparse(first.value) == "Literal":
        elts = first.slice.elts if isinstance(first.slice, ast.Tuple) else [first.slice]
        choices = tuple(_literal(e) for e in elts)
        return ir.SettingType("string", choices=choices, nullable=nullable)
    kind = _KINDS.get(ast.unparse(first), "string")
    return ir.SettingType(kind, nullable=nullable)


def _names(node: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _union(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union(node.left) + _union(node.right)
    return [node]

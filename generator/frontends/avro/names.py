"""Avro names: the type kinds a name may not take, what a valid name is, and
how a name is qualified by its namespace (Avro 1.11, "Names")."""

from __future__ import annotations

import re

PRIMITIVES: frozenset[str] = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def valid_fullname(fullname: str) -> bool:
    return all(NAME.match(part) for part in fullname.split("."))


def qualify(name: str, namespace: str) -> str:
    """The fullname ``name`` stands for in ``namespace``: a dotted name is
    already full; an empty namespace is the null namespace."""
    return name if "." in name or not namespace else f"{namespace}.{name}"


def namespace_of(fullname: str) -> str:
    return fullname.rpartition(".")[0]

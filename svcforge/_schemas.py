"""Avro schemas as generated code carries them: every named type once.

``codecs.py`` holds each named type (record, enum, fixed) of the service's
messages as one line of compact JSON, in which other named types appear by
full name only; ``avro_schema`` puts a message's self-contained schema back
together at import, writing each named type in full at its first use (the
form the Avro specification and every Avro library read).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["avro_root_schema", "avro_schema"]


def avro_schema(fullname: str, types: Mapping[str, str]) -> dict[str, Any]:
    """The self-contained schema of the named type ``fullname``; ``types``
    holds the JSON of every named type it reaches, by full name."""
    parsed = {name: json.loads(text) for name, text in types.items()}
    written: set[str] = set()
    schema = _expand(fullname, parsed, written)
    if not isinstance(schema, dict):  # pragma: no cover - a name, first use
        raise ValueError(f"{fullname} is not a named type")
    return schema


def avro_root_schema(schema: Any, types: Mapping[str, str]) -> Any:
    """The self-contained schema of a message that is no record (a
    primitive, array, map or union, written with named types by full name);
    ``types`` holds the JSON of every named type it reaches."""
    parsed = {name: json.loads(text) for name, text in types.items()}
    return _expand(schema, parsed, set())


def _expand(node: Any, types: Mapping[str, Any], written: set[str]) -> Any:
    if isinstance(node, str):
        if node not in types or node in written:
            return node
        written.add(node)
        return _expand_named(types[node], types, written)
    if isinstance(node, list):
        return [_expand(branch, types, written) for branch in node]
    if isinstance(node, dict):
        return _expand_named(node, types, written)
    return node


def _expand_named(
    node: dict[str, Any], types: Mapping[str, Any], written: set[str]
) -> Any:
    out = dict(node)
    if "fields" in out:
        out["fields"] = [
            {**f, "type": _expand(f["type"], types, written)} for f in out["fields"]
        ]
    for key in ("items", "values"):
        if key in out:
            out[key] = _expand(out[key], types, written)
    if isinstance(out.get("type"), dict | list):
        out["type"] = _expand(out["type"], types, written)
    elif isinstance(out.get("type"), str) and out["type"] in types:
        return _expand(out["type"], types, written)
    return out

"""Type expressions -> IR types: names resolved against every collected
definition, primitives with their logical types, arrays, maps and unions."""

from __future__ import annotations

import difflib
from typing import Any, cast

from generator import ir
from generator.frontends.avro.logical import (
    LOGICAL_BASE,
    decimal,
    unknown,
    wrong_base,
)
from generator.frontends.avro.names import NAMED_KINDS, PRIMITIVES, qualify
from generator.frontends.avro.state import State, describe, text
from generator.jsonsource import JsonDocument, pointer


def resolve_type(
    state: State, doc: JsonDocument, ptr: str, node: Any, namespace: str
) -> ir.Type | None:
    """The IR type of the type expression ``node``, or None when it is
    reported as invalid."""
    # Nested arrays, maps and {"type": {...}} recurse here directly, one frame
    # per level, and primitives end here: deeply nested schemas reach Python's
    # recursion limit no sooner than through one function.
    match node:
        case str():
            return _name(state, doc, ptr, node, namespace)
        case list():
            return _union(state, doc, ptr, node, namespace)
        case {"type": dict() | list() as inner}:
            return resolve_type(state, doc, pointer(ptr, "type"), inner, namespace)
        case {"type": "array", "items": items}:
            item = resolve_type(state, doc, pointer(ptr, "items"), items, namespace)
            return None if item is None else ir.Array(item)
        case {"type": "map", "values": values}:
            value = resolve_type(state, doc, pointer(ptr, "values"), values, namespace)
            return None if value is None else ir.Map(value)
        case {"type": str() as kind} if kind in PRIMITIVES:
            return _primitive(state, doc, ptr, node, kind)
        case dict():
            return _type_object(state, doc, ptr, node, namespace)
    state.error(doc, ptr, f"expected a type, found {describe(node)}")
    return None


def _type_object(
    state: State, doc: JsonDocument, ptr: str, node: dict[str, Any], namespace: str
) -> ir.Type | None:
    """A ``{"type": name, ...}`` object that is not a nested type expression,
    a primitive, nor an array or map with its items or values."""
    match node.get("type"):
        case None:
            state.error(doc, ptr, 'a type object needs a "type"')
        case str() as kind if kind in NAMED_KINDS:
            # Defined in pass 1; an invalid definition was reported there.
            fullname = qualify(
                str(node.get("name", "")), node.get("namespace", namespace) or ""
            )
            return ir.Ref(fullname) if fullname in state.definitions else None
        case "array":
            state.error(doc, ptr, 'array needs "items"')
        case "map":
            state.error(doc, ptr, 'map needs "values"')
        case str() as kind:
            # {"type": "SomeNamedType"} refers to a named type.
            return _name(state, doc, pointer(ptr, "type"), kind, namespace)
        case kind:
            state.error(
                doc,
                pointer(ptr, "type"),
                f"expected a type name, found {describe(kind)}",
            )
    return None


def _primitive(
    state: State, doc: JsonDocument, ptr: str, node: dict[str, Any], kind: str
) -> ir.Type | None:
    lname = text(node.get("logicalType"))
    if lname is None or lname not in LOGICAL_BASE:
        if lname is not None:
            unknown(state, doc, ptr, lname, kind)
        return ir.Primitive(cast(ir.PrimitiveName, kind))
    if kind not in LOGICAL_BASE[lname]:
        wrong_base(state, doc, ptr, lname, kind)
        return None
    if lname == "decimal":
        return decimal(state, doc, ptr, node, fixed=None, size=0)
    return ir.Logical(cast(ir.LogicalName, lname), base=cast(ir.PrimitiveName, kind))


def _name(
    state: State, doc: JsonDocument, ptr: str, name: str, namespace: str
) -> ir.Type | None:
    if name in PRIMITIVES:
        return ir.Primitive(cast(ir.PrimitiveName, name))
    if name in NAMED_KINDS or name in ("array", "map"):
        state.error(
            doc,
            ptr,
            f"{name!r} must be written as an object with its "
            'attributes, e.g. {"type": "' + name + '", ...}',
        )
        return None
    full = qualify(name, namespace)
    if full in state.definitions:
        return ir.Ref(full)
    if full != name and name in state.definitions:
        # Some parsers fall back to the null namespace; Avro names do not, and
        # no reference written inside a namespace could name this type.
        state.error(
            doc,
            ptr,
            f"unknown type {name!r}: inside namespace {namespace!r} it means "
            f"{full!r}; the type {name!r} of the null namespace cannot be "
            "named here",
            f"give {name!r} a namespace, or define it here",
        )
        return None
    close = _suggest(state, name, namespace)
    state.error(
        doc,
        ptr,
        f"unknown type {name!r}",
        f"did you mean {close!r}?"
        if close
        else "named types must be defined in a file under schemas/messages",
    )
    return None


def _suggest(state: State, name: str, namespace: str) -> str:
    """The defined type (or primitive) ``name`` most likely meant, spelled
    as it would be written here; '' when nothing is close."""
    spellings: dict[str, str] = {p: p for p in PRIMITIVES}
    for full in sorted(state.definitions):
        ns, _, short = full.rpartition(".")
        spellings.setdefault(full, full)
        spellings.setdefault(short, short if ns == namespace else full)
    close = difflib.get_close_matches(name, sorted(spellings), n=1)
    return spellings[close[0]] if close else ""


def _union(
    state: State, doc: JsonDocument, ptr: str, node: list[Any], namespace: str
) -> ir.Type | None:
    if not node:
        state.error(doc, ptr, "a union needs at least one branch")
        return None
    branches: list[ir.Type] = []
    seen: dict[str, int] = {}
    ok = True
    for i, b in enumerate(node):
        bptr = pointer(ptr, i)
        t = resolve_type(state, doc, bptr, b, namespace)
        if t is None:
            ok = False
            continue
        if isinstance(t, ir.Union) or isinstance(b, list):
            state.error(doc, bptr, "a union may not directly contain another union")
            ok = False
            continue
        key = union_key(t)
        if key in seen:
            state.error(
                doc,
                bptr,
                f"union has more than one {key} branch",
                f"branch {seen[key]} is already {key}",
            )
            ok = False
            continue
        seen[key] = i
        branches.append(t)
    return ir.Union(tuple(branches)) if ok else None


def union_key(t: ir.Type) -> str:
    """What a union may hold only one branch of, as diagnostics name it."""
    match t:
        case ir.Primitive(name):
            return name
        case ir.Logical(base=base, fixed=fixed):
            return base or f"named type {fixed!r}"
        case ir.Array():
            return "array"
        case ir.Map():
            return "map"
        case ir.Ref(fullname):
            return f"named type {fullname!r}"
    return repr(t)

"""Pass 2: each collected definition -> its IR record, enum or fixed."""

from __future__ import annotations

from typing import Any

from generator import ir
from generator.frontends.avro.logical import (
    LOGICAL_BASE,
    decimal,
    unknown,
    wrong_base,
)
from generator.frontends.avro.names import NAME, namespace_of, qualify, valid_fullname
from generator.frontends.avro.resolve import resolve_type
from generator.frontends.avro.state import Definition, State, describe, text
from generator.jsonsource import JsonDocument, pointer
from generator.naming import enum_member_names, field_names

MAX_FIXED = 2**31 - 1  # Java and C size a fixed with a 32-bit int


def build_named(state: State, d: Definition, py_name: str) -> ir.NamedType | None:
    """The IR type of a definition, named ``py_name`` in Python; None when it
    is reported as invalid."""
    match d.kind:
        case "record":
            return _record(state, d, py_name)
        case "enum":
            return _enum(state, d, py_name)
    return _fixed(state, d, py_name)


def _common(state: State, d: Definition) -> tuple[str, tuple[str, ...]]:
    """The ``doc`` and the fully qualified ``aliases`` every named type has."""
    doc = d.node.get("doc", "")
    if not isinstance(doc, str):
        state.error(d.doc, pointer(d.ptr, "doc"), '"doc" must be a string')
        doc = ""
    aliases = d.node.get("aliases", [])
    aptr = pointer(d.ptr, "aliases")
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        state.error(d.doc, aptr, '"aliases" must be a list of names')
        return doc, ()
    namespace = namespace_of(d.fullname)
    for i, alias in enumerate(aliases):
        if not valid_fullname(alias):
            state.error(d.doc, pointer(aptr, i), f"invalid alias {alias!r}")
    return doc, tuple(qualify(alias, namespace) for alias in aliases)


# --- records -----------------------------------------------------------------


def _record(state: State, d: Definition, py_name: str) -> ir.Record | None:
    doc_text, aliases = _common(state, d)
    fields_node = d.node.get("fields")
    fptr = pointer(d.ptr, "fields")
    if not isinstance(fields_node, list):
        state.error(
            d.doc,
            d.ptr if fields_node is None else fptr,
            f'record {d.fullname!r} needs a "fields" list'
            + ("" if fields_node is None else f", found {describe(fields_node)}"),
        )
        return None
    declared = _declared_fields(state, d, fptr, fields_node)
    py_names = field_names(name for name, _, _ in declared)
    fields = []
    for (name, f, ptr), py_field in zip(declared, py_names, strict=True):
        built = _field(state, d, ptr, f, name, py_field)
        if built is not None:
            fields.append(built)
    return ir.Record(
        d.fullname, py_name, tuple(fields), d.doc.span(d.ptr), doc_text, aliases
    )


def _declared_fields(
    state: State, d: Definition, fptr: str, fields_node: list[Any]
) -> list[tuple[str, dict[str, Any], str]]:
    """``(name, field object, pointer)`` of each field with a valid, unique
    name and a type; the others are reported."""
    seen: dict[str, str] = {}
    declared: list[tuple[str, dict[str, Any], str]] = []
    for i, f in enumerate(fields_node):
        ptr = pointer(fptr, i)
        if not isinstance(f, dict):
            state.error(d.doc, ptr, f"a field must be an object, found {describe(f)}")
            continue
        name = f.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            state.error(
                d.doc,
                pointer(ptr, "name") if "name" in f else ptr,
                'field is missing its "name"'
                if name is None
                else f"invalid field name {name!r}",
            )
            continue
        if name in seen:
            state.error(
                d.doc,
                pointer(ptr, "name"),
                f"duplicate field {name!r} in record {d.fullname!r}",
                f"first declared at {d.doc.span(pointer(seen[name], 'name'))}",
            )
            continue
        seen[name] = ptr
        if "type" not in f:
            state.error(d.doc, ptr, f'field {name!r} is missing its "type"')
            continue
        declared.append((name, f, ptr))
    return declared


def _field(
    state: State,
    d: Definition,
    ptr: str,
    f: dict[str, Any],
    name: str,
    py_name: str,
) -> ir.Field | None:
    type_ = resolve_type(
        state, d.doc, pointer(ptr, "type"), f["type"], namespace_of(d.fullname)
    )
    fdoc = f.get("doc", "")
    if not isinstance(fdoc, str):
        state.error(d.doc, pointer(ptr, "doc"), '"doc" must be a string')
        fdoc = ""
    order = f.get("order", "ascending")
    if order not in ("ascending", "descending", "ignore"):
        state.error(
            d.doc,
            pointer(ptr, "order"),
            f"invalid order {order!r}: expected ascending, descending or ignore",
        )
        order = "ascending"
    aliases = _field_aliases(state, d.doc, ptr, f)
    if type_ is None:
        return None
    if "default" in f:
        state.default_spans[d.fullname, name] = d.doc.span(pointer(ptr, "default"))
    return ir.Field(
        name=name,
        py_name=py_name,
        type=type_,
        span=d.doc.span(ptr),
        default=f.get("default", ir.MISSING),
        doc=fdoc,
        aliases=aliases,
        order=order,
    )


def _field_aliases(
    state: State, doc: JsonDocument, ptr: str, f: dict[str, Any]
) -> tuple[str, ...]:
    aliases = f.get("aliases", [])
    if not isinstance(aliases, list) or not all(
        isinstance(a, str) and NAME.match(a) for a in aliases
    ):
        state.error(
            doc,
            pointer(ptr, "aliases"),
            'field "aliases" must be a list of simple names',
        )
        return ()
    return tuple(aliases)


# --- enums and fixed ---------------------------------------------------------


def _enum(state: State, d: Definition, py_name: str) -> ir.Enum | None:
    doc_text, aliases = _common(state, d)
    symbols = d.node.get("symbols")
    sptr = pointer(d.ptr, "symbols")
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        state.error(
            d.doc,
            d.ptr if symbols is None else sptr,
            f'enum {d.fullname!r} needs a "symbols" list of strings'
            + ("" if symbols is None else f", found {describe(symbols)}"),
        )
        return None
    if not symbols:
        state.error(d.doc, sptr, f"enum {d.fullname!r} has no symbols: it has no value")
        return None
    ok = _symbols_ok(state, d.doc, sptr, symbols)
    default = d.node.get("default")
    if default is not None and default not in symbols:
        state.error(
            d.doc,
            pointer(d.ptr, "default"),
            f"enum default {default!r} is not one of the symbols {', '.join(symbols)}",
        )
        ok = False
    if not ok:
        return None
    members = [
        ir.EnumSymbol(s, py)
        for s, py in zip(symbols, enum_member_names(symbols), strict=True)
    ]
    return ir.Enum(
        d.fullname,
        py_name,
        tuple(members),
        d.doc.span(d.ptr),
        default,
        doc_text,
        aliases,
    )


def _symbols_ok(state: State, doc: JsonDocument, sptr: str, symbols: list[str]) -> bool:
    """Whether every symbol is a valid name, used once; reports the others."""
    ok = True
    seen: set[str] = set()
    for i, s in enumerate(symbols):
        if not NAME.match(s):
            state.error(
                doc,
                pointer(sptr, i),
                f"invalid enum symbol {s!r}",
                "symbols are letters, digits and underscores, "
                "not starting with a digit",
            )
            ok = False
        elif s in seen:
            state.error(doc, pointer(sptr, i), f"duplicate enum symbol {s!r}")
            ok = False
        seen.add(s)
    return ok


def _fixed(state: State, d: Definition, py_name: str) -> ir.Fixed | None:
    doc_text, aliases = _common(state, d)
    size = d.node.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        state.error(
            d.doc,
            d.ptr if size is None else pointer(d.ptr, "size"),
            f'fixed {d.fullname!r} needs a non-negative integer "size"'
            + ("" if size is None else f", found {describe(size)}"),
        )
        return None
    if size > MAX_FIXED:
        state.error(
            d.doc,
            pointer(d.ptr, "size"),
            f"fixed {d.fullname!r} is {size} bytes, more than the {MAX_FIXED} "
            "that Avro implementations support",
        )
        return None
    logical = None
    lname = text(d.node.get("logicalType"))
    if lname == "decimal":
        logical = decimal(state, d.doc, d.ptr, d.node, fixed=d.fullname, size=size)
        if logical is None:
            return None
    elif lname == "uuid":
        if size != 16:
            state.error(
                d.doc,
                pointer(d.ptr, "size"),
                f"logical type 'uuid' annotates a fixed of 16 bytes, not {size}",
            )
            return None
        logical = ir.Logical("uuid", fixed=d.fullname)
    elif lname in LOGICAL_BASE:
        wrong_base(state, d.doc, d.ptr, lname, "fixed")
        return None
    elif lname is not None:
        unknown(state, d.doc, d.ptr, lname, "fixed")
    return ir.Fixed(
        d.fullname, py_name, size, d.doc.span(d.ptr), logical, doc_text, aliases
    )

"""Avro front-end: ``schemas/messages/**/*.avsc`` -> IR named types and messages.

Follows the Avro 1.11 specification.  Named types may be referenced from any
file, in any order, so definitions are collected from every file first and
references resolved afterwards.  Every problem is collected with the file, line
and column where it was written.

Deliberate departures from the letter of the spec, chosen because a generator
should not silently drop what the author asked for:

* A *known* logical type on the wrong underlying type, or a decimal with bad
  precision/scale, is an error (the spec says readers should ignore it).
  Unknown logical type names are ignored, as the spec says.
"""

from __future__ import annotations

import difflib
import math
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.jsonsource import JsonDocument, pointer
from generator.naming import class_names, enum_member_names, field_names

PRIMITIVES: frozenset[str] = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
_NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LOGICAL_BASE: dict[str, tuple[str, ...]] = {
    "date": ("int",),
    "time-millis": ("int",),
    "time-micros": ("long",),
    "timestamp-millis": ("long",),
    "timestamp-micros": ("long",),
    "local-timestamp-millis": ("long",),
    "local-timestamp-micros": ("long",),
    "uuid": ("string",),
    "decimal": ("bytes", "fixed"),
}
_MAX_FIXED = 2**31 - 1  # Java and C size a fixed with a 32-bit int
_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


@dataclass(slots=True)
class _Definition:
    """A named type as written: where, and in which enclosing namespace."""

    doc: JsonDocument
    ptr: str
    node: dict[str, Any]
    fullname: str
    kind: str
    top_level: bool


@dataclass(slots=True)
class _State:
    definitions: dict[str, _Definition] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    default_spans: dict[tuple[str, str], ir.Span] = field(default_factory=dict)
    """Where each field default was written, by record and field name."""

    def error(self, doc: JsonDocument, ptr: str, message: str, hint: str = "") -> None:
        self.diagnostics.append(Diagnostic(doc.span(ptr), message, hint))


def parse_avro(
    documents: Sequence[JsonDocument],
) -> tuple[tuple[ir.NamedType, ...], tuple[ir.Message, ...]]:
    """Turn parsed ``.avsc`` documents into IR; raise ``SchemaError`` listing
    every problem found."""
    state = _State()
    for doc in sorted(documents, key=lambda d: d.path):
        _collect_file(state, doc)
    if state.diagnostics:
        raise SchemaError(state.diagnostics)

    names = class_names(state.definitions)
    builder = _Builder(state, names)
    named = [builder.build(d) for d in state.definitions.values()]
    types = {t.fullname: t for t in named if t is not None}
    if not state.diagnostics:
        _check_defaults(state, types)
        _check_cycles(state, types)
    if state.diagnostics:
        raise SchemaError(state.diagnostics)

    messages = tuple(
        sorted(
            (
                ir.Message(d.fullname, d.doc.path)
                for d in state.definitions.values()
                if d.top_level and d.kind in ("record", "error")
            ),
            key=lambda m: m.fullname,
        )
    )
    return tuple(sorted(types.values(), key=lambda t: t.fullname)), messages


# --- pass 1: collect every named definition ---------------------------------


def _collect_file(state: _State, doc: JsonDocument) -> None:
    roots: list[tuple[str, Any]]
    if isinstance(doc.value, list):
        roots = [(pointer("", i), v) for i, v in enumerate(doc.value)]
    else:
        roots = [("", doc.value)]
    if not roots:
        state.error(doc, "", "empty schema file: expected a named type or a list")
    for ptr, node in roots:
        if not (isinstance(node, dict) and _text(node.get("type")) in _NAMED_KINDS):
            state.error(
                doc,
                ptr,
                "a message schema file must define a record, enum or fixed "
                "(or a list of them) at the top level",
                f"found {_describe(node)}",
            )
            continue
        _collect(state, doc, ptr, node, "", top_level=True)


def _collect(
    state: _State,
    doc: JsonDocument,
    ptr: str,
    node: Any,
    namespace: str,
    *,
    top_level: bool = False,
) -> None:
    """Walk a type expression, registering named types it defines."""
    if isinstance(node, list):
        for i, branch in enumerate(node):
            _collect(state, doc, pointer(ptr, i), branch, namespace)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if isinstance(kind, str) and kind in _NAMED_KINDS:
        fullname = _define(state, doc, ptr, node, namespace, kind, top_level)
        if fullname is None or kind not in ("record", "error"):
            return
        inner_ns = fullname.rpartition(".")[0]
        fields = node.get("fields")
        if isinstance(fields, list):
            for i, f in enumerate(fields):
                if isinstance(f, dict) and "type" in f:
                    fptr = pointer(pointer(ptr, "fields"), i)
                    _collect(state, doc, pointer(fptr, "type"), f["type"], inner_ns)
    elif kind == "array" and "items" in node:
        _collect(state, doc, pointer(ptr, "items"), node["items"], namespace)
    elif kind == "map" and "values" in node:
        _collect(state, doc, pointer(ptr, "values"), node["values"], namespace)
    elif isinstance(kind, dict | list):
        _collect(state, doc, pointer(ptr, "type"), kind, namespace)


def _define(
    state: _State,
    doc: JsonDocument,
    ptr: str,
    node: dict[str, Any],
    namespace: str,
    kind: str,
    top_level: bool,
) -> str | None:
    name = node.get("name")
    if not isinstance(name, str):
        state.error(
            doc,
            ptr,
            f'{kind} is missing its "name"'
            if name is None
            else f'"name" must be a string, found {_describe(name)}',
        )
        return None
    ns = node.get("namespace", namespace)
    if "namespace" in node and not isinstance(ns, str | None):
        state.error(doc, pointer(ptr, "namespace"), '"namespace" must be a string')
        return None
    ns = ns or ""
    fullname = name if "." in name else (f"{ns}.{name}" if ns else name)
    if not _valid_fullname(fullname):
        where = (
            pointer(ptr, "namespace")
            if "namespace" in node and "." not in name
            else pointer(ptr, "name")
        )
        state.error(
            doc,
            where,
            f"invalid name {fullname!r}",
            "names are letters, digits and underscores, not starting "
            "with a digit, joined by dots",
        )
        return None
    if fullname.rpartition(".")[2] in PRIMITIVES:
        state.error(
            doc,
            pointer(ptr, "name"),
            f"{fullname!r} redefines the primitive type "
            f"{fullname.rpartition('.')[2]!r}",
        )
        return None
    first = state.definitions.get(fullname)
    if first is not None:
        state.error(
            doc,
            pointer(ptr, "name"),
            f"duplicate definition of {fullname!r}",
            f"first defined at {first.doc.span(pointer(first.ptr, 'name'))}",
        )
        return None
    state.definitions[fullname] = _Definition(
        doc, ptr, node, fullname, "record" if kind == "error" else kind, top_level
    )
    return fullname


def _valid_fullname(fullname: str) -> bool:
    return all(_NAME.match(part) for part in fullname.split("."))


# --- pass 2: build IR --------------------------------------------------------


class _Builder:
    def __init__(self, state: _State, names: dict[str, str]) -> None:
        self.state = state
        self.names = names

    def err(self, doc: JsonDocument, ptr: str, message: str, hint: str = "") -> None:
        self.state.error(doc, ptr, message, hint)

    def build(self, d: _Definition) -> ir.NamedType | None:
        if d.kind == "record":
            return self._record(d)
        if d.kind == "enum":
            return self._enum(d)
        return self._fixed(d)

    def _common(self, d: _Definition) -> tuple[str, tuple[str, ...]]:
        doc = d.node.get("doc", "")
        if not isinstance(doc, str):
            self.err(d.doc, pointer(d.ptr, "doc"), '"doc" must be a string')
            doc = ""
        return doc, self._aliases(d.doc, d.ptr, d.node, d.fullname.rpartition(".")[0])

    def _aliases(
        self, doc: JsonDocument, ptr: str, node: dict[str, Any], namespace: str
    ) -> tuple[str, ...]:
        aliases = node.get("aliases", [])
        aptr = pointer(ptr, "aliases")
        if not isinstance(aliases, list) or not all(
            isinstance(a, str) for a in aliases
        ):
            self.err(doc, aptr, '"aliases" must be a list of names')
            return ()
        out = []
        for i, alias in enumerate(aliases):
            if not _valid_fullname(alias):
                self.err(doc, pointer(aptr, i), f"invalid alias {alias!r}")
            out.append(
                alias if "." in alias or not namespace else f"{namespace}.{alias}"
            )
        return tuple(out)

    def _record(self, d: _Definition) -> ir.Record | None:
        doc_text, aliases = self._common(d)
        fields_node = d.node.get("fields")
        fptr = pointer(d.ptr, "fields")
        if not isinstance(fields_node, list):
            self.err(
                d.doc,
                d.ptr if fields_node is None else fptr,
                f'record {d.fullname!r} needs a "fields" list'
                + ("" if fields_node is None else f", found {_describe(fields_node)}"),
            )
            return None
        namespace = d.fullname.rpartition(".")[0]
        seen: dict[str, str] = {}
        parsed: list[tuple[str, dict[str, Any], str]] = []
        for i, f in enumerate(fields_node):
            ptr = pointer(fptr, i)
            if not isinstance(f, dict):
                self.err(d.doc, ptr, f"a field must be an object, found {_describe(f)}")
                continue
            name = f.get("name")
            if not isinstance(name, str) or not _NAME.match(name):
                self.err(
                    d.doc,
                    pointer(ptr, "name") if "name" in f else ptr,
                    'field is missing its "name"'
                    if name is None
                    else f"invalid field name {name!r}",
                )
                continue
            if name in seen:
                self.err(
                    d.doc,
                    pointer(ptr, "name"),
                    f"duplicate field {name!r} in record {d.fullname!r}",
                    f"first declared at {d.doc.span(pointer(seen[name], 'name'))}",
                )
                continue
            seen[name] = ptr
            if "type" not in f:
                self.err(d.doc, ptr, f'field {name!r} is missing its "type"')
                continue
            parsed.append((name, f, ptr))
        py_names = field_names(name for name, _, _ in parsed)
        fields = []
        for (name, f, ptr), py_name in zip(parsed, py_names, strict=True):
            type_ = self.type(d.doc, pointer(ptr, "type"), f["type"], namespace)
            fdoc = f.get("doc", "")
            if not isinstance(fdoc, str):
                self.err(d.doc, pointer(ptr, "doc"), '"doc" must be a string')
                fdoc = ""
            order = f.get("order", "ascending")
            if order not in ("ascending", "descending", "ignore"):
                self.err(
                    d.doc,
                    pointer(ptr, "order"),
                    f"invalid order {order!r}: expected ascending, "
                    "descending or ignore",
                )
                order = "ascending"
            aliases_f = self._field_aliases(d.doc, ptr, f)
            if type_ is None:
                continue
            if "default" in f:
                self.state.default_spans[d.fullname, name] = d.doc.span(
                    pointer(ptr, "default")
                )
            fields.append(
                ir.Field(
                    name=name,
                    py_name=py_name,
                    type=type_,
                    span=d.doc.span(ptr),
                    default=f.get("default", ir.MISSING),
                    doc=fdoc,
                    aliases=aliases_f,
                    order=order,
                )
            )
        return ir.Record(
            d.fullname,
            self.names[d.fullname],
            tuple(fields),
            d.doc.span(d.ptr),
            doc_text,
            aliases,
        )

    def _field_aliases(
        self, doc: JsonDocument, ptr: str, f: dict[str, Any]
    ) -> tuple[str, ...]:
        aliases = f.get("aliases", [])
        if not isinstance(aliases, list) or not all(
            isinstance(a, str) and _NAME.match(a) for a in aliases
        ):
            self.err(
                doc,
                pointer(ptr, "aliases"),
                'field "aliases" must be a list of simple names',
            )
            return ()
        return tuple(aliases)

    def _enum(self, d: _Definition) -> ir.Enum | None:
        doc_text, aliases = self._common(d)
        symbols = d.node.get("symbols")
        sptr = pointer(d.ptr, "symbols")
        if not isinstance(symbols, list) or not all(
            isinstance(s, str) for s in symbols
        ):
            self.err(
                d.doc,
                d.ptr if symbols is None else sptr,
                f'enum {d.fullname!r} needs a "symbols" list of strings'
                + ("" if symbols is None else f", found {_describe(symbols)}"),
            )
            return None
        ok = True
        seen: set[str] = set()
        for i, s in enumerate(symbols):
            if not _NAME.match(s):
                self.err(
                    d.doc,
                    pointer(sptr, i),
                    f"invalid enum symbol {s!r}",
                    "symbols are letters, digits and underscores, "
                    "not starting with a digit",
                )
                ok = False
            elif s in seen:
                self.err(d.doc, pointer(sptr, i), f"duplicate enum symbol {s!r}")
                ok = False
            seen.add(s)
        default = d.node.get("default")
        if default is not None and default not in symbols:
            self.err(
                d.doc,
                pointer(d.ptr, "default"),
                f"enum default {default!r} is not one of the symbols "
                f"{', '.join(symbols)}",
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
            self.names[d.fullname],
            tuple(members),
            d.doc.span(d.ptr),
            default,
            doc_text,
            aliases,
        )

    def _fixed(self, d: _Definition) -> ir.Fixed | None:
        doc_text, aliases = self._common(d)
        size = d.node.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            self.err(
                d.doc,
                d.ptr if size is None else pointer(d.ptr, "size"),
                f'fixed {d.fullname!r} needs a non-negative integer "size"'
                + ("" if size is None else f", found {_describe(size)}"),
            )
            return None
        if size > _MAX_FIXED:
            self.err(
                d.doc,
                pointer(d.ptr, "size"),
                f"fixed {d.fullname!r} is {size} bytes, more than the {_MAX_FIXED} "
                "that Avro implementations support",
            )
            return None
        logical = None
        lname = _text(d.node.get("logicalType"))
        if lname == "decimal":
            logical = self._decimal(d.doc, d.ptr, d.node, fixed=d.fullname, size=size)
            if logical is None:
                return None
        elif lname in _LOGICAL_BASE:
            self._wrong_base(d.doc, d.ptr, lname, "fixed")
            return None
        return ir.Fixed(
            d.fullname,
            self.names[d.fullname],
            size,
            d.doc.span(d.ptr),
            logical,
            doc_text,
            aliases,
        )

    # --- type expressions ---

    def type(
        self, doc: JsonDocument, ptr: str, node: Any, namespace: str
    ) -> ir.Type | None:
        if isinstance(node, str):
            return self._name(doc, ptr, node, namespace)
        if isinstance(node, list):
            return self._union(doc, ptr, node, namespace)
        if not isinstance(node, dict):
            self.err(doc, ptr, f"expected a type, found {_describe(node)}")
            return None
        kind = node.get("type")
        if kind is None:
            self.err(doc, ptr, 'a type object needs a "type"')
            return None
        if isinstance(kind, dict | list):
            return self.type(doc, pointer(ptr, "type"), kind, namespace)
        if not isinstance(kind, str):
            self.err(
                doc,
                pointer(ptr, "type"),
                f"expected a type name, found {_describe(kind)}",
            )
            return None
        if kind in _NAMED_KINDS:
            fullname = self._inline_fullname(node, namespace)
            return ir.Ref(fullname) if fullname in self.state.definitions else None
        if kind == "array":
            if "items" not in node:
                self.err(doc, ptr, 'array needs "items"')
                return None
            items = self.type(doc, pointer(ptr, "items"), node["items"], namespace)
            return None if items is None else ir.Array(items)
        if kind == "map":
            if "values" not in node:
                self.err(doc, ptr, 'map needs "values"')
                return None
            values = self.type(doc, pointer(ptr, "values"), node["values"], namespace)
            return None if values is None else ir.Map(values)
        if kind in PRIMITIVES:
            return self._primitive(doc, ptr, node, kind)
        # {"type": "SomeNamedType"} refers to a named type.
        return self._name(doc, pointer(ptr, "type"), kind, namespace)

    def _inline_fullname(self, node: dict[str, Any], namespace: str) -> str:
        name = str(node.get("name", ""))
        ns = node.get("namespace", namespace) or ""
        return name if "." in name else (f"{ns}.{name}" if ns else name)

    def _primitive(
        self, doc: JsonDocument, ptr: str, node: dict[str, Any], kind: str
    ) -> ir.Type | None:
        lname = _text(node.get("logicalType"))
        if lname is None or lname not in _LOGICAL_BASE:
            return ir.Primitive(cast(ir.PrimitiveName, kind))
        if kind not in _LOGICAL_BASE[lname]:
            self._wrong_base(doc, ptr, lname, kind)
            return None
        if lname == "decimal":
            return self._decimal(doc, ptr, node, fixed=None, size=0)
        return ir.Logical(
            cast(ir.LogicalName, lname), base=cast(ir.PrimitiveName, kind)
        )

    def _wrong_base(self, doc: JsonDocument, ptr: str, lname: str, kind: str) -> None:
        expected = " or ".join(_LOGICAL_BASE[lname])
        self.err(
            doc,
            pointer(ptr, "logicalType"),
            f"logical type {lname!r} annotates {expected}, not {kind}",
        )

    def _decimal(
        self,
        doc: JsonDocument,
        ptr: str,
        node: dict[str, Any],
        *,
        fixed: str | None,
        size: int,
    ) -> ir.Logical | None:
        precision = node.get("precision")
        scale = node.get("scale", 0)
        if (
            not isinstance(precision, int)
            or isinstance(precision, bool)
            or precision < 1
        ):
            self.err(
                doc,
                pointer(ptr, "precision") if "precision" in node else ptr,
                'decimal needs an integer "precision" of at least 1',
            )
            return None
        if (
            not isinstance(scale, int)
            or isinstance(scale, bool)
            or not 0 <= scale <= precision
        ):
            self.err(
                doc,
                pointer(ptr, "scale"),
                f'decimal "scale" must be an integer from 0 to the precision '
                f"({precision}), found {scale!r}",
            )
            return None
        if fixed is not None:
            most = _max_decimal_digits(size)
            if precision > most:
                self.err(
                    doc,
                    pointer(ptr, "precision"),
                    f"fixed of {size} bytes holds at most {most} decimal digits, "
                    f"precision is {precision}",
                )
                return None
        base: ir.PrimitiveName | None = None if fixed else "bytes"
        return ir.Logical(
            "decimal", base=base, fixed=fixed, precision=precision, scale=scale
        )

    def _name(
        self, doc: JsonDocument, ptr: str, name: str, namespace: str
    ) -> ir.Type | None:
        if name in PRIMITIVES:
            return ir.Primitive(cast(ir.PrimitiveName, name))
        if name in _NAMED_KINDS or name in ("array", "map"):
            self.err(
                doc,
                ptr,
                f"{name!r} must be written as an object with its "
                'attributes, e.g. {"type": "' + name + '", ...}',
            )
            return None
        candidates = (
            [name]
            if "." in name
            else ([f"{namespace}.{name}", name] if namespace else [name])
        )
        for full in candidates:
            if full in self.state.definitions:
                return ir.Ref(full)
        close = self._suggest(name, namespace)
        self.err(
            doc,
            ptr,
            f"unknown type {name!r}",
            f"did you mean {close!r}?"
            if close
            else "named types must be defined in a file under schemas/messages",
        )
        return None

    def _suggest(self, name: str, namespace: str) -> str:
        """The defined type (or primitive) ``name`` most likely meant, spelled
        as it would be written here; '' when nothing is close."""
        spellings: dict[str, str] = {p: p for p in PRIMITIVES}
        for full in sorted(self.state.definitions):
            ns, _, short = full.rpartition(".")
            spellings.setdefault(full, full)
            spellings.setdefault(short, short if ns == namespace else full)
        close = difflib.get_close_matches(name, sorted(spellings), n=1)
        return spellings[close[0]] if close else ""

    def _union(
        self, doc: JsonDocument, ptr: str, node: list[Any], namespace: str
    ) -> ir.Type | None:
        if not node:
            self.err(doc, ptr, "a union needs at least one branch")
            return None
        branches: list[ir.Type] = []
        seen: dict[str, int] = {}
        ok = True
        for i, b in enumerate(node):
            bptr = pointer(ptr, i)
            t = self.type(doc, bptr, b, namespace)
            if t is None:
                ok = False
                continue
            if isinstance(t, ir.Union) or isinstance(b, list):
                self.err(doc, bptr, "a union may not directly contain another union")
                ok = False
                continue
            key = _union_key(t)
            if key in seen:
                self.err(
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


def _union_key(t: ir.Type) -> str:
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


def _max_decimal_digits(size: int) -> int:
    """How many decimal digits a two's-complement number of ``size`` bytes
    always holds: floor(log10(2 ** (8 * size - 1) - 1))."""
    if size == 0:
        return 0
    if size > 4096:  # no exact big integer for absurd sizes
        return int((8 * size - 1) * math.log10(2))
    return len(str(2 ** (8 * size - 1) - 1)) - 1


def _text(value: Any) -> str | None:
    """``value`` if it is a string: JSON objects and lists are not hashable."""
    return value if isinstance(value, str) else None


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    return "an object"


# --- whole-schema checks -----------------------------------------------------


def _check_defaults(state: _State, types: dict[str, ir.NamedType]) -> None:
    for t in types.values():
        if not isinstance(t, ir.Record):
            continue
        for f in t.fields:
            if f.default is ir.MISSING:
                continue
            problem = default_problem(f.default, f.type, types)
            if problem:
                span = state.default_spans.get((t.fullname, f.name), f.span)
                state.diagnostics.append(
                    Diagnostic(
                        span,
                        f"bad default for field {f.name!r}: {problem}",
                        _union_default_hint(f.default, f.type, types),
                    )
                )


def _union_default_hint(value: Any, t: ir.Type, types: dict[str, ir.NamedType]) -> str:
    """When a union's default fits a later branch: say to list that one first."""
    if not isinstance(t, ir.Union):
        return ""
    for i, branch in enumerate(t.branches[1:], 1):
        if not default_problem(value, branch, types):
            return (
                f"the default matches branch {i} ({_union_key(branch)}); list it first"
            )
    return ""


def default_problem(value: Any, t: ir.Type, types: dict[str, ir.NamedType]) -> str:
    """Why ``value`` (as written in JSON) is not a valid default of ``t``, or ''."""
    match t:
        case ir.Union(branches):
            # Avro 1.11: a union's default matches its first branch.
            inner = default_problem(value, branches[0], types)
            return (
                f"{inner} (a union's default must match its first branch)"
                if inner
                else ""
            )
        case ir.Logical(base=base, fixed=fixed):
            inner = default_problem(
                value, ir.Ref(fixed) if fixed else ir.Primitive(base or "null"), types
            )
            return inner or _logical_default_problem(value, t)
        case ir.Primitive(name):
            return _primitive_default_problem(value, name)
        case ir.Array(items):
            if not isinstance(value, list):
                return f"expected a JSON array, found {_describe(value)}"
            for i, v in enumerate(value):
                p = default_problem(v, items, types)
                if p:
                    return f"item {i}: {p}"
            return ""
        case ir.Map(values):
            if not isinstance(value, dict):
                return f"expected a JSON object, found {_describe(value)}"
            for k, v in value.items():
                p = default_problem(v, values, types)
                if p:
                    return f"key {k!r}: {p}"
            return ""
        case ir.Ref(fullname):
            return _named_default_problem(value, types[fullname], types)
    return ""


# The values Python's date, time and datetime can hold, as Avro writes them.
_MICROS_PER_DAY = 86_400_000_000
_DAYS = (-719_162, 2_932_896)  # 0001-01-01 .. 9999-12-31
_MICROS = (_DAYS[0] * _MICROS_PER_DAY, (_DAYS[1] + 1) * _MICROS_PER_DAY - 1)


def _logical_default_problem(value: Any, t: ir.Logical) -> str:
    """Why a default that suits the underlying type is no value of the logical
    type, or ''."""
    if t.name == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return f"expected a UUID string, found {_describe(value)}"
        return ""
    if t.name == "decimal":
        raw = value.encode("latin-1")
        unscaled = int.from_bytes(raw, "big", signed=True) if raw else 0
        if len(str(abs(unscaled))) > t.precision:
            shown = Decimal(unscaled).scaleb(-t.scale)
            return (
                f"decimal {shown} has more than the {t.precision} digits "
                "of its precision"
            )
        return ""
    unit = 1000 if t.name.endswith("millis") else 1
    if t.name == "date":
        lo, hi, what = *_DAYS, "a day from 0001-01-01 to 9999-12-31"
    elif t.name.startswith("time-"):
        lo, hi = 0, (_MICROS_PER_DAY - 1) // unit
        what = f"a time of day from 0 to {hi} ({t.name.rpartition('-')[2]})"
    else:
        lo, hi = -(-_MICROS[0] // unit), _MICROS[1] // unit
        what = f"a {t.name} from year 1 to year 9999"
    if not lo <= value <= hi:
        return f"expected {what}, found {_describe(value)}"
    return ""


def _primitive_default_problem(value: Any, name: str) -> str:
    ok: bool
    if name == "null":
        ok = value is None
    elif name == "boolean":
        ok = isinstance(value, bool)
    elif name in _INT_RANGE:
        lo, hi = _INT_RANGE[name]
        ok = (
            isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
        )
    elif name in ("float", "double"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif name == "string":
        ok = isinstance(value, str)
    else:  # bytes
        ok = isinstance(value, str) and all(ord(c) < 256 for c in value)
    return "" if ok else f"expected {name}, found {_describe(value)}"


def _named_default_problem(
    value: Any, t: ir.NamedType, types: dict[str, ir.NamedType]
) -> str:
    if isinstance(t, ir.Enum):
        symbols = [s.name for s in t.symbols]
        if value not in symbols:
            return f"expected one of {', '.join(symbols)}, found {_describe(value)}"
        return ""
    if isinstance(t, ir.Fixed):
        if not (
            isinstance(value, str)
            and len(value) == t.size
            and all(ord(c) < 256 for c in value)
        ):
            return f"expected a string of {t.size} bytes for fixed {t.fullname!r}"
        return _logical_default_problem(value, t.logical) if t.logical else ""
    if not isinstance(value, dict):
        return f"expected a JSON object for record {t.fullname!r}, found {_describe(value)}"
    for f in t.fields:
        if f.name in value:
            p = default_problem(value[f.name], f.type, types)
            if p:
                return f"{f.name}: {p}"
        elif f.default is ir.MISSING:
            return f"record {t.fullname!r} default lacks field {f.name!r}"
    return ""


def _check_cycles(state: _State, types: dict[str, ir.NamedType]) -> None:
    """A record that contains itself through required record fields has no
    finite value: report the cycle once, at its first record."""
    edges: dict[str, list[tuple[str, ir.Field]]] = {}
    for t in types.values():
        if isinstance(t, ir.Record):
            edges[t.fullname] = [
                (f.type.fullname, f)
                for f in t.fields
                if isinstance(f.type, ir.Ref)
                and isinstance(types[f.type.fullname], ir.Record)
            ]
    reported: set[frozenset[str]] = set()
    for start in sorted(edges):
        for path in _cycles_from(start, edges):
            key = frozenset(name for name, _ in path)
            if key in reported:
                continue
            reported.add(key)
            chain = " -> ".join(f"{name}.{f.name}" for name, f in path) + f" -> {start}"
            state.diagnostics.append(
                Diagnostic(
                    path[0][1].span,
                    f"record {start!r} contains itself through required fields: "
                    f"{chain}",
                    "make one of these fields optional (a union with null), "
                    "or an array or map",
                )
            )


def _cycles_from(
    start: str, edges: dict[str, list[tuple[str, ir.Field]]]
) -> Iterator[list[tuple[str, ir.Field]]]:
    stack: list[tuple[str, list[tuple[str, ir.Field]]]] = [(start, [])]
    visited: set[str] = set()
    while stack:
        node, path = stack.pop()
        for target, f in edges.get(node, []):
            step = [*path, (node, f)]
            if target == start:
                yield step
            elif target not in visited:
                visited.add(target)
                stack.append((target, step))

"""Message models: pydantic v2 models, ``StrEnum`` enums and type aliases."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import (
    INDENT,
    docstring,
    field_call,
    fits,
    header,
    imports,
    py_str,
)
from generator.emitters.pytypes import Imports, Literals, TypeNamer, decimal_alias


def emit_models(service: ir.Service, env: Environment) -> dict[str, str]:
    """``models.py``: a pydantic model per Avro record, a ``StrEnum`` per enum
    and an annotated alias per fixed and decimal."""
    if not service.named_types and not any(m.root for m in service.messages):
        return {}
    needed: Imports = set()
    namer = TypeNamer(service, needed)
    literals = Literals(service, needed)
    blocks: list[str] = []
    defined: set[str] = set()
    for t in _ordered(service):
        if isinstance(t, ir.Enum):
            blocks.append(_enum(t, needed))
        elif isinstance(t, ir.Fixed):
            blocks.append(_fixed(t, needed))
        else:
            blocks.append(_record(t, namer, literals, needed, defined))
        defined.add(t.fullname)
    files = [m for m in service.messages if m.root is not None]
    messages = [_file_message(m, namer, needed) for m in files]
    aliases = [_decimal(p, s, needed) for p, s in sorted(namer.decimals)]
    rebuild = [f"{t.py_name}.model_rebuild()" for t in _recursive(service)]
    if any(isinstance(t, ir.Record) for t in service.named_types):
        needed.add("from svcforge import SchemaModel")
    text = env.get_template("models.py.j2").render(
        header=header([*(t.span.path for t in service.named_types), *_sources(files)]),
        import_block=imports(needed),
        aliases=aliases,
        blocks=blocks,
        rebuild=rebuild,
        messages=messages,
    )
    return {f"{service.generated_dir}/models.py": text}


def _sources(messages: list[ir.Message]) -> list[str]:
    return [m.source for m in messages]


def _file_message(m: ir.Message, namer: TypeNamer, needed: Imports) -> str:
    """The model of a message that is no record: a root model holding its
    value, or, for a union of records, the union of their models."""
    assert m.root is not None
    if m.kind == "union":
        needed.add("from typing import TypeAlias")
        union = namer.annotation(m.root)
        doc = f"Avro union of {m.source}, as a message.\n\nA value is any of these records."
        return f"{m.py_name}: TypeAlias = {union}\n" + "\n".join(docstring(doc, ""))
    needed.add("from svcforge import SchemaRootModel")
    lines = [f"class {m.py_name}(SchemaRootModel[{namer.annotation(m.root)}]):"]
    doc = f"Avro {_what(m.root)} of {m.source}, as a message.\n\nIts value is ``root``."
    lines += docstring(doc, INDENT)
    return "\n".join(lines)


def _what(t: ir.Type) -> str:
    match t:
        case ir.Array():
            return "array"
        case ir.Map():
            return "map"
        case ir.Union():
            return "union"
        case ir.Primitive(name):
            return name
        case ir.Logical(name=name):
            return name
    return "named type"


def _ordered(service: ir.Service) -> list[ir.NamedType]:
    """Named types with what a class body needs at definition time (enums and
    fixed aliases used in defaults or annotations) first, records after, each
    group in dependency order so forward references stay rare."""
    first = [t for t in service.named_types if not isinstance(t, ir.Record)]
    records = [t for t in service.named_types if isinstance(t, ir.Record)]
    ordered: list[ir.NamedType] = list(first)
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(r: ir.Record) -> None:
        if r.fullname in done or r.fullname in visiting:
            return
        visiting.add(r.fullname)
        for dep in sorted(_record_deps(r)):
            t = service.named(dep)
            if isinstance(t, ir.Record):
                visit(t)
        visiting.discard(r.fullname)
        done.add(r.fullname)
        ordered.append(r)

    for r in records:
        visit(r)
    return ordered


def _record_deps(r: ir.Record) -> set[str]:
    out: set[str] = set()
    for f in r.fields:
        out |= _refs(f.type)
    return out


def _refs(t: ir.Type) -> set[str]:
    match t:
        case ir.Ref(fullname):
            return {fullname}
        case ir.Array(items):
            return _refs(items)
        case ir.Map(values):
            return _refs(values)
        case ir.Union(branches):
            return set().union(*(_refs(b) for b in branches))
    return set()


def _recursive(service: ir.Service) -> list[ir.Record]:
    """Records that refer to themselves, directly or through others: their
    annotations hold forward references that pydantic resolves on rebuild."""
    records = {t.fullname: t for t in service.named_types if isinstance(t, ir.Record)}
    out = []
    for name, r in sorted(records.items()):
        seen: set[str] = set()
        stack = sorted(_record_deps(r) & records.keys())
        while stack:
            dep = stack.pop()
            if dep == name:
                out.append(r)
                break
            if dep in seen:
                continue
            seen.add(dep)
            stack.extend(sorted(_record_deps(records[dep]) & records.keys()))
    return out


def _enum(t: ir.Enum, needed: Imports) -> str:
    needed.add("from enum import StrEnum")
    lines = [f"class {t.py_name}(StrEnum):"]
    lines += docstring(t.doc.strip() or f"Avro enum ``{t.fullname}``.", INDENT)
    lines.append("")
    lines += [f"{INDENT}{s.py_name} = {py_str(s.name)}" for s in t.symbols]
    return "\n".join(lines)


def _fixed(t: ir.Fixed, needed: Imports) -> str:
    if t.logical is not None and t.logical.name == "uuid":
        needed |= {"from typing import TypeAlias", "from uuid import UUID"}
        text = f"{t.py_name}: TypeAlias = UUID"
    elif t.logical is not None:
        needed.add("from decimal import Decimal")
        text = _alias(
            t.py_name,
            "Decimal",
            f"max_digits={t.logical.precision}, decimal_places={t.logical.scale}",
            needed,
        )
    else:
        text = _alias(
            t.py_name, "bytes", f"min_length={t.size}, max_length={t.size}", needed
        )
    unit = "byte" if t.size == 1 else "bytes"
    doc = t.doc.strip() or f"Avro fixed ``{t.fullname}`` ({t.size} {unit})."
    return text + "\n" + "\n".join(docstring(doc, ""))


def _decimal(precision: int, scale: int, needed: Imports) -> str:
    needed.add("from decimal import Decimal")
    return _alias(
        decimal_alias(precision, scale),
        "Decimal",
        f"max_digits={precision}, decimal_places={scale}",
        needed,
    )


def _alias(name: str, base: str, field_args: str, needed: Imports) -> str:
    needed.add("from typing import Annotated")
    needed.add("from pydantic import Field")
    return f"{name} = Annotated[{base}, Field({field_args})]"


def _record(
    t: ir.Record,
    namer: TypeNamer,
    literals: Literals,
    needed: Imports,
    defined: set[str],
) -> str:
    lines = [f"class {t.py_name}(SchemaModel):"]
    lines += docstring(t.doc.strip() or f"Avro record ``{t.fullname}``.", INDENT)
    if t.fields:
        lines.append("")
    for f in t.fields:
        # Class bodies evaluate annotations eagerly: a record not defined yet
        # (itself, or one in the same cycle) is named in a string annotation,
        # which the ``model_rebuild()`` calls at the end of the module resolve.
        forward = bool(_refs(f.type) - defined)
        lines.append(_field(f, namer, literals, needed, forward))
    return "\n".join(lines)


def _field(
    f: ir.Field,
    namer: TypeNamer,
    literals: Literals,
    needed: Imports,
    forward: bool,
) -> str:
    annotation = namer.annotation(f.type)
    if forward:
        annotation = f'"{annotation}"'
    args: list[str] = []
    if f.default is not ir.MISSING:
        expr = literals.expr(f.default, f.type)
        if not _mutable(f.default, f.type):
            args.append(f"default={expr}")
        elif expr in ("[]", "{}"):
            args.append(f"default_factory={'list' if expr == '[]' else 'dict'}")
        else:
            args.append(f"default_factory=lambda: {expr}")
    if f.py_name != f.name:
        # Not ``alias=``: type checkers would then expect the wire name as the
        # constructor's keyword.  These keep the Python name in ``__init__``.
        args.append(f"validation_alias={py_str(f.name)}")
        args.append(f"serialization_alias={py_str(f.name)}")
    if f.doc.strip():
        args.append(f"description={py_str(f.doc.strip())}")
    lead = f"{INDENT}{f.py_name}: {annotation}"
    if not args:
        return lead
    plain = f"{lead} = {args[0].removeprefix('default=')}"
    if len(args) == 1 and args[0].startswith("default=") and fits(plain):
        # A long default reads better inside ``Field(...)``, which can break.
        return plain
    needed.add("from pydantic import Field")
    return field_call(lead, args)


def _mutable(value: object, t: ir.Type) -> bool:
    """Whether the default is a list, dict or model instance (a factory keeps
    instances from sharing it)."""
    match t:
        case ir.Union(branches):
            return _mutable(value, branches[0])
        case ir.Array() | ir.Map():
            return True
        case ir.Ref():
            return isinstance(value, dict)
    return False

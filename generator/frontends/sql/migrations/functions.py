"""Functions and procedures: their declared signature (the body is not read)
is recorded so that queries can type calls, and functions in ``FROM``.
``CREATE OR REPLACE`` replaces the overload with the same input types;
DROP and ALTER ... RENAME / SET SCHEMA follow them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pglast.enums import FunctionParameterMode as Mode

from generator import ir
from generator.frontends.sql.migrations.step import Step, split_name, string_names
from generator.frontends.sql.source import SqlError, deparse
from generator.frontends.sql.type_names import sql_type

_MODES: dict[Mode, ir.SqlArgMode] = {
    Mode.FUNC_PARAM_IN: "in",
    Mode.FUNC_PARAM_DEFAULT: "in",
    Mode.FUNC_PARAM_OUT: "out",
    Mode.FUNC_PARAM_INOUT: "inout",
    Mode.FUNC_PARAM_VARIADIC: "variadic",
}
# Pseudo-types: a function over them is polymorphic or returns nothing usable.
_PSEUDO = frozenset(
    {
        "void",
        "trigger",
        "event_trigger",
        "record",
        "internal",
        "language_handler",
        "fdw_handler",
        "index_am_handler",
        "tsm_handler",
        "table_am_handler",
        "cstring",
    }
)


def _type(step: Step, tn: Any) -> ir.SqlType | None:
    """The SQL type, or None for a pseudo-type (``any*``, ``void``, ...)."""
    names = [n.sval for n in tn.names or ()]
    if names and (names[-1] in _PSEUDO or names[-1].startswith("any")):
        return None
    catalog = step.catalog
    try:
        typ, _ = sql_type(tn, catalog.enum_lookup, catalog.type_lookup)
    except SqlError:
        return None  # %TYPE references and the like: left untyped
    return typ


def _label(tn: Any) -> str:
    names = [n.sval for n in tn.names or ()]
    if names[:1] == ["pg_catalog"]:
        names = names[1:]
    text = ".".join(names) + "[]" * len(tn.arrayBounds or ())
    return ("SETOF " if tn.setof else "") + text


def _arg(step: Step, p: Any) -> ir.SqlArg | None:
    typ = _type(step, p.argType)
    if typ is None:
        return None
    default = deparse(p.defexpr) if p.defexpr is not None else None
    return ir.SqlArg(p.name or "", typ, _MODES.get(p.mode, "in"), default)


def create_function(step: Step, node: Any) -> None:
    schema, name = split_name(string_names(node.funcname))
    qual = step.catalog.qualify(name, schema, step.start)
    params = list(node.parameters or ())
    table_cols = [p for p in params if p.mode == Mode.FUNC_PARAM_TABLE]
    args: list[ir.SqlArg] = []
    for p in params:
        if p.mode == Mode.FUNC_PARAM_TABLE:
            continue
        arg = _arg(step, p)
        if arg is None:  # polymorphic: no static signature to record
            return
        args.append(arg)
    function = _with_result(step, node, args, table_cols)
    function = replace(
        function,
        schema=qual.partition(".")[0],
        name=name,
        language=_language(node),
        span=step.source.span(step.start),
        procedure=bool(node.is_procedure),
    )
    _replace_overload(step, function, bool(node.replace))


def _with_result(
    step: Step, node: Any, args: list[ir.SqlArg], table_cols: list[Any]
) -> ir.SqlFunction:
    outs = [a for a in args if a.mode in ("out", "inout")]
    rt = node.returnType
    result = "TABLE" if table_cols else (_label(rt) if rt is not None else "void")
    returns: ir.SqlType | None = None
    columns: tuple[ir.SqlArg, ...] = ()
    if table_cols or outs:
        cols = [_arg(step, p) for p in table_cols] if table_cols else outs
        columns = tuple(ir.SqlArg(c.name, c.type, "out") for c in cols if c is not None)
        if len(columns) == 1:  # PostgreSQL's result is then that column's type
            returns = columns[0].type
    elif rt is not None:
        returns = _type(step, rt)
        if returns is not None and returns.composite and not returns.dims:
            columns = _row_of(step, returns.composite)
            returns = None if columns else returns
    return ir.SqlFunction(
        schema="",
        name="",
        args=tuple(args),
        returns=returns,
        columns=columns,
        returns_set=bool(table_cols) or bool(rt is not None and rt.setof),
        result=result,
        language="",
        span=ir.Span(""),
    )


def _row_of(step: Step, qual: str) -> tuple[ir.SqlArg, ...]:
    """A function returning a table's or composite type's row returns its
    columns."""
    catalog = step.catalog
    rel = catalog.tables.get(qual)
    fields = rel.columns if rel is not None else []
    comp = catalog.composites.get(qual)
    if comp is not None:
        fields = comp.fields
    return tuple(ir.SqlArg(f.name, f.type, "out") for f in fields)


def _language(node: Any) -> str:
    for opt in node.options or ():
        if opt.defname == "language":
            return str(getattr(opt.arg, "sval", "sql"))
    return "sql"  # a SQL-standard body (BEGIN ATOMIC / RETURN) is SQL


def _input_types(f: ir.SqlFunction) -> tuple[ir.SqlType, ...]:
    return tuple(a.type for a in f.inputs)


def _replace_overload(step: Step, function: ir.SqlFunction, replace_ok: bool) -> None:
    functions = step.catalog.functions
    for i, f in enumerate(functions):
        if f.qualname == function.qualname and _input_types(f) == _input_types(
            function
        ):
            if not replace_ok:
                raise SqlError(
                    step.start,
                    f'function "{function.qualname}" already exists with the '
                    "same argument types",
                )
            functions[i] = function
            return
    functions.append(function)


def _matching(step: Step, obj: Any) -> list[ir.SqlFunction]:
    """The functions an ``ObjectWithArgs`` names: every overload when it gives
    no argument list, else the one with these input types."""
    names = string_names(obj.objname if hasattr(obj, "objname") else obj)
    schema, name = split_name(names)
    qual = f"{schema or 'public'}.{name}"
    found = [f for f in step.catalog.functions if f.qualname == qual]
    if getattr(obj, "args_unspecified", True) or not hasattr(obj, "objargs"):
        return found
    wanted = []
    for tn in obj.objargs or ():
        t = _type(step, tn)
        wanted.append(t)
    return [f for f in found if list(_input_types(f)) == wanted]


def drop_function(step: Step, obj: Any) -> None:
    """Dropping a function svcforge did not record (polymorphic, or created
    by an extension) is fine: PostgreSQL checked it exists."""
    for f in _matching(step, obj):
        step.catalog.functions.remove(f)


def rename_function(step: Step, node: Any) -> None:
    for f in _matching(step, node.object):
        i = step.catalog.functions.index(f)
        step.catalog.functions[i] = replace(f, name=node.newname or "")


def set_function_schema(step: Step, node: Any) -> None:
    for f in _matching(step, node.object):
        i = step.catalog.functions.index(f)
        step.catalog.functions[i] = replace(f, schema=node.newschema or "public")

"""datamodel-code-generator, run once per service, in memory, over the bundle
the JSON Schema front-end made (``ir.JsonModels.bundle``), with the attribute
names svcforge decided (``ir.JsonModels.aliases``); its output finished so
that it reads like the rest of the generated code.

Finishing, on the syntax tree: the bundle's own root class goes; ``MISSING``
comes from ``pydantic``; mutable defaults become ``default_factory`` (ruff's
RUF012, and no shared instances); ``None`` moves to the end of unions
(RUF036); ``set`` (``uniqueItems``) becomes svcforge's ``UniqueList``;
``EmailStr`` is svcforge's;
docstrings are dedented.  The pipeline's formatter lays the module out.
"""

from __future__ import annotations

import ast
import inspect
import warnings
from collections.abc import Iterator
from typing import Any

from generator.json_names import BUNDLE_ROOT


def generate_models(schema: Any, aliases: dict[str, str] | None = None) -> str:
    """The models module of a bundled schema: imports and classes."""
    import datamodel_code_generator as dmcg
    from datamodel_code_generator.enums import (
        DataModelType,
        InputFileType,
        NamingStrategy,
    )
    from datamodel_code_generator.format import PythonVersion

    _allow_late_bases()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = dmcg.generate(
            schema,
            input_file_type=InputFileType.JsonSchema,
            output=None,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_311,
            formatters=[],
            class_name=BUNDLE_ROOT,
            base_class="svcforge.JsonSchemaModel",
            use_annotated=True,
            use_union_operator=True,
            use_standard_collections=True,
            use_double_quotes=True,
            disable_timestamp=True,
            collapse_root_models=True,
            set_default_enum_member=True,
            strict_nullable=True,
            use_missing_sentinel=True,
            use_schema_description=True,
            snake_case_field=True,
            capitalise_enum_members=False,
            # Inline classes of the same name get their parent's name in front
            # (LoginFailedReason), not a number that depends on file order.
            naming_strategy=NamingStrategy.FullPath,
            # uniqueItems is enforced, never silently dropped: DMCG writes a
            # set, which ``finish`` turns into svcforge's UniqueList (a list
            # keeps the producer's order, so encoding is deterministic).
            use_unique_items_as_set=True,
            # A closed prefixItems (items: false, minItems covering it) is a
            # tuple; the front-end leaves other tuples to the exact validator.
            use_tuple_for_closed_arrays=True,
            aliases=aliases or None,
        )
    if not isinstance(code, str):  # several modules: never for one document
        raise TypeError("datamodel-code-generator returned several modules")
    return finish(code)


def _allow_late_bases() -> None:
    """datamodel-code-generator may write a class before the local base it
    extends (an ``allOf`` of a recursive class written later: AsyncAPI's
    ``headers``), and then refuses its own output; ``finish`` puts the
    classes in an order Python accepts instead.  Its check stays for
    everything else (inheritance cycles, method resolution orders)."""
    from datamodel_code_generator import Error
    from datamodel_code_generator.parser.base import Parser

    check = Parser._check_model_inheritance
    if getattr(check, "svcforge_lenient", False):
        return

    def lenient(self: Any, contexts: Any) -> None:
        try:
            check(self, contexts)
        except Error as exc:
            if "before its definition" not in str(exc):
                raise

    lenient.svcforge_lenient = True  # type: ignore[attr-defined]
    Parser._check_model_inheritance = lenient  # type: ignore[method-assign]


def finish(code: str) -> str:
    tree = ast.parse(code)
    tree.body = bases_first(tree.body)
    unique_lists = _sets_to_unique_lists(tree)
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    _drop_endless_defaults(tree, classes)
    body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            if node.name == BUNDLE_ROOT:
                continue
            _finish_class(node, classes)
        elif _calls_on(node, BUNDLE_ROOT):
            continue
        body.append(node)
    tree.body = body
    if unique_lists:
        body.insert(
            _after_imports(body),
            ast.ImportFrom("svcforge", [ast.alias("UniqueList")], 0),
        )
    _prune_imports(tree)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _sets_to_unique_lists(tree: ast.Module) -> bool:
    """``set[X]`` annotations -> ``UniqueList[X]``; set literals -> lists."""
    found = False
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "set"
        ):
            node.value.id = "UniqueList"
            found = True
    for node in ast.walk(tree):
        for name, value in ast.iter_fields(node):
            if _is_set_value(value):
                setattr(node, name, _as_list(value))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if _is_set_value(item):
                        value[i] = _as_list(item)
    return found


def _is_set_value(node: object) -> bool:
    """A set literal or ``set()``."""
    return isinstance(node, ast.Set) or (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "set"
        and not node.args
    )


def _as_list(node: ast.Set | ast.Call) -> ast.List:
    return ast.List(elts=node.elts if isinstance(node, ast.Set) else [], ctx=ast.Load())


def _calls_on(node: ast.stmt, name: str) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and isinstance(node.value.func.value, ast.Name)
        and node.value.func.value.id == name
    )


def _finish_class(node: ast.ClassDef, classes: set[str]) -> None:
    first = node.body[0] if node.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        first.value.value = inspect.cleandoc(first.value.value)
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign):
            if _mistyped(stmt):
                _drop_default(stmt)
            stmt.annotation = _none_last(stmt.annotation)
            if isinstance(stmt.value, ast.List | ast.Dict | ast.Set):
                stmt.value = _factory(stmt.value, stmt.annotation, classes)


_LISTS = frozenset({"list", "UniqueList", "tuple"})


_PLAIN = frozenset({"list", "dict", "str", "int", "float", "bool", "MISSING"})


def _mistyped(stmt: ast.AnnAssign) -> bool:
    """A default of another type than the attribute's: a schema's default
    given to a branch it does not fit (AsyncAPI's ``items``: a schema or an
    array of them, default ``{}``), or one its author got wrong behind a
    ``$ref`` (``null`` for an enum).  Judged only where the annotation is
    plain enough to tell; mypy --strict refuses the others too."""
    value = stmt.value
    kinds = _kinds(stmt.annotation)
    if isinstance(value, ast.Constant) and value.value is None:
        return "None" not in kinds and "Any" not in kinds
    if not kinds or not kinds <= _PLAIN | {"None"}:
        return False
    match value:
        case ast.Dict():
            return "dict" not in kinds
        case ast.List() | ast.Set():
            return "list" not in kinds
        case ast.Constant(value=bool()):
            return "bool" not in kinds
        case ast.Constant(value=int() | float()):
            return not kinds & {"int", "float"}
        case ast.Constant(value=str()):
            return "str" not in kinds
    return False


def _kinds(annotation: ast.expr) -> set[str]:
    """The outer type names of an annotation's union (``Annotated`` looked
    through; ``list`` for every sequence)."""
    if (
        isinstance(annotation, ast.Subscript)
        and isinstance(annotation.value, ast.Name)
        and annotation.value.id == "Annotated"
        and isinstance(annotation.slice, ast.Tuple)
    ):
        annotation = annotation.slice.elts[0]
    kinds = set()
    for part in _union_parts(annotation):
        if isinstance(part, ast.Constant) and part.value is None:
            kinds.add("None")
            continue
        head = part.value if isinstance(part, ast.Subscript) else part
        name = head.id if isinstance(head, ast.Name) else "?"
        kinds.add("list" if name in _LISTS else name)
    return kinds


def _drop_default(stmt: ast.AnnAssign) -> None:
    """A root model's ``root`` gets no default (it is always given); an
    attribute is MISSING when absent."""
    if isinstance(stmt.target, ast.Name) and stmt.target.id == "root":
        stmt.value = None
    else:
        stmt.annotation = _with_missing(stmt.annotation)
        stmt.value = ast.Name("MISSING")


def _drop_endless_defaults(tree: ast.Module, classes: set[str]) -> None:
    """A model default that holds, through its own defaults, the same class
    (``additionalProperties`` of a meta-schema: a schema, default ``{}``)
    would be an endless value: such a property is MISSING when absent
    instead (a JSON Schema default is an annotation)."""
    holds: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            holds[node.name] = {m for _, m in _model_defaults(node, classes)}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for stmt, model in _model_defaults(node, classes):
            if _reaches(holds, model, node.name):
                stmt.annotation = _with_missing(stmt.annotation)
                stmt.value = ast.Name("MISSING")


def _model_defaults(
    node: ast.ClassDef, classes: set[str]
) -> Iterator[tuple[ast.AnnAssign, str]]:
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.value, ast.Dict):
            model = _model_of(stmt.annotation, classes)
            if model is not None:
                yield stmt, model


def _reaches(holds: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name == goal:
            return True
        if name not in seen:
            seen.add(name)
            todo.extend(holds.get(name, ()))
    return False


def _with_missing(annotation: ast.expr) -> ast.expr:
    """``T`` -> ``T | MISSING``, inside ``Annotated`` too (without its
    ``validate_default``)."""
    if isinstance(annotation, ast.Subscript) and isinstance(
        annotation.slice, ast.Tuple
    ):
        first, *rest = annotation.slice.elts
        for call in rest:
            if isinstance(call, ast.Call):
                call.keywords = [
                    k for k in call.keywords if k.arg != "validate_default"
                ]
        rest = [c for c in rest if not (isinstance(c, ast.Call) and _bare(c))]
        if not rest:
            return _with_missing(first)
        annotation.slice.elts = [_with_missing(first), *rest]
        return annotation
    return ast.BinOp(annotation, ast.BitOr(), ast.Name("MISSING"))


def _bare(call: ast.Call) -> bool:
    return not call.args and not call.keywords


def _none_last(node: ast.expr) -> ast.expr:
    """``A | None | MISSING`` -> ``A | MISSING | None``, inside ``Annotated``
    too."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple):
        node.slice.elts[0] = _none_last(node.slice.elts[0])
        return node
    parts = _union_parts(node)
    if len(parts) < 2:
        return node
    is_none = [isinstance(p, ast.Constant) and p.value is None for p in parts]
    if not any(is_none) or is_none[-1]:
        return node
    ordered = [p for p, n in zip(parts, is_none, strict=True) if not n]
    ordered += [p for p, n in zip(parts, is_none, strict=True) if n]
    out = ordered[0]
    for p in ordered[1:]:
        out = ast.BinOp(out, ast.BitOr(), p)
    return out


def _union_parts(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_parts(node.left) + _union_parts(node.right)
    return [node]


def _factory(value: ast.expr, annotation: ast.expr, classes: set[str]) -> ast.expr:
    """``Field(default_factory=…)`` for a list, dict or set default."""
    empty = (
        (isinstance(value, ast.List | ast.Set) and not value.elts)
        or (isinstance(value, ast.Dict) and not value.keys)
    ) and not (isinstance(value, ast.Dict) and _model_of(annotation, classes))
    if empty:
        # A uniqueItems set becomes a UniqueList (see _sets_to_unique_lists).
        factory: ast.expr = ast.Name("dict" if isinstance(value, ast.Dict) else "list")
    else:
        model = _model_of(annotation, classes) if isinstance(value, ast.Dict) else None
        body = (
            ast.Call(ast.Attribute(ast.Name(model), "model_validate"), [value], [])
            if model
            else value
        )
        factory = ast.Lambda(ast.arguments([], [], None, [], [], None, []), body)
    return ast.Call(ast.Name("Field"), [], [ast.keyword("default_factory", factory)])


def _model_of(annotation: ast.expr, classes: set[str]) -> str | None:
    """The generated class a field holds, if its type is one."""
    if isinstance(annotation, ast.Subscript) and isinstance(
        annotation.slice, ast.Tuple
    ):
        return _model_of(annotation.slice.elts[0], classes)
    for part in _union_parts(annotation):
        if isinstance(part, ast.Name) and part.id in classes:
            return part.id
    return None


def _prune_imports(tree: ast.Module) -> None:
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    body: list[ast.stmt] = []
    has_field = False
    for node in tree.body:
        if node_module(node) == "pydantic.experimental.missing_sentinel":
            # Deprecated since pydantic 2.14: the sentinel is pydantic's own.
            assert isinstance(node, ast.ImportFrom)
            node.module = "pydantic"
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            node.names = [a for a in node.names if (a.asname or a.name) in used]
            if node.module == "pydantic" and "EmailStr" in used:
                # svcforge's: exact (never normalised) and cheap.
                node.names = [a for a in node.names if a.name != "EmailStr"]
                body.append(ast.ImportFrom("svcforge", [ast.alias("EmailStr")], 0))
            if not node.names:
                continue
            has_field |= node.module == "pydantic" and any(
                a.name == "Field" for a in node.names
            )
        body.append(node)
    if "MISSING" in used and not any(
        a.name == "MISSING"
        for n in body
        if isinstance(n, ast.ImportFrom)
        for a in n.names
    ):
        body.insert(
            _after_imports(body), ast.ImportFrom("pydantic", [ast.alias("MISSING")], 0)
        )
    if "Field" in used and not has_field:
        body.insert(
            _after_imports(body), ast.ImportFrom("pydantic", [ast.alias("Field")], 0)
        )
    tree.body = body


def node_module(node: ast.stmt) -> str | None:
    return node.module if isinstance(node, ast.ImportFrom) else None


def _after_imports(body: list[ast.stmt]) -> int:
    return next(
        (i for i, n in enumerate(body) if not isinstance(n, ast.ImportFrom)),
        len(body),
    )


def bases_first(body: list[ast.stmt]) -> list[ast.stmt]:
    """The module's statements in their order, except that a statement
    which needs, when it runs, a name a later one defines (a base class, a
    default) comes after that one.  Annotations are not run (``from
    __future__ import annotations``), nor are ``lambda`` bodies."""
    defined = {name: i for i, node in enumerate(body) for name in _defines(node)}
    done: set[int] = set()
    busy: set[int] = set()
    out: list[ast.stmt] = []

    def visit(i: int) -> None:
        if i in done or i in busy:
            return  # a cycle: left as written, Python reports it
        busy.add(i)
        for name in sorted(_needs(body[i])):
            j = defined.get(name)
            if j is not None and j > i:
                visit(j)
        busy.discard(i)
        done.add(i)
        out.append(body[i])

    for i in range(len(body)):
        visit(i)
    return out


def _defines(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _needs(node: ast.stmt) -> set[str]:
    """Names a statement reads when it runs."""
    if isinstance(node, ast.ClassDef):
        roots: list[ast.AST] = [*node.bases, *node.keywords, *node.decorator_list]
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign):
                roots.extend([stmt.value] if stmt.value is not None else [])
            else:
                roots.append(stmt)
    elif isinstance(node, ast.AnnAssign):
        roots = [node.value] if node.value is not None else []
    else:
        roots = [node]
    out: set[str] = set()
    todo = list(roots)
    while todo:
        item = todo.pop()
        if isinstance(item, ast.Lambda):
            continue
        if isinstance(item, ast.Name):
            out.add(item.id)
        todo.extend(ast.iter_child_nodes(item))
    return out

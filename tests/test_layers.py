"""The generator's layers, checked on its imports (read with ``ast``, nothing
imported): front-ends produce IR, emitters only consume it, the IR stands on
nothing, and the runtime never needs the generator.  Also: no import cycles,
and no module longer than a reader can hold in mind."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 500
# Emitter modules that only hold what several emitters share (literals, Python
# types of IR types, SQL helpers): every emitter may import them.
SHARED_EMITTER_MODULES = frozenset(
    {
        "generator.emitters",
        "generator.emitters.pysrc",
        "generator.emitters.pytypes",
        "generator.emitters.sqlpy",
    }
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(package: str) -> dict[str, Path]:
    return {
        _module_name(p): p
        for p in sorted((ROOT / package).rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module ``path`` imports, absolute (relative imports resolved),
    including imports inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    # Imports for type checkers only (``if TYPE_CHECKING:``) never run, so
    # they make no cycle at run time (the generator has none of them).
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only and not name.startswith("generator"):
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module
            # ``from generator.emitters import codecs`` imports a module too.
            yield from (f"{module}.{a.name}" for a in node.names)


def _project_imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    every = {**_modules("generator"), **_modules("svcforge")}
    return {
        name: {m for m in _imports(name, path) if m in every and m != name}
        for name, path in modules.items()
    }


GENERATOR = _project_imports(_modules("generator"))
RUNTIME = _project_imports(_modules("svcforge"))


def test_the_ir_imports_nothing_of_the_project_but_itself() -> None:
    wrong = {
        (name, m)
        for name, deps in GENERATOR.items()
        if name == "generator.ir" or name.startswith("generator.ir.")
        for m in deps
        if not (m == "generator.ir" or m.startswith("generator.ir."))
    }
    assert not wrong


@pytest.mark.parametrize(
    "module", sorted(m for m in GENERATOR if m.startswith("generator.emitters."))
)
def test_an_emitter_imports_no_front_end_and_no_other_emitter(module: str) -> None:
    """Emitters read names from the IR: they never import a front-end, nor
    another emitter to rebuild a name it chose (an emitter made of a package,
    ``emitters/settings/``, imports its own modules)."""
    own = ".".join(module.split(".")[:3])
    wrong = {
        m
        for m in GENERATOR[module]
        if m.startswith("generator.frontends")
        or (
            m.startswith("generator.emitters")
            and m not in SHARED_EMITTER_MODULES
            and module not in SHARED_EMITTER_MODULES
            and not (m == own or m.startswith(own + "."))
        )
    }
    assert not wrong, f"{module} imports {sorted(wrong)}"


def test_front_ends_import_no_emitter() -> None:
    wrong = {
        (name, m)
        for name, deps in GENERATOR.items()
        if name.startswith("generator.frontends")
        for m in deps
        if m.startswith("generator.emitters")
    }
    assert not wrong


def test_the_runtime_never_imports_the_generator() -> None:
    wrong = {
        (name, m)
        for name, deps in RUNTIME.items()
        for m in deps
        if m.startswith("generator")
    }
    assert not wrong


@pytest.mark.parametrize("graph", [GENERATOR, RUNTIME], ids=["generator", "svcforge"])
def test_there_is_no_import_cycle(graph: dict[str, set[str]]) -> None:
    # Package ``__init__`` modules that only re-export are edges of their
    # own submodules: leave the package -> submodule edges out.
    edges = {
        name: {m for m in deps if not m.startswith(name + ".")}
        for name, deps in graph.items()
    }
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == 1:
                cycle = [*path[path.index(dep) :], dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


@pytest.mark.parametrize(
    "path",
    sorted([*_modules("generator").values(), *_modules("svcforge").values()]),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_module_is_over_500_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)}: {lines} lines"

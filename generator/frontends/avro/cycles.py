"""Pass 3: a record that contains itself through required record fields has
no finite value, so it is refused."""

from __future__ import annotations

from collections.abc import Iterator

from generator import ir
from generator.errors import Diagnostic
from generator.frontends.avro.state import State

_Path = list[tuple[str, ir.Field]]


def check_cycles(state: State, types: dict[str, ir.NamedType]) -> None:
    """Report each cycle once, at its first record."""
    edges: dict[str, _Path] = {}
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


def _cycles_from(start: str, edges: dict[str, _Path]) -> Iterator[_Path]:
    stack: list[tuple[str, _Path]] = [(start, [])]
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

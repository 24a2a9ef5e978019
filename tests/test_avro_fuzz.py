"""Never a traceback on Avro input: valid schema files, mutated at random
(keys deleted and swapped, values of the wrong type, types nested a thousand
levels deep, enums of ten thousand symbols, huge numbers, unicode everywhere),
make ``svcforge regen`` exit 0 or exit 2 with ``path:line:col`` diagnostics and
nothing written.  Every exit 0 generates code that imports.

Examples are bounded so that CI stays fast; ``SVCFORGE_FUZZ_EXAMPLES`` raises
the count for a longer hunt.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import EXIT_BAD_INPUT, EXIT_OK
from tests.test_golden import run, snapshot

ROOT = Path(__file__).resolve().parent
SEEDS = sorted(
    [
        *(ROOT / "golden").glob("*/schemas/messages/**/*.avsc"),
        *(ROOT / "avro_spec" / "c" / "pass").iterdir(),
    ]
)
DIAGNOSTIC = re.compile(r"^schemas/messages/[^:]+:\d+:\d+: \S")
EXAMPLES = int(os.environ.get("SVCFORGE_FUZZ_EXAMPLES", "25"))


def _seed(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


VALID = [v for v in map(_seed, SEEDS) if v is not None]

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([2**31, 2**63, 10**400, -(10**400), 1e308, -0.0, 0.5]),
    st.text(max_size=12),
    st.sampled_from(
        [
            "record",
            "enum",
            "fixed",
            "array",
            "map",
            "null",
            "int",
            "bytes",
            "ẞüñ",
            "a.b.c",
            "",
            "1x",
            "decimal",
            "uuid",
            "timestamp-nanos",
            "duration",
        ]
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "name",
                    "items",
                    "values",
                    "fields",
                    "symbols",
                    "size",
                    "default",
                    "logicalType",
                    "namespace",
                ]
            ),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value: keys of objects and indexes of lists."""
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        node = node[p]
    return node


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {**node, head: _replace(node[head], rest, value)}
    copy = list(node)
    copy[head] = _replace(node[head], rest, value)
    return copy


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A valid schema with one to three mutations."""
    doc = draw(st.sampled_from(VALID))
    kinds = draw(
        st.lists(
            st.sampled_from(["value", "delete", "swap", "enum", "unicode", "huge"]),
            max_size=3,
        )
    )
    # Nesting comes last: the walks over places here recurse.
    if not kinds or draw(st.integers(0, 4)) == 0:
        kinds.append("nest")
    for kind in kinds:
        where = draw(st.sampled_from(list(_paths(doc))))
        doc = _replace(doc, where, _mutate(draw, kind, _get(doc, where)))
    return doc


def _mutate(draw: st.DrawFn, kind: str, target: Any) -> Any:
    match kind:
        case "delete" if isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target)))
            return {k: v for k, v in target.items() if k != key}
        case "swap" if isinstance(target, dict) and len(target) > 1:
            a, b = draw(
                st.lists(
                    st.sampled_from(sorted(target)), min_size=2, max_size=2, unique=True
                )
            )
            return {**target, a: target[b], b: target[a]}
        case "nest":
            depth = draw(st.sampled_from([50, 200, 1000]))
            wrap = draw(st.sampled_from(["array", "map", "union", "record"]))
            for i in range(depth):
                target = _wrap(wrap, target, i)
            return target
        case "enum":
            n = draw(st.sampled_from([1, 10_000]))
            return {
                "type": "enum",
                "name": "Big",
                "symbols": [f"S{i}" for i in range(n)],
            }
        case "unicode":
            return draw(st.text(min_size=1, max_size=8))
        case "huge":
            return draw(st.sampled_from([10**400, 2**64, -(2**63) - 1, 1e308]))
    return draw(_VALUES)


def _wrap(kind: str, inner: Any, i: int) -> Any:
    match kind:
        case "array":
            return {"type": "array", "items": inner}
        case "map":
            return {"type": "map", "values": inner}
        case "union":
            return ["null", inner]
    return {"type": "record", "name": f"N{i}", "fields": [{"name": "f", "type": inner}]}


_count = iter(range(1_000_000))


@contextlib.contextmanager
def _imported(root: Path, package: str) -> Iterator[None]:
    sys.path.insert(0, str(root / "src"))
    try:
        yield
    finally:
        sys.path.remove(str(root / "src"))
        for name in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[name]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(schema=mutated())
def test_mutated_avro_exits_0_or_2_and_never_crashes(
    schema: Any, tmp_path_factory: Any
) -> None:
    package = f"fuzz_avro_{next(_count)}"
    root = tmp_path_factory.mktemp(package)
    (root / "schemas" / "messages").mkdir(parents=True)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 50_000))  # json.dumps of deep nests
    try:
        text = json.dumps(schema, ensure_ascii=False)
    finally:
        sys.setrecursionlimit(limit)
    (root / "schemas" / "messages" / "m.avsc").write_text(text)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{package}"\nversion = "0"\n\n'
        f'[tool.svcforge]\npackage = "{package}"\n'
    )
    before = snapshot(root)
    code, _, err = run("regen", str(root))
    assert code in (EXIT_OK, EXIT_BAD_INPUT), err
    assert "Traceback" not in err
    if code == EXIT_BAD_INPUT:
        assert snapshot(root) == before
        lines = [line for line in err.splitlines() if not line.startswith(" ")]
        assert all(DIAGNOSTIC.match(line) for line in lines[:-1]), err
        return
    with _imported(root, package):
        importlib.import_module(f"{package}.generated.models")
        if (root / "src" / package / "generated" / "codecs.py").is_file():
            importlib.import_module(f"{package}.generated.codecs")
            importlib.import_module(f"{package}.generated.examples")

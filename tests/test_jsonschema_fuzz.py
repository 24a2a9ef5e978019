"""Never a traceback: JSON Schema message files and config schema files,
mutated (keys deleted and swapped, values of the wrong type, nesting a
thousand levels deep, enums of ten thousand symbols, huge numbers, unicode
everywhere), go through ``svcforge regen``, which exits 0 or 2, and writes
nothing when it exits 2.  Bounded examples: it runs with the suite."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import EXIT_BAD_INPUT, EXIT_OK, main
from generator.jsonsource import pointer

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "schemas" / "accounts"
PYPROJECT = '[project]\nname = "fuzzed"\n\n[tool.svcforge]\npackage = "fuzzed"\n'
# CI runs a few examples each time; SVCFORGE_FUZZ_EXAMPLES=500 hunts longer.
FUZZ = settings(
    max_examples=int(os.environ.get("SVCFORGE_FUZZ_EXAMPLES", "15")),
    deadline=None,
    derandomize=os.environ.get("SVCFORGE_FUZZ_EXAMPLES") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_TEXT = st.text(
    st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\u2028", "\x00"]),
    max_size=12,
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            _TEXT | st.sampled_from(["type", "$ref", "enum"]), inner, max_size=3
        )
    ),
    max_leaves=8,
)


def _nested(depth: int) -> str:
    """A schema nested ``depth`` objects deep, as JSON text (too deep for
    ``json.dumps``)."""
    head = '{"type": "object", "properties": {"a": ' * depth
    return head + '{"type": "string"}' + "}}" * depth


DEEP = "\u0000deep\u0000"
"""Written where the file gets a schema nested a thousand levels deep."""
_SPECIAL = st.sampled_from(
    [
        DEEP,
        json.loads(_nested(40)),
        {"enum": [f"symbol_{i}" for i in range(10_000)]},
        {"type": "integer", "minimum": 10**400, "maximum": -(10**400)},
        {"type": "number", "multipleOf": 1e-300},
        {"type": "string", "pattern": "(a+)+$", "minLength": 10**9},
        {"$ref": "#"},
        {"$ref": "#/$defs/\u00e9\u00e8"},
        {"not": {}},
        {"type": "array", "items": {"$ref": "#"}, "minItems": 3},
    ]
)


def _pointers(value: Any, ptr: str = "") -> list[str]:
    out = [ptr]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _pointers(v, pointer(ptr, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _pointers(v, pointer(ptr, i))
    return out


def _parent(value: Any, ptr: str) -> tuple[Any, str]:
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in ptr.split("/")[1:]]
    node = value
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node, tokens[-1]


def _mutate(value: Any, data: st.DataObject) -> Any:
    ptr = data.draw(st.sampled_from(_pointers(value)[1:] or [""]), label="at")
    op = data.draw(
        st.sampled_from(["delete", "replace", "special", "rename", "swap"]), label="op"
    )
    if not ptr:
        return copy.deepcopy(data.draw(_VALUES | _SPECIAL, label="root"))
    parent, key = _parent(value, ptr)
    index: Any = int(key) if isinstance(parent, list) else key
    if op == "delete":
        del parent[index]
    elif op == "replace":
        parent[index] = data.draw(_VALUES, label="value")
    elif op == "special":
        parent[index] = copy.deepcopy(data.draw(_SPECIAL, label="special"))
    elif op == "rename" and isinstance(parent, dict):
        parent[data.draw(_TEXT, label="key")] = parent.pop(key)
    elif op == "swap" and isinstance(parent, dict) and len(parent) > 1:
        other = data.draw(st.sampled_from(sorted(parent)), label="other")
        parent[key], parent[other] = parent[other], parent[key]
    return value


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _fuzz(tmp: Path, folder: str, data: st.DataObject) -> None:
    root = tmp / "service"
    shutil.rmtree(root, ignore_errors=True)
    (root / "schemas").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    shutil.copytree(SEEDS / folder, root / "schemas" / folder)
    files = sorted((root / "schemas" / folder).glob("*.json"))
    values = {path: json.loads(path.read_text()) for path in files}
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(files), label="file")
        values[path] = _mutate(values[path], data)
    for path, value in values.items():
        text = json.dumps(value, ensure_ascii=data.draw(st.booleans(), label="ascii"))
        text = text.replace(json.dumps(DEEP), _nested(1000))
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = _snapshot(root)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["regen", str(root)])
    assert code in (EXIT_OK, EXIT_BAD_INPUT), err.getvalue()
    if code == EXIT_BAD_INPUT:
        assert _snapshot(root) == before, "regen wrote files despite exit 2"
        assert "Traceback" not in err.getvalue()


@FUZZ
@given(data=st.data())
def test_mutated_message_schemas_never_crash(
    tmp_path: Path, data: st.DataObject
) -> None:
    _fuzz(tmp_path, "messages", data)


@FUZZ
@given(data=st.data())
def test_mutated_config_schemas_never_crash(
    tmp_path: Path, data: st.DataObject
) -> None:
    _fuzz(tmp_path, "config", data)

"""The TOML position scanner: every key and value tomllib reads has the
``line:col`` where it was written, whatever spelling the document uses."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import SchemaError
from generator.ir import Span
from generator.tomlsource import KeyPath, TomlDocument, load_toml

ROOT = Path(__file__).resolve().parent.parent

TRICKY = '''# a comment with [brackets] and key = "value"
[project]
name = "x" # trailing = comment
"quoted key" = 'literal # not a comment'
dotted.inner."with space" = 1979-05-27 07:32:00Z
text = """
[not.a.table]
fake = "key" \\""" still the string
"""
raw = \'\'\'
also = not a key
\'\'\'
list = [
  1,  # one
  [2, 3],
  { deep = true },
]

[[jobs]]
name = "first"
[jobs.retry]
attempts = 1

[[jobs]]
  name = "second"
  inline = { a = 1, b = { c = "}" } }
'''


def at(doc: TomlDocument, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
    span = doc.span(path, key=key)
    return span.line, span.col


def test_positions_of_every_spelling() -> None:
    doc = load_toml("pyproject.toml", TRICKY)
    assert at(doc, ("project", "name")) == (3, 8)
    assert at(doc, ("project", "quoted key"), key=True) == (4, 1)
    assert at(doc, ("project", "quoted key")) == (4, 16)
    assert at(doc, ("project", "dotted", "inner", "with space"), key=True) == (5, 14)
    assert at(doc, ("project", "dotted", "inner", "with space")) == (5, 29)
    assert at(doc, ("project", "text")) == (6, 8)
    assert at(doc, ("project", "raw")) == (10, 7)
    assert at(doc, ("project", "list", 0)) == (14, 3)
    assert at(doc, ("project", "list", 1, 1)) == (15, 7)
    assert at(doc, ("project", "list", 2, "deep")) == (16, 12)
    assert at(doc, ("jobs", 0)) == (19, 1)
    assert at(doc, ("jobs", 0, "retry", "attempts")) == (22, 12)
    assert at(doc, ("jobs", 1, "name")) == (25, 10)
    assert at(doc, ("jobs", 1, "inline", "b", "c")) == (26, 31)
    # Text inside strings is not mistaken for tables or keys.
    assert ("not", "a", "table") not in doc.values
    assert ("project", "also") not in doc.values


def test_an_unwritten_key_falls_back_to_its_table() -> None:
    doc = load_toml("pyproject.toml", TRICKY)
    assert at(doc, ("jobs", 1, "missing")) == (24, 1)
    assert at(doc, ("nowhere",)) == (1, 1)


def test_invalid_toml_is_a_diagnostic_at_its_position() -> None:
    with pytest.raises(SchemaError) as exc:
        load_toml("pyproject.toml", '[project]\nname = "x\n')
    assert str(exc.value) == (
        "pyproject.toml:2:10: invalid TOML: Illegal character '\\n'"
    )


def paths(value: Any, prefix: KeyPath = ()) -> list[KeyPath]:
    out: list[KeyPath] = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for k, v in items:
        out.append((*prefix, k))
        out += paths(v, (*prefix, k))
    return out


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(ROOT).as_posix()
        for p in ROOT.glob("**/pyproject.toml")
        if not {".venv", "node_modules"} & set(p.parts)
    ),
)
def test_every_key_of_the_repositorys_pyprojects_has_a_position(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    doc = load_toml(path, text)
    assert set(paths(doc.value)) <= set(doc.values)
    assert set(paths(doc.value)) <= set(doc.keys)


# --- Generated documents: the scanner finds exactly where the writer wrote ---

_BARE = re.compile(r"[A-Za-z0-9_-]+\Z")
_keys = st.one_of(
    st.from_regex(_BARE, fullmatch=True),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
        | st.sampled_from(" .=#[]{}\"'\\\n\t"),
        max_size=8,
    ),
)
_scalars = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
        | st.sampled_from(" .=#[]{}\"'\\\n"),
        max_size=10,
    ),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3)
    ),
    max_leaves=12,
)
_documents = st.dictionaries(_keys, _values, max_size=4)


class _Writer:
    """Writes a document in a spelling drawn at each table (header, inline,
    dotted keys, array of tables) and notes where each leaf went."""

    def __init__(self, draw: st.DataObject) -> None:
        self.draw = draw
        self.text = ""
        self.leaves: dict[KeyPath, tuple[int, int]] = {}

    def write(self, text: str) -> int:
        start = len(self.text)
        self.text += text
        return start

    def key(self, k: str) -> str:
        return k if _BARE.match(k) else json.dumps(k, ensure_ascii=False)

    def value(self, path: KeyPath, v: Any) -> None:
        if isinstance(v, dict):
            self.write("{ ")
            for i, (k, item) in enumerate(v.items()):
                self.write(", " if i else "")
                self.key_value(path, k, item)
            self.write(" }")
        elif isinstance(v, list):
            multiline = self.draw.draw(st.booleans())
            self.write("[")
            for i, item in enumerate(v):
                self.write("\n  # item\n  " if multiline else " ")
                self.value((*path, i), item)
                self.write(",")
            self.write("\n]" if multiline else " ]")
        else:
            literal = (
                json.dumps(v, ensure_ascii=False)
                if isinstance(v, bool | str)
                else str(v)
            )
            self.leaves[path] = (self.write(literal), 0)

    def key_value(self, path: KeyPath, k: str, v: Any) -> None:
        start = self.write(self.key(k))
        self.write(" = ")
        self.value((*path, k), v)
        if not isinstance(v, dict | list):
            self.leaves[(*path, k)] = (self.leaves[(*path, k)][0], start)

    def table(self, path: KeyPath, table: dict[str, Any]) -> None:
        later: list[tuple[str, Any]] = []
        for k, v in table.items():
            tables = isinstance(v, list) and v and all(isinstance(e, dict) for e in v)
            if (isinstance(v, dict) or tables) and self.draw.draw(st.booleans()):
                later.append((k, v))
            else:
                self.key_value(path, k, v)
                self.write("  # note\n")
        for k, v in later:
            # A header names no index: [a.b] inside [[a]] is the last a's.
            header = ".".join(self.key(p) for p in (*path, k) if isinstance(p, str))
            if isinstance(v, dict):
                self.write(f"\n[ {header} ]\n")
                self.table((*path, k), v)
                continue
            for i, entry in enumerate(v):
                self.write(f"\n[[{header}]]\n")
                self.table((*path, k, i), entry)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_documents, st.data())
def test_generated_documents_put_every_leaf_where_it_was_written(
    document: dict[str, Any], data: st.DataObject
) -> None:
    writer = _Writer(data)
    writer.table((), document)
    assert tomllib.loads(writer.text) == document
    doc = load_toml("pyproject.toml", writer.text)
    for path, (value_at, key_at) in writer.leaves.items():
        assert doc.values[path] == Span(
            "pyproject.toml", *_position(writer.text, value_at)
        )
        if isinstance(path[-1], str):
            assert doc.keys[path] == Span(
                "pyproject.toml", *_position(writer.text, key_at)
            )

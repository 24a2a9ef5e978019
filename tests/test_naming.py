"""Names decided once (``generator.naming``): whatever schemas call things -
keywords, builtins, dunders, pydantic attributes, unicode, names that differ
only by case or that collide once snake-cased - the generated code gets valid,
unique, non-reserved identifiers, and the same input always the same names."""

from __future__ import annotations

import builtins
import keyword
from random import Random

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from generator.naming import (
    RESERVED_CLASS_NAMES,
    class_names,
    enum_member_names,
    field_names,
    message_names,
    snake_case,
    sql_field_names,
    sql_member_names,
    sql_param_names,
    sql_table_names,
)

# Names chosen to hit every rule, mixed with arbitrary text.
_TRICKY = st.sampled_from(
    [
        *keyword.kwlist,
        *keyword.softkwlist,
        "__init__",
        "__class__",
        "model_config",
        "model_dump",
        "schema",
        "json",
        "dict",
        "copy",
        "validate",
        "self",
        "str",
        "int",
        "list",
        "id",
        "type",
        "print",
        "I",
        "O",
        "l",
        "_",
        "__",
        "1st",
        "",
        "名前",
        "naïve",
        "emoji😀",
        "bidPrice",
        "bid_price",
        "BidPrice",
        "BIDPRICE",
        "bid-price",
        "bid price",
        "HTTPStatus",
        "HttpStatus",
        "http_status",
        "a",
        "A",
    ]
)
_NAMES = st.lists(_TRICKY | st.text(max_size=10), max_size=14)


def _valid(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


@given(_NAMES)
def test_field_names_are_valid_unique_and_keep_off_reserved_names(
    wires: list[str],
) -> None:
    wires = list(dict.fromkeys(wires))  # a record's fields have distinct names
    names = field_names(wires)
    assert len(names) == len(wires)
    assert len(set(names)) == len(names)
    for wire, name in zip(wires, names, strict=True):
        assert _valid(name), (wire, name)
        assert not name.startswith("_") and name not in dir(BaseModel)
        assert not keyword.issoftkeyword(name)
        # A model accepts both names when validating: an attribute never takes
        # another field's wire name.
        assert name == wire or name not in wires
    assert field_names(wires) == names


@given(_NAMES)
def test_enum_members_are_valid_unique_and_not_str_methods(symbols: list[str]) -> None:
    symbols = list(dict.fromkeys(symbols))
    members = enum_member_names(symbols)
    assert len(set(members)) == len(members) == len(symbols)
    for m in members:
        assert _valid(m) and not m.startswith("_")
        assert m not in {"name", "value", "upper", "split"}
    assert enum_member_names(symbols) == members


@given(_NAMES, st.lists(st.sampled_from(["", "com.acme", "org.other", "a.b.c"])))
def test_class_names_are_unique_even_snake_cased_and_stable(
    shorts: list[str], namespaces: list[str]
) -> None:
    fullnames = list(
        dict.fromkeys(
            f"{ns}.{s}" if ns else s
            for s, ns in zip(shorts, namespaces or [""] * len(shorts), strict=False)
        )
    )
    out = class_names(fullnames)
    classes = list(out.values())
    assert len({snake_case(c) for c in classes}) == len(classes)
    for c in classes:
        assert _valid(c) and not c.startswith("_")
        assert c not in RESERVED_CLASS_NAMES and c not in {"I", "O", "l"}
    # Codec constants and example functions, named from the classes, are
    # unique too.
    made = [message_names(c) for c in classes]
    assert len({m.constant for m in made}) == len(made)
    assert len({m.example for m in made}) == len(made)
    assert all(_valid(m.example) for m in made)
    shuffled = list(fullnames)
    Random(len(fullnames)).shuffle(shuffled)
    assert class_names(shuffled) == out


@given(st.lists(st.tuples(st.sampled_from(["public", "audit", "Sales"]), _TRICKY)))
def test_tables_get_distinct_modules_and_classes(tables: list[tuple[str, str]]) -> None:
    tables = list(dict.fromkeys(tables))  # PostgreSQL: one name per schema
    names = sql_table_names(tables)
    modules = [n.module for n in names]
    assert len(set(modules)) == len(modules)
    for field in ("row_class", "insert_class", "repository_class"):
        classes = [getattr(n, field) for n in names]
        assert len(set(classes)) == len(classes), field
        assert all(_valid(c) for c in classes)
    assert all(_valid(m) and m not in {"enums", "migrations"} for m in modules)
    assert sql_table_names(tables) == names


@given(_NAMES)
def test_columns_parameters_and_labels_become_valid_unique_names(
    raw: list[str],
) -> None:
    columns = list(dict.fromkeys(raw))
    for names in (
        sql_field_names(columns),
        sql_param_names(columns),
        sql_member_names(columns),
    ):
        assert len(set(names)) == len(names) == len(columns)
        assert all(_valid(n) for n in names), names
    params = sql_param_names(columns)
    # Parameters sit beside ``db`` and the builtins annotations name.
    assert "db" not in params and not set(params) & {"str", "int", "list"}
    # Columns stay off names the generated modules use.
    assert not set(sql_field_names(columns)) & {"self", "Decimal", "UUID"}


def test_builtins_are_kept_off_where_they_would_shadow() -> None:
    shadowing = [b for b in dir(builtins) if b in {"str", "int", "float", "bytes"}]
    assert not set(field_names(shadowing)) & set(shadowing)

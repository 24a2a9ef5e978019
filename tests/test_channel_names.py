"""Channel attribute names (``naming.channel_names``): whatever the manifest
calls its channels, the generated ``Channels`` class gets valid, unique,
non-reserved attributes, the same ones every time."""

from __future__ import annotations

import keyword
import re
from random import Random

from hypothesis import given
from hypothesis import strategies as st

from generator.naming import channel_names

# The channel-name rule of the manifest, and anything else a caller may pass.
_manifest_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,12}", fullmatch=True)
_any_names = st.text(max_size=12)
_RESERVED = {"messaging", "spec", "name"}


@given(st.lists(_manifest_names | _any_names, max_size=12))
def test_names_become_unique_valid_attributes(names: list[str]) -> None:
    out = channel_names(names)
    assert set(out) == set(names)
    attrs = list(out.values())
    assert len(set(attrs)) == len(attrs)
    for attr in attrs:
        assert attr.isidentifier() and attr.isascii(), attr
        assert not keyword.iskeyword(attr) and attr not in _RESERVED
        assert not attr.startswith("_")


@given(st.lists(_manifest_names, max_size=12), st.randoms())
def test_the_same_channels_always_get_the_same_names(
    names: list[str], random: Random
) -> None:
    shuffled = list(names)
    random.shuffle(shuffled)
    assert channel_names(shuffled) == channel_names(names)


@given(st.lists(_manifest_names | st.sampled_from(["a_", "trades_", "b_2"])))
def test_a_name_that_is_a_good_attribute_keeps_it(names: list[str]) -> None:
    out = channel_names(names)
    for name in names:
        snake = re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*_?", name)
        if snake and not keyword.iskeyword(name) and name not in _RESERVED:
            assert out[name] == name


def test_collisions_after_snake_casing_get_suffixes() -> None:
    assert channel_names(["order-books", "order_books", "OrderBooks", "class"]) == {
        "OrderBooks": "order_books_2",
        "class": "class_",
        "order-books": "order_books_3",
        "order_books": "order_books",
    }

"""The one identifier function and the one uniqueness routine every name
is made with, and the case conversions."""

from __future__ import annotations

import re
from collections.abc import Callable

_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_NOT_IDENT = re.compile(r"[^0-9A-Za-z_]")


def snake_case(name: str) -> str:
    """``bidPrice`` -> ``bid_price``; ``HTTPStatus`` -> ``http_status``."""
    text = _NOT_IDENT.sub("_", name)
    text = _CAMEL_1.sub(r"\1_\2", text)
    text = _CAMEL_2.sub(r"\1_\2", text)
    return re.sub(r"_+", "_", text).lower()


def pascal_case(name: str) -> str:
    """``order_book`` -> ``OrderBook``; an already PascalCase name is kept."""
    parts = [p for p in _NOT_IDENT.sub("_", name).split("_") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts)


def identifier(text: str, fallback: str, *, squeeze: bool = False) -> str:
    """``text`` with what a Python name cannot hold replaced by ``_``;
    ``fallback`` when nothing is left, and in front of a leading digit.
    ``squeeze`` also folds runs of ``_`` into one and trims them at the ends
    (SQL names, where any punctuation separates words)."""
    text = _NOT_IDENT.sub("_", text)
    if squeeze:
        text = re.sub(r"_+", "_", text).strip("_")
    if not text or text.strip("_") == "":
        text = fallback
    if text[0].isdigit():
        text = f"{fallback}_{text}"
    return text


def unique(
    base: str,
    taken: set[str],
    *,
    sep: str = "_",
    double_underscore: bool = False,
    key: Callable[[str], str] | None = None,
) -> str:
    """``base``, else ``base_2``, ``base_3``…: the first name not in ``taken``,
    which then holds it.  ``sep`` goes before the number (``""`` for class
    names: ``Trade2``); a base ending in ``_`` takes the bare number
    (``class_2``), unless ``double_underscore`` (SQL names: ``class__2``).
    With ``key``, names are told apart by ``key(name)`` (``taken`` holds keys):
    class names that must differ once snake-cased, say."""
    keyed = key or (lambda text: text)
    if base.endswith("_") and not double_underscore:
        sep = ""
    name, n = base, 2
    while keyed(name) in taken:
        name = f"{base}{sep}{n}"
        n += 1
    taken.add(keyed(name))
    return name

"""A short string that a regular expression matches, made from its parse
tree: the first alternative of each branch, the fewest repetitions, the first
character of each class.  Deterministic: the same pattern always gives the
same string.  The example-maker checks the result against the schema itself,
so a pattern this reads differently from ECMA-262 costs nothing but a retry.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

# The regular-expression parser's public names are deprecated aliases of
# private modules since Python 3.11; their API is what this needs.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as c
    import sre_parse

_CATEGORY = {
    c.CATEGORY_DIGIT: "0",
    c.CATEGORY_NOT_DIGIT: "a",
    c.CATEGORY_WORD: "a",
    c.CATEGORY_NOT_WORD: "-",
    c.CATEGORY_SPACE: " ",
    c.CATEGORY_NOT_SPACE: "a",
}
_LIMIT = 4096
_REPEATS = {
    op
    for op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None))
    if op is not None
}


def regex_example(pattern: str) -> str | None:
    """A string ``pattern`` matches (``re.search``), or None when Python
    cannot read the pattern or no short string is found."""
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError, ValueError):
        return None
    groups: dict[int, str] = {}
    try:
        text: str = _seq(tree, groups)
    except (_Unsupported, RecursionError):
        return None
    if len(text) > _LIMIT:
        return None
    try:
        return text if re.search(pattern, text) else None
    except (re.error, RecursionError):
        return None


class _Unsupported(Exception):
    pass


def _seq(items: Any, groups: dict[int, str]) -> str:
    return "".join(_item(op, av, groups) for op, av in items)


def _item(op: Any, av: Any, groups: dict[int, str]) -> str:
    simple = _SIMPLE.get(op)
    if simple is not None:
        return str(simple(av))
    if op in _REPEATS:
        low, _, sub = av
        if low > _LIMIT:
            raise _Unsupported
        return str(_seq(sub, groups) * low)
    if op is c.SUBPATTERN:
        group, sub = av[0], av[-1]
        text = _seq(sub, groups)
        if group is not None:
            groups[group] = text
        return text
    if op is c.BRANCH:
        return _seq(av[1][0], groups)
    if op is c.GROUPREF:
        return groups.get(av, "")
    raise _Unsupported


def _not_literal(av: Any) -> str:
    return "a" if chr(av) != "a" else "b"


def _class(items: Any) -> str:
    negate = any(op is c.NEGATE for op, _ in items)
    if negate:
        banned = set()
        for op, av in items:
            if op is c.LITERAL:
                banned.add(chr(av))
            elif op is c.RANGE:
                banned |= {chr(x) for x in range(av[0], min(av[1], av[0] + 256) + 1)}
        return next(ch for ch in "aA0_-x" if ch not in banned)
    for op, av in items:
        if op is c.LITERAL:
            return chr(av)
        if op is c.RANGE:
            return chr(av[0])
        if op is c.CATEGORY:
            return _CATEGORY.get(av, "a")
    raise _Unsupported


_SIMPLE: dict[Any, Any] = {
    c.LITERAL: chr,
    c.NOT_LITERAL: _not_literal,
    c.ANY: lambda av: "a",
    c.IN: _class,
    c.AT: lambda av: "",
    c.ASSERT: lambda av: "",
    c.ASSERT_NOT: lambda av: "",
    c.CATEGORY: lambda av: _CATEGORY.get(av, "a"),
}

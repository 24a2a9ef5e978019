"""Regular expressions as published schemas write them: ECMA-262 with its
Annex B (the syntax web browsers accept), where a ``{`` or ``}`` that starts
no quantifier and a ``]`` outside a character class are literal characters
(``^\\${{\\s*if(.*?)\\s*}}$``, ``\\[\\*]``).  Validators that read the
stricter Unicode-mode grammar refuse those, so every ``pattern`` and
``patternProperties`` key is rewritten with such characters escaped: the same
language, in a spelling every reader agrees on.
"""

from __future__ import annotations

import re
from copy import deepcopy
from typing import Any

from generator.frontends.jsonschema.walk import subschemas, too_deep

_QUANTIFIER = re.compile(r"\{\d+(?:,\d*)?\}")


def escaped(pattern: str) -> str:
    """``pattern`` with its literal braces and brackets escaped."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        quantifier = _QUANTIFIER.match(pattern, i) if ch == "{" else None
        if quantifier and not in_class:
            out.append(quantifier[0])
            i = quantifier.end()
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch in "{}]":
            ch = "\\" + ch
        out.append(ch)
        i += 1
    return "".join(out)


def with_escaped_patterns(value: Any) -> Any:
    """A copy of a schema file's value whose patterns are ``escaped`` (the
    value itself when none changes, or when the checks will refuse it for
    nesting too deeply)."""
    if too_deep(value) is not None:
        return value
    copy = _rewrite(value)
    return value if copy == value else copy


def _rewrite(node: Any) -> Any:
    """The copy: every subschema's ``pattern`` and ``patternProperties``
    keys escaped, the rest as it was (walked as ``subschemas`` walks)."""
    copy = deepcopy(node)
    for _, sub in subschemas(copy):
        if not isinstance(sub, dict):
            continue
        if isinstance(sub.get("pattern"), str):
            sub["pattern"] = escaped(sub["pattern"])
        props = sub.get("patternProperties")
        if isinstance(props, dict):
            sub["patternProperties"] = {escaped(k): v for k, v in props.items()}
    return copy

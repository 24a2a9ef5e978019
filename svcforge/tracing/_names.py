"""Span names of database statements: the generated function that runs
them (``InstrumentRepository.get``, ``recent_trades``), found once per
statement text on the caller's stack, so that generated code needs no
change to be traced."""

from __future__ import annotations

import sys
from types import FrameType

__all__ = ["statement_name"]

_NAMES: dict[str, str] = {}
# Statements written in application code may embed values and so be many:
# past this many, new texts get the keyword name without being remembered.
_MAX_NAMES = 4096
_MAX_DEPTH = 16


def statement_name(query: str, method: str) -> str:
    """The span name of ``query``: the qualified name of the generated
    function (a module inside a ``generated`` package) that runs it, else
    its first keyword (``SELECT``), or ``COPY`` for ``copy_records``."""
    name = _NAMES.get(query)
    if name is None:
        name = _from_stack(sys._getframe(1)) or _keyword(query, method)
        if len(_NAMES) < _MAX_NAMES:
            _NAMES[query] = name
    return name


def _from_stack(frame: FrameType | None) -> str | None:
    """The first caller outside svcforge, if it is generated code."""
    depth = 0
    while frame is not None and depth < _MAX_DEPTH:
        module = frame.f_globals.get("__name__", "")
        if not (module == "svcforge" or module.startswith("svcforge.")):
            parts = module.split(".")
            if "generated" in parts[:-1]:
                return frame.f_code.co_qualname
            return None
        frame = frame.f_back
        depth += 1
    return None


def _keyword(query: str, method: str) -> str:
    if method == "copy_records_to_table":
        return f"COPY {query}"
    word = query.lstrip(" \t\r\n(").split(None, 1)
    return word[0].upper() if word else method

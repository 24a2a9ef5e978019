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
    """The span name of ``query``: the qualified name of the function that
    runs it, when that is generated code (a module inside a ``generated``
    package: ``InstrumentRepository.get``, ``recent_trades``) or svcforge's
    own (``Store.write``); else, for statements of the application's own,
    its first keyword (``SELECT``), or ``COPY <table>`` for COPY."""
    name = _NAMES.get(query)
    if name is None:
        name = _from_stack(sys._getframe(1)) or _keyword(query, method)
        if len(_NAMES) < _MAX_NAMES:
            _NAMES[query] = name
    return name


# The runtime's statement plumbing: never what a span is named after.
_PLUMBING = ("svcforge.tracing.", "svcforge.db._connection", "svcforge.db._database")
_HELPERS = "svcforge.db._repository"


def _from_stack(frame: FrameType | None) -> str | None:
    depth = 0
    while frame is not None and depth < _MAX_DEPTH:
        module = frame.f_globals.get("__name__", "")
        if not (module.startswith(_PLUMBING) or module == _HELPERS):
            if module.startswith("svcforge.") or "generated" in module.split(".")[:-1]:
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

"""The opt-in strict reading of JSON Schema files (``strict_keywords = true``
in ``[tool.svcforge]``): a warning for each keyword the file's draft does not
define.  Such keywords are annotations, as the specification says, and stay
so; the warning is for teams that would rather hear of a typo (``minLenght``)
or of a keyword of a later draft than have it silently ignored."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from generator.errors import Diagnostic
from generator.frontends.jsonschema.drafts import declared
from generator.frontends.jsonschema.keywords import (
    ANNOTATIONS,
    CORE,
    EXACT,
    EXACT_WHEN,
    SCHEMA,
    SCHEMA_LIST,
    SCHEMA_MAP,
    TYPED,
)
from generator.frontends.jsonschema.normalize import UNKNOWN_IN
from generator.frontends.jsonschema.walk import subschemas, too_deep
from generator.jsonsource import JsonDocument, pointer

_KNOWN = frozenset(
    {
        *SCHEMA,
        *SCHEMA_LIST,
        *SCHEMA_MAP,
        *TYPED,
        *EXACT,
        *(k for k in EXACT_WHEN if k != "false"),
        *ANNOTATIONS,
        *CORE,
        "$ref",
    }
)


def unknown_keywords(documents: Sequence[JsonDocument]) -> list[Diagnostic]:
    """A warning at each keyword a file's draft does not define."""
    return [w for doc in documents for w in _document(doc)]


def _document(doc: JsonDocument) -> Iterator[Diagnostic]:
    if not isinstance(doc.value, dict) or too_deep(doc.value) is not None:
        return  # refused by the checks, which say why
    draft = declared(doc.value)
    known = _KNOWN - UNKNOWN_IN[draft] - ({"id"} if draft != "4" else set())
    for ptr, node in subschemas(doc.value):
        for key in node if isinstance(node, dict) else ():
            if key not in known:
                where = pointer(ptr, key)
                yield Diagnostic(
                    doc.span(where, key=True),
                    f"unknown keyword {key!r}: draft {draft} does not define it, "
                    f"so it is an annotation (at {where})",
                )

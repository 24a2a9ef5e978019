"""Which JSON Schema draft a file is written in, told by its ``$schema``.

Drafts 4, 6, 7, 2019-09 and 2020-12, in any common spelling of their
meta-schema URI: ``http`` or ``https``, with or without the trailing ``#``
(and ``http://json-schema.org/schema#``, "the latest", is 2020-12).  A file
without ``$schema`` is read as 2020-12.
"""

from __future__ import annotations

import re
from typing import Any, Literal

Draft = Literal["4", "6", "7", "2019-09", "2020-12"]

DEFAULT: Draft = "2020-12"
CANONICAL: dict[Draft, str] = {
    "4": "http://json-schema.org/draft-04/schema#",
    "6": "http://json-schema.org/draft-06/schema#",
    "7": "http://json-schema.org/draft-07/schema#",
    "2019-09": "https://json-schema.org/draft/2019-09/schema",
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
}
"""The spelling of each draft's meta-schema URI that validators know."""
DRAFT_2020_12 = CANONICAL["2020-12"]

_URI = re.compile(
    r"https?://(?:www\.)?json-schema\.org/"
    r"(?P<path>draft-0[3467]/schema|draft/20(?:19-09|20-12)/schema|schema)"
    r"/?#?",
    re.IGNORECASE,
)
_PATHS: dict[str, Draft | None] = {
    "draft-03/schema": None,
    "draft-04/schema": "4",
    "draft-06/schema": "6",
    "draft-07/schema": "7",
    "draft/2019-09/schema": "2019-09",
    "draft/2020-12/schema": "2020-12",
    "schema": "2020-12",
}


def parse_draft(value: str) -> Draft | None:
    """The draft a ``$schema`` value names; None when it names none of the
    supported ones (draft-03, or a meta-schema of someone's own)."""
    match = _URI.fullmatch(value.strip())
    return _PATHS[match["path"].lower()] if match else None


def declared(value: Any) -> Draft:
    """The draft of a schema document's root value (2020-12 without a valid
    ``$schema``: the checker reports a bad one)."""
    schema = value.get("$schema") if isinstance(value, dict) else None
    draft = parse_draft(schema) if isinstance(schema, str) else None
    return draft or DEFAULT

"""Which JSON Schema drafts a file may declare with ``$schema``, and the
draft whose meaning the front-end gives it."""

from __future__ import annotations

from generator.jsonsource import JsonDocument

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
DRAFTS = {
    DRAFT_2020_12: "2020-12",
    DRAFT_2020_12 + "#": "2020-12",
    "https://json-schema.org/draft/2019-09/schema": "2020-12",
    DRAFT_07: "draft-07",
    DRAFT_07.rstrip("#"): "draft-07",
    "https://json-schema.org/draft-07/schema#": "draft-07",
    "https://json-schema.org/draft-07/schema": "draft-07",
}
"""Each accepted ``$schema`` value -> its draft."""


def draft_of(doc: JsonDocument) -> str:
    value = doc.value.get("$schema") if isinstance(doc.value, dict) else None
    return DRAFTS.get(value, "2020-12") if isinstance(value, str) else "2020-12"

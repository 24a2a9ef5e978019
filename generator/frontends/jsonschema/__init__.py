"""JSON Schema front-end: message schemas (``schemas/messages/**/*.json``, see
``messages``) and config schemas (``schemas/config/*.json``, see ``config``)
-> IR."""

from generator.frontends.jsonschema.config import add_runtime_groups, parse_config
from generator.frontends.jsonschema.messages import (
    JsonSchemaIR,
    parse_jsonschema,
    parse_jsonschema_schemas,
)

__all__ = [
    "JsonSchemaIR",
    "add_runtime_groups",
    "parse_config",
    "parse_jsonschema",
    "parse_jsonschema_schemas",
]

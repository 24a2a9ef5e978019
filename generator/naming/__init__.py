"""Python-safe, unique, stable names for things named in schemas, decided
once: front-ends store them in the IR, emitters only read them.

Wire names are kept for the wire (aliases); only the Python side is renamed.
Every name is made with ``words.identifier`` and kept apart from the others
with ``words.unique``; one module per kind of thing named.
"""

from generator.naming.channels import (
    channel_constants,
    channel_names,
)
from generator.naming.messages import (
    RESERVED_CLASS_NAMES,
    MessageNames,
    class_names,
    enum_member_names,
    field_names,
    message_names,
    module_name,
)
from generator.naming.sql import (
    QueryNames,
    TableNames,
    plural,
    sql_composite_classes,
    sql_embed_field,
    sql_enum_classes,
    sql_field_names,
    sql_lookup,
    sql_member_names,
    sql_param_names,
    sql_query_module,
    sql_query_names,
    sql_table_names,
)
from generator.naming.words import (
    identifier,
    pascal_case,
    snake_case,
    unique,
)

__all__ = [
    "RESERVED_CLASS_NAMES",
    "MessageNames",
    "QueryNames",
    "TableNames",
    "channel_constants",
    "channel_names",
    "class_names",
    "enum_member_names",
    "field_names",
    "identifier",
    "message_names",
    "module_name",
    "pascal_case",
    "plural",
    "snake_case",
    "sql_composite_classes",
    "sql_embed_field",
    "sql_enum_classes",
    "sql_field_names",
    "sql_lookup",
    "sql_member_names",
    "sql_param_names",
    "sql_query_module",
    "sql_query_names",
    "sql_table_names",
    "unique",
]

"""The one model of a service that front-ends produce and emitters consume.

Small frozen dataclasses, tuples instead of lists, no I/O and no back-references:
named types are referred to by full name through ``Ref``.  One module per part
(``avro`` messages and their types, ``sql``/``tables``/``queries`` for
PostgreSQL, ``channels``, ``jsonschema``, ``settings``) and ``service`` holding
them all; every name is re-exported here, so code reads ``ir.Table``.
"""

from generator.ir.avro import (
    NULL,
    Array,
    Enum,
    EnumSymbol,
    Field,
    Fixed,
    Logical,
    LogicalName,
    Map,
    Message,
    MessageKind,
    NamedType,
    Primitive,
    PrimitiveName,
    Record,
    Ref,
    Type,
    Union,
)
from generator.ir.base import (
    MISSING,
    JsonValue,
    Missing,
    Span,
)
from generator.ir.channels import (
    Channel,
    ChannelTransport,
    Compression,
    KafkaTarget,
    RedisTarget,
    RetryPolicy,
)
from generator.ir.jsonschema import (
    JsonMessage,
    JsonModels,
    JsonResource,
    JsonSchemaDef,
)
from generator.ir.queries import (
    Query,
    QueryColumn,
    QueryCommand,
    QueryEmbed,
    QueryParam,
)
from generator.ir.service import (
    Service,
)
from generator.ir.settings import (
    Setting,
    SettingKind,
    Settings,
    SettingsGroup,
    SettingType,
)
from generator.ir.sql import (
    SQL_BASE_TYPES,
    SQL_EXTRA_TYPES,
    SqlArg,
    SqlArgMode,
    SqlEnum,
    SqlFunction,
    SqlType,
)
from generator.ir.tables import (
    Check,
    Column,
    ForeignKey,
    Index,
    Key,
    Migration,
    SqlComposite,
    Table,
    TableKind,
)

__all__ = [
    "MISSING",
    "NULL",
    "SQL_BASE_TYPES",
    "SQL_EXTRA_TYPES",
    "Array",
    "Channel",
    "ChannelTransport",
    "Check",
    "Column",
    "Compression",
    "Enum",
    "EnumSymbol",
    "Field",
    "Fixed",
    "ForeignKey",
    "Index",
    "JsonMessage",
    "JsonModels",
    "JsonResource",
    "JsonSchemaDef",
    "JsonValue",
    "KafkaTarget",
    "Key",
    "Logical",
    "LogicalName",
    "Map",
    "Message",
    "MessageKind",
    "Migration",
    "Missing",
    "NamedType",
    "Primitive",
    "PrimitiveName",
    "Query",
    "QueryColumn",
    "QueryCommand",
    "QueryEmbed",
    "QueryParam",
    "Record",
    "RedisTarget",
    "Ref",
    "RetryPolicy",
    "Service",
    "Setting",
    "SettingKind",
    "SettingType",
    "Settings",
    "SettingsGroup",
    "Span",
    "SqlArg",
    "SqlArgMode",
    "SqlComposite",
    "SqlEnum",
    "SqlFunction",
    "SqlType",
    "Table",
    "TableKind",
    "Type",
    "Union",
]

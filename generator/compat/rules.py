"""What ``svcforge compat`` reports: rule IDs, modes and breaks.

Rule IDs follow buf's style (``UPPER_SNAKE``, one per kind of break) and are
prefixed by the format they guard.  Whether a change breaks depends on who
reads what: under ``BACKWARD`` the new schema reads data written with the old
one, under ``FORWARD`` the old schema reads the new one's data (Confluent
Schema Registry's modes).  A check compares a *writer* with a *reader* and
names what it finds by ``Kind``; the direction turns a kind into a rule ID,
so "a reader field without default" is a field *added* without default when
the reader is the new schema and *removed* when it is the old one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from generator.ir import Span
from generator.manifest_model import CompatMode

Mode = CompatMode

MODES: tuple[Mode, ...] = get_args(Mode)
DEFAULT_MODE: Mode = "BACKWARD"
Direction = Literal["backward", "forward"]


def directions(mode: Mode) -> tuple[Direction, ...]:
    """Which way data flows under ``mode``: ``backward`` = new reads old."""
    base = mode.removesuffix("_TRANSITIVE")
    if base == "FULL":
        return ("backward", "forward")
    if base == "BACKWARD":
        return ("backward",)
    if base == "FORWARD":
        return ("forward",)
    return ()


def transitive(mode: Mode) -> bool:
    return mode.endswith("_TRANSITIVE")


# Kind -> (rule when the reader is the new schema, rule when it is the old one).
_BY_DIRECTION: dict[str, tuple[str, str]] = {
    "avro.field_no_default": (
        "AVRO_FIELD_ADDED_NO_DEFAULT",
        "AVRO_FIELD_REMOVED_NO_DEFAULT",
    ),
    "avro.enum_symbol": ("AVRO_ENUM_SYMBOL_REMOVED", "AVRO_ENUM_SYMBOL_ADDED"),
    "avro.union_branch": ("AVRO_UNION_BRANCH_REMOVED", "AVRO_UNION_BRANCH_ADDED"),
    "avro.type": ("AVRO_TYPE_CHANGED", "AVRO_TYPE_CHANGED"),
    "avro.name": ("AVRO_NAME_CHANGED", "AVRO_NAME_CHANGED"),
    "avro.fixed_size": ("AVRO_FIXED_SIZE_CHANGED", "AVRO_FIXED_SIZE_CHANGED"),
    "avro.logical": ("AVRO_LOGICAL_TYPE_CHANGED", "AVRO_LOGICAL_TYPE_CHANGED"),
    "avro.decimal": ("AVRO_DECIMAL_CHANGED", "AVRO_DECIMAL_CHANGED"),
    "json.type": ("JSON_TYPE_NARROWED", "JSON_TYPE_WIDENED"),
    "json.enum": ("JSON_ENUM_VALUE_REMOVED", "JSON_ENUM_VALUE_ADDED"),
    "json.constraint": ("JSON_CONSTRAINT_TIGHTENED", "JSON_CONSTRAINT_LOOSENED"),
    "json.required": ("JSON_REQUIRED_ADDED", "JSON_REQUIRED_REMOVED"),
    "json.closed_property": ("JSON_PROPERTY_REMOVED", "JSON_PROPERTY_ADDED"),
    "json.open_property": (
        "JSON_PROPERTY_ADDED_TO_OPEN_MODEL",
        "JSON_PROPERTY_REMOVED_FROM_OPEN_MODEL",
    ),
    "json.content_model": ("JSON_CONTENT_MODEL_CLOSED", "JSON_CONTENT_MODEL_OPENED"),
    "json.union_branch": ("JSON_UNION_BRANCH_REMOVED", "JSON_UNION_BRANCH_ADDED"),
    "json.oneof_overlap": ("JSON_ONEOF_OVERLAP", "JSON_ONEOF_OVERLAP"),
    "json.unsupported": ("JSON_SCHEMA_CHANGED", "JSON_SCHEMA_CHANGED"),
}


def rule_for(kind: str, direction: Direction) -> str:
    backward, forward = _BY_DIRECTION[kind]
    return backward if direction == "backward" else forward


RULES: dict[str, str] = {
    "AVRO_FIELD_ADDED_NO_DEFAULT": "a field the new schema reads has no default "
    "and old data lacks it",
    "AVRO_FIELD_REMOVED_NO_DEFAULT": "a field old readers need, without default, "
    "is gone from the new schema",
    "AVRO_ENUM_SYMBOL_REMOVED": "an enum symbol old data may hold is gone and the "
    "enum has no default",
    "AVRO_ENUM_SYMBOL_ADDED": "a new enum symbol that old readers do not know, "
    "and their enum has no default",
    "AVRO_UNION_BRANCH_REMOVED": "a union branch old data may use is gone",
    "AVRO_UNION_BRANCH_ADDED": "a new union branch that old readers cannot read",
    "AVRO_TYPE_CHANGED": "a type changed, and not by a promotion "
    "(int->long->float->double, string<->bytes)",
    "AVRO_NAME_CHANGED": "a named type was renamed without an alias",
    "AVRO_FIXED_SIZE_CHANGED": "a fixed type changed size",
    "AVRO_LOGICAL_TYPE_CHANGED": "a logical type was added, removed or changed",
    "AVRO_DECIMAL_CHANGED": "a decimal's scale changed or its precision shrank",
    "JSON_TYPE_NARROWED": "the new schema rejects a type the old one allowed",
    "JSON_TYPE_WIDENED": "the new schema allows a type old readers reject",
    "JSON_ENUM_VALUE_REMOVED": "an enum or const value the old schema allowed is gone",
    "JSON_ENUM_VALUE_ADDED": "a new enum value that old readers reject",
    "JSON_CONSTRAINT_TIGHTENED": "a constraint (length, range, pattern, format, "
    "enum, uniqueness) is stricter",
    "JSON_CONSTRAINT_LOOSENED": "a constraint is looser than old readers accept",
    "JSON_REQUIRED_ADDED": "a property became required",
    "JSON_REQUIRED_REMOVED": "a property old readers require became optional",
    "JSON_PROPERTY_REMOVED": "a property old data may hold is gone from a closed "
    "content model",
    "JSON_PROPERTY_ADDED": "a new property that old readers' closed content model "
    "rejects",
    "JSON_PROPERTY_ADDED_TO_OPEN_MODEL": "a property was added to an open content "
    "model: old data may hold any value under its name",
    "JSON_PROPERTY_REMOVED_FROM_OPEN_MODEL": "a property old readers check was "
    "removed from an open content model: new data may hold anything there",
    "JSON_CONTENT_MODEL_CLOSED": "additionalProperties now rejects properties the "
    "old schema allowed",
    "JSON_CONTENT_MODEL_OPENED": "additionalProperties now allows properties old "
    "readers reject",
    "JSON_UNION_BRANCH_REMOVED": "a oneOf/anyOf branch old data may match is gone",
    "JSON_UNION_BRANCH_ADDED": "a new oneOf/anyOf branch old readers reject",
    "JSON_ONEOF_OVERLAP": "a value would match more than one oneOf branch",
    "JSON_SCHEMA_CHANGED": "a keyword compat cannot compare changed",
    "MESSAGE_REMOVED": "a message schema is gone",
    "SQL_MIGRATION_EDITED": "a migration that exists at the revision was edited",
    "SQL_MIGRATION_DELETED": "a migration that exists at the revision was deleted",
    "SQL_MIGRATION_OUT_OF_ORDER": "a new migration sorts before one already applied",
    "SQL_TABLE_DROPPED": "a new migration drops a table",
    "SQL_TABLE_RENAMED": "a new migration renames a table",
    "SQL_COLUMN_DROPPED": "a new migration drops a column",
    "SQL_COLUMN_RENAMED": "a new migration renames a column",
    "SQL_COLUMN_TYPE_CHANGED": "a column's type narrows or rewrites the table",
    "SQL_COLUMN_SET_NOT_NULL": "an existing column became NOT NULL",
    "SQL_ENUM_DROPPED": "an enum type was dropped",
    "SQL_ENUM_LABEL_REMOVED": "an enum label was removed or renamed",
    "SQL_QUERY_BROKEN": "a query of the revision no longer types against the new "
    "migrations",
    "SQL_QUERY_TYPES_CHANGED": "a query of the revision has other parameter or "
    "result types against the new migrations",
    "SQL_QUERY_NULLABILITY_CHANGED": "a query's result column may now be NULL, or "
    "a parameter may no longer be",
    "CHANNEL_REMOVED": "a channel's topic or stream is no longer used",
    "CHANNEL_TOPIC_CHANGED": "a channel moved to another topic or stream, or "
    "left a transport",
    "CHANNEL_MESSAGE_INCOMPATIBLE": "a channel carries another message that is "
    "not compatible under its mode",
    "CHANNEL_KEY_CHANGED": "a channel's key field (or its type) changed",
    "CHANNEL_PARTITIONS_DECREASED": "a Kafka channel has fewer partitions",
    "CHANNEL_ENCODING_CHANGED": "a channel's encoding (framing) changed",
}


@dataclass(frozen=True, slots=True)
class Break:
    """One breaking change, located in the new schema where it can be."""

    rule: str
    span: Span
    """Where the changed node is in the new tree (the old place when the node
    is gone and nothing in the new tree stands for it)."""
    message: str
    subject: str
    """What broke, by name: ``com.acme.Order.total``, ``public.users.email``,
    ``users.sql:get_user``, a channel's name."""
    old: Span | None = None
    """Where it was at the revision compared against."""
    old_revision: str = ""
    """The commit of ``old`` when it is not the revision compared against
    (an earlier version, under a ``_TRANSITIVE`` mode)."""
    mode: str = ""
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def key(self) -> tuple[str, int, int, str, str, str]:
        return (
            self.span.path,
            self.span.line,
            self.span.col,
            self.rule,
            self.subject,
            self.message,
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """What a writer/reader check found, before a direction names its rule."""

    kind: str
    subject: str
    writer: Span
    """Where the writer's node is."""
    reader: Span
    message: str
    """Already phrased for its direction ("the new schema", "old readers")."""

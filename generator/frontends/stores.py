"""Consume -> store: a channel's ``store = "<table>"`` bound to the table and
checked at generation time.

**The mapping rule.**  Each column an INSERT may fill takes the message field
of the same name: its Python attribute, its wire name or one of its Avro
aliases (compared without case).  A field whose type is a record (or null or
a record) also offers its own fields as ``<field>_<its field>``, recursively
up to four levels: ``venue: {mic, name}`` fills the columns ``venue_mic`` and
``venue_name``, which are NULL when ``venue`` is null.  A name found directly
wins over a flattened one.  Fields without a column are not stored; columns
without a field get their default, or NULL.

**The checks**, each an error at ``path:line:col`` naming both the schema
and the migration: a column that is NOT NULL without a default and that no
field fills; a field whose type does not fit its column (``store_types``),
or that may be null where the column is NOT NULL.  The message must fill a
primary key or unique key (with values that are never null): it is what
makes a redelivered message the same row, so that at-least-once delivery
stores each row exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from generator import ir
from generator.errors import Diagnostic, SchemaError, did_you_mean
from generator.frontends.store_types import Fit, avro_text, fit, strip_null
from generator.manifest import ChannelEntry

_DEPTH = 4


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A field that may fill a column, reached through ``path``."""

    names: frozenset[str]
    path: tuple[str, ...]
    nullable: tuple[bool, ...]
    field: ir.Field
    type: ir.Type


def bind_stores(entries: tuple[ChannelEntry, ...], service: ir.Service) -> ir.Service:
    """``service`` with the store of each channel that declares one; raise
    ``SchemaError`` with every problem of every store."""
    by_name = {e.decl.name: e for e in entries}
    errors: list[Diagnostic] = []
    channels = []
    for channel in service.channels:
        entry = by_name.get(channel.name)
        if entry is None or entry.decl.store is None:
            channels.append(channel)
            continue
        try:
            store = _store(entry, channel, service)
        except SchemaError as exc:
            errors.extend(exc.diagnostics)
            continue
        channels.append(replace(channel, store=store))
    if errors:
        raise SchemaError(errors)
    return replace(service, channels=tuple(channels))


def _store(entry: ChannelEntry, channel: ir.Channel, service: ir.Service) -> ir.Store:
    decl = entry.decl
    span = entry.value_span("store")
    table = _table(entry, service)
    message = next(m for m in service.messages if m.fullname == channel.message)
    if message.kind != "record" or message.encoding != "avro":
        raise SchemaError(
            [
                Diagnostic(
                    span,
                    f"channel {channel.name!r}: store maps the fields of an Avro "
                    f"record message; {message.fullname} is "
                    + (
                        "a JSON Schema message"
                        if message.encoding == "json"
                        else f"an Avro {message.kind} message"
                    ),
                )
            ]
        )
    record = service.record(message.fullname)
    values, errors = _values(channel, record, table, service)
    if errors:
        raise SchemaError(errors)
    key = _key(channel, record, table, values, span)
    return ir.Store(
        table=table.qualname,
        values=values,
        key=key,
        on_conflict=decl.on_conflict or "ignore",
        function=f"{channel.py_name}_row",
        span=span,
    )


def _table(entry: ChannelEntry, service: ir.Service) -> ir.Table:
    """The table ``store`` names: by qualified name, or by its own name when
    that is unique."""
    wanted = entry.decl.store or ""
    span = entry.value_span("store")
    found = [t for t in service.tables if wanted in (t.qualname, t.name)]
    if len(found) > 1:
        found = [t for t in found if t.qualname == wanted]
    if len(found) != 1:
        names = [t.qualname for t in service.tables if t.writable]
        hint = did_you_mean(wanted, [*names, *(n.partition(".")[2] for n in names)])
        text = (
            f"table {wanted!r} is in several schemas: write its qualified name"
            if found
            else f"no table {wanted!r} in schemas/tables"
        )
        raise SchemaError(
            [
                Diagnostic(
                    span,
                    f"channel {entry.decl.name!r}: {text}",
                    hint + f"tables: {', '.join(names) or 'none'}",
                )
            ]
        )
    table = found[0]
    if not table.writable:
        raise SchemaError(
            [
                Diagnostic(
                    span,
                    f"channel {entry.decl.name!r}: {table.qualname} is a "
                    f"{table.kind}; rows are stored in tables",
                )
            ]
        )
    return table


def _names(f: ir.Field) -> set[str]:
    return {n.lower() for n in (f.py_name, f.name, *f.aliases)}


def _candidates(
    service: ir.Service,
    record: ir.Record,
    prefixes: frozenset[str] = frozenset(),
    path: tuple[str, ...] = (),
    nullable: tuple[bool, ...] = (),
) -> list[_Candidate]:
    """The fields of ``record`` by the column names they fill: its own
    first, then those of its nested records, level by level."""
    own: list[_Candidate] = []
    nested: list[tuple[_Candidate, ir.Record]] = []
    for f in record.fields:
        t, optional = strip_null(f.type)
        names = frozenset(
            f"{p}_{n}" if p else n for p in (prefixes or {""}) for n in _names(f)
        )
        candidate = _Candidate(names, (*path, f.py_name), (*nullable, optional), f, t)
        own.append(candidate)
        if isinstance(t, ir.Ref) and len(path) < _DEPTH:
            inner = service.named(t.fullname)
            if isinstance(inner, ir.Record):
                nested.append((candidate, inner))
    for c, inner in nested:
        own += _candidates(service, inner, c.names, c.path, c.nullable)
    return own


def _values(
    channel: ir.Channel, record: ir.Record, table: ir.Table, service: ir.Service
) -> tuple[tuple[ir.StoreValue, ...], list[Diagnostic]]:
    candidates = _candidates(service, record)
    values: list[ir.StoreValue] = []
    errors: list[Diagnostic] = []
    for column in table.insertable:
        name = column.name.lower()
        found = next((c for c in candidates if name in c.names), None)
        if found is None:
            if not column.nullable and not column.has_default:
                errors.append(_uncovered(channel, record, table, column))
            continue
        value = _value(channel, record, table, column, found, service)
        if isinstance(value, Diagnostic):
            errors.append(value)
        else:
            values.append(value)
    return tuple(values), errors


def _value(
    channel: ir.Channel,
    record: ir.Record,
    table: ir.Table,
    column: ir.Column,
    found: _Candidate,
    service: ir.Service,
) -> ir.StoreValue | Diagnostic:
    match = fit(service, found.type, column.type)
    if not isinstance(match, Fit):
        reason = match.reason
    elif any(found.nullable) and not column.nullable:
        reason = (
            "the field may be null, but the column is NOT NULL"
            if found.nullable[-1]
            else "a record it is flattened from may be null, but the column is NOT NULL"
        )
    else:
        return ir.StoreValue(
            column=column.name,
            attribute=column.py_name,
            path=found.path,
            nullable=found.nullable,
            convert=match.convert,
            enum_class=match.enum_class,
        )
    field_type = avro_text(service, found.field.type)
    return Diagnostic(
        found.field.span,
        f"channel {channel.name!r} stores field {'.'.join(found.path)!r} of "
        f"{record.name} ({field_type}) in column {column.name!r} of "
        f"{table.qualname} ({column.type.sql}"
        f"{'' if column.nullable else ' NOT NULL'}) at {column.span}: {reason}",
        "change the field's type or the column's (a new migration), or rename "
        "one of them so that they no longer meet",
    )


def _uncovered(
    channel: ir.Channel, record: ir.Record, table: ir.Table, column: ir.Column
) -> Diagnostic:
    return Diagnostic(
        column.span,
        f"channel {channel.name!r} stores {record.name} (at {record.span}) in "
        f"{table.qualname}, but no field of {record.name} fills column "
        f"{column.name!r}, which is NOT NULL without a default",
        f"add a field {column.name!r} to {record.name}, or give the column a "
        "default or let it be NULL (a new migration)",
    )


def _key(
    channel: ir.Channel,
    record: ir.Record,
    table: ir.Table,
    values: tuple[ir.StoreValue, ...],
    span: ir.Span,
) -> tuple[str, ...]:
    """The first primary or unique key whose columns the message fills with
    values that are never null."""
    filled = {v.column for v in values if not any(v.nullable)}
    keys = [k for k in (table.primary_key, *table.unique_keys) if k is not None]
    for k in keys:
        if all(c in filled for c in k.columns):
            return k.columns
    shown = "; ".join(f"({', '.join(k.columns)})" for k in keys) or "none"
    raise SchemaError(
        [
            Diagnostic(
                span,
                f"channel {channel.name!r}: {record.name} fills no primary or "
                f"unique key of {table.qualname} (keys: {shown}); without one a "
                "message delivered twice would be stored twice",
                "add a UNIQUE constraint on fields the message always carries "
                "(an event id, say) in a new migration",
            )
        ]
    )

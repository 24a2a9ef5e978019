"""Decisions that span front-ends, taken once every front-end has run.

An Avro enum and a PostgreSQL enum type with the same class name and the same
symbols, in the same order, are one Python enum: ``models.py`` defines it and
``db/enums.py`` registers that class for the database type, so a handler
stores a message's ``Side.BUY`` as it is, never converting between two
look-alike classes.  Enums that differ in any symbol stay apart.
"""

from __future__ import annotations

from dataclasses import replace

from generator import ir


def share_enums(service: ir.Service) -> ir.Service:
    avro = {t.py_name: t for t in service.named_types if isinstance(t, ir.Enum)}
    shared = tuple(_shared(e, avro.get(e.py_name)) for e in service.sql_enums)
    return replace(service, sql_enums=shared)


def _shared(sql: ir.SqlEnum, avro: ir.Enum | None) -> ir.SqlEnum:
    if avro is None or tuple(s.name for s in avro.symbols) != sql.labels:
        return sql
    return replace(
        sql,
        member_names=tuple(s.py_name for s in avro.symbols),
        shared=avro.fullname,
    )

"""Sequences: nothing of the service's types, but relations of their schema,
so that a table, view or index cannot take a sequence's name (PostgreSQL
refuses it) and a renamed or moved sequence frees its old one."""

from __future__ import annotations

from typing import Any

from generator.frontends.sql.migrations.step import (
    Step,
    created_relation,
    relation_name,
)
from generator.frontends.sql.source import SqlError


def create_sequence(step: Step, node: Any) -> None:
    rel = created_relation(node.sequence)
    qual = step.catalog.qualify(rel.relname, rel.schemaname, rel.location)
    if step.catalog.relation_taken(qual):
        if node.if_not_exists:
            return
        raise SqlError(rel.location, f'relation "{qual}" already exists')
    step.catalog.sequences.add(qual)


def rename_sequence(step: Step, node: Any) -> bool:
    """ALTER SEQUENCE (or TABLE) ... RENAME TO; False when the relation is
    no sequence svcforge knows of."""
    old = relation_name(node.relation)
    if old not in step.catalog.sequences:
        return False
    _move(step, old, f"{old.partition('.')[0]}.{node.newname}", node.relation)
    return True


def set_sequence_schema(step: Step, node: Any) -> bool:
    """ALTER SEQUENCE (or TABLE) ... SET SCHEMA; False as for renames."""
    old = relation_name(node.relation)
    if old not in step.catalog.sequences:
        return False
    new = step.catalog.qualify(
        node.relation.relname, node.newschema, node.relation.location
    )
    _move(step, old, new, node.relation)
    return True


def _move(step: Step, old: str, new: str, rel: Any) -> None:
    if step.catalog.relation_taken(new):
        raise SqlError(rel.location, f'relation "{new}" already exists')
    step.catalog.sequences.discard(old)
    step.catalog.sequences.add(new)


def rename_schema_sequences(step: Step, old: str, new: str) -> None:
    moved = {q for q in step.catalog.sequences if q.startswith(old + ".")}
    step.catalog.sequences -= moved
    step.catalog.sequences |= {new + q[len(old) :] for q in moved}


def drop_schema_sequences(step: Step, name: str) -> None:
    step.catalog.sequences = {
        q for q in step.catalog.sequences if not q.startswith(name + ".")
    }

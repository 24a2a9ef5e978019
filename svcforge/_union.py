"""The model of a union message: one of several record models.

A schema file whose schema is a union of records (the usual way to put several
event types on one topic) has no model class of its own: its values are
instances of the records' models.  Codecs and channels still want one object
to stand for "the message type"; ``message_union`` makes it, a class that no
value is an instance of directly but that ``isinstance`` accepts any branch
for, carrying pydantic's validator and serializer of the union.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from functools import reduce
from typing import Any, cast

from pydantic import BaseModel, TypeAdapter

__all__ = ["MessageUnion", "message_union"]


class MessageUnion(type):
    """The metaclass of a union message's type: ``isinstance(value, T)`` holds
    for an instance of any branch."""

    __branches__: tuple[type[BaseModel], ...]
    __names__: Mapping[type[BaseModel], str]

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, cls.__branches__)

    def branch_name(cls, value: BaseModel) -> str:
        """The full Avro name of the branch ``value`` belongs to."""
        names = cls.__names__
        name = names.get(type(value))
        if name is None:
            name = next(n for c, n in names.items() if isinstance(value, c))
        return name


class _TaggedSerializer:
    """Serialises a branch's instance as fastavro's tuple notation
    ``(full name, fields)``, so that fastavro writes the very branch the value
    belongs to rather than the first record whose fields fit."""

    __slots__ = ("union",)

    def __init__(self) -> None:
        self.union: MessageUnion | None = None

    def to_python(self, value: BaseModel, **kwargs: Any) -> Any:
        assert self.union is not None
        fields = type(value).__pydantic_serializer__.to_python(value, **kwargs)
        return (self.union.branch_name(value), fields)


def message_union(name: str, branches: Mapping[str, type[BaseModel]]) -> type[Any]:
    """The type of a union message named ``name`` whose branches are the
    record models ``branches``, by full Avro name, in schema order."""
    models = tuple(branches.values())
    adapter: TypeAdapter[Any] = TypeAdapter(reduce(operator.or_, models))
    serializer = _TaggedSerializer()
    union = MessageUnion(
        name,
        (),
        {
            "__doc__": f"Any of {', '.join(m.__name__ for m in models)}.",
            "__module__": models[0].__module__ if models else __name__,
            "__branches__": models,
            "__names__": {model: full for full, model in branches.items()},
            "__pydantic_validator__": adapter.validator,
            "__pydantic_serializer__": serializer,
        },
    )
    serializer.union = union
    return cast(type[Any], union)

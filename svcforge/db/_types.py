"""Types shared by the database runtime and the code generated against it."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
)
from typing import Any, Final, Protocol, TypeVar

__all__ = [
    "UNSET",
    "Cidr",
    "CompositeType",
    "EnumType",
    "Executor",
    "Inet",
    "JsonValue",
    "Record",
    "Unset",
    "changed",
]

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
"""A value of a ``json`` or ``jsonb`` column, as ``json.loads`` returns it."""

Inet = IPv4Address | IPv6Address | IPv4Interface | IPv6Interface
"""An ``inet`` value: an address, or an interface when it carries a netmask."""

Cidr = IPv4Network | IPv6Network
"""A ``cidr`` value."""

T = TypeVar("T")


class Unset(enum.Enum):
    """The type of ``UNSET``: "leave this column as it is" in a partial update
    (``None`` there means NULL)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def changed(value: T | Unset) -> tuple[bool, T | None]:
    """The two parameters a partial update binds for one column: whether to
    set it, and the value."""
    if value is UNSET:
        return False, None
    return True, value


class Record(Protocol):
    """A result row as the driver returns it (an ``asyncpg.Record``)."""

    def __getitem__(self, key: int | str, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...


class Executor(Protocol):
    """Where generated repositories and queries run their statements: a
    ``Database`` (each call on a pooled connection) or a ``Connection`` (for
    example inside ``Database.transaction()``)."""

    async def fetch(self, query: str, *args: object) -> list[Record]: ...
    async def fetchrow(self, query: str, *args: object) -> Record | None: ...
    async def fetchval(self, query: str, *args: object) -> Any: ...
    async def execute(self, query: str, *args: object) -> str: ...
    async def executemany(
        self, query: str, args: Iterable[Sequence[object]]
    ) -> None: ...
    async def fetchmany(
        self, query: str, args: Iterable[Sequence[object]]
    ) -> list[Record]: ...
    async def copy_records(
        self,
        table: str,
        records: Iterable[Sequence[object]],
        *,
        columns: Sequence[str],
        schema: str | None = "public",
    ) -> int: ...


@dataclass(frozen=True, slots=True)
class EnumType:
    """A PostgreSQL enum type and the Python ``StrEnum`` its values decode to."""

    schema: str
    name: str
    python: type[enum.StrEnum]


@dataclass(frozen=True, slots=True)
class CompositeType:
    """A PostgreSQL composite type and the ``NamedTuple`` its values decode to
    (generated services list it in ``ENUM_TYPES`` after the enum types)."""

    schema: str
    name: str
    python: type[tuple[Any, ...]]

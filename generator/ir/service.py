"""The service: everything the front-ends found, in one frozen value."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.ir.avro import Message, NamedType, Record
from generator.ir.channels import Channel
from generator.ir.jsonschema import JsonModels
from generator.ir.policies import Policy
from generator.ir.queries import Query
from generator.ir.settings import Settings
from generator.ir.sql import SqlEnum, SqlFunction
from generator.ir.tables import Migration, SqlComposite, Table


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    package: str
    named_types: tuple[NamedType, ...] = ()
    """Every named type of every message schema, sorted by full name."""
    messages: tuple[Message, ...] = ()
    """Top-level messages, sorted by full name."""
    sources: tuple[str, ...] = field(default=())
    """Every schema file read, relative to the service root, sorted."""
    channels: tuple[Channel, ...] = ()
    """Channels of ``[tool.svcforge.channels]``, sorted by name."""
    sql_enums: tuple[SqlEnum, ...] = ()
    """Enum types the migrations define, sorted by qualified name."""
    tables: tuple[Table, ...] = ()
    """Tables after replaying every migration, sorted by qualified name."""
    migrations: tuple[Migration, ...] = ()
    """``schemas/tables/*.sql`` in the order they apply."""
    queries: tuple[Query, ...] = ()
    """Named queries of ``schemas/queries/*.sql``, by file then position."""
    sql_composites: tuple[SqlComposite, ...] = ()
    """Composite types the migrations define, sorted by qualified name."""
    sql_functions: tuple[SqlFunction, ...] = ()
    """Functions and procedures the migrations define, sorted by qualified
    name then argument types (overloads share a name)."""
    json_models: JsonModels | None = None
    """Models of the JSON Schema messages (``schemas/messages/*.json``)."""
    json_records: tuple[Record, ...] = ()
    """The top-level properties of each JSON Schema message, as a record (for
    channel keys; none for a root model); their models come from
    ``json_models``, not from here."""
    settings: Settings | None = None
    """The service's settings (``schemas/config/*.json``), if it has any."""
    policies: tuple[Policy, ...] = ()
    """Policies of ``[tool.svcforge.policies]`` (dependencies), by name."""
    src: str = "src"
    """The folder that holds the package (``[tool.svcforge] src``)."""
    tests: str = "tests"
    """The folder of the service's tests (``[tool.svcforge] tests``)."""

    @property
    def generated_dir(self) -> str:
        """Where the generated package lives, relative to the service root."""
        return f"{self.src}/{self.package.replace('.', '/')}/generated"

    @property
    def generated_tests_dir(self) -> str:
        """Where the generated tests live, relative to the service root."""
        return f"{self.tests}/generated"

    def named(self, fullname: str) -> NamedType:
        for t in self.named_types:
            if t.fullname == fullname:
                return t
        for r in self.json_records:
            if r.fullname == fullname:
                return r
        raise KeyError(fullname)

    def record(self, fullname: str) -> Record:
        t = self.named(fullname)
        if not isinstance(t, Record):
            raise KeyError(f"{fullname} is not a record")
        return t

    def table(self, qualname: str) -> Table:
        for t in self.tables:
            if t.qualname == qualname:
                return t
        raise KeyError(qualname)

    def sql_enum(self, qualname: str) -> SqlEnum:
        for e in self.sql_enums:
            if e.qualname == qualname:
                return e
        raise KeyError(qualname)

    def sql_composite(self, qualname: str) -> SqlComposite:
        for c in self.sql_composites:
            if c.qualname == qualname:
                return c
        raise KeyError(qualname)

"""Specialised Avro binary codecs (pure): for every record a message reaches, a
writer and a reader function of straight-line calls into
``svcforge.avro_binary``, one call per field.

Types with parameters (enums, fixed, decimals, arrays, maps, unions) get a
module-level reader or writer, built once at import by a factory of the
runtime; records get functions, so that records may refer to each other and to
themselves.  A union whose branches the model holds as the same Python class
(``int`` and ``long``, ``bytes`` and a fixed...) cannot be told apart when
writing: the records that hold or reach one keep fastavro's writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator import ir
from generator.emitters.pysrc import INDENT, call
from generator.naming import snake_case, unique

RUNTIME = "svcforge.avro_binary"
LOGICAL = "svcforge.avro_logical"
MODELS = ".models"

# The Python class the generated models hold for a value of each type: the
# module to import it from (empty for builtins) and its name.
_PRIMITIVE_CLASS = {
    "null": ("", "type(None)"),
    "boolean": ("", "bool"),
    "int": ("", "int"),
    "long": ("", "int"),
    "float": ("", "float"),
    "double": ("", "float"),
    "bytes": ("", "bytes"),
    "string": ("", "str"),
}
_LOGICAL_CLASS = {
    "date": ("datetime", "date"),
    "time-millis": ("datetime", "time"),
    "time-micros": ("datetime", "time"),
    "timestamp-millis": ("datetime", "datetime"),
    "timestamp-micros": ("datetime", "datetime"),
    "local-timestamp-millis": ("datetime", "datetime"),
    "local-timestamp-micros": ("datetime", "datetime"),
    "uuid": ("uuid", "UUID"),
    "decimal": ("decimal", "Decimal"),
}
# Names longer than this are cut at a word boundary (then numbered if need be),
# so that the lines calling them stay short.
_MAX_NAME = 40


@dataclass(slots=True)
class BinaryCodecs:
    """The specialised codec source of one service's messages."""

    functions: list[str] = field(default_factory=list)
    """Source of the record writer and reader functions."""
    helpers: dict[str, list[str]] = field(default_factory=dict)
    """Source lines of the module-level model builders, readers and writers,
    by kind (``build``, ``read``, ``write``), each after what it uses."""
    imports: set[str] = field(default_factory=set)
    """Import statements the functions need."""
    writers: dict[str, str | None] = field(default_factory=dict)
    """Writer function of each record (None: fastavro writes it)."""
    readers: dict[str, str] = field(default_factory=dict)
    """Reader function of each record."""


def emit_binary_codecs(service: ir.Service, taken: set[str]) -> BinaryCodecs:
    """Writer and reader functions of every record the messages reach, and the
    module-level helpers they use; ``taken`` are the module's other names.

    A message that is no record gets a reader and, if it can, a writer too: a
    root model's functions wrap its value's; a union of records is read and
    written by the union's helpers, named after the message."""
    emitter = _Emitter(service, taken)
    files = [m for m in service.messages if m.root is not None]
    for m in service.messages:
        if m.root is None:
            emitter.record_functions(service.record(m.fullname))
    readers = {m.fullname: emitter.message_reader(m) for m in files}
    emitter.emit_records()
    for m in files:
        emitter.file_message(m, readers[m.fullname])
    return emitter.out


class _Emitter:
    def __init__(self, service: ir.Service, taken: set[str]) -> None:
        self.service = service
        self.out = BinaryCodecs()
        self.taken = set(taken)
        self.helper_names: dict[tuple[str, ir.Type], str] = {}
        self.records: list[ir.Record] = []
        self.writers: dict[str, str] = {}
        self.readers: dict[str, str] = {}
        self.bad: set[str] = set()
        self.wanted: dict[tuple[str, ir.Type], str] = {}
        """Names asked for helpers not made yet (a union message's)."""
        """Records that fastavro writes (see ``unwritable``)."""

    # -- names -----------------------------------------------------------------

    def use(self, module: str, name: str) -> str:
        if module:
            self.out.imports.add(f"from {module} import {name}")
        return name

    def unique(self, base: str) -> str:
        if len(base) > _MAX_NAME:
            base = base[: base.rfind("_", 0, _MAX_NAME)] or base[:_MAX_NAME]
        return unique(base, self.taken, sep="")

    def slug(self, t: ir.Type) -> str:
        """A name for a type, to name its reader and writer after."""
        match t:
            case ir.Primitive(name):
                return name
            case ir.Logical(name="decimal", fixed=str(fixed)):
                return snake_case(self.service.named(fixed).py_name)
            case ir.Logical(name="decimal", precision=p, scale=s):
                return f"decimal{p}_{s}"
            case ir.Logical(name=name):
                return name.replace("-", "_")
            case ir.Array(items):
                return f"{self.slug(items)}_array"
            case ir.Map(values):
                return f"{self.slug(values)}_map"
            case ir.Union(branches) if len(branches) == 2 and t.optional:
                return f"optional_{self.slug(t.non_null[0])}"
            case ir.Union(branches) if len(branches) == 1:
                return f"{self.slug(branches[0])}_union"
            case ir.Union(branches):
                text = "_or_".join(self.slug(b) for b in branches)
                return text if len(text) <= _MAX_NAME else "union"
            case ir.Ref(fullname):
                return snake_case(self.service.named(fullname).py_name)
        raise TypeError(t)

    def helper(self, kind: str, t: ir.Type, factory: str, *args: str) -> str:
        """The module-level ``_{kind}_…`` that ``factory(*args)`` builds for
        ``t``, defined once."""
        key = (kind, t)
        if key not in self.helper_names:
            name = self.unique(self.wanted.pop(key, f"_{kind}_{self.slug(t)}"))
            self.helper_names[key] = name
            value = call(self.use(RUNTIME, factory), args)
            self.out.helpers.setdefault(kind, []).append(f"{name}: Final = {value}")
        return self.helper_names[key]

    def model(self, named: ir.NamedType) -> str:
        return self.use(MODELS, named.py_name)

    # -- records ---------------------------------------------------------------

    def record_functions(self, record: ir.Record) -> tuple[str, str]:
        """Names of the writer and reader functions of ``record``."""
        if record.fullname not in self.readers:
            base = snake_case(record.py_name)
            self.writers[record.fullname] = self.unique(f"_write_{base}")
            self.readers[record.fullname] = self.unique(f"_read_{base}")
            self.records.append(record)
        return self.writers[record.fullname], self.readers[record.fullname]

    def emit_records(self) -> None:
        # A record's reader may meet more records: go on until none is new.
        readers: list[str] = []
        while len(readers) < len(self.records):
            readers.append(self.reader_function(self.records[len(readers)]))
        unwritable = self.bad = self.unwritable()
        for record, reader in zip(self.records, readers, strict=True):
            if record.fullname in unwritable:
                self.out.writers[record.fullname] = None
            else:
                self.out.writers[record.fullname] = self.writers[record.fullname]
                self.out.functions.append(self.writer_function(record))
            self.out.readers[record.fullname] = self.readers[record.fullname]
            self.out.functions.append(reader)

    def reader_function(self, record: ir.Record) -> str:
        name = self.readers[record.fullname]
        model = self.model(record)
        build = self.helper("build", ir.Ref(record.fullname), "model_builder", model)
        readers = [self.reader(f.type) for f in record.fields]
        # Locals take the fields' names unless that would hide a name the
        # function uses, or make a line too long to read.
        taken = {"data", "pos", "values", name, build, model, *readers}
        body: list[str] = []
        entries: list[str] = []
        for i, (f, reader) in enumerate(zip(record.fields, readers, strict=True)):
            local = f.py_name
            if len(local) > _MAX_NAME:
                local = f"value{i}"
            while local in taken:
                local += "_"
            taken.add(local)
            body.append(f"{INDENT}{local}, pos = {reader}(data, pos)")
            entries.append(f'{INDENT * 2}"{f.py_name}": {local},')
        if entries:
            body += [f"{INDENT}values = {{", *entries, f"{INDENT}}}"]
            body.append(f"{INDENT}return {build}(values), pos")
        else:
            body.append(f"{INDENT}return {build}({{}}), pos")
        head = f"def {name}(data: bytes, pos: int) -> tuple[{model}, int]:"
        doc = f'{INDENT}"""The ``{record.py_name}`` at ``pos``, and the position after it."""'
        return "\n".join([head, doc, *body])

    # -- messages that are no record --------------------------------------------

    def message_reader(self, m: ir.Message) -> str:
        """The reader of a root or union message's value (which registers the
        records it reaches); a union's is named after the message."""
        assert m.root is not None
        if m.kind == "union":
            base = snake_case(m.py_name)
            self.wanted[("read", m.root)] = f"_read_{base}"
            self.wanted[("write", m.root)] = f"_write_{base}"
        return self.reader(m.root)

    def file_message(self, m: ir.Message, read_value: str) -> None:
        """The codec functions of a root or union message."""
        assert m.root is not None
        records: set[str] = set()
        writable = self.walk(m.root, records) and not records & self.bad
        if m.kind == "union":
            self.out.readers[m.fullname] = read_value
            self.out.writers[m.fullname] = self.writer(m.root) if writable else None
            return
        base = snake_case(m.py_name)
        model = self.use(MODELS, m.py_name)
        read, write = self.unique(f"_read_{base}"), self.unique(f"_write_{base}")
        self.out.readers[m.fullname] = read
        self.out.writers[m.fullname] = write if writable else None
        if writable:
            self.out.functions.append(
                "\n".join(
                    [
                        f"def {write}(out: bytearray, message: {model}) -> None:",
                        f'{INDENT}"""Appends the Avro binary encoding of ``message``."""',
                        f"{INDENT}{self.writer(m.root)}(out, message.root)",
                    ]
                )
            )
        self.out.functions.append(
            "\n".join(
                [
                    f"def {read}(data: bytes, pos: int) -> tuple[{model}, int]:",
                    f'{INDENT}"""The ``{m.py_name}`` at ``pos``, and the position after it."""',
                    f"{INDENT}value, pos = {read_value}(data, pos)",
                    f"{INDENT}return {model}.model_construct(value), pos",
                ]
            )
        )

    def writer_function(self, record: ir.Record) -> str:
        name = self.writers[record.fullname]
        model = self.model(record)
        head = f"def {name}(out: bytearray, message: {model}) -> None:"
        doc = f'{INDENT}"""Appends the Avro binary encoding of ``message``."""'
        body = [
            f"{INDENT}{self.writer(f.type)}(out, message.{f.py_name})"
            for f in record.fields
        ]
        return "\n".join([head, doc, *body])

    def unwritable(self) -> set[str]:
        """Records that hold, or reach, a union the writer cannot decide."""
        refs: dict[str, set[str]] = {}
        bad: set[str] = set()
        for record in self.records:
            targets = refs[record.fullname] = set()
            if not all(self.walk(f.type, targets) for f in record.fields):
                bad.add(record.fullname)
        changed = True
        while changed:
            changed = False
            for fullname, targets in refs.items():
                if fullname not in bad and targets & bad:
                    bad.add(fullname)
                    changed = True
        return bad

    def walk(self, t: ir.Type, records: set[str]) -> bool:
        """Collect the records ``t`` refers to; False if it holds a union whose
        branches share a Python class."""
        match t:
            case ir.Array(items):
                return self.walk(items, records)
            case ir.Map(values):
                return self.walk(values, records)
            case ir.Union(branches):
                ok = all([self.walk(b, records) for b in branches])
                classes = [_python_class(self.service, b) for b in branches]
                return ok and len(set(classes)) == len(classes)
            case ir.Ref(fullname):
                if isinstance(self.service.named(fullname), ir.Record):
                    records.add(fullname)
        return True

    # -- readers ---------------------------------------------------------------

    def reader(self, t: ir.Type) -> str:
        match t:
            case ir.Primitive(name):
                return self.use(RUNTIME, f"read_{name}")
            case ir.Logical(name="decimal", fixed=str(fixed)):
                return self.reader(ir.Ref(fixed))
            case ir.Logical(name="decimal", precision=p, scale=s):
                return self.helper("read", t, "decimal_reader", str(p), str(s))
            case ir.Logical(name=name):
                return self.use(RUNTIME, f"read_{name.replace('-', '_')}")
            case ir.Array(items):
                return self.helper("read", t, "array_reader", self.reader(items))
            case ir.Map(values):
                return self.helper("read", t, "map_reader", self.reader(values))
            case ir.Union(branches) if len(branches) == 2 and t.optional:
                inner = self.reader(t.non_null[0])
                null = str(branches.index(ir.NULL))
                return self.helper("read", t, "optional_reader", inner, null)
            case ir.Union(branches):
                readers = [self.reader(b) for b in branches]
                return self.helper("read", t, "union_reader", *readers)
            case ir.Ref(fullname):
                return self.named_reader(t, self.service.named(fullname))
        raise TypeError(t)

    def named_reader(self, ref: ir.Ref, named: ir.NamedType) -> str:
        match named:
            case ir.Record():
                return self.record_functions(named)[1]
            case ir.Enum():
                return self.helper("read", ref, "enum_reader", *self.members(named))
            case ir.Fixed(logical=ir.Logical(name="uuid")):
                return self.use(LOGICAL, "read_fixed_uuid")
            case ir.Fixed(size=size, logical=ir.Logical(precision=p, scale=s)):
                args = (str(size), str(p), str(s))
                return self.helper("read", ref, "fixed_decimal_reader", *args)
            case ir.Fixed(size=size):
                return self.helper("read", ref, "fixed_reader", str(size))
        raise TypeError(named)

    def members(self, enum: ir.Enum) -> list[str]:
        cls = self.model(enum)
        return [f"{cls}.{s.py_name}" for s in enum.symbols]

    # -- writers ---------------------------------------------------------------

    def writer(self, t: ir.Type) -> str:
        match t:
            case ir.Primitive(name):
                return self.use(RUNTIME, f"write_{name}")
            case ir.Logical(name="decimal", fixed=str(fixed)):
                return self.writer(ir.Ref(fixed))
            case ir.Logical(name="decimal", precision=p, scale=s):
                return self.helper("write", t, "decimal_writer", str(p), str(s))
            case ir.Logical(name=name):
                return self.use(RUNTIME, f"write_{name.replace('-', '_')}")
            case ir.Array(items):
                return self.helper("write", t, "array_writer", self.writer(items))
            case ir.Map(values):
                return self.helper("write", t, "map_writer", self.writer(values))
            case ir.Union(branches) if len(branches) == 2 and t.optional:
                inner = self.writer(t.non_null[0])
                null = str(branches.index(ir.NULL))
                return self.helper("write", t, "optional_writer", inner, null)
            case ir.Union(branches):
                pairs = [
                    f"({self.use(*_python_class(self.service, b))}, {self.writer(b)})"
                    for b in branches
                ]
                return self.helper("write", t, "union_writer", *pairs)
            case ir.Ref(fullname):
                return self.named_writer(t, self.service.named(fullname))
        raise TypeError(t)

    def named_writer(self, ref: ir.Ref, named: ir.NamedType) -> str:
        match named:
            case ir.Record():
                return self.record_functions(named)[0]
            case ir.Enum():
                return self.helper("write", ref, "enum_writer", *self.members(named))
            case ir.Fixed(logical=ir.Logical(name="uuid")):
                return self.use(LOGICAL, "write_fixed_uuid")
            case ir.Fixed(size=size, logical=ir.Logical(precision=p, scale=s)):
                args = (str(size), str(p), str(s))
                return self.helper("write", ref, "fixed_decimal_writer", *args)
            case ir.Fixed(size=size):
                return self.helper("write", ref, "fixed_writer", str(size))
        raise TypeError(named)


def _python_class(service: ir.Service, t: ir.Type) -> tuple[str, str]:
    """The module (empty: builtins) and name of the class the generated model
    holds for a value of ``t``."""
    match t:
        case ir.Primitive(name):
            return _PRIMITIVE_CLASS[name]
        case ir.Logical(name=name):
            return _LOGICAL_CLASS[name]
        case ir.Array():
            return "", "list"
        case ir.Map():
            return "", "dict"
        case ir.Ref(fullname):
            named = service.named(fullname)
            if isinstance(named, ir.Fixed):
                logical = named.logical
                return _LOGICAL_CLASS[logical.name] if logical else ("", "bytes")
            return MODELS, named.py_name
    raise TypeError(t)

"""Avro schema resolution, checked on the IR of a writer and a reader schema.

The rules are the specification's ("Schema Resolution"), as fastavro applies
them when it reads: named types match by unqualified name or by an alias of
the reader's; record fields by name or by a reader field's alias; a reader
field the writer lacks needs a default; an enum symbol the reader lacks needs
the reader enum's default; each writer union branch needs a reader branch
(the first that matches); primitives may be promoted (int -> long -> float ->
double, string <-> bytes).

Logical types are a reader's interpretation of the underlying value: the
specification and the Java library apply the *reader's*, so a changed
logical type (millis -> micros, a decimal's scale) silently changes every
value for such readers and is reported, although fastavro, which applies the
writer's, would still decode it.  A decimal may grow its precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator import ir
from generator.compat.rules import Problem

_PROMOTIONS = {
    ("int", "long"),
    ("int", "float"),
    ("int", "double"),
    ("long", "float"),
    ("long", "double"),
    ("float", "double"),
    ("string", "bytes"),
    ("bytes", "string"),
}


@dataclass(frozen=True, slots=True)
class _At:
    subject: str
    writer: ir.Span
    reader: ir.Span


@dataclass(slots=True)
class AvroCheck:
    """Can ``reader`` read what ``writer`` wrote?  ``reader_is_new`` only
    words the messages ("the new schema" or "old readers")."""

    writer: ir.Service
    reader: ir.Service
    reader_is_new: bool
    problems: list[Problem] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def message(self, writer_name: str, reader_name: str) -> list[Problem]:
        w, r = self.writer.named(writer_name), self.reader.named(reader_name)
        self._type(
            ir.Ref(writer_name), ir.Ref(reader_name), _At(r.fullname, w.span, r.span)
        )
        return self.problems

    # --- words ---------------------------------------------------------------

    @property
    def _reader_words(self) -> str:
        return "the new schema" if self.reader_is_new else "old readers"

    @property
    def _writer_words(self) -> str:
        return "old data" if self.reader_is_new else "new data"

    def _add(self, kind: str, at: _At, message: str) -> None:
        self.problems.append(Problem(kind, at.subject, at.writer, at.reader, message))

    # --- types ---------------------------------------------------------------

    def _type(self, w: ir.Type, r: ir.Type, at: _At) -> None:
        if isinstance(w, ir.Union):
            self._writer_union(w, r, at)
            return
        if isinstance(r, ir.Union):
            target = self._first_match(w, r)
            if target is None:
                self._add(
                    "avro.type",
                    at,
                    f"{self._describe(w, self.writer)} is not among "
                    f"{self._describe(r, self.reader)} of {self._reader_words}",
                )
                return
            r = target
        self._logical(w, r, at)
        self._structure(self._underlying(w), self._underlying(r), at)

    def _writer_union(self, w: ir.Union, r: ir.Type, at: _At) -> None:
        for branch in w.branches:
            target = (
                self._first_match(branch, r)
                if isinstance(r, ir.Union)
                else (r if self._matches(branch, r) else None)
            )
            if target is None:
                self._add(
                    "avro.union_branch",
                    at,
                    f"{self._writer_words} may hold a "
                    f"{self._describe(branch, self.writer)} here, which "
                    f"{self._reader_words} cannot read "
                    f"({self._describe(r, self.reader)})",
                )
                continue
            self._type(branch, target, at)

    def _first_match(self, w: ir.Type, r: ir.Union) -> ir.Type | None:
        return next((b for b in r.branches if self._matches(w, b)), None)

    def _matches(self, w: ir.Type, r: ir.Type) -> bool:
        """The specification's shallow match (what picks a union branch)."""
        w, r = self._underlying(w), self._underlying(r)
        match w, r:
            case ir.Primitive(a), ir.Primitive(b):
                return a == b or (a, b) in _PROMOTIONS
            case ir.Array(), ir.Array():
                return True
            case ir.Map(), ir.Map():
                return True
            case ir.Ref(a), ir.Ref(b):
                wt, rt = self.writer.named(a), self.reader.named(b)
                if (
                    isinstance(wt, ir.Fixed)
                    and isinstance(rt, ir.Fixed)
                    and wt.size != rt.size
                ):
                    return False
                return _same_name(wt, rt)
        return False

    def _underlying(self, t: ir.Type) -> ir.Type:
        match t:
            case ir.Logical(fixed=str(name)):
                return ir.Ref(name)
            case ir.Logical(base=str(base)):
                return ir.Primitive(base)
        return t

    def _logical(self, w: ir.Type, r: ir.Type, at: _At) -> None:
        wl, rl = self._logical_of(w, self.writer), self._logical_of(r, self.reader)
        if wl == rl:
            return
        if wl is not None and rl is not None and wl.name == rl.name == "decimal":
            if wl.scale != rl.scale:
                self._add(
                    "avro.decimal",
                    at,
                    f"decimal scale changed from {wl.scale} to {rl.scale}: "
                    f"{self._reader_words} would read every value "
                    f"scaled by 10^{wl.scale - rl.scale}",
                )
            elif rl.precision < wl.precision:
                self._add(
                    "avro.decimal",
                    at,
                    f"decimal precision {wl.precision} of {self._writer_words} "
                    f"does not fit the precision {rl.precision} of "
                    f"{self._reader_words}",
                )
            return
        self._add(
            "avro.logical",
            at,
            f"logical type changed from {_logical_name(wl)} to "
            f"{_logical_name(rl)}: the bytes stay, their meaning changes",
        )

    def _logical_of(self, t: ir.Type, service: ir.Service) -> ir.Logical | None:
        match t:
            case ir.Logical():
                return t
            case ir.Ref(name):
                named = service.named(name)
                if isinstance(named, ir.Fixed):
                    return named.logical
        return None

    def _structure(self, w: ir.Type, r: ir.Type, at: _At) -> None:
        match w, r:
            case ir.Primitive(a), ir.Primitive(b):
                if a != b and (a, b) not in _PROMOTIONS:
                    self._type_changed(w, r, at)
            case ir.Array(wi), ir.Array(ri):
                self._type(wi, ri, at)
            case ir.Map(wv), ir.Map(rv):
                self._type(wv, rv, at)
            case ir.Ref(a), ir.Ref(b):
                self._named(self.writer.named(a), self.reader.named(b), at)
            case _:
                self._type_changed(w, r, at)

    def _type_changed(self, w: ir.Type, r: ir.Type, at: _At) -> None:
        self._add(
            "avro.type",
            at,
            f"type changed from {self._describe(w, self.writer)} to "
            f"{self._describe(r, self.reader)}, which is not a promotion",
        )

    # --- named types ---------------------------------------------------------

    def _named(self, w: ir.NamedType, r: ir.NamedType, at: _At) -> None:
        if type(w) is not type(r):
            self._type_changed(ir.Ref(w.fullname), ir.Ref(r.fullname), at)
            return
        if not _same_name(w, r):
            self._add(
                "avro.name",
                _At(r.fullname, w.span, r.span),
                f"{_kind(r)} {w.fullname} is now {r.fullname} without an alias "
                f"{w.name!r} or {w.fullname!r}",
            )
            return
        if (w.fullname, r.fullname) in self._seen:
            return
        self._seen.add((w.fullname, r.fullname))
        if isinstance(w, ir.Record) and isinstance(r, ir.Record):
            self._record(w, r)
        elif isinstance(w, ir.Enum) and isinstance(r, ir.Enum):
            self._enum(w, r)
        elif isinstance(w, ir.Fixed) and isinstance(r, ir.Fixed) and w.size != r.size:
            self._add(
                "avro.fixed_size",
                _At(r.fullname, w.span, r.span),
                f"fixed {r.fullname} changed size from {w.size} to {r.size}",
            )

    def _record(self, w: ir.Record, r: ir.Record) -> None:
        by_name = {f.name: f for f in w.fields}
        for rf in r.fields:
            wf = by_name.get(rf.name) or next(
                (by_name[a] for a in rf.aliases if a in by_name), None
            )
            if wf is not None:
                at = _At(f"{r.fullname}.{rf.name}", wf.span, rf.span)
                self._type(wf.type, rf.type, at)
            elif rf.default is ir.MISSING:
                self._missing_field(w, r, rf)

    def _missing_field(self, w: ir.Record, r: ir.Record, rf: ir.Field) -> None:
        at = _At(f"{r.fullname}.{rf.name}", w.span, rf.span)
        if self.reader_is_new:
            message = (
                f"field {rf.name!r} of {r.fullname} was added without a default: "
                "data written with the old schema has no value for it"
            )
        else:
            message = (
                f"field {rf.name!r} of {r.fullname} was removed, and old readers "
                "have no default for it"
            )
        self._add("avro.field_no_default", at, message)

    def _enum(self, w: ir.Enum, r: ir.Enum) -> None:
        known = {s.name for s in r.symbols}
        unknown = [s.name for s in w.symbols if s.name not in known]
        if not unknown or r.default is not None:
            return
        listed = ", ".join(unknown)
        if self.reader_is_new:
            message = (
                f"enum {r.fullname} lost {listed}, which old data may hold, and "
                "has no default"
            )
        else:
            message = (
                f"enum {r.fullname} gained {listed}, which old readers do not "
                "know, and their enum has no default"
            )
        self._add("avro.enum_symbol", _At(r.fullname, w.span, r.span), message)

    def _describe(self, t: ir.Type, service: ir.Service) -> str:
        return describe(t, service)


def _same_name(w: ir.NamedType, r: ir.NamedType) -> bool:
    return w.name == r.name or w.fullname in r.aliases or w.name in r.aliases


def _kind(t: ir.NamedType) -> str:
    if isinstance(t, ir.Record):
        return "record"
    return "enum" if isinstance(t, ir.Enum) else "fixed"


def _logical_name(t: ir.Logical | None) -> str:
    if t is None:
        return "none"
    if t.name == "decimal":
        return f"decimal({t.precision},{t.scale})"
    return t.name


def describe(t: ir.Type, service: ir.Service) -> str:
    """An Avro type as a reader would name it: ``long``, ``array<string>``."""
    match t:
        case ir.Primitive(name):
            return name
        case ir.Logical(name="decimal", precision=p, scale=s):
            return f"decimal({p},{s})"
        case ir.Logical(name=name, base=base):
            return f"{base} ({name})"
        case ir.Array(items):
            return f"array<{describe(items, service)}>"
        case ir.Map(values):
            return f"map<{describe(values, service)}>"
        case ir.Union(branches):
            return "[" + ", ".join(describe(b, service) for b in branches) + "]"
        case ir.Ref(name):
            return f"{_kind(service.named(name))} {name}"
    return str(t)

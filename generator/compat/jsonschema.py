"""JSON Schema compatibility: does every instance the writer's schema allows
validate against the reader's?  (Confluent's rules for JSON Schema, decided
on the flattened schemas rather than on a textual diff.)

The check is sound where it says "compatible"; where it cannot decide an
inclusion (two different ``pattern``s, overlapping ``oneOf`` branches) it
reports a break, as Confluent's registry does.  Open and closed content
models follow ``additionalProperties``: a property added to an open model is
a break (old data may already hold anything under that name); one added to
a closed model is not.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from generator import ir
from generator.compat.jsonschema_norm import (
    TYPES,
    Node,
    Norm,
    Side,
    Where,
    accepts,
    allows_type,
    flatten,
    same_value,
    type_of,
)
from generator.compat.rules import Problem

Locate = Callable[[Node, bool], ir.Span]
"""Where a node is written: ``(node, in_the_writer)`` -> span."""


@dataclass(slots=True)
class JsonCheck:
    writer: Side
    reader: Side
    reader_is_new: bool
    locate: Locate
    problems: list[Problem] = field(default_factory=list)
    _seen: set[tuple[object, ...]] = field(default_factory=set)

    def message(self, writer_name: str, reader_name: str) -> list[Problem]:
        self._check(
            [self.writer.node(writer_name)],
            [self.reader.node(reader_name)],
            reader_name,
        )
        return self.problems

    # --- words and reporting ---------------------------------------------------

    @property
    def _new_or_old(self) -> tuple[str, str]:
        """(what the reader is called, what the writer's data is called)."""
        if self.reader_is_new:
            return "the new schema", "old data"
        return "old readers", "new data"

    def _add(
        self, kind: str, subject: str, w: Node | None, r: Node | None, text: str
    ) -> None:
        wspan = self.locate(w, True) if w is not None else ir.Span("")
        rspan = self.locate(r, False) if r is not None else ir.Span("")
        self.problems.append(Problem(kind, subject, wspan, rspan, text))

    # --- the inclusion check ----------------------------------------------------

    def _check(
        self,
        ws: list[Node],
        rs: list[Node],
        subject: str,
        wskip: frozenset[Where] = frozenset(),
        rskip: frozenset[Where] = frozenset(),
    ) -> None:
        key = (tuple(n.where for n in ws), tuple(n.where for n in rs), wskip, rskip)
        if key in self._seen:
            return
        self._seen.add(key)
        w, r = flatten(self.writer, ws, wskip), flatten(self.reader, rs, rskip)
        if w.types == set() or w.values == []:
            return  # the writer allows nothing
        if w.unions:
            # Distribute over the writer's first union: each branch, with the
            # rest of the writer's schema, must fit the reader.
            _, branches, where = w.unions[0]
            for branch in branches:
                self._check([*ws, branch], rs, subject, wskip | {where.where}, rskip)
            return
        if r.unions:
            self._reader_unions(ws, w, rs, r, subject, wskip, rskip)
            return
        self._plain(ws, w, rs, r, subject)

    def _reader_unions(
        self,
        ws: list[Node],
        w: Norm,
        rs: list[Node],
        r: Norm,
        subject: str,
        wskip: frozenset[Where],
        rskip: frozenset[Where],
    ) -> None:
        unions = frozenset(where.where for _, _, where in r.unions)
        self._check(ws, rs, subject, wskip, rskip | unions)
        reader, data = self._new_or_old
        for kind, branches, where in r.unions:
            fits = [b for b in branches if not self._probe(ws, [b], subject, wskip)]
            if not fits:
                self._add(
                    "json.union_branch",
                    subject,
                    w.origin,
                    where,
                    f"{subject}: {data} may hold a value that no {kind} branch of "
                    f"{reader} accepts",
                )
                continue
            if kind == "oneOf":
                others = [b for b in branches if b is not fits[0]]
                if any(
                    not self._disjoint(w, flatten(self.reader, [b])) for b in others
                ):
                    self._add(
                        "json.oneof_overlap",
                        subject,
                        w.origin,
                        where,
                        f"{subject}: a value of {data} may match more than one "
                        f"oneOf branch of {reader}",
                    )

    def _probe(
        self,
        ws: list[Node],
        rs: list[Node],
        subject: str,
        wskip: frozenset[Where] = frozenset(),
    ) -> list[Problem]:
        """The problems of ``ws`` against ``rs``, without reporting them."""
        saved, seen = self.problems, set(self._seen)
        self.problems = []
        try:
            self._check(ws, rs, subject, wskip)
            return self.problems
        finally:
            self.problems, self._seen = saved, seen

    def _disjoint(self, w: Norm, b: Norm) -> bool:
        kinds = [
            t for t in TYPES if allows_type(w.types, t) and allows_type(b.types, t)
        ]
        if not kinds:
            return True
        if w.values is not None and b.values is not None:
            return not any(same_value(x, y) for x in w.values for y in b.values)
        for name in w.required & b.required:
            wn = flatten(self.writer, w.props.get(name, []))
            bn = flatten(self.reader, b.props.get(name, []))
            if (
                wn.values is not None
                and bn.values is not None
                and not any(same_value(x, y) for x in wn.values for y in bn.values)
            ):
                return True
        return False

    def _plain(
        self, ws: list[Node], w: Norm, rs: list[Node], r: Norm, subject: str
    ) -> None:
        if not self._types(w, r, subject):
            return
        if w.values is not None:
            self._values(w, rs, r, subject)
            return
        if r.values is not None:
            reader, data = self._new_or_old
            self._add(
                "json.constraint",
                subject,
                w.origin,
                r.origin,
                f"{subject}: {reader} allows only "
                f"{', '.join(map(repr, r.values))}; {data} may hold any value",
            )
            return
        common = {
            t for t in TYPES if allows_type(w.types, t) and allows_type(r.types, t)
        }
        if common & {"integer", "number"}:
            self._numbers(w, r, subject)
        if "string" in common:
            self._strings(w, r, subject)
        if "array" in common:
            self._arrays(w, r, subject)
        if "object" in common:
            self._objects(w, r, subject)

    def _types(self, w: Norm, r: Norm, subject: str) -> bool:
        lost = [
            t for t in TYPES if allows_type(w.types, t) and not allows_type(r.types, t)
        ]
        if w.values is not None:
            lost = [t for t in lost if any(type_of(v) == t for v in w.values)]
        if lost:
            reader, data = self._new_or_old
            self._add(
                "json.type",
                subject,
                w.origin,
                r.origin,
                f"{subject}: {data} may be {_or(lost)}, which {reader} rejects "
                f"(type {_types(r.types)})",
            )
        return not lost

    def _values(self, w: Norm, rs: list[Node], r: Norm, subject: str) -> None:
        assert w.values is not None
        rejected = [v for v in w.values if not accepts(self.reader, rs, v)]
        if not rejected:
            return
        reader, data = self._new_or_old
        in_enum = r.values is not None and any(
            not any(same_value(v, x) for x in r.values) for v in rejected
        )
        kind = "json.enum" if in_enum else "json.constraint"
        self._add(
            kind,
            subject,
            w.origin,
            r.origin,
            f"{subject}: {data} may hold {', '.join(map(repr, rejected))}, which "
            f"{reader} rejects",
        )

    # --- keywords by instance type ------------------------------------------------

    def _constraint(self, subject: str, w: Norm, where: Node | None, text: str) -> None:
        reader, data = self._new_or_old
        self._add(
            "json.constraint",
            subject,
            w.origin,
            where,
            f"{subject}: {text} ({data} is not held to it; {reader} is)",
        )

    def _numbers(self, w: Norm, r: Norm, subject: str) -> None:
        integers = w.types is not None and not (w.types - {"integer"})
        if r.lower and not _covers_lower(w.lower, r.lower, integers):
            self._constraint(
                subject, w, r.lower[2], f"lower bound {_bound(r.lower, '>')}"
            )
        if r.upper and not _covers_upper(w.upper, r.upper, integers):
            self._constraint(
                subject, w, r.upper[2], f"upper bound {_bound(r.upper, '<')}"
            )
        for step, where in r.multiples:
            if not (integers and Fraction(str(step)) == 1) and not any(
                _divides(step, m) for m, _ in w.multiples
            ):
                self._constraint(subject, w, where, f"multipleOf {step}")

    def _counts(self, w: Norm, r: Norm, subject: str, low: str, high: str) -> None:
        if low in r.counts and w.counts.get(low, (0,))[0] < r.counts[low][0]:
            self._constraint(subject, w, r.counts[low][1], f"{low} {r.counts[low][0]}")
        if high in r.counts and (
            high not in w.counts or w.counts[high][0] > r.counts[high][0]
        ):
            self._constraint(
                subject, w, r.counts[high][1], f"{high} {r.counts[high][0]}"
            )

    def _strings(self, w: Norm, r: Norm, subject: str) -> None:
        self._counts(w, r, subject, "minLength", "maxLength")
        have = {p for p, _ in w.patterns}
        for pattern, where in r.patterns:
            if pattern not in have:
                self._constraint(subject, w, where, f"pattern {pattern!r}")
        formats = {f for f, _ in w.formats}
        for name, where in r.formats:
            if name not in formats:
                self._constraint(subject, w, where, f"format {name!r}")

    def _arrays(self, w: Norm, r: Norm, subject: str) -> None:
        self._counts(w, r, subject, "minItems", "maxItems")
        if r.unique is not None and w.unique is None:
            self._constraint(subject, w, r.unique, "uniqueItems")
        if r.items:
            self._check(w.items or [Node(True, ("", ""))], r.items, f"{subject}[]")

    def _objects(self, w: Norm, r: Norm, subject: str) -> None:
        reader, data = self._new_or_old
        for name in sorted(r.required - w.required):
            self._add(
                "json.required",
                f"{subject}.{name}",
                w.origin,
                r.props.get(name, [r.origin or Node(True, ("", ""))])[0],
                f"{subject}.{name} is required by {reader}, and {data} may lack it",
            )
        for name in sorted(w.props.keys() | r.props.keys()):
            self._property(w, r, name, f"{subject}.{name}")
        self._undeclared(w, r, subject)

    def _property(self, w: Norm, r: Norm, name: str, subject: str) -> None:
        reader, data = self._new_or_old
        wnodes = w.props.get(name) or _extra_for(w, name)
        if wnodes is None:
            return  # the writer never has it
        rnodes = r.props.get(name) or _extra_for(r, name)
        if rnodes is None:
            self._add(
                "json.closed_property",
                subject,
                wnodes[0],
                r.extras[0][1] if r.extras else r.origin,
                f"{subject}: {data} may hold it, and the closed content model "
                f"of {reader} lacks it",
            )
            return
        if name in w.props or not rnodes:
            self._check(wnodes, rnodes, subject)
            return
        if self._probe([Node(True, ("", "")), *wnodes], rnodes, subject):
            self._add(
                "json.open_property",
                subject,
                w.origin,
                rnodes[0],
                f"{subject}: {reader} gives it a schema, but it is not declared "
                f"in {'the old' if self.reader_is_new else 'the new'} open content "
                f"model, so {data} may hold any value under that name",
            )

    def _undeclared(self, w: Norm, r: Norm, subject: str) -> None:
        """Names neither side declares: what the writer allows for them must
        pass the reader's additionalProperties."""
        wnodes = _extra_for(w, None)
        rnodes = _extra_for(r, None)
        if wnodes is None:
            return
        reader, data = self._new_or_old
        if rnodes is None or self._probe(
            [Node(True, ("", "")), *wnodes], rnodes, subject
        ):
            self._add(
                "json.content_model",
                subject,
                w.origin,
                r.extras[0][1],
                f"{subject}: {data} may hold properties it does not declare, "
                f"which {reader}'s additionalProperties rejects",
            )


def _extra_for(norm: Norm, name: str | None) -> list[Node] | None:
    """The schemas a property ``name`` (``None``: any undeclared name) must
    match through additionalProperties; ``None`` when it is not allowed."""
    out: list[Node] = []
    for names, extra in norm.extras:
        if name is not None and name in names:
            continue
        if extra.schema is False:
            return None
        out.append(extra)
    return out


def _covers_lower(
    w: tuple[float, bool, Node] | None, r: tuple[float, bool, Node], integers: bool
) -> bool:
    if w is None:
        return False
    if integers:
        return _int_lower(w) >= _int_lower(r)
    return w[0] > r[0] or (w[0] == r[0] and (w[1] or not r[1]))


def _covers_upper(
    w: tuple[float, bool, Node] | None, r: tuple[float, bool, Node], integers: bool
) -> bool:
    if w is None:
        return False
    if integers:
        return _int_upper(w) <= _int_upper(r)
    return w[0] < r[0] or (w[0] == r[0] and (w[1] or not r[1]))


def _int_lower(b: tuple[float, bool, Node]) -> int:
    return math.floor(b[0]) + 1 if b[1] else math.ceil(b[0])


def _int_upper(b: tuple[float, bool, Node]) -> int:
    return math.ceil(b[0]) - 1 if b[1] else math.floor(b[0])


def _divides(step: float, multiple: float) -> bool:
    q = Fraction(str(multiple)) / Fraction(str(step))
    return q.denominator == 1


def _bound(b: tuple[float, bool, Node], op: str) -> str:
    return f"{op}{'' if b[1] else '='} {b[0]}"


def _or(kinds: list[str]) -> str:
    return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]


def _types(types: set[str] | None) -> str:
    if types is None:
        return "any"
    shown = [
        t for t in TYPES if t in types and not (t == "integer" and "number" in types)
    ]
    return _or(shown) if shown else "none"

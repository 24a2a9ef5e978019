"""PostgreSQL's rules for choosing among overloaded functions and operators,
and for the common type of several expressions, over the catalog of
``pg_catalog`` (see the PostgreSQL documentation, "Type Conversion": function
and operator type resolution, UNION/CASE and related constructs).

Followed step by step, so that a parameter gets the type PostgreSQL gives it
when it prepares the statement: exact match; candidates the inputs can be
implicitly coerced to; most exact matches; most preferred types; the
categories of unknown inputs (string first); unknowns taken as the one known
type.  Polymorphic parameters (``anyelement``, ``anycompatible``, ...) take
the types of their arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.frontends.sql.queries.pg_catalog import (
    POLYMORPHIC,
    Catalog,
    PgFunction,
    sql_type,
)

Input = str | None
"""A type key, or None for ``unknown`` (a parameter or literal not typed yet)."""

_FAMILY_1 = ("anyelement", "anynonarray", "anyenum")
_COMPATIBLE = ("anycompatible", "anycompatiblenonarray")


class NoMatch(Exception):
    """No candidate, several, or a polymorphic type that cannot be told."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Resolved:
    function: PgFunction
    args: tuple[str, ...]
    """The type each input takes, in call order (polymorphics resolved)."""
    result: str
    outs: tuple[tuple[str, str], ...] = ()


@dataclass
class _Bindings:
    """What the polymorphic parameters of one call stand for."""

    element: str | None = None
    range: str | None = None
    compatible: str | None = None

    def resolve(self, declared: str) -> str | None:
        if declared in _FAMILY_1:
            return self.element
        if declared == "anyarray":
            return None if self.element is None else f"{self.element}[]"
        if declared in ("anyrange", "anymultirange"):
            return self.range
        if declared in _COMPATIBLE:
            return self.compatible
        if declared == "anycompatiblearray":
            return None if self.compatible is None else f"{self.compatible}[]"
        if declared in ("anycompatiblerange", "anycompatiblemultirange"):
            return self.range
        return declared


def _same(old: str | None, new: str) -> str:
    if old is not None and old != new:
        raise NoMatch(f"arguments declared polymorphic are not alike: {old}, {new}")
    return new


# format_type_be's names where they differ from the DDL spelling.
_MESSAGE_NAMES = {
    "varchar": "character varying",
    "char": "character",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "varbit": "bit varying",
}


def type_label(key: Input) -> str:
    """A type as PostgreSQL's messages spell it."""
    if key is None:
        return "unknown"
    if key.removesuffix("[]") == "char":  # the one-byte type, not bpchar
        return '"char"' + key[4:]
    text = sql_type(key).sql.removeprefix("public.")
    base, brackets, _ = text.partition("[")
    return _MESSAGE_NAMES.get(base, base) + brackets + text[len(base) + 1 :]


def _label(name: str, inputs: list[Input]) -> str:
    return f"{name}({', '.join(type_label(i) for i in inputs)})"


def _declared(
    f: PgFunction, nargs: int, names: list[str | None]
) -> tuple[str, ...] | None:
    """The parameter types a call with ``nargs`` arguments meets: defaults
    fill in missing trailing ones, a VARIADIC one takes the rest."""
    if any(names):
        return _named(f, names)
    required = len(f.args) - f.defaults
    if f.variadic and nargs >= len(f.args):
        return f.args[:-1] + (f.variadic,) * (nargs - len(f.args) + 1)
    if required <= nargs <= len(f.args):
        return f.args[:nargs]
    return None


def _named(f: PgFunction, names: list[str | None]) -> tuple[str, ...] | None:
    positions: list[int] = []
    for i, name in enumerate(names):
        if name is None:
            positions.append(i)
        elif name in f.argnames and f.argnames.index(name) < len(f.args):
            positions.append(f.argnames.index(name))
        else:
            return None
    filled = set(positions)
    if len(filled) != len(positions):
        return None
    required = len(f.args) - f.defaults
    if any(p not in filled for p in range(required)):
        return None
    return tuple(f.args[p] for p in positions)


class Resolver:
    """PostgreSQL's resolution rules over one catalog (the built-in types and
    functions, and those of the extensions the service uses)."""

    def __init__(self, cat: Catalog) -> None:
        self.cat = cat

    def can_coerce(self, src: Input, dst: str, context: str = "i") -> bool:
        """Whether ``src`` converts to ``dst`` implicitly (``i``) or in an
        assignment (``a``), as ``can_coerce_type`` decides for one argument."""
        if src is None or src == dst or dst == "any" or dst in POLYMORPHIC:
            return True
        if dst == "record" and self.cat.type_info(src).category == "C":
            return True
        cast = self.cat.casts.get((src, dst))
        if cast is not None and (cast == "i" or context == "a"):
            return True
        if src.endswith("[]") and dst.endswith("[]"):
            return self.can_coerce(src[:-2], dst[:-2], context)
        # Assignments convert anything to a string type through its text form.
        return context == "a" and self.cat.type_info(dst).category == "S"

    def _coercible(self, inputs: list[Input], declared: tuple[str, ...]) -> bool:
        if not all(
            self.can_coerce(i, d) for i, d in zip(inputs, declared, strict=True)
        ):
            return False
        if any(d in POLYMORPHIC for d in declared):
            try:
                self._bindings(inputs, declared)
            except NoMatch:
                return False
        return True

    def common_type(self, keys: list[Input], what: str) -> str:
        """``select_common_type``: the type several expressions resolve to
        (UNION, CASE, COALESCE, ARRAY[], IN lists); text when all are unknown."""
        known = [k for k in keys if k is not None]
        if not known:
            return "text"
        ptype = known[0]
        pinfo = self.cat.type_info(ptype)
        for ntype in known[1:]:
            if ntype == ptype:
                continue
            ninfo = self.cat.type_info(ntype)
            if ninfo.category != pinfo.category:
                raise NoMatch(
                    f"{what} types {type_label(ptype)} and {type_label(ntype)} "
                    "cannot be matched"
                )
            if (
                not pinfo.preferred
                and self.can_coerce(ptype, ntype)
                and not self.can_coerce(ntype, ptype)
            ):
                ptype, pinfo = ntype, ninfo
        for k in known:
            if not self.can_coerce(k, ptype):
                raise NoMatch(
                    f"{what} types {type_label(k)} and {type_label(ptype)} cannot be matched"
                )
        return ptype

    def _element_of(self, key: str) -> str:
        element = self.cat.type_info(key).element
        if not element:
            raise NoMatch(f"argument declared anyarray is not an array but type {key}")
        return element

    def _bindings(self, inputs: list[Input], declared: tuple[str, ...]) -> _Bindings:
        """``check_generic_type_consistency``/``enforce_...``: what each
        polymorphic parameter stands for, from the known arguments."""
        b = _Bindings()
        compatible: list[Input] = []
        for actual, d in zip(inputs, declared, strict=True):
            if actual is not None and d in POLYMORPHIC:
                self._bind(b, compatible, actual, d)
        if b.element is not None:
            info = self.cat.type_info(b.element)
            if "anynonarray" in declared and info.category == "A":
                raise NoMatch("argument declared anynonarray is an array")
            if "anyenum" in declared and info.category != "E":
                raise NoMatch(
                    f"argument declared anyenum is not an enum but {b.element}"
                )
        if any(d.startswith("anycompatible") for d in declared):
            b.compatible = self.common_type(compatible, "argument")
        return b

    def _bind(
        self, b: _Bindings, compatible: list[Input], actual: str, declared: str
    ) -> None:
        """One argument of a polymorphic parameter."""
        ranges = self.cat.ranges
        if declared in _FAMILY_1:
            b.element = _same(b.element, actual)
        elif declared == "anyarray":
            b.element = _same(b.element, self._element_of(actual))
        elif declared in _COMPATIBLE:
            compatible.append(actual)
        elif declared == "anycompatiblearray":
            compatible.append(self._element_of(actual))
        elif actual not in ranges:
            raise NoMatch(
                f"argument declared {declared} is not a range but type {actual}"
            )
        else:
            b.range = _same(b.range, actual)
            if declared.startswith("anycompatible"):
                compatible.append(ranges[actual])
            else:
                b.element = _same(b.element, ranges[actual])

    def _resolve(
        self, f: PgFunction, inputs: list[Input], declared: tuple[str, ...]
    ) -> Resolved:
        if not any(
            d in POLYMORPHIC for d in (*declared, f.result, *(t for _, t in f.outs))
        ):
            return Resolved(f, declared, f.result, f.outs)
        b = self._bindings(inputs, declared)
        args = tuple(b.resolve(d) for d in declared)
        result = b.resolve(f.result)
        outs = tuple((n, b.resolve(t)) for n, t in f.outs)
        if None in args or result is None or any(t is None for _, t in outs):
            raise NoMatch(
                "could not determine polymorphic type because input has type unknown",
                "add a cast to the argument",
            )
        return Resolved(
            f,
            tuple(a for a in args if a is not None),
            result,
            tuple((n, t) for n, t in outs if t is not None),
        )

    def _select(
        self, candidates: list[tuple[PgFunction, tuple[str, ...]]], inputs: list[Input]
    ) -> list[tuple[PgFunction, tuple[str, ...]]]:
        """``func_select_candidate``: the candidates left after each heuristic."""
        known = [i for i in inputs if i is not None]
        for score in (self._exact_matches, self._preferred_matches):
            best = max(score(d, inputs) for _, d in candidates)
            candidates = [c for c in candidates if score(c[1], inputs) == best]
            if len(candidates) == 1:
                return candidates
        if len(known) == len(inputs):
            return candidates
        candidates = self._by_unknown_categories(candidates, inputs)
        if len(candidates) == 1:
            return candidates
        if known and all(k == known[0] for k in known):
            as_known: list[Input] = [known[0]] * len(inputs)
            fits = [c for c in candidates if self._coercible(as_known, c[1])]
            if len(fits) == 1:
                return fits
        return candidates

    def _exact_matches(self, declared: tuple[str, ...], inputs: list[Input]) -> int:
        return sum(1 for i, d in zip(inputs, declared, strict=True) if i == d)

    def _preferred_matches(self, declared: tuple[str, ...], inputs: list[Input]) -> int:
        n = 0
        for i, d in zip(inputs, declared, strict=True):
            if i is None:
                continue
            info = self.cat.type_info(d)
            if i == d or (
                info.preferred and info.category == self.cat.type_info(i).category
            ):
                n += 1
        return n

    def _by_unknown_categories(
        self, candidates: list[tuple[PgFunction, tuple[str, ...]]], inputs: list[Input]
    ) -> list[tuple[PgFunction, tuple[str, ...]]]:
        """Unknown inputs: the string category if any candidate takes a string
        there, else the one category all take; preferred types first."""
        wanted: dict[int, tuple[str, bool]] = {}
        for pos, actual in enumerate(inputs):
            if actual is not None:
                continue
            category, preferred, conflict = "", False, False
            for _, declared in candidates:
                info = self.cat.type_info(declared[pos])
                if not category:
                    category, preferred = info.category, info.preferred
                elif info.category == category:
                    preferred = preferred or info.preferred
                elif info.category == "S":
                    category, preferred = "S", info.preferred
                else:
                    conflict = True
            if conflict and category != "S":
                return candidates
            wanted[pos] = (category, preferred)
        kept = [
            c
            for c in candidates
            if all(
                self.cat.type_info(c[1][pos]).category == category
                and (not preferred or self.cat.type_info(c[1][pos]).preferred)
                for pos, (category, preferred) in wanted.items()
            )
        ]
        return kept or candidates

    def _choose(
        self,
        candidates: list[tuple[PgFunction, tuple[str, ...]]],
        inputs: list[Input],
        label: str,
    ) -> Resolved:
        for f, declared in candidates:
            if None not in inputs and list(declared) == inputs:
                return self._resolve(f, inputs, declared)
        fits = [c for c in candidates if self._coercible(inputs, c[1])]
        if not fits:
            raise NoMatch(
                f"{label} does not exist", "add explicit casts to the arguments"
            )
        if len(fits) > 1:
            fits = self._select(fits, inputs)
        if len(fits) > 1:
            raise NoMatch(
                f"{label} is not unique", "add explicit casts to the arguments"
            )
        f, declared = fits[0]
        return self._resolve(f, inputs, declared)

    def resolve_function(
        self, functions: list[PgFunction], inputs: list[Input], names: list[str | None]
    ) -> Resolved:
        """The function a call ``name(inputs)`` runs (``names``: the names of
        named arguments, ``f(a => 1)``, None for positional ones)."""
        candidates = []
        for f in functions:
            declared = _declared(f, len(inputs), names)
            if declared is not None:
                candidates.append((f, declared))
        label = _label(functions[0].name if functions else "?", inputs)
        return self._choose(candidates, inputs, f"function {label}")

    def resolve_operator(self, name: str, left: Input | bool, right: Input) -> Resolved:
        """A binary operator, or a prefix one when ``left`` is False."""
        ops = self.cat.operators.get(name, [])
        candidates: list[tuple[PgFunction, tuple[str, ...]]]
        if left is False:
            inputs: list[Input] = [right]
            candidates = [(o, o.args) for o in ops if len(o.args) == 1]
            label = f"{name} {type_label(right)}"
        else:
            assert left is not True
            inputs = [left, right]
            candidates = [(o, o.args) for o in ops if len(o.args) == 2]
            label = f"{type_label(left)} {name} {type_label(right)}"
            # binary_oper_exact: an unknown side is first taken as the other's type.
            known = left if right is None else right if left is None else None
            if known is not None:
                for o, declared in candidates:
                    if declared == (known, known):
                        return self._resolve(o, [known, known], declared)
        try:
            return self._choose(candidates, inputs, f"operator {label}")
        except NoMatch as exc:
            if "does not exist" in exc.message:
                exc.message = f"operator does not exist: {label}"
            raise

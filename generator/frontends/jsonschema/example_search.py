"""Instances found by trying, with the exact validator as the judge.

``repaired`` turns an example the example-maker built into a valid one when
the schema says more than the maker reads (a ``not``, a condition, a pattern
it cannot satisfy): it replaces, removes or adds values where the validator
reports an error, keeping each change that leaves fewer errors.
``forbidden`` changes a valid example until the schema refuses it because of
one given keyword, for the generated tests.  Both try candidates in a fixed
order and a bounded number of times: the same schema always gives the same
instance.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jsonschema_rs

from generator.frontends.jsonschema.regex_example import regex_example

_POOL: tuple[Any, ...] = (
    "example",
    0,
    1,
    -1,
    2.5,
    True,
    False,
    None,
    "",
    "a",
    "A1-",
    "x" * 300,
    [],
    {},
    [1],
    ["a"],
    {"a": 1},
    10**12,
)
_KEYS = ("example", "zz", "A", "x-y", "1", "_", "")
_ROUNDS = 40
_MAX_ROUNDS = 400
_TRIES = 20000
_MIN_TRIES = 300
_WORK = 8_000_000
_SEEDS = 12


def _errors(validator: jsonschema_rs.Validator, value: Any) -> list[Any]:
    try:
        return list(validator.iter_errors(value))
    except (ValueError, RecursionError, OverflowError):
        return [None]


Builder = Callable[[Any], Iterator[tuple[list[Any], Any]]]
"""Values the schema itself suggests for one error: ``(instance path,
value)``, such as an example of the subschema whose keyword failed."""


class _NotFound:
    """No valid instance was found (``None`` is JSON's ``null``)."""


NOT_FOUND = _NotFound()


def repaired(
    validator: jsonschema_rs.Validator, value: Any, build: Builder | None = None
) -> Any:
    """``value`` made valid, or ``NOT_FOUND``."""
    errors = _errors(validator, value)
    # Each round mends one error: a large schema may start with many.
    for _ in range(min(_ROUNDS + 2 * len(errors), _MAX_ROUNDS)):
        if not errors:
            return value
        best: Any = NOT_FOUND
        for candidate in _fixes(value, errors[0], build):
            found = _errors(validator, candidate)
            if _score(found) < _score(errors):
                best, errors = candidate, found
                break
        if best is NOT_FOUND:
            return NOT_FOUND
        value = best
    return value if not errors else NOT_FOUND


def _score(errors: list[Any]) -> tuple[int, int]:
    """Fewer errors is better; as many, but the first one deeper in the
    instance, is progress too (a value built, now wrong inside)."""
    if not errors:
        return (0, 0)
    first = errors[0]
    depth = len(list(first.instance_path)) if first is not None else 0
    return (len(errors), -depth)


def forbidden(
    validator: jsonschema_rs.Validator,
    example: Any,
    keywords: Sequence[str],
    values: Sequence[Any] = (),
    sites: frozenset[str] = frozenset(),
    hints: Any = None,
) -> dict[str, Any]:
    """For each of ``keywords``, an instance the schema refuses because of it
    (an error whose schema path holds it; for ``$ref``, an error of a keyword
    beside a ``$ref`` at one of ``sites``), made from the valid ``example``
    by one change, or two (a change that keeps it valid, then another), with
    the values of the pool and ``values`` (consts, enums, bounds of the
    schema).  Keywords no instance was found for are left out."""
    if not keywords:
        return {}  # nothing only the exact validator enforces: nothing to show
    pool = (*values, *_POOL)
    wanted = set(keywords)
    # Each try copies the example: a big one gets fewer tries, so that a
    # large real-world schema does not spend minutes here.
    budget = max(_MIN_TRIES, min(_TRIES, _WORK // max(1, len(json.dumps(example)))))
    out: dict[str, Any] = {}
    partial: dict[str, Any] = {}
    # Properties the repair left out (their first value broke a rule): put
    # back, they break it again.
    back = (
        [{**example, k: v} for k, v in hints.items() if k not in example]
        if isinstance(example, dict) and isinstance(hints, dict)
        else []
    )
    seeds = _seeds(validator, example, values, budget)
    tries = 0
    for seed in itertools.chain([example], seeds):
        first = seed is example
        # Lazily: a big example has millions of mutations.
        for candidate in (
            itertools.chain(back, _mutations(seed, pool))
            if first
            else _mutations(seed, pool)
        ):
            tries += 1
            if tries > budget or not wanted - set(out):
                return {**partial, **out}
            errors = _errors(validator, candidate)
            for keyword in wanted - set(out):
                blamed = [e is not None and _blames(e, keyword, sites) for e in errors]
                if blamed and all(blamed):
                    out[keyword] = candidate  # refused for that keyword alone
                elif any(blamed):
                    partial.setdefault(keyword, candidate)
    return {**partial, **out}


def _seeds(
    validator: jsonschema_rs.Validator,
    example: Any,
    values: Sequence[Any],
    budget: int,
) -> list[Any]:
    """Seeds for a second change: another of the schema's values where the
    instance holds one of them (an enum's other member), still valid; within
    ``budget`` tries, as the changes are."""
    seeds: list[Any] = []
    tries = 0
    for where in list(_places(example)):
        current = _get(example, where)
        if isinstance(current, dict | list) or current not in values:
            continue
        for v in values:
            if len(seeds) >= _SEEDS or tries >= budget:
                return seeds
            candidate = _set(example, where, v)
            tries += 1
            if candidate != example and not _errors(validator, candidate):
                seeds.append(candidate)
    return seeds


_CONTAINS = ("contains", "minContains", "maxContains")


def _blames(error: Any, keyword: str, sites: frozenset[str]) -> bool:
    path = [str(p) for p in error.schema_path]
    if keyword == "false":
        return type(error.kind).__name__ == "FalseSchema"
    if keyword == "$ref":
        parent = "".join(f"/{p}" for p in path[:-1])
        return "$ref" in path or parent in sites
    if keyword == "$dynamicRef":
        # Reported at the keywords of the schema it led back to: an error
        # deep in the instance at a shallow place of the schema.
        return len(list(error.instance_path)) >= 2 and len(path) <= 3
    if keyword == "if":
        return "then" in path or "else" in path
    if keyword in _CONTAINS:
        return any(k in path for k in _CONTAINS)
    if keyword == "prefixItems" and ("items" in path or "additionalItems" in path):
        return True
    return keyword in path or (
        keyword in ("dependentRequired", "dependentSchemas") and "dependencies" in path
    )


def _fixes(value: Any, error: Any, build: Builder | None) -> Iterator[Any]:
    """Candidate changes at the place of one error."""
    if error is None:
        return
    for at, made in build(error) if build is not None else ():
        yield _set(value, at, made)
    where = list(error.instance_path)
    current = _get(value, where)
    yield from _by_kind(value, where, current, error)
    if where:
        yield _delete(value, where)
    if isinstance(current, dict):
        for key in list(current):
            yield _delete(value, [*where, key])
    if isinstance(current, list) and current:
        yield _set(value, where, current[:1])
        yield _set(value, where, [])
    for v in _POOL:
        yield _set(value, where, v)


def _by_kind(value: Any, where: list[Any], current: Any, error: Any) -> Iterator[Any]:
    kind = type(error.kind).__name__
    if kind == "Required":
        name = getattr(error.kind, "property", None)
        if isinstance(current, dict) and isinstance(name, str):
            for v in _POOL:
                yield _set(value, [*where, name], v)
    if kind == "Pattern" and isinstance(current, str):
        text = regex_example(str(getattr(error.kind, "pattern", "")))
        if text is not None:
            yield _set(value, where, text)


def _mutations(example: Any, pool: Sequence[Any]) -> Iterator[Any]:
    """Changes of ``example``: at every place, deletions, replacements,
    additions, repeated items; breadth first."""
    for where in list(_places(example)):
        current = _get(example, where)
        if where:
            yield _delete(example, where)
        if isinstance(current, list):
            if current:
                yield _set(example, where, [*current, current[0]])
                yield _set(example, where, [*current, *current, *current])
            yield _set(example, where, [])
        if isinstance(current, dict):
            yield from _additions(example, where, current, pool)
        for v in pool:
            yield _set(example, where, v)
        for v in pool:
            yield _set(example, where, [v, v, v])


def _additions(
    example: Any, where: list[Any], current: dict[str, Any], pool: Sequence[Any]
) -> Iterator[Any]:
    first = next(iter(current.values()), "a")
    yield _set(example, where, {**current, **{f"{k}x": first for k in "abcdefgh"}})
    for key in _KEYS:
        if key not in current:
            yield _set(example, [*where, key], first)
            for v in pool:
                yield _set(example, [*where, key], v)


def _places(value: Any) -> Iterator[list[Any]]:
    queue: list[tuple[list[Any], Any]] = [([], value)]
    while queue:
        where, node = queue.pop(0)
        yield where
        if isinstance(node, dict):
            queue.extend(([*where, k], v) for k, v in node.items())
        elif isinstance(node, list):
            queue.extend(([*where, i], v) for i, v in enumerate(node))


def _get(value: Any, where: list[Any]) -> Any:
    for key in where:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _set(value: Any, where: list[Any], new: Any) -> Any:
    if not where:
        return copy.deepcopy(new)
    out = json.loads(json.dumps(value))
    parent = _get(out, where[:-1])
    key = where[-1]
    if isinstance(parent, dict):
        parent[str(key)] = copy.deepcopy(new)
    elif isinstance(parent, list) and isinstance(key, int) and key < len(parent):
        parent[key] = copy.deepcopy(new)
    return out


def _delete(value: Any, where: list[Any]) -> Any:
    out = json.loads(json.dumps(value))
    parent = _get(out, where[:-1])
    key = where[-1]
    if isinstance(parent, dict):
        parent.pop(str(key), None)
    elif isinstance(parent, list) and isinstance(key, int) and key < len(parent):
        del parent[key]
    return out

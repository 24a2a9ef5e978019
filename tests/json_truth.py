"""Instance sets for the JSON Schema compat ground truth: instances valid
under a writer schema, made to probe every keyword's edges, and whether they
all validate against a reader schema (the ``jsonschema`` library decides,
formats asserted as the generated models assert them)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

PALETTE: list[Any] = [
    None,
    True,
    0,
    1,
    -1,
    7,
    1.5,
    "",
    "x",
    "abc",
    [],
    [1],
    {},
    {"a": 1},
]
FORMATS = {
    "uuid": ["12345678-1234-5678-1234-567812345678"],
    "date": ["2024-02-29"],
    "email": ["a@b.example"],
    "ipv4": ["10.0.0.1"],
}


def _resolve(s: Any, root: dict[str, Any]) -> Any:
    for _ in range(16):
        if (
            isinstance(s, dict)
            and isinstance(s.get("$ref"), str)
            and s["$ref"].startswith("#/$defs/")
        ):
            rest = {k: v for k, v in s.items() if k != "$ref"}
            target = root["$defs"][s["$ref"][len("#/$defs/") :]]
            s = {**target, **rest} if rest else target
        else:
            break
    return s


def _names(s: Any, out: set[str]) -> set[str]:
    if isinstance(s, dict):
        props = s.get("properties")
        if isinstance(props, dict):
            out |= set(props)
        for v in s.values():
            _names(v, out)
    elif isinstance(s, list):
        for v in s:
            _names(v, out)
    return out


def _strings(s: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    low, high = s.get("minLength", 0), s.get("maxLength")
    for n in {
        low,
        max(low - 1, 0),
        low + 1,
        *(() if high is None else (high, high + 1)),
    }:
        out.append("a" * n)
    out += FORMATS.get(s.get("format", ""), [])
    return out


def _numbers(s: dict[str, Any]) -> list[Any]:
    out: list[Any] = [0, 1, -1, 2, 3, 4, 6, 8, 12, 0.5, 2.5, 1000]
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in s:
            v = s[key]
            out += [v, v - 1, v + 1, v - 0.5, v + 0.5]
    if "multipleOf" in s:
        out += [s["multipleOf"] * k for k in (1, 2, 3, 5)]
    return out


def candidates(
    s: Any, root: dict[str, Any], vocab: set[str], depth: int = 0
) -> list[Any]:
    """Values that probe ``s``: edge values of its keywords, plus a palette."""
    s = _resolve(s, root)
    out: list[Any] = list(PALETTE) if depth < 3 else [None, 1, "x"]
    if not isinstance(s, dict) or depth > 3:
        return out
    if "const" in s:
        out.append(s["const"])
    out += s.get("enum", [])
    out += _strings(s) + _numbers(s)
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in s.get(key, []):
            out += candidates(branch, root, vocab, depth + 1)
    if "items" in s:
        pool = candidates(s["items"], root, vocab, depth + 1)
        items = (_valid(pool, s["items"], root) + pool)[:10]
        out += [[i] for i in items] + [[i, i] for i in items[:4]]
        for n in {
            0,
            1,
            2,
            3,
            s.get("minItems", 0),
            s.get("maxItems", 0),
            s.get("maxItems", 0) + 1,
        }:
            distinct = [v for i, v in enumerate(items) if v not in items[:i]]
            if n <= len(distinct):
                out.append(distinct[:n])
    out += _objects(s, root, vocab, depth)
    return out


def _shape(s: Any, root: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    s = _resolve(s, root)
    if not isinstance(s, dict):
        return {}, []
    props = dict(s.get("properties", {}))
    required = list(s.get("required", []))
    for conj in s.get("allOf", []):
        p, r = _shape(conj, root)
        props = {**p, **props}
        required += r
    return props, required


def _objects(
    s: dict[str, Any], root: dict[str, Any], vocab: set[str], depth: int
) -> list[Any]:
    props, required = _shape(s, root)
    branches = [b for key in ("oneOf", "anyOf") for b in s.get(key, [])] or [{}]
    out: list[Any] = []
    for branch in branches:
        bp, br = _shape(branch, root)
        allp, req = {**props, **bp}, [*required, *br]
        if not allp and not req and "additionalProperties" not in s:
            continue
        values = {k: candidates(v, root, vocab, depth + 1) for k, v in allp.items()}
        for k in req:
            values.setdefault(k, list(PALETTE))
        base = {k: _first_valid(values[k], allp.get(k, {}), root) for k in req}
        out.append(dict(base))
        for k, vs in values.items():
            for v in vs:
                out.append({**base, k: v})
            if k in base:
                out.append({x: y for x, y in base.items() if x != k})
        for name in [*sorted(vocab - set(allp)), "zzz"]:
            for v in PALETTE:
                out.append({**base, name: v})
        out.append({**base, **{k: vs[-1] for k, vs in values.items() if vs}})
    return out


def _valid(values: list[Any], schema: Any, root: dict[str, Any]) -> list[Any]:
    if isinstance(schema, dict):
        schema = {**schema, "$defs": root.get("$defs", {})}
    check = Draft202012Validator(schema, format_checker=FormatChecker())
    return [v for v in values if check.is_valid(v)]


def _first_valid(values: list[Any], schema: Any, root: dict[str, Any]) -> Any:
    return next(iter(_valid(values, schema, root) or values or [None]))


def instances(writer: dict[str, Any], reader: dict[str, Any]) -> list[Any]:
    """Candidates valid under ``writer`` (names of both schemas probe open
    content models)."""
    vocab = _names(writer, set()) | _names(reader, set())
    valid = Draft202012Validator(writer, format_checker=FormatChecker())
    out = []
    for value in candidates(writer, writer, vocab):
        if valid.is_valid(value) and value not in out:
            out.append(value)
    return out


def accepted(writer: dict[str, Any], reader: dict[str, Any]) -> tuple[bool, Any, int]:
    """(every instance valid under writer is valid under reader, a
    counterexample, how many instances were tried)."""
    check = Draft202012Validator(reader, format_checker=FormatChecker())
    tried = instances(writer, reader)
    for value in tried:
        if not check.is_valid(value):
            return False, value, len(tried)
    return True, None, len(tried)

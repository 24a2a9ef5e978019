"""What fastavro actually does with a writer and a reader schema: the ground
truth the Avro compat rules are checked against.

Values of the writer schema are generated to cover every union branch, enum
symbol and field (and the extremes of numbers and decimals); each is written
with the writer schema and read with the reader schema.  Reading resolves the
*underlying* types with fastavro (defaults, enum defaults, promotions, union
branches) and then lets the reader's logical types interpret the result, as
the specification and Java do (fastavro itself would apply the writer's).
A pair is compatible when every value reads, means the same (the spec's
resolution of it), and is valid for the reader (a decimal within precision).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import struct
import uuid
from decimal import Decimal
from typing import Any

import fastavro
from fastavro.validation import validate

UTC = dt.UTC
_INTS = [0, 1, -1, 2**31 - 1, -(2**31), 7]
_LONGS = [0, 1, -1, 2**63 - 1, -(2**63), 2**40]
_FLOATS = [0.0, 1.5, -2.25, 65504.0, 0.125, -1.0]
_STRINGS = ["", "a", "héllo", "zz", "0", "x y"]
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


def _named(schema: Any, out: dict[str, Any], namespace: str = "") -> dict[str, Any]:
    """Every named type by full and by short name."""
    if isinstance(schema, list):
        for s in schema:
            _named(s, out, namespace)
    elif isinstance(schema, dict):
        t = schema.get("type")
        if t in ("record", "enum", "fixed"):
            name = schema["name"]
            ns = schema.get("namespace", name.rpartition(".")[0] or namespace)
            full = name if "." in name else f"{ns}.{name}" if ns else name
            out[full] = schema
            out.setdefault(full.rpartition(".")[2], schema)
            namespace = ns
        for f in schema.get("fields", ()):
            _named(f["type"], out, namespace)
        for key in ("items", "values"):
            if key in schema:
                _named(schema[key], out, namespace)
        if isinstance(t, list | dict):
            _named(t, out, namespace)
    return out


def _resolve(s: Any, named: dict[str, Any]) -> Any:
    while isinstance(s, str) and s in named:
        s = named[s]
    if (
        isinstance(s, dict)
        and isinstance(s.get("type"), dict | list)
        and "logicalType" not in s
    ):
        return _resolve(s["type"], named)
    return s


def _kind(s: Any) -> str:
    if isinstance(s, list):
        return "union"
    if isinstance(s, dict):
        return str(s["type"]) if isinstance(s["type"], str) else "?"
    return str(s)


def value(s: Any, named: dict[str, Any], k: int, depth: int = 0) -> Any:
    s = _resolve(s, named)
    if isinstance(s, list):
        return value(s[k % len(s)], named, k // len(s) + k, depth)
    logical = s.get("logicalType") if isinstance(s, dict) else None
    if logical:
        return _logical(s, logical, k)
    kind = _kind(s)
    simple = {
        "null": None,
        "boolean": k % 2 == 0,
        "int": _INTS[k % len(_INTS)],
        "long": _LONGS[k % len(_LONGS)],
        "float": _FLOATS[k % len(_FLOATS)],
        "double": _FLOATS[k % len(_FLOATS)] * 3,
        "string": _STRINGS[k % len(_STRINGS)],
        "bytes": _STRINGS[k % len(_STRINGS)].encode(),
    }
    if kind in simple:
        return simple[kind]
    if kind == "enum":
        return s["symbols"][k % len(s["symbols"])]
    if kind == "fixed":
        return bytes([k % 256]) * s["size"]
    if kind == "array":
        n = 0 if depth > 2 else (k % 3)
        return [value(s["items"], named, k + i, depth + 1) for i in range(n)]
    if kind == "map":
        n = 0 if depth > 2 else (k % 3)
        return {f"k{i}": value(s["values"], named, k + i, depth + 1) for i in range(n)}
    if kind == "record":
        return {
            f["name"]: value(f["type"], named, k + i, depth + 1)
            for i, f in enumerate(s["fields"])
        }
    raise ValueError(s)


def _logical(s: dict[str, Any], logical: str, k: int) -> Any:
    if logical == "decimal":
        p, sc = s["precision"], s.get("scale", 0)
        biggest = Decimal(10**p - 1).scaleb(-sc)
        return [Decimal(0).scaleb(-sc), biggest, -biggest, Decimal(1).scaleb(-sc)][
            k % 4
        ]
    base = dt.datetime(2024, 2, 29, 12, 30, 15, 123000, tzinfo=UTC) + dt.timedelta(
        days=k
    )
    return {
        "timestamp-millis": base,
        "timestamp-micros": base + dt.timedelta(microseconds=456),
        "local-timestamp-millis": base.replace(tzinfo=None),
        "local-timestamp-micros": base.replace(tzinfo=None),
        "date": base.date(),
        "time-millis": dt.time(1, 2, 3, 4000 * (k + 1)),
        "time-micros": dt.time(1, 2, 3, 4 * (k + 1)),
        "uuid": uuid.UUID(int=k * 7919 + 1),
    }[logical]


def _strip(schema: Any) -> Any:
    out = copy.deepcopy(schema)

    def walk(s: Any) -> None:
        if isinstance(s, list):
            for x in s:
                walk(x)
        elif isinstance(s, dict):
            for key in ("logicalType", "precision", "scale"):
                if s.get("type") != "record":
                    s.pop(key, None)
            for x in s.values():
                walk(x)

    walk(out)
    return out


def _write(schema: Any, datum: Any) -> bytes:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, schema, datum)
    return buf.getvalue()


def _read(data: bytes, writer: Any, reader: Any) -> Any:
    return fastavro.schemaless_reader(io.BytesIO(data), writer, reader)


def readable(writer: dict[str, Any], reader: dict[str, Any]) -> tuple[bool, str]:
    """Whether every generated value of ``writer`` reads with ``reader``, the
    same, and valid: (verdict, why not)."""
    w_full = fastavro.parse_schema(copy.deepcopy(writer))
    r_full = fastavro.parse_schema(copy.deepcopy(reader))
    w_raw = fastavro.parse_schema(_strip(writer))
    r_raw = fastavro.parse_schema(_strip(reader))
    wn, rn = _named(writer, {}), _named(reader, {})
    for k in range(12):
        v = value(writer, wn, k)
        data = _write(w_full, v)
        try:
            _read(data, w_full, r_full)
            raw = _read(data, w_raw, r_raw)
            seen = _read(_write(r_raw, raw), r_full, None)
        except Exception as exc:  # any failure to read is a break
            return False, f"value {k}: {type(exc).__name__}: {exc}"
        if not agree(v, seen, writer, reader, wn, rn):
            return False, f"value {k}: wrote {v!r}, read {seen!r}"
    return True, ""


def _branch(v: Any, union: list[Any], named: dict[str, Any]) -> Any:
    """The branch fastavro writes ``v`` in: the first that validates it."""
    for b in union:
        try:
            if validate(v, copy.deepcopy(_resolve(b, named)), raise_errors=False):
                return b
        except Exception:  # a branch fastavro cannot even parse alone
            continue
    return union[0]


def _name_of(s: Any) -> str:
    return str(s.get("name", "")).rpartition(".")[2] if isinstance(s, dict) else ""


def _matches(w: Any, r: Any, wn: dict[str, Any], rn: dict[str, Any]) -> bool:
    w, r = _resolve(w, wn), _resolve(r, rn)
    wk, rk = _kind(w), _kind(r)
    if wk in ("record", "enum", "fixed") and rk in ("record", "enum", "fixed"):
        names = {a.rpartition(".")[2] for a in r.get("aliases", [])} | set(
            r.get("aliases", [])
        )
        return (
            _name_of(w) == _name_of(r) or _name_of(w) in names or w.get("name") in names
        )
    return wk == rk or (wk, rk) in _PROMOTIONS


def agree(
    v: Any, r: Any, ws: Any, rs: Any, wn: dict[str, Any], rn: dict[str, Any]
) -> bool:
    ws, rs = _resolve(ws, wn), _resolve(rs, rn)
    if isinstance(ws, list):
        ws = _resolve(_branch(v, ws, wn), wn)
    if isinstance(rs, list):
        rs = _resolve(next((b for b in rs if _matches(ws, b, wn, rn)), rs[0]), rn)
    wl = ws.get("logicalType") if isinstance(ws, dict) else None
    rl = rs.get("logicalType") if isinstance(rs, dict) else None
    if wl or rl:
        if rl == "decimal" and isinstance(r, Decimal):
            digits = len(r.as_tuple().digits)
            if digits > rs["precision"] or -int(r.as_tuple().exponent) > rs.get(
                "scale", 0
            ):
                return False
        return type(v) is type(r) and v == r
    wk, rk = _kind(ws), _kind(rs)
    if wk == "record":
        return _agree_record(v, r, ws, rs, wn, rn)
    if wk == "enum":
        return r == v or (v not in rs["symbols"] and r == rs.get("default"))
    if wk == "array":
        return len(v) == len(r) and all(
            agree(a, b, ws["items"], rs["items"], wn, rn)
            for a, b in zip(v, r, strict=True)
        )
    if wk == "map":
        return v.keys() == r.keys() and all(
            agree(v[x], r[x], ws["values"], rs["values"], wn, rn) for x in v
        )
    return r == _promoted(v, wk, rk)


def _agree_record(
    v: Any, r: Any, ws: Any, rs: Any, wn: dict[str, Any], rn: dict[str, Any]
) -> bool:
    by_name = {f["name"]: f for f in ws["fields"]}
    for rf in rs["fields"]:
        wf = by_name.get(rf["name"]) or next(
            (by_name[a] for a in rf.get("aliases", []) if a in by_name), None
        )
        if wf is not None and not agree(
            v[wf["name"]], r[rf["name"]], wf["type"], rf["type"], wn, rn
        ):
            return False
    return True


def _promoted(v: Any, wk: str, rk: str) -> Any:
    if wk == rk:
        return v
    if rk == "float":
        return struct.unpack("f", struct.pack("f", float(v)))[0]
    if rk == "double":
        return float(v)
    if (wk, rk) == ("string", "bytes"):
        return v.encode()
    if (wk, rk) == ("bytes", "string"):
        return v.decode()
    return v

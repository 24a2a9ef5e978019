"""Which message field types a column can take, and how the value is
converted: the type half of the consume -> store mapping check.

A field fits a column when every value the field may hold is stored as it
is, or through one lossless conversion (``ir.StoreConversion``).  A value
that may not fit (an Avro ``int`` in a ``smallint``, a decimal of scale 8 in
``numeric(10, 2)``, a local timestamp in ``timestamptz``) is refused at
generation time, with the reason.  Strings are the one exception: Avro has no
string length, so a ``varchar(n)`` takes any string and PostgreSQL refuses a
longer one at run time (the message is then dead-lettered).
"""

from __future__ import annotations

from dataclasses import dataclass

from generator import ir

_TEXT = frozenset({"text", "varchar", "bpchar", "citext"})
_JSON = frozenset({"json", "jsonb"})
_TIMESTAMPS = frozenset({"timestamp-millis", "timestamp-micros"})
_LOCAL_TIMESTAMPS = frozenset({"local-timestamp-millis", "local-timestamp-micros"})


@dataclass(frozen=True, slots=True)
class Fit:
    """A field fits its column: with this conversion."""

    convert: ir.StoreConversion = "none"
    enum_class: str = ""


@dataclass(frozen=True, slots=True)
class Misfit:
    """Why a field does not fit its column."""

    reason: str


def strip_null(t: ir.Type) -> tuple[ir.Type, bool]:
    """``t`` without a null branch, and whether it had one."""
    if isinstance(t, ir.Union) and t.optional:
        rest = t.non_null
        return (rest[0] if len(rest) == 1 else ir.Union(rest)), True
    return t, False


def avro_text(service: ir.Service, t: ir.Type) -> str:
    """An Avro type as a message names it."""
    match t:
        case ir.Primitive(name):
            return name
        case ir.Logical("decimal", precision=p, scale=s):
            return f"decimal({p}, {s})"
        case ir.Logical(name):
            return name
        case ir.Array(items):
            return f"array of {avro_text(service, items)}"
        case ir.Map(values):
            return f"map of {avro_text(service, values)}"
        case ir.Union(branches):
            return " | ".join(avro_text(service, b) for b in branches)
        case ir.Ref(fullname):
            named = service.named(fullname)
            kind = type(named).__name__.lower()
            if isinstance(named, ir.Fixed) and named.logical is not None:
                return avro_text(service, named.logical)
            return f"{kind} {named.name}"
    return "?"  # pragma: no cover - the match is exhaustive


def fit(service: ir.Service, field_type: ir.Type, column: ir.SqlType) -> Fit | Misfit:
    """How a value of ``field_type`` (never null: the caller checks
    nullability) goes into a column of type ``column``."""
    if column.name in _JSON and not column.dims:
        return _json_fit(service, field_type)
    if column.python or column.opaque or column.composite:
        return Misfit(f"svcforge does not convert values to {column.sql}")
    if column.dims:
        return _array_fit(service, field_type, column)
    match field_type:
        case ir.Primitive(name):
            return _primitive_fit(name, column)
        case ir.Logical():
            return _logical_fit(field_type, column)
        case ir.Ref(fullname):
            return _named_fit(service, service.named(fullname), column)
    if isinstance(field_type, ir.Array):
        return Misfit("an array goes into an array, json or jsonb column")
    return Misfit("a map or a union goes into a json or jsonb column")


def _json_fit(service: ir.Service, t: ir.Type) -> Fit | Misfit:
    match t:
        case ir.Primitive("bytes"):
            return Misfit("bytes have no JSON form")
        case ir.Primitive():
            return Fit()
        case ir.Ref(fullname) if isinstance(service.named(fullname), ir.Fixed):
            named = service.named(fullname)
            assert isinstance(named, ir.Fixed)
            if named.logical is None:
                return Misfit("a fixed has no JSON form")
    return Fit("json")


def _array_fit(service: ir.Service, t: ir.Type, column: ir.SqlType) -> Fit | Misfit:
    if column.dims != 1 or not isinstance(t, ir.Array):
        return Misfit(f"only an array fits {column.sql}, one dimension deep")
    items, optional = strip_null(t.items)
    if optional:
        return Misfit("its items may be null")
    found = fit(service, items, column.element)
    if isinstance(found, Fit) and found.convert != "none":
        return Misfit(f"its items need a conversion to {column.element.sql}")
    return found


def _primitive_fit(name: str, column: ir.SqlType) -> Fit | Misfit:
    col = column.name
    ok: dict[str, dict[str, ir.StoreConversion]] = {
        "string": dict.fromkeys(_TEXT, "none"),
        "int": {
            "int4": "none",
            "int8": "none",
            "numeric": "decimal",
            "float8": "float",
        },
        "long": {"int8": "none", "numeric": "decimal"},
        "float": {"float4": "none", "float8": "none"},
        "double": {"float8": "none"},
        "boolean": {"bool": "none"},
        "bytes": {"bytea": "none"},
    }
    convert = ok.get(name, {}).get(col)
    if convert is None:
        return Misfit(_misfit_text(name, column))
    return Fit(convert)


def _misfit_text(avro: str, column: ir.SqlType) -> str:
    if avro in ("int", "long") and column.name in ("int2", "int4"):
        return f"an Avro {avro} may not fit {column.sql}"
    return f"a {avro} does not go into {column.sql}"


def _logical_fit(t: ir.Logical, column: ir.SqlType) -> Fit | Misfit:
    col = column.name
    match t.name:
        case "uuid" if col == "uuid":
            return Fit()
        case "uuid" if col in _TEXT and _long_enough(column, 36):
            return Fit("str")
        case "decimal" if col == "numeric":
            return _decimal_fit(t, column)
        case "date" if col == "date":
            return Fit()
        case "time-millis" | "time-micros" if col == "time":
            return Fit()
        case name if name in _TIMESTAMPS and col == "timestamptz":
            return Fit()
        case name if name in _TIMESTAMPS and col == "timestamp":
            return Fit("naive_utc")
        case name if name in _LOCAL_TIMESTAMPS and col == "timestamp":
            return Fit()
        case name if name in _LOCAL_TIMESTAMPS and col == "timestamptz":
            return Misfit("a local timestamp has no time zone; timestamptz needs one")
    return Misfit(f"a {t.name} does not go into {column.sql}")


def _long_enough(column: ir.SqlType, length: int) -> bool:
    return not column.modifiers or column.modifiers[0] >= length


def _decimal_fit(t: ir.Logical, column: ir.SqlType) -> Fit | Misfit:
    if not column.modifiers:
        return Fit()
    precision = column.modifiers[0]
    scale = column.modifiers[1] if len(column.modifiers) > 1 else 0
    if scale < t.scale:
        return Misfit(
            f"a decimal of scale {t.scale} would be rounded to the column's "
            f"scale {scale}"
        )
    if precision - scale < t.precision - t.scale:
        return Misfit(
            f"a decimal({t.precision}, {t.scale}) may not fit {column.sql} "
            f"({t.precision - t.scale} digits before the point, the column "
            f"holds {precision - scale})"
        )
    return Fit()


def _named_fit(
    service: ir.Service, named: ir.NamedType, column: ir.SqlType
) -> Fit | Misfit:
    match named:
        case ir.Enum():
            return _enum_fit(service, named, column)
        case ir.Fixed(logical=logical) if logical is not None:
            return _logical_fit(logical, column)
        case ir.Fixed() if column.name == "bytea":
            return Fit()
        case ir.Record():
            return Misfit(
                f"a record goes into a json or jsonb column, or into columns "
                f"named <field>_<its field> ({named.name} flattened)"
            )
    return Misfit(f"a {type(named).__name__.lower()} does not go into {column.sql}")


def _enum_fit(service: ir.Service, enum: ir.Enum, column: ir.SqlType) -> Fit | Misfit:
    if column.name in _TEXT:
        return Fit("enum_value")
    if not column.enum:
        return Misfit(f"enum {enum.name} does not go into {column.sql}")
    sql = service.sql_enum(column.enum)
    if sql.shared == enum.fullname:
        return Fit()
    missing = [s.name for s in enum.symbols if s.name not in sql.labels]
    if missing:
        return Misfit(
            f"enum {enum.name} has symbols {', '.join(missing)} that the "
            f"PostgreSQL enum {sql.name} lacks"
        )
    return Fit("enum", sql.py_name)

"""Logical types: which underlying type each annotates, and the attributes of
a decimal.

A *known* logical type on the wrong underlying type, or a decimal with bad
precision or scale, is an error (the spec says readers should ignore it): a
generator should not silently drop what the author asked for.  Unknown logical
type names are ignored, as the spec says, with a warning: a typo
(``timestamp-milis``) would otherwise turn a timestamp into a number unseen.
"""

from __future__ import annotations

import math
from typing import Any

from generator import ir
from generator.errors import did_you_mean
from generator.frontends.avro.state import State
from generator.jsonsource import JsonDocument, pointer

LOGICAL_BASE: dict[str, tuple[str, ...]] = {
    "date": ("int",),
    "time-millis": ("int",),
    "time-micros": ("long",),
    "timestamp-millis": ("long",),
    "timestamp-micros": ("long",),
    "local-timestamp-millis": ("long",),
    "local-timestamp-micros": ("long",),
    "uuid": ("string", "fixed"),
    "decimal": ("bytes", "fixed"),
}

READ_AS_BASE = frozenset(
    {"timestamp-nanos", "local-timestamp-nanos", "big-decimal", "duration"}
)
"""Logical types of Avro 1.12 that svcforge reads as their underlying type:
lossless, and what the specification asks of an implementation without them."""


def unknown(state: State, doc: JsonDocument, ptr: str, lname: str, kind: str) -> None:
    """Warn about a logical type the specification does not define."""
    if lname in READ_AS_BASE:
        return
    hint = did_you_mean(lname, [*LOGICAL_BASE, *READ_AS_BASE]).strip()
    state.warn(
        doc,
        pointer(ptr, "logicalType"),
        f"unknown logical type {lname!r}: ignored, as the Avro specification "
        f"says; the value is a plain {kind}",
        hint,
    )


def wrong_base(
    state: State, doc: JsonDocument, ptr: str, lname: str, kind: str
) -> None:
    expected = " or ".join(LOGICAL_BASE[lname])
    state.error(
        doc,
        pointer(ptr, "logicalType"),
        f"logical type {lname!r} annotates {expected}, not {kind}",
    )


def decimal(
    state: State,
    doc: JsonDocument,
    ptr: str,
    node: dict[str, Any],
    *,
    fixed: str | None,
    size: int,
) -> ir.Logical | None:
    """The decimal ``node`` declares (on bytes, or on the fixed named
    ``fixed`` of ``size`` bytes), or None when it is reported as invalid."""
    precision = node.get("precision")
    scale = node.get("scale", 0)
    if not isinstance(precision, int) or isinstance(precision, bool) or precision < 1:
        state.error(
            doc,
            pointer(ptr, "precision") if "precision" in node else ptr,
            'decimal needs an integer "precision" of at least 1',
        )
        return None
    if (
        not isinstance(scale, int)
        or isinstance(scale, bool)
        or not 0 <= scale <= precision
    ):
        state.error(
            doc,
            pointer(ptr, "scale"),
            f'decimal "scale" must be an integer from 0 to the precision '
            f"({precision}), found {scale!r}",
        )
        return None
    if fixed is not None:
        most = max_decimal_digits(size)
        if precision > most:
            state.error(
                doc,
                pointer(ptr, "precision"),
                f"fixed of {size} bytes holds at most {most} decimal digits, "
                f"precision is {precision}",
            )
            return None
    base: ir.PrimitiveName | None = None if fixed else "bytes"
    return ir.Logical(
        "decimal", base=base, fixed=fixed, precision=precision, scale=scale
    )


def max_decimal_digits(size: int) -> int:
    """How many decimal digits a two's-complement number of ``size`` bytes
    always holds: floor(log10(2 ** (8 * size - 1) - 1))."""
    if size == 0:
        return 0
    if size > 4096:  # no exact big integer for absurd sizes
        return int((8 * size - 1) * math.log10(2))
    return len(str(2 ** (8 * size - 1) - 1)) - 1

"""Bounds on what one Avro payload may decode to.

A few bytes can claim a huge array: an item of ``null`` or of an empty record
takes no bytes, so a 15-byte payload may announce ten million of them, and a
count of 2**40 would keep the event loop busy for hours.  Every array and map
reader therefore checks each block's count against these limits before it
reads a single item, and a codec checks the payload's size before decoding:

* ``max_items`` (default 1,000,000): items of one array, or entries of one
  map, over all of its blocks;
* ``max_decoded_bytes`` (default 64 MiB): the decoded size of one message,
  estimated as its payload plus ``ITEM_COST`` (64) bytes per array item and
  map entry, the size of a list slot and a small Python object;
* ``max_message_bytes`` (default 16 MiB): the largest payload decoded at all.

With the defaults one message decodes to at most about a million items, a
few tens of milliseconds of work.  Going over a limit is a decode error
(a consumer dead-letters the record).  ``set_decode_limits`` changes them for
the process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BUDGET",
    "IN_FORCE",
    "ITEM_COST",
    "AvroSettings",
    "DecodeLimits",
    "LimitExceeded",
    "decode_limits",
    "set_decode_limits",
    "start_budget",
    "take_items",
    "too_big",
]

ITEM_COST = 64
"""Bytes one array item or map entry counts for in ``max_decoded_bytes``."""


class LimitExceeded(ValueError):
    """A payload would decode to more than the limits allow."""


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    max_items: int = 1_000_000
    max_decoded_bytes: int = 64 * 1024 * 1024
    max_message_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("max_items", "max_decoded_bytes", "max_message_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


class _InForce:
    __slots__ = ("limits",)

    def __init__(self) -> None:
        self.limits = DecodeLimits()


IN_FORCE = _InForce()
"""``IN_FORCE.limits``: the limits in force (read inline by the codecs)."""


class AvroSettings(BaseModel):
    """Bounds on what one Avro payload may decode to (a payload beyond them is
    a decode error, dead-lettered by a consumer)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_items: int = Field(default=1_000_000, ge=1)
    """Items of one array, or entries of one map, over all of its blocks."""
    max_decoded_bytes: int = Field(default=64 * 1024 * 1024, ge=1)
    """Decoded size of one message: its payload plus 64 bytes per array item
    and map entry."""
    max_message_bytes: int = Field(default=16 * 1024 * 1024, ge=1)
    """The largest payload decoded at all."""

    def limits(self) -> DecodeLimits:
        return DecodeLimits(
            max_items=self.max_items,
            max_decoded_bytes=self.max_decoded_bytes,
            max_message_bytes=self.max_message_bytes,
        )

    def apply(self) -> DecodeLimits:
        """Put these limits in force for the process; returns the previous ones."""
        return set_decode_limits(self.limits())


def decode_limits() -> DecodeLimits:
    """The limits in force."""
    return IN_FORCE.limits


def set_decode_limits(limits: DecodeLimits) -> DecodeLimits:
    """Put ``limits`` in force for the process; returns the previous ones."""
    previous, IN_FORCE.limits = IN_FORCE.limits, limits
    return previous


class _Budget(threading.local):
    # Outside a codec's decode (readers called directly) only the per-array
    # limit applies: the budget starts unbounded.
    left: int = 1 << 62


BUDGET = _Budget()
"""``BUDGET.left``: the decoded size the message being decoded in this
thread may still take; a codec sets it as a decode starts (inline: a
function call would cost as much as the check)."""


def too_big(payload_size: int) -> LimitExceeded:
    return LimitExceeded(
        f"payload of {payload_size} bytes, more than max_message_bytes "
        f"({IN_FORCE.limits.max_message_bytes})"
    )


def start_budget(payload_size: int) -> None:
    """A decode of a payload of ``payload_size`` bytes starts: check its
    size and give the message its decoded-size budget (per thread)."""
    limits = IN_FORCE.limits
    if payload_size > limits.max_message_bytes:
        raise too_big(payload_size)
    BUDGET.left = limits.max_decoded_bytes - payload_size


def take_items(count: int, held: int) -> None:
    """An array or map holding ``held`` items announces a block of ``count``
    more: refuse it before reading any when it goes over a limit."""
    limits = IN_FORCE.limits
    if count + held > limits.max_items:
        raise LimitExceeded(
            f"{count + held} items in one array or map, more than max_items "
            f"({limits.max_items})"
        )
    left = BUDGET.left - count * ITEM_COST
    if left < 0:
        raise LimitExceeded(
            "message decodes to more than max_decoded_bytes "
            f"({limits.max_decoded_bytes}, {ITEM_COST} bytes per item)"
        )
    BUDGET.left = left

"""Names of channels: the attributes of the generated ``Channels`` class and
the ``ChannelSpec`` constants."""

from __future__ import annotations

import keyword
from collections.abc import Iterable

from generator.naming.words import identifier, snake_case, unique

# (Kept at the end of the module: other sections change in parallel.)

# Names a channel attribute must not take: the ``messaging`` hub of the
# generated ``Channels`` class, and names the generated channels code already
# gives other meanings (``spec``, ``name``).
_CHANNEL_RESERVED = frozenset({"messaging", "spec", "name"})


def _channel_base(name: str) -> str:
    base = identifier(snake_case(name).lstrip("_"), "channel")
    if keyword.iskeyword(base) or base in _CHANNEL_RESERVED:
        base += "_"
    return base


def channel_constants(
    attributes: dict[str, str], taken: Iterable[str]
) -> dict[str, str]:
    """The ``ChannelSpec`` constant of each channel, by channel name, from its
    attribute (``trades`` -> ``TRADES``); ``taken`` are the other names of the
    channels module (codec constants, model classes), which a constant must
    not shadow (``TRADES_CHANNEL`` then)."""
    used = set(taken) | {"ALL", "CATALOG"}
    out = {}
    for name, attr in sorted(attributes.items()):
        base = attr.upper()
        if base in used:
            base += "_CHANNEL"
        out[name] = unique(base, used)
    return out


def channel_names(names: Iterable[str]) -> dict[str, str]:
    """Attribute names of the generated ``Channels`` class, by channel name.

    ``order-books`` becomes ``order_books``; a channel whose name already is
    its attribute name keeps it, and one that would take a name already taken
    (``OrderBooks`` beside ``order_books``) gets a suffix.  Names are given in
    sorted order, so the same channels always get the same attributes.
    """
    ordered = sorted(set(names))
    bases = {name: _channel_base(name) for name in ordered}
    taken = {name for name in ordered if bases[name] == name}
    return {
        name: name if bases[name] == name else unique(bases[name], taken)
        for name in ordered
    }

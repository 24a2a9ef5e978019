"""Names of the JSON Schema side: the models module, the classes svcforge
names itself (messages and definitions), and the Python attributes of each
message's top-level properties.

A small module beside ``naming`` (whose functions it uses) so that the JSON
Schema front-end decides these names and the emitter that runs
datamodel-code-generator only reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from generator.naming import RESERVED_CLASS_NAMES, field_names, pascal_case, unique

JSON_MODELS_MODULE = "json_models"
"""The generated module of the JSON Schema models (``models.py`` holds the
Avro ones, so that no class name datamodel-code-generator picks can clash with
an Avro class)."""
EXACT_SCHEMAS = "JSON_SCHEMAS"
"""The constant of ``codecs.py`` that holds the schema files the exact
validators read."""
BUNDLE_ROOT = "SvcforgeBundleRoot"
"""The class datamodel-code-generator makes of the bundle's own root; removed."""
MODULE_NAMES = frozenset(
    {
        BUNDLE_ROOT,
        "AliasChoices",
        "AnyUrl",
        "EmailStr",
        "Enum",
        "IntEnum",
        "JsonSchemaModel",
        "IPv4Address",
        "IPv6Address",
        "Literal",
        "MISSING",
        "Model",
        "RootModel",
        "StringConstraints",
        "UniqueList",
        "timedelta",
    }
)
"""Names the models module imports or datamodel-code-generator uses itself: no
schema may take them for a class."""
RESERVED = RESERVED_CLASS_NAMES | MODULE_NAMES


def class_name(text: str, fallback: str = "Schema") -> str:
    """The class of a message (from its title or file name) or of a
    definition (from its key): PascalCase, ``fallback`` in front of a leading
    digit or instead of nothing."""
    name = pascal_case(text)[:80]
    if not name or not name[0].isalpha():
        name = fallback + name
    return name


def property_attributes(
    wires: Iterable[str], inherited: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The attribute of each top-level property of a class, by wire name.

    ``inherited`` are the properties (wire -> attribute) of the classes it
    extends (``allOf`` with a ``$ref``): they keep their attributes, and a
    property of its own never takes one of them.
    """
    inherited = dict(inherited or {})
    own = [w for w in dict.fromkeys(wires) if w not in inherited]
    names = field_names([*inherited, *own])[len(inherited) :]
    taken = set(inherited.values())
    out = dict(inherited)
    for wire, name in zip(own, names, strict=True):
        out[wire] = unique(name, taken)
    return out

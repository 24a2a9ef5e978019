"""The rules by which svcforge refuses an Avro schema the specification
accepts, each with the reason; the README's table "Avro: what is refused"
lists the same rules.  Every other error of the Avro front-end is a schema the
specification rejects too.

``refusal_rule`` tells which rule an error message is (tests and the wild
corpus harness use it to check that no refusal goes unexplained).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    """Matches the error message of a refusal by this rule."""
    reason: str


RULES = (
    Rule(
        "no finite value",
        re.compile(r"contains itself through required fields"),
        "a record holding itself through required fields has no finite value: "
        "nothing could be encoded",
    ),
    Rule(
        "empty union",
        re.compile(r"a union needs at least one branch"),
        "a union without branches has no value",
    ),
    Rule(
        "empty enum",
        re.compile(r"has no symbols: it has no value"),
        "an enum without symbols has no value: nothing could be encoded",
    ),
    Rule(
        "nesting depth",
        re.compile(r"levels deep, more than the \d+ that"),
        "types nested past 190 levels (100 within one field) would give Python "
        "code that cannot be parsed or imported",
    ),
    Rule(
        "JSON depth",
        re.compile(r"JSON nested more than \d+ levels deep"),
        "a schema file nested past 5000 levels of JSON is refused before parsing",
    ),
    Rule(
        "logical type misplaced",
        re.compile(
            r"logical type '[\w-]+' annotates|decimal needs an integer \"precision\""
            r"|decimal \"scale\" must be|holds at most \d+ decimal digits"
        ),
        "a known logical type on the wrong underlying type, or a decimal with an "
        "impossible precision or scale, is an error rather than silently dropped "
        "(the specification says to ignore it)",
    ),
    Rule(
        "null-namespace reference",
        re.compile(r"of the null namespace cannot be named here"),
        "a name written inside a namespace takes that namespace; some parsers "
        "fall back to the null namespace, Avro names do not, and the generated "
        "schema could not name the type either",
    ),
    Rule(
        "file message name",
        re.compile(r"which is also a named type's full name"),
        "a file whose schema is no named type gives a message named after the "
        "file, which must not be a named type's full name",
    ),
    Rule(
        "fixed size",
        re.compile(r"that Avro implementations support"),
        "a fixed larger than 2^31-1 bytes: Java and C size fixed with an int",
    ),
)


def refusal_rule(message: str) -> Rule | None:
    """The documented rule an error message of the Avro front-end is, if any."""
    for rule in RULES:
        if rule.pattern.search(message):
            return rule
    return None

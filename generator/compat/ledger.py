"""The break ledger, ``schemas/BREAKING.toml``: breaking changes a team
approved on purpose.

    [[break]]
    rule = "AVRO_FIELD_ADDED_NO_DEFAULT"
    file = "schemas/messages/trade.avsc"
    subject = "com.acme.Trade.venue"   # optional: only this break
    reason = "every producer sets venue since 2.3; old data is never replayed"
    revision = "3f2a9c1"               # the revision it was approved against

An entry approves every break of its rule in its file (and subject).  An
entry the new tree adds that approves nothing is stale: an error, so the
ledger cannot collect allowances nobody needs.  Entries already in the
ledger at the revision approved a break that is now part of it; they keep
approving it under ``_TRANSITIVE`` modes, and are otherwise reported as
settled (remove them when convenient).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from generator.compat.rules import RULES, Break
from generator.errors import Diagnostic, SchemaError
from generator.ir import Span
from generator.tomlcheck import Where, check_table, problem
from generator.tomlsource import load_toml

LEDGER = "schemas/BREAKING.toml"


class LedgerEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    rule: str = Field(
        description="a rule ID of svcforge compat",
        examples=["AVRO_FIELD_ADDED_NO_DEFAULT"],
    )
    file: str = Field(
        description="a path from the service root",
        examples=["schemas/messages/order.avsc"],
    )
    subject: str | None = Field(
        default=None, description="what broke, as compat names it"
    )
    reason: str = Field(
        min_length=1, description="a non-empty string", examples=["why it is safe"]
    )
    revision: str = Field(
        min_length=1, description="a git revision", examples=["3f2a9c1"]
    )

    @field_validator("rule")
    @classmethod
    def _known(cls, rule: str) -> str:
        if rule not in RULES:
            raise problem(
                f"unknown rule {rule!r}",
                hint="svcforge compat names its rules in README.md",
            )
        return rule


@dataclass(frozen=True, slots=True)
class Entry:
    entry: LedgerEntry
    span: Span

    def approves(self, b: Break) -> bool:
        e = self.entry
        files = {b.span.path, b.old.path if b.old else b.span.path}
        return e.rule == b.rule and e.file in files and e.subject in (None, b.subject)

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.entry.rule, self.entry.file, self.entry.subject)


@dataclass(slots=True)
class Ledger:
    entries: list[Entry] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path) -> Ledger:
        path = root / LEDGER
        if not path.is_file():
            return cls()
        doc = load_toml(LEDGER, path.read_text(encoding="utf-8"))
        errors: list[Diagnostic] = []
        unknown = sorted(set(doc.value) - {"break"})
        for key in unknown:
            errors.append(
                Diagnostic(
                    doc.span((key,), key=True),
                    f"unknown key {key!r}",
                    "write [[break]] tables",
                )
            )
        raw = doc.value.get("break", [])
        if not isinstance(raw, list):
            errors.append(
                Diagnostic(
                    doc.span(("break",)), "break must be an array of tables: [[break]]"
                )
            )
            raw = []
        out = cls()
        for i, body in enumerate(raw):
            where = Where(doc, ("break", i), f"[[break]] {i + 1}")
            entry, problems = check_table(LedgerEntry, body, where)
            errors += problems
            if entry is not None:
                out.entries.append(Entry(entry, where.span(key=True)))
        if errors:
            raise SchemaError(errors)
        return out


@dataclass(frozen=True, slots=True)
class Verdict:
    approved: dict[int, Entry]
    """Break index -> the entry approving it."""
    stale: list[Entry]
    settled: list[Entry]


def judge(breaks: list[Break], ledger: Ledger, before: Ledger) -> Verdict:
    approved: dict[int, Entry] = {}
    used: set[int] = set()
    for i, b in enumerate(breaks):
        for n, entry in enumerate(ledger.entries):
            if entry.approves(b):
                approved[i] = entry
                used.add(n)
                break
    known = {e.key for e in before.entries}
    idle = [e for n, e in enumerate(ledger.entries) if n not in used]
    return Verdict(
        approved,
        stale=[e for e in idle if e.key not in known],
        settled=[e for e in idle if e.key in known],
    )

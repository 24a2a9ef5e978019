"""Diagnostics that point at the input, collected and reported in one place."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from generator.ir import Span


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    span: Span
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return self._text("")

    def as_warning(self) -> str:
        """How the CLI prints a problem that does not stop generation."""
        return self._text("warning: ")

    def _text(self, label: str) -> str:
        text = f"{self.span}: {label}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def _key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.span.path, d.span.line, d.span.col, d.message)


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Each once, by file, line, column and message."""
    return tuple(sorted(set(diagnostics), key=_key))


class SchemaError(Exception):
    """Bad input: one or more diagnostics.  The CLI prints them and exits 2."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted_diagnostics(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class UsageError(Exception):
    """Bad command-line usage or project setup; exit 2."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"did you mean 'topic'? "`` when a candidate is close to ``word``
    (a typo, a different case), else ``""``: the start of a hint."""
    pool = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(word.lower(), list(pool), n=1, cutoff=0.6)
    return f"did you mean {pool[close[0]]!r}? " if close else ""

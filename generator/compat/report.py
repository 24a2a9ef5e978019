"""The three outputs of ``svcforge compat``: text (one line per break),
JSON (stable, documented in README.md) and GitHub workflow annotations."""

from __future__ import annotations

import json
from typing import Any

from generator.compat.ledger import LEDGER, Entry
from generator.compat.rules import Break
from generator.compat.run import Outcome
from generator.errors import Diagnostic
from generator.ir import Span

JSON_VERSION = 1


def text_report(o: Outcome) -> tuple[list[str], list[str]]:
    """(stdout lines, stderr lines)."""
    out: list[str] = []
    err = [f"{o.against}: {d}" for d in o.ref_errors]
    err += [str(d) for d in o.errors + o.ledger_errors]
    for i, b in enumerate(o.breaks):
        entry = o.verdict.approved.get(i)
        if entry is None:
            out.append(f"{b.span}: {b.rule}: {b.message}")
        else:
            out.append(
                f"{b.span}: notice: {b.rule} approved by {entry.span} "
                f"({entry.entry.reason}): {b.message}"
            )
    err += [f"{e.span}: {_stale(e, o)}" for e in o.verdict.stale]
    out += [f"{e.span}: notice: {_settled(e, o)}" for e in o.verdict.settled]
    err += [f"svcforge compat: {n}" for n in o.notices]
    err.append(_summary(o))
    return out, err


def _stale(e: Entry, o: Outcome) -> str:
    return (
        f"stale ledger entry: {e.entry.rule} in {e.entry.file} approves no break "
        f"against {o.against}; remove it"
    )


def _settled(e: Entry, o: Outcome) -> str:
    return (
        f"ledger entry {e.entry.rule} in {e.entry.file} (approved at "
        f"{e.entry.revision}) approves no break any more: the change is part of "
        f"{o.against}; it may be removed"
    )


def _summary(o: Outcome) -> str:
    short = o.commit[:12]
    if o.ref_errors:
        return f"svcforge compat: the schemas at {o.against} ({short}) do not load"
    approved = len(o.verdict.approved)
    open_ = len(o.breaks) - approved
    if not o.breaks:
        text = f"svcforge compat: compatible with {o.against} ({short})"
    else:
        text = (
            f"svcforge compat: {open_} breaking change{'s' if open_ != 1 else ''} "
            f"against {o.against} ({short})"
        )
        if approved:
            text += f", {approved} approved in {LEDGER}"
    if o.verdict.stale:
        text += f"; {len(o.verdict.stale)} stale ledger entries"
    return text


def _span(span: Span) -> dict[str, Any]:
    return {"path": span.path, "line": span.line, "col": span.col}


def _diagnostic(d: Diagnostic) -> dict[str, Any]:
    return {**_span(d.span), "message": d.message, "hint": d.hint}


def _break(b: Break, entry: Entry | None) -> dict[str, Any]:
    return {
        "rule": b.rule,
        **_span(b.span),
        "message": b.message,
        "subject": b.subject,
        "mode": b.mode,
        "old": None if b.old is None else {**_span(b.old), "commit": b.old_revision},
        "approved": None
        if entry is None
        else {
            "ledger": str(entry.span),
            "reason": entry.entry.reason,
            "revision": entry.entry.revision,
        },
    }


def _entry(e: Entry) -> dict[str, Any]:
    return {
        **_span(e.span),
        "rule": e.entry.rule,
        "file": e.entry.file,
        "subject": e.entry.subject,
        "revision": e.entry.revision,
    }


def json_report(o: Outcome) -> str:
    document = {
        "version": JSON_VERSION,
        "against": o.against,
        "commit": o.commit,
        "exit_code": o.exit_code,
        "breaks": [
            _break(b, o.verdict.approved.get(i)) for i, b in enumerate(o.breaks)
        ],
        "ledger": {
            "stale": [_entry(e) for e in o.verdict.stale],
            "settled": [_entry(e) for e in o.verdict.settled],
            "errors": [_diagnostic(d) for d in o.ledger_errors],
        },
        "errors": [_diagnostic(d) for d in o.errors],
        "revision_errors": [_diagnostic(d) for d in o.ref_errors],
        "notices": o.notices,
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _repo_path(o: Outcome, path: str) -> str:
    """A service path as GitHub names it: from the repository's top, with
    symbolic links resolved (annotations only show on real files)."""
    target = o.root / path
    try:
        return target.resolve().relative_to(o.repo_top).as_posix()
    except ValueError:
        return path


def _annotation(kind: str, o: Outcome, span: Span, title: str, message: str) -> str:
    props = [f"file={_escape(_repo_path(o, span.path), prop=True)}"]
    if span.line:
        props += [f"line={span.line}", f"col={span.col}"]
    props.append(f"title={_escape(title, prop=True)}")
    return f"::{kind} {','.join(props)}::{_escape(message)}"


def github_report(o: Outcome) -> list[str]:
    lines = [
        _annotation("error", o, d.span, f"{o.against} does not load", d.message)
        for d in o.ref_errors
    ]
    lines += [
        _annotation("error", o, d.span, "svcforge", d.message)
        for d in o.errors + o.ledger_errors
    ]
    for i, b in enumerate(o.breaks):
        entry = o.verdict.approved.get(i)
        if entry is None:
            lines.append(_annotation("error", o, b.span, b.rule, b.message))
        else:
            text = f"approved ({entry.entry.reason}): {b.message}"
            lines.append(_annotation("notice", o, b.span, b.rule, text))
    lines += [
        _annotation("error", o, e.span, "stale ledger entry", _stale(e, o))
        for e in o.verdict.stale
    ]
    lines += [
        _annotation("notice", o, e.span, "settled ledger entry", _settled(e, o))
        for e in o.verdict.settled
    ]
    lines.append(_summary(o))
    return lines

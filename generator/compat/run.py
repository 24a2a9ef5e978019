"""``svcforge compat``: the working tree against its schemas at a revision."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator import ir
from generator.compat.channels import channel_breaks
from generator.compat.git import Repo
from generator.compat.ledger import Ledger, Verdict, judge
from generator.compat.load import Loaded, load_messages, load_tree
from generator.compat.messages import Modes, Version, message_breaks
from generator.compat.rules import Break, Mode
from generator.compat.sql import destructive_breaks, migration_breaks, query_breaks
from generator.errors import Diagnostic, SchemaError
from generator.pipeline import MESSAGES_DIR

DEFAULT_AGAINST = "HEAD"


@dataclass(slots=True)
class Outcome:
    against: str
    commit: str
    breaks: list[Break] = field(default_factory=list)
    verdict: Verdict = field(default_factory=lambda: Verdict({}, [], []))
    errors: list[Diagnostic] = field(default_factory=list)
    """The new tree's own problems (it does not generate), or the ledger's."""
    ref_errors: list[Diagnostic] = field(default_factory=list)
    """The revision's schemas do not load."""
    ledger_errors: list[Diagnostic] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    root: Path = Path()
    repo_top: Path = Path()

    @property
    def exit_code(self) -> int:
        if self.ref_errors or self.ledger_errors or self.verdict.stale:
            return 2
        if any(i not in self.verdict.approved for i in range(len(self.breaks))):
            return 1
        return 2 if self.errors else 0


def run_compat(root: Path, against: str = DEFAULT_AGAINST) -> Outcome:
    repo = Repo.of(root)
    commit = repo.commit(against)
    outcome = Outcome(against, commit, root=root, repo_top=repo.top)
    with tempfile.TemporaryDirectory(prefix="svcforge-compat-") as tmp:
        old_root = Path(tmp) / "revision"
        if not repo.materialize(commit, old_root):
            outcome.notices.append(
                f"{against} holds no pyproject.toml for this service: nothing to compare"
            )
            return outcome
        old = load_tree(old_root)
        if old.errors:
            outcome.ref_errors = old.errors
            return outcome
        new = load_tree(root)
        outcome.errors += new.errors
        if new.errors:
            outcome.notices.append(
                f"the working tree does not generate ({len(new.errors)} errors); "
                "breaks are still checked where its schemas load"
            )
        outcome.breaks = _breaks(repo, commit, old, new, Path(tmp), outcome.errors)
        _apply_ledger(root, old_root, outcome)
    return outcome


def _breaks(
    repo: Repo,
    commit: str,
    old: Loaded,
    new: Loaded,
    tmp: Path,
    errors: list[Diagnostic],
) -> list[Break]:
    before = Version.of(old.service, old.json_schemas, old.root)
    after = Version.of(new.service, new.json_schemas, new.root)
    modes = Modes.of(new.manifest, new.service, errors)
    channel_modes: dict[str, Mode] = {}
    if new.manifest is not None:
        channel_modes = {
            e.decl.name: e.decl.compat for e in new.manifest.channels if e.decl.compat
        }
    out: list[Break] = []
    if new.messages_ok:
        out += message_breaks(before, after, modes, lambda: _history(repo, commit, tmp))
        out += channel_breaks(before, after, modes, channel_modes)
    out += migration_breaks(old, new)
    if new.tables_ok:
        out += destructive_breaks(old, new)
        out += query_breaks(old, new)
    return sorted(out, key=lambda b: b.key)


def _history(repo: Repo, commit: str, tmp: Path) -> list[Version]:
    """Every earlier version of the message schemas, once per distinct tree."""
    real = repo.real_path(commit, repo.repo_path(MESSAGES_DIR))
    if real is None:
        return []
    seen: set[str] = set()
    out: list[Version] = []
    # The newest entry is the revision's own version, compared already.
    for n, (rev, tree) in enumerate(repo.history(commit, real)[1:]):
        if tree in seen:
            continue
        seen.add(tree)
        root = tmp / f"history-{n}"
        files = repo.files(tree)
        repo.write(
            [(f"{MESSAGES_DIR}/{f.path}", f) for f in files if f.kind == "blob"], root
        )
        try:
            named, messages, schemas = load_messages(root)
        except SchemaError:
            continue  # a version that never loaded was never published
        service = ir.Service("", "", named_types=named, messages=messages)
        out.append(Version.of(service, schemas, root, rev))
    return out


def _apply_ledger(root: Path, old_root: Path, outcome: Outcome) -> None:
    try:
        ledger = Ledger.load(root)
    except SchemaError as exc:
        outcome.ledger_errors = list(exc.diagnostics)
        return
    try:
        before = Ledger.load(old_root)
    except SchemaError:
        before = Ledger()
    outcome.verdict = judge(outcome.breaks, ledger, before)

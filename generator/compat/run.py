"""``svcforge compat``: the working tree against its schemas at a revision."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator import ir
from generator.compat.channels import channel_breaks
from generator.compat.git import Repo
from generator.compat.ledger import Ledger, Verdict, judge
from generator.compat.load import (
    JsonDocument,
    Loaded,
    load_json,
    load_tree,
    messages_of,
)
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
    before = Version.of(old.service, old.json_schemas, old.json_documents)
    after = Version.of(new.service, new.json_schemas, new.json_documents)
    modes = Modes.of(new.manifest, new.service, errors)
    channel_modes: dict[str, Mode] = {}
    if new.manifest is not None:
        channel_modes = {
            e.decl.name: e.decl.compat for e in new.manifest.channels if e.decl.compat
        }
    out: list[Break] = []
    if new.messages_ok:
        out += message_breaks(before, after, modes, lambda: _history(repo, commit))
        out += channel_breaks(before, after, modes, channel_modes)
    out += migration_breaks(old, new)
    if new.tables_ok:
        out += destructive_breaks(old, new)
        out += query_breaks(old, new)
    return sorted(out, key=lambda b: b.key)


def _history(repo: Repo, commit: str) -> list[Version]:
    """Every earlier version of the message schemas, once per distinct tree
    (read straight from git: one batch of blobs, each file parsed once)."""
    real = repo.real_path(commit, repo.repo_path(MESSAGES_DIR))
    if real is None:
        return []
    trees: dict[str, str] = {}
    # The newest entry is the revision's own version, compared already.
    for rev, tree in repo.history(commit, real)[1:]:
        trees.setdefault(tree, rev)
    listed = {tree: repo.files(tree) for tree in trees}
    blobs = repo.blobs(sorted({f.oid for files in listed.values() for f in files}))
    parsed: dict[tuple[str, str], JsonDocument | None] = {}
    out: list[Version] = []
    for tree, files in listed.items():
        documents = []
        for f in files:
            path = f"{MESSAGES_DIR}/{f.path}"
            if f.kind != "blob" or not path.endswith((".avsc", ".json")):
                continue
            if (path, f.oid) not in parsed:
                parsed[(path, f.oid)] = _document(path, blobs[f.oid])
            documents.append(parsed[(path, f.oid)])
        loaded = _version(documents, trees[tree])
        if loaded is not None:
            out.append(loaded)
    return out


def _document(path: str, data: bytes) -> JsonDocument | None:
    try:
        return load_json(path, data.decode("utf-8"))
    except (SchemaError, UnicodeDecodeError):
        return None


def _version(documents: list[JsonDocument | None], rev: str) -> Version | None:
    """A version of the message schemas; None if it never loaded (so it was
    never published)."""
    if any(d is None for d in documents):
        return None
    docs = [d for d in documents if d is not None]
    try:
        named, messages, schemas = messages_of(docs)
    except SchemaError:
        return None
    service = ir.Service("", "", named_types=named, messages=messages)
    json_docs = {d.path: d for d in docs if d.path.endswith(".json")}
    return Version.of(service, schemas, json_docs, rev)


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

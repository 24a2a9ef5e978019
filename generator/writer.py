"""The only code that touches disk: compare, write atomically, prune, diff."""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.manifest import Manifest
from generator.signature import Signature, verify


@dataclass(frozen=True, slots=True)
class Changes:
    written: tuple[str, ...] = ()
    """Files to write: ``edited``, ``stale`` and ``missing`` together."""
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    diffs: tuple[str, ...] = field(default=(), repr=False)
    edited: tuple[str, ...] = ()
    """On disk but changed since svcforge wrote them (their content hash no
    longer matches): a hand edit, which regenerating discards."""
    stale: tuple[str, ...] = ()
    """As svcforge wrote them, from schemas (or a svcforge) since changed."""
    missing: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.written and not self.removed


def _owned_files(root: Path, manifest: Manifest) -> set[str]:
    """Files currently inside the generated folders (caches excluded)."""
    found: set[str] = set()
    for folder in manifest.generated_dirs:
        base = root / folder
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            found.add(path.relative_to(root).as_posix())
    return found


def _current(root: Path, rel: str) -> str | None:
    try:
        return (root / rel).read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None


def plan(root: Path, manifest: Manifest, files: dict[str, str]) -> Changes:
    """What ``write_tree`` would do, with a unified diff per changed file."""
    written, unchanged, diffs = [], [], []
    why: dict[str, list[str]] = {"edited": [], "stale": [], "missing": []}
    for rel, text in sorted(files.items()):
        old = _current(root, rel)
        if old == text:
            unchanged.append(rel)
            continue
        written.append(rel)
        why[_cause(old)].append(rel)
        diffs.append(
            "".join(
                difflib.unified_diff(
                    (old or "").splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"a/{rel}" if old is not None else "/dev/null",
                    tofile=f"b/{rel}",
                )
            )
        )
    removed = sorted(_owned_files(root, manifest) - set(files))
    for rel in removed:
        old = _current(root, rel) or ""
        diffs.append(
            "".join(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    [],
                    fromfile=f"a/{rel}",
                    tofile="/dev/null",
                )
            )
            or f"--- a/{rel}\n+++ /dev/null\n"
        )
    return Changes(
        tuple(written),
        tuple(removed),
        tuple(unchanged),
        tuple(diffs),
        edited=tuple(why["edited"]),
        stale=tuple(why["stale"]),
        missing=tuple(why["missing"]),
    )


def _cause(old: str | None) -> str:
    """Why a generated file on disk differs from the new generation."""
    if old is None:
        return "missing"
    return "edited" if verify(old) is Signature.BROKEN else "stale"


def write_tree(root: Path, manifest: Manifest, files: dict[str, str]) -> Changes:
    """Make the generated folders hold exactly ``files``: write what changed
    (temp file + rename, so readers never see half a file) and remove what is
    no longer generated.  Nothing outside the generated folders is touched."""
    changes = plan(root, manifest, files)
    owned = tuple(f"{d}/" for d in manifest.generated_dirs)
    for rel in (*changes.written, *changes.removed):
        if not rel.startswith(owned):
            raise ValueError(f"refusing to touch {rel}: outside the generated folders")
    for rel in changes.written:
        _atomic_write(root / rel, files[rel])
    for rel in changes.removed:
        (root / rel).unlink()
    for folder in manifest.generated_dirs:
        _prune_empty_dirs(root / folder)
    return changes


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune_empty_dirs(base: Path) -> None:
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and path.name != "__pycache__" and not any(path.iterdir()):
            path.rmdir()

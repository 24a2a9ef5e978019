"""Reading a service's schemas at a git revision, without a checkout.

Only ``pyproject.toml`` and ``schemas/`` are copied out (``git ls-tree`` and
one ``git cat-file --batch``), into a folder laid out like the service, so
that the same loading code reads both sides.  Symbolic links in the tree
(``generated-examples/x/schemas -> ../../schemas/x``) are followed.
"""

from __future__ import annotations

import posixpath
import subprocess
from dataclasses import dataclass
from pathlib import Path

from generator.errors import UsageError

SERVICE_PARTS = ("pyproject.toml", "schemas")
_SYMLINK = "120000"


def _git(top: Path, *args: str, data: bytes | None = None) -> bytes:
    result = subprocess.run(
        ["git", "-C", str(top), *args],
        input=data,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise UsageError(
            f"git {' '.join(args[:2])}: {result.stderr.decode(errors='replace').strip()}"
        )
    return result.stdout


@dataclass(frozen=True, slots=True)
class Entry:
    mode: str
    kind: str
    oid: str
    path: str


@dataclass(frozen=True, slots=True)
class Repo:
    top: Path
    prefix: str
    """The service root, relative to the repository's top ("" at the top)."""

    @classmethod
    def of(cls, root: Path) -> Repo:
        result = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise UsageError(f"{root}: not inside a git repository")
        top = Path(result.stdout.strip()).resolve()
        prefix = root.resolve().relative_to(top).as_posix()
        return cls(top, "" if prefix == "." else prefix)

    def commit(self, ref: str) -> str:
        """The full commit id ``ref`` names; ``UsageError`` if it names none."""
        result = subprocess.run(
            [
                "git",
                "-C",
                str(self.top),
                "rev-parse",
                "--verify",
                "--quiet",
                f"{ref}^{{commit}}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not result.stdout.strip():
            raise UsageError(
                f"unknown revision {ref!r} (git rev-parse found no commit)"
            )
        return result.stdout.strip()

    def repo_path(self, service_path: str) -> str:
        return (
            posixpath.join(self.prefix, service_path) if self.prefix else service_path
        )

    def real_path(self, commit: str, path: str, depth: int = 0) -> str | None:
        """``path`` (from the top) with every symbolic link along it followed,
        as the tree at ``commit`` holds it; None when it does not exist."""
        parts = [p for p in path.split("/") if p]
        current = ""
        for i, part in enumerate(parts):
            candidate = posixpath.join(current, part) if current else part
            entry = self._entry(commit, candidate)
            if entry is None:
                return None
            if entry.mode == _SYMLINK and depth < 16:
                target = _git(self.top, "cat-file", "blob", entry.oid).decode()
                joined = posixpath.normpath(
                    posixpath.join(posixpath.dirname(candidate), target)
                )
                rest = "/".join(parts[i + 1 :])
                return self.real_path(
                    commit, posixpath.join(joined, rest) if rest else joined, depth + 1
                )
            current = candidate
        return current

    def _entry(self, commit: str, path: str) -> Entry | None:
        out = _git(self.top, "ls-tree", "-z", commit, "--", path)
        for line in out.split(b"\0"):
            if line:
                entry = _parse_entry(line)
                if entry.path == path:
                    return entry
        return None

    def files(self, treeish: str) -> list[Entry]:
        """Every blob under a tree (``commit:path`` or a tree id), with paths
        relative to it."""
        out = _git(self.top, "ls-tree", "-r", "-z", treeish)
        return [_parse_entry(line) for line in out.split(b"\0") if line]

    def blobs(self, oids: list[str]) -> dict[str, bytes]:
        if not oids:
            return {}
        out = _git(
            self.top,
            "cat-file",
            "--batch",
            data="".join(f"{o}\n" for o in oids).encode(),
        )
        blobs: dict[str, bytes] = {}
        pos = 0
        while pos < len(out):
            header_end = out.index(b"\n", pos)
            oid, _, size = out[pos:header_end].decode().split(" ")
            start = header_end + 1
            blobs[oid] = out[start : start + int(size)]
            pos = start + int(size) + 1
        return blobs

    def materialize(
        self, commit: str, dest: Path, parts: tuple[str, ...] = SERVICE_PARTS
    ) -> bool:
        """Write the service's ``parts`` at ``commit`` under ``dest``; False
        when the revision has no ``pyproject.toml`` for the service."""
        wanted: list[tuple[str, Entry]] = []
        for part in parts:
            real = self.real_path(commit, self.repo_path(part))
            if real is None:
                continue
            entry = self._entry(commit, real)
            if entry is None:
                continue
            if entry.kind == "blob":
                wanted.append((part, entry))
                continue
            for f in self.files(f"{commit}:{real}"):
                if f.mode == _SYMLINK:
                    continue  # a link inside schemas/: rare, and not followed
                wanted.append((posixpath.join(part, f.path), f))
        self.write(wanted, dest)
        return (dest / "pyproject.toml").is_file()

    def write(self, wanted: list[tuple[str, Entry]], dest: Path) -> None:
        data = self.blobs(sorted({e.oid for _, e in wanted}))
        for rel, entry in wanted:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data[entry.oid])

    def history(self, commit: str, path: str) -> list[tuple[str, str]]:
        """``(commit, tree id of path)`` for every commit reachable from
        ``commit`` that changed ``path`` (from the top), newest first."""
        out = _git(self.top, "log", "--format=%H", commit, "--", path).decode()
        commits = [c for c in out.split() if c]
        if not commits:
            return []
        query = "".join(f"{c}:{path}\n" for c in commits).encode()
        checked = (
            _git(self.top, "cat-file", "--batch-check", data=query)
            .decode()
            .splitlines()
        )
        pairs = []
        for c, line in zip(commits, checked, strict=True):
            fields = line.split(" ")
            if len(fields) == 3 and fields[1] == "tree":
                pairs.append((c, fields[0]))
        return pairs


def _parse_entry(line: bytes) -> Entry:
    meta, _, path = line.partition(b"\t")
    mode, kind, oid = meta.decode().split(" ")
    return Entry(mode, kind, oid, path.decode())

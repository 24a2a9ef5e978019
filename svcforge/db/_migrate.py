"""Applying a service's migrations: in file-name order, each once, each in its
own transaction, recorded in ``svcforge_migrations``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from svcforge.sqlscript import server_sql

__all__ = [
    "MIGRATIONS_TABLE",
    "Migration",
    "MigrationError",
    "apply_migrations",
    "load_migrations",
]

MIGRATIONS_TABLE = "svcforge_migrations"
# Concurrent migrators (several replicas starting at once) wait for each other
# on this advisory lock instead of racing.
_LOCK_KEY = 0x5FC0F0E6E1


class MigrationError(RuntimeError):
    """A migration failed, or an applied one was changed afterwards."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file: its file name (the key it is recorded under) and text."""

    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: str | Path) -> list[Migration]:
    """The ``*.sql`` files of a folder, in file-name order."""
    paths = sorted(Path(directory).glob("*.sql"), key=lambda p: p.name)
    return [Migration(p.name, p.read_text(encoding="utf-8")) for p in paths]


_CREATE = """
CREATE TABLE IF NOT EXISTS {table} (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


async def apply_migrations(conn: Any, migrations: Sequence[Migration]) -> list[str]:
    """Apply, on an ``asyncpg`` connection, the migrations not recorded yet,
    in name order; return their names.

    Each runs in its own transaction together with its record, so a failing
    migration leaves nothing behind and stops the run.  pg_dump's
    ``\\restrict`` lines are left out, as psql leaves them out, and the
    search path a migration sets (pg_dump empties it) ends with it, as it
    would with a psql session per file.  A recorded migration whose text
    changed since is an error (edit history with a new file)."""
    ordered = sorted(migrations, key=lambda m: m.name)
    names = [m.name for m in ordered]
    if len(set(names)) != len(names):
        raise MigrationError("two migrations have the same file name")
    # A migration may rewrite a big table, and another replica may hold the
    # lock for a while: no statement timeout here (restored at the end).
    timeout = await conn.fetchval("SELECT current_setting('statement_timeout')")
    path = await conn.fetchval("SELECT current_setting('search_path')")
    schema = await conn.fetchval("SELECT current_schema()") or "public"
    table = f'"{schema.replace(chr(34), chr(34) * 2)}".{MIGRATIONS_TABLE}'
    await conn.execute("SET statement_timeout = 0")
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(_CREATE.format(table=table))
        done = {
            r["name"]: r["checksum"]
            for r in await conn.fetch(f"SELECT name, checksum FROM {table}")
        }
        applied = []
        for m in ordered:
            if m.name in done:
                if done[m.name] != m.checksum:
                    raise MigrationError(
                        f"migration {m.name} was changed after it was applied; "
                        "add a new migration instead of editing an applied one"
                    )
                continue
            try:
                async with conn.transaction():
                    await conn.execute(server_sql(m.sql))
                    await conn.execute(
                        f"INSERT INTO {table} (name, checksum) VALUES ($1, $2)",
                        m.name,
                        m.checksum,
                    )
                    await conn.execute(
                        "SELECT set_config('search_path', $1, false)", path
                    )
            except Exception as exc:
                raise MigrationError(f"migration {m.name} failed: {exc}") from exc
            applied.append(m.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        await conn.execute("SELECT set_config('statement_timeout', $1, false)", timeout)

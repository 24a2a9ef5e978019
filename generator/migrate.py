"""``svcforge migrate``: apply a service's ``schemas/tables`` migrations to a
database, in file-name order, each once and in its own transaction (recorded
in ``svcforge_migrations``).  The files are replayed by the SQL front-end
first, so a migration svcforge cannot follow is refused before anything runs.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from generator.errors import UsageError
from generator.pipeline import TABLES_DIR, load_service

EXIT_OK, EXIT_FAILED = 0, 1


def migrate(root: Path, dsn: str | None) -> int:
    dsn = dsn or os.environ.get("DATABASE_URL")
    if not dsn:
        raise UsageError("no database: give --dsn or set DATABASE_URL")
    _, service = load_service(root)  # SchemaError (exit 2) before any change
    if not service.migrations:
        print(f"svcforge migrate: no migrations in {TABLES_DIR}")
        return EXIT_OK
    try:
        import asyncpg
    except ImportError:
        raise UsageError(
            "asyncpg is needed: pip install 'svcforge[postgres]'"
        ) from None
    from svcforge.db import Migration, MigrationError, apply_migrations

    migrations = [
        Migration(m.path.rpartition("/")[2], m.sql) for m in service.migrations
    ]

    async def run() -> list[str]:
        conn = await asyncpg.connect(dsn)
        try:
            return await apply_migrations(conn, migrations)
        finally:
            await conn.close()

    try:
        applied = asyncio.run(run())
    except (MigrationError, OSError) as exc:
        print(f"svcforge migrate: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except asyncpg.PostgresError as exc:
        print(f"svcforge migrate: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for name in applied:
        print(f"applied {name}")
    print(
        f"svcforge migrate: {len(applied)} applied, "
        f"{len(migrations) - len(applied)} already applied"
    )
    return EXIT_OK

"""``svcforge migrate``: apply a service's ``schemas/tables`` migrations to a
database, in file-name order, each once and in its own transaction (recorded
in ``svcforge_migrations``), and svcforge's outbox table when a channel is
published through the outbox.  The database is ``--dsn`` or the variable the
service's settings read, ``<PREFIX>_DATABASE__URL``.  The files are replayed by the SQL front-end
first, so a migration svcforge cannot follow is refused before anything runs.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from generator.errors import UsageError
from generator.frontends.jsonschema.config import env_prefix
from generator.pipeline import TABLES_DIR, load_service
from svcforge.db import OLD_URL_VARIABLE, moved_url_variable

EXIT_OK, EXIT_FAILED = 0, 1


def database_variable(service_name: str) -> str:
    """The variable that holds the service's database URL: the one its
    generated settings read (``MARKET_DATA_DATABASE__URL``)."""
    return f"{env_prefix(service_name)}DATABASE__URL"


def migrate(root: Path, dsn: str | None) -> int:
    manifest, service = load_service(root)  # SchemaError (exit 2) before any change
    variable = database_variable(manifest.name)
    dsn = dsn or os.environ.get(variable)
    if not dsn:
        if os.environ.get(OLD_URL_VARIABLE):
            raise UsageError(moved_url_variable(variable))
        raise UsageError(f"no database: give --dsn or set {variable}")
    if not service.migrations:
        print(f"svcforge migrate: no migrations in {TABLES_DIR}")
        return EXIT_OK
    try:
        import asyncpg
    except ImportError:
        raise UsageError(
            "asyncpg is needed: pip install 'svcforge[postgres]'"
        ) from None
    from svcforge.db import (
        OUTBOX_MIGRATION,
        Migration,
        MigrationError,
        apply_migrations,
    )

    migrations = [
        Migration(m.path.rpartition("/")[2], m.sql) for m in service.migrations
    ]
    if any(c.outbox for c in service.channels):
        migrations.append(OUTBOX_MIGRATION)  # svcforge's own table

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

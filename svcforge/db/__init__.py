"""PostgreSQL runtime: what generated repositories and queries run on.

``Database`` owns an asyncpg pool (``pip install 'svcforge[postgres]'``);
``apply_migrations``/``Database.migrate`` apply a service's migrations.
"""

from svcforge.db._cache import CacheSpec, RowCache, TableCache, table_cache
from svcforge.db._codecs import register_codecs
from svcforge.db._connection import Connection
from svcforge.db._database import (
    OLD_URL_VARIABLE,
    Database,
    DatabaseError,
    DatabaseSettings,
    moved_url_variable,
)
from svcforge.db._extensions import missing_extensions
from svcforge.db._migrate import (
    MIGRATIONS_TABLE,
    Migration,
    MigrationError,
    apply_migrations,
    load_migrations,
)
from svcforge.db._outbox import OUTBOX_MIGRATION, OUTBOX_TABLE
from svcforge.db._repository import (
    NoRowReturned,
    copy_rows,
    fetch_one_each,
    insert_row,
    insert_rows,
    returned,
)
from svcforge.db._store import Store, StoreSpec, json_value, naive_utc
from svcforge.db._types import (
    UNSET,
    Cidr,
    CompositeType,
    EnumType,
    Executor,
    Inet,
    JsonValue,
    Record,
    Unset,
    changed,
)

__all__ = [
    "MIGRATIONS_TABLE",
    "OLD_URL_VARIABLE",
    "OUTBOX_MIGRATION",
    "OUTBOX_TABLE",
    "UNSET",
    "CacheSpec",
    "Cidr",
    "CompositeType",
    "Connection",
    "Database",
    "DatabaseError",
    "DatabaseSettings",
    "EnumType",
    "Executor",
    "Inet",
    "JsonValue",
    "Migration",
    "MigrationError",
    "NoRowReturned",
    "Record",
    "RowCache",
    "Store",
    "StoreSpec",
    "TableCache",
    "Unset",
    "apply_migrations",
    "changed",
    "copy_rows",
    "fetch_one_each",
    "insert_row",
    "insert_rows",
    "json_value",
    "load_migrations",
    "missing_extensions",
    "moved_url_variable",
    "naive_utc",
    "register_codecs",
    "returned",
    "table_cache",
]

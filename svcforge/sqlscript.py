"""SQL scripts as pg_dump writes them: the psql meta-commands a dump holds
that change nothing in the database, so that a migration taken from a dump
applies through a driver as it does through psql."""

from __future__ import annotations

import re

__all__ = ["server_sql"]

# pg_dump 17.6, 16.10, 15.14 and later wrap a dump in ``\restrict KEY`` ...
# ``\unrestrict KEY``: psql stops reading meta-commands in between, nothing
# more.  Other meta-commands (\connect, \set, \i) change what the script does
# and stay: PostgreSQL refuses them, and so does svcforge.
_NO_OPS = re.compile(r"^\\(?:restrict|unrestrict)(?:[ \t][^\n]*)?$", re.MULTILINE)


def server_sql(script: str) -> str:
    """The script as the server runs it: pg_dump's ``\\restrict`` and
    ``\\unrestrict`` lines blanked with spaces (every other character keeps
    its offset)."""
    return _NO_OPS.sub(lambda m: " " * len(m[0]), script)

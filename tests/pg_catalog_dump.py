"""Writes ``generator/frontends/sql/queries/pg_catalog.txt``: the built-in
types, casts, functions and operators of PostgreSQL that static query typing
resolves calls against, read from a real server's ``pg_catalog``.

    python -m tests.pg_catalog_dump            # a throwaway server
    python -m tests.pg_catalog_dump DSN        # an existing one

``tests/test_sql_builtins.py`` checks that the committed file is what the
test server's catalog says.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg

TARGET = (
    Path(__file__).resolve().parent.parent
    / "generator/frontends/sql/queries/pg_catalog.txt"
)
# Functions documented as implementations of operators (int4pl for +) are
# left out: queries use the operators.  Functions taking or giving these serve the server itself (I/O, planner,
# index and trigger support): a query cannot call them usefully.
_INTERNAL = (
    "internal",
    "cstring",
    "trigger",
    "event_trigger",
    "language_handler",
    "fdw_handler",
    "index_am_handler",
    "tsm_handler",
    "table_am_handler",
    "pg_ddl_command",
    "pg_node_tree",
    "pg_ndistinct",
    "pg_dependencies",
    "pg_mcv_list",
    "pg_brin_bloom_summary",
    "pg_brin_minmax_multi_summary",
)

TYPES = """
SELECT t.typname, t.typcategory, t.typispreferred, t.typtype,
       coalesce(e.typname, '-')
FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
WHERE t.typnamespace = 'pg_catalog'::regnamespace
  AND t.typtype IN ('b', 'p', 'r', 'm') AND t.typname <> ALL($1::text[])
  AND (t.typcategory <> 'A' OR e.typtype IN ('b', 'r', 'm', 'p'))
ORDER BY 1
"""
CASTS = """
SELECT s.typname, t.typname, c.castcontext
FROM pg_cast c JOIN pg_type s ON s.oid = c.castsource
JOIN pg_type t ON t.oid = c.casttarget
WHERE c.castcontext IN ('i', 'a')
  AND s.typnamespace = 'pg_catalog'::regnamespace
  AND t.typnamespace = 'pg_catalog'::regnamespace
ORDER BY 1, 2
"""
FUNCTIONS = """
SELECT p.proname, p.prokind, p.proretset, p.proisstrict,
       coalesce(v.typname, '-'), p.pronargdefaults, r.typname,
       coalesce((SELECT string_agg(a.typname, ',' ORDER BY i)
                 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY x(oid, i)
                 JOIN pg_type a ON a.oid = x.oid), '-'),
       coalesce((SELECT string_agg(coalesce(nullif(n, ''), '?') || ':' || a.typname, ',' ORDER BY i)
                 FROM unnest(p.proallargtypes, p.proargmodes, p.proargnames)
                      WITH ORDINALITY x(oid, m, n, i)
                 JOIN pg_type a ON a.oid = x.oid
                 WHERE m IN ('o', 'b', 't')), '-'),
       coalesce((SELECT string_agg(coalesce(nullif(n, ''), '?'), ',' ORDER BY i)
                 FROM unnest(p.proargnames, p.proargmodes) WITH ORDINALITY x(n, m, i)
                 WHERE m IS NULL OR m IN ('i', 'b', 'v')), '-'),
       p.oid
FROM pg_proc p JOIN pg_type r ON r.oid = p.prorettype
LEFT JOIN pg_type v ON v.oid = p.provariadic
WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind <> 'p'
  AND coalesce(obj_description(p.oid, 'pg_proc'), '') NOT LIKE 'implementation of %'
  AND r.typname <> ALL($1::text[])
  AND NOT EXISTS (SELECT FROM unnest(p.proargtypes::oid[]) x(oid)
                  JOIN pg_type a ON a.oid = x.oid WHERE a.typname = ANY($1::text[]))
ORDER BY 1, 8, 11
"""
RANGES = """
SELECT r.typname, s.typname, m.typname
FROM pg_range g JOIN pg_type r ON r.oid = g.rngtypid
JOIN pg_type s ON s.oid = g.rngsubtype JOIN pg_type m ON m.oid = g.rngmultitypid
ORDER BY 1
"""
OPERATORS = """
SELECT o.oprname, coalesce(l.typname, '-'), r.typname, res.typname, p.proisstrict
FROM pg_operator o JOIN pg_type r ON r.oid = o.oprright
LEFT JOIN pg_type l ON l.oid = o.oprleft
JOIN pg_type res ON res.oid = o.oprresult
JOIN pg_proc p ON p.oid = o.oprcode
WHERE o.oprnamespace = 'pg_catalog'::regnamespace
  AND res.typname <> ALL($1::text[]) AND r.typname <> ALL($1::text[])
ORDER BY 1, 2, 3
"""


def _flag(value: bool) -> str:
    return "1" if value else "0"


async def dump(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        version = await conn.fetchval("SHOW server_version_num")
        internal = list(_INTERNAL)
        lines = [
            "# PostgreSQL's built-in types, implicit and assignment casts, functions",
            f"# and operators (server_version_num {version}), for static query typing.",
            "# Written by tests/pg_catalog_dump.py; do not edit.",
            "# T name category preferred kind element",
            "# C source target context",
            "# R range subtype multirange",
            "# F name kind retset strict variadic ndefaults result args outs argnames",
            "# O name left right result strict",
        ]
        for r in await conn.fetch(TYPES, internal):
            lines.append(
                f"T {r[0]} {r[1].decode()} {_flag(r[2])} {r[3].decode()} {r[4]}"
            )
        for r in await conn.fetch(CASTS):
            lines.append(f"C {r[0]} {r[1]} {r[2].decode()}")
        for r in await conn.fetch(RANGES):
            lines.append(f"R {r[0]} {r[1]} {r[2]}")
        for r in await conn.fetch(FUNCTIONS, internal):
            lines.append(
                f"F {r[0]} {r[1].decode()} {_flag(r[2])} {_flag(r[3])} {r[4]} "
                f"{r[5]} {r[6]} {r[7]} {r[8]} {r[9]}"
            )
        for r in await conn.fetch(OPERATORS, internal):
            lines.append(f"O {r[0]} {r[1]} {r[2]} {r[3]} {_flag(r[4])}")
        return "\n".join(lines) + "\n"
    finally:
        await conn.close()


def main(argv: list[str]) -> int:
    if argv:
        TARGET.write_text(asyncio.run(dump(argv[0])))
        return 0
    from svcforge.testing import start_postgres

    server = start_postgres()
    try:
        TARGET.write_text(asyncio.run(dump(server.dsn())))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

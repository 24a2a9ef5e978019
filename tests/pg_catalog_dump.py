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
from typing import Any

import asyncpg

TARGET = (
    Path(__file__).resolve().parent.parent
    / "generator/frontends/sql/queries/pg_catalog.txt"
)
# Functions documented as implementations of operators (int4pl for +) are
# left out: queries use the operators.  Functions taking or giving these serve the server itself (I/O, planner,
# index and trigger support): a query cannot call them usefully.
INTERNAL_TYPES = (
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

# Contrib extensions whose functions, operators, types and casts queries may
# use once the migrations create them (or a column has one of their types).
EXTENSIONS = (
    "citext",
    "cube",
    "earthdistance",
    "fuzzystrmatch",
    "hstore",
    "intarray",
    "ltree",
    "pg_trgm",
    "pgcrypto",
    "tablefunc",
    "unaccent",
    "uuid-ossp",
)

BASE = """
SELECT coalesce(array_agg(oid), '{}') FROM %s
WHERE %s = 'pg_catalog'::regnamespace
  AND oid NOT IN (SELECT objid FROM pg_depend WHERE deptype = 'e')
"""
MEMBERS = """
SELECT coalesce(array_agg(objid), '{}') FROM pg_depend
WHERE deptype = 'e' AND classid = $2::regclass
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = $1)
"""
TYPES = """
SELECT t.typname, t.typcategory, t.typispreferred, t.typtype,
       coalesce(e.typname, '-')
FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
WHERE (t.oid = ANY($2::oid[]) OR t.typelem = ANY($2::oid[]) AND t.typname LIKE '\\_%')
  AND t.typtype IN ('b', 'p', 'r', 'm') AND t.typname <> ALL($1::text[])
  AND (t.typcategory <> 'A' OR e.typtype IN ('b', 'r', 'm', 'p'))
ORDER BY 1
"""
CASTS = """
SELECT s.typname, t.typname, c.castcontext
FROM pg_cast c JOIN pg_type s ON s.oid = c.castsource
JOIN pg_type t ON t.oid = c.casttarget
WHERE c.castcontext IN ('i', 'a') AND c.oid = ANY($1::oid[])
ORDER BY 1, 2
"""
BASE_CASTS = """
SELECT coalesce(array_agg(c.oid), '{}') FROM pg_cast c
JOIN pg_type s ON s.oid = c.castsource JOIN pg_type t ON t.oid = c.casttarget
WHERE s.typnamespace = 'pg_catalog'::regnamespace
  AND t.typnamespace = 'pg_catalog'::regnamespace
  AND c.oid NOT IN (SELECT objid FROM pg_depend WHERE deptype = 'e')
"""
FUNCTIONS = """
SELECT p.proname, p.prokind, p.proretset, p.proisstrict,
       coalesce(v.typname, '-'), p.pronargdefaults, r.typname,
       coalesce((SELECT string_agg(a.typname, ',' ORDER BY i)
                 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY x(oid, i)
                 JOIN pg_type a ON a.oid = x.oid), '-'),
       coalesce((SELECT string_agg(coalesce(nullif(n, ''), '?') || ':' || a.typname,
                                   ',' ORDER BY i)
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
WHERE p.oid = ANY($2::oid[]) AND p.prokind <> 'p'
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
WHERE r.oid = ANY($1::oid[])
ORDER BY 1
"""
# information_schema's columns have domain types: their base types here.
RELATIONS = """
SELECT CASE WHEN n.nspname = 'pg_catalog' THEN '' ELSE n.nspname || '.' END
       || c.relname,
       string_agg(a.attname || ':' || coalesce(b.typname, t.typname) || ':'
                  || a.attnotnull::int, ',' ORDER BY a.attnum)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type b ON b.oid = t.typbasetype AND t.typtype = 'd'
WHERE n.nspname IN ('pg_catalog', 'information_schema')
  AND c.relkind IN ('r', 'v', 'm')
GROUP BY n.nspname, c.relname
ORDER BY 1
"""
OPERATORS = """
SELECT o.oprname, coalesce(l.typname, '-'), r.typname, res.typname, p.proisstrict
FROM pg_operator o JOIN pg_type r ON r.oid = o.oprright
LEFT JOIN pg_type l ON l.oid = o.oprleft
JOIN pg_type res ON res.oid = o.oprresult
JOIN pg_proc p ON p.oid = o.oprcode
WHERE o.oid = ANY($2::oid[])
  AND res.typname <> ALL($1::text[]) AND r.typname <> ALL($1::text[])
ORDER BY 1, 2, 3
"""


def _flag(value: bool) -> str:
    return "1" if value else "0"


async def _section(
    conn: Any, oids: dict[str, list[int]], internal: list[str]
) -> list[str]:
    lines = []
    for r in await conn.fetch(TYPES, internal, oids["pg_type"]):
        lines.append(f"T {r[0]} {r[1].decode()} {_flag(r[2])} {r[3].decode()} {r[4]}")
    for r in await conn.fetch(CASTS, oids["pg_cast"]):
        lines.append(f"C {r[0]} {r[1]} {r[2].decode()}")
    for r in await conn.fetch(RANGES, oids["pg_type"]):
        lines.append(f"R {r[0]} {r[1]} {r[2]}")
    for r in await conn.fetch(FUNCTIONS, internal, oids["pg_proc"]):
        lines.append(
            f"F {r[0]} {r[1].decode()} {_flag(r[2])} {_flag(r[3])} {r[4]} "
            f"{r[5]} {r[6]} {r[7]} {r[8]} {r[9]}"
        )
    for r in await conn.fetch(OPERATORS, internal, oids["pg_operator"]):
        lines.append(f"O {r[0]} {r[1]} {r[2]} {r[3]} {_flag(r[4])}")
    return lines


async def dump(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        for ext in EXTENSIONS:
            await conn.execute(f'CREATE EXTENSION IF NOT EXISTS "{ext}" CASCADE')
        version = await conn.fetchval("SHOW server_version_num")
        internal = list(INTERNAL_TYPES)
        lines = [
            "# PostgreSQL's built-in types, implicit and assignment casts, functions",
            f"# and operators (server_version_num {version}), for static query typing,",
            "# then those of contrib extensions (each after its X line).",
            "# Written by tests/pg_catalog_dump.py; do not edit.",
            "# T name category preferred kind element",
            "# C source target context",
            "# R range subtype multirange",
            "# F name kind retset strict variadic ndefaults result args outs argnames",
            "# O name left right result strict",
            "# V relation column:type:notnull,... (pg_catalog, information_schema)",
        ]
        base = {
            "pg_type": await conn.fetchval(BASE % ("pg_type", "typnamespace")),
            "pg_proc": await conn.fetchval(BASE % ("pg_proc", "pronamespace")),
            "pg_operator": await conn.fetchval(BASE % ("pg_operator", "oprnamespace")),
            "pg_cast": await conn.fetchval(BASE_CASTS),
        }
        lines += await _section(conn, base, internal)
        for r in await conn.fetch(RELATIONS):
            lines.append(f"V {r[0]} {r[1]}")
        for ext in EXTENSIONS:
            members = {
                c: await conn.fetchval(MEMBERS, ext, c)
                for c in ("pg_type", "pg_proc", "pg_operator", "pg_cast")
            }
            lines.append(f"X {ext}")
            lines += await _section(conn, members, internal)
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

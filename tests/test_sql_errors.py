"""Bad or unsupported SQL: ``svcforge regen`` exits 2, names the file and line
(and column where PostgreSQL's parser or the catalog knows it), and writes
nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main

GOOD_TABLES = {
    "001_init.sql": (
        "CREATE TYPE kind AS ENUM ('a', 'b');\n"
        "CREATE TABLE items (\n"
        "    id bigint PRIMARY KEY,\n"
        "    name text NOT NULL,\n"
        "    kind kind NOT NULL\n"
        ");\n"
    )
}

# (case id, folder, file name, text, expected "path:line[:col]" prefix, fragment)
CASES = [
    (
        "syntax_error",
        "tables",
        "002_bad.sql",
        "CREATE TABLE t (\n    a int,\n    b int int\n);\n",
        "schemas/tables/002_bad.sql:3:11:",
        "syntax error",
    ),
    (
        "misspelt_type",
        "tables",
        "002_bad.sql",
        "CREATE TABLE t (\n    id int PRIMARY KEY,\n    price nummeric\n);\n",
        "schemas/tables/002_bad.sql:3:11:",
        'unsupported column type "nummeric"',
    ),
    (
        "extension_type_without_extension",
        "tables",
        "002_bad.sql",
        "\n\nALTER TABLE items ADD COLUMN at geometry;\n",
        "schemas/tables/002_bad.sql:3:",
        'unsupported column type "geometry"',
    ),
    (
        "unknown_enum",
        "tables",
        "002_bad.sql",
        "CREATE TABLE t (\n    mood feeling\n);\n",
        "schemas/tables/002_bad.sql:2:10:",
        'unsupported column type "feeling"',
    ),
    (
        "duplicate_column",
        "tables",
        "002_bad.sql",
        "ALTER TABLE items\n    ADD COLUMN name text;\n",
        "schemas/tables/002_bad.sql:2:",
        'column "name" of "public.items" already exists',
    ),
    (
        "alter_unknown_column",
        "tables",
        "002_bad.sql",
        "-- rename\nALTER TABLE items RENAME COLUMN title TO headline;\n",
        "schemas/tables/002_bad.sql:2:",
        'column "title" does not exist',
    ),
    (
        "drop_unknown_table",
        "tables",
        "002_bad.sql",
        "DROP TABLE item;\n",
        "schemas/tables/002_bad.sql:1:",
        'table "public.item" does not exist',
    ),
    (
        "two_primary_keys",
        "tables",
        "002_bad.sql",
        "CREATE TABLE t (\n    a int PRIMARY KEY,\n    b int,\n    PRIMARY KEY (b)\n);\n",
        "schemas/tables/002_bad.sql:4:5:",
        "multiple primary keys",
    ),
    (
        "foreign_key_to_unknown_table",
        "tables",
        "002_bad.sql",
        "CREATE TABLE t (\n    owner int REFERENCES owners (id)\n);\n",
        "schemas/tables/002_bad.sql:2:26:",
        'table "public.owners" does not exist',
    ),
    (
        "drop_type_in_use",
        "tables",
        "002_bad.sql",
        "DROP TYPE kind;\n",
        "schemas/tables/002_bad.sql:1:",
        'cannot drop type "public.kind"',
    ),
    (
        "drop_missing_view",
        "tables",
        "002_bad.sql",
        "CREATE VIEW v AS SELECT * FROM items;\nDROP VIEW w;\n",
        "schemas/tables/002_bad.sql:2:1:",
        'view "public.w" does not exist',
    ),
    (
        "inherited_column_of_another_type",
        "tables",
        "002_bad.sql",
        "CREATE TABLE party (name text NOT NULL);\n"
        "CREATE TABLE organisation (\n    name integer NOT NULL\n) INHERITS (party);\n",
        "schemas/tables/002_bad.sql:3:5:",
        'column "name" has a type conflict: text versus integer',
    ),
    (
        "two_parents_of_other_types",
        "tables",
        "002_bad.sql",
        "CREATE TABLE a (n text);\nCREATE TABLE b (n int);\n"
        "CREATE TABLE c () INHERITS (a, b);\n",
        "schemas/tables/002_bad.sql:3:",
        'inherited column "n" has a type conflict: text versus integer',
    ),
    (
        "transaction_control",
        "tables",
        "002_bad.sql",
        "BEGIN;\nALTER TABLE items ADD COLUMN x int;\nCOMMIT;\n",
        "schemas/tables/002_bad.sql:1:1:",
        "transaction control",
    ),
    (
        "table_created_twice",
        "tables",
        "002_bad.sql",
        "\nCREATE TABLE items (id int);\n",
        "schemas/tables/002_bad.sql:2:14:",
        'relation "public.items" already exists',
    ),
    (
        "query_without_name",
        "queries",
        "items.sql",
        "SELECT * FROM items;\n",
        "schemas/queries/items.sql:1:1:",
        "without a name annotation",
    ),
    (
        "query_update_without_name_beside_schema_statements",
        "queries",
        "items.sql",
        "CREATE TABLE extra (id int);\n\nUPDATE items SET name = 'x';\n",
        "schemas/queries/items.sql:3:1:",
        "without a name annotation",
    ),
    (
        "query_execlastid_without_returning",
        "queries",
        "items.sql",
        "-- name: DeleteItem :execlastid\nDELETE FROM items WHERE id = $1;\n",
        "schemas/queries/items.sql:1:",
        "is :execlastid but returns no columns",
    ),
    (
        "query_bad_command",
        "queries",
        "items.sql",
        "-- name: all_items :all\nSELECT * FROM items;\n",
        "schemas/queries/items.sql:1:",
        "unknown command :all",
    ),
    (
        "query_unknown_column",
        "queries",
        "items.sql",
        "-- name: by_title :many\nSELECT id FROM items\nWHERE title = $1;\n",
        "schemas/queries/items.sql:3:7:",
        'column "title" does not exist',
    ),
    (
        "query_unknown_table",
        "queries",
        "items.sql",
        "-- name: things :many\nSELECT * FROM things;\n",
        "schemas/queries/items.sql:2:15:",
        'table "public.things" does not exist',
    ),
    (
        "query_untyped_parameter",
        "queries",
        "items.sql",
        "-- name: echo :one\nSELECT $1 IS NULL AS missing;\n",
        "schemas/queries/items.sql:2:8:",
        "could not determine data type of parameter $1",
    ),
    (
        "query_subquery_without_alias",
        "queries",
        "items.sql",
        "-- name: ids :many\nSELECT *\nFROM items,\n  (SELECT 1 AS one);\n",
        "schemas/queries/items.sql:4:3:",
        "subquery in FROM must have an alias",
    ),
    (
        "query_unsupported_from_item",
        "queries",
        "items.sql",
        "-- name: x :many\nSELECT *\nFROM items,\n"
        "  XMLTABLE('/r' PASSING '<r/>' COLUMNS a int);\n",
        "schemas/queries/items.sql:4:",
        "unsupported FROM item RangeTableFunc",
    ),
    (
        "query_function_without_arguments",
        "queries",
        "items.sql",
        "-- name: x :many\nSELECT id,\n  date_trunc() AS d FROM items;\n",
        "schemas/queries/items.sql:3:3:",
        "function date_trunc() does not exist",
    ),
    (
        "query_insert_into_cte",
        "queries",
        "items.sql",
        "-- name: x :exec\nWITH c AS (SELECT 1 AS id)\nINSERT INTO c VALUES (1);\n",
        "schemas/queries/items.sql:3:13:",
        'table "public.c" does not exist',
    ),
    (
        "query_union_of_different_widths",
        "queries",
        "items.sql",
        "-- name: x :many\nSELECT id FROM items\nUNION\nSELECT id, name FROM items;\n",
        "schemas/queries/items.sql:4:8:",
        "each UNION query must have the same number of columns",
    ),
    (
        "query_missing_semicolon_at_end_of_file",
        "queries",
        "items.sql",
        "-- name: a :many\nSELECT id FROM items;\n\n-- name: b :many\nSELECT id FROM items\n",
        "schemas/queries/items.sql:5:1:",
        "missing semicolon at end of file",
    ),
    (
        "query_abs_operator_on_a_name",
        "queries",
        "items.sql",
        "-- name: x :many\nSELECT id FROM items WHERE id = @id AND kind = @kind::text;\n",
        "schemas/queries/items.sql:2:46:",
        "operator does not exist: kind = text",
    ),
    (
        "query_unknown_function",
        "queries",
        "items.sql",
        "-- name: f :many\nSELECT mystery(name) AS m FROM items;\n",
        "schemas/queries/items.sql:2:8:",
        "function mystery(text) does not exist",
    ),
    (
        "query_name_twice",
        "queries",
        "items.sql",
        "-- name: one_item :one\nSELECT * FROM items WHERE id = $1;\n\n"
        "-- name: one_item :one\nSELECT * FROM items WHERE name = $1;\n",
        "schemas/queries/items.sql:4:",
        "already used in this file",
    ),
    (
        "query_syntax_error",
        "queries",
        "items.sql",
        "-- name: broken :many\nSELECT * FROM items WHERE;\n",
        "schemas/queries/items.sql:2:",
        "syntax error",
    ),
]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def service(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    (root / "schemas" / "tables").mkdir(parents=True)
    (root / "schemas" / "queries").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "svc"\n\n[tool.svcforge]\npackage = "svc"\n'
    )
    for name, text in GOOD_TABLES.items():
        (root / "schemas" / "tables" / name).write_text(text)
    return root


@pytest.mark.parametrize(
    ("folder", "name", "text", "where", "fragment"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_bad_sql_exits_2_naming_file_and_line_and_writes_nothing(
    service: Path,
    capsys: pytest.CaptureFixture[str],
    folder: str,
    name: str,
    text: str,
    where: str,
    fragment: str,
) -> None:
    assert main(["regen", str(service)]) == 0  # the good service generates
    (service / "schemas" / folder / name).write_text(text)
    before = snapshot(service)
    capsys.readouterr()
    assert main(["regen", str(service)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(where), err
    assert fragment in err.splitlines()[0], err
    assert "nothing written" in err
    assert snapshot(service) == before


def test_a_fresh_service_with_bad_sql_gets_no_generated_folder(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (service / "schemas/tables/002_bad.sql").write_text("CREATE TABLE t (a mony);\n")
    assert main(["regen", str(service)]) == 2
    assert not (service / "src").exists() and not (service / "tests").exists()


def test_every_bad_query_is_reported_at_once(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Queries are independent: all their errors come in one run, sorted."""
    (service / "schemas/queries/a.sql").write_text(
        "-- name: x :many\nSELECT nope FROM items;\n\n-- name: y :one\nSELECT $1 IS NULL;\n"
    )
    (service / "schemas/queries/b.sql").write_text("SELECT 1;\n")
    capsys.readouterr()
    assert main(["regen", str(service)]) == 2
    lines = [
        line
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("schemas/")
    ]
    assert [line.split(":")[0:2] for line in lines] == [
        ["schemas/queries/a.sql", "2"],
        ["schemas/queries/a.sql", "5"],
        ["schemas/queries/b.sql", "1"],
    ]


def test_non_utf8_migration_is_reported(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (service / "schemas/tables/002_latin1.sql").write_bytes(b"-- caf\xe9\n")
    assert main(["regen", str(service)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("schemas/tables/002_latin1.sql:1:7: not UTF-8"), err

"""``svcforge compat`` end to end on throwaway git repositories: exit codes,
the three output formats, the break ledger, history walking for the
``_TRANSITIVE`` modes, and a new tree that no longer generates."""

from __future__ import annotations

import json
from pathlib import Path

from tests.compat_support import (
    PYPROJECT,
    avsc,
    commit,
    compat,
    compat_json,
    new_repo,
    rules,
    write,
)

TRADE = "schemas/messages/trade.avsc"
ID = {"name": "id", "type": "string"}


def _trade(*fields: dict[str, object]) -> str:
    return avsc("com.x.Trade", [ID, *fields])


def test_compatible_change_exits_0(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "r", {TRADE: _trade()})
    write(root, {TRADE: _trade({"name": "venue", "type": "string", "default": "X"})})
    code, out, err = compat(root)
    assert code == 0 and out == ""
    assert "compatible with HEAD" in err


def test_break_exits_1_with_one_line_per_break_at_the_new_node(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "r", {TRADE: _trade()})
    write(root, {TRADE: _trade({"name": "venue", "type": "string"})})
    code, out, _ = compat(root, "--against", "main")
    assert code == 1
    (line,) = out.splitlines()
    # The added field's own line, and the old place in the message.
    assert line.startswith(f"{TRADE}:9:5: AVRO_FIELD_ADDED_NO_DEFAULT: field 'venue'")
    assert f"(old: {TRADE}:1:1)" in line


def test_unknown_revision_and_bad_path_exit_2(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "r", {TRADE: _trade()})
    code, _, err = compat(root, "--against", "no-such-branch")
    assert code == 2 and "unknown revision 'no-such-branch'" in err
    outside = tmp_path / "plain"
    outside.mkdir()
    code, _, err = compat(outside)
    assert code == 2 and "not inside a git repository" in err


def test_revision_whose_schemas_do_not_load_exits_2(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "r", {TRADE: "{not json"})
    write(root, {TRADE: _trade()})
    code, _, err = compat(root)
    assert code == 2
    assert f"HEAD: {TRADE}:1:2" in err and "do not load" in err


def test_json_format_is_stable(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "r", {TRADE: _trade({"name": "n", "type": "int"})})
    write(root, {TRADE: _trade({"name": "n", "type": "string"})})
    doc = compat_json(root)
    assert doc["version"] == 1 and doc["against"] == "HEAD" and doc["exit_code"] == 1
    (b,) = doc["breaks"]
    assert b == {
        "rule": "AVRO_TYPE_CHANGED",
        "path": TRADE,
        "line": 9,
        "col": 5,
        "message": b["message"],
        "subject": "com.x.Trade.n",
        "mode": "BACKWARD",
        "old": {"path": TRADE, "line": 9, "col": 5, "commit": ""},
        "approved": None,
    }
    assert set(doc) == {
        "version",
        "against",
        "commit",
        "exit_code",
        "breaks",
        "ledger",
        "errors",
        "revision_errors",
        "notices",
    }


def test_github_format_annotates_the_real_file(tmp_path: Path) -> None:
    """A service whose schemas/ is a link (as in generated-examples/): the
    annotation names the file the link leads to, from the repository top."""
    repo = tmp_path / "r"
    new_repo(repo, {"schemas/svc/messages/trade.avsc": _trade()}, pyproject="")
    svc = repo / "services/svc"
    svc.mkdir(parents=True)
    (svc / "pyproject.toml").write_text(PYPROJECT)
    (svc / "schemas").symlink_to("../../schemas/svc")
    commit(repo, "service")
    write(
        repo, {"schemas/svc/messages/trade.avsc": _trade({"name": "v", "type": "long"})}
    )
    code, out, _ = compat(svc, "--format", "github")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(
        "::error file=schemas/svc/messages/trade.avsc,line=9,col=5,title=AVRO_FIELD_ADDED_NO_DEFAULT::"
    )


LEDGER = "schemas/BREAKING.toml"
ENTRY = """[[break]]
rule = "AVRO_FIELD_ADDED_NO_DEFAULT"
file = "schemas/messages/trade.avsc"
subject = "com.x.Trade.venue"
reason = "every producer sets venue; old data is never replayed"
revision = "{rev}"
"""


def test_ledger_approves_a_break_and_rejects_a_stale_entry(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "r", {TRADE: _trade()})
    rev = commit(root, "noop")
    write(
        root,
        {
            TRADE: _trade({"name": "venue", "type": "string"}),
            LEDGER: ENTRY.format(rev=rev[:7]),
        },
    )
    code, out, _ = compat(root)
    assert code == 0
    assert (
        "notice: AVRO_FIELD_ADDED_NO_DEFAULT approved by schemas/BREAKING.toml:1:1"
        in out
    )
    doc = compat_json(root)
    assert doc["breaks"][0]["approved"]["reason"].startswith("every producer")
    # The break goes away, the entry stays: stale, exit 2.
    write(root, {TRADE: _trade({"name": "venue", "type": "string", "default": ""})})
    code, _, err = compat(root)
    assert code == 2 and "schemas/BREAKING.toml:1:1: stale ledger entry" in err
    # Once the entry is part of the revision, it is settled: a notice.
    commit(root, "approved break")
    code, out, _ = compat(root)
    assert code == 0 and "approves no break any more" in out


def test_ledger_errors_point_at_the_entry(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "r", {TRADE: _trade()})
    write(
        root,
        {
            LEDGER: '[[break]]\nrule = "NO_SUCH_RULE"\nfile = "x"\nreason = "r"\nrevision = "1"\n'
        },
    )
    code, _, err = compat(root)
    assert (
        code == 2
        and "schemas/BREAKING.toml:2:8" in err
        and "unknown rule 'NO_SUCH_RULE'" in err
    )


def test_transitive_modes_walk_the_history(tmp_path: Path) -> None:
    """Five versions of one schema: v1 has ``a`` without default, v2..v5 give
    it a default and then drop it.  v5 -> new is fine against v5 alone, but
    new lacks ``a`` that v1's readers need: FORWARD_TRANSITIVE sees it."""
    root = new_repo(tmp_path / "r", {TRADE: _trade({"name": "a", "type": "int"})})
    commit(root, "v2", {TRADE: _trade({"name": "a", "type": "int", "default": 0})})
    commit(
        root,
        "v3",
        {
            TRADE: _trade(
                {"name": "a", "type": "int", "default": 0},
                {"name": "b", "type": "int", "default": 1},
            )
        },
    )
    commit(root, "v4", {TRADE: _trade({"name": "b", "type": "int", "default": 1})})
    commit(root, "v5", {TRADE: _trade({"name": "b", "type": "int", "default": 2})})
    write(root, {TRADE: _trade({"name": "b", "type": "long", "default": 2})})
    assert rules(root) == []
    for mode, expected in (
        ("FORWARD", ["AVRO_TYPE_CHANGED"]),
        ("FORWARD_TRANSITIVE", ["AVRO_FIELD_REMOVED_NO_DEFAULT", "AVRO_TYPE_CHANGED"]),
        ("BACKWARD_TRANSITIVE", []),
        ("FULL_TRANSITIVE", ["AVRO_FIELD_REMOVED_NO_DEFAULT", "AVRO_TYPE_CHANGED"]),
        ("NONE", []),
    ):
        write(
            root,
            {
                "pyproject.toml": PYPROJECT
                + f'\n[tool.svcforge.compat]\nmode = "{mode}"\n'
            },
        )
        assert rules(root) == expected, mode
    write(
        root,
        {
            "pyproject.toml": PYPROJECT
            + '\n[tool.svcforge.compat]\nmode = "FORWARD_TRANSITIVE"\n'
        },
    )
    doc = compat_json(root)
    old = [
        b["old"]["commit"]
        for b in doc["breaks"]
        if b["rule"] == "AVRO_FIELD_REMOVED_NO_DEFAULT"
    ]
    assert old and old[0] == commit_of(root, "HEAD~4")


def commit_of(root: Path, ref: str) -> str:
    from tests.compat_support import git

    return git(root, "rev-parse", ref).strip()


def test_mode_per_message_and_per_channel(tmp_path: Path) -> None:
    pyproject = PYPROJECT + '\n[tool.svcforge.compat.messages]\n"Trade" = "NONE"\n'
    root = new_repo(tmp_path / "r", {TRADE: _trade()}, pyproject=pyproject)
    write(root, {TRADE: _trade({"name": "venue", "type": "string"})})
    assert rules(root) == []
    channel = '\n[tool.svcforge.channels.trades]\nmessage = "Trade"\ncompat = "FULL"\n'
    commit(root, "channel", {"pyproject.toml": pyproject + channel, TRADE: _trade()})
    write(root, {TRADE: _trade({"name": "venue", "type": "string"})})
    assert rules(root) == ["AVRO_FIELD_ADDED_NO_DEFAULT"]


TABLE = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age int);\n"
QUERY = "-- name: get_user :one\nSELECT id, email FROM users WHERE id = $1;\n"


def test_a_tree_that_does_not_generate_still_reports_query_breaks(
    tmp_path: Path,
) -> None:
    root = new_repo(
        tmp_path / "r",
        {"schemas/tables/001_users.sql": TABLE, "schemas/queries/users.sql": QUERY},
    )
    # The new migration drops email; the query file itself is deleted, so the
    # new tree even generates, and the revision's query is still checked.
    write(
        root,
        {
            "schemas/tables/002_drop.sql": "ALTER TABLE users DROP COLUMN email;\n",
            "schemas/queries/users.sql": None,
        },
    )
    assert rules(root) == ["SQL_COLUMN_DROPPED", "SQL_QUERY_BROKEN"]
    # With the query file kept, the tree does not generate (its query no
    # longer types): the breaks are reported all the same, exit 1.
    write(root, {"schemas/queries/users.sql": QUERY})
    code, out, err = compat(root)
    assert code == 1
    assert "schemas/queries/users.sql:1:1: SQL_QUERY_BROKEN: query get_user" in out
    assert "does not generate" in err


def test_migrations_are_append_only(tmp_path: Path) -> None:
    root = new_repo(
        tmp_path / "r",
        {
            "schemas/tables/001_users.sql": TABLE,
            "schemas/tables/003_more.sql": "CREATE TABLE t (id int);\n",
        },
    )
    write(
        root,
        {
            "schemas/tables/001_users.sql": TABLE
            + "CREATE INDEX users_age ON users (age);\n",
            "schemas/tables/003_more.sql": None,
            "schemas/tables/002_late.sql": "CREATE TABLE u (id int);\n",
        },
    )
    assert rules(root) == [
        "SQL_MIGRATION_DELETED",
        "SQL_MIGRATION_EDITED",
        "SQL_MIGRATION_OUT_OF_ORDER",
    ]
    code, out, _ = compat(root)
    assert code == 1
    assert "schemas/tables/001_users.sql:2:1: SQL_MIGRATION_EDITED" in out


def test_channel_changes(tmp_path: Path) -> None:
    def manifest(topic: str, key: str, partitions: int, message: str = "Trade") -> str:
        return PYPROJECT + (
            f'\n[tool.svcforge.channels.trades]\nmessage = "{message}"\ntopic = "{topic}"\n'
            f'key = "{key}"\npartitions = {partitions}\n'
        )

    two = _trade({"name": "sym", "type": "string"})
    root = new_repo(tmp_path / "r", {TRADE: two}, pyproject=manifest("t1", "id", 6))
    write(root, {"pyproject.toml": manifest("t2", "sym", 3)})
    assert rules(root) == [
        "CHANNEL_KEY_CHANGED",
        "CHANNEL_PARTITIONS_DECREASED",
        "CHANNEL_TOPIC_CHANGED",
    ]
    other = avsc("com.x.Quote", [{"name": "id", "type": "int"}])
    write(
        root,
        {
            "pyproject.toml": manifest("t1", "id", 6, "Quote"),
            "schemas/messages/quote.avsc": other,
        },
    )
    assert "CHANNEL_MESSAGE_INCOMPATIBLE" in rules(root)
    write(root, {"pyproject.toml": PYPROJECT, "schemas/messages/quote.avsc": None})
    assert rules(root) == ["CHANNEL_REMOVED"]


def test_the_examples_are_compatible_with_head() -> None:
    root = Path(__file__).resolve().parent.parent
    for example in sorted((root / "generated-examples").iterdir()):
        code, _, err = compat(example)
        assert code == 0, err


def test_json_output_is_json(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "r", {TRADE: _trade()})
    code, out, _ = compat(root, "--format", "json")
    assert code == 0 and json.loads(out)["breaks"] == []

"""What a run reports: every error of every schema kind at once (sorted, exit
2, nothing written), warnings that do not stop it (an unknown Avro logical
type), and channels checked against ``uses``."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main

MANIFEST = """[project]
name = "multi"

[tool.svcforge]
package = "multi"
{uses}

[tool.svcforge.channels.orders]
message = "Order"
{transport}"""
ORDER = """{"type": "record", "name": "Order", "fields": [
  {"name": "id", "type": "%s"},
  {"name": "at", "type": {"type": "long", "logicalType": "%s"}}
]}
"""
TYPO_WARNING = (
    "schemas/messages/order.avsc:3:58: warning: unknown logical type "
    "'timestamp-milis': ignored, as the Avro specification says; the value is "
    "a plain long\n"
    "  hint: did you mean 'timestamp-millis'?\n"
)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def service(
    root: Path,
    *,
    uses: str = 'uses = ["kafka"]',
    transport: str = "",
    id_type: str = "string",
    logical: str = "timestamp-millis",
) -> Path:
    write(
        root,
        {
            "pyproject.toml": MANIFEST.format(uses=uses, transport=transport),
            "schemas/messages/order.avsc": ORDER % (id_type, logical),
        },
    )
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_errors_of_every_schema_kind_are_reported_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Avro, JSON Schema, SQL migrations and config at once, sorted by file;
    the channel is not blamed for a message that failed to load."""
    root = service(tmp_path / "multi", id_type="strin")
    write(
        root,
        {
            "schemas/messages/ping.json": '{"title": "Ping", "type": "object", '
            '"properties": {"n": {"type": "integr"}}}\n',
            "schemas/tables/001_init.sql": "CREATE TABLE orders (id text PRIMARY KEY, "
            "total numerc NOT NULL);\n",
            "schemas/config/settings.json": '{"type": "object", "properties": '
            '{"level": {"type": "strin"}}}\n',
        },
    )
    before = snapshot(root)
    code, out, err = run(capsys, "regen", str(root))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert [line.split(":", 1)[0] for line in lines if not line.startswith(" ")] == [
        "schemas/config/settings.json",
        "schemas/messages/order.avsc",
        "schemas/messages/ping.json",
        "schemas/tables/001_init.sql",
        "svcforge",
    ]
    assert "schemas/messages/order.avsc:2:26: unknown type 'strin'" in lines
    assert "schemas/messages/ping.json:1:66: type must be one of string" in err
    assert 'schemas/tables/001_init.sql:1:49: unsupported column type "numerc"' in err
    assert "schemas/config/settings.json:1:53: type must be one of string" in err
    assert lines[-1] == "svcforge: 4 errors; nothing written"
    assert snapshot(root) == before


def test_manifest_and_query_errors_come_with_the_schema_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken manifest does not hide the schemas' errors; the queries are
    checked against migrations that load."""
    root = service(tmp_path / "multi", uses='uses = ["kafka", "rabbitmq"]')
    write(
        root,
        {
            "schemas/tables/001_init.sql": "CREATE TABLE orders (id text);\n",
            "schemas/queries/orders.sql": "-- name: totals :many\n"
            "SELECT id, total FROM orders;\n",
        },
    )
    code, _, err = run(capsys, "regen", str(root))
    assert code == 2
    assert err == (
        "pyproject.toml:6:18: [tool.svcforge]: uses must be a list drawn from "
        '"kafka", "postgres" and "redis", found \'rabbitmq\'\n'
        'schemas/queries/orders.sql:2:12: column "total" does not exist in '
        '"orders"\n'
        "  hint: columns: id\n"
        "svcforge: 2 errors; nothing written\n"
    )


def test_unknown_logical_type_warns_with_a_did_you_mean_and_generates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = service(tmp_path / "multi", logical="timestamp-milis")
    code, out, err = run(capsys, "regen", str(root))
    assert code == 0, err
    assert err == TYPO_WARNING
    assert "svcforge regen:" in out
    models = (root / "src/multi/generated/models.py").read_text()
    assert "at: Int64" in models and "datetime" not in models
    # check warns alike, and its verdict does not change.
    code, out, err = run(capsys, "check", str(root))
    assert (code, err) == (0, TYPO_WARNING)
    assert "in sync" in out


def test_warnings_are_printed_before_the_errors_of_the_same_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = service(tmp_path / "multi", logical="timestamp-milis")
    write(root, {"schemas/tables/001_init.sql": "CREATE TABLE t (x numerc);\n"})
    code, _, err = run(capsys, "regen", str(root))
    assert code == 2
    assert err.startswith(
        TYPO_WARNING
        + 'schemas/tables/001_init.sql:1:19: unsupported column type "numerc"\n'
    )
    assert err.endswith("svcforge: 1 error; nothing written\n")


def test_logical_types_of_the_specification_do_not_warn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Known ones, and the Avro 1.12 ones read as their underlying type."""
    for logical in ("timestamp-micros", "timestamp-nanos", "local-timestamp-nanos"):
        root = service(tmp_path / logical, logical=logical)
        code, _, err = run(capsys, "regen", str(root))
        assert (code, err) == (0, ""), logical


def test_unknown_logical_type_without_a_close_name_warns_without_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = service(tmp_path / "multi", logical="acme-epoch")
    write(
        root,
        {
            "schemas/messages/ip.avsc": '{"type": "fixed", "name": "Ip6", '
            '"size": 16, "logicalType": "ipv6"}\n'
        },
    )
    code, _, err = run(capsys, "regen", str(root))
    assert code == 0
    assert err == (
        "schemas/messages/ip.avsc:1:61: warning: unknown logical type 'ipv6': "
        "ignored, as the Avro specification says; the value is a plain fixed\n"
        "schemas/messages/order.avsc:3:58: warning: unknown logical type "
        "'acme-epoch': ignored, as the Avro specification says; the value is a "
        "plain long\n"
    )


def test_a_channel_on_a_transport_missing_from_uses_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = service(tmp_path / "multi", transport='transport = ["kafka", "redis"]\n')
    before = snapshot(root)
    code, out, err = run(capsys, "regen", str(root))
    assert (code, out) == (2, "")
    assert err == (
        "pyproject.toml:10:23: channel 'orders' is on redis, but uses (at "
        "pyproject.toml:6:8) does not list redis\n"
        '  hint: add "redis" to uses and svcforge[redis] to the dependencies, or '
        "take the channel off redis\n"
        "svcforge: 1 error; nothing written\n"
    )
    assert snapshot(root) == before


def test_a_channel_on_kafka_by_default_is_checked_at_its_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = service(tmp_path / "multi", uses='uses = ["redis"]')
    code, _, err = run(capsys, "regen", str(root))
    assert code == 2
    assert err.startswith(
        "pyproject.toml:8:1: channel 'orders' is on kafka, but uses (at "
        "pyproject.toml:6:8) does not list kafka\n"
    )


def test_without_uses_the_channels_transports_are_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not written, ``uses`` is what the channels need: the settings get the
    Redis group of a Redis channel."""
    root = service(tmp_path / "multi", uses="", transport='transport = "redis"\n')
    write(
        root,
        {
            "schemas/config/settings.json": '{"type": "object", "properties": '
            '{"level": {"type": "string", "default": "info"}}}\n'
        },
    )
    code, _, err = run(capsys, "regen", str(root))
    assert (code, err) == (0, "")
    settings = (root / "src/multi/generated/settings.py").read_text()
    assert "redis: RedisSettings" in settings
    assert "kafka: KafkaSettings" not in settings


def test_an_unreadable_schema_does_not_hide_the_other_kinds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is no UTF-8 or no JSON stops its own front-end only:
    the JSON Schema files and the migrations are still checked."""
    root = service(tmp_path / "multi")
    (root / "schemas/messages/bad.avsc").write_bytes(b'{"type": "\xff"}\n')
    (root / "schemas/messages/broken.avsc").write_text('{"type": \n')
    write(
        root,
        {
            "schemas/messages/ping.json": '{"title": "Ping", "type": "object", '
            '"properties": {"n": {"type": "integr"}}}\n',
            "schemas/tables/001_init.sql": "CREATE TABLE t (x numerc);\n",
        },
    )
    code, _, err = run(capsys, "regen", str(root))
    assert code == 2
    firsts = [line.split(": ", 1)[0] for line in err.splitlines()]
    assert firsts == [
        "schemas/messages/bad.avsc:1:11",
        "schemas/messages/broken.avsc:2:1",
        "schemas/messages/ping.json:1:66",
        "schemas/tables/001_init.sql:1:19",
        "  hint",
        "svcforge",
    ], err
    assert "not UTF-8 text: byte 0xff" in err
    assert err.endswith("svcforge: 4 errors; nothing written\n")

"""Channels in ``[tool.svcforge]``: both spellings, and errors that point at
``pyproject.toml:line:col`` (exit 2, nothing written), in the project's own
words rather than pydantic's."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from pydantic import BaseModel

from generator.cli import main
from generator.manifest_model import ChannelDecl, RetryDecl, ServiceTable
from generator.pipeline import load_service

EXAMPLES = Path(__file__).parent.parent / "generated-examples"
EXAMPLE = EXAMPLES / "market-data"
GENERATED = "src/market_data/generated"

BASE = """[project]
name = "md"

[tool.svcforge]
package = "market_data"
"""
TRADES = '[tool.svcforge.channels.trades]\nmessage = "Trade"\n'
MESSAGES = (
    "com.svcforge.marketdata.Candle, com.svcforge.marketdata.OrderBookSnapshot, "
    "com.svcforge.marketdata.Trade, com.svcforge.marketdata.calendar.TradingSession"
)
TRADE_FIELDS = (
    "trade_id, symbol, venue, side, price, quantity, executed_at, received_at, "
    "sequence, buyerOrderId, conditions, is_block"
)
CHANNEL_KEYS = (
    "compat, compression, consume, dead_letter, encoding, group, key, maxlen, message, "
    "name, on_conflict, outbox, partitions, policy, publish, retry, store, stream, "
    "topic, "
    "transport"
)
RETRY_KEYS = "attempts, backoff_ms, max_backoff_ms, max_deliveries"
TRANSPORT = 'transport must be "kafka", "redis" or ["kafka", "redis"]'
BOTH = 'put the channel on both: transport = ["kafka", "redis"]'


@pytest.fixture
def service(tmp_path: Path) -> Path:
    root = tmp_path / "md"
    root.mkdir()
    shutil.copytree(EXAMPLE / "schemas", root / "schemas")
    return root


def regen(
    root: Path, manifest: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    (root / "pyproject.toml").write_text(BASE + manifest)
    capsys.readouterr()
    code = main(["regen", str(root)])
    return code, capsys.readouterr().err


def test_table_and_array_spellings_generate_the_same_code(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = regen(
        service,
        '\n[tool.svcforge.channels.trades]\nmessage = "Trade"\nkey = "symbol"\n'
        "consume = true\n",
        capsys,
    )
    assert code == 0
    as_table = (service / GENERATED / "channels.py").read_text()
    code, _ = regen(
        service,
        '\n[[tool.svcforge.channels]]\nname = "trades"\nmessage = "Trade"\n'
        'key = "symbol"\nconsume = true\n',
        capsys,
    )
    assert code == 0
    assert (service / GENERATED / "channels.py").read_text() == as_table
    assert 'group="md"' in as_table  # the consumer group defaults to the service name
    assert "#   pyproject.toml" in as_table


# (what follows BASE and two blank lines, every diagnostic, one per line)
CASES = {
    "unknown message, with the close one": (
        '[tool.svcforge.channels.trades]\nmessage = "Trdae"\n',
        "9:11: channel 'trades': unknown message 'Trdae'\n"
        f"  hint: did you mean 'Trade'? messages of this service: {MESSAGES}",
    ),
    "message names are case-sensitive": (
        '[tool.svcforge.channels.trades]\nmessage = "trade"\n',
        "9:11: channel 'trades': unknown message 'trade'\n"
        f"  hint: did you mean 'Trade'? messages of this service: {MESSAGES}",
    ),
    "message missing": (
        '[tool.svcforge.channels.trades]\nkey = "symbol"\n',
        "8:1: channel 'trades': message is missing\n"
        '  hint: add message = "com.acme.OrderPlaced" (the full or short name of a'
        " message schema)",
    ),
    "message empty": (
        '[tool.svcforge.channels.trades]\nmessage = ""\n',
        "9:11: channel 'trades': message must be the full or short name of a "
        "message schema, found ''\n"
        '  hint: e.g. message = "com.acme.OrderPlaced"',
    ),
    "message not a string": (
        "[tool.svcforge.channels.trades]\nmessage = 3\n",
        "9:11: channel 'trades': message must be the full or short name of a "
        "message schema, found 3\n"
        '  hint: e.g. message = "com.acme.OrderPlaced"',
    ),
    "unknown transport": (
        TRADES + 'transport = "rabbit"\n',
        f"10:13: channel 'trades': {TRANSPORT}, found 'rabbit'",
    ),
    "unknown transport in a list": (
        TRADES + 'transport = ["kafka", "rabbit"]\n',
        f"10:23: channel 'trades': {TRANSPORT}, found 'rabbit'",
    ),
    "transport twice": (
        TRADES + 'transport = ["kafka", "kafka"]\n',
        "10:13: channel 'trades': transport lists kafka twice",
    ),
    "no transport": (
        TRADES + "transport = []\n",
        f"10:13: channel 'trades': {TRANSPORT}, found []",
    ),
    "unknown key field": (
        TRADES + 'key = "ticker"\n',
        "10:7: channel 'trades': message com.svcforge.marketdata.Trade has no "
        f"field 'ticker'\n  hint: fields: {TRADE_FIELDS}",
    ),
    "misspelt key field": (
        TRADES + 'key = "symbl"\n',
        "10:7: channel 'trades': message com.svcforge.marketdata.Trade has no "
        f"field 'symbl'\n  hint: did you mean 'symbol'? fields: {TRADE_FIELDS}",
    ),
    "key field of a type that is no key": (
        TRADES + 'key = "price"\n',
        "10:7: channel 'trades': key field 'price' cannot be a key; a key is a "
        "string, enum, uuid, int or long field",
    ),
    "empty key": (
        TRADES + 'key = ""\n',
        "10:7: channel 'trades': key must be the name of a field of the message, "
        "found ''",
    ),
    "unknown key": (
        TRADES + 'topci = "x"\n',
        "10:1: channel 'trades': unknown key 'topci'\n"
        f"  hint: did you mean 'topic'? known keys: {CHANNEL_KEYS}",
    ),
    "consumed from both transports": (
        TRADES + 'transport = ["kafka", "redis"]\nconsume = true\n',
        "11:11: channel 'trades': a channel on both transports is consumed from "
        'one of them\n  hint: write consume = "kafka" or consume = "redis"',
    ),
    "consumed from a transport it is not on": (
        TRADES + 'consume = "redis"\n',
        "10:11: channel 'trades': consume = 'redis' but the channel is not on "
        'redis\n  hint: add "redis" to transport, or consume from kafka',
    ),
    "consume neither a bool nor a transport": (
        TRADES + 'consume = "yes"\n',
        "10:11: channel 'trades': consume must be true, false, \"kafka\" or "
        "\"redis\", found 'yes'",
    ),
    "partitions of a redis channel": (
        TRADES + 'transport = "redis"\npartitions = 3\n',
        "11:14: channel 'trades': partitions applies to kafka channels; this one "
        f"is on redis\n  hint: remove partitions, or {BOTH}",
    ),
    "maxlen of a kafka channel": (
        TRADES + "maxlen = 3\n",
        "10:10: channel 'trades': maxlen applies to redis channels; this one is "
        f"on kafka\n  hint: remove maxlen, or {BOTH}",
    ),
    "stream of a kafka channel": (
        TRADES + 'stream = "s"\n',
        "10:10: channel 'trades': stream applies to redis channels; this one is "
        f"on kafka\n  hint: remove stream, or {BOTH}",
    ),
    "unknown retry key and a bad one": (
        TRADES + "retry = { attempts = 0, backof_ms = 5 }\n",
        "10:22: channel 'trades': retry.attempts must be a positive integer, "
        "found 0\n"
        "pyproject.toml:10:25: channel 'trades': unknown retry key 'backof_ms'\n"
        f"  hint: did you mean 'backoff_ms'? known keys: {RETRY_KEYS}",
    ),
    "retry attempts a bool": (
        TRADES + "retry = { attempts = true }\n",
        "10:22: channel 'trades': retry.attempts must be a positive integer, "
        "found true",
    ),
    "negative backoff": (
        TRADES + "retry = { backoff_ms = -1 }\n",
        "10:24: channel 'trades': retry.backoff_ms must be an integer >= 0, found -1",
    ),
    "max backoff below backoff": (
        TRADES + "retry = { backoff_ms = 500, max_backoff_ms = 100 }\n",
        "10:46: channel 'trades': retry.max_backoff_ms (100) is below "
        "retry.backoff_ms (500)",
    ),
    "backoff above the default max backoff": (
        TRADES + "retry = { backoff_ms = 20000 }\n",
        "10:24: channel 'trades': retry.backoff_ms (20000) is above the default "
        "retry.max_backoff_ms (10000)\n"
        "  hint: set retry.max_backoff_ms to 20000 or more",
    ),
    "retry not a table": (
        TRADES + "retry = 3\n",
        "10:9: channel 'trades': retry must be a table like { attempts = 5, "
        "backoff_ms = 200 }, found 3",
    ),
    "retry as a table of its own": (
        TRADES + "\n[tool.svcforge.channels.trades.retry]\nattempts = 0\n",
        "12:12: channel 'trades': retry.attempts must be a positive integer, found 0",
    ),
    "unknown compression": (
        TRADES + 'compression = "brotli"\n',
        "10:15: channel 'trades': compression must be one of none, gzip, snappy, "
        "lz4, zstd, found 'brotli'",
    ),
    "unknown encoding": (
        TRADES + 'encoding = "xml"\n',
        "10:12: channel 'trades': encoding must be \"avro\" or \"json\", found 'xml'",
    ),
    "publish not a bool": (
        TRADES + 'publish = "yes"\n',
        "10:11: channel 'trades': publish must be true or false, found 'yes'",
    ),
    "neither published nor consumed": (
        TRADES + "publish = false\n",
        "8:1: channel 'trades': neither published nor consumed by this service\n"
        "  hint: set publish = true or consume = true",
    ),
    "array entry without a name": (
        '[[tool.svcforge.channels]]\nmessage = "Trade"\n',
        "8:1: [[tool.svcforge.channels]] entry 1: name is missing\n"
        "  hint: add name = \"orders_placed\" (a letter, then letters, digits, '_'"
        " or '-')",
    ),
    "declared twice": (
        '[[tool.svcforge.channels]]\nname = "t"\nmessage = "Trade"\n\n'
        '[[tool.svcforge.channels]]\nname = "t"\nmessage = "Candle"\n',
        "12:1: channel 't': declared twice (first at pyproject.toml:8:1)\n"
        "  hint: rename one of them",
    ),
    "bad name in a header": (
        '[tool.svcforge.channels."bad name"]\nmessage = "Trade"\n',
        "8:1: channel 'bad name': name must be a letter, then letters, digits, "
        "'_' or '-', found 'bad name'\n"
        '  hint: e.g. name = "orders_placed"',
    ),
    "bad name in an array entry": (
        '[[tool.svcforge.channels]]\nname = "9x"\nmessage = "Trade"\n',
        "9:8: channel '9x': name must be a letter, then letters, digits, '_' or "
        "'-', found '9x'\n"
        '  hint: e.g. name = "orders_placed"',
    ),
    "name that disagrees with the header": (
        TRADES + 'name = "other"\n',
        "10:8: channel 'trades': name 'other' differs from the name in the "
        "table's header\n  hint: remove name; the header names the channel",
    ),
    "topic with a space": (
        TRADES + 'topic = "a topic"\n',
        "10:9: channel 'trades': topic must be a non-empty name (letters, "
        "digits, . _ : -), found 'a topic'",
    ),
    "channel not a table": (
        "[tool.svcforge.channels]\ntrades = 3\n",
        "9:10: channel 'trades' must be a table, found 3",
    ),
}


@pytest.mark.parametrize(("manifest", "expected"), CASES.values(), ids=list(CASES))
def test_bad_channel_is_reported_at_its_line_and_column(
    service: Path, manifest: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = regen(service, "\n\n" + manifest, capsys)
    count = expected.count("\npyproject.toml:") + 1
    summary = f"{count} error{'s' if count > 1 else ''}; nothing written"
    assert (code, err) == (2, f"pyproject.toml:{expected}\nsvcforge: {summary}\n")
    assert not (service / "src").exists()


def test_channels_must_be_tables(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = regen(service, "channels = 3\n", capsys)
    assert code == 2
    assert err.startswith(
        "pyproject.toml:6:12: [tool.svcforge]: channels must be tables: "
        "[tool.svcforge.channels.<name>] or [[tool.svcforge.channels]], found 3\n"
    )


def test_every_problem_is_reported_at_once(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = regen(
        service,
        '\n[tool.svcforge.channels.a]\nmessage = "Trade"\ntransport = "x"\n'
        '\n[tool.svcforge.channels.b]\nmessage = "Trade"\nmaxlen = -1\n'
        'transport = "redis"\n',
        capsys,
    )
    assert code == 2
    assert "channel 'a': transport" in err and "channel 'b': maxlen" in err
    assert "2 errors" in err


def test_no_message_is_pydantics_own(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every error kind at once: nothing of pydantic's wording or of the
    input as Python sees it reaches the user."""
    manifest = "\n".join(
        m.replace("channels.trades", f"channels.c{i}").replace('"t"', f'"t{i // 2}"')
        for i, (m, _) in enumerate(CASES.values())
        if "[[" not in m
    )
    code, err = regen(service, "\n" + manifest, capsys)
    assert code == 2
    assert err.count("pyproject.toml:") > 30  # every manifest-level case
    for leak in ("pydantic", "Input should", "further information", "{'", "Field"):
        assert leak not in err


def test_channels_that_share_an_attribute_name_get_distinct_ones(
    service: Path,
) -> None:
    (service / "pyproject.toml").write_text(
        BASE + '\n[tool.svcforge.channels.order-books]\nmessage = "Trade"\n'
        '\n[tool.svcforge.channels.order_books]\nmessage = "Trade"\n'
        '\n[tool.svcforge.channels.class]\nmessage = "Candle"\n'
    )
    _, ir_service = load_service(service)
    assert {c.name: c.py_name for c in ir_service.channels} == {
        "class": "class_",
        "order-books": "order_books_2",
        "order_books": "order_books",
    }


def test_a_short_name_two_namespaces_share_is_ambiguous(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = tmp_path / "schemas" / "messages"
    messages.mkdir(parents=True)
    for ns in ("com.a", "com.b"):
        (messages / f"{ns}.avsc").write_text(
            f'{{"type": "record", "name": "Ping", "namespace": "{ns}", '
            '"fields": [{"name": "id", "type": "string"}]}\n'
        )
    code, err = regen(
        tmp_path, '\n[tool.svcforge.channels.pings]\nmessage = "Ping"\n', capsys
    )
    assert (code, err) == (
        2,
        "pyproject.toml:8:11: channel 'pings': message 'Ping' is ambiguous: "
        "com.a.Ping, com.b.Ping\n  hint: write the full name\n"
        "svcforge: 1 error; nothing written\n",
    )


def test_avro_encoding_of_a_json_schema_message_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(EXAMPLES / "accounts" / "schemas" / "messages", tmp_path / "m")
    (tmp_path / "schemas").mkdir()
    (tmp_path / "m").rename(tmp_path / "schemas" / "messages")
    code, err = regen(
        tmp_path,
        '\n[tool.svcforge.channels.audit]\nmessage = "AuditEvent"\nencoding = "avro"\n',
        capsys,
    )
    assert (code, err) == (
        2,
        "pyproject.toml:9:12: channel 'audit': AuditEvent is a JSON Schema "
        "message; it has no Avro encoding\n"
        '  hint: remove encoding, or write encoding = "json"\n'
        "svcforge: 1 error; nothing written\n",
    )


@pytest.mark.parametrize("model", [ServiceTable, ChannelDecl, RetryDecl])
def test_every_key_says_what_it_must_be(model: type[BaseModel]) -> None:
    """Messages are built from each field's description (and a required
    field's example), never from pydantic's text."""
    for name, field in model.model_fields.items():
        assert field.description, name
        if field.is_required():
            assert field.examples, name


def test_the_manifest_builds_no_ir() -> None:
    """Reading pyproject.toml imports no front-end or emitter: binding channels
    to the schemas is the channels front-end's job."""
    root = Path(__file__).parent.parent / "generator"
    for module in ("manifest", "manifest_model", "tomlcheck", "tomlsource"):
        tree = ast.parse((root / f"{module}.py").read_text())
        imported = {
            node.module or ""
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert not {
            m
            for m in imported
            if m.startswith(("generator.frontends", "generator.emitters"))
        }, module

"""Channels in ``[tool.svcforge]``: both spellings, and errors that point at
``pyproject.toml:line:col`` (exit 2, nothing written)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.cli import main

EXAMPLE = Path(__file__).parent.parent / "generated-examples" / "market-data"
GENERATED = "src/market_data/generated"

BASE = """[project]
name = "md"

[tool.svcforge]
package = "market_data"
"""


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


CASES = [
    (
        '[tool.svcforge.channels.trades]\nmessage = "Trdae"\n',
        "9:11: channel 'trades': unknown message 'Trdae'\n  hint: messages of this service: com.svcforge.marketdata.Candle",
    ),
    (
        '[tool.svcforge.channels.trades]\nmessage = "Trade"\ntransport = "rabbit"\n',
        '10:13: channel \'trades\': transport must be "kafka", "redis" or ["kafka", "redis"], found \'rabbit\'',
    ),
    (
        '[tool.svcforge.channels.trades]\nmessage = "Trade"\nkey = "ticker"\n',
        "10:7: channel 'trades': message com.svcforge.marketdata.Trade has no field 'ticker'\n  hint: fields: trade_id, symbol,",
    ),
    (
        '[tool.svcforge.channels.trades]\nmessage = "Trade"\nkey = "price"\n',
        "10:7: channel 'trades': key field 'price' cannot be a key; a key is a string, enum, uuid, int or long field",
    ),
    (
        '[tool.svcforge.channels.trades]\nmessage = "Trade"\ntopci = "x"\n',
        "10:1: channel 'trades': unknown key 'topci'\n  hint: known keys: compression,",
    ),
    (
        '[tool.svcforge.channels.trades]\nmessage = "Trade"\n'
        'transport = ["kafka", "redis"]\nconsume = true\n',
        "11:11: channel 'trades': a channel on both transports is consumed from one of them\n"
        '  hint: write consume = "kafka" or consume = "redis"',
    ),
    (
        '[tool.svcforge.channels.trades]\nmessage = "Trade"\ntransport = "redis"\n'
        "partitions = 3\n",
        "11:14: channel 'trades': partitions applies to kafka channels; this one is on redis",
    ),
    (
        '[tool.svcforge.channels.trades]\nmessage = "Trade"\n'
        "retry = { attempts = 0, backof_ms = 5 }\n",
        "10:25: channel 'trades': unknown retry key 'backof_ms'",
    ),
    (
        '[tool.svcforge.channels.trades]\nmessage = "Trade"\n'
        "retry = { attempts = 0 }\n",
        "10:22: channel 'trades': retry.attempts must be a positive integer, found 0",
    ),
    (
        '[tool.svcforge.channels.trades]\nmessage = "Trade"\ncompression = "brotli"\n',
        "10:15: channel 'trades': compression must be one of none, gzip, snappy, lz4, zstd, found 'brotli'",
    ),
    (
        '[tool.svcforge.channels.trades]\nmessage = "Trade"\npublish = false\n',
        "8:1: channel 'trades': neither published nor consumed by this service",
    ),
    (
        '[[tool.svcforge.channels]]\nmessage = "Trade"\n',
        "8:1: a [[tool.svcforge.channels]] entry needs a name",
    ),
]


@pytest.mark.parametrize(("manifest", "expected"), CASES)
def test_bad_channel_is_reported_at_its_line_and_column(
    service: Path, manifest: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = regen(service, "\n\n" + manifest, capsys)
    assert code == 2
    assert f"pyproject.toml:{expected}" in err
    assert "nothing written" in err
    assert not (service / GENERATED).exists()


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
